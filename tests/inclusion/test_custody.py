"""Marine-plastic chain of custody and the shared-prosperity fund, without a database."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.errors import (
    Conflict,
    EcocreditError,
    InsufficientBalance,
    InvalidParameter,
    NotFound,
    PermissionDenied,
)
from ecocredit.inclusion import custody, fund
from ecocredit.inclusion.custody import Chain, Coordinates, MassFlagged, Stage, Step

PHOTO = "ab" * 32
DAWN = datetime(2026, 5, 3, 5, 30, tzinfo=timezone(timedelta(hours=8)))  # Taizhou local time
STATION, TRUCK, RECYCLER, MAKER = "station-dachen", "truck-01", "recycler-taizhou", "maker-01"
FISHERS = {"fisher-chen": 12_000, "fisher-lin": 8_500, "fisher-wang": 20_000}
MEASURED = {"fisher-chen": 11_500, "fisher-lin": 8_500, "fisher-wang": 20_400}


def hand(chain: Chain, lot_id: str, holder: str, to: str, grams: int) -> tuple[Chain, str]:
    """Offer and confirm a handoff; return the chain and the receiver's new lot."""
    offered = custody.offer(chain, lot_id, holder, to, grams)
    confirmed = custody.confirm(offered.chain, str(offered.new_id), to)
    assert custody.violations(confirmed.chain) == []
    return confirmed.chain, str(confirmed.new_id)


def to_recycler(chain: Chain, collector: str, grams: int, measured: int) -> tuple[Chain, str]:
    """Collect a lot, weigh it at the station, truck it to the recycler; return its lot there."""
    step = custody.collect(chain, collector, "椒江 大陈岛码头", DAWN, grams, PHOTO)
    chain, at_station = hand(step.chain, str(step.new_id), collector, STATION, grams)
    chain = custody.weigh(chain, at_station, STATION, measured, 200).chain
    chain, on_truck = hand(chain, at_station, STATION, TRUCK, measured)
    return hand(chain, on_truck, TRUCK, RECYCLER, measured)


def blue_circle() -> tuple[Chain, str]:
    """Three fishermen → station → truck → recycler (85 %) → pellets; 30 kg go to the maker."""
    chain, at_recycler = Chain(), []
    for collector, grams in FISHERS.items():
        chain, lot_id = to_recycler(chain, collector, grams, MEASURED[collector])
        at_recycler.append((lot_id, MEASURED[collector]))
    step = custody.process(chain, RECYCLER, at_recycler, 34_000, 8_500, 200)
    assert step.events[1:] == ()  # 34 kg from 40.4 kg is within the declared 85 % yield
    return hand(step.chain, str(step.new_id), RECYCLER, MAKER, 30_000)


def test_blue_circle_products_trace_to_every_fisherman_in_exact_grams() -> None:
    chain, pellets = blue_circle()
    bag = custody.make_product(chain, MAKER, [(pellets, 20_000)], "BAG-0001", 20_000)
    scarf = custody.make_product(bag.chain, MAKER, [(pellets, 10_000)], "SCARF-0001", 9_999)
    chain = scarf.chain
    assert custody.violations(chain) == []
    # 11.5 : 8.5 : 20.4 kg as weighed; the one gram left by rounding goes to the largest
    # remainder (lin's 4207.92 g of the bag, lin's 2103.75 g of the scarf).
    bag_trace = custody.trace(chain, "BAG-0001")
    assert bag_trace == [("fisher-wang", 10_099), ("fisher-chen", 5_693), ("fisher-lin", 4_208)]
    scarf_trace = custody.trace(chain, "SCARF-0001")
    assert scarf_trace == [("fisher-wang", 5_049), ("fisher-chen", 2_846), ("fisher-lin", 2_104)]
    assert chain.lot(pellets).grams == 0
    code = chain.lot("SCARF-0001").product_code
    assert code is not None and len(code) == 16
    assert custody.portal_path(code) == f"/inclusion/products/{code}"
    assert scarf.events[0].data()["product_code"] == code


