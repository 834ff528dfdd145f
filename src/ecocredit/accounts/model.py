"""Roles, kinds of account and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an account may do; an account holds any number of roles.

    The registry's per-class and per-project authority (which issuers a class has, who
    administers a project) is kept by the registry itself; a role says which of those
    places an account may be named to.
    """

    ADMIN = "admin"  # the registry admin: credit types, classes, accounts, buffer reversals
    CLASS_ADMIN = "class_admin"  # may administer a credit class (names its issuers)
    CLASS_ISSUER = "class_issuer"  # may be an issuer of a class: creates projects and batches
    PROJECT_ADMIN = "project_admin"  # may administer (develop) a project
    VERIFIER = "verifier"  # files verification reports
    HOLDER = "holder"  # holds, transfers and retires credits
    MONITOR = "monitor"  # a monitoring centre: registers stations, imports air-quality data
    REPORTER = "reporter"  # an enterprise: reports its inventories, adds factors and processes
    OPERATOR = "operator"  # runs a carbon-inclusion programme: actions, rewards, reviews, credits


class AccountKind(StrEnum):
    """Who or what stands behind an account."""

    PERSON = "person"
    ORGANISATION = "organisation"
    PROGRAMME = "programme"
    REGISTRY = "registry"


@dataclass(frozen=True)
class Principal:
    """The account behind a request or a command."""

    account_id: int
    name: str
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        """Whether the account holds ``role``."""
        return role in self.roles

    def describe_roles(self) -> str:
        """The roles as a person reads them."""
        return ", ".join(sorted(self.roles)) or "no role"


SYSTEM_ACTOR = "system"
REGISTRY_ACCOUNT = "registry"  # holds the buffer pool; opened with the first buffer
