"""Jinja filters: dates, concern labels and result cells, always as text (autoescaped)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from typing import Any

from flask import Flask, url_for

from ..graph.chronology import PERIODS_MONTHS
from ..graph.explore import concern_label
from ..graph.knowledge import concern_order
from ..graph.format import plain
from ..graph.types import Node, Path, Rel

__all__ = ["init_app", "cell_link", "cell_text", "shown_text"]

_PAGES = {"Person": "people.person", "Record": "people.record", "Household": "people.household",
          "Family": "people.household", "Address": "people.address"}

# The page of each kind of graph.entities.EntityRef.
REF_ENDPOINTS = {"person": "people.person", "record": "people.record", "household": "people.household",
                 "address": "people.address"}


def fmt_date(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return "" if value is None else str(value)


PERSON_KEY_COLUMNS = ("person", "person_key")


def cell_link(value: Any, column: str = "") -> str | None:
    """The page a result cell opens (a person, record or household node, or a person-key column), or None."""
    if isinstance(value, str) and value and column.lower() in PERSON_KEY_COLUMNS:
        return url_for("people.person", key=value)
    if isinstance(value, Node) and value.key:
        for label, endpoint in _PAGES.items():
            if label in value.labels:
                return url_for(endpoint, key=value.key)
    return None


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Node):
        name = value.props.get("display_name") or " ".join(
            str(value.props[p]) for p in ("given_name", "family_name") if value.props.get(p))
        return f"{':'.join(value.labels)} {value.key}" + (f" ({name})" if name else "")
    if isinstance(value, Rel):
        return f"{value.type} {value.start_key} -> {value.end_key}"
    if isinstance(value, Path):
        return " - ".join(cell_text(n) for n in value.nodes)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(plain(value), ensure_ascii=False)
    return fmt_date(value)


def shown_text(value: Any, limit: int = 300) -> str:
    """Stored text made safe to show in one table cell: control and format characters (NUL,
    newlines, right-to-left overrides, ...) as visible ``\\uXXXX`` escapes, cut after ``limit``."""
    text = "" if value is None else str(value)
    cut = len(text) - limit
    text = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in _HIDDEN else c for c in text[:limit])
    return text + (f"… ({cut} more characters)" if cut > 0 else "")


_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def chronology_agencies(events: list[Any]) -> list[str]:
    """The agencies that made, recorded or run the events, sorted (the chronology filter's choices)."""
    return sorted({e.agency for e in events if e.agency})


def chronology_concerns(events: list[Any]) -> list[str]:
    """The concern codes the events raise, in CIN order (the chronology filter's choices)."""
    return sorted({c for e in events for c in e.concerns}, key=concern_order)


def init_app(app: Flask) -> None:
    app.add_template_filter(shown_text, "shown")
    app.add_template_global(PERIODS_MONTHS, "chronology_periods")
    app.add_template_global(REF_ENDPOINTS, "ref_endpoints")
    app.add_template_filter(chronology_agencies, "chronology_agencies")
    app.add_template_filter(chronology_concerns, "chronology_concerns")
    app.add_template_filter(fmt_date, "date")
    app.add_template_filter(concern_label, "concern_label")
    app.add_template_filter(cell_text, "cell_text")
    app.add_template_filter(cell_link, "cell_link")
