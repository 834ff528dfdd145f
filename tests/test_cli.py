"""The ``ecocredit`` command as a user runs it: init, keys, notices, verify, audit, demo."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from ecocredit.app import create_app
from ecocredit.ledger import note
from ecocredit.runtime import Runtime, initialize, open_runtime
from ecocredit.settings import Settings
from tests.cli_helpers import Outcome, run_cli, serving

ORIGIN = "cli.ecocredit.example/log"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "var"
    monkeypatch.setenv("ECOCREDIT_DATA_DIR", str(data))
    monkeypatch.setenv("ECOCREDIT_LOG_ORIGIN", ORIGIN)
    monkeypatch.delenv("ECOCREDIT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return data


@pytest.fixture
def cli(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> object:
    def run(*args: str) -> Outcome:
        return run_cli(list(args), monkeypatch, capsys)

    return run


def test_init_creates_everything_once_and_shows_the_admin_key_once(home: Path, cli) -> None:
    first = cli("init")
    assert first.code == 0, first.err
    assert home.stat().st_mode & 0o777 == 0o700
    assert "shown only this once" in first.out
    key_line = [line for line in first.out.splitlines() if line.startswith("eco_")]
    assert len(key_line) == 1 and len(key_line[0]) == 47
    key_file = home / "log-signing.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    original = key_file.read_text()
    second = cli("init")
    assert second.code == 0
    assert "eco_" not in second.out and "kept" in second.out
    assert key_file.read_text() == original
    # The key is stored hashed: the database never holds it.
    db = sqlite3.connect(home / "ecocredit.db")
    dump = "\n".join(db.iterdump())
    assert key_line[0] not in dump and key_line[0][4:] not in dump


def test_ledger_key_prints_the_verifier_key(cli) -> None:
    cli("init")
    printed = cli("ledger", "key")
    verifier = note.parse_verifier(printed.out.strip())
    assert verifier.name == ORIGIN


def test_notices_from_a_file_are_all_or_nothing(tmp_path: Path, cli) -> None:
    cli("init")
    good = tmp_path / "good.txt"
    good.write_text(
        "First notice\r\n\nSecond notice, with a line separator \u2028 inside\nThird notice\n"
    )
    result = cli("ledger", "notice", "--file", str(good))
    assert result.code == 0, result.err
    assert "recorded 3 notices as entries 3..5" in result.out
    bell = tmp_path / "feed.txt"
    bell.write_text("A form feed \x0c is not a line break\n")
    assert "U+000C" in cli("ledger", "notice", "--file", str(bell)).err
    bad = tmp_path / "bad.txt"
    bad.write_text("Fine\nBroken \x07 bell\nFine too\n")
    result = cli("ledger", "notice", "--file", str(bad))
    assert result.code == 1
    assert "bad.txt, line 2" in result.err and "U+0007" in result.err
    assert cli("ledger", "notice", "one more").out.strip() == "recorded notice as entry 6"
    assert "no account named 'ghost'" in cli("ledger", "notice", "x", "--actor", "ghost").err


def test_verify_passes_then_names_the_first_altered_index(home: Path, cli) -> None:
    cli("init")
    for i in range(40):
        cli("ledger", "notice", f"notice {i}")
    ok = cli("ledger", "verify")
    assert ok.code == 0 and "ok: 43 entries" in ok.out
    db = sqlite3.connect(home / "ecocredit.db")
    db.execute(
        "UPDATE ledger_entries SET entry = replace(entry, 'notice 17', 'notice 71') WHERE idx = 20"
    )
    db.commit()
    bad = cli("ledger", "verify")
    assert bad.code == 1
    assert "entry 20" in bad.err and "ledger_corrupt" in bad.err


@pytest.mark.parametrize("damage", ["missing", "corrupt", "replaced", "readable"])
def test_a_bad_signing_key_stops_the_platform_and_names_the_file(
    home: Path, cli, damage: str
) -> None:
    cli("init")
    key_file = home / "log-signing.key"
    if damage == "missing":
        key_file.unlink()
    elif damage == "corrupt":
        key_file.write_text("PRIVATE+KEY+garbage\n")
    elif damage == "replaced":
        key_file.unlink()
        from ecocredit.ledger import keyfile

        keyfile.create(key_file, ORIGIN)
    else:
        key_file.chmod(0o644)
    for command in (["ledger", "checkpoint"], ["serve"], ["init"]):
        result = cli(*command)
        assert result.code == 1, (damage, command)
        assert str(key_file) in result.err and "signing_key_error" in result.err
    if damage == "missing":
        assert not key_file.exists(), "init must never create a new key for an existing log"


def test_accounts_get_keys_once_and_names_are_checked(cli) -> None:
    cli("init")
    created = cli("account", "create", "alice", "--role", "admin")
    assert created.code == 0 and "eco_" in created.out
    assert "already exists" in cli("account", "create", "alice", "--role", "admin").err
    assert "not one of: admin" in cli("account", "create", "bob", "--role", "king").err
    assert "must be 2-64" in cli("account", "create", "B@d", "--role", "admin").err
    assert "eco_" in cli("account", "new-key", "alice").out
    assert "no account named" in cli("account", "new-key", "carol").err


def test_demo_loads_once(cli) -> None:
    cli("init")
    assert "6 public notices recorded" in cli("demo").out
    assert "already loaded" in cli("demo").out


def _log_with_the_same_key(home: Path, data: Path, notices: int) -> Runtime:
    """Another installation signing with the key in ``home``, with its own history."""
    from ecocredit.accounts.service import principal
    from ecocredit.ledger import service as ledger

    data.mkdir()
    shutil.copy(home / "log-signing.key", data / "log-signing.key")
    runtime = initialize(Settings(data_dir=data, log_origin=ORIGIN)).runtime
    runtime.db.write(
        lambda s: [ledger.publish_notice(s, principal(s, "admin"), f"n{i}") for i in range(notices)]
    )
    runtime.sign_checkpoint()
    return runtime


def test_audit_follows_the_log_and_catches_a_fork_and_a_rollback(
    home: Path, tmp_path: Path, cli
) -> None:
    cli("init")
    settings = Settings(data_dir=home, log_origin=ORIGIN)
    runtime = open_runtime(settings)
    key = cli("ledger", "key").out.strip()
    state = tmp_path / "audit.json"
    with serving(create_app(runtime=runtime)) as url:
        first = cli("ledger", "audit", url, "--key", key, "--state", str(state), "--entry", "0")
        assert first.code == 0, first.err
        assert "3 entries" in first.out and '"type":"ledger.key_added"' in first.out
        for i in range(300):
            cli("ledger", "notice", f"notice {i}")
        second = cli("ledger", "audit", url, "--key", key, "--state", str(state), "--entry", "257")
        assert second.code == 0, second.err
        assert "consistent with the checkpoint seen before (3 entries)" in second.out
        assert "notice 254" in second.out
        ahead = cli("ledger", "audit", url, "--key", key, "--state", str(state), "--entry", "999")
        assert ahead.code == 2 and "not in the log yet" in ahead.err

    # A second log signed with the same key, with a different history: a fork.
    forked = _log_with_the_same_key(home, tmp_path / "other", notices=400)
    saved = state.read_text()
    with serving(create_app(runtime=forked)) as url:
        fork = cli("ledger", "audit", url, "--key", key, "--state", str(state))
    assert fork.code == 1
    assert "AUDIT FAILED" in fork.err and "history was rewritten" in fork.err
    assert "checkpoint seen before" in fork.err
    assert state.read_text() == saved, "a failed audit must not move the state forward"

    # The first log, rolled back to an older copy of itself.
    rolled = _log_with_the_same_key(home, tmp_path / "small", notices=0)
    with serving(create_app(runtime=rolled)) as url:
        rollback = cli("ledger", "audit", url, "--key", key, "--state", str(state))
    assert rollback.code == 1 and "shrank" in rollback.err


def test_audit_refuses_a_wrong_key(home: Path, tmp_path: Path, cli) -> None:
    cli("init")
    runtime = open_runtime(Settings(data_dir=home, log_origin=ORIGIN))
    stranger = note.Signer.generate(ORIGIN).verifier.text()
    with serving(create_app(runtime=runtime)) as url:
        result = cli("ledger", "audit", url, "--key", stranger, "--state", str(tmp_path / "s.json"))
    assert result.code == 1 and "does not verify" in result.err
