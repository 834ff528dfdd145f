"""``ecocredit account …``: open accounts and issue API keys (each key is shown once)."""

from __future__ import annotations

from typing import Annotated

import typer

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, Role
from ecocredit.runtime import open_runtime
from ecocredit.settings import get_settings

app = typer.Typer(help="Accounts and API keys.", no_args_is_help=True)


@app.command()
def create(
    name: str,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(r.value for r in Role)}.")],
) -> None:
    """Open an account and print its first API key (shown once, stored hashed)."""
    runtime = open_runtime(get_settings())
    _, key = runtime.db.write(lambda s: accounts.create_account(s, name, role, SYSTEM_ACTOR))
    runtime.sign_checkpoint()
    console.show(f"account {name} ({role}) created. Its API key, shown only this once:")
    console.raw(key + "\n")


@app.command(name="new-key")
def new_key(name: str) -> None:
    """Issue another API key to an account and print it (shown once)."""
    runtime = open_runtime(get_settings())
    key = runtime.db.write(lambda s: accounts.issue_key(s, name, SYSTEM_ACTOR))
    runtime.sign_checkpoint()
    console.show(f"new API key for {name}, shown only this once:")
    console.raw(key + "\n")
