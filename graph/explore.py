"""What the explorer shows about people: search, profiles, chronology, "who knows what", networks.

Every statement is a ``*_CYPHER`` constant (portable Cypher, parameters only);
the web views call these functions and hold no Cypher themselves.

A *profile* is built from a set of ``Record`` keys: the records resolved to one
``Person``, or a single unresolved record. The definitions of DESIGN.md apply:

- an agency **knows** a concern about a person when it made the referral,
  recorded the incident or runs the episode that raised it, or the referral was
  sent (``TO``) or shared (``SHARED_WITH``) with it;
- an agency is **involved** with a person when it holds a record of them;
- **fragmentation** = the share of (concern, involved agency) pairs where the
  involved agency does not know the concern.

The who-knows-what table and the fragmentation figure come from
:mod:`mashgraph.graph.knowledge`, the one implementation the stored facts use too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from .concerns import ALL_CONCERNS
from .knowledge import KnowledgeGap, knowledge_gap
from .chronology import Event, chronology_for, sortable_date
from .model import EVENT_KINDS
from .store import GraphStore
from .types import Node

__all__ = [
    "SearchHit", "Profile", "Network", "record_summary",
    "search_people", "person_profile", "record_profile",
    "person_network", "graph_counts", "agency_names", "concern_label",
]

# -- Cypher ------------------------------------------------------------------

PERSON_CYPHER = """
MATCH (p:Person {key: $key})
RETURN p
"""

PERSON_RECORDS_CYPHER = """
MATCH (p:Person {key: $key})<-[rt:RESOLVES_TO]-(r:Record)
OPTIONAL MATCH (r)-[:HELD_BY]->(a:Agency)
RETURN r, a.key AS agency, a.name AS agency_name, a.kind AS agency_kind,
       rt.probability AS probability, rt.method AS method, rt.evidence AS evidence
ORDER BY agency, r.key
"""

RECORD_CYPHER = """
MATCH (r:Record {key: $key})
OPTIONAL MATCH (r)-[:HELD_BY]->(a:Agency)
WITH r, a
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(p:Person)
RETURN r, a.key AS agency, a.name AS agency_name, a.kind AS agency_kind, p.key AS person
"""

RECORD_PERSONS_CYPHER = """
UNWIND $keys AS k
MATCH (r:Record {key: k})
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(p:Person)
RETURN r.key AS record, p.key AS person, p.display_name AS display_name
"""

RECORDS_BY_IDENTIFIER_CYPHER = """
MATCH (r:Record {nhs_number: $value}) RETURN r
UNION MATCH (r:Record {upn: $value}) RETURN r
UNION MATCH (r:Record {pnc_id: $value}) RETURN r
UNION MATCH (r:Record {ni_number: $value}) RETURN r
UNION MATCH (r:Record {key: $value}) RETURN r
UNION MATCH (:Person {key: $value})<-[:RESOLVES_TO]-(r:Record) RETURN r
"""

ADDRESSES_CYPHER = """
UNWIND $records AS rk
MATCH (r:Record {key: rk})-[l:LIVES_AT]->(ad:Address)
RETURN r.key AS record, r.agency AS agency, ad.key AS address, ad.text AS text,
       ad.postcode AS postcode, ad.uprn AS uprn, l.from AS since, l.to AS until
"""

HOUSEHOLDS_CYPHER = """
UNWIND $records AS rk
MATCH (r:Record {key: rk})-[m:MEMBER_OF]->(h:Household)
RETURN DISTINCT h.key AS household, r.agency AS agency, m.role AS role, m.from AS since, m.to AS until
"""

RELATIVES_CYPHER = """
UNWIND $records AS rk
MATCH (r:Record {key: rk})-[rel:RELATED_TO]-(o:Record)
OPTIONAL MATCH (o)-[:RESOLVES_TO]->(op:Person)
RETURN r.key AS record, rel.type AS type, startNode(rel) = r AS outgoing, o.key AS other_record,
       o.given_name AS given_name, o.family_name AS family_name, o.dob AS dob, op.key AS person,
       op.display_name AS person_name
