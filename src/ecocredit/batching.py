"""Group commit: many small write operations share one transaction, each in its own savepoint.

Every write appends to the log, and the log head is one row, so writers run one at a time.
On PostgreSQL with durable commits, the commit (a WAL flush) then dominates: one writer at
a time can never commit more often than the disk flushes. The batcher lifts that ceiling the
way databases do internally: operations submitted by concurrent callers (API requests,
threads) queue up; one worker thread runs as many as are waiting, each inside a SAVEPOINT,
and commits them together. Each operation is still atomic with its log entries — a failing
one rolls back to its savepoint and gets its own error — and no caller hears of success
before the shared commit is durable. A commit that fails is retried whole, as a single write
would be.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ecocredit.db import is_retryable
from ecocredit.ledger import store

T = TypeVar("T")
MAX_BATCH = 256


@dataclass
class _Job:
    work: Callable[[Session], Any]
    future: Future[Any]
    outcome: tuple[bool, Any] | None = None  # (ok, result or error) within the current try


class WriteBatcher:
    """A worker thread that commits queued write operations together."""

    def __init__(self, write: Callable[[Callable[[Session], Any]], Any]) -> None:
        """Use ``write`` (``Database.write``: one retried transaction) for each group."""
        self._write = write
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ecocredit-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a shared transaction; return its result or raise its error."""
        job = _Job(work, Future())
        self._queue.put(job)
        result: T = job.future.result()
        return result

    def close(self) -> None:
        """Finish the queued work and stop the worker."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            stop = False
            while len(jobs) < MAX_BATCH:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
            self._commit(jobs)
            if stop:
                return

    def _commit(self, jobs: list[_Job]) -> None:
        try:
            self._write(lambda session: _run_each(session, jobs))
        except BaseException as exc:  # the shared commit failed even after retries
            for job in jobs:
                job.future.set_exception(exc)
            return
        for job in jobs:
            assert job.outcome is not None
            ok, value = job.outcome
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)


def _run_each(session: Session, jobs: list[_Job]) -> None:
    if len(jobs) == 1:
        # Alone, an operation needs no savepoint: its failure rolls back the transaction,
        # which holds nothing else, and reaches its caller through Database.write.
        jobs[0].outcome = (True, jobs[0].work(session))
        return
    # Lock the log once for the group, and write its head row once at the end.
    store.defer_head_writes(session)
    for job in jobs:
        before = store.snapshot_head(session)
        savepoint = session.begin_nested()
        try:
            result = job.work(session)
        except DBAPIError as exc:
            savepoint.rollback()
            store.restore_head(session, before)
            if is_retryable(exc):
                # A lost serialization race or a dead connection dooms the whole
                # transaction: Database.write retries every job of the group.
                raise
            job.outcome = (False, exc)
            continue
        except Exception as exc:  # one operation's failure is its own alone
            savepoint.rollback()
            store.restore_head(session, before)
            job.outcome = (False, exc)
            continue
        savepoint.commit()
        job.outcome = (True, result)
    store.flush_head(session)
