"""Clustering links into persons, with guards, and stable person keys.

Links are merged strongest first (human "same" decisions, then shared strong
identifiers, then model links from the highest probability down). A merge is
refused when it would put into one person

- two records a human decided are different people (``different`` decisions), or
- two different valid values of one strong identifier within its conflict
  scope (two NHS numbers, two permanent UPNs, two NI numbers, two PNC ids).

Human "same" decisions are applied first and are never refused: a human who
has looked at both records wins over every rule.

>>> c = ConstrainedClusters(["a", "b", "c"], {"a": {"nhs_number": "1"}, "c": {"nhs_number": "2"}})
>>> c.link("a", "b"), c.link("b", "c"), sorted(map(sorted, c.clusters()))
(True, False, [['a', 'b'], ['c']])
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Callable, Iterable, Mapping

from .guards import dates_far_apart

__all__ = ["ConstrainedClusters", "assign_person_keys", "new_person_key"]


class ConstrainedClusters:
    """Union-find over record keys that refuses merges breaking a cannot-link constraint."""

    def __init__(self, records: Iterable[str],
                 identifiers: Mapping[str, Mapping[str, str]] | None = None,
                 dates_of_birth: Mapping[str, str] | None = None) -> None:
        self._parent: dict[str, str] = {}
        self._size: dict[str, int] = {}
        # per root: identifier kind -> set of values (conflict-scope values only)
        self._ids: dict[str, dict[str, set[str]]] = {}
        # per root: record keys that may never join it
        self._forbidden: dict[str, set[str]] = {}
        for key in records:
            self._parent[key] = key
            self._size[key] = 1
        for key, ids in (identifiers or {}).items():
            if key in self._parent and ids:
                self._ids[key] = {kind: {value} for kind, value in ids.items()}
        # per root: the (real, not default) dates of birth of its records
        self._dobs: dict[str, set[str]] = {key: {dob} for key, dob in (dates_of_birth or {}).items()
                                            if key in self._parent and dob}

    def find(self, key: str) -> str:
        root = key
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[key] != root:  # path compression
            self._parent[key], key = root, self._parent[key]
        return root

    def forbid(self, a: str, b: str) -> None:
        """Records ``a`` and ``b`` must never end up in one cluster."""
        self._forbidden.setdefault(self.find(a), set()).add(b)
        self._forbidden.setdefault(self.find(b), set()).add(a)

    def conflict(self, a: str, b: str) -> str | None:
        """Why clusters of ``a`` and ``b`` cannot merge (``None`` if they can)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        for x, y in ((ra, rb), (rb, ra)):
            for other in self._forbidden.get(x, ()):
                if self.find(other) == y:
                    return f"a human decided {other} is a different person"
        ids_a, ids_b = self._ids.get(ra, {}), self._ids.get(rb, {})
        for kind, values in ids_a.items():
            other_values = ids_b.get(kind)
            if other_values and values.isdisjoint(other_values):
                return f"different {kind}"
        return None

    def dates_conflict(self, a: str, b: str) -> str | None:
        """Why a model link may not merge the clusters of ``a`` and ``b``: two of their dates
        of birth belong to different people (``guards.dates_far_apart``), e.g. a parent and a
        child joined through a record without a date. ``None`` if they may merge."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        for x in self._dobs.get(ra, ()):
            for y in self._dobs.get(rb, ()):
                if dates_far_apart(x, y):
                    return f"dates of birth {min(x, y)} and {max(x, y)} in the two persons"
        return None

    def link(self, a: str, b: str, *, force: bool = False) -> bool:
        """Merge the clusters of ``a`` and ``b``; returns False when a guard refused it."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if not force and self.conflict(a, b) is not None:
            return False
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size.pop(rb)
        ids_b = self._ids.pop(rb, None)
        if ids_b:
            ids_a = self._ids.setdefault(ra, {})
            for kind, values in ids_b.items():
                ids_a.setdefault(kind, set()).update(values)
        dobs_b = self._dobs.pop(rb, None)
        if dobs_b:
            self._dobs.setdefault(ra, set()).update(dobs_b)
        forb_b = self._forbidden.pop(rb, None)
        if forb_b:
            self._forbidden.setdefault(ra, set()).update(forb_b)
        return True

    def same(self, a: str, b: str) -> bool:
        return self.find(a) == self.find(b)

    def clusters(self) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for key in self._parent:
            groups.setdefault(self.find(key), []).append(key)
        return [sorted(members) for members in groups.values()]


def new_person_key(seed_record: str, salt: int = 0) -> str:
    """A person key derived from a record key: ``P`` + 12 hex digits of its SHA-256.

    >>> new_person_key("health:123")
    'Pf785bb1f2f77'
    """
    text = seed_record if salt == 0 else f"{seed_record}#{salt}"
    return "P" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def assign_person_keys(clusters: list[list[str]], previous: Mapping[str, str],
                       new_key: Callable[[str, int], str] | None = None) -> dict[str, str]:
    """Record key -> person key, keeping existing keys wherever a cluster survives.

    ``new_key(seed, salt)`` makes a fresh key (default :func:`new_person_key`; resolved
    households use the same rule with their own prefix, ``households.py``).

    Rule (documented in docs/resolution.md):

    1. A cluster may keep a key that some of its records already resolve to.
       When several clusters want the same old key (a person was split), the
       cluster holding the most records with that key gets it; ties go to the
       cluster whose smallest such record key sorts first. A cluster that loses
       tries its next most common old key.
    2. A cluster left without a key gets ``new_person_key(smallest record key)``
       (with a salt if that key is already taken).

    Re-running on the same records therefore gives the same keys, and adding
    records keeps every key whose cluster still exists.
    """
    candidates: list[tuple[int, str, str, int]] = []  # (-count, tiebreak record, key, cluster idx)
    for idx, members in enumerate(clusters):
        counts = Counter(previous[m] for m in members if m in previous)
        for key, n in counts.items():
            first = min(m for m in members if previous.get(m) == key)
            candidates.append((-n, first, key, idx))
    candidates.sort()
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for _neg, _first, key, idx in candidates:
        if idx in chosen or key in taken:
            continue
        chosen[idx] = key
        taken.add(key)
    # Keys held by records now in other persons stay reserved, so a new person
    # never takes an old person's key by accident.
    reserved = taken | set(previous.values())
    new_key = new_key or new_person_key
    out: dict[str, str] = {}
    for idx, members in sorted(enumerate(clusters), key=lambda item: item[1][0]):
        key = chosen.get(idx)
        if key is None:
            salt = 0
            key = new_key(members[0], salt)
            while key in reserved:
                salt += 1
                key = new_key(members[0], salt)
            reserved.add(key)
        for m in members:
            out[m] = key
    return out
