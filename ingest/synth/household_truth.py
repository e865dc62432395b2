"""The true household behind each ingested ``Household`` record, from the generator's truth.

Every address the generator makes belongs to one true household (``truth/households.csv``:
household, UPRN, from, to). A household record's members are recorded living at an address
from the day they joined it (the ``LIVES_AT`` and ``MEMBER_OF`` edges one extract row writes,
with the same ``from``); the record's true household is the one owning the address most of
its members were recorded at (ties: the smallest household id). A record none of whose
members has such an address has no truth and is left out of the scores.

Resolved households (``ingest/resolve/households.py``) are scored against this with the
pairwise and B-cubed measures persons use (``bench/bench_resolve.py``, ``tests/test_households.py``).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["HOUSEHOLD_MEMBER_RECORDS_CYPHER", "household_truth", "family_assignment", "FAMILY_ASSIGNMENT_CYPHER"]

HOUSEHOLD_MEMBER_RECORDS_CYPHER = """
MATCH (h:Household)<-[m:MEMBER_OF]-(r:Record)-[l:LIVES_AT]->(a:Address)
WHERE l.from = m.from
RETURN h.key AS household, a.uprn AS uprn
"""

FAMILY_ASSIGNMENT_CYPHER = """
MATCH (h:Household)-[:IN_FAMILY]->(f:Family)
RETURN h.key AS household, f.key AS family
"""


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def household_truth(store: Any, truth_dir: Path) -> dict[str, str]:
    """Household record key -> true household id (the owner of its members' address)."""
    owner = {row["uprn"]: row["household_id"] for row in _read(truth_dir / "households.csv")}
    votes: dict[str, Counter[str]] = {}
    for row in store.read(HOUSEHOLD_MEMBER_RECORDS_CYPHER, timeout=600).records():
        hid = owner.get(str(row["uprn"]))
        if hid is not None:
            votes.setdefault(row["household"], Counter())[hid] += 1
    return {h: min(ballot, key=lambda hid: (-ballot[hid], hid)) for h, ballot in votes.items()}


def family_assignment(store: Any) -> dict[str, str]:
    """Household record key -> the resolved household (``Family``) it belongs to now."""
    return dict(store.read(FAMILY_ASSIGNMENT_CYPHER, timeout=600).rows)
