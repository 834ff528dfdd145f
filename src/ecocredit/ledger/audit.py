"""The auditor a witness or monitor runs: it trusts nothing but the log's public key.

It fetches the log's checkpoint and checks its signature, rebuilds the root from the public
tlog tiles, proves the new checkpoint consistent with the last one it saw (kept in a state
file), and optionally proves one entry included. Every hash it checks is computed here, from
tiles, never taken from the server. If the log forked, shrank or rewrote history, the audit
fails and keeps both signed checkpoints as evidence; the state file only moves forward.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecocredit.ledger import merkle
from ecocredit.ledger.merkle import InvalidProof
from ecocredit.ledger.note import Checkpoint, NoteError, Verifier, open_checkpoint
from ecocredit.ledger.tiles import TileReader


class AuditFailure(Exception):
    """The log is not what its signed checkpoints promise; the message says how."""


class NotInLogYet(Exception):
    """The entry asked for is beyond the log's signed size: nothing is wrong with the log."""


@dataclass(frozen=True)
class AuditState:
    """The last checkpoint this auditor verified."""

    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class AuditResult:
    """What one audit run proved."""

    checkpoint: Checkpoint
    note: str
    previous: AuditState | None
    entry: bytes | None

    @property
    def state(self) -> AuditState:
        """The state to keep for the next run."""
        return AuditState(self.checkpoint.size, self.checkpoint.root, self.note)


def load_state(path: Path) -> AuditState | None:
    """Read the state file, or None if there is none yet."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return AuditState(int(data["size"]), base64.b64decode(data["root"]), str(data["note"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditFailure(f"{path}: the audit state file is unreadable: {exc}") from exc


def save_state(path: Path, state: AuditState) -> None:
    """Write the state file atomically (a crash leaves the old state or the new one)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(
            {
                "size": state.size,
                "root": base64.b64encode(state.root).decode(),
                "note": state.note,
            },
            indent=1,
        )
    )
    tmp.replace(path)


def audit(
    fetch: Callable[[str], bytes],
    verifier: Verifier,
    previous: AuditState | None,
    entry_index: int | None = None,
) -> AuditResult:
    """Check the log reached through ``fetch(path)`` against ``previous``; raise on any fault."""
    try:
        note = fetch("checkpoint").decode()
        checkpoint = open_checkpoint(note, verifier)
    except UnicodeDecodeError as exc:
        raise AuditFailure("the checkpoint is not UTF-8 text") from exc
    except NoteError as exc:
        raise AuditFailure(f"the checkpoint does not verify with the log's key: {exc}") from exc
    reader = TileReader(checkpoint.size, fetch)
    try:
        if reader.root() != checkpoint.root:
            raise AuditFailure("the log's tiles do not hash to its signed root")
        _check_consistency(reader, checkpoint, previous, note)
        entry = None
        if entry_index is not None:
            entry = _check_inclusion(reader, checkpoint, entry_index)
    except ValueError as exc:  # malformed tiles or bundles
        raise AuditFailure(f"the log serves malformed tiles: {exc}") from exc
    return AuditResult(checkpoint, note, previous, entry)


def _evidence(previous: AuditState, note: str) -> str:
    return f"\n--- checkpoint seen before ---\n{previous.note}--- checkpoint now ---\n{note}"


def _check_consistency(
    reader: TileReader, checkpoint: Checkpoint, previous: AuditState | None, note: str
) -> None:
    if previous is None or previous.size == 0:
        return
    if previous.size > checkpoint.size:
        raise AuditFailure(
            f"the log shrank from {previous.size} to {checkpoint.size} entries: it was rolled "
            "back or forked" + _evidence(previous, note)
        )
    if previous.size == checkpoint.size:
        if previous.root != checkpoint.root:
            raise AuditFailure(
                f"two signed checkpoints of size {checkpoint.size} have different roots: the "
                "log forked" + _evidence(previous, note)
            )
        return
    proof = reader.consistency_proof(previous.size)
    try:
        merkle.verify_consistency(
            previous.size, checkpoint.size, previous.root, checkpoint.root, proof
        )
    except InvalidProof as exc:
        raise AuditFailure(
            f"the log at size {checkpoint.size} does not extend the log at size "
            f"{previous.size} ({exc}): history was rewritten" + _evidence(previous, note)
        ) from exc


def _check_inclusion(reader: TileReader, checkpoint: Checkpoint, index: int) -> bytes:
    if not 0 <= index < checkpoint.size:
        raise NotInLogYet(
            f"entry {index} is not in the log yet: its signed checkpoint has {checkpoint.size}"
        )
    entry = reader.entry(index)
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(entry),
            index,
            checkpoint.size,
            reader.inclusion_proof(index),
            checkpoint.root,
        )
    except InvalidProof as exc:
        raise AuditFailure(f"entry {index} is not proven in the signed tree: {exc}") from exc
    return entry
