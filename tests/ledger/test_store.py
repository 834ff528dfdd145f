"""The log in the database: appends, roots and proofs at every size, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecocredit import migrate
from ecocredit.db import Database
from ecocredit.errors import EntryTooLarge, InvalidParameter
from ecocredit.ledger import merkle, store
from ecocredit.ledger.merkle import InvalidProof
from tests.conftest import BACKENDS, fresh_database

LOG_SIZE = 2000


def _entry(i: int) -> bytes:
    return b'{"n":%d,"pad":"%s"}' % (i, b"x" * (i % 37))


@pytest.fixture(scope="module", params=BACKENDS)
def log(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, list[bytes]]]:
    """A log of 2,000 entries, appended in batches of uneven sizes."""
    with fresh_database(request.param, tmp_path_factory.mktemp("log")) as url:
        db = Database(url)
        migrate.upgrade(db)
        entries = [_entry(i) for i in range(LOG_SIZE)]
        rng = random.Random(7)
        done = 0
        while done < LOG_SIZE:
            batch = entries[done : done + rng.choice([1, 1, 2, 3, 15, 16, 17, 255, 256, 300])]
            db.write(lambda s, b=batch: store.append(s, b))
            done += len(batch)
        yield db, entries
        db.dispose()


def test_head_matches_the_recursive_tree_hash(log: tuple[Database, list[bytes]]) -> None:
    db, entries = log
    with db.read() as session:
        head = store.read_head(session)
        assert head.size == LOG_SIZE
        assert head.root == merkle.reference_hash(entries)
        for size in (0, 1, 2, 3, 15, 16, 17, 1024, 1025, 1999):
            assert store.root_at(session, size) == merkle.reference_hash(entries[:size])


def test_every_proof_up_to_size_40_verifies(log: tuple[Database, list[bytes]]) -> None:
    db, entries = log
    with db.read() as session:
        for size in range(1, 41):
            root = store.root_at(session, size)
            for index in range(size):
                proof = store.inclusion_proof(session, index, size)
                merkle.verify_inclusion(merkle.leaf_hash(entries[index]), index, size, proof, root)
            for first in range(1, size + 1):
                proof = store.consistency_proof(session, first, size)
                merkle.verify_consistency(first, size, store.root_at(session, first), root, proof)


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(data=st.data())
def test_inclusion_proofs_verify_and_any_bit_flip_is_rejected(
    log: tuple[Database, list[bytes]], data: st.DataObject
) -> None:
    db, entries = log
    size = data.draw(st.integers(1, LOG_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    bit = data.draw(st.integers(0, 2**16), label="bit")
    with db.read() as session:
        root = store.root_at(session, size)
        proof = store.inclusion_proof(session, index, size)
        leaf = merkle.leaf_hash(entries[index])
        merkle.verify_inclusion(leaf, index, size, proof, root)
        bad_leaf = merkle.leaf_hash(_flip(entries[index], bit))
        with pytest.raises(InvalidProof):
            merkle.verify_inclusion(bad_leaf, index, size, proof, root)
        with pytest.raises(InvalidProof):
            merkle.verify_inclusion(leaf, index, size, proof, _flip(root, bit))
        if proof:
            k = data.draw(st.integers(0, len(proof) - 1), label="element")
            bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
            with pytest.raises(InvalidProof):
                merkle.verify_inclusion(leaf, index, size, bad, root)
        # A size is only ever checked together with its own root (a checkpoint signs both).
        other = size ^ (1 << data.draw(st.integers(0, 11), label="size bit"))
        if 0 < other <= LOG_SIZE:
            with pytest.raises(InvalidProof):
                merkle.verify_inclusion(leaf, index, other, proof, store.root_at(session, other))


@PROPERTY
@given(data=st.data())
def test_consistency_proofs_verify_and_any_bit_flip_is_rejected(
    log: tuple[Database, list[bytes]], data: st.DataObject
) -> None:
    db, _ = log
    second = data.draw(st.integers(1, LOG_SIZE), label="second")
    first = data.draw(st.integers(1, second), label="first")
    bit = data.draw(st.integers(0, 255), label="bit")
    with db.read() as session:
        roots = {first: store.root_at(session, first), second: store.root_at(session, second)}
        proof = store.consistency_proof(session, first, second)
        merkle.verify_consistency(first, second, roots[first], roots[second], proof)
        with pytest.raises(InvalidProof):
            merkle.verify_consistency(first, second, _flip(roots[first], bit), roots[second], proof)
        with pytest.raises(InvalidProof):
            merkle.verify_consistency(first, second, roots[first], _flip(roots[second], bit), proof)
        if proof:
            k = data.draw(st.integers(0, len(proof) - 1), label="element")
            bad = [*proof[:k], _flip(proof[k], bit), *proof[k + 1 :]]
            with pytest.raises(InvalidProof):
                merkle.verify_consistency(first, second, roots[first], roots[second], bad)
        other = first ^ (1 << data.draw(st.integers(0, 11), label="size bit"))
        if 0 < other < second:
            with pytest.raises(InvalidProof):
                merkle.verify_consistency(
                    other, second, store.root_at(session, other), roots[second], proof
                )


def test_proof_requests_outside_the_tree_name_the_parameter(
    log: tuple[Database, list[bytes]],
) -> None:
    db, _ = log
    with db.read() as session:
        cases = [
            (lambda: store.inclusion_proof(session, 5, 5), "index"),
            (lambda: store.inclusion_proof(session, 0, LOG_SIZE + 1), "size"),
            (lambda: store.consistency_proof(session, 6, 5), "first"),
            (lambda: store.consistency_proof(session, 0, 5), "first"),
            (lambda: store.consistency_proof(session, 1, LOG_SIZE + 1), "second"),
            (lambda: store.root_at(session, LOG_SIZE + 1), "size"),
        ]
        for call, field in cases:
            with pytest.raises(InvalidParameter) as caught:
                call()
            assert caught.value.field == field


def test_oversized_entry_is_refused_and_nothing_is_written(database_url: str) -> None:
    db = Database(database_url)
    migrate.upgrade(db)
    with pytest.raises(EntryTooLarge):
        db.write(lambda s: store.append(s, [b"ok", b"x" * 65_536]))
    with db.read() as session:
        assert store.read_head(session).size == 0
    db.dispose()


def _serializable(url: str) -> str:
    # SQLite transactions are always serializable; PostgreSQL is made so for every transaction,
    # as distributed PostgreSQL-compatible engines are by default.
    if url.startswith("sqlite"):
        return url
    return url + "%20-cdefault_transaction_isolation%3Dserializable"


@pytest.mark.parametrize("isolation", ["default", "serializable"])
def test_concurrent_writers_get_gap_free_indices(database_url: str, isolation: str) -> None:
    db = Database(_serializable(database_url) if isolation == "serializable" else database_url)
    migrate.upgrade(db)
    firsts: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        try:
            for i in range(20):
                batch = [b"w%d-%d-%d" % (worker, i, k) for k in range(worker + 1)]
                first = db.write(lambda s, b=batch: store.append(s, b))
                with lock:
                    firsts.append(first)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as session:
        head = store.read_head(session)
        rows = store.read_entries(session, 0, head.size)
    assert head.size == 20 * (1 + 2 + 3 + 4)
    assert [i for i, _, _ in rows] == list(range(head.size))
    assert len(set(firsts)) == len(firsts) == 80
    assert head.root == merkle.reference_hash([e for _, e, _ in rows])
    db.dispose()


def test_a_read_transaction_sees_one_snapshot(database_url: str) -> None:
    db = Database(database_url)
    migrate.upgrade(db)
    db.write(lambda s: store.append(s, [b"a", b"b"]))
    with db.read() as session:
        assert store.read_head(session).size == 2
        db.write(lambda s: store.append(s, [b"c"]))  # commits while the reader is open
        assert store.read_entries(session, 0, 10) == store.read_entries(session, 0, 2)
        assert store.read_head(session).size == 2
    with db.read() as session:
        assert store.read_head(session).size == 3
    db.dispose()
