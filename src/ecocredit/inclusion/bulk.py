"""Decide a year of a programme's actions column-wise: the bulk path, for files, not requests.

Input: the operator app's export of actions in time order (CSV or Parquet), one row per action
with ``participant``, ``key``, ``methodology``, ``at`` (UTC), the methodology's inputs as
columns (``food_type``, ``portions``, ``material``, ``kg``, ``polymer``, ``mode``, ``km``),
``evidence_sha256``, ``phash`` (16 hex digits, computed by the app on the phone; empty for a
slip or trip) and, optionally, ``received`` (UTC; the action's own time when absent).

The checks are those of ``decisions.decide``, in its order, with these differences, all of
them about scale:

* **near-duplicate photos** are looked for among the participant's own last ``PHOTO_RING``
  kept photos (the usual way to claim one meal twice is to send one's own photo again), not
  among everybody's: at a hundred million photos a search of all of them per action would cost
  more than the rest of the import. The hashes are stored, so later single and batch
  submissions compare against all of them;
* **exact duplicates:** the first copy of a photo in the year backs every later copy, even when
  that first copy is then rejected for the day's cap (one by one, the second copy would be
  decided on its own). Copies of a photo already in the database are found too;
* **velocity:** the count in the reason is exact up to twice the programme's ``velocity_max``
  and says that many beyond it; the decision itself is exact.

How it keeps 100 million actions in a few gigabytes: a first pass (``survey``) numbers the
participants and finds the 60-bit SHA-256 prefixes that occur more than once (only those
photos are looked up one by one); reductions are computed once per distinct input with the
methodology's own ``reduce``, so they equal the single path's to the gram. The second pass
(``Year.decide``) takes chunks in time order and keeps per participant only numpy arrays: the
day, count and points of the last accepted day per methodology, and a ring of the last kept
times for velocity. Within a chunk the cap and velocity checks run in rounds: round r decides
the r-th action of every participant at once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from ecocredit.errors import EcocreditError, InvalidParameter
from ecocredit.inclusion import methodologies
from ecocredit.inclusion.decisions import Limits

INPUTS = ("food_type", "portions", "material", "kg", "polymer", "mode", "km")
TEXT = ("participant", "key", "methodology", "food_type", "material", "polymer", "mode",
        "evidence_sha256", "phash", "at", "received")  # fmt: skip
US = 1_000_000
DAY_US = 86_400 * US
CHINA_US = 8 * 3600 * US
COLUMNS: dict[str, Any] = {
    "participant": pl.String, "key": pl.String, "methodology": pl.String,
    "at": pl.Datetime("us", "UTC"), "received": pl.Datetime("us", "UTC"),
    "evidence_sha256": pl.String, "phash": pl.String, "food_type": pl.String,
    "portions": pl.Int64, "material": pl.String, "kg": pl.Float64, "polymer": pl.String,
    "mode": pl.String, "km": pl.Float64,
}  # fmt: skip
NO_TIME = np.iinfo(np.int64).min // 2
PHOTO_RING = 2  # a participant's last kept photos the bulk path compares a new one with
NEAR_BITS = 10  # phash.NEAR_DUPLICATE_BITS, without importing Pillow into the bulk path
NO_ACTION = np.iinfo(np.int64).min  # an empty slot of the photo ring


@dataclass(frozen=True)
class Rule:
    """A methodology's point rule in a programme, as the bulk path applies it."""

    methodology: str
    version: str | None
    points_per_action: int | None
    grams_per_point: int | None
    max_actions_per_day: int | None
    max_points_per_day: int | None


def read(path: str) -> pl.LazyFrame:
    """The actions of one file, CSV or Parquet, with the columns the bulk path uses."""
    if str(path).endswith(".parquet"):
        frame = pl.scan_parquet(path)
    else:
        frame = pl.scan_csv(path, schema_overrides=dict.fromkeys(TEXT, pl.String))
    schema = frame.collect_schema()
    names = schema.names()
    frame = frame.with_columns(
        # Not strict: ``check_file`` has named any time that does not parse before this runs.
        pl.col(c).str.to_datetime(time_unit="us", time_zone="UTC", strict=False)
        for c in ("at", "received") if c in names and schema[c] == pl.String
    )  # fmt: skip
    missing = [c for c in INPUTS if c not in names]
    frame = frame.with_columns(pl.lit(None).alias(c) for c in missing)
    if "received" not in names:
        frame = frame.with_columns(pl.col("at").alias("received"))
    # Not strict either: ``check_file`` has named any number that does not convert.
    return frame.select(pl.col(name).cast(kind, strict=False) for name, kind in COLUMNS.items())


