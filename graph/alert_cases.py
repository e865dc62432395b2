"""Working an alert: assign it, comment, move its status, and close it with a decision record.

Closing (status ``confirmed`` or ``dismissed``) needs a **decision**: a RAG rating, an
outcome and a reason, with a frozen **snapshot** of what the analyst saw (the alert's rows,
who knows what and the chronology: :func:`~mashgraph.graph.alert_view.alert_view`). Decisions
are ``AlertDecision`` nodes, only ever created; every change is a history line
(``AlertEvent``). The command line (``mashgraph alerts``) and the web pages
(``web/alerts.py``) both go through these functions; the web also writes the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from .alert_store import CLOSED, STATUSES, Alert, add_events, get_alert, new_key, now_iso, update_alerts
from .alert_view import alert_view
from .alerts import events_about

__all__ = ["RAGS", "OUTCOMES", "MAX_TEXT", "Decision", "require_alert", "assign", "comment", "set_status",
           "decide", "read_decisions", "get_decision"]

RAGS = ("RED", "AMBER", "GREEN")
OUTCOMES = {
    "refer_csc": "refer to children's social care",
    "refer_asc": "refer to adult social care (section 42)",
    "strategy_discussion": "strategy discussion",
    "share_with_agency": "share with an agency",
    "early_help": "early help",
    "monitor": "keep under review",
    "nfa": "no further action",
}
MAX_TEXT = 2000
MAX_NAME = 64

WRITE_DECISION_CYPHER = """
MERGE (d:AlertDecision {key: $key})
ON CREATE SET d += $props
"""

READ_DECISIONS_CYPHER = """
MATCH (d:AlertDecision)
WHERE d.alert = $alert
RETURN d.key AS key, d.alert AS alert, d.at AS at, d.night AS night, d.user AS user, d.status AS status,
       d.rag AS rag, d.outcome AS outcome, d.agency AS agency, d.reason AS reason,
       CASE WHEN $snapshot THEN d.snapshot ELSE null END AS snapshot
ORDER BY at DESC, key DESC
"""

GET_DECISION_CYPHER = """
MATCH (d:AlertDecision {key: $key})
RETURN d.key AS key, d.alert AS alert, d.at AS at, d.night AS night, d.user AS user, d.status AS status,
       d.rag AS rag, d.outcome AS outcome, d.agency AS agency, d.reason AS reason, d.snapshot AS snapshot
