"""Import monitoring files: every file's hash and row count on the log, revisions kept.

One import is one transaction and one log entry, whatever the number of files. A file whose
SHA-256 was imported before is skipped, and a value equal to the stored one is not written
again, so importing the same data twice changes nothing; a different value for a stored
station, hour and pollutant is written as a revision beside the old one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit import fastsql
from ecocredit.accounts.model import Principal
from ecocredit.air import blocks, readers, store
from ecocredit.air.aqi import hourly_aqi
from ecocredit.air.averages import day_start_utc
from ecocredit.air.model import (
    HOUR,
    DataStatus,
    FloatArray,
    HourlyGrid,
    Layout,
    Reject,
    local_day,
    local_label,
)
from ecocredit.air.ops.common import begin, require_monitor
from ecocredit.air.rules import rule_set_for
from ecocredit.air.tables import import_files, imports, station_days
from ecocredit.ledger import events
from ecocredit.ledger import store as ledger_store
from ecocredit.ledger.events import AIR_FILE_IMPORTED, AIR_IMPORTED, format_time

Days = dict[dt.date, npt.NDArray[np.int32]]
FUTURE_SLACK = np.timedelta64(24, "h")
MAX_DIFFERENCES_SHOWN = 20


@dataclass(frozen=True)
class SourceFile:
    """A file to import: its name (for messages), its bytes and, optionally, its layout."""

    name: str
    data: bytes
    layout: Layout | None = None


@dataclass(frozen=True)
class FileReport:
    """What became of one file."""

    name: str
    sha256: str
    layout: str
    rows: int
    rejected: int
    imported_before: int | None = None  # the import that already holds this exact file


@dataclass
class ImportReport:
    """What an import took, rejected and wrote."""

    import_id: int | None
    status: DataStatus
    files: list[FileReport] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    values_written: int = 0
    values_withdrawn: int = 0  # of those, blanks of an audited file that withdraw a value
    first_hour: np.datetime64 | None = None
    last_hour: np.datetime64 | None = None
    published_compared: int = 0  # station-hours whose source published an AQI beside them
    published_matched: int = 0  # … and ours is the same
    published_differences: list[str] = field(default_factory=list)  # the first few

    @property
    def clean(self) -> bool:
        """True when nothing was rejected."""
        return not self.rejects


def run(
    session: Session,
    files: Sequence[SourceFile],
    *,
    status: DataStatus,
    actor: Principal,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read, check and store ``files`` as one import of ``status`` data."""
    require_monitor(session, actor)
    begin(session)
    codes = store.station_codes(session)
    report = ImportReport(None, DataStatus(status))
    days: Days = {}
    seen = _imported_before(session, files, report.status)
    taken: set[str] = set()
    for source in files:
        digest = hashlib.sha256(source.data).hexdigest()
        if digest in seen:
            report.files.append(FileReport(source.name, digest, "", 0, 0, seen[digest]))
        elif digest in taken:
            report.rejects.append(
                Reject(source.name, 0, "the same file (same SHA-256) is given twice; read once")
            )
        else:
            taken.add(digest)
            _take(source, digest, codes, days, report)
        if progress is not None:
            progress(1)
    fresh = [f for f in report.files if f.imported_before is None]
    if fresh:
        _compare_published(codes, days, report)
        _write(session, codes, days, report, fresh, actor)
    return report


def _compare_published(codes: Sequence[str], days: Days, report: ImportReport) -> None:
    """Score every station-hour that came with a published AQI and count the agreements.

    A monitoring centre sees at once whether its files and this platform give the same AQI.
    Each day is scored alone, so an hour whose HJ 633-2012 SO2 rule needs the day before is
    counted as a difference rather than guessed.
    """
    for day, block in sorted(days.items()):
        published = block[:, blocks.PUBLISHED_AQI, :]
        given = published != blocks.ABSENT
        if not given.any():
            continue
        values = blocks.decode(block[:, : blocks.PUBLISHED_AQI, :]).transpose(1, 0, 2)
        ours = hourly_aqi(values, rule_set_for(day)).aqi
        theirs = np.rint(published / blocks.SCALE).astype(np.int64)
        same = given & (ours == theirs)
        report.published_compared += int(given.sum())
        report.published_matched += int(same.sum())
        for s, h in zip(*np.nonzero(given & ~same), strict=True):
            if len(report.published_differences) >= MAX_DIFFERENCES_SHOWN:
                return
            label = local_label(day_start_utc(day) + int(h) * HOUR).strftime("%Y-%m-%d %H:%M")
            report.published_differences.append(
                f"{codes[int(s)]} {label}: published {theirs[s, h]}, HJ 633 gives "
                f"{'none' if ours[s, h] < 0 else int(ours[s, h])}"
            )