def prefix60(sha: pl.Expr) -> pl.Expr:
    """The first 60 bits of a hex SHA-256 as a signed 64-bit integer."""
    return sha.str.slice(0, 15).str.to_integer(base=16, dtype=pl.Int64)


def survey(
    paths: Sequence[str], stored_prefixes: NDArray[np.int64], skip: int = 0
) -> tuple[pl.DataFrame, NDArray[np.int64]]:
    """The participants' directory (participant → number) and the repeated SHA prefixes."""
    lazy = pl.concat([read(p) for p in paths])
    people = lazy.select(pl.col("participant").unique()).collect(engine="streaming")
    directory = people.sort("participant").with_row_index("number").select(
        "participant", pl.col("number").cast(pl.Int64)
    )  # fmt: skip
    # Rows an earlier run wrote are among the stored ones: counting them twice would make
    # every one of them look repeated.
    prefixes = (
        lazy.slice(skip).select(prefix60(pl.col("evidence_sha256"))).collect(engine="streaming")
    )
    values = np.concatenate([prefixes.to_series().to_numpy(), stored_prefixes])
    del prefixes
    values.sort()
    repeated = np.unique(values[1:][values[1:] == values[:-1]])
    return directory, repeated


def reductions(frame: pl.DataFrame, rules: Mapping[str, Rule]) -> pl.DataFrame:
    """Grams, version and quantities JSON for each distinct (methodology, inputs) of a frame."""
    rows = []
    distinct = frame.select("methodology", *INPUTS).unique(maintain_order=True)
    for n, values in enumerate(distinct.iter_rows(named=True)):
        inputs = {k: v for k, v in values.items() if k != "methodology" and v is not None}
        try:
            rule = rules.get(values["methodology"])
            if rule is None:
                raise InvalidParameter(f"the programme does not take {values['methodology']!r}",
                                       field="methodology")  # fmt: skip
            method = methodologies.methodology(rule.methodology, rule.version)
            found = method.reduce(inputs)
        except EcocreditError as exc:
            raise type(exc)(f"inputs {inputs}: {exc.message}", field=exc.field) from exc
        rows.append((n, found.grams_co2e, found.version, json.dumps(dict(found.quantities))))
    table = pl.DataFrame(rows, schema=["n", "grams_co2e", "version", "quantities"], orient="row")
    return pl.concat([distinct.with_row_index("n").with_columns(pl.col("n").cast(pl.Int64)),
                      table.drop("n")], how="horizontal").drop("n")  # fmt: skip


# A decision's reason: text; an int, "the same evidence already backs" that ordinal (or, negative,
# that stored action); a pair, a near photo: (the ordinal or -(stored id), the bits apart).
Reasons = list[str | int | tuple[int, int]]


@dataclass
class Decided:
    """A chunk's decisions, row for row with the chunk in time order."""

    status: NDArray[np.int8]  # 0 accepted, 1 rejected, 2 review
    reason: Reasons
    points: NDArray[np.int64]


