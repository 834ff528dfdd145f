"""The air-quality service: the one door other capabilities, the API and the CLI go through.

Writes (stations, imports, targets) run in the caller's transaction and append their log
entry there; reads return plain dicts. See :mod:`ecocredit.air.ops` for the writes,
:mod:`ecocredit.air.queries` and :mod:`ecocredit.air.evaluations` for the reads.
"""

from __future__ import annotations

from ecocredit.air.evaluations import (
    evaluate_year,
    evaluation_json,
    subject_targets,
    trend,
)
from ecocredit.air.ops.imports import FileReport, ImportReport, SourceFile
from ecocredit.air.ops.imports import run as import_files
from ecocredit.air.ops.stations import register as register_stations
from ecocredit.air.ops.targets import record_annual_mean, set_target
from ecocredit.air.queries import (
    cities,
    city_members,
    daily_report,
    history,
    last_day,
    latest,
    station,
    station_rows,
)

__all__ = [
    "FileReport",
    "ImportReport",
    "SourceFile",
    "cities",
    "city_members",
    "daily_report",
    "evaluate_year",
    "evaluation_json",
    "history",
    "import_files",
    "last_day",
    "latest",
    "record_annual_mean",
    "register_stations",
    "set_target",
    "station",
    "station_rows",
    "subject_targets",
    "trend",
]
