"""How the air API and CLI turn service results into JSON: import reports and station input."""

from __future__ import annotations

from typing import Any

from ecocredit.air.model import Station, StationKind
from ecocredit.air.ops.imports import ImportReport
from ecocredit.errors import InvalidParameter

MAX_REJECTS_SHOWN = 1000


def station_in(fields: dict[str, Any]) -> Station:
    """A station from request fields; the service checks the rest."""
    try:
        kind = StationKind(fields.get("kind", "national"))
    except ValueError:
        known = ", ".join(k.value for k in StationKind)
        raise InvalidParameter(f"kind must be one of {known}", field="kind") from None
    return Station(
        code=fields["code"],
        name=fields["name"],
        city=fields["city"],
        province=fields.get("province", ""),
        longitude=float(fields["longitude"]),
        latitude=float(fields["latitude"]),
        kind=kind,
    )


def import_json(report: ImportReport) -> dict[str, Any]:
    """An import report as JSON: files, counts and the first rejects (file, line, reason)."""
    return {
        "import_id": report.import_id,
        "status": report.status.value,
        "values_written": report.values_written,
        "values_withdrawn": report.values_withdrawn,
        "rejected": len(report.rejects),
        "first_hour": None if report.first_hour is None else f"{report.first_hour}:00Z",
        "last_hour": None if report.last_hour is None else f"{report.last_hour}:00Z",
        "published_aqi": {
            "compared": report.published_compared,
            "matched": report.published_matched,
            "differences": report.published_differences,
        },
        "files": [
            {
                "name": f.name,
                "sha256": f.sha256,
                "layout": f.layout,
                "rows": f.rows,
                "rejected": f.rejected,
                "imported_before": f.imported_before,
            }
            for f in report.files
        ],
        "rejects": [
            {"file": r.file, "line": r.line, "field": r.field, "reason": r.reason}
            for r in report.rejects[:MAX_REJECTS_SHOWN]
        ],
    }
