"""The ``ecocredit`` command: set up, serve, load the demo, and each capability's commands."""

from __future__ import annotations

from typing import Annotated

import typer

from ecocredit import console, demo
from ecocredit.accounts.cli import app as account_app
from ecocredit.air.cli import app as air_app
from ecocredit.carbon.cli import app as carbon_app
from ecocredit.errors import EcocreditError
from ecocredit.inclusion.cli import app as inclusion_app
from ecocredit.inclusion.custody_cli import app as custody_app
from ecocredit.ledger.cli import app as ledger_app
from ecocredit.registry.cli import app as registry_app
from ecocredit.runtime import initialize, open_runtime, settle_heap
from ecocredit.settings import get_settings

app = typer.Typer(
    help="ecocredit: environmental numbers the public can trust, on a verifiable log.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ledger_app, name="ledger")
app.add_typer(account_app, name="accounts")
app.add_typer(registry_app, name="registry")
app.add_typer(air_app, name="air")
app.add_typer(carbon_app, name="carbon")
app.add_typer(inclusion_app, name="inclusion")
app.add_typer(custody_app, name="custody")
app.add_typer(account_app, name="account", hidden=True)  # the name of the first release


@app.command()
def init() -> None:
    """Create the data directory, database, log signing key and admin account (idempotent)."""
    settings = get_settings()
    result = initialize(settings)
    console.show(f"data directory: {settings.data_dir.resolve()}")
    console.show(f"database: {result.runtime.db.url_for_humans()} (migrations applied)")
    made = "created" if result.created_key else "kept"
    console.show(f"log signing key {made}: {settings.signing_key_path} (mode 0600)")
    console.show(f"log public key: {result.runtime.signer.verifier.text()}")
    if result.admin_key is not None:
        console.show("admin account created. Its API key, shown only this once:")
        console.raw(result.admin_key + "\n")


@app.command(name="demo")
def demo_command() -> None:
    """Load the demo data of every capability (skips what is already loaded)."""
    runtime = open_runtime(get_settings())
    for line in demo.load(runtime):
        console.show(line)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the portal and the API (checks the database and the signing key first)."""
    import uvicorn

    from ecocredit.app import create_app

    settings = get_settings()
    runtime = open_runtime(settings)
    listen_host, listen_port = host or settings.host, port or settings.port
    console.show(f"serving the portal and API on http://{listen_host}:{listen_port} (docs: /docs)")
    served = create_app(runtime=runtime)
    settle_heap()
    uvicorn.run(served, host=listen_host, port=listen_port)


def main() -> None:
    """Entry point: run the command; turn ecocredit errors into a message and exit code 1."""
    try:
        app()
    except EcocreditError as exc:
        console.error(exc)
        raise SystemExit(1) from exc
