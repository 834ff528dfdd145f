"""Properties of the readers: round trips and any input giving a grid or a clear error."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecocredit.air.model import Pollutant
from ecocredit.air.readers import (
    read_grid_text,
)
from ecocredit.errors import InvalidInput

# --- properties ---------------------------------------------------------------------------

CODES = ["1001A", "1002A", "1003A", "A1", "B22", "x9"]
CONCENTRATION = st.one_of(
    st.just(float("nan")),
    st.floats(min_value=0, max_value=2e6, allow_nan=False, allow_infinity=False),
)


def _label(utc_hour: np.datetime64, style: int) -> str:
    """An hour label in one of the ISO spellings the reader takes."""
    local = utc_hour + np.timedelta64(8, "h")
    if style == 0:
        return f"{local}:00"  # naive: China local
    if style == 1:
        return f"{utc_hour}:00Z"
    return str(local.astype("datetime64[s]")).replace("T", " ") + "+08:00"


@settings(max_examples=60)
@given(
    codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True),
    n_hours=st.integers(1, 30),
    start=st.integers(490_000, 500_000),
    data=st.data(),
)
def test_wide_round_trip(codes: list[str], n_hours: int, start: int, data: st.DataObject) -> None:
    size = 6 * len(codes) * n_hours
    values = np.array(
        data.draw(st.lists(CONCENTRATION, min_size=size, max_size=size)), np.float64
    ).reshape(6, len(codes), n_hours)
    rows = data.draw(st.permutations([(s, h) for s in range(len(codes)) for h in range(n_hours)]))
    first = np.datetime64(start, "h")
    lines = ["station,time," + ",".join(p.value for p in Pollutant)]
    for s, h in rows:
        cells = ["" if np.isnan(v) else repr(float(v)) for v in values[:, s, h]]
        label = _label(first + h, data.draw(st.integers(0, 2)))
        lines.append(f"{codes[s]},{label}," + ",".join(cells))
    grid = read_grid_text("\n".join(lines) + "\n", "round.csv")
    assert grid.rejects == []
    assert grid.stations == tuple(sorted(codes))
    assert grid.start == first and grid.rows == len(rows)
    order = sorted(range(len(codes)), key=codes.__getitem__)
    np.testing.assert_array_equal(grid.values, values[:, order, :])


FUZZ_HEADERS = (
    "date,hour,type,1001A,A2\n",
    "station,time,PM2.5,aqi\n",
    "station,time,pollutant,value\n",
)
FUZZ_CELLS = ["20260301", "24", "PM2.5", "AQI", "2026-03-01T08:00", "1001A", "-1", "nan", ""]
FUZZ_CELLS += ["\n", '"', "{", "\r"]  # line breaks and quotes in odd places


@settings(max_examples=200)
@given(st.sampled_from(FUZZ_HEADERS), st.lists(st.sampled_from(FUZZ_CELLS), max_size=40))
def test_any_input_gives_a_grid_or_invalid_input(header: str, cells: list[str]) -> None:
    try:
        grid = read_grid_text(header + ",".join(cells), "fuzz.csv")
    except InvalidInput:
        return
    assert grid.values.shape[:2] == (6, len(grid.stations))
    assert all(r.line >= 1 and r.file == "fuzz.csv" for r in grid.rejects)
