"""Organisations, imports, submissions, corrections and factors through the service."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.carbon import inventory, queries, records, service
from ecocredit.carbon.model import Intensity
from ecocredit.carbon.tables import inventories
from ecocredit.carbon.tables import records as record_rows
from ecocredit.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from ecocredit.ledger.tables import ledger_entries as entries
from ecocredit.runtime import InitResult, Runtime

HEADER = "facility,period_start,period_end,scope,category,activity,quantity,unit,factor_id\n"
YEAR_2024 = (
    "F1,2024-01-01,2024-12-31,1,stationary_combustion,diesel,100,t,\n"
    "F1,2024-01-01,2024-12-31,2,purchased_electricity,electricity,1000,MWh,\n"
    "F2,2024-01-01,2024-12-31,2,purchased_electricity,electricity,500,MWh,\n"
)


@dataclass
class Carbon:
    """An installation with reporters acme and rival, a holder, and acme's organisation ACME."""

    runtime: Runtime

    def who(self, name: str) -> Principal:
        with self.runtime.db.read() as session:
            return accounts.principal(session, name)

    def write(self, work: Callable[[Session], Any]) -> Any:
        return self.runtime.db.write(work)

    def read(self, work: Callable[[Session], Any]) -> Any:
        with self.runtime.db.read() as session:
            return work(session)

    def load(self, body: str, year: int = 2024, who: str = "acme", **kw: Any) -> Any:
        frame = records.from_csv((HEADER + body).encode(), "upload.csv", year)
        source = ("upload.csv", hashlib.sha256(body.encode()).hexdigest())
        actor = self.who(who)
        return self.write(
            lambda s: service.import_records(s, "ACME", year, frame, source, actor, **kw)
        )

    def submit(self, year: int = 2024) -> dict[str, Any]:
        actor = self.who("acme")
        return self.write(lambda s: service.submit(s, "ACME", year, actor))

    def report(self, year: int = 2024, version: int | None = None) -> dict[str, Any]:
        return self.read(lambda s: queries.report(s, "ACME", year, version))

    def counts(self) -> tuple[int, int, int]:
        def count(s: Session) -> tuple[int, int, int]:
            return tuple(  # type: ignore[return-value]
                s.scalar(select(func.count()).select_from(t))
                for t in (record_rows, entries, inventories)
            )

        return self.read(count)

    def last_entry(self) -> dict[str, Any]:
        def last(s: Session) -> dict[str, Any]:
            row = s.execute(select(entries.c.entry).order_by(entries.c.idx.desc()).limit(1)).one()
            return json.loads(bytes(row[0]))

        return self.read(last)


@pytest.fixture
def carbon(installed: InitResult) -> Carbon:
    runtime = installed.runtime

    def setup(session: Session) -> None:
        accounts.create_account(session, "acme", [Role.REPORTER], "system")
        accounts.create_account(session, "rival", [Role.REPORTER], "system")
        accounts.create_account(session, "holder", [Role.HOLDER], "system", "person")
        acme = accounts.principal(session, "acme")
        service.register_organisation(session, "ACME", "Acme Steel", "acme", "steel", acme)
        service.register_facility(session, "ACME", "F1", "Hebei works", "河北", acme)
        service.register_facility(session, "ACME", "F2", "Head office", None, acme)

    runtime.db.write(setup)
    return Carbon(runtime)


def test_only_reporters_write_and_only_for_their_own_organisation(carbon: Carbon) -> None:
    holder, rival = carbon.who("holder"), carbon.who("rival")
    with pytest.raises(PermissionDenied):
        carbon.write(lambda s: service.register_organisation(s, "H", "H", "holder", "", holder))
    with pytest.raises(PermissionDenied):
        carbon.write(lambda s: service.register_facility(s, "ACME", "F9", "x", None, rival))
    with pytest.raises(PermissionDenied):
        carbon.load(YEAR_2024, who="rival")
    with pytest.raises(InvalidParameter) as caught:  # registering for another account
        carbon.write(lambda s: service.register_organisation(s, "R", "R", "acme", "", rival))
    assert caught.value.field == "account"
    acme = carbon.who("acme")
    with pytest.raises(Conflict):
        carbon.write(lambda s: service.register_organisation(s, "ACME", "A", "acme", "", acme))
    with pytest.raises(InvalidParameter):
        carbon.write(lambda s: service.register_facility(s, "ACME", "F3", "x", "Hebei", acme))
    found = carbon.read(lambda s: queries.organisation(s, "ACME"))
    assert found["account"] == "acme" and found["name"] == "Acme Steel"
    assert [(f["facility"], f["province"]) for f in found["facilities"]] == [
        ("F1", "河北"),
        ("F2", None),
    ]
    with pytest.raises(NotFound):
        carbon.read(lambda s: queries.organisation(s, "NOPE"))


