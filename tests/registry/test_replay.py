"""Replay rebuilds the registry from the log alone and names the first difference it finds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import rfc8785
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from ecocredit.errors import ReplayMismatch
from ecocredit.ledger import events, store
from ecocredit.registry import audit
from ecocredit.registry import service as registry
from ecocredit.registry.model import RetirementRequest
from ecocredit.registry.replay import Replay, ReplayError
from ecocredit.registry.tables import batches, blocks, retirements
from tests.registry.conftest import Registry


def _busy(reg: Registry) -> None:
    reg.as_("alice", registry.transfer, reg.batch, "bob", "10.5")
    reg.as_("bob", registry.transfer, reg.batch, "carol", "0.25")
    reg.as_("alice", registry.retire, reg.batch, "3", RetirementRequest("CN-BJ"))
    reg.as_("carol", registry.cancel, reg.batch, "0.125", "moved to another registry")
    reg.as_("admin", registry.cancel_buffer, reg.batch, "1", "reversal")


def _check(reg: Registry) -> audit.ReplayReport:
    with reg.runtime.db.read() as session:
        return audit.replay_check(session)


def test_an_untouched_registry_replays_exactly(reg: Registry) -> None:
    _busy(reg)
    report = _check(reg)
    with reg.runtime.db.read() as session:
        assert report.entries == store.read_head(session).size
        stored = session.execute(select(blocks.c.first)).all()
    assert report.blocks == len(stored)


def test_an_altered_balance_is_named(reg: Registry) -> None:
    _busy(reg)
    reg.write(lambda s: s.execute(update(batches).values(retired=batches.c.retired + 1)))
    with pytest.raises(ReplayMismatch, match=f"batch {reg.batch}: retired is"):
        _check(reg)


def test_a_block_given_to_someone_else_is_named(reg: Registry) -> None:
    _busy(reg)
    with reg.runtime.db.read() as session:
        first, owner = session.execute(
            select(blocks.c.first, blocks.c.owner_id).where(blocks.c.state == "tradable")
        ).first() or (0, 0)
    thief = reg.who("carol").account_id
    assert owner != thief
    reg.write(
        lambda s: s.execute(update(blocks).where(blocks.c.first == first).values(owner_id=thief))
    )
    with pytest.raises(ReplayMismatch, match=rf"serial blocks differ: .*:{first}-.* carol"):
        _check(reg)


def test_a_deleted_retirement_is_named(reg: Registry) -> None:
    _busy(reg)
    reg.write(lambda s: s.execute(retirements.delete()))
    with pytest.raises(ReplayMismatch, match="retirements differ"):
        _check(reg)


def _entry(kind: str, data: dict[str, object], actor: str = "mallory") -> bytes:
    return bytes(events.encode(events.EVENTS[kind], actor, data, datetime.now(UTC)))


def _replayed(reg: Registry) -> Replay:
    replay = Replay()
    with reg.runtime.db.read() as session:
        for index, entry, _ in store.read_entries(session, 0, 10_000):
            replay.feed(index, entry)
    return replay


def test_a_forged_transfer_of_units_the_sender_does_not_hold_is_refused(reg: Registry) -> None:
    replay = _replayed(reg)
    forged = {
        "batch": reg.batch,
        "sender": "bob",
        "recipient": "carol",
        "amount": 1,
        "blocks": [[1, 1]],  # unit 1 is alice's
    }
    with pytest.raises(ReplayError, match="'mallory' moves credits of 'bob'"):
        replay.feed(replay.size, _entry("registry.transferred", forged))
    with pytest.raises(ReplayError, match="not the ones bob holds first"):
        replay.feed(replay.size, _entry("registry.transferred", forged, "bob"))
    forged["recipient"] = "nobody"
    with pytest.raises(ReplayError, match="'nobody' is not an account the log opened"):
        replay.feed(replay.size, _entry("registry.transferred", forged, "bob"))
    retired = {**forged, "holder": "bob"}
    with pytest.raises(ReplayError, match="exactly the fields"):
        replay.feed(replay.size, json.dumps(
            {"type": "registry.cancelled", "time": "t", "actor": "bob", "data": retired}
        ).encode())  # fmt: skip


def test_overspending_and_double_issuance_in_the_log_are_refused(reg: Registry) -> None:
    replay = _replayed(reg)
    too_much = {
        "batch": reg.batch,
        "sender": "bob",
        "recipient": "carol",
        "amount": 300_000_001,
        "blocks": [[600_000_001, 900_000_001]],
    }
    with pytest.raises(ReplayError, match="does not hold"):
        replay.feed(replay.size, _entry("registry.transferred", too_much, "bob"))
    again = json.loads(_replayed_entry(reg, "registry.batch_issued"))["data"]
    again["batch"] = reg.batch[:-3] + "002"
    with pytest.raises(ReplayError, match="backs a second batch"):
        replay.feed(
            replay.size,
            rfc8785.dumps(
                {"type": "registry.batch_issued", "time": "t", "actor": "issuer", "data": again}
            ),
        )


def _replayed_entry(reg: Registry, kind: str) -> bytes:
    with reg.runtime.db.read() as session:
        for _, entry, _ in store.read_entries(session, 0, 10_000):
            if json.loads(entry)["type"] == kind:
                return entry
    raise AssertionError(kind)


def test_supply_at_the_checkpoint_is_conserved_and_matches_the_tables(reg: Registry) -> None:
    _busy(reg)
    reg.runtime.sign_checkpoint()
    with reg.runtime.db.read() as session:
        result = audit.LogSupply().at_latest_checkpoint(session)
        row = session.execute(select(batches).where(batches.c.denom == reg.batch)).one()
    assert result["conserved"] is True
    (logged,) = result["batches"]
    assert logged["units"] == {
        "issued": row.issued,
        "tradable": row.tradable,
        "retired": row.retired,
        "cancelled": row.cancelled,
        "buffer": row.buffer,
    }
    assert logged["issued"] == "1000"
    assert result["checkpoint"].startswith("test.ecocredit.example/log\n")


def test_the_audit_endpoint_recomputes_supply_from_the_log(
    client: TestClient, reg: Registry
) -> None:
    _busy(reg)
    reg.runtime.sign_checkpoint()
    body = client.get("/v1/registry/audit").json()
    (row,) = body["batches"]
    assert row["batch"] == reg.batch
    assert row["issued"] == "1000" and row["buffer"] == "99"
    assert row["retired"] == "3" and row["cancelled"] == "1.125"
    assert body["conserved"] is True
    assert body["checkpoint"].splitlines()[1] == str(body["size"])
    # A tampered table does not change what the log says.
    reg.write(lambda s: s.execute(update(batches).values(retired=0)))
    assert client.get("/v1/registry/audit").json()["batches"][0]["retired"] == "3"
    assert client.get("/v1/registry/audit?limit=5").status_code == 400


def test_every_registry_event_is_either_replayed_or_known_to_move_no_credit() -> None:
    from ecocredit.registry.replay import _HANDLERS

    declared = {name for name in events.EVENTS if name.startswith("registry.")}
    # Issuers and reports are learned by the replay's parties; a status moves no credit.
    no_credit_moves = {
        "registry.class_issuers_set",
        "registry.project_status_set",
        "registry.report_filed",
    }
    assert declared - set(_HANDLERS) == no_credit_moves


def test_a_retirement_on_issuance_is_refused_anywhere_but_right_after_its_batch(
    reg: Registry,
) -> None:
    reg.as_("alice", registry.transfer, reg.batch, "bob", "1")  # the issuance is over
    replay = _replayed(reg)
    late = {
        "batch": reg.batch,
        "holder": "alice",
        "amount": 1,
        "blocks": [[1_000_001, 1_000_001]],
        "beneficiary": "alice",
        "beneficiary_kind": "account",
        "reason_code": "voluntary",
        "reason": "",
        "jurisdiction": "CN-BJ",
        "note": "",
    }
    with pytest.raises(ReplayError, match="outside its issuance"):
        replay.feed(replay.size, _entry("registry.issued_retired", late, "issuer"))


def test_issuing_retired_through_the_api(client: TestClient, reg: Registry) -> None:
    from tests.registry.conftest import SHA

    spare = reg.as_(
        "verifier", registry.file_report, reg.project, "2027-01-01", "2027-12-31", "10", SHA
    )["report"]
    body = {
        "report": spare,
        "recipients": [{"account": "bob", "amount": "3"}],
        "retire": {"jurisdiction": "CN-SH", "reason_code": "compliance"},
    }
    made = client.post("/v1/registry/batches", json=body, headers=reg.headers("issuer"))
    assert made.status_code == 201, made.text
    reg.runtime.sign_checkpoint()
    listed = client.get(f"/v1/registry/retirements?batch={made.json()['batch']}").json()
    (only,) = listed["items"]
    assert (only["holder"], only["amount"], only["via"]) == ("bob", "3", "issuance")
    cert = client.get(f"/v1/registry/retirements/{only['ledger_index']}").json()
    assert cert["proof"] is not None
    assert client.get("/v1/registry/audit").json()["conserved"] is True