def _imported_before(
    session: Session, files: Sequence[SourceFile], status: DataStatus
) -> dict[str, int]:
    """Files this import need not read again: imported before as audited, or as ``status``.

    A real-time file that an audit finds right may come back byte for byte as audited; it is
    read again then, to confirm its values.
    """
    digests = [hashlib.sha256(f.data).hexdigest() for f in files]
    query = (
        select(import_files.c.sha256, import_files.c.import_id)
        .join(imports, imports.c.id == import_files.c.import_id)
        .where(
            import_files.c.sha256.in_(digests),
            imports.c.status.in_({status.value, DataStatus.AUDITED.value}),
        )
    )
    return {sha: int(i) for sha, i in session.execute(query)}


def _take(
    source: SourceFile, digest: str, codes: Sequence[str], days: Days, report: ImportReport
) -> None:
    grid = readers.read_grid_bytes(source.data, source.name, layout=source.layout, stations=codes)
    rejects = list(grid.rejects)
    index = {c: i for i, c in enumerate(codes)}
    audit = report.status is DataStatus.AUDITED
    rejects += _place(grid, source.name, index, len(codes), days, audit=audit)
    report.rejects += rejects
    layout = source.layout or readers.detect_layout_bytes(source.data, source.name)
    report.files.append(FileReport(source.name, digest, layout.value, grid.rows, len(rejects)))


def _place(
    grid: HourlyGrid, name: str, index: dict[str, int], n: int, days: Days, *, audit: bool
) -> list[Reject]:
    """Put a file's values into the import's station-day arrays; refuse what cannot be kept.

    In an audited file a blank cell the file covers withdraws the value (the monthly review
    invalidated it); in a real-time file a blank is only a value not yet there.
    """
    rejects: list[Reject] = []
    published = grid.published_aqi
    if published is None:
        published = np.full(grid.values.shape[1:], np.nan)
    values = np.concatenate([grid.values, published[None]])
    rows = np.array([index[c] for c in grid.stations], dtype=np.intp)
    hours = grid.hours
    rejects += _refuse_future(grid, values, name)
    day_of = local_day(hours)
    for day64 in np.unique(day_of):
        day = day64.astype(dt.date)
        cols = np.nonzero(day_of == day64)[0]
        pos = ((hours[cols] - day_start_utc(day)) / HOUR).astype(np.intp)
        target = days.setdefault(day, np.full((n, blocks.SERIES, 24), blocks.ABSENT, np.int32))
        incoming = blocks.encode(values[:, :, cols])
        if audit and grid.covered is not None:
            blanks = np.zeros(incoming.shape, np.bool_)
            blanks[: blocks.PUBLISHED_AQI] = grid.covered[:, :, cols]
            blocks.withdraw(incoming, blanks)
        incoming = incoming.transpose(1, 0, 2)  # [station, series, hours]
        region = np.ix_(rows, np.arange(blocks.SERIES), pos)
        held = target[region]
        # A value of a later file fills what an earlier one left blank; two values clash.
        clash = (held > blocks.INVALID) & (incoming > blocks.INVALID)
        if clash.any():
            rejects.append(
                Reject(
                    name,
                    0,
                    f"{int(clash.sum())} values of {day} were already "
                    "given by an earlier file of this import; the first are kept",
                )
            )
        target[region] = np.where(
            (held == blocks.ABSENT) | ((held == blocks.INVALID) & (incoming > blocks.INVALID)),
            incoming,
            held,
        )
    return rejects


def _refuse_future(grid: HourlyGrid, values: FloatArray, name: str) -> list[Reject]:
    """Blank the values labelled after now (plus a day of clock skew); say how many.

    Blank cells of those hours are dropped too: not even an audit speaks of the future.
    """
    limit = np.datetime64(dt.datetime.now(dt.UTC).replace(tzinfo=None), "h") + FUTURE_SLACK
    late = grid.hours > limit
    count = int(np.count_nonzero(~np.isnan(values[..., late])))
    if not late.any():
        return []
    values[..., late] = np.nan
    if grid.covered is not None:
        grid.covered[..., late] = False
    if not count:
        return []
    moment = local_label(limit).strftime("%Y-%m-%d %H:%M")
    return [
        Reject(
            name,
            0,
            f"{count} values labelled after {moment} (China time) lie in the "
            "future and were refused; check the dates",
        )
    ]


