"""A writer killed with SIGKILL mid-stream leaves a log that verifies and keeps every commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ecocredit.ledger import merkle, store
from ecocredit.ledger.verify import verify_log
from ecocredit.runtime import InitResult

WRITER = Path(__file__).with_name("crash_writer.py")


def test_sigkill_mid_append_loses_no_committed_entry(installed: InitResult) -> None:
    rt = installed.runtime
    with rt.db.read() as session:
        before = store.read_head(session).size
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), rt.db.url], stdout=subprocess.PIPE, text=True, env=env
    )
    assert writer.stdout is not None
    committed: list[tuple[int, int]] = []
    deadline = time.monotonic() + 60
    while len(committed) < 150 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        first, count = map(int, line.split())
        committed.append((first, count))
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    committed += [tuple(map(int, line.split())) for line in writer.stdout.read().splitlines()]
    assert len(committed) >= 150, "the writer did not get going"

    with rt.db.read() as session:
        report = verify_log(session, rt.signer.verifier)
        everything = store.read_entries(session, 0, report.size)
    rows = everything[before:]
    # Every append whose commit returned is there, in order, with its own entries.
    assert committed[0][0] == before
    last_first, last_count = committed[-1]
    assert report.size >= last_first + last_count
    # The writer's n-th commit (its n-th line) wrote exactly these entries, at these indices.
    for n, (first, count) in enumerate(committed):
        assert count == 1 + n % 3
        for k in range(count):
            assert rows[first - before + k][1] == b'{"crash":%d,"k":%d}' % (n, k)
    assert report.root == merkle.root_of(leaf for _, _, leaf in everything)
