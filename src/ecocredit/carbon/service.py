"""The carbon-accounting service: the one door other capabilities, the API and the CLI go through.

Writes run in the caller's transaction and append their log entry there (see
:mod:`ecocredit.carbon.ops`); reads return plain dicts (:mod:`ecocredit.carbon.queries`,
:mod:`ecocredit.carbon.products`).
"""

from __future__ import annotations

from ecocredit.carbon.factor_views import factor_detail, factor_json, factor_list
from ecocredit.carbon.inventory import ReportOptions, check_options, report_sha256
from ecocredit.carbon.ops.inventories import Imported, correct, import_records, set_options, submit
from ecocredit.carbon.ops.setup import (
    NewFactor,
    add_factor,
    register_facility,
    register_organisation,
)
from ecocredit.carbon.products import product_footprint, product_list, what_if
from ecocredit.carbon.queries import (
    organisation,
    organisation_list,
    records_frame,
    records_with_results,
    report,
    versions,
)
from ecocredit.carbon.records import from_csv as read_csv
from ecocredit.carbon.records import from_rows as read_rows
from ecocredit.carbon.verify import verify

__all__ = [
    "Imported",
    "NewFactor",
    "ReportOptions",
    "add_factor",
    "check_options",
    "correct",
    "factor_detail",
    "factor_json",
    "factor_list",
    "import_records",
    "organisation",
    "organisation_list",
    "product_footprint",
    "product_list",
    "read_csv",
    "read_rows",
    "records_frame",
    "records_with_results",
    "register_facility",
    "register_organisation",
    "report",
    "report_sha256",
    "set_options",
    "submit",
    "verify",
    "versions",
    "what_if",
]
