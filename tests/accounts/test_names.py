"""Account names: what is accepted is exactly what the rule says, nothing hidden at the ends."""

from __future__ import annotations

import pytest

from ecocredit.accounts.service import check_name
from ecocredit.errors import InvalidParameter


@pytest.mark.parametrize("name", ["alice", "a1", "city-programme.shenzhen", "x_y"])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["a", "Alice", "alice\n", " alice", "-alice", "ａlice", "x" * 65])
def test_bad_names_are_refused_naming_the_rule(name: str) -> None:
    with pytest.raises(InvalidParameter, match="2-64 characters"):
        check_name(name)
