"""Points: conversion, the day's caps, ten-year validity, spending oldest first, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.errors import InsufficientBalance, InvalidParameter
from ecocredit.inclusion import points
from ecocredit.inclusion.points import DayUse, Grant, PointRule

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CLEAN_PLATE = PointRule("clean-plate", points_per_action=5, max_actions_per_day=3)
BUS = PointRule("green-travel", grams_per_point=8, max_points_per_day=40)


def test_luzhou_rules_are_not_linear_across_actions() -> None:
    # Worked example D2/D4: a check-in of 144 g earns 5 points, a bus ride of 80 g earns 10.
    assert points.points_for(CLEAN_PLATE, 144, DayUse()) == (5, None)
    assert points.points_for(BUS, 80, DayUse()) == (10, None)


def test_the_days_caps_bound_actions_and_points() -> None:
    assert points.points_for(CLEAN_PLATE, 144, DayUse(actions=3))[0] == 0
    granted, why = points.points_for(BUS, 80, DayUse(actions=4, points=35))
    assert granted == 5 and why is not None and "40 points" in why


@pytest.mark.parametrize(
    "rule",
    [
        PointRule("x"),
        PointRule("x", points_per_action=1, grams_per_point=1),
        PointRule("x", points_per_action=0),
        PointRule("x", grams_per_point=5, max_points_per_day=-1),
    ],
)
def test_a_rule_must_say_one_way_to_count(rule: PointRule) -> None:
    with pytest.raises(InvalidParameter):
        rule.check()


def test_points_last_at_most_ten_years() -> None:
    assert points.expires_at(T0, 3652) == dt.datetime(2036, 1, 1, tzinfo=dt.UTC)
    for days in (0, 3653):
        with pytest.raises(InvalidParameter, match="ten years"):
            points.expires_at(T0, days)


def test_spending_takes_what_expires_first_and_never_half_happens() -> None:
    grants = [
        Grant(1, 10, T0 + dt.timedelta(days=30)),
        Grant(2, 10, T0 + dt.timedelta(days=10)),
        Grant(3, 10, T0 - dt.timedelta(days=1)),  # expired: not spendable
    ]
    assert points.balance(grants, T0) == 20
    assert points.spend(grants, 15, T0) == [(2, 10), (1, 5)]
    with pytest.raises(InsufficientBalance, match="21 points; 20"):
        points.spend(grants, 21, T0)
    assert points.expire(grants, T0) == [(3, 10)]


@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(-5, 40)), min_size=1, max_size=20),
    st.integers(1, 300),
)
def test_a_redemption_takes_exactly_its_points_from_open_grants(
    raw: list[tuple[int, int]], amount: int
) -> None:
    grants = [Grant(i, n, T0 + dt.timedelta(days=d)) for i, (n, d) in enumerate(raw)]
    held = points.balance(grants, T0)
    if amount > held:
        with pytest.raises(InsufficientBalance):
            points.spend(grants, amount, T0)
        return
    taken = points.spend(grants, amount, T0)
    assert sum(part for _, part in taken) == amount
    by_id = {g.grant_id: g for g in grants}
    assert all(0 < part <= by_id[i].remaining and by_id[i].expires > T0 for i, part in taken)
