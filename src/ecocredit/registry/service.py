"""The registry's use cases, the one door other capabilities and the API and CLI go through.

Each operation is one transaction (the caller's session) that also appends its event to the
log, checks the caller's authority, and returns a JSON-ready result that includes the serial
blocks it moved. The implementations live one verb per file under :mod:`.ops`.
"""

from __future__ import annotations

from ecocredit.registry.ops.cancel import cancel, cancel_buffer
from ecocredit.registry.ops.classes import create_class, set_class_issuers
from ecocredit.registry.ops.credit_types import add_credit_type
from ecocredit.registry.ops.issue import issue
from ecocredit.registry.ops.projects import create_project, set_project_status
from ecocredit.registry.ops.reports import file_report
from ecocredit.registry.ops.retire import retire
from ecocredit.registry.ops.transfer import transfer

__all__ = [
    "add_credit_type",
    "cancel",
    "cancel_buffer",
    "create_class",
    "create_project",
    "file_report",
    "issue",
    "retire",
    "set_class_issuers",
    "set_project_status",
    "transfer",
]
