"""Carbon accounting over HTTP: the factor library, organisations, inventories and their errors."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

import pytest

from tests.carbon.conftest import API, INVENTORY, ORG, Api

CSV = (
    "facility,period_start,period_end,scope,category,activity,quantity,unit,factor_id\n"
    "F1,2024-01-01,2024-06-30,1,stationary_combustion,diesel,100,t,\n"
    "F1,2024-01-01,2024-12-31,2,purchased_electricity,electricity,1000,MWh,\n"
)
JSON_ROWS = [
    {"facility": "F1", "period_start": "2024-07-01", "period_end": "2024-12-31", "scope": 1,
     "category": "stationary_combustion", "activity": "diesel", "quantity": 50, "unit": "t"},
]  # fmt: skip


@pytest.fixture
def acme(api: Api) -> Api:
    """ACME registered by acme over HTTP, with facility F1 in Hebei."""
    body = {"organisation": "ACME", "name": "Acme Steel", "industry": "steel"}
    created = api("POST", f"{API}/organisations", "acme", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["account"] == "acme"
    site = api("POST", f"{ORG}/facilities", "acme",
               json={"facility": "F1", "name": "Hebei works", "province": "河北"})  # fmt: skip
    assert site.status_code == 201, site.text
    assert site.json()["facilities"] == [{"facility": "F1", "name": "Hebei works",
                                          "province": "河北"}]  # fmt: skip
    return api


def test_the_factor_library_is_public(api: Api) -> None:
    electricity = api("GET", f"{API}/factors", params={"activity": "electricity"}).json()
    assert electricity and {f["activity"] for f in electricity} == {"electricity"}
    assert "cn.mee-nbs.2022.national.average" in {f["factor_id"] for f in electricity}
    one = api("GET", f"{API}/factors/cn.mee-nbs.2022.national.average").json()
    assert one["kg_per_unit"] == {"CO2": pytest.approx(0.5366)} and one["unit"] == "kWh"
    assert (one["series"], one["data_year"], one["publication_date"]) == (
        "MEE-NBS", 2022, "2024-12-20",
    )  # fmt: skip
    assert one["source"] and one["status"] in ("verified", "corroborated", "secondary")
    diesel = api("GET", f"{API}/factors/cn.gbt32150-2015.diesel").json()
    assert diesel["parameters"] == {"ncv": 42.652, "carbon_content": 0.0202, "oxidation": 0.98}
    gwp = api("GET", f"{API}/gwp").json()
    assert gwp["sets"]["AR6"]["CH4_fossil"] == 29.8 and gwp["sets"]["SAR"]["N2O"] == 310
    assert "CH4" in gwp["sources"]


def test_an_inventory_written_and_read_over_http(acme: Api) -> None:
    added = acme.records(CSV, params={"name": "2024-h1.csv"})
    assert added.status_code == 200, added.text
    assert added.json() == {"organisation": "ACME", "year": 2024, "version": 1, "records": 2,
                            "total_records": 2}  # fmt: skip
    more = acme.records(json.dumps(JSON_ROWS), kind="application/json")
    assert more.status_code == 200 and more.json()["total_records"] == 3
    options = acme("PUT", f"{INVENTORY}/options", "acme",
                   json={"gwp": "AR5", "output_quantity": 1000, "output_unit": "t"})  # fmt: skip
    assert options.status_code == 200, options.text
    draft = acme("GET", INVENTORY).json()
    assert draft["status"] == "draft" and draft["gwp_set"] == "AR5"
    submitted = acme("POST", f"{INVENTORY}/submit", "acme")
    assert submitted.status_code == 200, submitted.text
    report = acme("GET", INVENTORY).json()
    assert report["status"] == "submitted" and report["sha256"] == submitted.json()["sha256"]
    assert report["summary"]["totals_t"]["scope1"] == f"{150 * 3.0959096:.3f}"
    assert report["summary"]["intensity"]["per_output"]["unit"] == "t CO2e/t"
    entered = acme("GET", f"{INVENTORY}/records.csv")
    assert entered.headers["content-type"].startswith("text/csv")
    assert hashlib.sha256(entered.content).hexdigest() == report["records_sha256"]
    results = list(csv.DictReader(io.StringIO(acme("GET", f"{INVENTORY}/results.csv").text)))
    assert len(results) == 3
    by_factor = {row["location_factor"] for row in results}
    assert by_factor == {"cn.gbt32150-2015.diesel", "cn.mee-nbs.2023.north.average"}
    assert sum(float(r["kg_co2e_location"]) for r in results) / 1000 == pytest.approx(
        float(report["summary"]["totals_t"]["total_location"]), abs=0.001
    )
    organisation = acme("GET", ORG).json()
    assert [v["status"] for v in organisation["inventories"]] == ["submitted"]
    assert acme.records(CSV).status_code == 409  # frozen
    corrected = acme("POST", f"{INVENTORY}/corrections", "acme", json={"reason": "late invoice"})
    assert corrected.status_code == 201
    assert corrected.json() == {"organisation": "ACME", "year": 2024, "version": 2,
                                "status": "draft"}  # fmt: skip
    assert (
        acme.records(CSV.replace(",100,t,", ",90,t,"), params={"replace": "true"}).json()[
            "total_records"
        ]
        == 2
    )
    assert acme("POST", f"{INVENTORY}/submit", "acme").status_code == 200
    first = acme("GET", INVENTORY, params={"version": 1}).json()
    assert first["sha256"] == report["sha256"]
    assert acme("GET", INVENTORY).json()["version"] == 2


def test_writes_need_a_key_and_the_right_account(acme: Api) -> None:
    body = {"organisation": "HOLD", "name": "Holder Ltd"}
    no_key = acme("POST", f"{API}/organisations", json=body)
    assert no_key.status_code == 401 and no_key.headers["WWW-Authenticate"] == "Bearer"
    assert acme.records(CSV, who="holder").status_code == 403
    assert acme("POST", f"{API}/organisations", "holder", json=body).status_code == 403
    rival = acme("POST", f"{ORG}/facilities", "rival", json={"facility": "X", "name": "x"})
    assert rival.status_code == 403
    assert acme.records(CSV, who="rival").status_code == 403
    assert acme("POST", f"{INVENTORY}/submit").status_code == 401
    assert acme("GET", ORG).json()["facilities"][0]["facility"] == "F1"  # unchanged


@pytest.mark.parametrize(
    ("body", "kind", "field", "where"),
    [
        (CSV.replace(",100,", ",lots,"), "text/csv", "quantity", "upload.csv, line 2"),
        (CSV.replace("F1,2024-01-01,2024-06-30", "F9,2024-01-01,2024-06-30"), "text/csv",
         "facility", "upload.csv, line 2"),
        (CSV.replace(",MWh,", ",MWh,nobody/nothing"), "text/csv", "factor_id",
         "upload.csv, line 3"),
        (CSV.replace("2024-06-30", "2025-06-30"), "text/csv", "period_start",
         "upload.csv, line 2"),
        (json.dumps([JSON_ROWS[0] | {"quantity": {"t": 1}}]), "application/json", "quantity",
         "upload.csv, line 1"),
        (json.dumps([JSON_ROWS[0] | {"scope": True}]), "application/json", "scope",
         "upload.csv, line 1"),
        (json.dumps({"records": JSON_ROWS}), "application/json", "body", ""),
        ("[1, 2", "application/json", "body", ""),
    ],
)  # fmt: skip
def test_bad_records_are_a_400_naming_the_field(
    acme: Api, body: str, kind: str, field: str, where: str
) -> None:
    response = acme.records(body, kind=kind)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == field and where in error["message"], error
    assert acme("GET", ORG).json()["inventories"] == []  # nothing half-written


def test_unknown_things_are_404(acme: Api) -> None:
    assert acme("GET", f"{API}/organisations/NOPE").status_code == 404
    assert acme("GET", f"{ORG}/inventories/2023").status_code == 404
    assert acme("GET", f"{ORG}/inventories/2023/records.csv").status_code == 404
    assert acme("GET", f"{ORG}/inventories/2023/results.csv").status_code == 404
    assert acme("GET", f"{API}/factors/cn.mee-nbs.1999.national.average").status_code == 404
    assert acme("GET", f"{API}/factors/acme/nothing").status_code == 404
    missing = acme("POST", f"{API}/organisations/NOPE/inventories/2024/records", "acme",
                   content=CSV.encode(), headers={"Content-Type": "text/csv"})  # fmt: skip
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "organisation"
    acme.records(CSV)
    assert acme("GET", INVENTORY, params={"version": 7}).status_code == 404


HEADER_ONLY = CSV.splitlines()[0] + "\n"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"", "text/csv"),
        (b"\xff\xfe\x00\x01", "text/csv"),
        (b"a,b\n1,2,3,4\n", "text/csv"),
        (b"{}", "application/json"),
        (b"null", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b'[{"facility": null, "quantity": 1e400}]', "application/json"),
        (b'[{"facility": "F1\\u0000"}]', "application/json"),
        (b"\x00" * 1000, "application/octet-stream"),
        (CSV.replace(",t,", ",kg**999,").encode(), "text/csv"),
        (HEADER_ONLY.encode(), "text/csv"),
        (b"[]", "application/json"),
        ((HEADER_ONLY + "F1,2024-01-01,2024-12-31,2,green_certificate,electricity,5,MWh,\n")
         .encode(), "text/csv"),
    ],
)  # fmt: skip
def test_no_bad_records_body_is_a_server_error(acme: Api, body: bytes, kind: str) -> None:
    response = acme.records(body, kind=kind)
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/options", {"gwp": "AR7"}),
        ("PUT", "/options", {"series": "NOPE"}),
        ("PUT", "/options", {"output_quantity": -1}),
        ("PUT", "/options", {"output_unit": "bananas", "output_quantity": 3}),
        ("PUT", "/options", {"colour": "red"}),
        ("POST", "/corrections", {"reason": ""}),
        ("POST", "/corrections", {"reason": "no submitted version"}),
        ("POST", "/submit", None),
    ],
)
def test_no_bad_options_or_state_is_a_server_error(
    acme: Api, method: str, path: str, body: Any
) -> None:
    response = acme(method, INVENTORY + path, "acme", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]


def test_a_user_factor_in_an_absurd_unit_is_not_a_server_error(acme: Api) -> None:
    factor = {"name": "odd", "activity": "odd", "unit": "g**999", "gases": {"CO2": 1.0},
              "source": "test"}  # fmt: skip
    added = acme("POST", f"{API}/factors", "acme", json=factor)
    assert added.status_code == 400 and added.json()["error"]["field"] == "unit"
    body = CSV.splitlines()[0] + "\nF1,2024-01-01,2024-01-31,1,process,odd,1,kg**999,\n"
    refused = acme.records(body)
    assert refused.status_code == 400 and "exponent" in refused.json()["error"]["message"]
