"""The decision on one submitted action: accepted, rejected with its reason, or held for review.

The checks run in a fixed order, cheapest and surest first, and the first that fires decides:

1. the action's time: not in the future (beyond a small clock skew) and not older than the
   programme accepts;
2. exact duplicate evidence (the same SHA-256 already backs an action): rejected;
3. the day's action cap for the methodology: rejected;
4. velocity: more actions in the last window than a person can do: held for review;
5. a near-duplicate photo (perceptual hash within the threshold of another action's): held
   for review, with the actions it resembles, because a re-compressed or resized photo is the
   usual way to claim one meal twice, while two photos of similar plates are sometimes honest.

Plausibility bounds belong to the methodology, which refuses an impossible amount before any
of this runs. This module decides; the service gathers the facts and writes the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """What becomes of an action."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVIEW = "review"  # held in the operator's queue


@dataclass(frozen=True)
class Limits:
    """A programme's limits on actions (the caps on points are in its point rules)."""

    max_age: dt.timedelta = dt.timedelta(days=7)
    clock_skew: dt.timedelta = dt.timedelta(minutes=5)
    velocity_window: dt.timedelta = dt.timedelta(minutes=10)
    velocity_max: int = 5  # actions of one participant within the window
    max_actions_per_day: int | None = None


@dataclass(frozen=True)
class Facts:
    """What the service found about an action before deciding."""

    at: dt.datetime  # when the participant says it happened (UTC)
    received: dt.datetime  # when the platform received it (UTC)
    evidence_seen: int | None = None  # the action id an identical evidence already backs
    actions_today: int = 0  # the participant's accepted actions of this methodology today
    recent: Sequence[dt.datetime] = ()  # the participant's action times, any methodology
    similar: Sequence[tuple[int, int]] = ()  # (action id, Hamming distance) of near photos


@dataclass(frozen=True)
class Decision:
    """The outcome and, unless accepted, why; ``related`` names the actions it points at."""

    outcome: Outcome
    reason: str = ""
    related: tuple[int, ...] = field(default=())


def decide(facts: Facts, limits: Limits) -> Decision:
    """Apply the checks in order (see the module's docstring); the first that fires decides."""
    if facts.at > facts.received + limits.clock_skew:
        return Decision(Outcome.REJECTED, "the action is dated in the future")
    if facts.at < facts.received - limits.max_age:
        days = limits.max_age.days
        return Decision(Outcome.REJECTED, f"the action is older than {days} days")
    if facts.evidence_seen is not None:
        return Decision(
            Outcome.REJECTED,
            f"the same evidence already backs action {facts.evidence_seen}",
            (facts.evidence_seen,),
        )
    cap = limits.max_actions_per_day
    if cap is not None and facts.actions_today >= cap:
        return Decision(Outcome.REJECTED, f"the day's cap of {cap} actions is reached")
    since = facts.at - limits.velocity_window
    burst = sum(1 for t in facts.recent if since < t <= facts.at)
    if burst >= limits.velocity_max:
        minutes = int(limits.velocity_window.total_seconds() // 60)
        return Decision(
            Outcome.REVIEW, f"{burst + 1} actions within {minutes} minutes: held for review"
        )
    if facts.similar:
        nearest = sorted(facts.similar, key=lambda pair: (pair[1], pair[0]))
        ids = tuple(action for action, _ in nearest[:10])
        return Decision(
            Outcome.REVIEW,
            f"the photo is a near duplicate of action {ids[0]} ({nearest[0][1]} bits apart)",
            ids,
        )
    return Decision(Outcome.ACCEPTED)
