"""The Blue Circle chain of custody through its service, on SQLite and PostgreSQL.

Three fishermen bring plastic to a station; it is weighed, trucked to a recycler, made into
pellets at an 85 % yield and into a chair; the chair's sale feeds the fund, which pays the
fishermen in proportion to their grams. Every step is in the log; every refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.errors import (
    InsufficientBalance,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    SetupError,
)
from ecocredit.inclusion.custody_model import Coordinates
from ecocredit.inclusion.custody_tables import handoffs, lot_parents, lots, payouts, sales
from ecocredit.inclusion.fund import BASIS_POINTS
from ecocredit.inclusion.ops import custody, fund
from ecocredit.inclusion.ops.custody_checks import cents_of_yuan, grams_of_kg
from ecocredit.ledger.tables import ledger_entries as entries
from ecocredit.runtime import InitResult

WHEN = dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC)
PHOTO = "ab" * 32
FISHERMEN = {"fisher-1": 12_000, "fisher-2": 8_000, "fisher-3": 5_000}
WEIGHED = {"fisher-1": 12_100, "fisher-2": 8_000, "fisher-3": 6_000}  # the last one flagged
TABLES = (lots, lot_parents, handoffs, sales, payouts, entries)


class Blue:
    """The accounts of the chain and a way to act as each."""

    def __init__(self, installed: InitResult) -> None:
        self.db = installed.runtime.db
        holders = [*FISHERMEN, "station", "truck", "recycler", "maker"]
        self.db.write(lambda s: [self._open(s, name, Role.HOLDER) for name in holders])
        self.db.write(lambda s: self._open(s, "fundop", Role.OPERATOR))

    @staticmethod
    def _open(session: Session, name: str, role: Role) -> None:
        accounts.create_account(session, name, [role], "system")

    def do(self, who: str, verb: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        def work(session: Session) -> Any:
            return verb(session, accounts.principal(session, who), *args, **kw)

        return self.db.write(work)

    def hand(self, lot: str, by: str, to: str, grams: int, stage: str | None = None) -> str:
        handoff = self.do(by, custody.offer, lot, to, grams, stage)["handoff_id"]
        return str(self.do(to, custody.confirm, handoff)["new_lot_id"])

    def counts(self) -> list[int]:
        with self.db.read() as session:
            return [int(session.scalar(select(func.count()).select_from(t)) or 0) for t in TABLES]

    def log(self, since: int) -> list[dict[str, Any]]:
        with self.db.read() as session:
            rows = session.execute(
                select(entries.c.entry).where(entries.c.idx >= since).order_by(entries.c.idx)
            ).scalars()
            return [json.loads(bytes(row)) for row in rows]


@pytest.fixture
def blue(installed: InitResult) -> Blue:
    return Blue(installed)


def _to_recycler(blue: Blue) -> list[tuple[str, int]]:
    """Each fisherman's lot collected, weighed at the station, trucked; the recycler's lots."""
    at_recycler: list[tuple[str, int]] = []
    for i, (fisher, grams) in enumerate(FISHERMEN.items()):
        place = Coordinates(121.43 + i / 100, 28.68) if i else "椒江区 大陈岛 码头"
        lot = blue.do(fisher, custody.collect, place, WHEN, grams, PHOTO)["lot_id"]
        at_station = blue.hand(lot, fisher, "station", grams)
        blue.do("station", custody.weigh, at_station, WEIGHED[fisher])
        trucked = blue.hand(at_station, "station", "truck", WEIGHED[fisher], "transport")
        at_recycler.append(
            (blue.hand(trucked, "truck", "recycler", WEIGHED[fisher]), WEIGHED[fisher])
        )
    return at_recycler


def _chair(blue: Blue) -> dict[str, Any]:
    inputs = _to_recycler(blue)
    total = sum(grams for _, grams in inputs)
    pellets = total * 8500 // BASIS_POINTS
    made = blue.do("recycler", custody.process, inputs, pellets, 8500)
    assert made["flags"] == []
    at_maker = blue.hand(made["lot_id"], "recycler", "maker", pellets)
    product: dict[str, Any] = blue.do(
        "maker", custody.make_product, [(at_maker, pellets)], "BC-CHAIR-001", 20_000
    )
    return product


def test_blue_circle_from_the_beach_to_the_fund(blue: Blue) -> None:
    start = blue.counts()[-1]
    chair = _chair(blue)
    code = chair["product_code"]
    assert chair["portal_path"] == f"/inclusion/products/{code}"
    sale = blue.do("maker", fund.record_sale, code, 1_000_000)  # 10,000 yuan
    assert (sale["fund_cents"], sale["share_bp"]) == (200_000, 2000)
    run = blue.do("fundop", fund.pay_fund)
    paid = dict(run["payouts"])
    assert sum(paid.values()) == run["fund_cents"] == 200_000
    with blue.db.read() as session:  # the grams the chair's portal page shows for each
        traced = dict(custody.trace(session, code)["collectors"])
    for fisher, grams in traced.items():  # proportional to them, to the cent
        assert abs(paid[fisher] - 200_000 * grams / 20_000) < 1
    assert abs(traced["fisher-3"] - 20_000 * WEIGHED["fisher-3"] / sum(WEIGHED.values())) < 1
    assert blue.do("fundop", fund.pay_fund)["run"] is None  # nothing left to pay
    kinds = [entry["type"] for entry in blue.log(start)]
    # Per fisherman: collected, 3 handoffs offered and confirmed, weighed; one flag.
    expected = {
        "inclusion.lot_collected": 3, "inclusion.handoff_offered": 10,
        "inclusion.handoff_confirmed": 10, "inclusion.lot_weighed": 3,
        "inclusion.mass_flagged": 1, "inclusion.lot_processed": 1, "inclusion.product_made": 1,
        "inclusion.sale_recorded": 1, "inclusion.fund_paid": 1,
    }  # fmt: skip
    assert {kind: kinds.count(kind) for kind in set(kinds)} == expected


def test_a_product_traces_to_every_collector(blue: Blue) -> None:
    code = _chair(blue)["product_code"]
    with blue.db.read() as session:
        found = custody.trace(session, code)
    grams = dict(found["collectors"])
    assert set(grams) == set(FISHERMEN) and sum(grams.values()) == 20_000
    assert grams["fisher-1"] > grams["fisher-2"] > grams["fisher-3"]
    stages = [lot["stage"] for lot in found["lots"]]
    assert stages.count("collected") == 3 and stages[-1] == "product"
    assert {lot.get("collector") for lot in found["lots"]} >= set(FISHERMEN)
    assert found["lots"][0]["place"].startswith(("geo:", "椒江区"))
    with blue.db.read() as session, pytest.raises(NotFound):
        custody.trace(session, "NOSUCHCODE")


def test_the_weighing_flag_is_kept_on_the_lot(blue: Blue) -> None:
    lot = blue.do("fisher-3", custody.collect, "大陈岛", WHEN, 5_000, PHOTO)["lot_id"]
    at_station = blue.hand(lot, "fisher-3", "station", 5_000)
    done = blue.do("station", custody.weigh, at_station, 6_000)
    assert done["flags"] == ["weighing_differs"]
    with blue.db.read() as session:
        row = session.execute(select(lots).where(lots.c.id == at_station)).one()
    assert (row.mass, row.grams, json.loads(row.flags)) == (6_000, 6_000, ["weighing_differs"])


def test_refusals_write_nothing(blue: Blue) -> None:
    lot = blue.do("fisher-1", custody.collect, "大陈岛", WHEN, 1_000, PHOTO)["lot_id"]
    pending = blue.do("fisher-1", custody.offer, lot, "station", 600)["handoff_id"]
    before = blue.counts()
    with pytest.raises(InsufficientBalance, match="pending"):
        blue.do("fisher-1", custody.offer, lot, "station", 500)
    with pytest.raises(PermissionDenied, match="only 'station'"):
        blue.do("truck", custody.confirm, pending)
    with pytest.raises(NotFound) as unknown:
        blue.do("fisher-1", custody.offer, "LOT-999999", "station", 1)
    assert unknown.value.field == "lot"
    with pytest.raises(NotFound) as nobody:
        blue.do("fisher-1", custody.offer, lot, "no-such-account", 1)
    assert nobody.value.field == "to_account"
    with pytest.raises(NotFound):
        blue.do("station", custody.confirm, "HO-999999")
    assert blue.counts() == before
    blue.do("fisher-1", custody.cancel, pending)  # withdrawn: its grams are free again
    assert blue.do("fisher-1", custody.offer, lot, "station", 1_000)["grams"] == 1_000


def test_pellets_beyond_the_yield_are_refused(blue: Blue) -> None:
    inputs = _to_recycler(blue)
    total = sum(grams for _, grams in inputs)
    before = blue.counts()
    with pytest.raises(InvalidParameter, match="exceeds") as caught:
        blue.do("recycler", custody.process, inputs, total * 8900 // BASIS_POINTS, 8500, 300)
    assert caught.value.field == "output_grams"
    with pytest.raises(PermissionDenied):  # the truck holds none of these lots
        blue.do("truck", custody.process, inputs, 100, 8500)
    assert blue.counts() == before
    flagged = blue.do("recycler", custody.process, inputs, total * 8700 // BASIS_POINTS, 8500)
    assert flagged["flags"] == ["above_declared_yield"]


def test_only_the_maker_sells_and_only_an_operator_pays(blue: Blue) -> None:
    code = _chair(blue)["product_code"]
    before = blue.counts()
    with pytest.raises(PermissionDenied, match="maker"):
        blue.do("station", fund.record_sale, code, 1_000)
    with pytest.raises(NotFound):
        blue.do("maker", fund.record_sale, "NOSUCHCODE", 1_000)
    with pytest.raises(InvalidParameter):
        blue.do("maker", fund.record_sale, code, 1_000, share_bp=10_001)
    with pytest.raises(PermissionDenied, match="operator"):
        blue.do("maker", fund.pay_fund)
    assert blue.counts() == before
    for cents in (999, 1_001, 333):  # 199 + 200 + 66 cents to the fund
        blue.do("maker", fund.record_sale, code, cents)
    run = blue.do("fundop", fund.pay_fund)
    assert run["run"] == 1 and run["sales"] == 3
    assert sum(cents for _, cents in run["payouts"]) == run["fund_cents"] == 465


# Mass balance, the fund's set share and who may act.


def _one_at_recycler(blue: Blue, grams: int = 10_000) -> str:
    lot = blue.do("fisher-1", custody.collect, "大陈岛", WHEN, grams, PHOTO)["lot_id"]
    at_station = blue.hand(lot, "fisher-1", "station", grams)
    blue.do("station", custody.weigh, at_station, grams)
    trucked = blue.hand(at_station, "station", "truck", grams, "transport")
    return blue.hand(trucked, "truck", "recycler", grams)


def test_pellets_never_outweigh_their_inputs(blue: Blue) -> None:
    lot = _one_at_recycler(blue)
    before = blue.counts()
    # A declared 100 % yield leaves no room for the scale's tolerance above the inputs.
    with pytest.raises(InvalidParameter, match="never more than the inputs") as caught:
        blue.do("recycler", custody.process, [(lot, 10_000)], 10_001, 10_000)
    assert caught.value.field == "output_grams"
    for bad in (0, 10_001, -1):
        with pytest.raises(InvalidParameter) as wrong:
            blue.do("recycler", custody.process, [(lot, 10_000)], 5_000, bad)
        assert wrong.value.field == "declared_yield_bp"
    with pytest.raises(InvalidParameter) as wider:  # the recycler cannot loosen the tolerance
        blue.do("recycler", custody.process, [(lot, 10_000)], 9_000, 8_000, 1_500)
    assert wider.value.field == "tolerance_bp"
    assert blue.counts() == before
    assert blue.do("recycler", custody.process, [(lot, 10_000)], 10_000, 10_000)["flags"] == []


def test_a_yield_within_the_scales_tolerance_or_a_loss_is_flagged(blue: Blue) -> None:
    lot = _one_at_recycler(blue, 20_000)
    above = blue.do("recycler", custody.process, [(lot, 10_000)], 8_300, 8_000)
    assert above["flags"] == ["above_declared_yield"]  # 83 %: within 80 % + 3 points
    lot_2 = _one_at_recycler(blue)
    # 80 % less 3 % of it is 77.6 %: 7,759 g is a loss, 7,760 g is not.
    loss = blue.do("recycler", custody.process, [(lot_2, 5_000)], 3_879, 8_000)
    assert loss["flags"] == ["below_plausible_yield"]
    fine = blue.do("recycler", custody.process, [(lot_2, 5_000)], 3_880, 8_000)
    assert fine["flags"] == []
    flagged = blue.log(0)
    reasons = [e["data"]["reason"] for e in flagged if e["type"] == "inclusion.mass_flagged"]
    assert reasons == ["above_declared_yield", "below_plausible_yield"]


def test_the_funds_share_is_the_chains_not_the_sellers(blue: Blue) -> None:
    code = _chair(blue)["product_code"]
    before = blue.counts()
    for chosen in (0, 500, 10_000):
        with pytest.raises(InvalidParameter) as caught:
            blue.do("maker", fund.record_sale, code, 10_000, share_bp=chosen)
        assert caught.value.field == "share_bp" and "2000 bp" in caught.value.message
    assert blue.counts() == before
    sale = blue.do("maker", fund.record_sale, code, 10_000)
    assert (sale["share_bp"], sale["fund_cents"]) == (fund.FUND_SHARE_BP, 2_000)
    assert [e["data"]["share_bp"] for e in blue.log(0) if "share_bp" in e["data"]] == [2000]
    for misconfigured in (0, 10_001):
        with pytest.raises(SetupError, match="1 to 10000"):
            fund.fund_share_bp(misconfigured)
    with blue.db.read() as session:
        state = fund.state(session)
    assert (state["share_bp"], state["owed_cents"], state["unpaid_sales"]) == (2000, 2_000, 1)


def test_only_holders_act_and_only_on_what_they_hold(blue: Blue) -> None:
    lot = blue.do("fisher-1", custody.collect, "大陈岛", WHEN, 1_000, PHOTO)["lot_id"]
    before = blue.counts()
    with pytest.raises(PermissionDenied, match="role 'holder'") as operator:
        blue.do("fundop", custody.collect, "大陈岛", WHEN, 1_000, PHOTO)
    assert operator.value.field == "actor"
    with pytest.raises(PermissionDenied, match="role 'holder'") as receiver:
        blue.do("fisher-1", custody.offer, lot, "fundop", 1_000)
    assert receiver.value.field == "to_account"
    with pytest.raises(PermissionDenied, match="held by 'fisher-1'"):
        blue.do("fisher-2", custody.offer, lot, "station", 1_000)
    assert blue.counts() == before
    at_station = blue.hand(lot, "fisher-1", "station", 1_000)
    after_handoff = blue.counts()
    with pytest.raises(PermissionDenied, match="held by 'station'"):
        blue.do("truck", custody.weigh, at_station, 1_000)
    with pytest.raises(InvalidParameter) as tolerance:  # a station cannot widen its scale's
        blue.do("station", custody.weigh, at_station, 1_000, 10_000)
    assert tolerance.value.field == "tolerance_bp"
    with pytest.raises(PermissionDenied, match="role 'holder'"):
        blue.do("fundop", fund.record_sale, "NOSUCHCODE", 100)
    assert blue.counts() == after_handoff


@pytest.mark.parametrize(
    ("when", "grams", "field"),
    [
        (dt.datetime(1899, 12, 31, tzinfo=dt.UTC), 1_000, "time"),
        (dt.datetime(2201, 1, 1, tzinfo=dt.UTC), 1_000, "time"),
        (dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))), 1_000, "time"),
        (WHEN, 10**8 + 1, "grams"),
        (WHEN, 0, "grams"),
    ],
)
def test_collections_out_of_range_are_refused(
    blue: Blue, when: dt.datetime, grams: int, field: str
) -> None:
    before = blue.counts()
    with pytest.raises(InvalidParameter) as caught:
        blue.do("fisher-1", custody.collect, "大陈岛", when, grams, PHOTO)
    assert caught.value.field == field
    with pytest.raises(InvalidParameter) as control:
        blue.do("fisher-1", custody.collect, "大陈\x00岛", WHEN, 1_000, PHOTO)
    assert control.value.field == "place"
    assert blue.counts() == before


def test_kilograms_and_yuan_become_whole_grams_and_cents_or_are_refused() -> None:
    assert grams_of_kg("12.345") == 12_345 and grams_of_kg(Decimal("0.001")) == 1
    assert cents_of_yuan("1000") == 100_000 and cents_of_yuan("0.01") == 1
    for bad in ("12.3456", "0", "-1", "NaN", "Infinity", "1e400x", "twelve"):
        with pytest.raises(InvalidParameter) as caught:
            grams_of_kg(bad, "kg")
        assert caught.value.field == "kg"
    with pytest.raises(InvalidParameter, match="more than 2 decimals"):
        cents_of_yuan("0.001")
