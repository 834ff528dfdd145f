"""The log's HTTP API: checkpoints, entries, proofs, notices, tiles, errors and access rules."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ecocredit.ledger import merkle, note, tiles
from ecocredit.ledger.tiles import TileReader
from ecocredit.runtime import InitResult
from tests.conftest import ORIGIN


def _notices(client: TestClient, headers: dict[str, str], count: int) -> None:
    for i in range(count):
        response = client.post("/v1/ledger/notices", json={"text": f"notice {i}"}, headers=headers)
        assert response.status_code == 201, response.text


def _signed(client: TestClient, headers: dict[str, str]) -> note.Checkpoint:
    note_text = client.post("/v1/ledger/checkpoint", headers=headers).text
    key = note.parse_verifier(client.get("/v1/ledger/key").text)
    return note.open_checkpoint(note_text, key, ORIGIN)


def test_checkpoint_is_a_signed_note_that_verifies_with_the_public_key(
    client: TestClient, installed: InitResult
) -> None:
    response = client.get("/v1/ledger/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    key = note.parse_verifier(client.get("/v1/ledger/key").text)
    assert key == installed.runtime.signer.verifier
    checkpoint = note.open_checkpoint(response.text, key, ORIGIN)
    assert checkpoint.size == 3  # the key, the admin account, the admin's key
    assert client.get("/checkpoint").text == response.text


def test_entries_and_proofs_verify_against_the_signed_checkpoint(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    _notices(client, admin_headers, 20)
    checkpoint = _signed(client, admin_headers)
    assert checkpoint.size == 23
    page = client.get("/v1/ledger/entries", params={"start": 0, "end": 100}).json()
    assert page["size"] == 23
    assert [e["index"] for e in page["entries"]] == list(range(23))
    for item in page["entries"]:
        assert merkle.leaf_hash(item["entry"].encode()).hex() == item["leaf_hash"]
    assert '"type":"ledger.notice"' in page["entries"][5]["entry"]
    for index in (0, 7, 22):
        proof = client.get("/v1/ledger/proof/inclusion", params={"index": index, "size": 23}).json()
        merkle.verify_inclusion(
            bytes.fromhex(page["entries"][index]["leaf_hash"]),
            index,
            23,
            [bytes.fromhex(p) for p in proof["proof"]],
            checkpoint.root,
        )
    body = client.get("/v1/ledger/proof/consistency", params={"first": 5, "second": 23}).json()
    assert body["second_root"] == checkpoint.root.hex()
    merkle.verify_consistency(
        5,
        23,
        bytes.fromhex(body["first_root"]),
        checkpoint.root,
        [bytes.fromhex(p) for p in body["proof"]],
    )


def test_entries_past_the_end_are_an_empty_page(client: TestClient) -> None:
    response = client.get("/v1/ledger/entries", params={"start": 1000})
    assert response.status_code == 200
    assert response.json()["entries"] == []


def test_entries_pages_hold_at_most_1000(client: TestClient, installed: InitResult) -> None:
    from ecocredit.ledger import store

    installed.runtime.db.write(lambda s: store.append(s, [b"{}"] * 1500))
    page = client.get("/v1/ledger/entries", params={"start": 0, "end": 5000}).json()
    assert len(page["entries"]) == 1000


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/ledger/proof/inclusion", {"index": 3, "size": 3}, "index"),
        ("/v1/ledger/proof/inclusion", {"index": 0, "size": 99}, "size"),
        ("/v1/ledger/proof/inclusion", {"index": "x", "size": 2}, "index"),
        ("/v1/ledger/proof/inclusion", {"index": 0, "size": "2.5"}, "size"),
        ("/v1/ledger/proof/inclusion", {"index": -1, "size": 2}, "index"),
        ("/v1/ledger/proof/inclusion", {"index": 2**64, "size": 2}, "index"),
        ("/v1/ledger/proof/inclusion", {"size": 2}, "index"),
        ("/v1/ledger/proof/consistency", {"first": 3, "second": 2}, "first"),
        ("/v1/ledger/proof/consistency", {"first": 1, "second": 99}, "second"),
        ("/v1/ledger/proof/consistency", {"first": "one", "second": 2}, "first"),
        ("/v1/ledger/entries", {"start": 5, "end": 2}, "end"),
        ("/v1/ledger/entries", {"start": "a"}, "start"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(
    client: TestClient, path: str, params: dict[str, object], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert field in error["message"]


def test_notices_need_an_admin_key_and_change_nothing_without_one(
    client: TestClient, installed: InitResult
) -> None:
    before = client.get("/v1/ledger/entries").json()["size"]
    for headers in ({}, {"Authorization": "Bearer eco_not-a-key"}, {"Authorization": "Basic x"}):
        response = client.post("/v1/ledger/notices", json={"text": "x"}, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    assert client.post("/v1/ledger/checkpoint").status_code == 401
    assert client.get("/v1/ledger/entries").json()["size"] == before


def test_a_non_admin_is_refused_with_403(client: TestClient, installed: InitResult) -> None:
    from ecocredit.accounts import service as accounts
    from ecocredit.accounts.model import Role
    from ecocredit.accounts.tables import account_roles as table

    rt = installed.runtime
    id_, key = rt.db.write(lambda s: accounts.create_account(s, "viewer", Role.ADMIN, "admin"))
    rt.db.write(
        lambda s: s.execute(table.update().where(table.c.account_id == id_).values(role="observer"))
    )
    before = client.get("/v1/ledger/entries").json()["size"]
    # A role this version does not know grants nothing.
    response = client.post(
        "/v1/ledger/notices", json={"text": "x"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.get("/v1/ledger/entries").json()["size"] == before


def test_bad_notices_are_refused(client: TestClient, admin_headers: dict[str, str]) -> None:
    for body in (
        {"text": ""},
        {"text": "   "},
        {"text": "a\x00b"},
        {"text": "x" * 4001},
        {},
        {"text": 5},
    ):
        response = client.post("/v1/ledger/notices", json=body, headers=admin_headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["field"] == "text"


def test_idempotency_key_makes_a_retry_safe(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "Idempotency-Key": "notice-42"}
    first = client.post("/v1/ledger/notices", json={"text": "once"}, headers=headers)
    again = client.post("/v1/ledger/notices", json={"text": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert client.get("/v1/ledger/entries").json()["size"] == 4
    other = client.post("/v1/ledger/notices", json={"text": "twice"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"


def test_tiles_serve_a_standard_client(
    client: TestClient, installed: InitResult, admin_headers: dict[str, str]
) -> None:
    from ecocredit.ledger import store

    installed.runtime.db.write(lambda s: store.append(s, [b'{"n":%d}' % i for i in range(700)]))
    checkpoint = _signed(client, admin_headers)
    size = checkpoint.size
    assert size == 703

    def fetch(path: str) -> bytes:
        response = client.get("/" + path)
        assert response.status_code == 200, path
        return response.content

    reader = TileReader(size, fetch)
    assert reader.root() == checkpoint.root
    assert reader.entry(500) == b'{"n":497}'
    # Independently of TileReader: tiles are the RFC 9162 hashes of the entries themselves.
    entries = [
        e["entry"].encode()
        for start in (0, 1000)
        for e in client.get("/v1/ledger/entries", params={"start": start}).json()["entries"]
    ]
    assert len(entries) == size
    full = client.get("/tile/0/001")
    assert full.content == b"".join(merkle.leaf_hash(e) for e in entries[256:512])
    level8 = client.get("/tile/1/000.p/2").content
    assert level8 == merkle.reference_hash(entries[:256]) + merkle.reference_hash(entries[256:512])
    assert tiles.decode_bundle(client.get("/tile/entries/001").content) == entries[256:512]
    assert "immutable" in full.headers["cache-control"]
    assert len(client.get("/tile/0/002.p/191").content) == 191 * 32
    assert len(client.get("/tile/1/000.p/2").content) == 2 * 32
    bundle = tiles.decode_bundle(client.get("/tile/entries/002.p/191").content)
    assert len(bundle) == 191
    assert client.get("/tile/0/002").status_code == 404  # not full yet
    assert client.get("/tile/0/002.p/192").status_code == 404  # beyond the log
    assert client.get("/tile/0/2").status_code == 404  # not canonical


def test_portal_home_shows_the_log(client: TestClient, installed: InitResult) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="log-size">3<' in page.text
    assert installed.runtime.signer.verifier.text() in page.text
    assert "account.created" in page.text


def test_entries_at_the_edge_of_64_bits_are_an_empty_page(client: TestClient) -> None:
    response = client.get("/v1/ledger/entries", params={"start": 2**63 - 1})
    assert response.status_code == 200 and response.json()["entries"] == []
    assert client.get("/v1/ledger/entries", params={"end": 2**63}).status_code == 400


def test_api_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN, no outside host
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200


def test_a_malformed_json_body_names_the_body(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/v1/ledger/notices",
        content=b'{"text": "tru',
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "body"
