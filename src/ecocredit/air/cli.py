"""``ecocredit air``: stations, imports, reports and evaluations; two commands need no database.

``air aqi`` and ``air evaluate`` read monitoring files and write CSV without a database, so a
monitoring centre can check a day's or a year's numbers on any machine. The other commands
work on the installation's database; writes name the acting account with ``--as``.
Exit codes: 0 when everything was taken, 1 when some rows were rejected (the rest was still
taken), 2 when nothing could be done (a bad option, an unreadable file).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.air import files, readers, service
from ecocredit.air.api_render import import_json
from ecocredit.air.evaluate import Evaluation, Target
from ecocredit.air.merge import merge_runs
from ecocredit.air.model import DataStatus, Layout, Pollutant, Reject, Station
from ecocredit.air.rules import parse_standard, rule_set, standard_for
from ecocredit.runtime import open_runtime
from ecocredit.settings import get_settings

app = typer.Typer(
    help="Air quality: stations, AQI, daily reports, annual evaluation.", no_args_is_help=True
)
stations_app = typer.Typer(help="Monitoring stations.", no_args_is_help=True)
app.add_typer(stations_app, name="stations")

Inputs = Annotated[list[Path], typer.Argument(help="Site files, wide or long CSV, or JSON.")]
LayoutOption = Annotated[Layout | None, typer.Option(help="Input layout; detected if omitted.")]
RuleOption = Annotated[
    str | None, typer.Option("--rule-set", help="HJ633-2012 or HJ633-2026; by date if omitted.")
]
Actor = Annotated[str, typer.Option("--as", help="The acting account (role monitor).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
SHOWN_REJECTS = 50


def _report_rejects(rejects: list[Reject]) -> None:
    for reject in rejects[:SHOWN_REJECTS]:
        console.failure("rejected", reject.describe())
    if len(rejects) > SHOWN_REJECTS:
        console.failure("rejected", f"… and {len(rejects) - SHOWN_REJECTS} more")


def _read_all(
    inputs: list[Path], layout: Layout | None, stations: set[str] | None = None
) -> list[Any]:
    grids = []
    with console.progress("reading", len(inputs)) as advance:
        for path in inputs:
            grids.append(readers.read_grid(path, layout=layout, stations=stations))
            advance(1)
    return grids


@app.command("aqi")
def aqi_command(
    inputs: Inputs,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write.")],
    layout: LayoutOption = None,
    rules: RuleOption = None,
    station_list: Annotated[
        Path | None, typer.Option("--stations", help="Station list: other codes are rejected.")
    ] = None,
) -> None:
    """Hourly AQI of every station-hour in INPUT, without a database."""
    chosen = rule_set(rules) if rules else None
    rejects: list[Reject] = []
    known = None
    if station_list is not None:
        listed, rejects = readers.read_stations(station_list)
        known = {s.code for s in listed}
    grids = _read_all(inputs, layout, known)
    # Files read as runs of touching hours: a day's files give each other the trailing 24
    # hours HJ 633-2012 needs, and a station-hour two files give is reported, written once.
    runs = merge_runs(grids, [str(p) for p in inputs])
    rows = files.write_aqi(runs, output, chosen)
    rejects += [r for g in grids for r in g.rejects] + [r for g in runs for r in g.rejects]
    _report_rejects(rejects)
    console.show(f"{rows} station-hours written to {output}; {len(rejects)} rejected")
    raise typer.Exit(1 if rejects else 0)


@app.command("evaluate")
def evaluate_command(
    inputs: Inputs,
    year: Annotated[int, typer.Option(help="Calendar year to evaluate.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="CSV to write.")] = None,
    station_list: Annotated[
        Path | None, typer.Option("--stations", help="Station list (needed for --cities).")
    ] = None,
    cities: Annotated[
        bool, typer.Option("--cities", help="Evaluate cities, not stations.")
    ] = False,
    standard: Annotated[str | None, typer.Option(help="GB 3095 version.")] = None,
    layout: LayoutOption = None,
) -> None:
    """Annual evaluation of every station (or city) in INPUT, without a database."""
    if not 2000 <= year <= 2099:
        raise typer.BadParameter(f"{year} is outside 2000-2099", param_hint="--year")
    version = parse_standard(standard) if standard else standard_for(dt.date(year, 12, 31))
    known = None
    rejects: list[Reject] = []
    if station_list is not None:
        known, station_rejects = readers.read_stations(station_list)
        rejects += station_rejects
    if cities and known is None:
        raise typer.BadParameter("--cities needs --stations FILE", param_hint="--stations")
    grids = _read_all(inputs, layout, {s.code for s in known} if known else None)
    grid = files.year_grid(grids, year, [str(p) for p in inputs])
    rejects += grid.rejects
    found = files.evaluate_files(grid, version, stations=known, cities=cities)
    frame = files.evaluation_frame(found)
    _report_rejects(rejects)
    if output is not None:
        frame.write_csv(output, null_value="")
        console.show(f"{len(found)} evaluations written to {output}")
    else:
        _show_evaluations(found, year)
    raise typer.Exit(1 if rejects else 0)


def _show_evaluations(found: list[Evaluation], year: int) -> None:
    verdict = {True: "meets", False: "does not meet", None: "cannot be judged"}
    for ev in found:
        console.show(f"{ev.subject} {year}: {verdict[ev.compliant]} {ev.standard.value} Grade II")
        for it in ev.items:
            console.show(
                f"  {it.pollutant.value:6} {it.statistic:12} {it.value} "
                f"(limit {it.limit:g}) {it.note}"
            )


@app.command("import")
def import_command(
    inputs: Inputs,
    actor: Actor,
    status: Annotated[DataStatus, typer.Option(help="realtime or audited.")] = DataStatus.REALTIME,
    layout: LayoutOption = None,
    station_list: Annotated[
        Path | None,
        typer.Option("--stations", help="A station list to register first, in the same write."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Import monitoring files in one transaction; their stations must be registered."""
    listed: list[Station] = []
    station_rejects: list[Reject] = []
    if station_list is not None:
        listed, station_rejects = readers.read_stations(station_list)
        _report_rejects(station_rejects)
    sources = [service.SourceFile(p.name, readers.load(p), layout) for p in inputs]
    runtime = open_runtime(get_settings())

    def work(session: Session, advance: Callable[[int], None]) -> service.ImportReport:
        caller = accounts.principal(session, actor)
        if listed:
            service.register_stations(session, listed, caller)
        return service.import_files(session, sources, status=status, actor=caller, progress=advance)

    with console.progress("importing", len(sources)) as advance:
        report = runtime.db.write(lambda s: work(s, advance))
    runtime.sign_checkpoint()
    body = import_json(report)
    if as_json:
        console.raw(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    else:
        _report_rejects(report.rejects)
        for f in report.files:
            seen = f" (already imported in import {f.imported_before})" if f.imported_before else ""
            console.show(f"{f.name}: sha256 {f.sha256}, {f.rows} rows, {f.rejected} rejected{seen}")
        console.show(
            f"import {report.import_id}: {report.values_written} values written "
            f"({report.values_withdrawn} withdrawn by the audit), {len(report.rejects)} rejected"
        )
        if report.published_compared:
            console.show(
                f"published AQI reproduced in {report.published_matched} of "
                f"{report.published_compared} station-hours"
            )
            for line in report.published_differences:
                console.show(f"  {line}")
    raise typer.Exit(0 if report.clean and not station_rejects else 1)


@stations_app.command("import")
def stations_import(path: Path, actor: Actor) -> None:
    """Register the stations of a station list file (CNEMC or English layout)."""
    found, rejects = readers.read_stations(path)
    runtime = open_runtime(get_settings())
    done = runtime.db.write(
        lambda s: service.register_stations(s, found, accounts.principal(s, actor))
    )
    runtime.sign_checkpoint()
    _report_rejects(rejects)
    console.show(", ".join(f"{v} {k}" for k, v in done.items()))
    raise typer.Exit(1 if rejects else 0)


@stations_app.command("list")
def stations_list(city: Annotated[str | None, typer.Option()] = None) -> None:
    """List the registered stations."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        for row in service.station_rows(session, city):
            console.show(f"{row['code']:8} {row['name']} ({row['city']}, {row['kind']})")


@app.command("latest")
def latest_command(
    cities: Annotated[bool, typer.Option("--cities", help="Cities, not stations.")] = False,
) -> None:
    """The newest AQI of every station (or city)."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        rows = service.latest(session, city=cities)
    for row in rows:
        name = row.get("city") if cities else f"{row['code']} {row['name']}"
        primary = ";".join(row["primary_pollutants"]) or "-"
        console.show(f"{name}: {row['time']} AQI {row['aqi']} {row['category']} {primary}")


@app.command("report")
def report_command(
    subject: Annotated[str, typer.Argument(help="Station code, or city with --city.")],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD.")],
    city: Annotated[bool, typer.Option("--city")] = False,
    rules: RuleOption = None,
    as_json: AsJson = False,
) -> None:
    """Daily report: daily values, IAQIs, AQI, primary pollutants and level of each day."""
    first, last = _day(start, "--start"), _day(end, "--end")
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        body = service.daily_report(session, subject, first, last, city=city, rules=rules)
    if as_json:
        console.raw(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    console.show(f"{subject}: {body['data_status']} data ({body['values_by_status']})")
    for day in body["days"]:
        primary = ";".join(day["primary_pollutants"]) or "-"
        console.show(f"  {day['day']} AQI {day['aqi']} {day['category']} {primary}")


@app.command("evaluation")
def evaluation_command(
    subject: Annotated[str, typer.Argument(help="Station code, or city with --city.")],
    year: Annotated[int, typer.Option()],
    city: Annotated[bool, typer.Option("--city")] = False,
    standard: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Annual evaluation of a stored station or city, with its targets."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        found = service.evaluate_year(
            session, year, cities=city, subjects=[subject], standard=standard
        )
        body = service.evaluation_json(found[0], service.subject_targets(session, subject))
    console.raw(json.dumps(body, indent=2, ensure_ascii=False) + "\n")


@app.command("target")
def target_command(
    subject: Annotated[str, typer.Argument(help="City (or station code).")],
    actor: Actor,
    year: Annotated[int, typer.Option()],
    value: Annotated[float, typer.Option()],
    baseline_year: Annotated[int, typer.Option()],
    baseline: Annotated[float, typer.Option()],
    source: Annotated[str, typer.Option()],
    pollutant: Annotated[Pollutant, typer.Option()] = Pollutant.PM25,
) -> None:
    """Set a target for an annual mean, e.g. Beijing's PM2.5 of 60 by 2017 from 89.5 in 2013."""
    target = Target(subject, pollutant, year, value, baseline_year, baseline, source)
    runtime = open_runtime(get_settings())
    runtime.db.write(lambda s: service.set_target(s, target, accounts.principal(s, actor)))
    runtime.sign_checkpoint()
    console.show(f"target set: {subject} {pollutant.value} {value:g} by {year}")


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None
