"""Where alerts live: ``Alert``, ``AlertEvent``, ``AlertDecision`` and ``AlertRun`` nodes in the graph.

The nodes stand apart from the safeguarding graph (no relationship joins them to it, so
no network view, projection or path search ever walks through them); they name the
people and households they are about in list properties (``people``, ``households``),
which a saved query can join on (``queries/dismissed-then-red.cypher``). Why the graph
and not the app's SQLite database: docs/alerts.md.

Every write is one idempotent statement (``MERGE`` on a key made before the write, so a
retried write changes nothing). ``AlertEvent`` (history) and ``AlertDecision`` nodes are
only ever created (``ON CREATE SET``): they are append-only.

>>> alert_key("toxic-trio", ("H1",))
'toxic-trio:H1'
"""

from __future__ import annotations

import datetime as dt
import json
import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["STATUSES", "CLOSED", "Alert", "AlertEvent", "alert_key", "new_key", "now_iso", "read_alerts",
           "get_alert", "read_history", "add_events", "update_alerts", "create_alerts", "ALERT_COLUMNS",
           "FILTER_STATUSES", "AlertFilter", "counts_by_pattern"]

STATUSES = ("open", "in_progress", "confirmed", "dismissed")
CLOSED = ("confirmed", "dismissed")

ALERT_COLUMNS = ("key", "pattern", "title", "severity", "match", "status", "assignee", "matching", "opened",
                 "night", "updated", "rows", "people", "households", "evidence", "evidence_hash", "seen_events",
                 "first_run", "changed_run")

READ_ALERTS_CYPHER = """
MATCH (a:Alert)
WHERE $patterns IS NULL OR a.pattern IN $patterns
RETURN a.key AS key, a.pattern AS pattern, a.title AS title, a.severity AS severity, a.match AS match,
       a.status AS status, a.assignee AS assignee, a.matching AS matching, a.opened AS opened,
       a.night AS night, a.updated AS updated, a.rows AS rows, coalesce(a.people, []) AS people,
       coalesce(a.households, []) AS households, CASE WHEN $evidence THEN a.evidence ELSE null END AS evidence,
       a.evidence_hash AS evidence_hash, coalesce(a.seen_events, []) AS seen_events,
       a.first_run AS first_run, a.changed_run AS changed_run
ORDER BY opened DESC, key
"""

GET_ALERT_CYPHER = """
MATCH (a:Alert {key: $key})
RETURN a.key AS key, a.pattern AS pattern, a.title AS title, a.severity AS severity, a.match AS match,
       a.status AS status, a.assignee AS assignee, a.matching AS matching, a.opened AS opened,
       a.night AS night, a.updated AS updated, a.rows AS rows, coalesce(a.people, []) AS people,
       coalesce(a.households, []) AS households, a.evidence AS evidence,
       a.evidence_hash AS evidence_hash, coalesce(a.seen_events, []) AS seen_events,
       a.first_run AS first_run, a.changed_run AS changed_run
"""

# New alerts: created once; a retried batch finds them and changes nothing.
CREATE_ALERTS_CYPHER = """
UNWIND $rows AS row
MERGE (a:Alert {key: row.key})
ON CREATE SET a += row.props
"""

# Any later change to an alert: only the properties given.
UPDATE_ALERTS_CYPHER = """
UNWIND $rows AS row
MATCH (a:Alert {key: row.key})
SET a += row.props
"""

ADD_EVENTS_CYPHER = """
UNWIND $rows AS row
MERGE (e:AlertEvent {key: row.key})
ON CREATE SET e += row.props
"""

READ_HISTORY_CYPHER = """
MATCH (e:AlertEvent)
WHERE e.alert = $key
RETURN e.key AS key, e.at AS at, e.user AS user, e.action AS action, e.detail AS detail, e.run AS run
ORDER BY at, key
"""


@dataclass
class Alert:
    """One alert: a match of an alert query, identified by its pattern and key values."""

    key: str
    pattern: str
    title: str
    severity: str
    match: dict[str, str]
    status: str
    assignee: str
    matching: bool
    opened: str
    night: str
    updated: str
    rows: int
    people: list[str]
    households: list[str]
    evidence: dict[str, Any] | None = None     # {"columns": [...], "rows": [[...], ...]}
    evidence_hash: str = ""
    seen_events: list[str] = field(default_factory=list)
    first_run: str = ""
    changed_run: str = ""

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    @property
    def state(self) -> str:
        """The status as a reader says it, with "no longer matching" when the query stopped returning it."""
        label = self.status.replace("_", " ")
        return label if self.matching else f"{label}, no longer matching"

    def age(self, today: dt.date) -> int:
        """Days from the night the alert was opened to ``today``."""
        return (today - dt.date.fromisoformat(self.night)).days if self.night else 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Alert":
        values = {name: row.get(name) for name in ALERT_COLUMNS}
        values["match"] = json.loads(values["match"] or "{}")
        values["evidence"] = json.loads(values["evidence"]) if values["evidence"] else None
        values["assignee"] = values["assignee"] or ""
        values["matching"] = bool(values["matching"])
        values["rows"] = int(values["rows"] or 0)
        for name in ("evidence_hash", "first_run", "changed_run", "night", "updated", "opened"):
            values[name] = values[name] or ""
        return cls(**values)


