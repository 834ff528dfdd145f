"""Who may do what, as the log tells it: accounts and their roles, class issuers, reports.

The replay checks each credit event against this, so a log the service could not have
written (a transfer by someone other than the sender, an issuance by a non-issuer, credits
for an account never opened) is refused rather than counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecocredit.ledger.events import EVENTS

REGISTRY_ACCOUNT = "registry"


class ReplayError(Exception):
    """An entry the registry's rules do not allow: the log itself is inconsistent."""

    def __init__(self, index: int, message: str) -> None:
        """Keep the index of the offending entry."""
        super().__init__(f"entry {index}: {message}")
        self.index = index


@dataclass(frozen=True)
class ReportSeen:
    """A verification report as the log records it."""

    project: str
    period_start: str
    period_end: str
    verified: int


@dataclass
class Parties:
    """Accounts with their roles, each class's issuers, projects' classes and the reports."""

    roles: dict[str, set[str]] = field(default_factory=dict)
    issuers: dict[str, set[str]] = field(default_factory=dict)
    project_class: dict[str, str] = field(default_factory=dict)
    reports: dict[str, ReportSeen] = field(default_factory=dict)

    def learn(self, kind: str, data: dict[str, Any]) -> None:
        """Take in an event about accounts, classes, projects or reports."""
        if kind in ("account.created", "account.roles_set"):
            self.roles[str(data["account"])] = {str(r) for r in data["roles"]}
        elif kind in ("registry.class_created", "registry.class_issuers_set"):
            self.issuers[str(data["class_id"])] = {str(n) for n in data["issuers"]}
        elif kind == "registry.project_created":
            self.project_class[str(data["project"])] = str(data["class_id"])
        elif kind == "registry.report_filed":
            self.reports[str(data["report"])] = ReportSeen(
                str(data["project"]),
                str(data["period_start"]),
                str(data["period_end"]),
                int(data["verified"]),
            )

    def holder(self, index: int, name: str, what: str) -> None:
        """``name`` must be an opened account that can hold credits, and not the pool."""
        if name not in self.roles:
            raise ReplayError(index, f"{what} {name!r} is not an account the log opened")
        if "holder" not in self.roles[name]:
            raise ReplayError(index, f"{what} {name!r} cannot hold credits")
        if name == REGISTRY_ACCOUNT:
            raise ReplayError(index, f"{what} is the buffer pool, which is sent nothing")

    def admin(self, index: int, actor: str, action: str) -> None:
        """``actor`` must hold the admin role."""
        if "admin" not in self.roles.get(actor, set()):
            raise ReplayError(index, f"{actor!r} may not {action}: not the registry admin")

    def issuer(self, index: int, actor: str, project: str) -> None:
        """``actor`` must be an issuer of the class of ``project``."""
        issuers = self.issuers.get(self.project_class.get(project, ""), set())
        if actor not in issuers or "class_issuer" not in self.roles.get(actor, set()):
            raise ReplayError(index, f"{actor!r} is not an issuer of {project}'s class")


def check_fields(index: int, kind: str, data: Any) -> dict[str, Any]:
    """The payload must have exactly the declared fields, of the declared types."""
    spec = EVENTS[kind].fields
    if not isinstance(data, dict) or set(data) != set(spec):
        raise ReplayError(index, f"{kind} must have exactly the fields {sorted(spec)}")
    for name, kind_of in spec.items():
        value = data[name]
        if not isinstance(value, kind_of) or (kind_of is int and isinstance(value, bool)):
            raise ReplayError(index, f"{kind}: {name} must be {kind_of.__name__}")
    return data
