"""Demo data of air quality: three cities' national stations, a year and a week of hours.

The stations are real national control stations of Beijing, Shanghai and Chengdu (codes,
names and coordinates from the national station list) plus a few invented micro sensors; the
concentrations are synthetic (:mod:`ecocredit.air.demo_series`). The demo imports 2025 as
audited national site files — one file per day, as monitoring centres exchange them — and
the last week before today as real-time data, then an audited revision of one day of that
week, so the portal shows revisions, annual evaluations and the published history of
Beijing's annual PM2.5 against its 2017 target of 60 µg/m³.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from importlib import resources

import numpy as np
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, AccountKind, Role
from ecocredit.air import service
from ecocredit.air.demo_series import demo_stations, generate
from ecocredit.air.evaluate import Target
from ecocredit.air.model import (
    LOCAL_OFFSET,
    POLLUTANTS,
    DataStatus,
    HourlyGrid,
    Pollutant,
)

MONITOR = "monitoring-centre"
YEAR = 2025
WEEK_DAYS = 7
BEIJING_TARGET = Target(
    subject="北京",
    pollutant=Pollutant.PM25,
    year=2017,
    value=60.0,
    baseline_year=2013,
    baseline=89.5,
    source="Air Pollution Prevention and Control Action Plan (State Council, September 2013): "
    "Beijing's annual PM2.5 around 60 µg/m³ by 2017, from 89.5 µg/m³ in 2013",
)


def site_files(grid: HourlyGrid) -> list[service.SourceFile]:
    """The grid as national daily site files (``date,hour,type,<codes…>``), one per date."""
    local = grid.hours + LOCAL_OFFSET
    dates = local.astype("datetime64[D]")
    out = []
    for day in np.unique(dates):
        cols = np.nonzero(dates == day)[0]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["date", "hour", "type", *grid.stations])
        stamp = str(day).replace("-", "")
        for col in cols:
            hour = int((local[col] - day) / np.timedelta64(1, "h"))
            for p in POLLUTANTS:
                cells = [_cell(v, p) for v in grid.values[p.index, :, col]]
                writer.writerow([stamp, hour, p.value, *cells])
        name = f"china_sites_{stamp}.csv"
        out.append(service.SourceFile(name, buffer.getvalue().encode("utf-8")))
    return out


def _cell(value: float, pollutant: Pollutant) -> str:
    if np.isnan(value):
        return ""
    return f"{value:.1f}" if pollutant is Pollutant.CO else f"{value:.0f}"


def _revision(files: list[service.SourceFile]) -> service.SourceFile:
    """An audited copy of one day: the review lowered one station's PM10 for a dust error."""
    lines = files[-3].data.decode("utf-8").splitlines()
    for i, line in enumerate(lines):
        fields = line.split(",")
        if fields[2] == "PM10" and fields[3]:
            fields[3] = str(max(0, int(float(fields[3])) - 15))
            lines[i] = ",".join(fields)
    return service.SourceFile(
        files[-3].name.replace(".csv", "_audited.csv"), ("\n".join(lines) + "\n").encode("utf-8")
    )


def _history(session: Session) -> int:
    text = resources.files("ecocredit.air").joinpath("data/city_history.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    for r in rows:
        service.record_annual_mean(
            session, r["city"], int(r["year"]), r["pollutant"], float(r["annual_mean"]), r["source"]
        )
    return len(rows)


def load_air(session: Session, today: dt.date | None = None) -> str:
    """Load the air-quality demo once; later calls change nothing."""
    if accounts.exists(session, MONITOR):
        return "air quality: already loaded"
    accounts.create_account(
        session, MONITOR, [Role.MONITOR], SYSTEM_ACTOR, AccountKind.ORGANISATION, with_key=False
    )
    monitor = accounts.principal(session, MONITOR)
    stations = demo_stations()
    service.register_stations(session, stations, monitor)
    year = generate(stations, dt.datetime(YEAR, 1, 1, 1), 365 * 24, seed=YEAR)
    service.import_files(session, site_files(year), status=DataStatus.AUDITED, actor=monitor)
    end = today or dt.date.today()
    start = dt.datetime.combine(end - dt.timedelta(days=WEEK_DAYS), dt.time(1))
    week = site_files(generate(stations, start, WEEK_DAYS * 24, seed=end.toordinal()))
    service.import_files(session, week, status=DataStatus.REALTIME, actor=monitor)
    service.import_files(session, [_revision(week)], status=DataStatus.AUDITED, actor=monitor)
    published = _history(session)
    service.set_target(session, BEIJING_TARGET, monitor)
    return (
        f"air quality: {len(stations)} stations, {YEAR} audited and the last "
        f"{WEEK_DAYS} days real-time, {published} published annual means, 1 target"
    )