def test_a_submission_puts_the_report_and_records_hashes_into_the_log(carbon: Carbon) -> None:
    imported = carbon.load(YEAR_2024)
    assert (imported.version, imported.records, imported.total_records) == (1, 3, 3)
    assert carbon.report()["status"] == "draft"
    report = carbon.submit()
    assert report["sha256"] == inventory.report_sha256(report)
    csv = carbon.read(lambda s: queries.records_frame(s, "ACME", 2024))
    assert report["records_sha256"] == hashlib.sha256(csv).hexdigest()
    totals = report["summary"]["totals_t"]
    # 100 t diesel (GB/T 32150) + F1 at the 2023 North average + F2 at the 2023 national one.
    assert totals["scope1"] == "309.591"
    assert totals["scope2_location"] == f"{1000 * 0.6361 + 500 * 0.5306:.3f}"
    assert totals["scope2_market"] == f"{1500 * 0.6096:.3f}"
    entry = carbon.last_entry()
    assert entry["type"] == "carbon.inventory_submitted"
    data = entry["data"]
    assert (data["sha256"], data["records_sha256"]) == (report["sha256"], report["records_sha256"])
    assert data["totals"] == totals and data["version"] == 1 and data["records"] == 3
    stored = carbon.report()
    assert stored["status"] == "submitted" and stored["sha256"] == report["sha256"]
    assert stored["summary"] == report["summary"]
    before = carbon.counts()
    with pytest.raises(Conflict):
        carbon.load("F2,2024-01-01,2024-01-31,1,stationary_combustion,diesel,1,t,\n")
    with pytest.raises(Conflict):
        carbon.submit()
    assert carbon.counts() == before


def test_a_correction_is_a_new_version_and_the_old_one_stays(carbon: Carbon) -> None:
    carbon.load(YEAR_2024)
    first = carbon.submit()
    acme = carbon.who("acme")
    version = carbon.write(lambda s: service.correct(s, "ACME", 2024, "meter misread", acme))
    assert version == 2
    draft = carbon.report(version=2)
    assert draft["status"] == "draft" and draft["reason"] == "meter misread"
    assert draft["summary"]["totals_t"] == first["summary"]["totals_t"]  # a copy so far
    with pytest.raises(Conflict):  # the correction is still open
        carbon.write(lambda s: service.correct(s, "ACME", 2024, "again", acme))
    fixed = YEAR_2024.replace(",1000,MWh,", ",800,MWh,")
    assert carbon.load(fixed, replace=True).total_records == 3
    second = carbon.submit()
    assert second["version"] == 2 and second["reason"] == "meter misread"
    old, new = carbon.report(version=1), carbon.report(version=2)
    assert old["sha256"] == first["sha256"] and old["summary"] == first["summary"]
    location = "total_location"
    assert float(old["summary"]["totals_t"][location]) - float(
        new["summary"]["totals_t"][location]
    ) == pytest.approx(200 * 0.6361)
    assert carbon.report()["version"] == 2  # the latest submitted one by default
    assert [v["version"] for v in new["versions"]] == [2, 1]


def test_the_report_shows_the_change_from_the_previous_year(carbon: Carbon) -> None:
    carbon.load("F2,2023-01-01,2023-12-31,2,purchased_electricity,electricity,1000,MWh,\n", 2023)
    carbon.submit(2023)
    carbon.load("F2,2024-01-01,2024-12-31,2,purchased_electricity,electricity,1100,MWh,\n")
    assert carbon.report()["year_on_year"]["total_location"] == {
        "previous_t": "530.600",
        "change_t": "53.060",
        "change_percent": "10.00",
    }
    assert carbon.report(2023)["year_on_year"] is None


GOOD = "F1,2024-01-01,2024-01-31,1,stationary_combustion,diesel,10,t,\n"


@pytest.mark.parametrize(
    ("third", "line", "field"),
    [
        ("F1,2024-01-15,2024-01-20,1,stationary_combustion,diesel,1,t,", 4, "period_start"),
        ("F7,2024-03-01,2024-03-31,1,stationary_combustion,diesel,1,t,", 4, "facility"),
        ("F1,2024-03-01,2024-03-31,1,stationary_combustion,diesel,1,t,acme/none", 4, "factor_id"),
    ],
)
def test_a_bad_import_leaves_nothing_behind(
    carbon: Carbon, third: str, line: int, field: str
) -> None:
    body = GOOD + "F2,2024-02-01,2024-02-29,1,stationary_combustion,diesel,1,t,\n" + third + "\n"
    for existing in (False, True):  # into a new year, then into a draft with records
        before = carbon.counts()
        with pytest.raises(InvalidParameter) as caught:
            carbon.load(body)
        assert f"line {line}" in caught.value.message and caught.value.field == field
        assert carbon.counts() == before
        if not existing:
            carbon.load("F2,2024-06-01,2024-06-30,1,stationary_combustion,diesel,1,t,\n")


