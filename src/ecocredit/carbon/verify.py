"""Check a submitted inventory version: recompute it and compare with what the log holds.

The version is recomputed from its stored records with the factors chosen at submission; its
report hash, its records hash and the log entry of the submission must all agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy.orm import Session

from ecocredit.carbon import inventory, store
from ecocredit.carbon.queries import SUBMITTED, version_row
from ecocredit.errors import InvalidParameter
from ecocredit.ledger import service as ledger


def verify(session: Session, code: str, year: int, version: int | None = None) -> list[str]:
    """What disagrees (empty when the report, its records and its log entry agree)."""
    row = version_row(session, code, year, version)
    if row["status"] != SUBMITTED:
        raise InvalidParameter("only a submitted version can be verified", field="version")
    stored = json.loads(row["summary"])
    as_of = dt.date.fromisoformat(stored["as_of"]) if stored["as_of"] else None
    again = inventory.build_report(session, row, pinned=stored["choices"], as_of=as_of)
    records_sha = hashlib.sha256(inventory.records_csv(store.load(session, row["id"])))
    entries = ledger.read_entries(session, row["ledger_index"], row["ledger_index"] + 1)
    logged = entries[0].decoded()["data"] if entries else {}
    problems = []
    checks = [
        ("report recomputed", again["sha256"], stored["sha256"]),
        ("stored report", inventory.report_sha256(stored), stored["sha256"]),
        ("records", records_sha.hexdigest(), stored["records_sha256"]),
        ("log entry report hash", logged.get("sha256"), stored["sha256"]),
        ("log entry records hash", logged.get("records_sha256"), stored["records_sha256"]),
        ("log entry totals", logged.get("totals"), stored["summary"]["totals_t"]),
    ]
    for what, found, expected in checks:
        if found != expected:
            problems.append(f"{what}: {found} is not {expected}")
    return problems