"""

COUNTS_CYPHER = """
OPTIONAL MATCH (r:Record)
WITH count(r) AS records
OPTIONAL MATCH (p:Person)
RETURN records, count(p) AS persons
"""

AGENCY_NAMES_CYPHER = """
MATCH (a:Agency)
RETURN a.key AS key, a.name AS name, a.kind AS kind
"""

# Other records sharing an address or household with a person's records.
NETWORK_LINKS_CYPHER = """
UNWIND $records AS rk
MATCH (r:Record {key: rk})-[l1:LIVES_AT|MEMBER_OF]->(hub)
WITH r, l1, hub
OPTIONAL MATCH (hub)<-[l2:LIVES_AT|MEMBER_OF]-(o:Record)
WHERE NOT o.key IN $records
WITH r, l1, hub, l2, o
OPTIONAL MATCH (o)-[:RESOLVES_TO]->(op:Person)
RETURN r.key AS record, type(l1) AS rel, hub, type(l2) AS rel2, o, op
LIMIT $limit
"""

# Find each incident by its key first: in one pattern FalkorDB 4.22 planned a scan of every
# Record (about 200 ms per incident at 100,000 people).
INCIDENT_LINKS_CYPHER = """
UNWIND $events AS ek
MATCH (ev:Incident {key: ek})
WITH ev
MATCH (ev)-[inv:INVOLVES]->(o:Record)
WHERE NOT o.key IN $records
OPTIONAL MATCH (o)-[:RESOLVES_TO]->(op:Person)
RETURN ev.key AS event, inv.role AS role, o, op
LIMIT $limit
"""

# -- values --------------------------------------------------------------------


@dataclass
class SearchHit:
    """One search result: a resolved person (with their matching records) or an unresolved record."""

    person: str | None
    display_name: str
    records: list[dict[str, Any]]
    score: float
    addresses: list[str] = field(default_factory=list)   # "text, postcode" of every record, newest first

    @property
    def target(self) -> tuple[str, str]:
        """(``person``|``record``, key) of the page this hit opens."""
        return ("person", self.person) if self.person else ("record", self.records[0]["key"])


@dataclass
class Profile:
    """Everything the person page shows."""

    key: str
    kind: str                       # person | record
    display_name: str
    dob: dt.date | None
    sex: str | None
    records: list[dict[str, Any]]
    identifiers: list[dict[str, Any]]
    addresses: list[dict[str, Any]]
    households: list[dict[str, Any]]
    relatives: list[dict[str, Any]]
    chronology: list[Event]
    gap: KnowledgeGap
    agencies: dict[str, str]
    name_evidence: str = ""         # why this name is shown (resolution's display-name choice)

    @property
    def record_keys(self) -> list[str]:
        return [r["key"] for r in self.records]

    def shown_person_keys(self) -> list[str]:
        """Everyone the page names, for the audit: the person (for a record page, the person it
        resolves to, else ``record:<key>``) and every relative (likewise)."""
        keys = {self.key} if self.kind == "person" else {r.get("person") or f"record:{r['key']}"
                                                         for r in self.records}
        keys.update(r["person"] or f"record:{r['other_record']}" for r in self.relatives)
        return sorted(keys)


@dataclass
class Network:
    """Nodes and edges for vis-network; ``truncated`` when the node limit was reached."""

    center: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    truncated: bool
    person_keys: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"center": self.center, "nodes": self.nodes, "edges": self.edges,
                "truncated": self.truncated}


# -- search ----------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_IDENTIFIER = re.compile(r"^(?=.*\d)[A-Za-z0-9/:\-]{2,}$")  # an identifier, record key or person key
IDENTIFIER_FIELDS = ("nhs_number", "upn", "pnc_id", "ni_number")


def search_people(store: GraphStore, text: str, limit: int = 25) -> list[SearchHit]:
    """Records whose names start with every word of ``text`` (or whose identifier equals it), grouped by person.

    Raises ``ValidationError`` for text with no letters or digits.
    """
    text = (text or "").strip()
    if _IDENTIFIER.match(text.replace(" ", "")):
        value = text.replace(" ", "")
        rows = store.read(RECORDS_BY_IDENTIFIER_CYPHER, {"value": value}).rows
        if rows:
            return _group_hits([(row[0], 1.0) for row in rows], store, limit)
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        raise ValidationError("search text needs at least one letter or digit",
                              hint="type part of a given or family name, or an identifier")
    # Each engine's full-text syntax treats spaces differently (AND vs OR), so
    # ask for any word as a prefix and keep the records that match every word.
    query = " ".join(f"{w}*" for w in words)
    result = store.search_names(query, "Record", max(limit * 8, 100))
    hits = []
    for node, score in result.rows:
        names = " ".join(str(node.props.get(p) or "") for p in ("given_name", "family_name")).lower()
        tokens = _WORD.findall(names)
        if all(any(t.startswith(w) for t in tokens) for w in words):
            hits.append((node, float(score or 0.0)))
    return _group_hits(hits, store, limit)


def _group_hits(hits: list[tuple[Node, float]], store: GraphStore, limit: int) -> list[SearchHit]:
    if not hits:
        return []
    keys = [n.key for n, _ in hits]
    persons = {row["record"]: row for row in store.read(RECORD_PERSONS_CYPHER, {"keys": keys})}
    grouped: dict[str, SearchHit] = {}
    for node, score in hits:
        info = persons.get(node.key) or {}
        person = info.get("person")
        group = person or f"record:{node.key}"
        rec = record_summary(node.props)
        if group not in grouped:
            grouped[group] = SearchHit(person, info.get("display_name") or _name(node.props), [], score)
        hit = grouped[group]
        if rec["key"] not in {r["key"] for r in hit.records}:
            hit.records.append(rec)
        hit.score = max(hit.score, score)
    ordered = sorted(grouped.values(), key=lambda h: (-h.score, h.display_name.lower()))[:limit]
    _add_addresses(store, ordered)
    return ordered


def _add_addresses(store: GraphStore, hits: list[SearchHit]) -> None:
    """Every address of every hit's records (Address nodes and record-held text), so a search
    result can be told apart by where the person was recorded."""
    by_record = {r["key"]: h for h in hits for r in h.records}
    rows = store.read(ADDRESSES_CYPHER, {"records": sorted(by_record)}).records() if by_record else []
    for hit in hits:
        mine = [row for row in rows if by_record.get(row["record"]) is hit]
        hit.addresses = [", ".join(str(v) for v in (a["text"], a["postcode"]) if v)
                         for a in _merge_addresses(mine, hit.records)]


def _name(props: dict[str, Any]) -> str:
    name = " ".join(str(props.get(p)) for p in ("given_name", "family_name") if props.get(p))
    return name or str(props.get("key") or "(no name)")


def record_summary(props: dict[str, Any]) -> dict[str, Any]:
    """What a page shows of one record: key, agency, name, birth, sex, identifiers, address."""
    return {"key": props.get("key"), "agency": props.get("agency"), "name": _name(props),
            "dob": props.get("dob"), "sex": props.get("sex"),
            "address": props.get("address"), "postcode": props.get("postcode"),
            **{f: props.get(f) for f in IDENTIFIER_FIELDS}}


# -- profiles -----------------------------------------------------------------------


def person_profile(store: GraphStore, key: str) -> Profile | None:
    """The profile of the person ``key``, or None when there is no such person."""
    row = store.read(PERSON_CYPHER, {"key": key}).rows
    if not row:
        return None
    person: Node = row[0][0]
    records = []
    for r in store.read(PERSON_RECORDS_CYPHER, {"key": key}):
        rec = record_summary(r["r"].props)
        rec.update(agency=r["agency"] or rec["agency"], agency_name=r["agency_name"],
                   probability=r["probability"], method=r["method"], evidence=r["evidence"])
        records.append(rec)
    p = person.props
    profile = _profile(store, key, "person", str(p.get("display_name") or key), p.get("dob"),
                       p.get("sex"), records)
    profile.name_evidence = str(p.get("display_name_evidence") or "")
    return profile


def record_profile(store: GraphStore, key: str) -> Profile | None:
    """The profile of one record (used before or without resolution), or None."""
    rows = store.read(RECORD_CYPHER, {"key": key}).records()
    if not rows:
        return None
    r = rows[0]
    rec = record_summary(r["r"].props)
    rec.update(agency=r["agency"] or rec["agency"], agency_name=r["agency_name"],
               probability=None, method=None, evidence=None, person=r["person"])
    return _profile(store, key, "record", rec["name"], rec["dob"], rec["sex"], [rec])


def _profile(store: GraphStore, key: str, kind: str, name: str, dob: Any, sex: Any,
             records: list[dict[str, Any]]) -> Profile:
    keys = [r["key"] for r in records]
    params = {"records": keys}
    identifiers = [{"type": f, "value": r[f], "agency": r["agency"], "record": r["key"]}
                   for r in records for f in IDENTIFIER_FIELDS if r.get(f)]
    addresses = _merge_addresses(store.read(ADDRESSES_CYPHER, params).records(), records)
    for rec in records:
        rec["evidence_summary"] = evidence_summary(rec.get("evidence"))
    households = store.read(HOUSEHOLDS_CYPHER, params).records()
    relatives = store.read(RELATIVES_CYPHER, params).records()
    chronology = chronology_for(store, keys)
    return Profile(key, kind, name, dob, sex, records, identifiers, addresses, households,
                   relatives, chronology, knowledge_gap(store, kind, key), agency_names(store))


def graph_counts(store: GraphStore) -> dict[str, int]:
    """How many records and persons the graph holds."""
    row = store.read(COUNTS_CYPHER).records()[0]
    return {"records": int(row["records"]), "persons": int(row["persons"])}


def _merge_addresses(rows: list[dict[str, Any]], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per address: the agencies that record it, the earliest 'from' and the latest 'to' given.

    ``rows`` are Address nodes the records live at; an address or postcode held only as a
    property of a record (the generic people format has no UPRN) is added when no Address
    node of the same postcode and text is there already (``address`` is None for it: no page)."""
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        a = merged.setdefault(row["address"], {**row, "agencies": [], "since": None, "until": None})
        if row["agency"] and row["agency"] not in a["agencies"]:
            a["agencies"].append(row["agency"])
        if isinstance(row["since"], dt.date) and (a["since"] is None or row["since"] < a["since"]):
            a["since"] = row["since"]
        if isinstance(row["until"], dt.date) and (a["until"] is None or row["until"] > a["until"]):
            a["until"] = row["until"]
    seen = {_address_text_key(a.get("text"), a.get("postcode")) for a in merged.values()}
    seen_postcodes = {_address_text_key(None, a.get("postcode")) for a in merged.values()}
    for rec in records:
        text_key = _address_text_key(rec.get("address"), rec.get("postcode"))
        if not (rec.get("address") or rec.get("postcode")) or text_key in seen or (
                not rec.get("address") and text_key in seen_postcodes):
            continue
        extra = merged.setdefault(f"record-held:{text_key}", {
            "address": None, "text": rec.get("address"), "postcode": rec.get("postcode"), "uprn": None,
            "agencies": [], "since": None, "until": None})
        if rec.get("agency") and rec["agency"] not in extra["agencies"]:
            extra["agencies"].append(rec["agency"])
    for a in merged.values():
        a["agencies"].sort()
    # Current and most recent first; addresses with no dates last.
    return sorted(merged.values(), key=lambda a: (a["since"] is not None, sortable_date(a["since"])), reverse=True)


