"""The multi-agency chronology: every referral, incident and episode about a set of records.

A person's chronology is built from the records that resolve to them, a household's from
its members' records. :class:`ChronologyFilter` narrows one to a period, agencies and
concerns, newest or oldest first, the way an analyst reads it before a strategy discussion.

>>> day = dt.date(2025, 3, 1)
>>> events = [Event("a", "referral", dt.date(2024, 1, 5), "police", "", "", ["3B"], ["police"]),
...           Event("b", "incident", dt.date(2025, 1, 9), "health", "", "", ["4B"], ["health"])]
>>> [e.key for e in ChronologyFilter(months=6).apply(events, today=day)]
['b']
>>> [e.key for e in ChronologyFilter(concerns=("3B",), newest_first=True).apply(events, today=day)]
['a']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from .store import GraphStore

__all__ = ["Event", "ChronologyFilter", "chronology_for", "PERIODS_MONTHS",
           "sortable_date", "REFERRAL_EVENTS_CYPHER", "INCIDENT_EVENTS_CYPHER", "EPISODE_EVENTS_CYPHER"]

# The periods a chronology page offers, in months back from today.
PERIODS_MONTHS: tuple[int, ...] = (3, 6, 12)

REFERRAL_EVENTS_CYPHER = """
UNWIND $records AS rk
MATCH (r:Record {key: rk})<-[ab:ABOUT]-(ev:Referral)
OPTIONAL MATCH (maker:Agency)-[:MADE]->(ev)
WITH r, ab, ev, maker
RETURN ev.key AS key, ev.date AS date, maker.key AS agency, r.key AS record, ab.role AS role,
       ev.source_code AS source_code, ev.rag AS rag, ev.outcome AS outcome, ev.nfa AS nfa,
       [(ev)-[:RAISES]->(c:Concern) | c.key] AS concerns,
       [(ev)-[:TO]->(t:Agency) | t.key] AS sent_to,
       [(ev)-[:SHARED_WITH]->(s:Agency) | s.key] AS shared_with
"""

INCIDENT_EVENTS_CYPHER = """
UNWIND $records AS rk
MATCH (r:Record {key: rk})<-[inv:INVOLVES]-(ev:Incident)
OPTIONAL MATCH (rec:Agency)-[:RECORDED]->(ev)
WITH r, inv, ev, rec
RETURN ev.key AS key, ev.date AS date, rec.key AS agency, r.key AS record, inv.role AS role,
       ev.type AS type, [(ev)-[:RAISES]->(c:Concern) | c.key] AS concerns
"""

EPISODE_EVENTS_CYPHER = """
UNWIND $records AS rk
MATCH (r:Record {key: rk})<-[:FOR]-(ev:Episode)
OPTIONAL MATCH (runner:Agency)-[:RUNS]->(ev)
WITH r, ev, runner
RETURN ev.key AS key, ev.start AS date, ev.end AS until, runner.key AS agency, r.key AS record,
       ev.kind AS kind, ev.category AS category, [(ev)-[:RAISES]->(c:Concern) | c.key] AS concerns
"""


@dataclass
class Event:
    """One entry of a multi-agency chronology."""

    key: str
    kind: str                     # referral | incident | episode
    date: dt.date | None
    agency: str | None            # who made / recorded / runs it
    detail: str
    role: str
    concerns: list[str]
    known_by: list[str]           # agencies that know (DESIGN.md "knows")
    records: list[str] = field(default_factory=list)
    outcome: str = ""


@dataclass(frozen=True)
class ChronologyFilter:
    """Which events of a chronology to show, and in what order.

    ``months`` counts back from ``today`` and wins over ``since``; ``until`` is inclusive.
    An event with no date is kept only when no period is asked for. ``agencies`` keeps events
    made, recorded or run by one of them; ``concerns`` keeps events raising one of them.
    """

    months: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    agencies: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    newest_first: bool = False

    def start(self, today: dt.date) -> dt.date | None:
        """The first day shown: ``months`` before ``today`` (same day of the month, clamped), or ``since``."""
        if self.months is None:
            return self.since
        month = today.month - 1 - self.months
        year, month = today.year + month // 12, month % 12 + 1
        last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(year, month, min(today.day, last_day))

    @property
    def active(self) -> bool:
        """True when the filter hides anything."""
        return bool(self.months or self.since or self.until or self.agencies or self.concerns)

    def keeps(self, event: "Event", start: dt.date | None) -> bool:
        if start is not None or self.until is not None:
            if not isinstance(event.date, dt.date):
                return False
            if start is not None and event.date < start:
                return False
            if self.until is not None and event.date > self.until:
                return False
        if self.agencies and event.agency not in self.agencies:
            return False
        return not self.concerns or any(c in self.concerns for c in event.concerns)

    def apply(self, events: list["Event"], today: dt.date | None = None) -> list["Event"]:
        """The events kept, oldest first unless ``newest_first``."""
        start = self.start(today or dt.date.today())
        kept = [e for e in events if self.keeps(e, start)]
        return list(reversed(kept)) if self.newest_first else kept


def chronology_for(store: GraphStore, record_keys: list[str]) -> list[Event]:
    """Referrals, incidents and episodes about any of ``record_keys``, oldest first."""
    params = {"records": record_keys}
    events: dict[str, Event] = {}

    def add(ev: Event) -> None:
        if ev.key in events:
            seen = events[ev.key]
            seen.records = sorted(set(seen.records) | set(ev.records))
            if ev.role and ev.role not in seen.role.split(", "):
                seen.role = ", ".join(filter(None, [seen.role, ev.role]))
        else:
            events[ev.key] = ev

    for r in store.read(REFERRAL_EVENTS_CYPHER, params):
        rag = f"RAG {r['rag']}" if r["rag"] else ""
        source = f"source {r['source_code']}" if r["source_code"] else ""
        known = [r["agency"], *r["sent_to"], *r["shared_with"]]
        add(Event(r["key"], "referral", r["date"], r["agency"], ", ".join(filter(None, [source, rag])),
                  r["role"] or "", sorted(set(r["concerns"])), _uniq(known), [r["record"]],
                  _outcome(r["outcome"], r["nfa"])))
    for r in store.read(INCIDENT_EVENTS_CYPHER, params):
        add(Event(r["key"], "incident", r["date"], r["agency"], str(r["type"] or ""), r["role"] or "",
                  sorted(set(r["concerns"])), _uniq([r["agency"]]), [r["record"]]))
    for r in store.read(EPISODE_EVENTS_CYPHER, params):
        until = f"until {r['until'].isoformat()}" if isinstance(r["until"], dt.date) else "open"
        detail = ", ".join(filter(None, [str(r["kind"] or ""), str(r["category"] or ""), until]))
        add(Event(r["key"], "episode", r["date"], r["agency"], detail, "",
                  sorted(set(r["concerns"])), _uniq([r["agency"]]), [r["record"]]))
    return sorted(events.values(), key=lambda e: (sortable_date(e.date), e.kind, e.key))


def _outcome(outcome: Any, nfa: Any) -> str:
    parts = [str(outcome)] if outcome else []
    if nfa is True and "nfa" not in " ".join(parts).lower():
        parts.append("NFA")
    return ", ".join(parts)


def _uniq(values: Iterable[Any]) -> list[str]:
    return sorted({str(v) for v in values if v})


def sortable_date(value: Any) -> str:
    """A date as sortable text (ISO); anything else as its text, missing as ''."""
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value or "")
