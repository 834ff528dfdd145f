"""An inventory version computed into its report, and the hashes that tie it to the log.

The report is a JSON document; its ``sha256`` is the SHA-256 of the RFC 8785 canonical JSON
of the report without that field, and ``records_sha256`` is the SHA-256 of the records CSV
(:func:`records_csv`, the file ``GET …/records.csv`` serves). Both go into the log entry of
the submission, so anyone holding the report and the records can check them against it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import rfc8785
from sqlalchemy.orm import Session

from ecocredit.carbon import catalog, store, units
from ecocredit.carbon.calc import Computed, compute
from ecocredit.carbon.model import Facility, Intensity
from ecocredit.carbon.resolve import Options, resolve
from ecocredit.carbon.summary import summarise
from ecocredit.errors import InvalidParameter

RECORD_COLUMNS = (
    "line", "facility", "period_start", "period_end", "scope", "category", "activity",
    "quantity", "unit", "factor_id", "evidence_sha256", "note",
)  # fmt: skip
TRUSTED = ("verified", "corroborated")
HASHED = (
    "organisation", "year", "version", "reason", "gwp_set", "series", "as_of",
    "records_sha256", "choices", "factors", "factors_used", "summary",
)  # fmt: skip


@dataclass(frozen=True)
class ReportOptions:
    """A report's choices: the year, GWP set, preferred series, output and revenue."""

    year: int
    gwp: str = "AR6"
    series: str | None = None
    intensity: Intensity = field(default_factory=Intensity)
    as_of: dt.date | None = None


def check_options(options: ReportOptions) -> None:
    """Refuse a GWP set, series or intensity the platform does not know."""
    if options.gwp not in catalog.gwp_sets():
        known = ", ".join(catalog.gwp_sets())
        raise InvalidParameter(f"gwp: {options.gwp[:10]!r} is not a GWP set ({known})", field="gwp")
    series = {f.series for f in catalog.published().values()}
    if options.series is not None and options.series not in series:
        known = ", ".join(sorted(series))
        raise InvalidParameter(f"series: unknown series ({known})", field="series")
    intensity = options.intensity
    for name in ("output_quantity", "revenue_wan_cny"):
        value = getattr(intensity, name)
        if value is not None and not (0 < value < 1e15):
            raise InvalidParameter(f"{name} must be a positive number", field=name)
    if intensity.output_unit is not None:
        units.parse(intensity.output_unit, "output_unit")


def compute_frame(
    frame: pl.DataFrame,
    factors: Mapping[str, Any],
    facilities: Mapping[str, Facility],
    options: ReportOptions,
    name: str,
    pinned: Mapping[str, list[str]] | None = None,
) -> tuple[Computed, Mapping[str, list[str]]]:
    """Resolve and compute records; return the result and the default rule's choices."""
    provinces = {code: facility.province for code, facility in facilities.items()}
    resolved = resolve(
        frame, factors, provinces, Options(options.year, options.series, options.as_of), name,
        pinned,
    )  # fmt: skip
    gwp = catalog.gwp_sets()[options.gwp]
    return compute(frame, resolved, gwp, options.gwp, name), resolved.choices


def records_csv(frame: pl.DataFrame) -> bytes:
    """The records as the CSV the report's ``records_sha256`` is taken of."""
    return frame.select(RECORD_COLUMNS).write_csv(date_format="%Y-%m-%d").encode("utf-8")


def _factor_json(factor: Any, count: int) -> dict[str, Any]:
    return {
        "factor_id": factor.factor_id, "activity": factor.activity, "unit": factor.unit,
        "kg_per_unit": dict(factor.gases), "series": factor.series, "method": factor.method,
        "data_year": factor.data_year, "region": factor.region, "document": factor.document,
        "source": factor.source, "status": factor.status, "records": count,
    }  # fmt: skip


def _factors_used(computed: Computed) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for column in ("location_factor", "market_factor"):
        for factor_id, count in computed.records.get_column(column).value_counts().iter_rows():
            if factor_id:
                counts[factor_id] = counts.get(factor_id, 0) + int(count)
    return [_factor_json(computed.factors[i], counts.get(i, 0)) for i in sorted(computed.factors)]


def computed_version(
    session: Session,
    row: Mapping[str, Any],
    pinned: Mapping[str, list[str]] | None,
    as_of: dt.date | None,
) -> tuple[pl.DataFrame, Computed, Mapping[str, list[str]], dict[str, Facility]]:
    """Load and compute one inventory version (a row of ``carbon_inventories``)."""
    frame = store.load(session, row["id"])
    facilities = store.facilities_of(session, row["organisation"])
    named = frame.get_column("factor_id").drop_nulls().unique().to_list()
    options = ReportOptions(
        row["year"], row["gwp"], row["series"],
        Intensity(row["output_quantity"], row["output_unit"], row["revenue_wan_cny"]), as_of,
    )  # fmt: skip
    computed, choices = compute_frame(
        frame, store.all_factors(session, named), facilities, options, "records", pinned
    )
    return frame, computed, choices, facilities


def build_report(
    session: Session,
    row: Mapping[str, Any],
    pinned: Mapping[str, list[str]] | None,
    as_of: dt.date | None,
) -> dict[str, Any]:
    """Compute one inventory version into its report (see the module's docstring)."""
    frame, computed, choices, facilities = computed_version(session, row, pinned, as_of)
    intensity = Intensity(row["output_quantity"], row["output_unit"], row["revenue_wan_cny"])
    summary = summarise(computed, facilities, intensity)
    factors = _factors_used(computed)
    summary["notes"] += [
        f"factor {f['factor_id']} is {f['status']}: its value rests on "
        f"{'a secondary source' if f['status'] == 'secondary' else 'no checked source'}"
        for f in factors
        if f["status"] not in (*TRUSTED, "user")
    ]
    report = {
        "organisation": row["organisation"], "year": row["year"], "version": row["version"],
        "status": row["status"], "reason": row["reason"], "gwp_set": row["gwp"],
        "series": row["series"], "as_of": as_of.isoformat() if as_of else None,
        "records_sha256": hashlib.sha256(records_csv(frame)).hexdigest(),
        "choices": dict(choices), "factors": factors,
        "factors_used": [f["factor_id"] for f in factors], "summary": summary,
    }  # fmt: skip
    report["sha256"] = report_sha256(report)
    return report


def report_sha256(report: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON (RFC 8785) of the report's fields listed in HASHED."""
    body = {key: report[key] for key in HASHED}
    return hashlib.sha256(rfc8785.dumps(json.loads(json.dumps(body)))).hexdigest()
