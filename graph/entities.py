"""What the keys in a result name, and who a result shows.

Saved-query results hold keys (``P0000017``, ``police:N123``, lists of them, nodes, paths).
A page turns each key that names a person, record, household or address into a link that
shows a name (:func:`entity_refs`), and the audit must record every person shown under their
person key, whatever the column is called and however deep the value sits
(:func:`shown_person_keys`): a Person key counts, a Record key counts as the Person it
resolves to (or as ``record:<key>`` while unresolved), anything else does not. Both come
from one batched lookup of every text value of the result (:func:`candidate_keys`).

>>> from mashgraph.graph.types import Result, Node
>>> sorted(candidate_keys(Result(["who", "n"], [[["P1", "P2"], 3], [Node("R:1", ("Record",), {}), None]])))
['P1', 'P2', 'R:1']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .store import GraphStore
from .types import Node, Path, Rel, Result

__all__ = ["EntityRef", "entity_refs", "candidate_keys", "shown_person_keys", "ENTITY_REFS_CYPHER"]

# Per key: what it names (a person, record, household (an agency's Household record or a resolved
# household, Family) or address), the name to show, and the
# persons behind it (a record's: the persons it resolves to).
ENTITY_REFS_CYPHER = """
UNWIND $keys AS k
OPTIONAL MATCH (p:Person {key: k})
OPTIONAL MATCH (r:Record {key: k})
OPTIONAL MATCH (h:Household {key: k})
OPTIONAL MATCH (f:Family {key: k})
OPTIONAL MATCH (a:Address {key: k})
WITH k, p, r, coalesce(h, f) AS h, a
WHERE p IS NOT NULL OR r IS NOT NULL OR h IS NOT NULL OR a IS NOT NULL
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(rp:Person)
RETURN k AS key, p.display_name AS person_name, r.given_name AS given_name, r.family_name AS family_name,
       r.agency AS agency, collect(DISTINCT rp.key) AS record_persons, a.text AS address_text,
       a.postcode AS postcode,
       CASE WHEN p IS NOT NULL THEN 'person' WHEN r IS NOT NULL THEN 'record'
            WHEN h IS NOT NULL THEN 'household' ELSE 'address' END AS kind
"""

# Longer texts are free text (a name, an address), never a key: not worth a lookup.
MAX_KEY_LENGTH = 200
BATCH = 5_000


@dataclass(frozen=True)
class EntityRef:
    """A key that names something a page can show: its kind, a name, and the persons behind it."""

    key: str
    kind: str                       # person | record | household | address
    name: str
    persons: tuple[str, ...] = ()   # the key itself for a person; the persons a record resolves to

    @property
    def person(self) -> str | None:
        return self.persons[0] if self.persons else None


def candidate_keys(result: Result | Iterable[Any]) -> set[str]:
    """Every text of ``result`` (or of some values) that could be a key: every column, list
    item, map value, node key, relationship end and path node."""
    found: set[str] = set()
    rows = result.rows if isinstance(result, Result) else [list(result)]
    for row in rows:
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


def entity_refs(store: GraphStore, keys: Iterable[str]) -> dict[str, EntityRef]:
    """The keys that name a person, record, household or address, each with what to show."""
    wanted = sorted(set(keys))
    rows = [row for i in range(0, len(wanted), BATCH)
            for row in store.read(ENTITY_REFS_CYPHER, {"keys": wanted[i:i + BATCH]})]
    return {row["key"]: _ref(row) for row in rows}


def _ref(row: dict[str, Any]) -> EntityRef:
    kind, key = row["kind"], row["key"]
    if kind == "person":
        return EntityRef(key, kind, row["person_name"] or key, (key,))
    if kind == "record":
        given = " ".join(str(row[f]) for f in ("given_name", "family_name") if row[f])
        return EntityRef(key, kind, f"{given or key} ({row['agency']} record)", tuple(sorted(row["record_persons"])))
    if kind == "household":
        return EntityRef(key, kind, f"household {key}")
    name = ", ".join(str(v) for v in (row["address_text"], row["postcode"]) if v) or key
    return EntityRef(key, kind, name)


def shown_person_keys(store: GraphStore, result: Result | Iterable[str],
                      refs: dict[str, EntityRef] | None = None) -> list[str]:
    """The persons ``result`` (or a set of candidate keys) shows: Person keys, the persons of
    Record keys, and ``record:<key>`` for an unresolved record, sorted. Pass ``refs`` when
    :func:`entity_refs` was already run on the same keys."""
    if refs is None:
        keys = candidate_keys(result) if isinstance(result, Result) else set(result)
        refs = entity_refs(store, keys)
    shown: set[str] = set()
    for ref in refs.values():
        if ref.kind == "person":
            shown.add(ref.key)
        elif ref.kind == "record":
            shown.update(ref.persons or (f"record:{ref.key}",))
    return sorted(shown)
