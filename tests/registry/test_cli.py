"""``ecocredit registry …`` as an operator runs it, on SQLite and on PostgreSQL.

The whole life of a batch through the command line, a payout file refused line by line with
nothing written, idempotency keys, and the demo loaded twice with every batch's supply
conserved in the batch table and in its serial blocks.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine

from ecocredit.ledger.tables import ledger_entries
from ecocredit.registry import cli_credits as registry_cli
from tests.cli_helpers import Outcome, run_cli

ORIGIN = "registry-cli.ecocredit.example/log"
BATCH = "C01-001-20250101-20251231-001"
ISSUE = "registry issue C01-001-R001 --as ccer-registration --recipients"
Cli = Callable[..., Outcome]

ACCOUNTS = [
    "ncsc --role class_admin",
    "ccer-registration --role class_issuer",
    "alxa-greening --role project_admin --role holder",
    "huaxia-verification --role verifier",
    "pearl-river-data --role holder",
    "li.na --role holder --kind person",
    "wang.wei --role holder --kind person",
]
SET_UP = [
    "registry class create --credit-type C --name 'Afforestation carbon sink'"
    " --methodology CCER-14-001 --methodology-version V01 --admin ncsc"
    " --issuer ccer-registration --as admin",
    "registry project create --class C01 --name 'Alxa afforestation' --admin alxa-greening"
    " --jurisdiction CN-NM --location 'Alxa Left Banner' --reference-id CCER-NM-2024-0031"
    " --as ccer-registration",
    "registry project status C01-001 registered --reason 'public notice ended'"
    " --as ccer-registration",
]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A connection to the installation's database, to read what the commands wrote."""
    made = create_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """``ecocredit COMMAND [ARG…]`` run in-process on an installation on the backend."""
    monkeypatch.setenv("ECOCREDIT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ECOCREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("ECOCREDIT_LOG_ORIGIN", ORIGIN)
    monkeypatch.chdir(tmp_path)

    def run(command: str, *more: str) -> Outcome:
        return run_cli([*shlex.split(command), *more], monkeypatch, capsys)

    assert run("init").code == 0
    return run


def ok(result: Outcome) -> Outcome:
    assert result.code == 0, result.err
    return result


def ledger_size(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def set_up(cli: Cli, tmp_path: Path) -> None:
    """Accounts, class C01 (built-in credit type C), project C01-001 and report C01-001-R001."""
    for account in ACCOUNTS:
        ok(cli(f"accounts create {account}"))
    made = [ok(cli(command)).out for command in SET_UP]
    assert made[0].startswith("class C01 created: Afforestation carbon sink (CCER-14-001 V01)")
    assert made[2].startswith("project C01-001 is now registered")
    document = tmp_path / "report.txt"
    document.write_text("Verification report, Alxa afforestation, 2025\n")
    filed = cli(
        "registry report file C01-001 --period-start 2025-01-01 --period-end 2025-12-31"
        " --verified 1000 --as huaxia-verification --json --document",
        str(document),
    )
    report = json.loads(ok(filed).out)
    assert report["report"] == "C01-001-R001"
    assert report["document_sha256"] == hashlib.sha256(document.read_bytes()).hexdigest()


def payout(tmp_path: Path, *rows: str, name: str = "payout.csv") -> str:
    path = tmp_path / name
    path.write_text("account,amount\n" + "".join(f"{row}\n" for row in rows))
    return str(path)


def test_the_life_of_a_batch_through_the_cli(cli: Cli, tmp_path: Path, engine: Engine) -> None:
    set_up(cli, tmp_path)
    recipients = payout(tmp_path, "alxa-greening,600", "pearl-river-data,299.999999")
    lines = ok(cli(f"{ISSUE} {recipients} --buffer-share 0.1")).out.splitlines()
    assert lines[0].startswith(f"batch {BATCH} issued: 999.999999 (899.999999 to 2 recipients")
    assert lines[1].split() == ["alxa-greening", "600", f"{BATCH}:1-600000000"]
    assert lines[2].split() == ["pearl-river-data", "299.999999", f"{BATCH}:600000001-899999999"]
    assert lines[3].split() == ["buffer", "pool", "100", f"{BATCH}:900000000-999999999"]
    moved = ok(cli(f"registry transfer {BATCH} li.na 12.345678 --as alxa-greening")).out
    assert moved.splitlines()[1].strip() == f"{BATCH}:1-12345678"
    gift = cli(
        f"registry transfer {BATCH} wang.wei 1 --as pearl-river-data --retire"
        " --jurisdiction CN-GD --reason-code neutrality"
        " --beneficiary-name 'Xiamen International Marathon 2026'"
    )
    assert "retired it for Xiamen International Marathon 2026 (entity), neutrality" in gift.out
    assert f"{BATCH}:600000001-601000000" in gift.out
    retired = cli(
        f"registry retire {BATCH} 2.345678 --as li.na --jurisdiction CN-BJ"
        " --beneficiary-account wang.wei --json"
    )
    claim = json.loads(ok(retired).out)
    assert claim["beneficiary"] == "wang.wei" and claim["serials"] == [f"{BATCH}:1-2345678"]
    cancelled = cli(f"registry cancel {BATCH} 10 --reason 'moved to another registry' --as li.na")
    assert f"{BATCH}:2345679-12345678" in ok(cancelled).out
    fire = cli(f"registry cancel-buffer {BATCH} 40.5 --reason 'forest fire' --as admin")
    assert f"{BATCH}:900000000-940499999" in ok(fire).out
    supply = "SELECT issued, tradable, retired, cancelled, buffer FROM registry_batches"
    with engine.connect() as conn:
        row = conn.execute(text(supply)).one()
    assert tuple(row) == (999_999_999, 886_654_321, 3_345_678, 50_500_000, 59_500_000)
    assert "ok: " in ok(cli("ledger verify")).out


def test_authority_and_misuse_are_refused_with_the_reason(cli: Cli, tmp_path: Path) -> None:
    set_up(cli, tmp_path)
    recipients = payout(tmp_path, "li.na,5")
    denied = cli(f"registry issue C01-001-R001 --recipients {recipients} --as li.na")
    assert denied.code == 1 and "only an issuer of class C01 may issue its credits" in denied.err
    ghost = cli(f"registry cancel {BATCH} 1 --reason x --as ghost")
    assert ghost.code == 1 and "no account named 'ghost'" in ghost.err
    stray = cli(f"registry transfer {BATCH} li.na 1 --as alxa-greening --jurisdiction CN-GD")
    assert stray.code == 1 and "need --retire" in stray.err
    both = cli(
        "registry report file C01-001 --period-start 2026-01-01 --period-end 2026-12-31"
        " --verified 5 --as huaxia-verification --document",
        str(tmp_path / "absent.pdf"),
    )
    assert both.code == 1 and f"{tmp_path / 'absent.pdf'}: no such file" in both.err


# A blank line still counts; an amount is refused before any account is looked up.
BAD_PAYOUTS = [
    (
        [
            "li.na,5",
            "",
            "wang.wei,5",
            "pearl-river-data,1",
            "alxa-greening,1",
            "zhang.min,1.0000001",
        ],
        "payout.csv, line 7, amount: 1.0000001 has 7 decimal places",
    ),
    (["li.na,5", "nobody,1"], "payout.csv, line 3, account: no account named 'nobody'"),
    (["li.na,5", "li.na,1"], "payout.csv, line 3, account: account 'li.na' is listed twice"),
    (["li.na,5", "ncsc,1"], "payout.csv, line 3, account: account 'ncsc' cannot hold credits"),
    (["li.na,5", "wang.wei,abc"], "payout.csv, line 3, amount: 'abc' is not a plain decimal"),
    (["li.na,5", "wang.wei,1,2"], "payout.csv, line 3: expected account,amount, found 3 fields"),
    (["li.na,5000"], "payout.csv: report C01-001-R001 verifies 1000; this batch would issue 5000"),
]


@pytest.mark.parametrize(("rows", "expected"), BAD_PAYOUTS)
def test_a_bad_payout_line_is_named_and_nothing_is_written(
    cli: Cli, tmp_path: Path, engine: Engine, rows: list[str], expected: str
) -> None:
    set_up(cli, tmp_path)
    before = ledger_size(engine)
    refused = cli(ISSUE, payout(tmp_path, *rows))
    assert refused.code == 1 and expected in refused.err, refused.err
    assert ledger_size(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM registry_batches")).scalar_one() == 0


def test_a_payout_file_that_cannot_be_used_is_named(cli: Cli, tmp_path: Path) -> None:
    set_up(cli, tmp_path)
    absent = str(tmp_path / "absent.csv")
    assert f"{absent}: no such file" in cli(ISSUE, absent).err
    headless = tmp_path / "headless.csv"
    headless.write_text("li.na,5\n")
    refused = cli(ISSUE, str(headless))
    assert f"{headless}, line 1: the header must be account,amount" in refused.err
    empty = payout(tmp_path, name="empty.csv")
    assert f"{empty}: no recipients below the header" in cli(ISSUE, empty).err


def test_a_long_payout_shows_progress(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up(cli, tmp_path)
    monkeypatch.setattr(registry_cli, "PROGRESS_ROWS", 1)
    issued = ok(cli(ISSUE, payout(tmp_path, "li.na,5", "wang.wei,5")))
    assert "Issuing C01-001-R001 to 2 recipients" in issued.err
    assert issued.out.startswith(f"batch {BATCH} issued: 10 ")


def test_a_repeated_idempotency_key_prints_the_first_result_and_writes_nothing(
    cli: Cli, tmp_path: Path, engine: Engine
) -> None:
    set_up(cli, tmp_path)
    recipients = payout(tmp_path, "li.na,5", "wang.wei,5")
    first = ok(cli(f"{ISSUE} {recipients} --idempotency-key payout-2025"))
    size = ledger_size(engine)
    again = ok(cli(f"{ISSUE} {recipients} --idempotency-key payout-2025"))
    assert again.out == first.out and "nothing was written" in again.err
    assert ledger_size(engine) == size
    move = f"registry transfer {BATCH} wang.wei 1.5 --as li.na --json --idempotency-key t-1"
    sent = ok(cli(move))
    size = ledger_size(engine)
    assert ok(cli(move)).out == sent.out
    assert ledger_size(engine) == size
    other = cli(f"registry transfer {BATCH} wang.wei 2 --as li.na --idempotency-key t-1")
    assert other.code == 1 and "idempotency_conflict" in other.err
    assert ledger_size(engine) == size


SUPPLY = """
SELECT b.id, b.denom, b.issued, b.tradable, b.retired, b.cancelled, b.buffer,
       SUM(CASE WHEN k.state = 'tradable' THEN k."last" - k."first" + 1 ELSE 0 END),
       SUM(CASE WHEN k.state = 'retired' THEN k."last" - k."first" + 1 ELSE 0 END),
       SUM(CASE WHEN k.state = 'cancelled' THEN k."last" - k."first" + 1 ELSE 0 END),
       SUM(CASE WHEN k.state = 'buffer' THEN k."last" - k."first" + 1 ELSE 0 END)
FROM registry_batches b JOIN registry_blocks k ON k.batch_id = b.id
GROUP BY b.id, b.denom, b.issued, b.tradable, b.retired, b.cancelled, b.buffer
"""
BLOCKS = 'SELECT batch_id, "first", "last" FROM registry_blocks ORDER BY batch_id, "first"'


def column(engine: Engine, query: str) -> set[str]:
    with engine.connect() as conn:
        return {str(row[0]) for row in conn.execute(text(query))}


def test_the_demo_loads_once_and_every_batch_conserves_its_supply(cli: Cli, engine: Engine) -> None:
    first = ok(cli("demo"))
    assert "registry: 4 CCER classes, 8 projects, 9 batches" in first.out
    size = ledger_size(engine)
    assert "registry: already loaded" in ok(cli("demo")).out
    assert ledger_size(engine) == size
    with engine.connect() as conn:
        batches = conn.execute(text(SUPPLY)).all()
        spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for batch_id, low, high in conn.execute(text(BLOCKS)):
            spans[batch_id].append((low, high))
    assert len(batches) == 9
    for batch_id, denom, issued, tradable, retired, cancelled, buffer, *by_state in batches:
        assert issued == tradable + retired + cancelled + buffer, denom
        assert by_state == [tradable, retired, cancelled, buffer], denom
        # The blocks partition 1..issued: each starts where the one before ended.
        ends = [0] + [high for _, high in spans[batch_id]]
        assert [low for low, _ in spans[batch_id]] == [end + 1 for end in ends[:-1]], denom
        assert ends[-1] == issued, denom
    assert any(issued % 1_000_000 for _, _, issued, *_ in batches), "a decimal amount"
    assert column(engine, "SELECT beneficiary_kind FROM registry_retirements") == {
        "account",
        "entity",
    }
    codes = column(engine, "SELECT reason_code FROM registry_retirements")
    assert {"compliance", "neutrality", "corsia", "inclusion", "voluntary"} <= codes
    assert column(engine, "SELECT via FROM registry_retirements") == {"retire", "transfer"}
    assert column(engine, "SELECT kind FROM registry_cancellations") == {"holder", "reversal"}
    assert column(engine, "SELECT kind FROM accounts") >= {"person", "programme", "organisation"}
    assert "ok: " in ok(cli("ledger verify")).out


def test_show_and_replay_read_what_the_demo_wrote(cli: Cli, engine: Engine) -> None:
    ok(cli("demo"))
    replayed = ok(cli("registry replay")).out
    assert "ok: " in replayed and "supply is conserved" in replayed
    denom = sorted(column(engine, "SELECT denom FROM registry_batches"))[0]
    batch = json.loads(ok(cli(f"registry show batch {denom} --json")).out)
    assert batch["batch"] == denom and batch["blocks"] >= 1
    unit = json.loads(ok(cli(f"registry show serial {denom}:1 --json")).out)
    assert unit["first"] == 1
    index = sorted(column(engine, "SELECT ledger_index FROM registry_retirements"), key=int)[0]
    certificate = ok(cli(f"registry show retirement {index}")).out
    assert "methodology_version" in certificate
    refused = cli("registry show serial not-a-serial")
    assert refused.code == 1 and "BATCH:UNIT" in refused.err
    with engine.begin() as conn:
        conn.execute(text("UPDATE registry_batches SET retired = retired + 1"))
    broken = cli("registry replay")
    assert broken.code == 1 and "retired is" in broken.err


def test_credit_type_c_is_built_in_and_an_admin_adds_others(cli: Cli) -> None:
    again = cli("registry credit-type add C --name X --unit t --precision 6 --as admin")
    assert again.code == 1 and "credit type C exists already" in again.err
    added = ok(
        cli("registry credit-type add BIO --name Biodiversity --unit ha --precision 2 --as admin")
    )
    assert "BIO" in added.out


def test_a_batch_issued_retired_from_the_cli(cli: Cli, tmp_path: Path, engine: Engine) -> None:
    set_up(cli, tmp_path)
    recipients = payout(tmp_path, "li.na,0.144", "wang.wei,0.288")
    refused = cli(f"{ISSUE} {recipients} --jurisdiction CN-SC")
    assert refused.code == 1 and "need --retire" in refused.err
    done = ok(
        cli(
            f"{ISSUE} {recipients} --retire --jurisdiction CN-SC --reason-code inclusion"
            " --reason 'clean-plate check-ins'"
        )
    )
    assert f"{BATCH}:1-144000" in done.out
    assert column(engine, "SELECT via FROM registry_retirements") == {"issuance"}
    assert column(engine, "SELECT retired FROM registry_batches") == {"432000"}
    assert "ok: " in ok(cli("registry replay")).out
