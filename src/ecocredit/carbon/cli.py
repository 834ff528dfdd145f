"""``ecocredit carbon``: the factor library, organisations, inventories and product footprints.

``carbon compute`` reads an activity CSV and prints or writes its inventory without a
database, so anyone can check a company's numbers from its records. The other commands work
on the installation's database; writes name the acting account with ``--as``.
Exit codes: 0 done, 1 refused (the message names the file, line and field), 2 bad option.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.carbon import catalog, inventory, service
from ecocredit.carbon.model import Facility, Intensity
from ecocredit.carbon.products_cli import register as register_products
from ecocredit.carbon.summary import summarise
from ecocredit.runtime import open_runtime
from ecocredit.settings import get_settings

app = typer.Typer(
    help="Greenhouse-gas inventories and product carbon footprints.", no_args_is_help=True
)
Actor = Annotated[str, typer.Option("--as", help="The acting account (role reporter).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Org = Annotated[str, typer.Argument(help="Organisation code.")]
Year = Annotated[int, typer.Argument(min=1990, max=2100, help="Inventory year.")]
VersionOption = Annotated[int | None, typer.Option(help="Version; the latest if omitted.")]


def _json(body: Any) -> None:
    console.raw(json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n")


@app.command("factors")
def factors_command(
    activity: Annotated[str | None, typer.Option(help="e.g. electricity, diesel.")] = None,
    series: Annotated[str | None, typer.Option(help="e.g. MEE-NBS, IPCC 2006.")] = None,
    year: Annotated[int | None, typer.Option(help="Data year.")] = None,
    as_json: AsJson = False,
) -> None:
    """List emission factors with their values and sources."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        found = service.factor_list(session, activity, series, year)
    if as_json:
        _json(found)
        return
    for f in found:
        values = ", ".join(f"{g} {v:.6g}" for g, v in f["kg_per_unit"].items())
        console.show(f"{f['factor_id']}: {values} kg/{f['unit']} [{f['status']}] {f['document']}")


@app.command("factor-add")
def factor_add(
    name: Annotated[str, typer.Argument(help="Name; the id becomes <account>/<name>.")],
    activity: Annotated[str, typer.Option(help="Activity, e.g. steel, freight.")],
    unit: Annotated[str, typer.Option(help="Per one of this unit, e.g. t, kWh, t*km.")],
    gas: Annotated[list[str], typer.Option(help="GAS=KG per unit, e.g. CO2=1.85; repeat.")],
    source: Annotated[str, typer.Option(help="Where the value comes from.")],
    actor: Actor,
    data_year: Annotated[int | None, typer.Option(help="Year the data describes.")] = None,
) -> None:
    """Add your own factor (never replaces a published one)."""
    gases = {}
    for item in gas:
        key, _, value = item.partition("=")
        try:
            gases[key.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"{item!r} is not GAS=KG", param_hint="--gas") from None
    new = service.NewFactor(name, activity, unit, gases, source, data_year=data_year)
    runtime = open_runtime(get_settings())
    factor_id = runtime.db.write(lambda s: service.add_factor(s, new, accounts.principal(s, actor)))
    runtime.sign_checkpoint()
    console.show(f"factor added: {factor_id}")


@app.command("org-add")
def org_add(
    code: Org,
    name: Annotated[str, typer.Option(help="Full name.")],
    actor: Actor,
    account: Annotated[str | None, typer.Option(help="Reporting account (default --as).")] = None,
    industry: Annotated[str, typer.Option(help="Industry.")] = "",
) -> None:
    """Register an organisation."""
    runtime = open_runtime(get_settings())
    runtime.db.write(
        lambda s: service.register_organisation(
            s, code, name, account or actor, industry, accounts.principal(s, actor)
        )
    )
    runtime.sign_checkpoint()
    console.show(f"organisation registered: {code}")


@app.command("facility-add")
def facility_add(
    organisation: Org,
    code: Annotated[str, typer.Argument(help="Facility code.")],
    name: Annotated[str, typer.Option(help="Facility name.")],
    actor: Actor,
    province: Annotated[str | None, typer.Option(help="Province short name, e.g. 河北.")] = None,
) -> None:
    """Register or change a facility."""
    runtime = open_runtime(get_settings())
    runtime.db.write(
        lambda s: service.register_facility(
            s, organisation, code, name, province, accounts.principal(s, actor)
        )
    )
    runtime.sign_checkpoint()
    console.show(f"facility {organisation}/{code} registered")


@app.command("import")
def import_command(
    organisation: Org,
    year: Year,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Activity CSV.")],
    actor: Actor,
    replace: Annotated[bool, typer.Option(help="Replace the draft's records.")] = False,
) -> None:
    """Add activity records from a CSV file to the year's draft inventory."""
    data = path.read_bytes()
    frame = service.read_csv(data, path.name, year)
    sha256 = hashlib.sha256(data).hexdigest()
    runtime = open_runtime(get_settings())
    with console.progress("importing records", frame.height) as advance:
        done = runtime.db.write(
            lambda s: service.import_records(
                s, organisation, year, frame, (path.name, sha256), accounts.principal(s, actor),
                replace=replace, progress=advance,
            )
        )  # fmt: skip
    runtime.sign_checkpoint()
    console.show(
        f"{done.records} records added to {organisation} {year} version {done.version} "
        f"({done.total_records} in the draft)"
    )


