"""Throughput of the hourly AQI: ecocredit, the bare numpy ceiling, and python-aqi on a sample.

Every rate is the median of timed runs after one untimed warm-up, on the same station-hours;
ours and the ceiling are timed in alternating runs. The numpy ceiling is what any vectorised
AQI must at least do: one ``np.interp`` per pollutant on its breakpoints, ``np.ceil`` and
the maximum, without primary pollutants, levels, missing-value rules or the SO2 rule above
800 µg/m³. python-aqi is pure Python with ``decimal``; it is timed on a random sample
through its public ``aqi.to_aqi`` and its answers are compared with ours (HJ 633-2012:
python-aqi implements that version).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aqi
import numpy as np
from aqi import constants as peer

from ecocredit.air.aqi import HOURLY_TABLES, hourly_aqi
from ecocredit.air.model import POLLUTANTS, FloatArray, Pollutant
from ecocredit.air.rules import rule_set

RULE_SETS = ("HJ633-2012", "HJ633-2026")
_PEER_NAMES = {
    Pollutant.PM25: peer.POLLUTANT_PM25,
    Pollutant.PM10: peer.POLLUTANT_PM10,
    Pollutant.SO2: peer.POLLUTANT_SO2_1H,
    Pollutant.NO2: peer.POLLUTANT_NO2_1H,
    Pollutant.CO: peer.POLLUTANT_CO_1H,
    Pollutant.O3: peer.POLLUTANT_O3_1H,
}
# The top of each python-aqi MEP table: above it python-aqi raises (no segment found).
_PEER_TOPS = {
    Pollutant.PM25: 500.0,
    Pollutant.PM10: 600.0,
    Pollutant.SO2: 800.0,
    Pollutant.NO2: 3840.0,
    Pollutant.CO: 150.0,
    Pollutant.O3: 1200.0,
}


@dataclass(frozen=True)
class Rate:
    """Station-hours per second of one method: the median of its timed runs."""

    label: str
    items: int
    runs: list[float]

    @property
    def seconds(self) -> float:
        return statistics.median(self.runs)

    @property
    def per_s(self) -> float:
        return self.items / self.seconds


def _clock(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def paired_rates(
    values: FloatArray, name: str, runs: int, tick: Callable[[], None]
) -> tuple[Rate, Rate]:
    """``hourly_aqi`` and the numpy ceiling under rule set ``name``, run by run side by side.

    Each is run once untimed, then ``runs`` rounds time one run of each, the order
    alternating, so that other work on the machine weighs on both alike.
    """
    rules = rule_set(name)
    works = (lambda: hourly_aqi(values, rules), lambda: numpy_ceiling(values, name))
    for work in works:
        work()
    tick()
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(runs):
        for i in (0, 1) if r % 2 == 0 else (1, 0):
            times[i].append(_clock(works[i]))
        tick()
    n = values.shape[1]
    ours = Rate(f"ecocredit hourly_aqi, {name}", n, times[0])
    return ours, Rate(f"bare numpy interp + ceil + max, {name} tables", n, times[1])


def numpy_ceiling(values: FloatArray, name: str) -> FloatArray:
    """The bare AQI: per pollutant ``np.interp`` on its table, ``np.ceil``, the maximum."""
    rules = rule_set(name)
    aqi_max: FloatArray | None = None
    for p in POLLUTANTS:
        table = rules.table(HOURLY_TABLES[p])
        iaqi = np.interp(values[p.index], table.concentrations, table.iaqi)
        np.ceil(iaqi, out=iaqi)
        aqi_max = iaqi if aqi_max is None else np.fmax(aqi_max, iaqi, out=aqi_max)
    assert aqi_max is not None
    return aqi_max


def ceiling_agreement(values: FloatArray, name: str) -> tuple[int, int]:
    """Station-hours with all six values where ours and the ceiling differ, and their count.

    Off the table tops (where HJ 633 has its own rules) the two must agree exactly.
    """
    rules = rule_set(name)
    ours = hourly_aqi(values, rules).aqi
    bare = numpy_ceiling(values, name)
    tops = np.array([rules.table(HOURLY_TABLES[p]).top for p in POLLUTANTS])[:, None]
    inside = np.all(values <= tops, axis=0)  # NaN compares False: complete hours only
    return int(np.count_nonzero(ours[inside] != bare[inside])), int(np.count_nonzero(inside))


@dataclass
class PeerRun:
    """python-aqi on a sample: its rate, what it could not take and where it disagrees."""

    sample: int
    taken: int = 0
    seconds: float = 0.0
    above_tables: int = 0
    no_value: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    differ: int = 0
    lower: int = 0  # python-aqi's AQI below ours
    iaqi_differ: Counter[str] = field(default_factory=Counter)
    co_truncated: int = 0  # of the differing AQIs, those whose CO IAQI python-aqi truncated

    @property
    def per_s(self) -> float:
        return self.taken / self.seconds if self.seconds else 0.0


def _peer_input(column: FloatArray) -> list[tuple[str, str]] | None:
    """One station-hour as python-aqi takes it (decimal strings); None if above its tables."""
    items = []
    for p in POLLUTANTS:
        value = float(column[p.index])
        if np.isnan(value):
            continue
        if value > _PEER_TOPS[p]:
            return None
        text = f"{value:.1f}" if p is Pollutant.CO else f"{value:.0f}"
        items.append((_PEER_NAMES[p], text))
    return items


def peer_run(values: FloatArray, sample: int, seed: int, tick: Callable[[int], None]) -> PeerRun:
    """Time ``aqi.to_aqi`` on ``sample`` random station-hours and compare with ours."""
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(values.shape[1], size=sample, replace=False))
    columns = np.ascontiguousarray(values[:, picked])
    run = PeerRun(sample)
    inputs: list[tuple[int, list[tuple[str, str]]]] = []
    for i in range(sample):
        items = _peer_input(columns[:, i])
        if items is None:
            run.above_tables += 1
        elif not items:
            run.no_value += 1
        else:
            inputs.append((i, items))
    answers: list[tuple[int, int]] = []
    clock = time.perf_counter
    start = clock()
    for n, (i, items) in enumerate(inputs, 1):
        try:
            answers.append((i, int(aqi.to_aqi(items, algo=aqi.ALGO_MEP))))
        except Exception as exc:
            run.errors[type(exc).__name__] += 1
        if n % 1000 == 0:
            tick(1000)
    run.seconds = clock() - start
    tick(len(inputs) % 1000)
    run.taken = len(answers)
    _compare(run, columns, answers)
    return run


def _compare(run: PeerRun, columns: FloatArray, answers: list[tuple[int, int]]) -> None:
    """Count where python-aqi's AQI differs from ours, and which IAQIs differ there."""
    ours = hourly_aqi(columns, rule_set("HJ633-2012"))
    for i, theirs in answers:
        mine = int(ours.aqi[i])
        if theirs == mine:
            continue
        run.differ += 1
        run.lower += theirs < mine
        for p in POLLUTANTS:
            value = float(columns[p.index, i])
            if np.isnan(value):
                continue
            text = f"{value:.1f}" if p is Pollutant.CO else f"{value:.0f}"
            peer = int(aqi.to_iaqi(_PEER_NAMES[p], text, algo=aqi.ALGO_MEP))
            if peer != int(ours.iaqi[p.index, i]):
                run.iaqi_differ[p.value] += 1
                if p is Pollutant.CO and int(ours.iaqi[p.index, i]) == mine:
                    run.co_truncated += 1


def peer_json(run: PeerRun) -> dict[str, Any]:
    """The python-aqi figures for the JSON line."""
    return {
        "sample": run.sample,
        "taken": run.taken,
        "seconds": round(run.seconds, 4),
        "above_tables": run.above_tables,
        "no_value": run.no_value,
        "errors": dict(run.errors),
        "aqi_differ": run.differ,
        "aqi_lower": run.lower,
        "iaqi_differ": dict(run.iaqi_differ),
    }
