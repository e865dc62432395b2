"""The alert part of a saved query's header: which queries feed the alert inbox, and how.

A saved query becomes an alert (``mashgraph alerts run`` runs it every night)
with four header fields::

    // alert: true
    // alert_key: [person, man]        # the columns that identify one match (one alert)
    // severity: high                  # high, medium or low
    // alert_params: {limit: 100000}   # parameter values the nightly run uses (else the defaults)

Rows of one run that share the key values are one alert; they are its evidence.
``alert_key``, ``severity`` and ``alert_params`` are refused without ``alert: true``.

>>> spec = AlertSpec(("person",), "high", {})
>>> spec.key_of({"person": "P1", "name": "Ann"})
('P1',)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..errors import SavedQueryError

__all__ = ["ALERT_FIELDS", "SEVERITIES", "AlertSpec", "parse_alert"]

ALERT_FIELDS = ("alert", "alert_key", "severity", "alert_params")
SEVERITIES = ("high", "medium", "low")

Fail = Callable[[int, str, str], SavedQueryError]


@dataclass(frozen=True)
class AlertSpec:
    """How a saved query runs as an alert: its match key columns, severity and parameter values."""

    key: tuple[str, ...]
    severity: str
    params: dict[str, Any] = field(default_factory=dict)

    def key_of(self, row: Mapping[str, Any]) -> tuple[str, ...]:
        """The key values of one result row, as text."""
        return tuple("" if row[c] is None else str(row[c]) for c in self.key)


def parse_alert(header: Mapping[str, Any], lines: Mapping[tuple[str, ...], int], params: Mapping[str, Any],
                body: str, fail: Fail, coerce: Callable[[str, Any], Any]) -> AlertSpec | None:
    """The header's alert definition (None when the query is not an alert), checked.

    ``params`` are the query's declared parameters, ``coerce(type, value)`` types a value,
    ``fail(line, message, hint)`` builds the error naming the file and line.
    """
    flag = header.get("alert", False)
    if not isinstance(flag, bool):
        raise fail(lines[("alert",)], f"alert is {flag!r}", "write 'alert: true' or leave the field out")
    if not flag:
        for name in ALERT_FIELDS[1:]:
            if name in header:
                raise fail(lines[(name,)], f"{name} is set but the query is not an alert",
                           "add 'alert: true' or remove the field")
        return None
    key = _key(header, lines, body, fail)
    severity = header.get("severity")
    if severity not in SEVERITIES:
        raise fail(lines.get(("severity",), lines[("alert",)]), f"severity is {severity!r}",
                   f"write 'severity: ...' with one of {', '.join(SEVERITIES)}")
    return AlertSpec(key, severity, _values(header, lines, params, fail, coerce))


def _key(header: Mapping[str, Any], lines: Mapping[tuple[str, ...], int], body: str, fail: Fail) -> tuple[str, ...]:
    raw = header.get("alert_key")
    where = lines.get(("alert_key",), lines[("alert",)])
    columns = [raw] if isinstance(raw, str) else raw
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) and c for c in columns):
        raise fail(where, f"alert_key is {raw!r}",
                   "name the result column(s) that identify one match, e.g. 'alert_key: person' or '[person, man]'")
    for column in columns:
        # A column the query never names is a typo; the runner also refuses a row without it.
        if not re.search(rf"\b{re.escape(column)}\b", body):
            raise fail(where, f"alert_key column {column!r} does not appear in the query",
                       "use a column of the RETURN clause")
    return tuple(columns)


def _values(header: Mapping[str, Any], lines: Mapping[tuple[str, ...], int], params: Mapping[str, Any],
            fail: Fail, coerce: Callable[[str, Any], Any]) -> dict[str, Any]:
    raw = header.get("alert_params") or {}
    where = lines.get(("alert_params",), lines[("alert",)])
    if not isinstance(raw, dict):
        raise fail(where, "alert_params must be a mapping of parameter -> value",
                   "write 'alert_params: {limit: 100000}'")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        line = lines.get(("alert_params", str(name)), where)
        if name not in params:
            raise fail(line, f"alert_params names {name!r}, which is not a parameter of the query",
                       f"use one of: {', '.join(params) or 'none'}")
        try:
            values[name] = coerce(params[name].type, value)
        except (ValueError, TypeError):
            raise fail(line, f"alert_params {name!r} is {value!r}, not a {params[name].type}",
                       "give a value of the parameter's type") from None
    return values
