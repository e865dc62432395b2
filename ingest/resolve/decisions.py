"""Human decisions about record pairs, and the review band that asks for them.

A decision is stored as its own ``MatchDecision`` node (history is kept: a
later decision about the same pair supersedes an earlier one, which stays as
the audit trail). Decisions take effect on the next ``resolve`` run and win
over the model and the identifier rules on every run after that.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigError, ValidationError
from ...graph.store import GraphStore
from ...settings import Settings, load_settings
from .config import pair_key
from .storage import (DELETE_REVIEW_PAIR_CYPHER, FIND_RECORDS_CYPHER, READ_REVIEW_CYPHER,
                      WRITE_DECISION_CYPHER, read_decisions)

__all__ = ["MatchDecision", "DECISIONS", "record_decision", "list_decisions", "review_pairs",
           "current_user"]

DECISIONS = ("same", "different")


@dataclass(frozen=True)
class MatchDecision:
    """A person's decision that two records are (or are not) the same individual."""

    key: str
    record_a: str
    record_b: str
    decision: str
    reason: str
    decided_by: str
    decided_at: str


def current_user(settings: Settings | None = None) -> str:
    """Who is deciding: the ``user`` setting (``MASHGRAPH_USER``), else the login name."""
    user = (settings or load_settings()).user
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record_decision(store: GraphStore, record_a: str, record_b: str, decision: str, reason: str,
                    decided_by: str | None = None, *, at: dt.datetime | None = None) -> MatchDecision:
    """Store that ``record_a`` and ``record_b`` are the ``same`` person or ``different`` people."""
    if decision not in DECISIONS:
        raise ConfigError(f"decision must be 'same' or 'different', not {decision!r}",
                          hint="write: mashgraph resolve decide REC_A REC_B same --reason '...'")
    if record_a == record_b:
        raise ConfigError(f"both records are {record_a!r}", hint="give two different record keys")
    if not reason or not reason.strip():
        raise ConfigError("a decision needs a reason", hint="add --reason 'what you checked'")
    found = set(store.read(FIND_RECORDS_CYPHER, {"keys": [record_a, record_b]}).column("key"))
    missing = [k for k in (record_a, record_b) if k not in found]
    if missing:
        raise ValidationError(f"no Record with key {', '.join(repr(k) for k in missing)}",
                              hint="record keys look like agency:local_id, e.g. police:N4821937; "
                                   "find them with `mashgraph resolve review` or explain")
    at = at or dt.datetime.now(dt.timezone.utc)
    stamp = at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    a, b = sorted((record_a, record_b))
    pk = pair_key(a, b)
    d = MatchDecision(key=f"{pk}|{stamp}", record_a=a, record_b=b, decision=decision,
                      reason=reason.strip(), decided_by=decided_by or current_user(store.settings),
                      decided_at=stamp)
    store.write(WRITE_DECISION_CYPHER, {"key": d.key, "record_a": d.record_a, "record_b": d.record_b,
                                        "decision": d.decision, "reason": d.reason,
                                        "decided_by": d.decided_by, "decided_at": d.decided_at})
    store.write(DELETE_REVIEW_PAIR_CYPHER, {"key": pk})
    return d


def list_decisions(store: GraphStore) -> list[MatchDecision]:
    """Every stored decision, oldest first (superseded ones included)."""
    return [MatchDecision(**row) for row in read_decisions(store)]


def review_pairs(store: GraphStore, limit: int = 100) -> list[dict[str, Any]]:
    """The review band of the latest run, most probable first."""
    return store.read(READ_REVIEW_CYPHER, {"limit": int(limit)},
                      timeout=store.settings.max_query_timeout_ms / 1000).records()
