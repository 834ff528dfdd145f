"""``ecocredit registry …``: credit types, classes, projects, reports, issuance and movements.

The commands live by meaning in ``cli_setup`` (credit types, classes, projects, reports),
``cli_credits`` (issue and the moves of credits) and ``cli_views`` (show and replay); each
registers on the one Typer app of :mod:`.cli_common`, which is this module's ``app``.
"""

from __future__ import annotations

from ecocredit.registry import cli_credits, cli_setup, cli_views
from ecocredit.registry.cli_common import app

__all__ = ["app", "cli_credits", "cli_setup", "cli_views"]