def _address_text_key(text: Any, postcode: Any) -> str:
    return f"{' '.join(str(postcode or '').upper().split())}|{' '.join(str(text or '').lower().split())}"


def evidence_summary(evidence: Any) -> str:
    """The readable part of a link's evidence: its ``summary`` when it is JSON with one, else the text."""
    if isinstance(evidence, str) and evidence.lstrip().startswith("{"):
        try:
            doc = json.loads(evidence)
        except ValueError:
            return evidence
        if isinstance(doc, dict) and doc.get("summary"):
            return str(doc["summary"])
    if isinstance(evidence, dict) and evidence.get("summary"):
        return str(evidence["summary"])
    return "" if evidence is None else str(evidence)


def agency_names(store: GraphStore) -> dict[str, str]:
    """Agency key -> display name."""
    return {r["key"]: r["name"] or r["key"] for r in store.read(AGENCY_NAMES_CYPHER)}


def concern_label(code: str) -> str:
    """``3B`` -> ``domestic abuse (parent)``; unknown codes come back unchanged."""
    return ALL_CONCERNS.get(code, (code, ""))[0]


# -- networks -------------------------------------------------------------------------


def person_network(store: GraphStore, profile: Profile, limit: int = 250) -> Network:
    """The person (or record) at the centre, their records, agencies, events, concerns,
    addresses and households, and the other people linked through them; at most ``limit`` nodes."""
    net = _NetworkBuilder(limit)
    center = f"{profile.kind}:{profile.key}"
    net.node(center, profile.display_name, "person" if profile.kind == "person" else "record",
             f"{profile.display_name} ({profile.kind} {profile.key})")
    for rec in profile.records:
        rid = f"record:{rec['key']}"
        if profile.kind == "person":
            net.node(rid, f"{rec['agency']} record", "record", f"{rec['name']} - {rec['key']}")
            net.edge(rid, center, "RESOLVES_TO")
        if rec["agency"]:
            net.node(f"agency:{rec['agency']}", profile.agencies.get(rec["agency"], rec["agency"]), "agency")
            net.edge(rid, f"agency:{rec['agency']}", "HELD_BY")
    for ev in profile.chronology:
        eid = f"{ev.kind}:{ev.key}"
        when = ev.date.isoformat() if isinstance(ev.date, dt.date) else "no date"
        net.node(eid, f"{ev.kind} {when}", ev.kind, f"{ev.kind} {ev.key} {ev.detail}".strip())
        for rk in ev.records:
            net.edge(eid, f"record:{rk}", EVENT_KINDS[ev.kind].about)
        if ev.agency:
            net.node(f"agency:{ev.agency}", profile.agencies.get(ev.agency, ev.agency), "agency")
            net.edge(f"agency:{ev.agency}", eid, EVENT_KINDS[ev.kind].raised_by)
        for code in ev.concerns:
            net.node(f"concern:{code}", code, "concern", concern_label(code))
            net.edge(eid, f"concern:{code}", "RAISES")
    links = store.read(NETWORK_LINKS_CYPHER, {"records": profile.record_keys, "limit": limit * 4})
    for row in links:
        hub: Node = row["hub"]
        hub_kind = hub.labels[0].lower() if hub.labels else "node"
        hub_id = net.node(f"{hub_kind}:{hub.key}", _hub_label(hub), hub_kind, _hub_title(hub))
        net.edge(f"record:{row['record']}", hub_id, row["rel"])
        if row["o"] is not None:
            other = _other_id(net, row["o"], row["op"])
            net.edge(other, hub_id, row["rel2"])
    for rel in profile.relatives:
        if rel["person"] == profile.key and profile.kind == "person":
            continue
        name = " ".join(filter(None, [rel["given_name"], rel["family_name"]])) or rel["other_record"]
        other = _other_id(net, Node(rel["other_record"], ("Record",), {"key": rel["other_record"],
                          "given_name": rel["given_name"], "family_name": rel["family_name"]}),
                          Node(rel["person"], ("Person",), {"display_name": rel["person_name"] or name}) if rel["person"] else None)
        if rel["outgoing"]:
            net.edge(f"record:{rel['record']}", other, "RELATED_TO", rel["type"])
        else:
            net.edge(other, f"record:{rel['record']}", "RELATED_TO", rel["type"])
    incidents = [ev.key for ev in profile.chronology if ev.kind == "incident"]
    if incidents:
        for row in store.read(INCIDENT_LINKS_CYPHER, {"events": incidents, "records": profile.record_keys,
                                                      "limit": limit * 4}):
            other = _other_id(net, row["o"], row["op"])
            net.edge(f"incident:{row['event']}", other, EVENT_KINDS["incident"].about, row["role"])
    return Network(center, net.nodes, net.edges, net.truncated, sorted(net.person_keys))


