"""What a key names: the person, record, household or address a result cell refers to.

Saved-query results hold keys (``P0000017``, ``police:N123``, lists of them). A page turns
each into a link that shows a name, and the audit records every person shown; both come
from :func:`entity_refs`, one batched lookup of the keys in a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .store import GraphStore
from .types import Node, Path

__all__ = ["EntityRef", "entity_refs", "keys_in", "ENTITY_REFS_CYPHER"]

# The labels a key may name on a page, with the name each shows. Records show their agency's
# name of the person; a record resolved to a person also names that person (for the audit).
ENTITY_REFS_CYPHER = """
UNWIND $keys AS k
OPTIONAL MATCH (p:Person {key: k})
OPTIONAL MATCH (r:Record {key: k})
OPTIONAL MATCH (h:Household {key: k})
OPTIONAL MATCH (a:Address {key: k})
WITH k, p, r, h, a
WHERE p IS NOT NULL OR r IS NOT NULL OR h IS NOT NULL OR a IS NOT NULL
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(rp:Person)
RETURN k AS key, p.display_name AS person_name, r.given_name AS given_name, r.family_name AS family_name,
       r.agency AS agency, rp.key AS record_person, h.key AS household, a.text AS address_text,
       a.postcode AS postcode,
       CASE WHEN p IS NOT NULL THEN 'person' WHEN r IS NOT NULL THEN 'record'
            WHEN h IS NOT NULL THEN 'household' ELSE 'address' END AS kind
"""

BATCH = 5_000


@dataclass(frozen=True)
class EntityRef:
    """A key that names something a page can show: its kind, a name, and the person behind it."""

    key: str
    kind: str                # person | record | household | address
    name: str
    person: str | None       # the person shown: the key itself, or the person a record resolves to


def keys_in(values: Iterable[Any]) -> set[str]:
    """Every text value (also inside lists, maps, nodes and paths) that could be a key."""
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if 0 < len(v) <= 200:
                found.add(v)
        elif isinstance(v, Node):
            if v.key is not None:
                found.add(str(v.key))
        elif isinstance(v, Path):
            for n in v.nodes:
                walk(n)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    for value in values:
        walk(value)
    return found


def entity_refs(store: GraphStore, keys: Iterable[str]) -> dict[str, EntityRef]:
    """The keys that name a person, record, household or address, each with what to show."""
    wanted = sorted(set(keys))
    rows = [row for i in range(0, len(wanted), BATCH)
            for row in store.read(ENTITY_REFS_CYPHER, {"keys": wanted[i:i + BATCH]})]
    out = {}
    for row in rows:
        kind = row["kind"]
        if kind == "person":
            name, person = row["person_name"] or row["key"], row["key"]
        elif kind == "record":
            given = " ".join(str(row[f]) for f in ("given_name", "family_name") if row[f])
            name, person = f"{given or row['key']} ({row['agency']} record)", row["record_person"]
        elif kind == "household":
            name, person = f"household {row['key']}", None
        else:
            name = ", ".join(str(v) for v in (row["address_text"], row["postcode"]) if v) or row["key"]
            person = None
        out[row["key"]] = EntityRef(row["key"], kind, name, person)
    return out
