"""Register organisations and their facilities, and add a user's own emission factor."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.carbon import catalog, units
from ecocredit.carbon.model import CODE_PATTERN, MAX_QUANTITY
from ecocredit.carbon.ops.common import lock_log, require_organisation, require_reporter
from ecocredit.carbon.records import ACTIVITY_PATTERN
from ecocredit.carbon.tables import facilities, factors, organisations
from ecocredit.errors import Conflict, InvalidParameter, NotFound
from ecocredit.ledger import service as ledger
from ecocredit.ledger.events import (
    CARBON_FACILITY_REGISTERED,
    CARBON_FACTOR_ADDED,
    CARBON_ORGANISATION_REGISTERED,
)
from ecocredit.text import check_text

MAX_GASES = 10
FACTOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")


def _code(value: str, field: str) -> str:
    if not re.fullmatch(CODE_PATTERN, value):
        raise InvalidParameter(
            f"{field}: {value[:70]!r} is not a code (letters, digits, _ . -; at most 64)",
            field=field,
        )
    return value


def register_organisation(
    session: Session, code: str, name: str, account: str, industry: str, actor: Principal
) -> None:
    """Register an organisation reported by ``account`` (the actor itself, or any if admin)."""
    actor = require_reporter(session, actor)
    _code(code, "organisation")
    name = check_text(name, "name", 200)
    industry = check_text(industry, "industry", 100, required=False)
    if account != actor.name and not actor.has(Role.ADMIN):
        raise InvalidParameter(
            "only the admin registers an organisation for another account", field="account"
        )
    try:
        reporter = accounts.principal(session, account)
    except NotFound as exc:
        raise NotFound(f"no account {account!r}", field="account") from exc
    if not (reporter.has(Role.REPORTER) or reporter.has(Role.ADMIN)):
        raise InvalidParameter(f"account {account!r} has no role 'reporter'", field="account")
    lock_log(session)
    taken = select(organisations.c.code).where(organisations.c.code == code)
    if session.execute(taken).first() is not None:
        raise Conflict(f"organisation {code!r} is already registered", field="organisation")
    row = {"code": code, "name": name, "account": account, "industry": industry}
    session.execute(organisations.insert().values(**row, created_at=datetime.now(UTC)))
    data = {"organisation": code, "name": name, "account": account, "industry": industry}
    ledger.record(session, CARBON_ORGANISATION_REGISTERED, actor.name, data)


def register_facility(
    session: Session,
    organisation: str,
    code: str,
    name: str,
    province: str | None,
    actor: Principal,
) -> None:
    """Register (or rename, or move to another province) a facility of an organisation."""
    _code(code, "facility")
    name = check_text(name, "name", 200)
    if province is not None and province not in catalog.provinces():
        raise InvalidParameter(
            f"province {province[:20]!r} is not a provincial-level division of China "
            "(use its short name, e.g. 河北, 广东, 内蒙古)",
            field="province",
        )
    lock_log(session)
    require_organisation(session, organisation, actor)
    key = {"organisation": organisation, "code": code}
    existing = session.execute(
        select(facilities.c.code).where(
            facilities.c.organisation == organisation, facilities.c.code == code
        )
    ).first()
    values = {"name": name, "province": province}
    if existing is None:
        session.execute(facilities.insert().values(**key, **values, created_at=datetime.now(UTC)))
    else:
        session.execute(
            facilities.update()
            .where(facilities.c.organisation == organisation, facilities.c.code == code)
            .values(**values)
        )
    data = {
        "organisation": organisation,
        "facility": code,
        "name": name,
        "province": province or "",
    }
    ledger.record(session, CARBON_FACILITY_REGISTERED, actor.name, data)


@dataclass(frozen=True)
class NewFactor:
    """A user's own factor as given: its name is prefixed with the owner's account."""

    name: str
    activity: str
    unit: str
    gases: Mapping[str, float]  # kg per unit
    source: str
    method: str = "user"
    data_year: int | None = None
    region: str = ""


def _check_factor(factor: NewFactor) -> None:
    if not FACTOR_NAME.fullmatch(factor.name):
        raise InvalidParameter("name: letters, digits, _ . -; at most 63", field="name")
    if not re.fullmatch(ACTIVITY_PATTERN, factor.activity):
        raise InvalidParameter("activity: lower-case letters, digits, _ . -", field="activity")
    units.parse(factor.unit, "unit")
    gwp = catalog.gwp_sets()["AR6"]
    if not factor.gases or len(factor.gases) > MAX_GASES:
        raise InvalidParameter(f"gases: give 1 to {MAX_GASES} gases", field="gases")
    for gas, value in factor.gases.items():
        if gas not in gwp:
            known = ", ".join(sorted(gwp))
            raise InvalidParameter(f"gases: unknown gas {gas[:20]!r} ({known})", field="gases")
        if not math.isfinite(value) or value < 0 or value > MAX_QUANTITY:
            raise InvalidParameter(f"gases.{gas}: must be kg per unit, >= 0", field="gases")
    if factor.data_year is not None and not 1990 <= factor.data_year <= 2100:
        raise InvalidParameter("data_year must be between 1990 and 2100", field="data_year")


def add_factor(session: Session, factor: NewFactor, actor: Principal) -> str:
    """Add the actor's own factor; return its id ``<account>/<name>``. Never replaces one."""
    actor = require_reporter(session, actor)
    _check_factor(factor)
    source = check_text(factor.source, "source", 500)
    method = check_text(factor.method, "method", 32)
    region = check_text(factor.region, "region", 50, required=False)
    factor_id = f"{actor.name}/{factor.name}"
    lock_log(session)
    exists = session.execute(select(factors.c.factor_id).where(factors.c.factor_id == factor_id))
    if exists.first() is not None or factor_id in catalog.published():
        raise Conflict(
            f"factor {factor_id!r} exists and is never changed; add a new one under another name",
            field="name",
        )
    gases = {gas: float(value) for gas, value in sorted(factor.gases.items())}
    data = {
        "factor_id": factor_id, "owner": actor.name, "activity": factor.activity,
        "unit": factor.unit, "gases": gases, "method": method, "source": source,
        "data_year": factor.data_year or 0, "region": region,
    }  # fmt: skip
    index = ledger.record(session, CARBON_FACTOR_ADDED, actor.name, data)
    row = {**data, "gases": json.dumps(gases), "data_year": factor.data_year}
    session.execute(
        factors.insert().values(**row, ledger_index=index, created_at=datetime.now(UTC))
    )
    return factor_id
