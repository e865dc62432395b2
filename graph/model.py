"""The graph model of DESIGN.md as data: labels, relationships, date properties, indexes,
and the events through which an agency comes to know a concern.

This is the one home of the graph vocabulary. Backends turn it into DDL through their
dialect, ingestion builds its statements from it and checks mappings against it, and the
explorer and the derived facts read the event table; nothing else hard-codes it.

>>> ("Record", "RESOLVES_TO", "Person") in RELATIONSHIPS
True
>>> DATE_PROPS["Referral"], EVENT_KINDS["incident"].about
(('date', 'decision_date'), 'INVOLVES')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LABELS", "ALERT_LABELS", "LOADABLE_LABELS", "RELATIONSHIPS", "DATE_PROPS", "INDEXED", "FULLTEXT",
           "EventKind", "EVENT_KINDS", "TOLD_RELS", "SchemaSpec", "SCHEMA"]

LABELS: tuple[str, ...] = (
    "Agency", "Record", "Person", "Household", "Family", "Address", "Referral",
    "Incident", "Episode", "Concern", "IngestRun", "MatchDecision", "ResolveRun", "ReviewPair",
    "Alert", "AlertEvent", "AlertDecision", "AlertRun",
)

# The alert inbox's own nodes (graph/alert_store.py): joined to nothing, written only by mashgraph.
ALERT_LABELS: tuple[str, ...] = ("Alert", "AlertEvent", "AlertDecision", "AlertRun")

# The labels a source mapping may draw (an IngestRun is written by the loader itself, alerts by the alert runs).
LOADABLE_LABELS: tuple[str, ...] = tuple(label for label in LABELS if label != "IngestRun" and label not in ALERT_LABELS)

# (from label, type, to label) of DESIGN.md "The graph model". A mapping may
# only draw these; Cypher text takes labels and types from here, never from data.
RELATIONSHIPS: frozenset[tuple[str, str, str]] = frozenset({
    ("Record", "HELD_BY", "Agency"),
    ("Record", "RESOLVES_TO", "Person"),
    ("Agency", "MADE", "Referral"),
    ("Referral", "ABOUT", "Record"),
    ("Referral", "TO", "Agency"),
    ("Referral", "RAISES", "Concern"),
    ("Incident", "RAISES", "Concern"),
    ("Incident", "INVOLVES", "Record"),
    ("Agency", "RECORDED", "Incident"),
    ("Agency", "RUNS", "Episode"),
    ("Episode", "FOR", "Record"),
    ("Episode", "RAISES", "Concern"),
    ("Record", "LIVES_AT", "Address"),
    ("Incident", "AT", "Address"),
    ("Record", "MEMBER_OF", "Household"),
    ("Household", "IN_FAMILY", "Family"),
    ("Record", "RELATED_TO", "Record"),
    ("Referral", "SHARED_WITH", "Agency"),
})

# Properties stored as Cypher ``date`` values, per label and per relationship type.
DATE_PROPS: dict[str, tuple[str, ...]] = {
    "Record": ("dob",),
    "Person": ("dob",),
    "Referral": ("date", "decision_date"),
    "Incident": ("date",),
    "Episode": ("start", "end"),
    "LIVES_AT": ("from", "to"),
    "MEMBER_OF": ("from", "to"),
    "RELATED_TO": ("from", "to"),
    "SHARED_WITH": ("date",),
}

# Lookup properties that saved queries, ingestion and resolution filter on.
INDEXED: dict[str, tuple[str, ...]] = {
    "Record": ("agency", "nhs_number", "upn", "pnc_id", "ni_number", "family_name", "dob"),
    "Person": ("dob",),
    "Address": ("uprn", "postcode"),
    "Referral": ("date",),
    "Incident": ("date", "type"),
    "Episode": ("kind",),
    "Alert": ("pattern", "status"),
    "AlertEvent": ("alert",),
    "AlertDecision": ("alert",),
}

# Full-text index on names: label -> properties.
FULLTEXT: dict[str, tuple[str, ...]] = {
    "Record": ("given_name", "family_name"),
    "Person": ("display_name",),
}


@dataclass(frozen=True)
class EventKind:
    """A kind of event that can raise a concern: its label, the relationship from the event
    to the records it is about, and the one from the agency that raised it (made,
    recorded or runs it)."""

    label: str
    about: str
    raised_by: str


# The events of a multi-agency chronology. An agency *knows* a concern (DESIGN.md) when it
# raised an event raising it (``raised_by``), or the event was sent or shared with it (``TOLD_RELS``).
EVENT_KINDS: dict[str, EventKind] = {
    "referral": EventKind("Referral", "ABOUT", "MADE"),
    "incident": EventKind("Incident", "INVOLVES", "RECORDED"),
    "episode": EventKind("Episode", "FOR", "RUNS"),
}
TOLD_RELS: tuple[str, ...] = ("TO", "SHARED_WITH")


@dataclass(frozen=True)
class SchemaSpec:
    labels: tuple[str, ...]
    indexed: dict[str, tuple[str, ...]]
    fulltext: dict[str, tuple[str, ...]]


SCHEMA = SchemaSpec(LABELS, INDEXED, FULLTEXT)
