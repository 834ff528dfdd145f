"""Checkpoints are signed after a burst of writes, at most once per interval, and on demand."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from ecocredit.ledger import checkpoints, store
from ecocredit.runtime import InitResult


def test_a_burst_of_writes_gets_one_checkpoint_soon_after(
    client: TestClient, installed: InitResult, admin_headers: dict[str, str]
) -> None:
    rt = installed.runtime
    for i in range(5):
        client.post("/v1/ledger/notices", json={"text": f"burst {i}"}, headers=admin_headers)
    deadline = time.monotonic() + 10
    latest = None
    while time.monotonic() < deadline:
        with rt.db.read() as session:
            latest = checkpoints.latest(session)
        if latest is not None and latest.size == 8:
            break
        time.sleep(0.05)
    assert latest is not None and latest.size == 8


def test_rate_limit_and_no_duplicate_checkpoints(installed: InitResult) -> None:
    rt = installed.runtime
    assert rt.db.write(lambda s: checkpoints.sign(s, rt.signer)) is None  # nothing new
    rt.db.write(lambda s: store.append(s, [b"{}"]))
    limited = rt.db.write(lambda s: checkpoints.sign(s, rt.signer, min_interval=3600))
    assert limited is None
    signed = rt.db.write(lambda s: checkpoints.sign(s, rt.signer))
    assert signed is not None and signed.size == 4


def test_continuous_writes_are_checkpointed_at_most_once_per_interval(
    client: TestClient, installed: InitResult, admin_headers: dict[str, str]
) -> None:
    from sqlalchemy import func, select

    from ecocredit.ledger.tables import ledger_checkpoints

    rt = installed.runtime
    interval = rt.settings.checkpoint_interval
    count = select(func.count()).select_from(ledger_checkpoints)
    with rt.db.read() as session:
        before = session.execute(count).scalar_one()
    started, writes = time.monotonic(), 0
    while time.monotonic() - started < 1.0:
        client.post("/v1/ledger/notices", json={"text": f"stream {writes}"}, headers=admin_headers)
        writes += 1
    elapsed = time.monotonic() - started
    with rt.db.read() as session:
        signed = session.execute(count).scalar_one() - before
    assert writes > 10
    assert signed >= 1, "a stream of writes got no checkpoint"
    assert signed <= elapsed / interval + 2, f"{signed} checkpoints in {elapsed:.2f} s"