@app.command("options")
def options_command(
    organisation: Org,
    year: Year,
    actor: Actor,
    gwp: Annotated[str, typer.Option(help="SAR, AR4, AR5 or AR6.")] = "AR6",
    series: Annotated[str | None, typer.Option(help="Preferred factor series.")] = None,
    output: Annotated[float | None, typer.Option(help="Output of the year.")] = None,
    output_unit: Annotated[str | None, typer.Option(help="Unit of the output.")] = None,
    revenue: Annotated[float | None, typer.Option(help="Revenue in 10,000 CNY.")] = None,
) -> None:
    """Choose the draft's GWP set, factor series, output and revenue."""
    options = service.ReportOptions(year, gwp, series, Intensity(output, output_unit, revenue))
    runtime = open_runtime(get_settings())
    runtime.db.write(
        lambda s: service.set_options(s, organisation, year, options, accounts.principal(s, actor))
    )
    console.show(f"options set for {organisation} {year}")


@app.command("submit")
def submit_command(organisation: Org, year: Year, actor: Actor) -> None:
    """Compute the draft, freeze it and put its hashes into the log."""
    runtime = open_runtime(get_settings())
    report = runtime.db.write(
        lambda s: service.submit(s, organisation, year, accounts.principal(s, actor))
    )
    runtime.sign_checkpoint()
    totals = report["summary"]["totals_t"]
    console.show(
        f"{organisation} {year} version {report['version']} submitted (log entry "
        f"{report['ledger_index']}): {totals['total_location']} t CO2e location-based, "
        f"{totals['total_market']} t market-based; sha256 {report['sha256']}"
    )


@app.command("correct")
def correct_command(
    organisation: Org,
    year: Year,
    reason: Annotated[str, typer.Option(help="Why the submitted version is corrected.")],
    actor: Actor,
) -> None:
    """Open the next version as a copy of the submitted one."""
    runtime = open_runtime(get_settings())
    version = runtime.db.write(
        lambda s: service.correct(s, organisation, year, reason, accounts.principal(s, actor))
    )
    console.show(f"{organisation} {year} version {version} opened as a draft")


@app.command("report")
def report_command(
    organisation: Org,
    year: Year,
    version: VersionOption = None,
    output_format: Annotated[str, typer.Option("--format", help="json, csv or text.")] = "text",
    output: Annotated[Path | None, typer.Option("-o", help="Write to this file.")] = None,
) -> None:
    """A version's report: JSON, the records with their results as CSV, or a summary."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        if output_format == "csv":
            text = service.records_with_results(session, organisation, year, version).write_csv(
                date_format="%Y-%m-%d"
            )
        else:
            body = service.report(session, organisation, year, version)
            text = json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n"
    if output_format == "text":
        _show_report(body)
        return
    if output_format not in ("json", "csv"):
        raise typer.BadParameter("json, csv or text", param_hint="--format")
    if output is None:
        console.raw(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.show(f"written to {output}")


def _show_report(body: dict[str, Any]) -> None:
    totals = body["summary"]["totals_t"]
    console.show(
        f"{body['organisation']} {body['year']} version {body['version']} ({body['status']}), "
        f"GWP {body['gwp_set']}"
    )
    for key, value in totals.items():
        console.show(f"  {key:16} {value:>16} t CO2e")
    for note in body["summary"]["notes"]:
        console.show(f"  note: {note}")
    console.show(f"  sha256 {body['sha256']}")


@app.command("verify")
def verify_command(organisation: Org, year: Year, version: VersionOption = None) -> None:
    """Recompute a submitted version and check its hashes against its log entry."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        problems = service.verify(session, organisation, year, version)
    if problems:
        for problem in problems:
            console.failure("mismatch", problem)
        raise typer.Exit(1)
    console.show(f"{organisation} {year}: report, records and log entry agree")


@app.command("compute")
def compute_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Activity CSV.")],
    year: Annotated[int, typer.Option(min=1990, max=2100, help="Inventory year.")],
    facility: Annotated[
        list[str] | None, typer.Option(help="CODE=PROVINCE for regional factors; repeat.")
    ] = None,
    gwp: Annotated[str, typer.Option(help="SAR, AR4, AR5 or AR6.")] = "AR6",
    output: Annotated[Path | None, typer.Option("-o", help="Write records with results.")] = None,
) -> None:
    """Compute an inventory from a CSV without a database; print its totals as JSON."""
    frame = service.read_csv(path.read_bytes(), path.name, year)
    provinces = dict(item.partition("=")[::2] for item in facility or [])
    sites = {
        code: Facility(code, code, provinces.get(code) or None)
        for code in frame.get_column("facility").unique().to_list()
    }
    options = service.ReportOptions(year, gwp, as_of=dt.date.today())
    service.check_options(options)
    computed, _ = inventory.compute_frame(frame, catalog.published(), sites, options, path.name)
    if output is not None:
        computed.records.write_csv(output, date_format="%Y-%m-%d")
    _json(summarise(computed, sites, Intensity()))


register_products(app)