"""


@dataclass(frozen=True)
class Decision:
    """A closing decision about an alert, with the snapshot of what was seen (None when not read)."""

    key: str
    alert: str
    at: str
    night: str                 # the date the decision stands for (the ``today`` setting, else the real date)
    user: str
    status: str
    rag: str
    outcome: str
    agency: str
    reason: str
    snapshot: dict[str, Any] | None = None

    @property
    def outcome_label(self) -> str:
        label = OUTCOMES.get(self.outcome, self.outcome)
        return f"{label}: {self.agency}" if self.agency else label

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Decision":
        snapshot = json.loads(row["snapshot"]) if row.get("snapshot") else None
        return cls(row["key"], row["alert"], row["at"], row["night"] or "", row["user"], row["status"], row["rag"],
                   row["outcome"], row["agency"] or "", row["reason"], snapshot)


def require_alert(store: Any, key: str) -> Alert:
    """The alert ``key``; ``ValidationError`` when there is none."""
    alert = get_alert(store, key)
    if alert is None:
        raise ValidationError(f"no alert {key!r}", hint="see `mashgraph alerts list` for alert keys")
    return alert


def _text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    text = " ".join((value or "").split()) if what != "comment" else (value or "").strip()
    if not text:
        raise ValidationError(f"the {what} is empty", hint=f"write a {what}")
    if len(text) > limit:
        raise ValidationError(f"the {what} is longer than {limit} characters", hint="shorten it")
    return text


def assign(store: Any, key: str, assignee: str, by: str) -> Alert:
    """Give the alert to ``assignee`` ('' takes it back from anyone)."""
    alert = require_alert(store, key)
    assignee = (assignee or "").strip()
    if len(assignee) > MAX_NAME or any(c.isspace() for c in assignee):
        raise ValidationError(f"assignee {assignee[:MAX_NAME]!r} is not a user name", hint="give a user name")
    if assignee == alert.assignee:
        return alert
    update_alerts(store, [{"key": key, "props": {"assignee": assignee, "updated": now_iso()}}])
    add_events(store, [{"alert": key, "user": by, "action": "assigned",
                        "detail": f"assigned to {assignee}" if assignee else "unassigned"}])
    return require_alert(store, key)


def comment(store: Any, key: str, text: str, by: str) -> None:
    require_alert(store, key)
    add_events(store, [{"alert": key, "user": by, "action": "comment", "detail": _text(text, "comment")}])


def set_status(store: Any, key: str, status: str, by: str) -> Alert:
    """Move the alert to ``open`` or ``in_progress`` (closing needs :func:`decide`)."""
    alert = require_alert(store, key)
    if status in CLOSED:
        raise ValidationError(f"closing an alert as {status} needs a decision record",
                              hint="record a decision: RAG rating, outcome and reason")
    if status not in STATUSES:
        raise ValidationError(f"unknown status {status!r}", hint=f"use one of: {', '.join(STATUSES)}")
    if status == alert.status:
        return alert
    update_alerts(store, [{"key": key, "props": {"status": status, "updated": now_iso(), "seen_events": []}}])
    add_events(store, [{"alert": key, "user": by, "action": "status",
                        "detail": f"{alert.status.replace('_', ' ')} -> {status.replace('_', ' ')}"}])
    return require_alert(store, key)


def decide(store: Any, key: str, *, status: str, rag: str, outcome: str, reason: str, by: str,
           agency: str = "", night: dt.date | None = None) -> Decision:
    """Close the alert as ``confirmed`` or ``dismissed`` with a decision record and a snapshot.

    ``night`` is the date the decision stands for (default: the ``today`` setting, else the real date).
    """
    alert = require_alert(store, key)
    values = _checked(status, rag, outcome, agency)
    reason = _text(reason, "reason")
    snapshot = alert_view(store, alert)
    decision_key = new_key("ad")
    props = {"alert": key, "at": now_iso(), "night": (night or store.settings.today_date()).isoformat(), "user": by,
             "status": status, "rag": values["rag"],
             "outcome": outcome, "agency": values["agency"], "reason": reason,
             "snapshot": json.dumps(snapshot, sort_keys=True, ensure_ascii=False)}
    store.write(WRITE_DECISION_CYPHER, {"key": decision_key, "props": props})
    # A dismissed alert stays quiet until an event not among these involves its people.
    seen = sorted(events_about(store, alert.people, alert.households)) if status == "dismissed" else []
    update_alerts(store, [{"key": key, "props": {"status": status, "updated": props["at"], "seen_events": seen}}])
    add_events(store, [{"alert": key, "user": by, "action": "decision",
                        "detail": f"{status}: RAG {values['rag']}, {OUTCOMES[outcome]}"
                                  + (f" ({values['agency']})" if values["agency"] else "") + f"; {reason}"}])
    return Decision.from_row({**props, "key": decision_key, "snapshot": props["snapshot"]})


def _checked(status: str, rag: str, outcome: str, agency: str) -> dict[str, str]:
    if status not in CLOSED:
        raise ValidationError(f"a decision closes the alert as confirmed or dismissed, not {status!r}",
                              hint="choose confirmed or dismissed")
    rag = (rag or "").strip().upper()
    if rag not in RAGS:
        raise ValidationError(f"RAG rating {rag!r} is not one of {', '.join(RAGS)}", hint="choose RED, AMBER or GREEN")
    if outcome not in OUTCOMES:
        raise ValidationError(f"unknown outcome {outcome!r}", hint=f"use one of: {', '.join(OUTCOMES)}")
    agency = " ".join((agency or "").split())
    if outcome == "share_with_agency" and not agency:
        raise ValidationError("sharing with an agency needs the agency", hint="name the agency to share with")
    if len(agency) > 200:
        raise ValidationError("the agency is longer than 200 characters", hint="shorten it")
    return {"rag": rag, "agency": agency}


def read_decisions(store: Any, key: str, snapshot: bool = False) -> list[Decision]:
    """The alert's decisions, newest first."""
    rows = store.read(READ_DECISIONS_CYPHER, {"alert": key, "snapshot": snapshot}).records()
    return [Decision.from_row(r) for r in rows]


def get_decision(store: Any, key: str) -> Decision | None:
    rows = store.read(GET_DECISION_CYPHER, {"key": key}).records()
    return Decision.from_row(rows[0]) if rows else None
