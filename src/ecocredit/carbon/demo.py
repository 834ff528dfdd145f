"""Demo data of carbon accounting: two enterprises' inventories and a product's bill of materials.

A cement maker in Hebei (coal, diesel, clinker calcination, grid power; 2024 and 2025, with a
correction of 2025) and an electronics maker with plants in Guangdong and Sichuan (grid power
with green certificates, natural gas, a diesel generator, business travel). The activity
figures are invented but of realistic size; the factors are the published ones, plus two
factors of the enterprises' own with their sources. The product system (``data/demo_products.json``)
is a phone mainboard whose supply chain has a cycle: coal power needs coal, coal mining
needs power.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from importlib import resources

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, AccountKind, Principal, Role
from ecocredit.carbon import process_io, records, service
from ecocredit.carbon.model import Intensity
from ecocredit.carbon.ops.processes import define
from ecocredit.carbon.tables import organisations

CEMENT, ELECTRONICS = "hb-cement", "gd-electronics"
MONTHLY_SHAPE = np.array([0.7, 0.6, 0.9, 1.0, 1.05, 1.1, 1.05, 1.0, 1.1, 1.15, 1.1, 1.0])
CLINKER = "clinker_calcination"
AIR_TRAVEL = "air_travel"


def _account(session: Session, name: str) -> Principal:
    accounts.create_account(
        session, name, [Role.REPORTER], SYSTEM_ACTOR, kind=AccountKind.ORGANISATION
    )
    return accounts.principal(session, name)


def _month_rows(
    facility: str, year: int, scope: int, category: str, activity: str, annual: float,
    unit: str, factor_id: str = "", seed: int = 0,
) -> list[dict[str, str]]:  # fmt: skip
    """Twelve monthly records whose sum is about ``annual``, shaped by the season."""
    noise = np.random.default_rng(seed).normal(1.0, 0.03, 12)
    shares = MONTHLY_SHAPE * noise / (MONTHLY_SHAPE * noise).sum()
    rows = []
    for month in range(1, 13):
        start = dt.date(year, month, 1)
        end = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
        evidence = hashlib.sha256(f"{facility}/{activity}/{start}".encode()).hexdigest()
        rows.append(
            {"facility": facility, "period_start": start.isoformat(),
             "period_end": end.isoformat(), "scope": str(scope), "category": category,
             "activity": activity, "quantity": f"{annual * shares[month - 1]:.3f}",
             "unit": unit, "factor_id": factor_id, "evidence_sha256": evidence,
             "note": "monthly meter reading"}
        )  # fmt: skip
    return rows


def _cement_rows(year: int, growth: float, clinker_id: str) -> list[dict[str, str]]:
    rows = []
    for i, (facility, scale) in enumerate((("kiln-1", 1.0), ("kiln-2", 0.8))):
        s = scale * growth
        rows += _month_rows(
            facility,
            year,
            1,
            "stationary_combustion",
            "bituminous_coal",
            110_000 * s,
            "t",
            seed=year + i,
        )
        rows += _month_rows(
            facility, year, 1, "process", CLINKER, 900_000 * s, "t", clinker_id, seed=year + 10 + i
        )
        rows += _month_rows(
            facility, year, 1, "mobile_combustion", "diesel", 800 * s, "t", seed=year + 20 + i
        )
        rows += _month_rows(
            facility,
            year,
            2,
            "purchased_electricity",
            "electricity",
            95_000 * s,
            "MWh",
            seed=year + 30 + i,
        )
    return rows  # fmt: skip


def _electronics_rows(year: int, travel_id: str) -> list[dict[str, str]]:
    rows = []
    plants = (("sz-plant", 1.0), ("dg-plant", 0.7), ("cd-plant", 0.5))
    for i, (facility, s) in enumerate(plants):
        rows += _month_rows(
            facility,
            year,
            2,
            "purchased_electricity",
            "electricity",
            60_000_000 * s,
            "kWh",
            seed=year + 40 + i,
        )
        rows += _month_rows(
            facility,
            year,
            1,
            "stationary_combustion",
            "natural_gas",
            40 * s,
            "10^4 Nm^3",
            seed=year + 50 + i,
        )
        rows += _month_rows(
            facility, year, 1, "stationary_combustion", "diesel", 12 * s, "t", seed=year + 60 + i
        )
    rows += _month_rows(
        "sz-plant", year, 2, "green_certificate", "electricity", 15_000, "MWh", seed=year + 70
    )
    rows += _month_rows(
        "sz-plant",
        year,
        3,
        "cat06_business_travel",
        AIR_TRAVEL,
        2_400_000,
        "passenger*km",
        travel_id,
        seed=year + 80,
    )
    return rows  # fmt: skip


def _import(
    session: Session, actor: Principal, org: str, year: int, rows: list[dict[str, str]]
) -> None:
    frame = records.from_rows(rows, f"{org}-{year}.csv", year)
    body = pl.DataFrame(rows).write_csv().encode()
    name = f"{org}-{year}.csv"
    service.import_records(
        session, org, year, frame, (name, hashlib.sha256(body).hexdigest()), actor
    )


def _cement(session: Session) -> None:
    actor = _account(session, "demo-cement")
    service.register_organisation(
        session, CEMENT, "冀东示范水泥有限公司 (demo)", actor.name, "cement", actor
    )
    for code, name in (("kiln-1", "1号熟料生产线"), ("kiln-2", "2号熟料生产线")):
        service.register_facility(session, CEMENT, code, name, "河北", actor)
    clinker = service.add_factor(
        session,
        service.NewFactor(
            "clinker-calcination",
            CLINKER,
            "t",
            {"CO2": 520.0},
            "IPCC 2006 Vol.3 Ch.2 Eq. 2.4 default EF for clinker, 0.52 t CO2/t clinker (demo: "
            "use the plant's measured CaO content in a real report)",
            method="process",
        ),
        actor,
    )
    for year, growth, output in ((2024, 1.0, 2_250_000.0), (2025, 0.96, 2_180_000.0)):
        _import(session, actor, CEMENT, year, _cement_rows(year, growth, clinker))
        options = service.ReportOptions(year, "AR6", None, Intensity(output, "t", 420_000.0))
        service.set_options(session, CEMENT, year, options, actor)
        service.submit(session, CEMENT, year, actor)
    service.correct(
        session, CEMENT, 2025, "kiln-2 December diesel re-read from the fuel log", actor
    )
    rows = _cement_rows(2025, 0.96, clinker)
    december = next(r for r in rows if r["facility"] == "kiln-2" and r["activity"] == "diesel"
                    and r["period_start"].endswith("-12-01"))  # fmt: skip
    december["quantity"] = f"{float(december['quantity']) * 1.25:.3f}"
    frame = records.from_rows(rows, "hb-cement-2025-corrected.csv", 2025)
    service.import_records(
        session,
        CEMENT,
        2025,
        frame,
        ("hb-cement-2025-corrected.csv", "0" * 64),
        actor,
        replace=True,
    )
    service.submit(session, CEMENT, 2025, actor)


def _electronics(session: Session) -> None:
    actor = _account(session, "demo-electronics")
    service.register_organisation(
        session, ELECTRONICS, "粤芯示范电子有限公司 (demo)", actor.name, "electronics", actor
    )
    for code, name, province in (
        ("sz-plant", "深圳工厂", "广东"),
        ("dg-plant", "东莞工厂", "广东"),
        ("cd-plant", "成都工厂", "四川"),
    ):
        service.register_facility(session, ELECTRONICS, code, name, province, actor)
    travel = service.add_factor(
        session,
        service.NewFactor(
            "air-travel-economy",
            AIR_TRAVEL,
            "passenger*km",
            {"CO2": 0.0931, "CH4_fossil": 0.0000004, "N2O": 0.0000029},
            "demo value of the size of UK DESNZ 2024 short-haul economy flight factors, without "
            "radiative forcing; replace with your programme's factor",
            data_year=2024,
        ),
        actor,
    )
    _import(session, actor, ELECTRONICS, 2025, _electronics_rows(2025, travel))
    service.set_options(
        session,
        ELECTRONICS,
        2025,
        service.ReportOptions(2025, "AR6", None, Intensity(2_000_000.0, "piece", 860_000.0)),
        actor,
    )
    service.submit(session, ELECTRONICS, 2025, actor)
    body = json.loads(
        resources.files("ecocredit.carbon").joinpath("data/demo_products.json").read_text("utf-8")
    )
    define(session, process_io.parse(body), actor)


def load_carbon(session: Session) -> str:
    """Load the carbon demo once."""
    exists = session.execute(
        select(organisations.c.code).where(organisations.c.code == CEMENT)
    ).first()
    if exists is not None:
        return "carbon: already loaded"
    _cement(session)
    _electronics(session)
    return "carbon: 2 enterprises' inventories (2024-2025, one corrected), a phone mainboard BOM"
