"""The registry's HTTP API as a client uses it: writes, reads, CSV, certificates, errors."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecocredit.app import create_app
from ecocredit.ledger import merkle, note, store
from tests.conftest import ORIGIN
from tests.registry.conftest import SHA, Registry

API = "/v1/registry"


@pytest.fixture
def api(reg: Registry) -> Iterator[TestClient]:
    """A client of the populated registry."""
    with TestClient(create_app(runtime=reg.runtime)) as client:
        yield client


def _post(api: TestClient, reg: Registry, who: str, path: str, body: dict[str, Any]) -> Any:
    response = api.post(API + path, json=body, headers=reg.headers(who))
    assert response.status_code == 201, response.text
    return response.json()


def _size(reg: Registry) -> int:
    with reg.runtime.db.read() as session:
        return store.read_head(session).size


def _supply(api: TestClient, batch: str) -> dict[str, str]:
    body = api.get(f"{API}/batches/{batch}").json()
    return {k: body[k] for k in ("issued", "tradable", "retired", "cancelled", "buffer")}


def test_a_batch_issued_moved_retired_and_cancelled_over_http(
    api: TestClient, reg: Registry
) -> None:
    report = _post(
        api,
        reg,
        "verifier",
        "/reports",
        {
            "project": reg.project,
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
            "verified": "50",
            "document_sha256": SHA,
        },
    )["report"]
    issued = _post(
        api,
        reg,
        "issuer",
        "/batches",
        {
            "report": report,
            "recipients": [
                {"account": "alice", "amount": "30"},
                {"account": "bob", "amount": "15"},
            ],
            "buffer_share": "0.1",
            "reference": "XL-2027",
        },
    )
    batch = issued["batch"]
    assert batch == "C01-001-20270101-20271231-002"
    assert _supply(api, batch) == {
        "issued": "50",
        "tradable": "45",
        "retired": "0",
        "cancelled": "0",
        "buffer": "5",
    }
    _post(api, reg, "alice", "/transfers", {"batch": batch, "recipient": "carol", "amount": "10"})
    moved = _post(
        api,
        reg,
        "bob",
        "/transfers",
        {"batch": batch, "recipient": "carol", "amount": "1", "retire": {"jurisdiction": "CN-SH"}},
    )
    assert moved["retirement"] == moved["ledger_index"]
    _post(
        api,
        reg,
        "alice",
        "/retirements",
        {"batch": batch, "amount": "2.25", "jurisdiction": "CN-BJ", "reason_code": "neutrality"},
    )
    _post(api, reg, "carol", "/cancellations", {"batch": batch, "amount": "3", "reason": "moved"})
    _post(
        api,
        reg,
        "admin",
        "/buffer-cancellations",
        {"batch": batch, "amount": "1", "reason": "reversal: grassland fire"},
    )
    assert _supply(api, batch) == {
        "issued": "50",
        "tradable": "38.75",
        "retired": "3.25",
        "cancelled": "4",
        "buffer": "4",
    }
    listed = api.get(f"{API}/batches", params={"project": reg.project}).json()["items"]
    assert [b["batch"] for b in listed] == [reg.batch, batch]


def test_catalogue_writes_and_reads(api: TestClient, reg: Registry) -> None:
    added = _post(
        api,
        reg,
        "admin",
        "/credit-types",
        {"abbrev": "BIO", "name": "Biodiversity", "unit": "ha", "precision": 2},
    )
    assert added["abbrev"] == "BIO"
    created = _post(
        api,
        reg,
        "admin",
        "/classes",
        {
            "credit_type": "BIO",
            "name": "Wetland",
            "methodology": "BIO-M1",
            "methodology_version": "1.0",
            "admin": "registrar",
            "issuers": ["issuer"],
        },
    )
    assert created["class_id"] == "BIO01"
    _post(api, reg, "registrar", "/classes/BIO01/issuers", {"issuers": ["issuer"]})
    project = _post(
        api,
        reg,
        "issuer",
        "/projects",
        {
            "class_id": "BIO01",
            "name": "Poyang wetland",
            "admin": "developer",
            "jurisdiction": "CN-JX",
            "location": "Poyang Lake",
        },
    )["project"]
    _post(
        api, reg, "issuer", f"/projects/{project}/status", {"status": "registered", "reason": "ok"}
    )
    assert api.get(f"{API}/projects/{project}").json()["status"] == "registered"
    cls = api.get(f"{API}/classes/BIO01").json()
    assert (cls["methodology"], cls["issuers"], cls["admin"]) == ("BIO-M1", ["issuer"], "registrar")
    types = api.get(f"{API}/credit-types").json()["items"]
    assert [t["abbrev"] for t in types] == ["BIO", "C"]
    in_cn = api.get(f"{API}/projects", params={"jurisdiction": "CN"}).json()["items"]
    assert {p["project"] for p in in_cn} == {reg.project, project}


def test_holdings_and_serials_of_a_transferred_and_a_retired_unit(
    api: TestClient, reg: Registry
) -> None:
    _post(
        api, reg, "alice", "/transfers", {"batch": reg.batch, "recipient": "carol", "amount": "1"}
    )
    retired = _post(
        api,
        reg,
        "carol",
        "/retirements",
        {"batch": reg.batch, "amount": "0.5", "jurisdiction": "CN"},
    )
    held = api.get(f"{API}/accounts/carol/holdings").json()
    assert held["account"] == "carol"
    assert [(h["state"], h["amount"], h["blocks"]) for h in held["items"]] == [
        ("retired", "0.5", [[1, 500_000]]),
        ("tradable", "0.5", [[500_001, 1_000_000]]),
    ]
    tradable = api.get(f"{API}/serials/{reg.batch}/999999").json()
    assert (tradable["owner"], tradable["state"], tradable["retirement"]) == (
        "carol",
        "tradable",
        None,
    )
    assert tradable["serial"] == f"{reg.batch}:500001-1000000"
    gone = api.get(f"{API}/serials/{reg.batch}/42").json()
    assert (gone["owner"], gone["state"]) == ("carol", "retired")
    assert gone["retirement"]["ledger_index"] == retired["ledger_index"]
    missing = api.get(f"{API}/serials/{reg.batch}/1000000001")
    assert missing.status_code == 404
    assert missing.json()["error"]["field"] == "unit"


def test_certificate_inclusion_proof_verifies_against_the_signed_checkpoint(
    api: TestClient, reg: Registry
) -> None:
    retired = _post(
        api,
        reg,
        "alice",
        "/retirements",
        {
            "batch": reg.batch,
            "amount": "12",
            "jurisdiction": "CN-BJ",
            "reason_code": "voluntary",
            "reason": "2026 office electricity",
            "beneficiary_name": "Acme Ltd",
            "note": "scope 2",
        },
    )
    index = retired["ledger_index"]
    signed = api.post("/v1/ledger/checkpoint", headers=reg.headers("admin"))
    assert signed.status_code == 200
    cert = api.get(f"{API}/retirements/{index}").json()
    assert (cert["amount"], cert["beneficiary"], cert["holder"]) == ("12", "Acme Ltd", "alice")
    assert cert["class"]["methodology_version"] == "V01"
    assert cert["project"]["jurisdiction"] == "CN-NM"
    assert cert["blocks"] == [[1, 12_000_000]]
    key = note.parse_verifier(api.get("/v1/ledger/key").text)
    checkpoint = note.open_checkpoint(cert["proof"]["checkpoint"], key, ORIGIN)
    entry = base64.b64decode(cert["entry"]["entry"])
    leaf = merkle.leaf_hash(entry)
    assert leaf.hex() == cert["entry"]["leaf_hash"]
    hashes = [base64.b64decode(h) for h in cert["proof"]["hashes"]]
    merkle.verify_inclusion(leaf, index, checkpoint.size, hashes, checkpoint.root)
    assert api.get(f"{API}/retirements/{index + 999}").status_code == 404


def test_unknown_filter_is_400_naming_the_parameter(api: TestClient) -> None:
    response = api.get(f"{API}/retirements", params={"benefciary": "alice"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "benefciary"
    response = api.get(f"{API}/batches/C01-001-20260101-20261231-001", params={"x": "1"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "x"


@pytest.mark.parametrize("limit", [0, 1001])
def test_limit_outside_1_to_1000_is_400(api: TestClient, limit: int) -> None:
    response = api.get(f"{API}/batches", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "limit"


def test_unknown_ids_are_404_naming_the_field(api: TestClient) -> None:
    for path, field in [
        ("/classes/C09", "class_id"),
        ("/projects/C01-009", "project"),
        ("/batches/C01-001-20260101-20261231-009", "batch"),
        ("/accounts/nobody/holdings", "name"),
        ("/projects?class_id=C09", "class_id"),
    ]:
        response = api.get(API + path)
        assert response.status_code == 404, path
        assert response.json()["error"]["field"] == field


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_exports_have_a_header_and_rows(api: TestClient, reg: Registry) -> None:
    rows = _csv(api.get(f"{API}/batches", params={"format": "csv"}))
    assert [(r["batch"], r["issued"], r["buffer"]) for r in rows] == [(reg.batch, "1000", "100")]
    rows = _csv(api.get(f"{API}/accounts/alice/holdings", params={"format": "csv"}))
    assert rows == [
        {"batch": reg.batch, "state": "tradable", "amount": "600", "blocks": "1-600000000"}
    ]
    empty = api.get(f"{API}/retirements", params={"format": "csv"})
    assert empty.text.splitlines()[0].startswith("ledger_index,batch,project,holder,amount")


def test_retirements_csv_excludes_cancellations(api: TestClient, reg: Registry) -> None:
    _post(api, reg, "bob", "/cancellations", {"batch": reg.batch, "amount": "5", "reason": "moved"})
    retired = _post(
        api, reg, "alice", "/retirements", {"batch": reg.batch, "amount": "1", "jurisdiction": "CN"}
    )
    rows = _csv(api.get(f"{API}/retirements", params={"format": "csv"}))
    assert [int(r["ledger_index"]) for r in rows] == [retired["ledger_index"]]
    cancelled = _csv(api.get(f"{API}/cancellations", params={"format": "csv"}))
    assert [(r["holder"], r["amount"], r["kind"]) for r in cancelled] == [("bob", "5", "holder")]


def test_idempotent_retry_returns_the_first_result_and_writes_once(
    api: TestClient, reg: Registry
) -> None:
    body = {"batch": reg.batch, "recipient": "carol", "amount": "1"}
    headers = {**reg.headers("alice"), "Idempotency-Key": "transfer-0001"}
    before = _size(reg)
    first = api.post(f"{API}/transfers", json=body, headers=headers)
    again = api.post(f"{API}/transfers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert _size(reg) == before + 1
    assert _supply(api, reg.batch)["tradable"] == "900"
    held = api.get(f"{API}/accounts/carol/holdings").json()["items"]
    assert [h["amount"] for h in held] == ["1"]
    other = api.post(f"{API}/transfers", json={**body, "amount": "2"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["field"] == "Idempotency-Key"


def test_a_caller_without_the_holder_role_gets_403(api: TestClient, reg: Registry) -> None:
    body = {"batch": reg.batch, "recipient": "carol", "amount": "1"}
    response = api.post(f"{API}/transfers", json=body, headers=reg.headers("verifier"))
    assert response.status_code == 403
    response = api.post(
        f"{API}/buffer-cancellations",
        json={"batch": reg.batch, "amount": "1", "reason": "r"},
        headers=reg.headers("alice"),
    )
    assert response.status_code == 403


def test_a_write_without_a_key_gets_401(api: TestClient, reg: Registry) -> None:
    before = _size(reg)
    response = api.post(
        f"{API}/retirements", json={"batch": reg.batch, "amount": "1", "jurisdiction": "CN"}
    )
    assert response.status_code == 401
    assert _size(reg) == before


def test_bodies_are_strict(api: TestClient, reg: Registry) -> None:
    extra = {"batch": reg.batch, "amount": "1", "jurisdiction": "CN", "price": "5"}
    response = api.post(f"{API}/retirements", json=extra, headers=reg.headers("alice"))
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "price"
    number = {"batch": reg.batch, "amount": 1, "jurisdiction": "CN"}  # amounts are strings
    response = api.post(f"{API}/retirements", json=number, headers=reg.headers("alice"))
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "amount"


def test_more_than_held_is_409_saying_what_is_held(api: TestClient, reg: Registry) -> None:
    body = {"batch": reg.batch, "amount": "601", "jurisdiction": "CN"}
    response = api.post(f"{API}/retirements", json=body, headers=reg.headers("alice"))
    assert response.status_code == 409
    assert "holds 600 tradable" in response.json()["error"]["message"]
