"""The Numba kernel of :mod:`portolan.engine.timeparse` (kept apart so that importing the
parser's rules does not import Numba)."""

from __future__ import annotations

import numba as nb
import numpy as np

from portolan.engine.timeparse import FRACTION, LITERAL, YEAR


@nb.njit(cache=True, nogil=True)
def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


@nb.njit(cache=True, nogil=True)
def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


@nb.njit(cache=True, nogil=True)
def parse(
    offsets: np.ndarray, data: np.ndarray, ops: np.ndarray, micros: np.ndarray, accepted: np.ndarray
) -> None:
    """Parse value ``i`` (bytes ``data[offsets[i]:offsets[i + 1]]``) by the program ``ops``.

    ``accepted[i]`` is False whenever the value does not spell the format exactly or is not a
    real date and time; ``micros[i]`` (microseconds since the epoch) is then meaningless.
    """
    fields = np.zeros(6, dtype=np.int64)  # year, month, day, hour, minute, second
    for i in range(offsets.shape[0] - 1):
        pos, end = offsets[i], offsets[i + 1]
        fields[:] = 0
        nanos = 0
        ok = True
        for k in range(ops.shape[0]):
            op = ops[k, 0]
            if op == LITERAL:
                if pos < end and data[pos] == ops[k, 1]:
                    pos += 1
                    continue
                ok = False
                break
            if op == FRACTION:
                if pos < end and data[pos] == 46:  # '.'
                    pos += 1
                    digits = 0
                    while pos < end and 48 <= data[pos] <= 57 and digits < 10:
                        nanos = nanos * 10 + (data[pos] - 48)
                        pos += 1
                        digits += 1
                    if digits == 0 or digits > 9:
                        ok = False
                        break
                    for _ in range(9 - digits):
                        nanos *= 10
                continue
            width = 4 if op == YEAR else 2
            value = 0
            digits = 0
            while digits < width and pos < end and 48 <= data[pos] <= 57:
                value = value * 10 + (data[pos] - 48)
                pos += 1
                digits += 1
            if digits == 0 or (op == YEAR and digits != 4):
                ok = False
                break
            fields[op - YEAR] = value
        year, month, day = fields[0], fields[1], fields[2]
        hour, minute, second = fields[3], fields[4], fields[5]
        ok = (
            ok
            and pos == end
            and 1 <= month <= 12
            and 1 <= day <= _days_in_month(year, month)
            and hour <= 23
            and minute <= 59
            and second <= 59
        )
        accepted[i] = ok
        if ok:
            days = _days_from_civil(year, month, day)
            micros[i] = ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + nanos // 1000