def test_weighing_replaces_the_declared_mass_and_flags_a_difference_beyond_tolerance() -> None:
    step = custody.collect(Chain(), "fisher-chen", Coordinates(121.9, 28.45), DAWN, 12_000, PHOTO)
    chain, at_station = hand(step.chain, str(step.new_id), "fisher-chen", STATION, 12_000)
    within = custody.weigh(chain, at_station, STATION, 12_240, 200)  # +2.0 %: allowed
    assert len(within.events) == 1 and within.chain.lot(at_station).mass == 12_240
    beyond = custody.weigh(chain, at_station, STATION, 11_500, 200)  # -4.2 %
    assert beyond.events[1] == MassFlagged(at_station, "weighing_differs", 12_000, 11_500, 200)
    assert beyond.chain.lot(at_station).grams == 11_500
    assert custody.violations(beyond.chain) == []


def test_a_lot_leaves_the_station_only_once_weighed() -> None:
    step = custody.collect(Chain(), "fisher-lin", "大陈岛", DAWN, 8_500, PHOTO)
    chain, at_station = hand(step.chain, str(step.new_id), "fisher-lin", STATION, 8_500)
    with pytest.raises(Conflict, match="weighed"):
        custody.offer(chain, at_station, STATION, TRUCK, 8_500)


def test_events_are_plain_json_with_utc_times_and_geo_uris() -> None:
    step = custody.collect(Chain(), "fisher-chen", Coordinates(121.9, 28.45), DAWN, 12_000, PHOTO)
    data = step.events[0].data()
    assert data["time"] == "2026-05-02T21:30:00.000Z"
    assert data["place"] == "geo:28.450000,121.900000"
    assert step.events[0].name == "inclusion.lot_collected"
    json.dumps(data)


def test_yield_within_tolerance_is_flagged_and_an_implausibly_low_yield_too() -> None:
    chain, lot_id = to_recycler(Chain(), "fisher-wang", 20_000, 20_000)
    above = custody.process(chain, RECYCLER, [(lot_id, 20_000)], 17_200, 8_500, 200)
    assert [e.reason for e in above.events if isinstance(e, MassFlagged)] == [
        "above_declared_yield"
    ]
    low = custody.process(chain, RECYCLER, [(lot_id, 20_000)], 8_000, 8_500, 200)
    assert [e.reason for e in low.events if isinstance(e, MassFlagged)] == ["below_plausible_yield"]


# Refusals: each names what is wrong and the chain the caller holds is unchanged.


def refused(
    chain: Chain, error: type[EcocreditError], words: list[str], action: Callable[[], Step]
) -> None:
    before = copy.deepcopy(chain)
    with pytest.raises(error) as caught:
        action()
    for word in words:
        assert word in caught.value.message
    assert chain == before


def test_a_handoff_of_more_than_the_lot_holds_names_the_lot_and_both_masses() -> None:
    step = custody.collect(Chain(), "fisher-chen", "大陈岛", DAWN, 12_000, PHOTO)
    chain, lot_id = step.chain, str(step.new_id)
    refused(
        chain,
        InsufficientBalance,
        [lot_id, "12000 g", "12001 g"],
        lambda: custody.offer(chain, lot_id, "fisher-chen", STATION, 12_001),
    )
    pending = custody.offer(chain, lot_id, "fisher-chen", STATION, 8_000).chain
    refused(
        pending,
        InsufficientBalance,
        [lot_id, "12000 g", "8000 g of it pending", "5000 g"],
        lambda: custody.offer(pending, lot_id, "fisher-chen", STATION, 5_000),
    )


def test_only_the_receiver_confirms_and_only_once() -> None:
    step = custody.collect(Chain(), "fisher-chen", "大陈岛", DAWN, 12_000, PHOTO)
    offered = custody.offer(step.chain, str(step.new_id), "fisher-chen", STATION, 5_000)
    chain, handoff = offered.chain, str(offered.new_id)
    refused(
        chain,
        PermissionDenied,
        [STATION, "truck-01", handoff],
        lambda: custody.confirm(chain, handoff, "truck-01"),
    )
    refused(chain, PermissionDenied, [], lambda: custody.confirm(chain, handoff, "fisher-chen"))
    done = custody.confirm(chain, handoff, STATION).chain
    refused(
        done,
        Conflict,
        [handoff, "already confirmed"],
        lambda: custody.confirm(done, handoff, STATION),
    )
    refused(done, Conflict, ["already confirmed"], lambda: custody.cancel(done, handoff, STATION))


