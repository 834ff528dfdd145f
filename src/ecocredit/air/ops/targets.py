"""Set an air-quality target (e.g. a city's annual PM2.5 goal) and record published means."""

from __future__ import annotations

import math

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ecocredit.accounts.model import Principal
from ecocredit.air.evaluate import Target
from ecocredit.air.ops.common import append, begin, require_monitor
from ecocredit.air.tables import annual_means, targets
from ecocredit.errors import InvalidParameter
from ecocredit.ledger.events import AIR_TARGET_SET
from ecocredit.text import check_text


def set_target(session: Session, target: Target, actor: Principal) -> None:
    """Set (or replace) the target of a subject, pollutant and year; logged."""
    require_monitor(session, actor)
    for name in ("value", "baseline"):
        value = getattr(target, name)
        if not math.isfinite(value) or value < 0:
            raise InvalidParameter(f"{name} must be a concentration >= 0", field=name)
    if target.baseline_year >= target.year:
        raise InvalidParameter(
            "the baseline year must come before the target year", field="baseline_year"
        )
    check_text(target.subject, "subject", 50)
    check_text(target.source, "source", 500)
    moment = begin(session)
    row = {
        "subject": target.subject,
        "pollutant": target.pollutant.value,
        "year": target.year,
        "value": float(target.value),
        "baseline_year": target.baseline_year,
        "baseline": float(target.baseline),
        "source": target.source[:500],
    }
    session.execute(
        delete(targets).where(
            targets.c.subject == target.subject,
            targets.c.pollutant == target.pollutant.value,
            targets.c.year == target.year,
        )
    )
    session.execute(targets.insert().values(**row))
    append(session, AIR_TARGET_SET, actor.name, row, moment)


def record_annual_mean(
    session: Session, city: str, year: int, pollutant: str, value: float, source: str
) -> None:
    """Keep a published annual mean (from a bulletin) for a city's trend chart."""
    session.execute(
        delete(annual_means).where(
            annual_means.c.city == city,
            annual_means.c.year == year,
            annual_means.c.pollutant == pollutant,
        )
    )
    session.execute(
        annual_means.insert().values(
            city=city, year=year, pollutant=pollutant, value=value, source=source[:500]
        )
    )
