"""What an analyst sees about one alert, as plain data: the rows the query returned, and for
each person or household the match is about, who knows what and the chronology.

The alert page renders :func:`alert_view` live; a decision freezes the same value as its
snapshot (JSON text on the ``AlertDecision`` node), so the snapshot reads back exactly as
the page looked, whatever is loaded later.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .alert_store import Alert
from .chronology import chronology_for
from .explore import person_profile
from .format import plain
from .knowledge import KnowledgeGap, knowledge_gap

__all__ = ["alert_view", "MAX_FOCUS", "MAX_EVENTS"]

# At most this many people or households are described, each with at most this many events
# (the newest): enough for a decision, bounded for a household of twelve.
MAX_FOCUS = 8
MAX_EVENTS = 150

HOUSEHOLD_RECORDS_CYPHER = """
MATCH (:Household {key: $key})<-[:MEMBER_OF]-(r:Record)
RETURN collect(DISTINCT r.key) AS records
"""


def alert_view(store: Any, alert: Alert) -> dict[str, Any]:
    """The alert's evidence and, per focus person/household, its who-knows-what and chronology."""
    evidence = alert.evidence or {"columns": [], "rows": []}
    focus = _focus(alert)
    return {
        "alert": alert.key, "pattern": alert.pattern, "title": alert.title, "match": alert.match,
        "columns": list(evidence["columns"]), "rows": evidence["rows"],
        "people": list(alert.people), "households": list(alert.households),
        "subjects": [_subject(store, kind, key) for kind, key in focus],
        "more_subjects": max(0, len(alert.people) + len(alert.households) - len(focus)),
    }


def _focus(alert: Alert) -> list[tuple[str, str]]:
    """The key columns' people and households first, then the others the rows name."""
    keyed = set(alert.match.values())
    ordered = ([("household", h) for h in alert.households if h in keyed]
               + [("person", p) for p in alert.people if p in keyed]
               + [("household", h) for h in alert.households if h not in keyed]
               + [("person", p) for p in alert.people if p not in keyed])
    return ordered[:MAX_FOCUS]


def _subject(store: Any, kind: str, key: str) -> dict[str, Any]:
    if kind == "person":
        profile = person_profile(store, key)
        if profile is None:
            return {"kind": kind, "key": key, "name": key, "gap": None, "events": [], "missing": True}
        name, gap, events = profile.display_name, profile.gap, profile.chronology
    else:
        rows = store.read(HOUSEHOLD_RECORDS_CYPHER, {"key": key}).records()
        records = rows[0]["records"] if rows else []
        name, gap, events = f"household {key}", knowledge_gap(store, "household", key), chronology_for(store, records)
    shown = events[-MAX_EVENTS:]
    return {"kind": kind, "key": key, "name": name, "gap": _gap(gap), "events": [_event(e) for e in shown],
            "events_left_out": len(events) - len(shown), "missing": False}


def _gap(gap: KnowledgeGap) -> dict[str, Any]:
    return {"concerns": gap.concerns, "involved": gap.involved, "known": gap.known, "missing": gap.missing,
            "fragmentation": gap.fragmentation}


def _event(event: Any) -> dict[str, Any]:
    return plain(dataclasses.asdict(event))
