"""Alert runs: every alert query (``alert: true`` in its header) against the graph, compared
with the alerts already stored.

For each match (the rows sharing the query's ``alert_key`` values):

- **new**: an ``open`` alert is created;
- **still present**: when its rows changed, the alert's evidence is updated;
- **gone**: the alert is marked no longer matching (``matching = false``), never deleted;
  it matches again when the query returns it again.

A **dismissed** alert stays quiet while it matches, unless a new event (referral, incident
or episode) involves one of its people or households since it was dismissed: then it is
reopened. Every change is a line of the alert's history. A rerun on an unchanged graph
changes no alert: it only logs the run (an ``AlertRun`` node with its counts and matches).

``mashgraph alerts run`` calls :func:`run_alerts`; so does every ingestion job and
resolution run unless the setting ``alerts_refresh`` is off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import SavedQueryError
from .alert_store import (Alert, add_events, alert_key, create_alerts, new_key, now_iso, read_alerts,
                          update_alerts)
from .entities import candidate_keys, entity_refs
from .format import plain
from .model import EVENT_KINDS
from .saved_queries import SavedQuery, coerce_params, load_library, run_saved_query
from .types import Result

__all__ = ["Match", "RunReport", "alert_queries", "run_alerts", "events_about", "RUN_USER"]

RUN_USER = "mashgraph alerts run"

_ABOUT = "|".join(kind.about for kind in EVENT_KINDS.values())
# Every event (referral, incident, episode) about a record of these people or members of these households
# (an agency's Household record, or a resolved household, Family: every agency's record of it).
EVENTS_ABOUT_CYPHER = f"""
UNWIND $persons AS pk
MATCH (:Person {{key: pk}})<-[:RESOLVES_TO]-(:Record)<-[:{_ABOUT}]-(e)
RETURN DISTINCT e.key AS key
UNION
UNWIND $households AS hk
MATCH (:Household {{key: hk}})<-[:MEMBER_OF]-(:Record)<-[:{_ABOUT}]-(e)
RETURN DISTINCT e.key AS key
UNION
UNWIND $households AS hk
MATCH (:Family {{key: hk}})<-[:IN_FAMILY]-(:Household)<-[:MEMBER_OF]-(:Record)<-[:{_ABOUT}]-(e)
RETURN DISTINCT e.key AS key
"""

# The people a referral, incident or episode named in a row is about (for rows that name no person).
EVENT_PEOPLE_CYPHER = "\nUNION\n".join(
    f"UNWIND $keys AS k MATCH (:{kind.label} {{key: k}})-[:{kind.about}]->(:Record)-[:RESOLVES_TO]->(p:Person) "
    "RETURN k AS key, p.key AS person" for kind in EVENT_KINDS.values())

WRITE_RUN_CYPHER = """
MERGE (r:AlertRun {key: $key})
ON CREATE SET r += $props
"""


@dataclass
class Match:
    """One match of an alert query: its key values and the rows holding them."""

    query: SavedQuery
    values: tuple[str, ...]
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    households: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return alert_key(self.query.slug, self.values)

    def evidence(self) -> str:
        return json.dumps({"columns": self.columns, "rows": self.rows}, sort_keys=True, ensure_ascii=False)

    def evidence_hash(self) -> str:
        return hashlib.sha256(self.evidence().encode("utf-8")).hexdigest()[:16]


@dataclass
class RunReport:
    """What one run did, per pattern and in total."""

    key: str
    night: str
    started: str
    elapsed: float = 0.0
    matches: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("opened", "updated", "no_longer_matching", "matching_again", "reopened", "unchanged"), 0))
    by_pattern: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    warnings: list[str] = field(default_factory=list)
    opened_keys: list[str] = field(default_factory=list)

    def count(self, what: str, pattern: str, key: str | None = None) -> None:
        self.counts[what] += 1
        self.by_pattern[pattern][what] += 1
        if what == "opened" and key:
            self.opened_keys.append(key)

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.key, "night": self.night, "started": self.started, "elapsed_s": round(self.elapsed, 3),
                "matches": self.matches, **self.counts,
                "by_pattern": {p: dict(c) for p, c in sorted(self.by_pattern.items())}, "warnings": self.warnings}

    def lines(self) -> list[str]:
        """The summary and any warnings, one line each."""
        return [self.summary(), *(f"warning: {w}" for w in self.warnings)]

    def summary(self) -> str:
        c = self.counts
        return (f"alerts run {self.key} (night {self.night}): {sum(self.matches.values())} matches of "
                f"{len(self.matches)} alert queries; {c['opened']} new, {c['updated']} updated, "
                f"{c['no_longer_matching']} no longer matching, {c['matching_again']} matching again, "
                f"{c['reopened']} dismissed reopened by a new event, {c['unchanged']} unchanged "
                f"({self.elapsed:.1f} s)")


def alert_queries(folder: str | None = None) -> list[SavedQuery]:
    """The saved queries whose header makes them alerts, by slug."""
    return [q for q in load_library(folder).values() if q.alert is not None]


def run_alerts(store: Any, night: dt.date | None = None, folder: str | None = None,
               patterns: list[str] | None = None) -> RunReport:
    """Run every alert query and bring the stored alerts up to date (see the module docstring).

    ``night`` is the date the run stands for (default: the ``today`` setting, else the real
    date); date parameters whose default is ``today`` take it. ``patterns`` limits the run to
    some alert queries (the others' alerts are left alone).
    """
    started = time.perf_counter()
    night = night or store.settings.today_date()
    report = RunReport(new_key("run"), night.isoformat(), now_iso())
    queries = [q for q in alert_queries(folder) if patterns is None or q.slug in patterns]
    unknown = sorted(set(patterns or ()) - {q.slug for q in queries})
    if unknown:
        raise SavedQueryError(f"no alert query called {', '.join(unknown)}",
                              hint="see `mashgraph alerts run --help`; alert queries have 'alert: true'")
    matches: dict[str, Match] = {}
    for query in queries:
        found = _matches_of(store, query, night, report)
        report.matches[query.slug] = len(found)
        matches.update((m.key, m) for m in found)
    _find_subjects(store, list(matches.values()))
    stored = {a.key: a for a in read_alerts(store, [q.slug for q in queries], evidence=False)}
    _apply(store, report, matches, stored)
    report.elapsed = time.perf_counter() - started
    store.write(WRITE_RUN_CYPHER, {"key": report.key, "props": _run_props(report, matches)})
    return report


def _matches_of(store: Any, query: SavedQuery, night: dt.date, report: RunReport) -> list[Match]:
    assert query.alert is not None
    raw: dict[str, Any] = {name: night.isoformat() for name, p in query.params.items()
                           if p.type == "date" and p.default == "today"}
    raw.update(query.alert.params)
    params = coerce_params(query, raw)
    result, _ = run_saved_query(store, query, params, row_cap=-1)
    missing = [c for c in query.alert.key if c not in result.columns]
    if missing:
        raise SavedQueryError(f"{query.slug}: alert_key column(s) {', '.join(missing)} not in the result",
                              hint=f"the query returns {', '.join(result.columns)}; fix alert_key in its header")
    if "limit" in params and len(result.rows) >= int(params["limit"]):
        report.warnings.append(f"{query.slug}: {len(result.rows)} rows reached its limit; "
                               "raise limit in alert_params or some matches are missed")
    return _group(query, result)


def _group(query: SavedQuery, result: Result) -> list[Match]:
    assert query.alert is not None
    found: dict[tuple[str, ...], Match] = {}
    for row in result.records():
        values = query.alert.key_of(row)
        match = found.setdefault(values, Match(query, values, list(result.columns)))
        match.rows.append([plain(row[c]) for c in result.columns])
    return list(found.values())


def _find_subjects(store: Any, matches: list[Match]) -> None:
    """Each match's people (persons named, persons of records named) and households named;
    for a match naming no person, the people its events are about."""
    keys = set().union(*(candidate_keys(m.rows) for m in matches)) if matches else set()
    refs = entity_refs(store, keys)
    for m in matches:
        named = [refs[k] for k in sorted(candidate_keys(m.rows)) if k in refs]
        m.people = sorted({p for r in named for p in (r.persons if r.kind in ("person", "record") else ())})
        m.households = sorted(r.key for r in named if r.kind == "household")
    lonely = [m for m in matches if not m.people and not m.households]
    if lonely:
        wanted = sorted(set().union(*(candidate_keys(m.rows) for m in lonely)) - set(refs))
        people: dict[str, set[str]] = defaultdict(set)
        for r in store.read(EVENT_PEOPLE_CYPHER, {"keys": wanted}).records():
            people[r["key"]].add(r["person"])
        for m in lonely:
            m.people = sorted({p for k in candidate_keys(m.rows) for p in people.get(k, [])})


def events_about(store: Any, people: list[str], households: list[str]) -> set[str]:
    """Keys of every event about these people or members of these households."""
    rows = store.read(EVENTS_ABOUT_CYPHER, {"persons": people, "households": households}).records()
    return {r["key"] for r in rows}


def _apply(store: Any, report: RunReport, matches: Mapping[str, Match], stored: Mapping[str, Alert]) -> None:
    """Compare this run's matches with the stored alerts and write the differences."""
    creates, updates, events = [], [], []
    run = report.key
    for key, m in matches.items():
        alert = stored.get(key)
        if alert is None:
            creates.append({"key": key, "props": _new_props(m, report)})
            events.append(_event(key, "opened", f"first matched ({m.rows and len(m.rows)} row(s))", run))
            report.count("opened", m.query.slug, key)
            continue
        _compare(store, report, m, alert, updates, events)
    for key, alert in stored.items():
        if key not in matches and alert.matching:
            updates.append({"key": key, "props": {"matching": False, "updated": report.started, "changed_run": run}})
            events.append(_event(key, "no_longer_matching", "the query no longer returns it", run))
            report.count("no_longer_matching", alert.pattern)
    create_alerts(store, creates)
    update_alerts(store, updates)
    add_events(store, events)


def _compare(store: Any, report: RunReport, m: Match, alert: Alert, updates: list, events: list) -> None:
    run, props, pattern = report.key, {}, m.query.slug
    if not alert.matching:
        props["matching"] = True
        events.append(_event(alert.key, "matching_again", "the query returns it again", run))
        report.count("matching_again", pattern)
    if m.evidence_hash() != alert.evidence_hash:
        props.update(_evidence_props(m))
        events.append(_event(alert.key, "evidence", f"evidence updated ({len(m.rows)} row(s))", run))
        report.count("updated", pattern)
    if alert.status == "dismissed":
        fresh = sorted(events_about(store, m.people, m.households) - set(alert.seen_events))
        if fresh:
            props.update({"status": "open", "seen_events": []})
            events.append(_event(alert.key, "reopened", "new event(s) since it was dismissed: "
                                 + ", ".join(fresh[:10]) + (" ..." if len(fresh) > 10 else ""), run))
            report.count("reopened", pattern)
    if props:
        updates.append({"key": alert.key, "props": {**props, "updated": report.started, "changed_run": run}})
    else:
        report.count("unchanged", pattern)


def _evidence_props(m: Match) -> dict[str, Any]:
    return {"evidence": m.evidence(), "evidence_hash": m.evidence_hash(), "rows": len(m.rows),
            "people": m.people, "households": m.households}


def _new_props(m: Match, report: RunReport) -> dict[str, Any]:
    assert m.query.alert is not None
    return {"pattern": m.query.slug, "title": m.query.title, "severity": m.query.alert.severity,
            "match": json.dumps(dict(zip(m.query.alert.key, m.values)), sort_keys=True), "status": "open",
            "assignee": "", "matching": True, "opened": report.started, "night": report.night,
            "updated": report.started, "first_run": report.key, "changed_run": report.key, "seen_events": [],
            **_evidence_props(m)}


def _event(alert: str, action: str, detail: str, run: str) -> dict[str, Any]:
    return {"alert": alert, "user": RUN_USER, "action": action, "detail": detail, "run": run}


def _run_props(report: RunReport, matches: Mapping[str, Match]) -> dict[str, Any]:
    return {"night": report.night, "started": report.started, "finished": now_iso(),
            "elapsed_s": round(report.elapsed, 3), "matched": sorted(matches),
            "summary": json.dumps(report.to_dict(), sort_keys=True), **report.counts}