def _other_id(net: "_NetworkBuilder", rec: Node, person: Node | None) -> str:
    if person is not None:
        name = str(person.props.get("display_name") or person.key)
        net.person_keys.add(str(person.key))
        return net.node(f"person:{person.key}", name, "person", f"{name} (person {person.key})")
    label = _name(rec.props)
    net.person_keys.add(f"record:{rec.key}")  # an unresolved record names someone too: audit it
    return net.node(f"record:{rec.key}", label, "record", f"{label} - {rec.key} (unresolved)")


def _hub_label(hub: Node) -> str:
    if "Address" in hub.labels:
        return str(hub.props.get("postcode") or hub.props.get("text") or hub.key)
    return f"{hub.labels[0] if hub.labels else 'node'} {hub.key}"


def _hub_title(hub: Node) -> str:
    if "Address" in hub.labels:
        return str(hub.props.get("text") or hub.key)
    return f"{hub.labels[0] if hub.labels else 'node'} {hub.key}"


class _NetworkBuilder:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self._ids: set[str] = set()
        self._edge_ids: set[tuple[str, str, str]] = set()
        self.truncated = False
        self.person_keys: set[str] = set()

    def node(self, node_id: str, label: str, group: str, title: str | None = None) -> str:
        if node_id not in self._ids:
            if len(self.nodes) >= self.limit:
                self.truncated = True
                return node_id
            self._ids.add(node_id)
            self.nodes.append({"id": node_id, "label": label, "group": group, "title": title or label})
        return node_id

    def edge(self, start: str, end: str, rel: str, role: str | None = None) -> None:
        if start not in self._ids or end not in self._ids or (start, end, rel) in self._edge_ids:
            return
        self._edge_ids.add((start, end, rel))
        label = f"{rel} ({role})" if role else rel
        self.edges.append({"from": start, "to": end, "label": label})
