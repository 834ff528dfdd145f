"""Sales of marine-plastic products and the shared-prosperity fund's payouts, each logged.

A maker records each sale of a product it holds; ``share_bp`` of it (20 % in Taizhou's Blue
Circle) is owed to the fund, rounded down to the cent (:func:`fund.fund_share`). A payout run
pays every sale not yet paid out: the total goes to the collectors in proportion to the grams
each has in the products of those sales (each product counted once per run, its grams traced
through every split and merge), by largest remainder, so the payouts sum to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import InvalidParameter, PermissionDenied
from ecocredit.inclusion import custody, fund
from ecocredit.inclusion.custody_tables import lots, payouts, sales
from ecocredit.inclusion.ops.custody import ancestry, product_id_of
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import INCLUSION_FUND_PAID, INCLUSION_SALE_RECORDED

BLUE_CIRCLE_SHARE_BP = 2000  # 20 % of each sale goes to the 蓝色共富基金
PAYOUT_PAGE = 500  # [collector, cents] pairs per log entry: well inside an entry's 64 KiB
MAX_SALE_CENTS = 10**15  # ten trillion yuan: a typo, not a sale


def record_sale(
    session: Session, actor: Principal, product_code: str, sale_cents: int,
    share_bp: int = BLUE_CIRCLE_SHARE_BP, now: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The maker holding a product records a sale of it; returns the sale and the fund's cents."""
    if isinstance(sale_cents, bool) or not isinstance(sale_cents, int):
        raise InvalidParameter("sale_cents: a whole number of cents", field="sale_cents")
    if not 0 < sale_cents <= MAX_SALE_CENTS:
        raise InvalidParameter(f"sale_cents: 1 to {MAX_SALE_CENTS}", field="sale_cents")
    fund_cents = fund.fund_share(sale_cents, share_bp)
    now = now or datetime.now(UTC)
    store.read_head(session, lock=True)
    seller = accounts.principal(session, actor.name).name
    product_id = product_id_of(session, product_code)
    holder = session.scalar(select(lots.c.holder).where(lots.c.id == product_id))
    if holder != seller:
        raise PermissionDenied(
            f"product {product_code} is held by {holder!r}: only its maker records its sales",
            field="product_code",
        )
    sale = int(session.scalar(select(func.max(sales.c.id))) or 0) + 1
    data = {
        "sale": sale, "product_code": product_code, "sale_cents": sale_cents,
        "fund_cents": fund_cents, "share_bp": share_bp,
    }  # fmt: skip
    index = ledger.record(session, INCLUSION_SALE_RECORDED, seller, data)
    session.execute(sales.insert().values(
        id=sale, product_code=product_code, seller=seller, sale_cents=sale_cents,
        share_bp=share_bp, fund_cents=fund_cents, at=now, ledger_index=index,
    ))  # fmt: skip
    return data | {"ledger_index": index}


def collector_grams(session: Session, product_codes: Sequence[str]) -> dict[str, int]:
    """Each collector's grams in the products ``product_codes`` (each counted once)."""
    rows = session.execute(
        select(lots.c.id).where(lots.c.product_code.in_(sorted(set(product_codes))))
    ).all()
    products = [str(row[0]) for row in rows]
    chain = ancestry(session, products)
    grams: dict[str, int] = {}
    for product_id in products:
        for collector, part in custody.trace(chain, product_id):
            grams[collector] = grams.get(collector, 0) + part
    return grams


def _payer(session: Session, actor: Principal) -> str:
    current = accounts.principal(session, actor.name)
    if not (current.has(Role.OPERATOR) or current.has(Role.ADMIN)):
        raise PermissionDenied(
            f"account {actor.name!r} may not pay the fund: it needs the role 'operator' "
            f"(it has {current.describe_roles()})"
        )
    return current.name


def _log_run(
    session: Session, payer: str, head: dict[str, Any], paid: list[tuple[str, int]], now: datetime
) -> None:
    """One entry per page of payouts (one, empty, when nothing is owed), and their rows."""
    next_id = int(session.scalar(select(func.max(payouts.c.id))) or 0) + 1
    for start in range(0, max(len(paid), 1), PAYOUT_PAGE):
        page = paid[start : start + PAYOUT_PAGE]
        data = head | {"payouts": [[collector, cents] for collector, cents in page]}
        index = ledger.record(session, INCLUSION_FUND_PAID, payer, data)
        rows = [
            {"id": next_id + start + i, "run": head["run"], "collector": collector,
             "cents": cents, "at": now, "ledger_index": index}
            for i, (collector, cents) in enumerate(page)
        ]  # fmt: skip
        if rows:
            session.execute(payouts.insert(), rows)


def pay_fund(session: Session, actor: Principal, now: datetime | None = None) -> dict[str, Any]:
    """Pay the fund's share of every unpaid sale to the collectors; logged, exact to the cent.

    Needs the role ``operator`` (the fund's manager) or ``admin``. With no unpaid sale it
    writes nothing and returns ``run`` None.
    """
    now = now or datetime.now(UTC)
    store.read_head(session, lock=True)
    payer = _payer(session, actor)
    unpaid = session.execute(
        select(sales.c.id, sales.c.product_code, sales.c.fund_cents)
        .where(sales.c.paid_run.is_(None))
        .order_by(sales.c.id)
    ).all()
    if not unpaid:
        return {"run": None, "fund_cents": 0, "sales": 0, "payouts": []}
    total = sum(int(row.fund_cents) for row in unpaid)
    grams = collector_grams(session, [row.product_code for row in unpaid])
    cents = fund.payout(total, grams)
    paid = sorted(((c, n) for c, n in cents.items() if n > 0), key=lambda p: (-p[1], p[0]))
    run = int(session.scalar(select(func.max(sales.c.paid_run))) or 0) + 1
    head = {"run": run, "at": now.astimezone(UTC).isoformat(), "fund_cents": total,
            "sales": len(unpaid)}  # fmt: skip
    _log_run(session, payer, head, paid, now)
    last = int(unpaid[-1].id)  # under the log's lock, exactly the unpaid sales read above
    paying = sales.c.paid_run.is_(None) & (sales.c.id <= last)
    session.execute(update(sales).where(paying).values(paid_run=run))
    return head | {"payouts": [list(pair) for pair in paid]}
