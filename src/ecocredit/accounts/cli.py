"""``ecocredit accounts …``: open accounts, set their roles and issue API keys (shown once)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, AccountKind, Role
from ecocredit.accounts.tables import account_roles
from ecocredit.accounts.tables import accounts as accounts_table
from ecocredit.runtime import open_runtime
from ecocredit.settings import get_settings

app = typer.Typer(help="Accounts, their roles and API keys.", no_args_is_help=True)

RoleOption = Annotated[
    list[str],
    typer.Option("--role", help=f"Repeat for several. One of: {', '.join(r.value for r in Role)}."),
]


@app.command()
def create(
    name: str,
    role: RoleOption,
    kind: Annotated[
        str, typer.Option(help=f"One of: {', '.join(k.value for k in AccountKind)}.")
    ] = AccountKind.ORGANISATION,
) -> None:
    """Open an account and print its first API key (shown once, stored hashed)."""
    runtime = open_runtime(get_settings())
    _, key = runtime.db.write(lambda s: accounts.create_account(s, name, role, SYSTEM_ACTOR, kind))
    runtime.sign_checkpoint()
    roles = ", ".join(sorted(set(role)))
    console.show(f"account {name} ({kind}; {roles}) created. Its API key, shown only this once:")
    console.raw(f"{key}\n")


@app.command()
def roles(name: str, role: RoleOption) -> None:
    """Replace the roles of an account."""
    runtime = open_runtime(get_settings())
    granted = runtime.db.write(lambda s: accounts.set_roles(s, name, role, SYSTEM_ACTOR))
    runtime.sign_checkpoint()
    console.show(f"account {name} now has: {', '.join(granted)}")


@app.command(name="new-key")
def new_key(name: str) -> None:
    """Issue another API key to an account and print it (shown once)."""
    runtime = open_runtime(get_settings())
    key = runtime.db.write(lambda s: accounts.issue_key(s, name, SYSTEM_ACTOR))
    runtime.sign_checkpoint()
    console.show(f"new API key for {name}, shown only this once:")
    console.raw(key + "\n")


@app.command(name="list")
def list_accounts() -> None:
    """List the accounts with their kind and roles."""
    runtime = open_runtime(get_settings())
    a = accounts_table.c
    with runtime.db.read() as session:
        rows = session.execute(
            select(a.name, a.kind, account_roles.c.role)
            .join(account_roles, account_roles.c.account_id == a.id)
            .order_by(a.name, account_roles.c.role)
        ).all()
    listed: dict[str, tuple[str, list[str]]] = {}
    for name, kind, role in rows:
        listed.setdefault(name, (kind, []))[1].append(role)
    for name, (kind, held) in listed.items():
        console.show(f"{name}  {kind}  {', '.join(held)}")
