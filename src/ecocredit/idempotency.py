"""Idempotent writes: a client's ``Idempotency-Key`` makes a retried request safe.

The first request with a key runs and its response is stored in the same transaction as its
effect; a retry with the same key and the same body gets the stored response and changes
nothing; the same key with a different body is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.accounts.tables import idempotency_keys
from ecocredit.errors import IdempotencyConflict, InvalidParameter
from ecocredit.ledger import store

MAX_KEY_LENGTH = 200


def _check_key(key: str) -> None:
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidParameter(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
            field="Idempotency-Key",
        )


def run_once(
    session: Session,
    caller: Principal,
    key: str | None,
    request: Any,
    work: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run ``work`` (returning status and JSON body) unless ``key`` already ran it."""
    if key is None:
        return work()
    _check_key(key)
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).digest()
    # Every idempotent write appends to the log, so queue behind the log's writers first: two
    # retries of one request then run one after the other, and the second finds the first.
    store.read_head(session, lock=True)
    query = select(
        idempotency_keys.c.request_hash, idempotency_keys.c.status, idempotency_keys.c.response
    ).where(idempotency_keys.c.account_id == caller.account_id, idempotency_keys.c.key == key)
    seen = session.execute(query).first()
    if seen is not None:
        if bytes(seen.request_hash) != digest:
            raise IdempotencyConflict(
                "this Idempotency-Key was used for a different request", field="Idempotency-Key"
            )
        return int(seen.status), json.loads(seen.response)
    status, body = work()
    session.execute(
        insert(idempotency_keys).values(
            account_id=caller.account_id,
            key=key,
            request_hash=digest,
            status=status,
            response=json.dumps(body),
            created_at=datetime.now(UTC),
        )
    )
    return status, body
