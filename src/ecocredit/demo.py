"""Demo data: each capability adds a loader, so ``make run`` shows every part working.

A loader is idempotent: it checks for its own data and does nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, Role
from ecocredit.accounts.tables import accounts as accounts_table
from ecocredit.air.demo import load_air
from ecocredit.carbon.demo import load_carbon
from ecocredit.inclusion.demo import load_inclusion
from ecocredit.inclusion.demo_custody import load_custody
from ecocredit.ledger import service as ledger
from ecocredit.registry.demo import load_registry
from ecocredit.runtime import Runtime

DEMO_OPERATOR = "demo-operator"

NOTICES = [
    "The ecocredit public ledger is open. Every issuance, transfer, retirement and rating "
    "is recorded here and can be verified with the log's public key.",
    "Methodology update: air-quality evaluation follows HJ 633-2026 for data from "
    "2026-03-01; earlier data is evaluated under HJ 633-2012.",
    "Methodology update: grid emission factors for purchased electricity are updated to the "
    "latest national release; inventories filed before this notice keep their factors.",
    "Correction: the station list published for the Beijing demonstration network omitted "
    "one urban background station; it has been added.",
    "Carbon-inclusion programmes: clean-plate check-ins and household recycling earn points "
    "only after verification; reductions are issued as credits through the registry.",
    "Scheduled maintenance: the portal is read-only on Sunday 02:00-02:30 China Standard "
    "Time; the log keeps its checkpoints signed throughout.",
]


def _ledger_notices(session: Session) -> str:
    exists = session.execute(
        select(accounts_table.c.id).where(accounts_table.c.name == DEMO_OPERATOR)
    ).first()
    if exists is not None:
        return "ledger notices: already loaded"
    accounts.create_account(session, DEMO_OPERATOR, Role.ADMIN, SYSTEM_ACTOR)
    operator = accounts.principal(session, DEMO_OPERATOR)
    for text in NOTICES:
        ledger.publish_notice(session, operator, text)
    return f"ledger notices: {len(NOTICES)} public notices recorded"


LOADERS: list[Callable[[Session], str]] = [
    _ledger_notices,
    load_registry,
    load_air,
    load_carbon,
    load_inclusion,
    load_custody,
]


def load(runtime: Runtime) -> list[str]:
    """Run every loader, each in its own transaction; return what each did."""
    done = [runtime.db.write(loader) for loader in LOADERS]
    runtime.sign_checkpoint()
    return done