@dataclass(frozen=True)
class AlertEvent:
    """One line of an alert's history: who changed what, when (or which run)."""

    key: str
    at: str
    user: str
    action: str
    detail: str
    run: str = ""


def alert_key(pattern: str, values: Iterable[str]) -> str:
    """The key of the alert of ``pattern`` whose match key columns hold ``values``."""
    return f"{pattern}:" + "|".join(values)


def new_key(prefix: str) -> str:
    """A fresh key for an append-only node, made before the write so a retry does not duplicate it.

    Keys sort in the order they were made (to the microsecond, then a counter of this process),
    so history lines written in the same second keep their order."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"{prefix}-{stamp}-{next(_SEQUENCE) % 1_000_000:06d}-{secrets.token_hex(3)}"


_SEQUENCE = itertools.count()


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def read_alerts(store: Any, patterns: list[str] | None = None, evidence: bool = False) -> list[Alert]:
    """Every alert (of ``patterns``), newest first; ``evidence`` also reads the evidence rows."""
    rows = store.read(READ_ALERTS_CYPHER, {"patterns": patterns, "evidence": evidence}).records()
    return [Alert.from_row(r) for r in rows]


def get_alert(store: Any, key: str) -> Alert | None:
    rows = store.read(GET_ALERT_CYPHER, {"key": key}).records()
    return Alert.from_row(rows[0]) if rows else None


def read_history(store: Any, key: str) -> list[AlertEvent]:
    """The alert's history, oldest first."""
    return [AlertEvent(r["key"], r["at"], r["user"], r["action"], r["detail"] or "", r["run"] or "")
            for r in store.read(READ_HISTORY_CYPHER, {"key": key}).records()]


def add_events(store: Any, events: list[dict[str, Any]]) -> None:
    """Append history lines: dicts with ``alert``, ``user``, ``action``, ``detail`` and optional ``run``."""
    rows = [{"key": new_key("ae"), "props": {"at": now_iso(), "run": "", **e}} for e in events]
    if rows:
        store.write_batches(ADD_EVENTS_CYPHER, rows)


def update_alerts(store: Any, changes: list[dict[str, Any]]) -> None:
    """Set properties on existing alerts: dicts with ``key`` and ``props``."""
    if changes:
        store.write_batches(UPDATE_ALERTS_CYPHER, changes)


def create_alerts(store: Any, alerts: list[dict[str, Any]]) -> None:
    """Create alerts: dicts with ``key`` and ``props`` (an existing alert is left as it is)."""
    if alerts:
        store.write_batches(CREATE_ALERTS_CYPHER, alerts)


FILTER_STATUSES = (*STATUSES, "no_longer_matching")


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts an inbox or ``mashgraph alerts list`` shows; empty fields keep everything.

    Age is counted in days from the night the alert was opened to ``today``.
    """

    pattern: str = ""
    status: str = ""
    assignee: str = ""
    severity: str = ""
    min_age: int | None = None
    max_age: int | None = None

    def keeps(self, alert: Alert, today: dt.date) -> bool:
        if self.pattern and alert.pattern != self.pattern:
            return False
        if self.status == "no_longer_matching":
            if alert.matching:
                return False
        elif self.status and alert.status != self.status:
            return False
        if self.assignee and alert.assignee != ("" if self.assignee == "-" else self.assignee):
            return False
        if self.severity and alert.severity != self.severity:
            return False
        age = alert.age(today)
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age <= self.max_age)

    def apply(self, alerts: list[Alert], today: dt.date) -> list[Alert]:
        """The alerts kept, newest first (by night opened, then time opened, then key)."""
        kept = [a for a in alerts if self.keeps(a, today)]
        return sorted(kept, key=lambda a: (a.night, a.opened, a.key), reverse=True)


def counts_by_pattern(alerts: list[Alert]) -> dict[str, dict[str, int]]:
    """pattern -> status (and ``no_longer_matching``, ``total``) -> number of alerts."""
    counts: dict[str, dict[str, int]] = {}
    for a in alerts:
        c = counts.setdefault(a.pattern, dict.fromkeys((*FILTER_STATUSES, "total"), 0))
        c[a.status] += 1
        c["total"] += 1
        if not a.matching:
            c["no_longer_matching"] += 1
    return dict(sorted(counts.items()))
