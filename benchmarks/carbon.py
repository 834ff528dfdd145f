"""Carbon benchmark: a million-record inventory, and a product system of 10,000 processes.

Inventory: 1,000,000 records (100,000 with ``--quick``) of 5,000 facilities in ten provinces
(monthly grid power, coal, diesel and natural gas per facility, green certificates, and scope 3
purchases with the company's own factors) are written as a CSV, untimed. Then, each timed on
a fresh SQLite installation: reading and checking the CSV (``records.from_csv``), importing it
into a draft through the service (one transaction, one log entry), and computing the draft's
whole report from the database (``inventory.build_report``: load, default factor choice,
per-gas emissions, market-based scope 2, totals, both hashes) — ``records_per_s`` is that
last figure. Beside it, the ceilings in the same run: reading the same rows with a bare SQL
query, and the bare numpy product of quantities and factors.

Product system: ``carbon_solve.solve_figures`` builds a random productive system of 10,000
processes with loops (2,000 with ``--quick``) and times our build and solve beside Brightway's
bw2calc solving the same matrices; the scores must agree.

The last line of stdout is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import text

from carbon_solve import solve_figures
from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, Role
from ecocredit.carbon import inventory, records, service
from ecocredit.runtime import initialize
from ecocredit.settings import Settings

PROVINCES = ["河北", "山西", "江苏", "浙江", "广东", "四川", "云南", "湖北", "北京", "上海"]
FACILITIES = 5_000
ORG, YEAR = "bench-co", 2025


def activity_csv(total: int, path: Path) -> int:
    """Write ``total`` records (about) to ``path``; return how many were written."""
    facilities = max(1, min(FACILITIES, total // 100))
    months = [(f"{YEAR}-{m:02d}-01", f"{YEAR}-{m:02d}-{_last_day(m):02d}") for m in range(1, 13)]
    streams = [
        (2, "purchased_electricity", "electricity", "kWh", 250_000.0, ""),
        (1, "stationary_combustion", "bituminous_coal", "t", 60.0, ""),
        (1, "mobile_combustion", "diesel", "t", 3.0, ""),
        (1, "stationary_combustion", "natural_gas", "Nm^3", 20_000.0, ""),
        (2, "green_certificate", "electricity", "MWh", 40.0, ""),
    ]
    rng = np.random.default_rng(7)
    frames = []
    per_facility = len(streams) * 12
    scope3 = max(0, total - facilities * per_facility)
    codes = [f"f{i:05d}" for i in range(facilities)]
    for scope, category, activity, unit, size, factor in streams:
        count = facilities * 12
        frames.append(pl.DataFrame({
            "facility": np.repeat(codes, 12), "period_start": [m[0] for m in months] * facilities,
            "period_end": [m[1] for m in months] * facilities, "scope": scope,
            "category": category, "activity": activity,
            "quantity": np.round(rng.uniform(0.5, 1.5, count) * size, 3), "unit": unit,
            "factor_id": factor,
        }))  # fmt: skip
    pick = rng.integers(0, 12, scope3)
    frames.append(pl.DataFrame({
        "facility": np.array(codes)[rng.integers(0, facilities, scope3)],
        "period_start": np.array([m[0] for m in months])[pick],
        "period_end": np.array([m[1] for m in months])[pick], "scope": 3,
        "category": "cat01_purchased_goods", "activity": "steel",
        "quantity": np.round(rng.uniform(0.1, 20, scope3), 3), "unit": "t",
        "factor_id": "bench/steel",
    }))  # fmt: skip
    table = pl.concat(frames)
    table.write_csv(path)
    return table.height


def _last_day(month: int) -> int:
    return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def _install(directory: Path) -> Any:
    settings = Settings(
        data_dir=directory / "var", database_url=f"sqlite:///{directory}/bench.db",
        log_origin="bench.ecocredit.example/log",
    )  # fmt: skip
    runtime = initialize(settings).runtime

    def setup(session: Any) -> None:
        accounts.create_account(session, "bench", [Role.REPORTER], SYSTEM_ACTOR)
        actor = accounts.principal(session, "bench")
        service.register_organisation(session, ORG, "Benchmark Co", "bench", "mixed", actor)
        for i in range(FACILITIES):
            code = f"f{i:05d}"
            service.register_facility(session, ORG, code, code, PROVINCES[i % 10], actor)
        new = service.NewFactor("steel", "steel", "t", {"CO2": 1850.0}, "benchmark value")
        service.add_factor(session, new, actor)

    runtime.db.write(setup)
    return runtime


def _timed(work: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def inventory_figures(total: int) -> dict[str, Any]:
    """Time reading, importing and computing ``total`` records; with the two ceilings."""
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        path = directory / "activity.csv"
        written = activity_csv(total, path)
        runtime = _install(directory)
        data = path.read_bytes()
        read_s, frame = _timed(lambda: records.from_csv(data, path.name, YEAR))
        sha = hashlib.sha256(data).hexdigest()

        def imported(session: Any) -> Any:
            actor = accounts.principal(session, "bench")
            return service.import_records(session, ORG, YEAR, frame, (path.name, sha), actor)

        import_s, _ = _timed(lambda: runtime.db.write(imported))
        with runtime.db.read() as session:
            row = dict(session.execute(text(
                "SELECT * FROM carbon_inventories WHERE organisation = :o"), {"o": ORG}
            ).mappings().one())  # fmt: skip
            compute_s, report = _timed(lambda: inventory.build_report(session, row, None, None))
            sql_s, count = _timed(lambda: _bare_read(session, row["id"]))
        quantities = frame.get_column("quantity").to_numpy()
        coefficients = np.random.default_rng(1).uniform(0.1, 3.0, 64)
        index = np.random.default_rng(2).integers(0, 64, quantities.size)
        numpy_s, _ = _timed(lambda: float((quantities * coefficients[index]).sum()))
        runtime.db.dispose()
    assert count == written
    return {
        "records": written, "read_check_s": read_s, "import_s": import_s,
        "compute_report_s": compute_s, "records_per_s": written / compute_s,
        "bare_sql_read_s": sql_s, "bare_numpy_s": numpy_s,
        "total_location_t": report["summary"]["totals_t"]["total_location"],
        "total_market_t": report["summary"]["totals_t"]["total_market"],
    }  # fmt: skip


def _bare_read(session: Any, inventory_id: int) -> int:
    """The same rows through the driver's cursor, nothing else: the reading ceiling."""
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.execute(
        "SELECT facility, period_start, period_end, scope, category, activity, quantity, unit, "
        "factor_id, evidence_sha256, note FROM carbon_records WHERE inventory_id = ? "
        "ORDER BY line",
        (inventory_id,),
    )
    count = len(cursor.fetchall())
    cursor.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes; under a minute")
    args = parser.parse_args()
    total = 100_000 if args.quick else 1_000_000
    processes = 2_000 if args.quick else 10_000
    inv = inventory_figures(total)
    print(f"inventory of {inv['records']:,} records (SQLite):")
    print(f"  read and check the CSV      {inv['read_check_s']:8.2f} s")
    print(f"  import into a draft         {inv['import_s']:8.2f} s")
    print(
        f"  compute the whole report    {inv['compute_report_s']:8.2f} s "
        f"= {inv['records_per_s']:,.0f} records/s (target: 1,000,000 in <= 10 s)"
    )
    print(f"  ceiling: bare SQL read      {inv['bare_sql_read_s']:8.2f} s")
    print(f"  ceiling: bare numpy product {inv['bare_numpy_s']:8.4f} s")
    print(f"  totals: {inv['total_location_t']} t location-based, {inv['total_market_t']} t market")
    solve = solve_figures(processes)
    print(f"product system of {solve['processes']:,} processes:")
    print(f"  ecocredit build + solve     {solve['solve_10k_s']:8.3f} s (target <= 1 s)")
    print(f"  ecocredit solve only        {solve['solve_only_10k_s']:8.3f} s")
    print(f"  bw2calc LCA + lci + lcia    {solve['bw2calc_solve_10k_s']:8.3f} s")
    print(f"  scores: ours {solve['footprint_kg']:.6g} kg, bw2calc {solve['bw2calc_kg']:.6g} kg")
    figures = {**inv, **solve, "quick": args.quick}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