def test_new_records_may_not_overlap_the_drafts_own(carbon: Carbon) -> None:
    carbon.load(GOOD)
    with pytest.raises(InvalidParameter) as caught:
        carbon.load("F1,2024-01-31,2024-02-15,1,stationary_combustion,diesel,1,t,\n")
    assert "upload.csv, line 2" in caught.value.message and "draft" in caught.value.message
    assert carbon.load(GOOD, replace=True).total_records == 1


def test_a_file_without_records_is_not_a_server_error(carbon: Carbon) -> None:
    before = carbon.counts()
    try:
        carbon.load("")
    except InvalidParameter:
        assert carbon.counts() == before


def test_an_empty_draft_cannot_be_submitted(carbon: Carbon) -> None:
    acme = carbon.who("acme")
    options = service.ReportOptions(2023, "AR5")
    carbon.write(lambda s: service.set_options(s, "ACME", 2023, options, acme))
    with pytest.raises(InvalidParameter) as caught:
        carbon.submit(2023)
    assert "no records" in caught.value.message
    assert carbon.report(2023)["summary"]["records"] == 0


def test_a_users_factor_gets_the_account_prefix_and_is_never_replaced(carbon: Carbon) -> None:
    acme = carbon.who("acme")
    new = service.NewFactor("steam-2024", "steam", "GJ", {"CO2": 70.0, "CH4": 0.01}, "meter")
    assert carbon.write(lambda s: service.add_factor(s, new, acme)) == "acme/steam-2024"
    with pytest.raises(Conflict):
        carbon.write(lambda s: service.add_factor(s, new, acme))
    # Its name is always under the account, so a published id is never taken over.
    clash = service.NewFactor("cn.gbt32150-2015.diesel", "diesel", "t", {"CO2": 1.0}, "mine")
    assert carbon.write(lambda s: service.add_factor(s, clash, acme)) == (
        "acme/cn.gbt32150-2015.diesel"
    )
    with pytest.raises(InvalidParameter):
        slash = service.NewFactor("cn/gbt", "diesel", "t", {"CO2": 1.0}, "mine")
        carbon.write(lambda s: service.add_factor(s, slash, acme))
    published = carbon.read(lambda s: service.factor_detail(s, "cn.gbt32150-2015.diesel"))
    assert published["published"] and published["kg_per_unit"]["CO2"] == pytest.approx(3095.9, 0.01)
    holder = carbon.who("holder")
    with pytest.raises(PermissionDenied):
        carbon.write(lambda s: service.add_factor(s, new, holder))
    carbon.load("F1,2024-01-01,2024-12-31,1,process,steam,1000,GJ,acme/steam-2024\n")
    report = carbon.submit()
    used = {f["factor_id"]: f for f in report["factors"]}
    assert used["acme/steam-2024"]["status"] == "user"
    assert report["summary"]["totals_t"]["scope1"] == f"{(70_000 + 10 * 27.0) / 1000:.3f}"


def test_intensity_per_output_and_per_revenue(carbon: Carbon) -> None:
    acme = carbon.who("acme")
    carbon.load(YEAR_2024)
    options = service.ReportOptions(2024, "AR6", None, Intensity(2000.0, "t", 5000.0))
    carbon.write(lambda s: service.set_options(s, "ACME", 2024, options, acme))
    report = carbon.submit()
    summary = report["summary"]
    total = float(summary["totals_t"]["total_location"])
    assert summary["intensity"]["per_output"]["unit"] == "t CO2e/t"
    assert float(summary["intensity"]["per_output"]["location"]) == pytest.approx(total / 2000)
    assert float(summary["intensity"]["per_revenue"]["location"]) == pytest.approx(total / 5000)
    bad = service.ReportOptions(2025, "AR7")
    with pytest.raises(InvalidParameter) as caught:
        carbon.write(lambda s: service.set_options(s, "ACME", 2025, bad, acme))
    assert caught.value.field == "gwp"


def test_a_draft_report_follows_every_change_of_the_draft(carbon: Carbon) -> None:
    carbon.load(YEAR_2024.splitlines()[0] + "\n")
    first = carbon.report()
    assert first["summary"]["totals_t"]["scope1"] == "309.591"
    assert carbon.report() == first  # read again: the same report
    carbon.load(YEAR_2024.splitlines()[1] + "\n")
    assert carbon.report()["summary"]["records"] == 2
    carbon.load(YEAR_2024.splitlines()[2] + "\n", replace=True)
    assert carbon.report()["summary"]["totals_t"]["scope1"] == "0.000"
    options = service.ReportOptions(2024, "AR5", None, Intensity(10.0, "t", None))
    actor = carbon.who("acme")
    carbon.write(lambda s: service.set_options(s, "ACME", 2024, options, actor))
    changed = carbon.report()
    assert changed["gwp_set"] == "AR5" and "per_output" in changed["summary"]["intensity"]
