"""Human decisions about record pairs, and the review band that asks for them.

A decision is stored as its own ``MatchDecision`` node (history is kept: a
later decision about the same pair supersedes an earlier one, which stays as
the audit trail). ``same`` and ``different`` take effect on the next
``resolve`` run and win over the model and the identifier rules on every run
after that. ``unsure`` is recorded too, but binds nothing: the pair stays with
the model (an earlier ``same`` or ``different`` about it no longer applies) and
its review row moves behind every pair nobody has looked at yet.

The command line (``mashgraph resolve review|decide``) and the web review queue
(``web/review.py``) both go through these functions.
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
from .storage import (COUNT_REVIEW_CYPHER, DEFER_REVIEW_PAIR_CYPHER, DELETE_REVIEW_PAIR_CYPHER,
                      FIND_RECORDS_CYPHER, PAIR_RECORDS_CYPHER, PERSON_RECORD_KEYS_CYPHER,
                      READ_REVIEW_CYPHER, READ_REVIEW_PAIR_CYPHER, WRITE_DECISION_CYPHER,
                      read_decisions)

__all__ = ["MatchDecision", "DECISIONS", "BINDING_DECISIONS", "record_decision", "list_decisions",
           "review_pairs", "review_count", "review_pair", "separate_record", "current_user"]

DECISIONS = ("same", "different", "unsure")
BINDING_DECISIONS = ("same", "different")
"""The decisions a resolution run applies; ``unsure`` leaves the pair to the model."""
MAX_REASON = 500


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
    """Store that ``record_a`` and ``record_b`` are the ``same`` person, ``different`` people, or
    that the decider is ``unsure`` (the pair stays with the model and waits behind the rest)."""
    _check_decision(record_a, record_b, decision, reason)
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
    if decision in BINDING_DECISIONS:
        store.write(DELETE_REVIEW_PAIR_CYPHER, {"key": pk})
    else:
        store.write(DEFER_REVIEW_PAIR_CYPHER, {"key": pk})
    return d


def _check_decision(record_a: str, record_b: str, decision: str, reason: str) -> None:
    if decision not in DECISIONS:
        raise ConfigError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}",
                          hint="write: mashgraph resolve decide REC_A REC_B same|different|unsure --reason '...'")
    if record_a == record_b:
        raise ConfigError(f"both records are {record_a!r}", hint="give two different record keys")
    if not reason or not reason.strip():
        raise ConfigError("a decision needs a reason", hint="add --reason 'what you checked'")
    if len(reason) > MAX_REASON:
        raise ConfigError(f"the reason is {len(reason)} characters long; the most is {MAX_REASON}",
                          hint="say briefly what you checked")


def separate_record(store: GraphStore, person_key: str, record: str, reason: str,
                    decided_by: str | None = None) -> list[MatchDecision]:
    """Flag a wrong link: ``record`` is not the person ``person_key``. Stores a ``different``
    decision between ``record`` and each other record of that person, so the next run splits it off."""
    keys = store.read(PERSON_RECORD_KEYS_CYPHER, {"key": person_key}).column("key")
    if record not in keys:
        raise ValidationError(f"record {record!r} does not resolve to person {person_key!r}",
                              hint="reload the person page: the resolution may have changed")
    others = [k for k in keys if k != record]
    if not others:
        raise ValidationError(f"record {record!r} is the only record of person {person_key!r}",
                              hint="there is no link to undo")
    _check_decision(record, others[0], "different", reason)
    at = dt.datetime.now(dt.timezone.utc)
    return [record_decision(store, record, other, "different", reason, decided_by, at=at) for other in others]


def list_decisions(store: GraphStore) -> list[MatchDecision]:
    """Every stored decision, oldest first (superseded ones included)."""
    return [MatchDecision(**row) for row in read_decisions(store)]


def review_pairs(store: GraphStore, limit: int = 100, skip: int = 0) -> list[dict[str, Any]]:
    """The review band of the latest run: conflicts first, then the least certain pairs;
    pairs someone was unsure about last."""
    return store.read(READ_REVIEW_CYPHER, {"limit": int(limit), "skip": int(skip)},
                      timeout=store.settings.max_query_timeout_ms / 1000).records()


def review_count(store: GraphStore) -> dict[str, int]:
    """How many pairs the review band holds, and how many of them someone was unsure about."""
    row = store.read(COUNT_REVIEW_CYPHER).records()[0]
    return {"pairs": int(row["pairs"] or 0), "deferred": int(row["deferred"] or 0)}


def review_pair(store: GraphStore, key: str) -> dict[str, Any] | None:
    """One pair of the review band with both records (agency, current person, addresses), or None."""
    rows = store.read(READ_REVIEW_PAIR_CYPHER, {"key": key}).records()
    if not rows:
        return None
    pair = rows[0]
    found = {r["key"]: r for r in store.read(PAIR_RECORDS_CYPHER,
                                             {"keys": [pair["record_a"], pair["record_b"]]}).records()}
    pair["records"] = [found.get(pair["record_a"]), found.get(pair["record_b"])]
    return pair
