"""The name a person is shown by: chosen from their most trusted records, and explained.

Agencies hold names of different quality: health records are traced against the NHS spine,
schools check names at admission, while police names are "as given by the person"
(DOMAIN.md). A person's shown name is therefore the name (compared case-insensitively, spaces
folded) with the most trust behind it: the sum of its records' agency reliability, ties broken
by the most recently loaded record, then by the most trusted single record, and only last by
the alphabet. The spelling shown is the best-written form of that name (``Simon Porter``
rather than ``Simon PORTER``), from the most trusted record that writes it so. Each choice is
stored with the person as ``display_name_evidence``, which the identity section of the person
page shows.

>>> pick_display_name([NameVote("Simon PORTER", "police", "2025-01-02"),
...                    NameVote("Simon Porter", "childrens_social_care", "2024-05-01"),
...                    NameVote("Si Porter", "housing", "2025-03-01")]).name
'Simon Porter'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["NameVote", "NameChoice", "RELIABILITY", "pick_display_name", "refresh_display_names",
           "DISPLAY_NAME_VOTES_CYPHER", "DISPLAY_NAME_WRITE_CYPHER"]

# How far each kind of agency's names are trusted (higher = more). Documented in docs/resolution.md.
RELIABILITY: dict[str, int] = {
    "health": 5,                  # traced against the NHS spine
    "education": 4,               # checked against documents at admission
    "childrens_social_care": 4,
    "adult_social_care": 3,
    "probation": 3,
    "housing": 2,
    "police": 1,                  # names as given by the person
    "other": 1,
}

DISPLAY_NAME_VOTES_CYPHER = """
UNWIND $keys AS pk
MATCH (p:Person {key: pk})<-[:RESOLVES_TO]-(r:Record)
OPTIONAL MATCH (r)-[:HELD_BY]->(a:Agency)
OPTIONAL MATCH (run:IngestRun {key: r.run})
RETURN p.key AS person, r.given_name AS given_name, r.family_name AS family_name,
       coalesce(a.kind, 'other') AS kind, coalesce(a.name, a.key, r.agency) AS agency,
       coalesce(run.started, '') AS loaded
"""

DISPLAY_NAME_WRITE_CYPHER = """
UNWIND $rows AS row
MATCH (p:Person {key: row.key})
SET p.display_name = row.name, p.display_name_evidence = row.evidence
"""

PERSON_KEYS_CYPHER = "MATCH (p:Person) RETURN p.key AS key ORDER BY key"

BATCH = 2_000


@dataclass(frozen=True)
class NameVote:
    """One record's name of a person, with its agency kind and when it was loaded (ISO text)."""

    name: str
    kind: str
    loaded: str = ""
    agency: str = ""

    @property
    def trust(self) -> int:
        return RELIABILITY.get(self.kind, RELIABILITY["other"])


@dataclass(frozen=True)
class NameChoice:
    name: str | None
    evidence: str


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def _well_written(name: str) -> int:
    """1 when every word starts upper case and is not all capitals (``Simon Porter``), else 0."""
    words = [w for w in name.split() if any(c.isalpha() for c in w)]
    return int(bool(words) and all(w[0].isupper() and not w.isupper() for w in words))


def pick_display_name(votes: Iterable[NameVote]) -> NameChoice:
    """The name to show for one person's records, and why (see the module docstring)."""
    votes = [v for v in votes if v.name and v.name.strip()]
    if not votes:
        return NameChoice(None, "no record of this person holds a name")
    groups: dict[str, list[NameVote]] = {}
    for v in votes:
        groups.setdefault(_fold(v.name), []).append(v)

    def rank(item: tuple[str, list[NameVote]]) -> tuple[Any, ...]:
        folded, group = item
        return (-sum(v.trust for v in group), _neg(max(v.loaded for v in group)),
                -max(v.trust for v in group), folded)

    ranked = sorted(groups.items(), key=rank)
    group = ranked[0][1]
    best = min(group, key=lambda v: (-_well_written(v.name), -v.trust, _neg(v.loaded), v.name))
    runner_up = ranked[1][1] if len(ranked) > 1 else None
    return NameChoice(" ".join(best.name.split()), _explain(best, group, votes, runner_up))


def _neg(text: str) -> tuple[int, ...]:
    """A sort key that puts later ISO texts first."""
    return tuple(-ord(c) for c in text)


def _explain(best: NameVote, group: list[NameVote], votes: list[NameVote],
             runner_up: list[NameVote] | None) -> str:
    holders = ", ".join(sorted({f"{v.agency or v.kind} (trust {v.trust})" for v in group}))
    trust = sum(v.trust for v in group)
    text = (f"shown as '{' '.join(best.name.split())}': the name on {len(group)} of {len(votes)} records "
            f"({holders}), trust {trust}")
    if runner_up is not None:
        other = " ".join(runner_up[0].name.split())
        other_trust = sum(v.trust for v in runner_up)
        if other_trust < trust:
            text += f"; next '{other}' with trust {other_trust}"
        elif max(v.loaded for v in runner_up) != max(v.loaded for v in group):
            text += f"; '{other}' has the same trust, this name was loaded more recently"
        elif max(v.trust for v in runner_up) != max(v.trust for v in group):
            text += f"; '{other}' has the same trust and date, this name is held by the more trusted record"
        else:
            text += f"; '{other}' has the same trust and date: the first in alphabetical order is shown"
    spellings = {v.name for v in group}
    if len(spellings) > 1:
        text += f"; written as {best.agency or best.kind} writes it"
    return text


def refresh_display_names(store: Any, person_keys: list[str] | None = None) -> int:
    """Choose and store the display name (and its evidence) of every person, or of ``person_keys``."""
    keys = person_keys if person_keys is not None else store.read(PERSON_KEYS_CYPHER, timeout=600).column("key")
    written = 0
    for i in range(0, len(keys), BATCH):
        votes: dict[str, list[NameVote]] = {}
        for row in store.read(DISPLAY_NAME_VOTES_CYPHER, {"keys": keys[i:i + BATCH]}, timeout=600):
            name = " ".join(p for p in (row["given_name"], row["family_name"]) if isinstance(p, str) and p.strip())
            votes.setdefault(row["person"], []).append(NameVote(name, row["kind"], str(row["loaded"]), row["agency"]))
        rows = []
        for key, person_votes in votes.items():
            choice = pick_display_name(person_votes)
            rows.append({"key": key, "name": choice.name, "evidence": choice.evidence})
        written += store.write_batches(DISPLAY_NAME_WRITE_CYPHER, rows, BATCH)
    return written
