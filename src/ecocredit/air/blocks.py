"""The station-day block: one import's hourly values of one station and one natural day.

A block is ``SERIES × 24`` little-endian int32 values in thousandths of the unit (so 35 µg/m³
is 35000 and 0.625 mg/m³ is 625), :data:`ABSENT` where the import gave no value. Thousandths
keep every published decimal exactly — no binary float noise to decide a GB/T 8170 half —
at half the size of doubles. Series 0–5 are the pollutants in :data:`POLLUTANTS` order;
series 6 is the AQI the source published beside them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ecocredit.air.model import MAX_CONCENTRATION, N_POLLUTANTS, FloatArray

SERIES = N_POLLUTANTS + 1
PUBLISHED_AQI = N_POLLUTANTS
ABSENT = np.iinfo(np.int32).min  # this import says nothing of the value
INVALID = ABSENT + 1  # an audit withdrew the value: there is none, whatever came before
SCALE = 1000.0
BLOCK_BYTES = SERIES * 24 * 4
_DTYPE = np.dtype("<i4")


def encode(values: FloatArray) -> npt.NDArray[np.int32]:
    """Values ``[…, SERIES, 24]`` (NaN = absent) as thousandths.

    The readers refuse values above :data:`MAX_CONCENTRATION`, so every value fits.
    """
    if np.any(values > MAX_CONCENTRATION):
        raise ValueError("a value above MAX_CONCENTRATION reached the store")
    scaled = np.rint(values * SCALE)
    return np.where(np.isnan(values), ABSENT, scaled).astype(_DTYPE)


def decode(codes: npt.NDArray[np.int32]) -> FloatArray:
    """Thousandths back to values, NaN where absent or withdrawn."""
    return np.where(codes <= INVALID, np.nan, codes / SCALE)


def withdraw(codes: npt.NDArray[np.int32], blanks: npt.NDArray[np.bool_]) -> None:
    """Mark ``blanks`` (cells an audited file left empty) as withdrawn values, in place."""
    codes[blanks & (codes == ABSENT)] = INVALID


def to_bytes(codes: npt.NDArray[np.int32]) -> bytes:
    """One block ``[SERIES, 24]`` as stored."""
    return np.ascontiguousarray(codes, dtype=_DTYPE).tobytes()


def from_bytes(blob: bytes) -> npt.NDArray[np.int32]:
    """A stored block as ``[SERIES, 24]`` thousandths."""
    return np.frombuffer(blob, dtype=_DTYPE).reshape(SERIES, 24)


def changes(
    current: npt.NDArray[np.int32],
    incoming: npt.NDArray[np.int32],
    confirm: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.int32]:
    """The part of ``incoming`` that is new or differs from ``current``; the rest absent.

    Where ``confirm`` is True an equal value is kept too (an audit confirming it).
    """
    differs = incoming != current
    if confirm is not None:
        differs |= confirm
    changed = (incoming != ABSENT) & differs
    # Withdrawing a value nobody gave changes nothing.
    changed &= ~((incoming == INVALID) & (current <= INVALID))
    return np.where(changed, incoming, ABSENT).astype(_DTYPE)
