"""Carbon accounting over HTTP under abuse: odd bodies, others' data, races and replays."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ecocredit.accounts import service as accounts
from tests.carbon.conftest import API, INVENTORY, ORG, Api

CSV = (
    "facility,period_start,period_end,scope,category,activity,quantity,unit,factor_id\n"
    "F1,2024-01-01,2024-06-30,1,stationary_combustion,diesel,100,t,\n"
    "F1,2024-01-01,2024-12-31,2,purchased_electricity,electricity,1000,MWh,\n"
)
ROW = (
    '{"facility": "F1", "period_start": "2024-01-01", "period_end": "2024-01-31", "scope": 1, '
    '"category": "stationary_combustion", "activity": "diesel", "quantity": 1, "unit": "t"'
)


@pytest.fixture
def acme(api: Api) -> Api:
    """ACME registered by acme, with facility F1 in Hebei; rival and holder have keys too."""
    body = {"organisation": "ACME", "name": "Acme Steel"}
    assert api("POST", f"{API}/organisations", "acme", json=body).status_code == 201
    site = {"facility": "F1", "name": "Hebei works", "province": "河北"}
    assert api("POST", f"{ORG}/facilities", "acme", json=site).status_code == 201
    return api


def process(code: str, inputs: Any = (), emissions: Any = (), unit: str = "kg") -> dict[str, Any]:
    return {"code": code, "name": code, "unit": unit, "inputs": list(inputs),
            "emissions": list(emissions)}  # fmt: skip


@pytest.mark.parametrize(
    "body",
    ["[" + ROW + ', "note": "x\\udc00"}]', "[" + ROW.replace("diesel", "d\\ud800") + "}]",
     '[{"\\ud800": 1}]'],
)  # fmt: skip
def test_a_lone_surrogate_in_json_records_is_a_400(acme: Api, body: str) -> None:
    before = acme.state()
    response = acme.records(body, kind="application/json")
    assert response.status_code == 400, response.text
    assert acme.state() == before


@pytest.mark.parametrize("where", ["output", "amount"])
def test_a_huge_integer_in_a_process_is_a_400(acme: Api, where: str) -> None:
    big = "9" * 400
    item = (f'{{"code": "p", "name": "p", "unit": "kg", "output": {big}}}' if where == "output"
            else f'{{"code": "p", "name": "p", "unit": "kg", "emissions": [{{"gas": "CO2", '
                 f'"amount": {big}, "unit": "kg"}}]}}')  # fmt: skip
    response = acme("POST", f"{API}/processes", "acme",
                    content=f'{{"processes": [{item}]}}'.encode(),
                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 400, response.text


def _two_factors(acme: Api) -> None:
    for name in ("x", "y"):
        body = {"name": name, "activity": "steam", "unit": "GJ", "gases": {"CO2": 1.0},
                "source": "test"}  # fmt: skip
        assert acme("POST", f"{API}/factors", "acme", json=body).status_code == 201


def _uses(factor: str, times: int) -> list[dict[str, Any]]:
    return [{"factor_id": f"acme/{factor}", "amount": 1, "unit": "GJ"}] * times


def test_a_footprint_over_a_thousand_factor_uses_is_not_a_server_error(acme: Api) -> None:
    _two_factors(acme)
    parts = [process("A", emissions=_uses("x", 500)), process("B", emissions=_uses("x", 500))]
    assert acme.processes(parts).status_code == 201
    assert acme.processes([process("C", emissions=_uses("y", 1))]).status_code == 201
    inputs = [{"supplier": s, "amount": 1, "unit": "kg"} for s in "ABC"]
    assert acme.processes([process("R", inputs=inputs)]).status_code == 201
    response = acme("GET", f"{API}/products/R/footprint")
    assert response.status_code == 200, response.text
    assert response.json()["kg_co2e"] == pytest.approx(1001.0)  # 1,001 uses of 1 kg/GJ


def test_a_definition_with_a_thousand_factor_uses_is_accepted(acme: Api) -> None:
    _two_factors(acme)
    emissions = _uses("x", 500)
    parts = [process("A", emissions=emissions), process("B", emissions=emissions),
             process("C", emissions=_uses("y", 1))]  # fmt: skip
    response = acme.processes(parts)
    assert response.status_code == 201, response.text


def test_a_role_removed_before_the_write_commits_is_refused(
    acme: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    authenticate = accounts.authenticate

    def then_demote(session: Any, key: str) -> Any:
        caller = authenticate(session, key)  # a concurrent admin removes the role just now
        acme.installed.runtime.db.write(
            lambda s: accounts.set_roles(s, caller.name, ["holder"], "system")
        )
        return caller

    monkeypatch.setattr(accounts, "authenticate", then_demote)
    before = acme.state()
    body = {"name": "late", "activity": "steam", "unit": "GJ", "gases": {"CO2": 1.0},
            "source": "test"}  # fmt: skip
    assert acme("POST", f"{API}/factors", "acme", json=body).status_code == 403
    assert acme.state()[1:] == before[1:]


def test_a_process_code_with_a_trailing_newline_is_refused(acme: Api) -> None:
    response = acme.processes([process("pcb\n")])
    assert response.status_code == 400 and response.json()["error"]["field"] == "processes[0].code"


def test_an_input_in_a_unit_that_does_not_convert_is_refused_when_defined(acme: Api) -> None:
    steel = process("steel", emissions=[{"gas": "CO2", "amount": 2, "unit": "kg"}])
    bike = process("bike", inputs=[{"supplier": "steel", "amount": 1, "unit": "kWh"}])
    response = acme.processes([steel, bike])
    assert response.status_code == 400, response.text
    assert "inputs[0]" in response.json()["error"]["field"]


def test_a_replayed_key_with_another_file_name_is_refused(acme: Api) -> None:
    key = {"Idempotency-Key": "k-name"}
    assert acme.records(CSV, headers=key, params={"name": "a.csv"}).status_code == 200
    again = acme.records(CSV, headers=key, params={"name": "b.csv"})
    assert again.status_code == 409, again.text


def test_every_inventory_write_has_its_log_entry(acme: Api) -> None:
    size = acme.state()[0]
    assert acme("PUT", f"{INVENTORY}/options", "acme", json={"gwp": "AR5"}).status_code == 200
    assert acme.state()[0] == size + 1  # opened version 1 and chose its GWP set
    assert acme.records(CSV).status_code == 200
    assert acme("POST", f"{INVENTORY}/submit", "acme").status_code == 200
    size = acme.state()[0]
    fix = acme("POST", f"{INVENTORY}/corrections", "acme", json={"reason": "late invoice"})
    assert fix.status_code == 201 and acme.state()[0] == size + 1


def test_a_replayed_import_is_one_import_and_another_body_is_refused(acme: Api) -> None:
    key = {"Idempotency-Key": "k-1"}
    first = acme.records(CSV, headers=key)
    before = acme.state()
    again = acme.records(CSV, headers=key)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert acme.state() == before
    other = acme.records(CSV.replace(",100,", ",99,"), headers=key)
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"
    assert acme.records(CSV, headers=key, params={"replace": "true"}).status_code == 409
    assert acme.state() == before


def test_refused_writes_leave_nothing_behind(acme: Api) -> None:
    assert acme.records(CSV).status_code == 200
    assert acme.processes([process("steel")]).status_code == 201
    before = acme.state()
    attempts = [
        ("rival", "POST", f"{ORG}/facilities", {"facility": "F1", "name": "x"}, 403),
        ("rival", "PUT", f"{INVENTORY}/options", {"gwp": "AR5"}, 403),
        ("rival", "POST", f"{INVENTORY}/submit", None, 403),
        ("holder", "POST", f"{INVENTORY}/submit", None, 403),
        ("rival", "POST", f"{INVENTORY}/corrections", {"reason": "x"}, 403),
        ("rival", "POST", f"{API}/processes", {"processes": [process("steel")]}, 403),
        ("acme", "POST", f"{API}/organisations",
         {"organisation": "R2", "name": "x", "account": "rival"}, 400),
        ("acme", "POST", f"{INVENTORY}/corrections", {"reason": "a draft"}, 409),
    ]  # fmt: skip
    for who, method, path, body, status in attempts:
        response = acme(method, path, who, json=body)
        assert response.status_code == status, (path, response.text)
    assert acme.records(CSV, who="rival").status_code == 403
    assert acme.records(CSV, who="holder").status_code == 403
    assert acme.state() == before


def test_two_concurrent_submissions_make_one_entry(acme: Api) -> None:
    assert acme.records(CSV).status_code == 200
    size = acme.state()[0]
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def submit() -> None:
        barrier.wait()
        answers.append(acme("POST", f"{INVENTORY}/submit", "acme").status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409] and acme.state()[0] == size + 1
    frozen = acme.state()
    assert acme("PUT", f"{INVENTORY}/options", "acme", json={"gwp": "AR5"}).status_code == 409
    assert acme.records(CSV, params={"replace": "true"}).status_code == 409
    assert acme.state() == frozen


@pytest.mark.parametrize(
    ("path", "status"),
    [("a/b/c", 404), ("..", 404), ("%2e%2e", 400), ("acme%2Fnothing", 404), ("x" * 129, 400),
     ("/cn.x", 400), ("cn.x%00", 400)],
)  # fmt: skip
def test_odd_factor_ids_are_4xx(acme: Api, path: str, status: int) -> None:
    assert acme("GET", f"{API}/factors/{path}").status_code == status


@pytest.mark.parametrize(
    "path",
    ["/carbon/organisations/ACME?year=abc", "/carbon/organisations/ACME?version=-1",
     "/carbon/organisations/ACME?year=2023", "/carbon/products/car?amount=0",
     "/carbon/products/car?amount=nan", "/carbon/products/car?gwp=AR7",
     "/carbon/organisations/ACME/inventories/2024/report?version=9"],
)  # fmt: skip
def test_odd_page_parameters_are_4xx(acme: Api, path: str) -> None:
    assert acme.records(CSV).status_code == 200
    car = process("car", emissions=[{"gas": "CO2", "amount": 1, "unit": "kg"}])
    assert acme.processes([car]).status_code == 201
    assert 400 <= acme("GET", path).status_code < 500


def test_names_and_notes_are_escaped_in_pages(acme: Api) -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    site = {"facility": "F2", "name": evil, "province": "北京"}
    assert acme("POST", f"{ORG}/facilities", "acme", json=site).status_code == 201
    note = CSV.replace("factor_id\n", "factor_id,evidence_sha256,note\n").replace(
        ",t,\n", ',t,,,"</script><script>alert(3)</script>"\n'
    )
    assert acme.records(note).status_code == 200
    car = process("car", emissions=[{"gas": "CO2", "amount": 1, "unit": "kg"}])
    assert acme.processes([car | {"name": "</script>" + evil}]).status_code == 201
    for page in ("/carbon", "/carbon/organisations/ACME", "/carbon/products/car",
                 "/carbon/organisations/ACME/inventories/2024/report"):  # fmt: skip
        html = acme("GET", page).text
        assert "<script>alert" not in html and "<img src=x" not in html, page


def test_an_oversized_upload_is_refused_declared_or_streamed(
    acme: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ecocredit.carbon.api.MAX_BODY", 200)
    before = acme.state()
    declared = acme.records(CSV * 10)
    assert declared.status_code == 400 and declared.json()["error"]["code"] == "entry_too_large"

    def pieces() -> Iterator[bytes]:  # no Content-Length: sent in chunks
        yield CSV.encode()
        for _ in range(20):
            yield CSV.encode().splitlines(keepends=True)[1]

    streamed = acme("POST", f"{INVENTORY}/records", "acme", content=pieces(),
                    headers={"Content-Type": "text/csv"})  # fmt: skip
    assert streamed.status_code == 400 and "over 200 bytes" in streamed.json()["error"]["message"]
    assert acme.state() == before
