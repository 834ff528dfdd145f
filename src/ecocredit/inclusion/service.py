"""The carbon-inclusion service: the one door the API, the CLI and other capabilities go through.

Writes run in the caller's transaction and append their log entry there (see
:mod:`ecocredit.inclusion.ops`); reads return plain dicts (:mod:`ecocredit.inclusion.queries`).
"""

from __future__ import annotations

from ecocredit.inclusion.decisions import Limits
from ecocredit.inclusion.ops.actions import Action, submit
from ecocredit.inclusion.ops.credits import aggregate, document_json, issue_credits
from ecocredit.inclusion.ops.programmes import Programme, create_programme, set_reward
from ecocredit.inclusion.ops.redeem import balance, expire, redeem
from ecocredit.inclusion.ops.review import decide_held, queue
from ecocredit.inclusion.points import PointRule
from ecocredit.inclusion.queries import (
    dashboard,
    methodology_list,
    participant,
    programme,
    programme_list,
)

__all__ = [
    "Action",
    "Limits",
    "PointRule",
    "Programme",
    "aggregate",
    "balance",
    "create_programme",
    "dashboard",
    "decide_held",
    "document_json",
    "expire",
    "issue_credits",
    "methodology_list",
    "participant",
    "programme",
    "programme_list",
    "queue",
    "redeem",
    "set_reward",
    "submit",
]
