"""The retirement certificate: what was retired, for whom, and the proof that the log holds it.

A certificate carries the log entry of the retirement (its exact bytes and leaf hash) and an
RFC 9162 inclusion proof of that entry against the latest signed checkpoint, so anyone with
the log's public key can check it without trusting this server: verify the checkpoint's
signature, hash the entry, and fold the proof up to the checkpoint's root.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.errors import LedgerCorrupt, NotFound
from ecocredit.ledger import checkpoints, store
from ecocredit.registry import serials
from ecocredit.registry.model import Span
from ecocredit.registry.queries import iso_date
from ecocredit.registry.queries_credits import retirement, retirement_select
from ecocredit.registry.tables import (
    batches,
    blocks,
    cancellations,
    classes,
    credit_types,
    projects,
    retirements,
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _record(session: Session, index: int) -> dict[str, Any]:
    """The retirement at ``index`` with its batch, project, class and credit type."""
    stmt = retirement_select().add_columns(
        batches.c.id.label("batch_id"),
        batches.c.vintage_start,
        batches.c.vintage_end,
        projects.c.name.label("project_name"),
        projects.c.jurisdiction.label("project_jurisdiction"),
        classes.c.id.label("class_id"),
        classes.c.name.label("class_name"),
        classes.c.methodology,
        classes.c.methodology_version,
        credit_types.c.abbrev,
        credit_types.c.unit,
    )
    row = session.execute(stmt.where(retirements.c.ledger_index == index)).first()
    if row is not None:
        return dict(row._mapping) | {"record": retirement(row)}
    cancelled = select(cancellations.c.ledger_index).where(cancellations.c.ledger_index == index)
    if session.execute(cancelled).first() is not None:
        raise NotFound(
            f"ledger entry {index} is a cancellation, not a retirement: a cancellation has "
            "no certificate (see /v1/registry/cancellations)",
            field="index",
        )
    raise NotFound(f"no retirement at ledger index {index}", field="index")


def _spans(session: Session, batch_id: int, index: int) -> list[Span]:
    """The serial blocks the retirement finalised (blocks of one operation never change)."""
    query = (
        select(blocks.c.first, blocks.c.last)
        .where(blocks.c.batch_id == batch_id, blocks.c.op == index)
        .order_by(blocks.c.first)
    )
    return [Span(int(f), int(last)) for f, last in session.execute(query)]


def _proof(session: Session, index: int) -> tuple[dict[str, Any] | None, str | None]:
    """The inclusion proof against the latest checkpoint, or why there is none yet."""
    checkpoint = checkpoints.require_latest(session)
    if index >= checkpoint.size:
        return None, (
            f"entry {index} is newer than the latest signed checkpoint (size "
            f"{checkpoint.size}); the proof appears once the next checkpoint is signed"
        )
    hashes = store.inclusion_proof(session, index, checkpoint.size)
    proof = {
        "checkpoint": checkpoint.note,
        "size": checkpoint.size,
        "root": _b64(checkpoint.root),
        "hashes": [_b64(h) for h in hashes],
    }
    return proof, None


def certificate(session: Session, index: int) -> dict[str, Any]:
    """The certificate of the retirement at ledger index ``index``, with its inclusion proof."""
    row = _record(session, index)
    record = row["record"]
    spans = _spans(session, int(row["batch_id"]), index)
    entries = store.read_entries(session, index, index + 1)
    if not entries:
        raise LedgerCorrupt(f"retirement {index} has no log entry", index=index)
    _, entry, leaf = entries[0]
    proof, pending = _proof(session, index)
    return {
        **record,
        "vintage_start": iso_date(row["vintage_start"]),
        "vintage_end": iso_date(row["vintage_end"]),
        "project": {
            "id": record["project"],
            "name": row["project_name"],
            "jurisdiction": row["project_jurisdiction"],
        },
        "class": {
            "id": row["class_id"],
            "name": row["class_name"],
            "methodology": row["methodology"],
            "methodology_version": row["methodology_version"],
        },
        "credit_type": {"abbrev": row["abbrev"], "unit": row["unit"]},
        "blocks": serials.pairs(spans),
        "serials": [serials.serial(record["batch"], s) for s in spans],
        "entry": {"index": index, "entry": _b64(entry), "leaf_hash": leaf.hex()},
        "proof": proof,
        "proof_pending": pending,
    }
