"""Who a result shows: the person keys an audit row must carry.

The audit answers "who looked at this child" only if every person shown to a
user is recorded under their person key, whatever the column is called and
however deep the value sits. So every text value of a result (every column,
every list item, map values, node and path keys) is a candidate: a candidate
that is a Person key counts, a Record key counts as the Person it resolves to
(or as ``record:<key>`` while unresolved), anything else does not.

>>> from mashgraph.graph.types import Result, Node
>>> sorted(candidate_keys(Result(["who", "n"], [[["P1", "P2"], 3], [Node("R:1", ("Record",), {}), None]])))
['P1', 'P2', 'R:1']
"""

from __future__ import annotations

from typing import Any, Iterable

from .store import GraphStore
from .types import Node, Path, Rel, Result

__all__ = ["SHOWN_PERSONS_CYPHER", "candidate_keys", "shown_person_keys"]

# Per candidate: is it a Person key, a Record key, and to which persons does that record resolve.
SHOWN_PERSONS_CYPHER = """
UNWIND $keys AS k
OPTIONAL MATCH (p:Person {key: k})
WITH k, p
OPTIONAL MATCH (r:Record {key: k})
WITH k, p, r
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(rp:Person)
RETURN k AS key, p IS NOT NULL AS is_person, r IS NOT NULL AS is_record, collect(DISTINCT rp.key) AS persons
"""

# Longer texts are free text (a name, an address), never a key: not worth a lookup.
MAX_KEY_LENGTH = 200


def candidate_keys(result: Result) -> set[str]:
    """Every text of ``result`` that could be a Person or Record key."""
    found: set[str] = set()
    for row in result.rows:
        for value in row:
            _walk(value, found)
    return found


def _walk(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if 0 < len(value) <= MAX_KEY_LENGTH:
            found.add(value)
    elif isinstance(value, Node):
        if value.key is not None:
            found.add(str(value.key))
    elif isinstance(value, Rel):
        found.update(str(k) for k in (value.start_key, value.end_key) if k is not None)
    elif isinstance(value, Path):
        for node in value.nodes:
            _walk(node, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, found)


def shown_person_keys(store: GraphStore, result: Result | Iterable[str]) -> list[str]:
    """The persons ``result`` (or a set of candidate keys) shows: Person keys, the persons of
    Record keys, and ``record:<key>`` for an unresolved record, sorted."""
    keys = sorted(candidate_keys(result) if isinstance(result, Result) else set(result))
    if not keys:
        return []
    shown: set[str] = set()
    for row in store.read(SHOWN_PERSONS_CYPHER, {"keys": keys}).records():
        if row["is_person"]:
            shown.add(row["key"])
        if row["is_record"]:
            shown.update(row["persons"] or [f"record:{row['key']}"])
    return sorted(shown)
