"""The factor library as people read it: filters over published and users' factors."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ecocredit.carbon import store
from ecocredit.carbon.model import Factor
from ecocredit.errors import NotFound


def factor_json(factor: Factor) -> dict[str, Any]:
    """One factor with its provenance, as the API and the CLI show it."""
    return {
        "factor_id": factor.factor_id, "activity": factor.activity, "unit": factor.unit,
        "kg_per_unit": dict(factor.gases), "series": factor.series, "method": factor.method,
        "data_year": factor.data_year,
        "publication_date": factor.publication_date.isoformat()
        if factor.publication_date else None,
        "region_level": factor.region_level, "region": factor.region,
        "document": factor.document, "source": factor.source, "status": factor.status,
        "published": factor.published, "owner": factor.owner,
        "parameters": dict(factor.parameters),
    }  # fmt: skip


def factor_list(
    session: Session,
    activity: str | None = None,
    series: str | None = None,
    year: int | None = None,
) -> list[dict[str, Any]]:
    """Published and users' factors, filtered by activity, series and data year."""
    found = []
    for factor in store.all_factors(session).values():
        if activity is not None and factor.activity != activity:
            continue
        if series is not None and factor.series != series:
            continue
        if year is not None and factor.data_year != year:
            continue
        found.append(factor_json(factor))
    return sorted(found, key=lambda f: f["factor_id"])


def factor_detail(session: Session, factor_id: str) -> dict[str, Any]:
    """One factor by id."""
    found = store.all_factors(session, [factor_id]).get(factor_id)
    if found is None:
        raise NotFound(f"no factor {factor_id!r}", field="factor_id")
    return factor_json(found)
