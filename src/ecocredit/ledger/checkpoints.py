"""Signed checkpoints of the log, and the public key they are signed with.

A checkpoint is signed from the head read under the writers' lock, so the log can never sign
two checkpoints that disagree: each one's tree is a prefix of the next one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, func, insert, select
from sqlalchemy.orm import Session

from ecocredit.errors import NotFound, SigningKeyError
from ecocredit.ledger import store
from ecocredit.ledger.note import Checkpoint, Signer, sign_note
from ecocredit.ledger.tables import ledger_checkpoints, ledger_keys


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as stored: its size, root, signed note and when it was signed."""

    size: int
    root: bytes
    note: str
    signed_at: datetime


def _row_to_checkpoint(row: Row[Any]) -> SignedCheckpoint:
    signed_at: datetime = row.signed_at
    if signed_at.tzinfo is None:  # SQLite keeps no zone; every stored time is UTC
        signed_at = signed_at.replace(tzinfo=UTC)
    return SignedCheckpoint(int(row.size), bytes(row.root), str(row.note), signed_at)


def latest(session: Session) -> SignedCheckpoint | None:
    """Return the newest signed checkpoint, or None before the first one."""
    query = select(ledger_checkpoints).order_by(ledger_checkpoints.c.size.desc()).limit(1)
    row = session.execute(query).first()
    return None if row is None else _row_to_checkpoint(row)


def require_latest(session: Session) -> SignedCheckpoint:
    """Return the newest signed checkpoint, or raise :class:`NotFound`."""
    checkpoint = latest(session)
    if checkpoint is None:
        raise NotFound("the log has no signed checkpoint yet: run `ecocredit init`")
    return checkpoint


def sign(
    session: Session, signer: Signer, *, min_interval: float | None = None
) -> SignedCheckpoint | None:
    """Sign the current head if it is newer than the latest checkpoint.

    With ``min_interval``, sign only if the latest checkpoint is at least that many seconds
    old (the rate limit for bursts of writes). Returns the new checkpoint, or None.
    """
    head = store.read_head(session, lock=True)
    previous = latest(session)
    if previous is not None and previous.size >= head.size:
        return None
    now = datetime.now(UTC)
    if (
        min_interval is not None
        and previous is not None
        and now - previous.signed_at < timedelta(seconds=min_interval)
    ):
        return None
    note = sign_note(Checkpoint(signer.name, head.size, head.root).text(), signer)
    session.execute(
        insert(ledger_checkpoints).values(size=head.size, root=head.root, note=note, signed_at=now)
    )
    return SignedCheckpoint(head.size, head.root, note, now)


def has_key_query() -> Select[tuple[str]]:
    """The query that finds any registered log key."""
    return select(ledger_keys.c.verifier).limit(1)


def register_key(session: Session, signer: Signer) -> bool:
    """Record the signer's public key as the log's key if the log has none; return if it did."""
    if session.execute(select(func.count()).select_from(ledger_keys)).scalar_one():
        return False
    session.execute(
        insert(ledger_keys).values(verifier=signer.verifier.text(), created_at=datetime.now(UTC))
    )
    return True


def check_key(session: Session, signer: Signer, key_path: str) -> None:
    """Refuse a key file that is not the log's active key (a replaced or foreign key)."""
    query = select(ledger_keys.c.verifier).where(ledger_keys.c.retired_at.is_(None))
    active = set(session.execute(query).scalars())
    if not active:
        raise SigningKeyError("the log has no registered signing key: run `ecocredit init`")
    if signer.verifier.text() not in active:
        raise SigningKeyError(
            f"{key_path}: this is not the log's signing key (the log's key is "
            f"{sorted(active)[0]}); restore the original key file"
        )


def public_key(session: Session) -> str:
    """Return the log's active verifier key."""
    query = select(ledger_keys.c.verifier).where(ledger_keys.c.retired_at.is_(None))
    verifier = session.execute(query.order_by(ledger_keys.c.created_at.desc())).scalar()
    if verifier is None:
        raise NotFound("the log has no signing key yet: run `ecocredit init`")
    return str(verifier)