class Year:
    """Per-participant state across a year's chunks, in numpy arrays indexed by number."""

    def __init__(self, participants: int, rules: Sequence[Rule], limits: Limits,
                 repeated: NDArray[np.int64]) -> None:  # fmt: skip
        self.rules = list(rules)
        self.limits = limits
        self.repeated = repeated
        self.backing: dict[str, int] = {}  # sha256 → ordinal of the action it backs, or -id
        self.ring_size = max(2 * limits.velocity_max, 1)
        m = len(self.rules)
        self.day = np.full(participants * m, -1, dtype=np.int32)
        self.count = np.zeros(participants * m, dtype=np.int32)
        self.spent = np.zeros(participants * m, dtype=np.int64)
        self.ring = np.full((participants, self.ring_size), NO_TIME, dtype=np.int64)
        self.next = np.zeros(participants, dtype=np.int64)
        self.photos = np.zeros((participants, PHOTO_RING), dtype=np.uint64)
        self.photo_of = np.full((participants, PHOTO_RING), NO_ACTION, dtype=np.int64)
        self.photo_next = np.zeros(participants, dtype=np.int32)
        self.ordinal = 0
        self.last_at = NO_TIME

    def remember(self, person: int, rule: int, at_us: int, status: str, points: int,
                 photo: tuple[int, int] | None = None) -> None:  # fmt: skip
        """Take in one action stored before the import (caps, velocity, its photo).

        ``photo``: the action's id and its perceptual hash (unsigned), if it has one.
        """
        if status == "rejected":
            return
        self.ring[person, self.next[person] % self.ring_size] = at_us
        self.next[person] += 1
        if photo is not None:
            slot = self.photo_next[person] % PHOTO_RING
            self.photos[person, slot], self.photo_of[person, slot] = photo[1], -photo[0]
            self.photo_next[person] += 1
        if status == "accepted":
            pm, day = person * len(self.rules) + rule, (at_us + CHINA_US) // DAY_US
            if self.day[pm] != day:
                self.day[pm], self.count[pm], self.spent[pm] = day, 0, 0
            self.count[pm] += 1
            self.spent[pm] += points

    def decide(self, chunk: pl.DataFrame, stored: Mapping[str, int]) -> Decided:
        """Decide a chunk in time order (columns: number, rule, at_us, received_us, grams).

        ``stored`` maps the chunk's repeated SHA-256s already backing a stored action to it.
        """
        at = chunk["at_us"].to_numpy()
        if len(at) and (at[0] < self.last_at or np.any(at[1:] < at[:-1])):
            raise InvalidParameter("the actions must come in time order", field="at")
        received = chunk["received_us"].to_numpy()
        n = len(at)
        status = np.zeros(n, dtype=np.int8)
        reason: Reasons = [""] * n
        lim = self.limits
        future = at > received + int(lim.clock_skew / dt.timedelta(microseconds=1))
        old = at < received - int(lim.max_age / dt.timedelta(microseconds=1))
        status[future | old] = 1
        for i in np.flatnonzero(future):
            reason[i] = "the action is dated in the future"
        for i in np.flatnonzero(old & ~future):
            reason[i] = f"the action is older than {lim.max_age.days} days"
        self._duplicates(chunk, status, reason, stored)
        points = np.zeros(n, dtype=np.int64)
        self._rounds(chunk, status, reason, points)
        self.ordinal += n
        self.last_at = int(at[-1]) if n else self.last_at
        return Decided(status, reason, points)

    def _duplicates(self, chunk: pl.DataFrame, status: NDArray[np.int8], reason: Reasons,
                    stored: Mapping[str, int]) -> None:  # fmt: skip
        prefix = chunk["prefix"].to_numpy()
        maybe = np.flatnonzero((status == 0) & np.isin(prefix, self.repeated))
        shas = chunk["evidence_sha256"]
        for i in maybe.tolist():
            sha = shas[i]
            backing = self.backing.get(sha)
            if backing is None and sha in stored:
                backing = -stored[sha]
            if backing is None:
                self.backing[sha] = self.ordinal + i
            else:
                status[i], reason[i] = 1, backing

    def _rounds(self, chunk: pl.DataFrame, status: NDArray[np.int8], reason: Reasons,
                points: NDArray[np.int64]) -> None:  # fmt: skip
        live = np.flatnonzero(status == 0)
        person = chunk["number"].to_numpy()[live]
        order = np.lexsort((live, person))
        live, person = live[order], person[order]
        starts = np.r_[0, np.flatnonzero(person[1:] != person[:-1]) + 1]
        rank = np.arange(len(live)) - np.repeat(starts, np.diff(np.r_[starts, len(live)]))
        by_rank = np.argsort(rank, kind="stable")
        bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max(initial=-1)) + 2))
        for r in range(len(bounds) - 1):
            rows = live[by_rank[bounds[r] : bounds[r + 1]]]
            self._round(chunk, rows, status, reason, points)

    def _round(self, chunk: pl.DataFrame, rows: NDArray[np.int64], status: NDArray[np.int8],
               reason: Reasons, points: NDArray[np.int64]) -> None:  # fmt: skip
        who, rule = chunk["number"].to_numpy()[rows], chunk["rule"].to_numpy()[rows]
        at = chunk["at_us"].to_numpy()[rows]
        pm, day = who * len(self.rules) + rule, (at + CHINA_US) // DAY_US
        same = self.day[pm] == day
        count, spent = np.where(same, self.count[pm], 0), np.where(same, self.spent[pm], 0)
        caps = np.array([r.max_actions_per_day or 2**31 for r in self.rules])[rule]
        capped = count >= caps
        window = int(self.limits.velocity_window / dt.timedelta(microseconds=1))
        burst = (self.ring[who] > (at - window)[:, None]).sum(axis=1)
        fast = ~capped & (burst >= self.limits.velocity_max)
        near, near_of, near_bits = self._near(chunk, rows, who, ~capped & ~fast)
        review = fast | near
        accepted = ~capped & ~review
        got = self._points(chunk["grams_co2e"].to_numpy()[rows], rule, spent) * accepted
        status[rows[capped]], status[rows[review]], points[rows] = 1, 2, got
        minutes = int(self.limits.velocity_window.total_seconds() // 60)
        for i, c in zip(rows[capped].tolist(), caps[capped].tolist(), strict=True):
            reason[i] = f"the day's cap of {c} actions is reached"
        for i, b in zip(rows[fast].tolist(), burst[fast].tolist(), strict=True):
            reason[i] = f"{b + 1} actions within {minutes} minutes: held for review"
        for i, of, bits in zip(rows[near].tolist(), near_of[near].tolist(),
                               near_bits[near].tolist(), strict=True):  # fmt: skip
            reason[i] = (of, bits)
        took = pm[accepted]
        self.day[took], self.count[took] = day[accepted], count[accepted] + 1
        self.spent[took] = spent[accepted] + got[accepted]
        kept = who[~capped]
        self.ring[kept, self.next[kept] % self.ring_size] = at[~capped]
        self.next[kept] += 1
        photo = ~capped & ~chunk["phash_value"].is_null().to_numpy()[rows]
        shown, slot = who[photo], self.photo_next[who[photo]] % PHOTO_RING
        self.photos[shown, slot] = chunk["phash_value"].fill_null(0).to_numpy()[rows[photo]]
        self.photo_of[shown, slot] = self.ordinal + rows[photo]
        self.photo_next[shown] += 1

    def _near(self, chunk: pl.DataFrame, rows: NDArray[np.int64], who: NDArray[np.int64],
              open_: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.int64],
                                                 NDArray[np.int64]]:  # fmt: skip
        """Which of the round's open actions show a photo near one of the person's last.

        Returns the mask, and for each the action it resembles most (ordinal, or -(db id))
        with the bits apart; the nearest wins, then the earliest.
        """
        values = chunk["phash_value"]
        has = open_ & ~values.is_null().to_numpy()[rows]
        near = np.zeros(len(rows), dtype=bool)
        of = np.zeros(len(rows), dtype=np.int64)
        bits = np.zeros(len(rows), dtype=np.int64)
        if not has.any():
            return near, of, bits
        mine = values.fill_null(0).to_numpy()[rows[has]]
        dist = np.bitwise_count(self.photos[who[has]] ^ mine[:, None]).astype(np.int64)
        dist[self.photo_of[who[has]] == NO_ACTION] = 64
        best = np.argmin(dist, axis=1)
        closest = dist[np.arange(len(best)), best]
        hit = closest <= NEAR_BITS
        where = np.flatnonzero(has)[hit]
        near[where] = True
        of[where] = self.photo_of[who[has], best][hit]
        bits[where] = closest[hit]
        return near, of, bits

    def _points(self, grams: NDArray[np.int64], rule: NDArray[np.int64],
                spent: NDArray[np.int64]) -> NDArray[np.int64]:  # fmt: skip
        each = np.array([r.points_per_action or 0 for r in self.rules])[rule]
        per = np.array([r.grams_per_point or 1 for r in self.rules])[rule]
        fixed = np.array([r.points_per_action is not None for r in self.rules])[rule]
        got = np.where(fixed, each, grams // per)
        top = np.array([r.max_points_per_day or 2**62 for r in self.rules])[rule]
        return np.where(spent + got > top, np.maximum(0, top - spent), got)


def prepare_chunk(frame: pl.DataFrame, directory: pl.DataFrame, table: pl.DataFrame,
                  rules: Sequence[Rule]) -> pl.DataFrame:  # fmt: skip
    """A chunk sorted by time with participant number, rule index, reduction and SHA prefix."""
    index = pl.DataFrame({"methodology": [r.methodology for r in rules],
                          "rule": list(range(len(rules)))})  # fmt: skip
    return (
        frame.with_row_index("row")
        .join(table, on=["methodology", *INPUTS], how="left", nulls_equal=True)
        .join(directory, on="participant", how="left")
        .join(index, on="methodology", how="left")
        .with_columns(
            pl.col("at").dt.epoch("us").alias("at_us"),
            pl.col("received").dt.epoch("us").alias("received_us"),
            prefix60(pl.col("evidence_sha256")).alias("prefix"),
            pl.col("phash").str.to_integer(base=16, dtype=pl.UInt64).alias("phash_value"),
        )
        .sort("at_us", "row")
    )  # fmt: skip
