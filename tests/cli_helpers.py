"""Running the real ``ecocredit`` entry point in-process, and serving an app on a free port."""

from __future__ import annotations

import shlex
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from ecocredit.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Outcome:
    """Run ``ecocredit ARGS`` as a user would and return its exit code and output."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["ecocredit", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def installation_cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Outcome]:
    """``ecocredit COMMAND [ARG…]`` in-process on an installation in ``tmp_path``, initialised."""
    monkeypatch.setenv("ECOCREDIT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ECOCREDIT_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)

    def run(command: str, *more: str) -> Outcome:
        return run_cli([*shlex.split(command), *more], monkeypatch, capsys)

    assert run("init").code == 0
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
