"""``ecocredit custody …`` on an installation: a chain from two fishermen to the fund's payout.

Each command is run as an operator types it; a refusal exits 1 with the field named and
writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import Outcome, installation_cli

Cli = Callable[..., Outcome]
HOLDERS = ("fisher-a", "fisher-b", "station", "truck", "recycler", "maker")


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    run = installation_cli(database_url, tmp_path, monkeypatch, capsys)
    for name in HOLDERS:
        assert run(f"accounts create {name} --role holder").code == 0
    assert run("accounts create fundop --role operator").code == 0
    (tmp_path / "bag.jpg").write_bytes(b"\xff\xd8 a photo of a bag of nets \xff\xd9")
    return run


def ok(cli: Cli, command: str, *more: str) -> dict[str, Any]:
    done = cli(f"custody {command} --json", *more)
    assert done.code == 0, done.err
    body: dict[str, Any] = json.loads(done.out)
    return body


def hand(cli: Cli, lot: str, by: str, to: str, kg: str, stage: str = "") -> str:
    extra = f" --stage {stage}" if stage else ""
    handoff = ok(cli, f"offer {lot} {to} --kg {kg} --as {by}{extra}")["handoff_id"]
    return str(ok(cli, f"confirm {handoff} --as {to}")["new_lot_id"])


def to_recycler(cli: Cli, fisher: str, kg: str, where: str) -> str:
    lot = ok(cli, f"collect --kg {kg} --time 2026-10-08T05:30:00+08:00 --photo bag.jpg "
                  f"--as {fisher} {where}")["lot_id"]  # fmt: skip
    at_station = hand(cli, lot, fisher, "station", kg)
    ok(cli, f"weigh {at_station} --kg {kg} --as station")
    trucked = hand(cli, at_station, "station", "truck", kg, "transport")
    return hand(cli, trucked, "truck", "recycler", kg)


def test_from_the_beach_to_the_fund_payout(cli: Cli) -> None:
    first = to_recycler(cli, "fisher-a", "30", "--lon 121.9 --lat 28.45")
    second = to_recycler(cli, "fisher-b", "10", "--place 大陈岛")
    pellets = ok(cli, f"process --input {first}=30 --input {second}=10 --output-kg 32 "
                      "--yield-bp 8000 --as recycler")["lot_id"]  # fmt: skip
    at_maker = hand(cli, pellets, "recycler", "maker", "32")
    made = ok(cli, f"product CHAIR-1 --input {at_maker}=20 --kg 20 --as maker")
    code = made["product_code"]
    sale = ok(cli, f"sale {code} --yuan 1000 --as maker")
    assert (sale["fund_cents"], sale["share_bp"]) == (20_000, 2000)
    traced = cli(f"custody trace {code}")
    assert traced.code == 0 and "fisher-a  15.000 kg  75.0 %" in traced.out
    assert "fisher-b  5.000 kg  25.0 %" in traced.out
    paid = cli("custody fund-payout --as fundop")
    assert paid.code == 0, paid.err
    assert "fisher-a  150.00 yuan" in paid.out and "fisher-b  50.00 yuan" in paid.out
    assert "run 1: 200.00 yuan from 1 sales to 2 collectors" in paid.out
    assert "nothing to pay" in cli("custody fund-payout --as fundop").out


def test_refusals_exit_1_and_name_the_field(cli: Cli) -> None:
    lot = ok(cli, "collect --kg 5 --time 2026-10-08T05:30:00+08:00 --photo bag.jpg "
                  "--as fisher-a --place 石塘")["lot_id"]  # fmt: skip
    cases = [
        (f"custody weigh {lot} --kg 5 --as station", "held by 'fisher-a'"),
        (f"custody offer {lot} station --kg 5.0001 --as fisher-a", "more than 3 decimals"),
        (f"custody offer {lot} fundop --kg 5 --as fisher-a", "role 'holder'"),
        ("custody collect --kg 5 --time 2026-10-08T05:30 --photo bag.jpg --as fisher-a "
         "--place x", "offset"),
        ("custody collect --kg 5 --time 1850-01-01T00:00+08:00 --photo bag.jpg --as fisher-a "
         "--place x", "1900 to 2200"),
        ("custody fund-payout --as maker", "operator"),
        ("custody sale AAAAAAAAAAAAAAAA --yuan 5 --as maker", "no product"),
        (f"custody process --input {lot} --output-kg 1 --yield-bp 8000 --as fisher-a",
         "LOT=KG"),
    ]  # fmt: skip
    for command, words in cases:
        done = cli(command)
        assert done.code == 1 and words in done.err, (command, done.err)
    assert cli(f"custody process --input {lot}=5 --output-kg 1 --yield-bp 0 --as x").code == 2
    found = ok(cli, f"offer {lot} station --kg 5 --as fisher-a")
    assert found["grams"] == 5_000  # every refusal above left the whole lot free