def test_a_cancelled_handoff_frees_its_grams() -> None:
    step = custody.collect(Chain(), "fisher-chen", "大陈岛", DAWN, 12_000, PHOTO)
    lot_id = str(step.new_id)
    offered = custody.offer(step.chain, lot_id, "fisher-chen", STATION, 12_000)
    declined = custody.cancel(offered.chain, str(offered.new_id), STATION).chain
    assert declined.pending(lot_id) == 0
    custody.offer(declined, lot_id, "fisher-chen", "station-2", 12_000)


def test_processing_beyond_yield_and_tolerance_is_refused_with_the_ceiling() -> None:
    chain, lot_id = to_recycler(Chain(), "fisher-wang", 20_000, 20_000)
    # 20 kg at 85 % + 2 % tolerance allows 17.4 kg of pellets, not 17.401.
    refused(
        chain,
        InvalidParameter,
        ["17401 g", "20000 g", "17400 g"],
        lambda: custody.process(chain, RECYCLER, [(lot_id, 20_000)], 17_401, 8_500, 200),
    )
    custody.process(chain, RECYCLER, [(lot_id, 20_000)], 17_400, 8_500, 200)


def test_a_refused_input_takes_nothing_from_the_inputs_before_it() -> None:
    chain, first = to_recycler(Chain(), "fisher-wang", 20_000, 20_000)
    chain, second = to_recycler(chain, "fisher-lin", 8_500, 8_500)
    inputs = [(first, 20_000), (second, 9_000)]
    refused(
        chain,
        InsufficientBalance,
        [second, "8500 g", "9000 g"],
        lambda: custody.process(chain, RECYCLER, inputs, 20_000, 8_500, 200),
    )


def test_unknown_lots_and_handoffs_are_named() -> None:
    chain = custody.collect(Chain(), "fisher-chen", "大陈岛", DAWN, 12_000, PHOTO).chain
    cases: list[tuple[str, Callable[[], Step]]] = [
        ("LOT-999999", lambda: custody.offer(chain, "LOT-999999", "fisher-chen", STATION, 1)),
        ("LOT-999999", lambda: custody.weigh(chain, "LOT-999999", STATION, 1, 0)),
        ("HO-000042", lambda: custody.confirm(chain, "HO-000042", STATION)),
        ("LOT-7", lambda: custody.process(chain, RECYCLER, [("LOT-7", 5)], 4, 8_500, 0)),
        ("LOT-8", lambda: custody.make_product(chain, MAKER, [("LOT-8", 5)], "P-1", 5)),
    ]
    for name, action in cases:
        refused(chain, NotFound, [name], action)
    with pytest.raises(NotFound, match="NO-SUCH-PRODUCT"):
        custody.trace(chain, "NO-SUCH-PRODUCT")


def test_stateless_checks_come_before_the_chain_is_read() -> None:
    # A malformed request fails the same way whether or not the lot exists.
    for lot_id in ("LOT-000001", "LOT-404"):
        chain = custody.collect(Chain(), "fisher-chen", "大陈岛", DAWN, 12_000, PHOTO).chain
        with pytest.raises(InvalidParameter, match="grams"):
            custody.offer(chain, lot_id, "fisher-chen", STATION, 0)
    with pytest.raises(InvalidParameter, match="photo_sha256"):
        custody.collect(Chain(), "fisher-chen", "大陈岛", DAWN, 1, "not-a-hash")
    with pytest.raises(InvalidParameter, match="UTC offset"):
        custody.collect(Chain(), "fisher-chen", "大陈岛", datetime(2026, 5, 3), 1, PHOTO)
    with pytest.raises(InvalidParameter, match="listed twice"):
        custody.process(Chain(), RECYCLER, [("L", 1), ("L", 1)], 1, 8_500, 0)
    with pytest.raises(InvalidParameter, match="cannot come from"):
        custody.make_product(Chain(), MAKER, [("L", 10)], "P-1", 11)


def test_a_product_id_is_used_once() -> None:
    chain, pellets = blue_circle()
    chain = custody.make_product(chain, MAKER, [(pellets, 100)], "BAG-0001", 100).chain
    refused(
        chain,
        Conflict,
        ["BAG-0001"],
        lambda: custody.make_product(chain, MAKER, [(pellets, 100)], "BAG-0001", 100),
    )


# Properties.


