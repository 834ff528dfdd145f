"""A populated registry on each backend: credit type C, class C01, a project, a report, a batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.registry import service as registry
from ecocredit.runtime import InitResult, Runtime

T = TypeVar("T")
SHA = "ab" * 32
HOLDERS = ("alice", "bob", "carol")


@dataclass
class Registry:
    """The installation and what the fixture created in it."""

    runtime: Runtime
    keys: dict[str, str]
    batch: str
    report: str
    project: str

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction."""
        return self.runtime.db.write(work)

    def who(self, name: str) -> Principal:
        """The account ``name`` as an actor."""
        with self.runtime.db.read() as session:
            return accounts.principal(session, name)

    def as_(self, name: str, op: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a registry operation as the account ``name``."""
        actor = self.who(name)
        return self.write(lambda s: op(s, actor, *args, **kwargs))

    def headers(self, name: str) -> dict[str, str]:
        """API headers of the account ``name``."""
        return {"Authorization": f"Bearer {self.keys[name]}"}


ACCOUNTS: list[tuple[str, list[Role], str]] = [
    ("registrar", [Role.CLASS_ADMIN], "organisation"),
    ("issuer", [Role.CLASS_ISSUER, Role.HOLDER], "organisation"),
    ("developer", [Role.PROJECT_ADMIN, Role.HOLDER], "organisation"),
    ("verifier", [Role.VERIFIER], "organisation"),
    ("alice", [Role.HOLDER], "person"),
    ("bob", [Role.HOLDER], "person"),
    ("carol", [Role.HOLDER], "organisation"),
]


def populate(runtime: Runtime, admin_key: str | None) -> Registry:
    """Create the accounts, credit type, class, project and report, and issue one batch."""
    keys: dict[str, str] = {"admin": admin_key or ""}
    for name, roles, kind in ACCOUNTS:
        _, key = runtime.db.write(
            lambda s, n=name, r=roles, k=kind: accounts.create_account(s, n, r, "admin", k)
        )
        keys[name] = key or ""
    reg = Registry(runtime, keys, "", "", "")
    # Credit type C (tCO2e, precision 6) is built in.
    reg.as_(
        "admin",
        registry.create_class,
        "C",
        "Grassland restoration",
        "CCER-14-001",
        "V01",
        "registrar",
        ["issuer"],
    )
    reg.project = reg.as_(
        "issuer",
        registry.create_project,
        "C01",
        "Xilingol grassland restoration",
        "developer",
        "CN-NM",
        "Xilinhot, Inner Mongolia",
        "XL-2026-01",
        "registered",
    )["project"]
    reg.report = reg.as_(
        "verifier", registry.file_report, reg.project, "2026-01-01", "2026-12-31", "1000", SHA
    )["report"]
    reg.batch = reg.as_(
        "issuer", registry.issue, reg.report, [("alice", "600"), ("bob", "300")], "0.1"
    )["batch"]
    return reg


@pytest.fixture
def reg(installed: InitResult) -> Registry:
    """A registry with batch C01-001-20260101-20261231-001: alice 600, bob 300, buffer 100."""
    return populate(installed.runtime, installed.admin_key)
