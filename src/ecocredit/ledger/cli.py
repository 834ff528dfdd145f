"""``ecocredit ledger …``: the log's key, notices, checkpoints, verification and audits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import httpx
import typer

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.errors import InvalidParameter
from ecocredit.ledger import checkpoints, store
from ecocredit.ledger import service as ledger
from ecocredit.ledger.audit import AuditFailure, NotInLogYet, audit, load_state, save_state
from ecocredit.ledger.note import NoteError, Verifier, parse_verifier
from ecocredit.ledger.verify import verify_log
from ecocredit.runtime import Runtime, open_runtime
from ecocredit.settings import get_settings

app = typer.Typer(help="The public Merkle log.", no_args_is_help=True)


def _runtime() -> Runtime:
    return open_runtime(get_settings())


@app.command()
def key() -> None:
    """Print the log's public key (signed-note verifier key form)."""
    runtime = _runtime()
    with runtime.db.read() as session:
        console.raw(checkpoints.public_key(session) + "\n")


@app.command()
def checkpoint() -> None:
    """Sign a checkpoint of the current log now and print the latest signed checkpoint."""
    runtime = _runtime()
    runtime.sign_checkpoint()
    with runtime.db.read() as session:
        console.raw(checkpoints.require_latest(session).note)


@app.command()
def notice(
    text: Annotated[str | None, typer.Argument(help="The notice's text.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="One notice per line.")] = None,
    actor: Annotated[str, typer.Option(help="The account the notice is recorded for.")] = "admin",
) -> None:
    """Record a public notice (a methodology update, a correction) in the log."""
    if (text is None) == (file is None):
        raise InvalidParameter("give the notice's text or --file, not both", field="text")
    runtime = _runtime()
    with runtime.db.read() as session:
        caller = accounts.principal(session, actor)
    if file is not None:
        try:
            # Only "\n" ends a notice: str.splitlines would also split on U+2028, form feeds and
            # other characters that belong inside a notice (or must be refused there).
            content = file.read_text(encoding="utf-8")
            lines = [line.removesuffix("\r") for line in content.split("\n")]
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidParameter(f"{file}: cannot read notices: {exc}", field="file") from exc
        with console.progress(f"Recording notices from {file}", len(lines)) as advance:
            indices = runtime.db.write(
                lambda s: ledger.publish_notices(s, caller, lines, str(file), advance)
            )
        runtime.sign_checkpoint()
        console.show(
            f"recorded {len(indices)} notices"
            + (f" as entries {indices[0]}..{indices[-1]}" if indices else "")
        )
        return
    assert text is not None
    entry = runtime.db.write(lambda s: ledger.publish_notice(s, caller, text))
    runtime.sign_checkpoint()
    console.show(f"recorded notice as entry {entry.index}")


@app.command()
def verify() -> None:
    """Recompute every hash and the root from the entries and check every checkpoint."""
    runtime = _runtime()
    with runtime.db.read() as session:
        size = store.read_head(session).size
        with console.progress("Verifying the log", size) as advance:
            report = verify_log(session, runtime.signer.verifier, advance)
    console.show(
        f"ok: {report.size} entries, root {report.root.hex()}, "
        f"{report.checkpoints} signed checkpoints verified"
    )


def _http_fetch(client: httpx.Client, url: str) -> Callable[[str], bytes]:
    """Read paths below the log's base URL; a tile the log will not serve is a failure."""
    base = url.rstrip("/") + "/"

    def fetch(path: str) -> bytes:
        response = client.get(base + path)
        if response.status_code == 404 and path != "checkpoint":
            raise AuditFailure(
                f"the signed checkpoint covers {path}, but the log does not serve it"
            )
        response.raise_for_status()
        return response.content

    return fetch


def _verifier(key: str) -> Verifier:
    key_text = Path(key).read_text().strip() if Path(key).is_file() else key
    try:
        return parse_verifier(key_text)
    except NoteError as exc:
        raise InvalidParameter(f"--key: {exc}", field="key") from exc


@app.command(name="audit")
def audit_command(
    url: Annotated[str, typer.Argument(help="The log's base URL, e.g. http://127.0.0.1:8000")],
    key: Annotated[str, typer.Option(help="The log's public key, or a file holding it.")],
    state: Annotated[Path, typer.Option(help="File keeping the last checkpoint verified.")],
    entry: Annotated[int | None, typer.Option(help="Also prove this entry included.")] = None,
) -> None:
    """Audit a log from outside, trusting only its public key; exit 1 if it forked or lied."""
    verifier = _verifier(key)
    try:
        previous = load_state(state)
        with httpx.Client(timeout=30, follow_redirects=True) as client:
            result = audit(_http_fetch(client, url), verifier, previous, entry)
    except AuditFailure as exc:
        console.failure("AUDIT FAILED", str(exc))
        raise typer.Exit(1) from exc
    except NotInLogYet as exc:
        console.failure("error", str(exc))
        raise typer.Exit(2) from exc
    except httpx.HTTPError as exc:
        console.failure("error", f"cannot read the log at {url}: {exc}")
        raise typer.Exit(2) from exc
    save_state(state, result.state)
    cp = result.checkpoint
    console.show(f"checkpoint verified: {cp.origin}, {cp.size} entries, root {cp.root.hex()}")
    if previous is not None:
        console.show(f"consistent with the checkpoint seen before ({previous.size} entries)")
    if result.entry is not None:
        console.show(f"entry {entry} is included: {result.entry.decode()}")