def _write(
    session: Session,
    codes: Sequence[str],
    days: Days,
    report: ImportReport,
    fresh: list[FileReport],
    actor: Principal,
) -> None:
    """Store the changed blocks, the import and its files, and log one entry per file."""
    moment = dt.datetime.now(dt.UTC)
    rows = _changed_rows(session, codes, days, report)
    import_id = _record(session, report, actor, moment)
    fastsql.insert_many(session, station_days, [(s, d, import_id, b) for s, d, b in rows])
    files = [
        {
            "name": f.name[:255],
            "sha256": f.sha256,
            "layout": f.layout,
            "rows": f.rows,
            "rejected": f.rejected,
        }
        for f in fresh
    ]
    session.execute(import_files.insert(), [{"import_id": import_id, **f} for f in files])
    index = _log(session, import_id, files, report, actor, moment)
    session.execute(
        imports.update()
        .where(imports.c.id == import_id)
        .values(ledger_index=index, values_written=report.values_written)
    )


def _log(
    session: Session,
    import_id: int,
    files: list[dict[str, Any]],
    report: ImportReport,
    actor: Principal,
    moment: dt.datetime,
) -> int:
    """Log one entry per file, then the import's summary; return the summary's index."""
    # One entry per file keeps every entry small, however many files one import takes.
    entries = [
        events.encode(AIR_FILE_IMPORTED, actor.name, {"import_id": import_id, **f}, moment)
        for f in files
    ]
    first, last = report.first_hour, report.last_hour
    summary = {
        "import_id": import_id,
        "status": report.status.value,
        "files": len(files),
        "values": report.values_written,
        "rejected": len(report.rejects),
        "first_hour": "" if first is None else _iso(first),
        "last_hour": "" if last is None else _iso(last),
    }
    entries.append(events.encode(AIR_IMPORTED, actor.name, summary, moment))
    return ledger_store.append(session, entries) + len(entries) - 1


def _record(session: Session, report: ImportReport, actor: Principal, moment: dt.datetime) -> int:
    """The import's row; its counts and log index are filled in once known."""
    statement = imports.insert().values(
        status=report.status.value,
        actor=actor.name,
        values_written=0,
        rejected=len(report.rejects),
        ledger_index=0,
        created_at=moment,
        first_hour=_stamp(report.first_hour),
        last_hour=_stamp(report.last_hour),
    )
    import_id = int(session.execute(statement.returning(imports.c.id)).scalar_one())
    report.import_id = import_id
    return import_id


def _changed_rows(
    session: Session, codes: Sequence[str], days: Days, report: ImportReport
) -> list[tuple[str, dt.date, bytes]]:
    """The station-day blocks holding what this import adds to the stored values.

    A real-time import adds values that are new or differ, except where an audited value
    stands: the audit is final. An audited import also confirms values equal to real-time
    ones, so that reports count them as audited.
    """
    rows: list[tuple[str, dt.date, bytes]] = []
    audit = report.status is DataStatus.AUDITED
    for run in _runs(sorted(days)):
        current = store.load(session, run[0], run[-1], codes, sources=True)
        assert current.audited is not None
        for day in run:
            j = (day - run[0]).days
            incoming = days[day]
            audited = current.audited[:, j]
            held = current.codes[:, j]
            delta = blocks.changes(held, incoming, confirm=~audited if audit else None)
            if not audit:
                delta[audited] = blocks.ABSENT
            present = delta != blocks.ABSENT
            measured = delta[:, : blocks.PUBLISHED_AQI]  # the published AQI is no measurement
            report.values_written += int(np.count_nonzero(measured != blocks.ABSENT))
            report.values_withdrawn += int(np.count_nonzero(measured == blocks.INVALID))
            for s in np.nonzero(present.any(axis=(1, 2)))[0]:
                rows.append((codes[int(s)], day, blocks.to_bytes(delta[s])))
    _span(days, report)
    return rows


def _runs(days: list[dt.date], longest: int = 31) -> list[list[dt.date]]:
    """Consecutive days in runs of at most ``longest``: a scattered import reads what it needs."""
    runs: list[list[dt.date]] = []
    for day in days:
        last = runs[-1] if runs else None
        if last and (day - last[-1]).days == 1 and len(last) < longest:
            last.append(day)
        else:
            runs.append([day])
    return runs


def _span(days: Days, report: ImportReport) -> None:
    """The first and last hour the import holds a value for."""
    seen: list[np.datetime64] = []
    for day, incoming in days.items():
        measured = incoming[:, : blocks.PUBLISHED_AQI]
        hours = np.nonzero((measured > blocks.INVALID).any(axis=(0, 1)))[0]
        if hours.size:
            seen += [day_start_utc(day) + int(h) * HOUR for h in (hours[0], hours[-1])]
    if seen:
        report.first_hour, report.last_hour = min(seen), max(seen)


def _stamp(hour: np.datetime64 | None) -> dt.datetime | None:
    if hour is None:
        return None
    moment: dt.datetime = hour.astype("datetime64[s]").astype(dt.datetime)
    return moment.replace(tzinfo=dt.UTC)


def _iso(hour: np.datetime64) -> str:
    stamp = _stamp(hour)
    assert stamp is not None
    return format_time(stamp)
