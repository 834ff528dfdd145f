"""Points of a carbon-inclusion programme: how reductions become points, caps, expiry, spending.

Points are whole numbers, never money and never transferable (Shenzhen's rules: non-monetary,
held at most ten years, redeemed only by cancelling them). Each grant keeps its own expiry, so
spending takes the points that expire first, and expiry removes exactly what is left of each
grant on its day. These functions hold no state: the service reads a participant's open
grants, calls them inside its transaction and writes what they return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ecocredit.errors import InsufficientBalance, InvalidParameter

MAX_VALIDITY_DAYS = 3652  # ten years, leap days included: the legal maximum in Shenzhen


@dataclass(frozen=True)
class PointRule:
    """How one methodology's reductions become points in a programme, and its caps.

    ``points_per_action`` gives a fixed number per accepted action (Luzhou: a clean-plate
    check-in is 5 points whatever it saved); otherwise ``grams_per_point`` converts the
    reduction, rounding down. Caps bound actions and points per participant and local day.
    """

    methodology: str
    points_per_action: int | None = None
    grams_per_point: int | None = None
    max_actions_per_day: int | None = None
    max_points_per_day: int | None = None

    def check(self) -> PointRule:
        """The rule itself, if it is usable; an error names the field otherwise."""
        if (self.points_per_action is None) == (self.grams_per_point is None):
            raise InvalidParameter(
                "give exactly one of points_per_action and grams_per_point", field="rule"
            )
        for name in ("points_per_action", "grams_per_point", "max_actions_per_day",
                     "max_points_per_day"):  # fmt: skip
            value = getattr(self, name)
            if value is not None and not 0 < value <= 10**9:
                raise InvalidParameter(f"{name} must be a whole number from 1", field=name)
        return self


def check_validity(days: int) -> int:
    """A programme's point validity in days: from 1 to ten years."""
    if not 1 <= days <= MAX_VALIDITY_DAYS:
        raise InvalidParameter(
            f"points are valid from 1 day to ten years ({MAX_VALIDITY_DAYS} days)",
            field="validity_days",
        )
    return days


@dataclass(frozen=True)
class DayUse:
    """What a participant has already been granted under one rule on one local day."""

    actions: int = 0
    points: int = 0


def points_for(rule: PointRule, grams_co2e: int, used: DayUse) -> tuple[int, str | None]:
    """Points for one accepted action, after the day's caps; and why it was capped, if so."""
    if grams_co2e < 0:
        raise InvalidParameter("a reduction is never negative", field="grams_co2e")
    if rule.max_actions_per_day is not None and used.actions >= rule.max_actions_per_day:
        return 0, f"the day's cap of {rule.max_actions_per_day} actions is reached"
    if rule.points_per_action is not None:
        points = rule.points_per_action
    else:
        assert rule.grams_per_point is not None
        points = grams_co2e // rule.grams_per_point
    if rule.max_points_per_day is not None and used.points + points > rule.max_points_per_day:
        left = max(0, rule.max_points_per_day - used.points)
        return left, f"the day's cap of {rule.max_points_per_day} points is reached"
    return points, None


@dataclass(frozen=True)
class Grant:
    """What is left of one grant of points, and when it expires."""

    grant_id: int
    remaining: int
    expires: dt.datetime


def expires_at(granted: dt.datetime, validity_days: int) -> dt.datetime:
    """When points granted at ``granted`` expire."""
    return granted + dt.timedelta(days=check_validity(validity_days))


def open_grants(grants: Iterable[Grant], now: dt.datetime) -> list[Grant]:
    """Grants with points left that have not expired, those expiring first first."""
    return sorted(
        (g for g in grants if g.remaining > 0 and g.expires > now),
        key=lambda g: (g.expires, g.grant_id),
    )


def balance(grants: Iterable[Grant], now: dt.datetime) -> int:
    """Points a participant can spend at ``now``."""
    return sum(g.remaining for g in open_grants(grants, now))


def spend(grants: Sequence[Grant], amount: int, now: dt.datetime) -> list[tuple[int, int]]:
    """Which grants a redemption of ``amount`` points cancels: (grant id, points), oldest first.

    Refused whole when the unexpired balance is short: a redemption never half-happens.
    """
    if amount <= 0:
        raise InvalidParameter("a redemption spends at least one point", field="points")
    held = balance(grants, now)
    if amount > held:
        raise InsufficientBalance(
            f"the redemption needs {amount} points; {held} are held and not expired",
            field="points",
        )
    taken: list[tuple[int, int]] = []
    for grant in open_grants(grants, now):
        if amount == 0:
            break
        part = min(grant.remaining, amount)
        taken.append((grant.grant_id, part))
        amount -= part
    return taken


def expire(grants: Iterable[Grant], now: dt.datetime) -> list[tuple[int, int]]:
    """What expires at ``now``: (grant id, points left), for every grant past its expiry."""
    return sorted((g.grant_id, g.remaining) for g in grants if g.remaining > 0 and g.expires <= now)
