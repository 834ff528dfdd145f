"""The CLI's renderer: the only place that writes to the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ecocredit.errors import EcocreditError


def out() -> Console:
    """Console for results (standard output)."""
    return Console(highlight=False, soft_wrap=True)


def err() -> Console:
    """Console for errors and progress (standard error)."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def show(*items: Any) -> None:
    """Print results."""
    out().print(*items)


def raw(text: str) -> None:
    """Print text exactly as it is (a signed note, a key), with no markup."""
    out().out(text, end="", highlight=False)


def error(exc: EcocreditError) -> None:
    """Print an error with its stable code."""
    failure("error", f"[{exc.code}] {exc.message}")


def failure(label: str, message: str) -> None:
    """Print a failure: a red label, then the message exactly as written (no markup)."""
    err().print(f"[bold red]{escape(label)}[/] {escape(message)}", markup=True)


@contextmanager
def progress(description: str, total: int) -> Iterator[Any]:
    """A progress bar on standard error; yields a function ``advance(n)``."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err(),
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
