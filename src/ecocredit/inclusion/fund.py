"""The shared-prosperity fund of a marine-plastic programme: what it receives, whom it pays.

Taizhou's Blue Circle (蓝色循环) sends a set share of each plastic sale to the 蓝色共富基金,
which pays it out to the collectors in proportion to the kilograms they brought in. Money is
integer cents and plastic integer grams; nothing here touches a float.

Invariants (tested in ``tests/inclusion/test_custody.py``):

- ``sum(apportion(total, w).values()) == total`` for any weights with a positive sum;
- a share never differs from its exact proportional value by one unit or more;
- a heavier weight never receives less than a lighter one (ties are broken by key, so the
  same input always gives the same payouts).
"""

from __future__ import annotations

from collections.abc import Mapping

from ecocredit.errors import InvalidParameter

BASIS_POINTS = 10_000  # 10,000 bp = 100 %


def apportion(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split ``total`` units over ``weights`` proportionally; the parts sum exactly to ``total``.

    Largest-remainder (Hamilton) rounding: each key gets the floor of its exact share, and the
    units left over go one each to the largest remainders, ties to the smaller key. Every key
    of ``weights`` appears in the result, zero weights with zero.
    """
    if total < 0:
        raise InvalidParameter(f"cannot apportion a negative total ({total})", field="total")
    negative = sorted(k for k, w in weights.items() if w < 0)
    if negative:
        raise InvalidParameter(
            f"weight of {negative[0]!r} is negative ({weights[negative[0]]})", field="weights"
        )
    whole = sum(weights.values())
    if whole == 0:
        if total == 0:
            return dict.fromkeys(weights, 0)
        raise InvalidParameter(
            f"cannot apportion {total} over weights that sum to zero", field="weights"
        )
    shares = {k: total * w // whole for k, w in weights.items()}
    left = total - sum(shares.values())
    # Remainders are compared as integers (total * w mod whole) so the order is exact.
    order = sorted(weights, key=lambda k: (-(total * weights[k] % whole), k))
    for key in order[:left]:
        shares[key] += 1
    return shares


def payout(fund_cents: int, grams_by_collector: Mapping[str, int]) -> dict[str, int]:
    """Cents each collector receives from the fund, proportional to the grams they collected.

    The payouts sum to ``fund_cents`` exactly, so the fund ends at zero and every cent it held
    is in the ledger as somebody's payout. A collector with zero grams is listed with zero.
    """
    if fund_cents < 0:
        raise InvalidParameter(f"fund is negative ({fund_cents} cents)", field="fund_cents")
    if grams_by_collector and sum(grams_by_collector.values()) == 0 and fund_cents > 0:
        raise InvalidParameter(
            "no collector has any grams: the fund cannot be paid out", field="grams_by_collector"
        )
    if not grams_by_collector and fund_cents > 0:
        raise InvalidParameter("no collectors to pay the fund to", field="grams_by_collector")
    return apportion(fund_cents, grams_by_collector)


def fund_share(sale_cents: int, share_basis_points: int) -> int:
    """The fund's cents of a sale: ``share_basis_points`` of it (2000 bp = 20 %), rounded down.

    Rounded down because the fund is owed at most its declared share of each sale: rounding up
    would, over many small sales, take more than 20 % from the seller, and the seller, not the
    fund, is the one holding the sub-cent remainder of each sale.
    """
    if sale_cents < 0:
        raise InvalidParameter(f"sale is negative ({sale_cents} cents)", field="sale_cents")
    if not 0 <= share_basis_points <= BASIS_POINTS:
        raise InvalidParameter(
            f"share must be 0..{BASIS_POINTS} basis points, not {share_basis_points}",
            field="share_basis_points",
        )
    return sale_cents * share_basis_points // BASIS_POINTS