@given(
    st.integers(1, 10**7),
    st.lists(st.tuples(st.integers(1, 100), st.sampled_from(["confirm", "cancel", "wait"]))),
)
def test_splits_conserve_mass(grams: int, moves: list[tuple[int, str]]) -> None:
    step = custody.collect(Chain(), "fisher-chen", "大陈岛", DAWN, grams, PHOTO)
    chain, lot_id = step.chain, str(step.new_id)
    for percent, fate in moves:
        free = chain.lot(lot_id).grams - chain.pending(lot_id)
        if free == 0:
            break
        offered = custody.offer(
            chain, lot_id, "fisher-chen", STATION, max(1, free * percent // 100)
        )
        chain = offered.chain
        if fate != "wait":
            chain = getattr(custody, fate)(chain, str(offered.new_id), STATION).chain
        assert custody.violations(chain) == []
    children = [lot.mass for lot in chain.lots.values() if lot.parents]
    assert sum(children) + chain.lot(lot_id).grams == grams


@st.composite
def collections(draw: st.DrawFn) -> dict[str, tuple[int, int]]:
    """Collectors with their declared and measured grams."""
    names = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=4), min_size=1, max_size=6))
    return {
        f"fisher-{n}": (draw(st.integers(1, 10**6)), draw(st.integers(1, 10**6)))
        for n in set(names)
    }


@given(collections(), st.data())
def test_attributions_sum_to_the_product_and_reach_every_collector(
    people: dict[str, tuple[int, int]], data: st.DataObject
) -> None:
    chain, inputs = Chain(), []
    for collector, (declared, measured) in people.items():
        chain, lot_id = to_recycler(chain, collector, declared, measured)
        inputs.append((lot_id, data.draw(st.integers(1, measured))))
    taken = sum(g for _, g in inputs)
    output = data.draw(st.integers(1, max(1, taken * 8_500 // 10_000)))
    step = custody.process(chain, RECYCLER, inputs, output, 8_500, 1_500)
    chain, pellets = hand(step.chain, str(step.new_id), RECYCLER, MAKER, output)
    mass = data.draw(st.integers(1, output))
    chain = custody.make_product(chain, MAKER, [(pellets, mass)], "P-1", mass).chain
    attributed = dict(custody.trace(chain, "P-1"))
    assert sum(attributed.values()) == mass
    assert set(attributed) == set(people)
    for (lot_id, grams), collector in zip(inputs, people, strict=True):
        exact = Fraction(mass * grams, taken)
        assert abs(attributed[collector] - exact) < 1, lot_id
    assert custody.violations(chain) == []


grams_maps = st.dictionaries(st.text("abcxyz", min_size=1, max_size=5), st.integers(0, 10**9))


@given(st.integers(0, 10**12), grams_maps.filter(lambda m: sum(m.values()) > 0))
def test_payouts_sum_to_the_fund_and_heavier_never_gets_less(
    cents: int, grams: dict[str, int]
) -> None:
    paid = fund.payout(cents, grams)
    assert sum(paid.values()) == cents
    assert set(paid) == set(grams)
    whole = sum(grams.values())
    for a in grams:
        assert abs(paid[a] - Fraction(cents * grams[a], whole)) < 1
        for b in grams:
            if grams[a] > grams[b]:
                assert paid[a] >= paid[b]
    assert fund.payout(cents, dict(reversed(grams.items()))) == paid  # order does not matter


def test_payout_breaks_ties_by_collector_id() -> None:
    assert fund.payout(100, {"b": 1, "a": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    assert fund.payout(0, {"a": 0}) == {"a": 0}
    with pytest.raises(InvalidParameter, match="no collector"):
        fund.payout(100, {"a": 0})


@given(st.integers(0, 10**12), st.integers(0, 10_000))
def test_the_funds_share_is_rounded_down(sale: int, bp: int) -> None:
    share = fund.fund_share(sale, bp)
    assert 0 <= Fraction(sale * bp, 10_000) - share < 1


def test_a_fifth_of_a_sale_goes_to_the_fund() -> None:
    assert fund.fund_share(12_345, 2_000) == 2_469  # 2,469.0 cents of ¥123.45
    assert fund.fund_share(3, 2_000) == 0  # 0.6 of a cent stays with the seller
    with pytest.raises(InvalidParameter, match="10000 basis points") as caught:
        fund.fund_share(100, 10_001)
    assert caught.value.field == "share_basis_points"


def test_stage_and_utc_types_are_exposed() -> None:
    chain, pellets = blue_circle()
    assert chain.lot(pellets).stage is Stage.PELLETS
    origin = next(lot.origin for lot in chain.lots.values() if lot.origin is not None)
    assert origin.time.tzinfo is UTC
