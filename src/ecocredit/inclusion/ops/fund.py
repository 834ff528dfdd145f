"""Sales of marine-plastic products and the shared-prosperity fund's payouts, each logged.

The fund's share of every sale is set for the chain, not chosen by the seller:
``FUND_SHARE_BP`` (20 %, as in Taizhou's Blue Circle), checked to be above 0 and at most
100 % wherever it is used, and recorded with each sale (its row and its log entry). A maker
records each sale of a product it holds (the maker needs the role ``holder``); the share of it
is owed to the fund, rounded down to the cent (:func:`fund.fund_share`). A payout run
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
from ecocredit.errors import InvalidParameter, PermissionDenied, SetupError
from ecocredit.inclusion import custody, fund
from ecocredit.inclusion.custody_tables import lots, payouts, sales
from ecocredit.inclusion.fund import BASIS_POINTS
from ecocredit.inclusion.ops.custody import ancestry, product_id_of
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import INCLUSION_FUND_PAID, INCLUSION_SALE_RECORDED

BLUE_CIRCLE_SHARE_BP = 2000  # 20 % of each sale goes to the 蓝色共富基金
FUND_SHARE_BP = BLUE_CIRCLE_SHARE_BP  # the chain's set share of every sale
PAYOUT_PAGE = 500  # [collector, cents] pairs per log entry: well inside an entry's 64 KiB
MAX_SALE_CENTS = 10**15  # ten trillion yuan: a typo, not a sale


def fund_share_bp(share_bp: int = FUND_SHARE_BP) -> int:
    """The fund's set share of every sale in basis points, refused unless 1 to 10,000.

    A share of 0 would let sales run while the collectors get nothing, and one above 100 %
    takes more than the sale: either is a misconfigured chain, for its operator to fix.
    """
    if (
        isinstance(share_bp, bool)
        or not isinstance(share_bp, int)
        or not (0 < share_bp <= BASIS_POINTS)
    ):
        raise SetupError(
            f"the fund's share is {share_bp!r} basis points: it must be 1 to {BASIS_POINTS}"
        )
    return share_bp


def _check_sale(sale_cents: int, share_bp: int | None) -> int:
    """The fund's share for a sale of ``sale_cents``; stateless checks first."""
    if isinstance(sale_cents, bool) or not isinstance(sale_cents, int):
        raise InvalidParameter("sale_cents: a whole number of cents", field="sale_cents")
    if not 0 < sale_cents <= MAX_SALE_CENTS:
        raise InvalidParameter(f"sale_cents: 1 to {MAX_SALE_CENTS}", field="sale_cents")
    share = fund_share_bp()
    if share_bp is not None and share_bp != share:
        raise InvalidParameter(
            f"share_bp: the fund's share is set for the chain at {share} bp; a sale cannot "
            f"choose {share_bp!r}",
            field="share_bp",
        )
    return share


def _seller(session: Session, actor: Principal, product_code: str) -> str:
    current = accounts.principal(session, actor.name)
    if not current.has(Role.HOLDER):
        raise PermissionDenied(
            f"account {actor.name!r} may not sell products: it needs the role 'holder' "
            f"(it has {current.describe_roles()})",
            field="actor",
        )
    product_id = product_id_of(session, product_code)
    holder = session.scalar(select(lots.c.holder).where(lots.c.id == product_id))
    if holder != current.name:
        raise PermissionDenied(
            f"product {product_code} is held by {holder!r}: only its maker records its sales",
            field="product_code",
        )
    return current.name


def record_sale(
    session: Session, actor: Principal, product_code: str, sale_cents: int,
    share_bp: int | None = None, now: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The maker holding a product records a sale of it; returns the sale and the fund's cents.

    The fund's share is the chain's (``FUND_SHARE_BP``); ``share_bp``, when given, is the
    share the seller expects, and a sale is refused when it is not the set one.
    """
    share = _check_sale(sale_cents, share_bp)
    fund_cents = fund.fund_share(sale_cents, share)
    now = now or datetime.now(UTC)
    store.read_head(session, lock=True)
    seller = _seller(session, actor, product_code)
    sale = int(session.scalar(select(func.max(sales.c.id))) or 0) + 1
    data = {
        "sale": sale, "product_code": product_code, "sale_cents": sale_cents,
        "fund_cents": fund_cents, "share_bp": share,
    }  # fmt: skip
    index = ledger.record(session, INCLUSION_SALE_RECORDED, seller, data)
    session.execute(sales.insert().values(
        id=sale, product_code=product_code, seller=seller, sale_cents=sale_cents,
        share_bp=share, fund_cents=fund_cents, at=now, ledger_index=index,
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


# Reads.


def _iso(moment: datetime) -> str:
    # SQLite keeps no offset; every time here was written in UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _sale_view(row: Any) -> dict[str, Any]:
    return {
        "sale": int(row.id), "product_code": row.product_code, "seller": row.seller,
        "sale_cents": int(row.sale_cents), "share_bp": int(row.share_bp),
        "fund_cents": int(row.fund_cents), "at": _iso(row.at),
        "paid_run": None if row.paid_run is None else int(row.paid_run),
        "ledger_index": int(row.ledger_index),
    }  # fmt: skip


def sales_of(session: Session, product_code: str) -> list[dict[str, Any]]:
    """Every sale of a product, oldest first, with the fund's cents and the run that paid them."""
    rows = session.execute(
        select(sales).where(sales.c.product_code == product_code).order_by(sales.c.id)
    ).all()
    return [_sale_view(row) for row in rows]


def payouts_to(session: Session, collectors: Sequence[str]) -> list[dict[str, Any]]:
    """Every payout to the collectors named, by run then collector."""
    rows = session.execute(
        select(payouts)
        .where(payouts.c.collector.in_(sorted(set(collectors))))
        .order_by(payouts.c.run, payouts.c.collector)
    ).all()
    return [
        {"run": int(r.run), "collector": r.collector, "cents": int(r.cents),
         "at": _iso(r.at), "ledger_index": int(r.ledger_index)}
        for r in rows
    ]  # fmt: skip


def state(session: Session, runs: int = 20) -> dict[str, Any]:
    """The fund: its share, what it received, paid and still owes, and its newest runs."""

    def total(column: Any, *where: Any) -> int:
        return int(session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)

    unpaid = sales.c.paid_run.is_(None)
    newest = session.execute(
        select(payouts.c.run, func.sum(payouts.c.cents), func.count(), func.min(payouts.c.at))
        .group_by(payouts.c.run)
        .order_by(payouts.c.run.desc())
        .limit(runs)
    ).all()
    return {
        "share_bp": fund_share_bp(),
        "sales": int(session.scalar(select(func.count()).select_from(sales)) or 0),
        "received_cents": total(sales.c.fund_cents),
        "paid_cents": total(payouts.c.cents),
        "owed_cents": total(sales.c.fund_cents, unpaid),
        "unpaid_sales": int(session.scalar(select(func.count()).where(unpaid)) or 0),
        "runs": [
            {"run": int(run), "cents": int(cents), "collectors": int(count), "at": _iso(at)}
            for run, cents, count, at in newest
        ],
    }
