"""The values a saved-query parameter may take: outside them the engine answers wrongly.

Measured on FalkorDB 4.22, one statement each:

- two dates more than 2^31 seconds (about 68 years) apart compare the wrong way
  (``date('2024-01-01') > date('1955-12-01')`` is false), so a date parameter
  far in the past or future silently returns nothing;
- ``LIMIT`` wraps at 2^32 (``LIMIT 4294967296`` returns no rows), and a negative
  limit is an engine error;
- ``date + duration({months: 2^31})`` is an engine error ("year ... out of range").

So a ``date`` parameter must lie from ``DATE_YEARS_BACK`` years before today to
``DATE_YEARS_AHEAD`` years after: such a date compares correctly with every
stored date from 58 years ago to 18 years ahead, which covers any event a
safeguarding hub holds. An ``int`` parameter is a count, window or limit: 0 to
2,147,483,647 unless its header gives ``min``/``max`` (within that 32-bit range).
A ``float`` must be finite, and within its ``min``/``max`` when given. Every
refusal is one line naming the parameter, the value and the range.

>>> import datetime as dt
>>> date_window(dt.date(2026, 12, 6))
(datetime.date(1976, 12, 6), datetime.date(2036, 12, 6))
>>> int_bounds(None, None)
(0, 2147483647)
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

__all__ = ["DATE_YEARS_BACK", "DATE_YEARS_AHEAD", "INT_LOWEST", "INT_HIGHEST", "date_window",
           "int_bounds", "out_of_range", "range_text"]

DATE_YEARS_BACK = 50
DATE_YEARS_AHEAD = 10
INT_LOWEST = -2_147_483_648
INT_HIGHEST = 2_147_483_647
_WHY_DATES = "the graph engine compares dates more than 68 years apart wrongly"


def _years_from(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last date a date parameter may take."""
    today = today or dt.date.today()
    return _years_from(today, -DATE_YEARS_BACK), _years_from(today, DATE_YEARS_AHEAD)


def int_bounds(low: int | None, high: int | None) -> tuple[int, int]:
    """The range of an int parameter whose header gives ``min``/``max`` (None: not given)."""
    return (0 if low is None else low), (INT_HIGHEST if high is None else high)


def out_of_range(ptype: str, value: Any, low: Any = None, high: Any = None) -> str | None:
    """Why ``value`` (already of ``ptype``; dates as ISO text) is refused, or None when it may be used."""
    if ptype == "date":
        first, last = date_window()
        day = dt.date.fromisoformat(value)
        if day < first:
            return f"is more than {DATE_YEARS_BACK} years ago; give a date from {first} ({_WHY_DATES})"
        if day > last:
            return f"is more than {DATE_YEARS_AHEAD} years ahead; give a date up to {last} ({_WHY_DATES})"
        return None
    if ptype == "int":
        lo, hi = int_bounds(low, high)
        if not lo <= value <= hi:
            return f"is outside {lo:,} to {hi:,}; give a whole number in that range"
        return None
    if ptype == "float":
        if not math.isfinite(value):
            return "is not a finite number; give a number like 0.5"
        if (low is not None and value < low) or (high is not None and value > high):
            return f"is outside {_float_range(low, high)}; give a number in that range"
    return None


def range_text(ptype: str, low: Any = None, high: Any = None) -> str:
    """The range of a parameter in words, for the docs ('' when there is nothing to say)."""
    if ptype == "date":
        return f"from {DATE_YEARS_BACK} years ago to {DATE_YEARS_AHEAD} years ahead"
    if ptype == "int":
        lo, hi = int_bounds(low, high)
        return f"{lo:,} to {hi:,}"
    if ptype == "float" and (low is not None or high is not None):
        return _float_range(low, high)
    return ""


def _float_range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"
