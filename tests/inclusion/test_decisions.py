"""Decisions on submitted actions: the order of the checks and what each one answers."""

from __future__ import annotations

import datetime as dt

import pytest

from ecocredit.inclusion.decisions import Facts, Limits, Outcome, decide

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
LIMITS = Limits(max_actions_per_day=3)
MINUTE = dt.timedelta(minutes=1)


def test_an_ordinary_action_is_accepted() -> None:
    assert decide(Facts(at=NOW - MINUTE, received=NOW), LIMITS).outcome is Outcome.ACCEPTED


@pytest.mark.parametrize(
    ("facts", "outcome", "reason"),
    [
        (Facts(at=NOW + 10 * MINUTE, received=NOW), Outcome.REJECTED, "future"),
        (Facts(at=NOW - dt.timedelta(days=8), received=NOW), Outcome.REJECTED, "older"),
        (Facts(at=NOW, received=NOW, evidence_seen=41), Outcome.REJECTED, "action 41"),
        (Facts(at=NOW, received=NOW, actions_today=3), Outcome.REJECTED, "cap of 3"),
        (Facts(at=NOW, received=NOW, recent=[NOW - i * MINUTE for i in range(1, 6)]),
         Outcome.REVIEW, "6 actions within 10 minutes"),
        (Facts(at=NOW, received=NOW, similar=[(7, 9), (3, 4)]), Outcome.REVIEW,
         "near duplicate of action 3 (4 bits"),
    ],
)  # fmt: skip
def test_each_check_answers_with_its_reason(facts: Facts, outcome: Outcome, reason: str) -> None:
    decision = decide(facts, LIMITS)
    assert decision.outcome is outcome and reason in decision.reason


def test_a_clock_a_little_ahead_is_forgiven() -> None:
    assert decide(Facts(at=NOW + 2 * MINUTE, received=NOW), LIMITS).outcome is Outcome.ACCEPTED


def test_exact_duplicates_are_refused_before_anything_is_held() -> None:
    facts = Facts(at=NOW, received=NOW, evidence_seen=5, similar=[(5, 0)], actions_today=9)
    decision = decide(facts, LIMITS)
    assert decision.outcome is Outcome.REJECTED and decision.related == (5,)


def test_actions_outside_the_window_do_not_count_as_a_burst() -> None:
    recent = [NOW - 11 * MINUTE - i * MINUTE for i in range(20)]
    assert decide(Facts(at=NOW, received=NOW, recent=recent), LIMITS).outcome is Outcome.ACCEPTED
