"""The simulated world behind the synthetic extracts: what really happened.

Everything the generator writes is rendered from one :class:`World`: true
people, households over time, addresses, family relationships and *agency
events* (an incident, a contact, an episode...). Agency records (what each
agency holds about a person, with its data-quality defects) are derived from
the events when the world is finalised, and the extracts are rendered from
events + records. Ground truth (``truth/``) is the world itself.

Determinism
-----------
One seed drives everything. :meth:`World.stream` derives an independent
``random.Random`` per named purpose (``world.stream("population")``,
``world.stream("police")`` ...), seeded from ``f"{seed}:{name}"`` (string
seeds are hashed with SHA-512 by ``random``, independent of
``PYTHONHASHSEED``). Each stream is consumed in a fixed order, so the same
seed gives the same bytes, and adding draws to one stream does not shift the
others. Never use the module-level ``random`` functions, ``set`` iteration
order, ``hash()`` or the clock in the generator.

Time
----
Events fall in the window ``[world.start, world.end]`` (three financial years
by default, ``2022-04-01`` .. ``2025-03-31``); ``world.end`` is the extract
date ("as of"). Dates are ``datetime.date``. Intervals are ``[start, end)``
with ``end=None`` meaning "still, at the extract date".

How a pattern planter uses this (``ingest/synth/patterns.py``)
----------------------------------------------------------------
The generator builds the background population and its events, then calls
``patterns.plant(world, rng, rate)`` (if the module exists) with
``rng = world.stream("patterns")``, then finalises and writes. ``plant``
returns a list of JSON-serialisable dicts, written one per line (keys
sorted) to ``truth/patterns.jsonl``.

People, households, moves::

    la = 1
    addr = world.new_address(la)                       # fresh UPRN/postcode in la1
    mum = world.add_person("Katherine", "Holland", "F", date(1991, 11, 9))
    kid = world.add_person("Mia", "Holland", "F", date(2016, 6, 3), parents=[mum])
    hh = world.add_household(addr, date(2019, 5, 1), [(mum, "parent"), (kid, "child")])
    man = world.add_person("Dean", "Barker", "M", date(1988, 3, 21), pnc=True)
    world.join(man, hh, "partner", date(2024, 1, 10), declared=False)  # hidden from CSC
    world.relate(man, mum, "partner_of", date(2024, 1, 10))
    world.move(hh, world.new_address(2), date(2024, 6, 1))             # moves to la2
    world.leave(man, hh, date(2024, 9, 1))

``add_person`` assigns true identifiers (NHS number; UPN for school-age
children; PNC id if ``pnc=True``; NI number for adults). ``declared=False``
on a membership means the person lives there but is never disclosed to an
agency that records household composition (children's social care), which
is how an "invisible man" stays out of the CSC household. Background people
can be used too: ``world.people``, ``world.households``,
``world.household_of(p, d)``, ``world.address_of(p, d)``,
``world.members(hh, d)``, ``world.children_of(p)``; ``world.find(...)``
picks background people by predicate. Planted people are created after the
background events, so they have no background events unless you add them.

Agency events::

    inc = world.add_event("police_incident", "police", date(2024, 2, 14), "domestic_abuse",
                          [(mum, "victim"), (man, "perpetrator"), (kid, "witness")],
                          codes=["3B"], uprn=addr.uprn)
    ct = world.refer(inc, kid, "csc-la1", date(2024, 2, 15), factors=["3B"],
                     rag="AMBER", outcome="nfa")           # CSC contact, linked both ways
    world.share(inc, [kid], ["edu-la1"], date(2024, 2, 15))  # Operation Encompass
    ep = world.add_event("csc_episode", "csc-la1", date(2024, 3, 20), "cp_plan",
                         [(kid, "subject")], codes=["16A"], end=None, category="neglect")

``fmt`` is one of :data:`EVENT_FORMATS`; ``type`` is the format's type code
(``incident_type``, ``event_type``, episode ``kind``...) as listed in
``docs/data-dictionary.md``; extra keyword arguments become ``event.attrs``
(format-specific columns: ``rag``, ``outcome``, ``service``, ``injury``,
``end``, ``category``, ``order_type``...; see the writers for the names and
defaults). ``world.contact(...)`` makes a CSC contact with a chosen source
code and, when the source is an agency with its own extract, the
originating source event (``source_event=False`` to skip it);
``world.adult_concern(...)`` does the same for adult social care. Each
event's graph key is ``event.key`` (e.g. ``csc-la1:CT40213377``,
``police:INC24-0012877``), known as soon as the event exists.

Agency records and identity::

    world.record_key("police", man)        # key of the person's main police record
    alias = world.add_record("police", man, given="Deano", dob=date(1988, 1, 1))
    world.add_event(..., [(man, "perpetrator", alias)])   # use the alias record

Without an explicit record an involvement uses the person's main record in
that agency, created on first use with the agency's configured data-quality
defects (nicknames, typos, transposed/default DOB, missing identifiers,
stale address). ``add_record`` creates an extra record of the same true
person with exactly the details given (no random defects), which is how a
split identity is planted; ``defects=False`` on ``record_key`` /
``main_record`` gives a main record without random defects. Every record
lands in ``truth/records.csv`` as ``record_key,true_person_id``.

Ground truth for an instance: return a dict per planted instance or control
from ``plant``, e.g. ``{"pattern": "toxic-trio", "kind": "instance",
"household": hh.hid, "people": [mum.pid, ...], "records": [record keys],
"events": [event keys], "as_of": "2025-03-31"}``; true person ids are the
``Person`` keys that ``tests/truth_links.py`` creates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable, Iterable, Iterator, Sequence

from . import ids
from .config import SynthConfig

__all__ = [
    "World", "Person", "Address", "Household", "Membership", "Stay",
    "Relationship", "Involvement", "Event", "Record", "EVENT_FORMATS",
    "agency_key", "la_of_agency",
]

# Event formats and the agency kind that records each (see docs/data-dictionary.md).
EVENT_FORMATS: dict[str, str] = {
    "police_incident": "police",
    "csc_contact": "csc",
    "csc_episode": "csc",
    "health_event": "health",
    "education_event": "edu",
    "housing_event": "housing",
    "asc_concern": "asc",
    "probation_case": "probation",
}

# Prefix and digits of each format's local event id.
_EVENT_ID_SHAPE: dict[str, tuple[str, int]] = {
    "csc_contact": ("CT", 8),
    "csc_episode": ("E", 7),
    "health_event": ("HE", 8),
    "education_event": ("SE", 7),
    "housing_event": ("HX", 7),
    "asc_concern": ("SG", 7),
    "probation_case": ("S", 7),
}


def agency_key(kind: str, la: int | None = None) -> str:
    """``agency_key("csc", 2) == "csc-la2"``; police, health, probation take no ``la``."""
    if kind in ("police", "health", "probation"):
        return kind
    if la is None:
        raise ValueError(f"agency kind {kind!r} needs a local authority number")
    return f"{kind}-la{la}"


def la_of_agency(agency: str) -> int | None:
    """The authority number of an LA agency key (``"edu-la3"`` -> 3), else None."""
    _, sep, tail = agency.partition("-la")
    return int(tail) if sep else None


@dataclass(slots=True, eq=False)
class Person:
    pid: str
    given: str
    family: str
    sex: str                      # "M" or "F"
    dob: date
    nhs_number: str | None = None
    upn: str | None = None
    pnc_id: str | None = None
    ni_number: str | None = None
    twin_of: str | None = None
    doppelganger_of: str | None = None
    risk: float = 1.0             # multiplier on background event rates
    planted: bool = False         # created by the pattern planter
    memberships: list["Membership"] = field(default_factory=list, repr=False)

    def age(self, on: date) -> int:
        years = on.year - self.dob.year
        return years - ((on.month, on.day) < (self.dob.month, self.dob.day))


@dataclass(slots=True, eq=False)
class Address:
    uprn: int
    line: str                     # "12 Wren Close"
    town: str
    postcode: str
    la: int

    @property
    def text(self) -> str:
        return f"{self.line}, {self.town}"


@dataclass(slots=True, eq=False)
class Stay:
    address: Address
    start: date
    end: date | None = None


@dataclass(slots=True, eq=False)
class Membership:
    person: Person = field(repr=False)
    household: "Household" = field(repr=False)
    role: str                     # parent, child, partner, step_parent, grandparent, other_adult, adult
    start: date
    end: date | None = None
    declared: bool = True         # disclosed to agencies that record households (CSC)

    def active(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on < self.end)


@dataclass(slots=True, eq=False)
class Household:
    hid: str
    stays: list[Stay] = field(default_factory=list)
    members: list[Membership] = field(default_factory=list, repr=False)
    social_tenancy: bool = False
    risk: float = 1.0

    def address_on(self, on: date) -> Address | None:
        for stay in reversed(self.stays):
            if stay.start <= on and (stay.end is None or on < stay.end):
                return stay.address
        return None

    @property
    def current(self) -> Address | None:
        return self.stays[-1].address if self.stays and self.stays[-1].end is None else None


@dataclass(slots=True, eq=False)
class Relationship:
    a: Person
    b: Person
    type: str                     # parent_of (a is parent of b), sibling_of, partner_of
    start: date | None = None
    end: date | None = None


@dataclass(slots=True, eq=False)
class Record:
    """One agency's record of one true person, as the agency holds it."""
    agency: str
    local_id: str
    person: Person = field(repr=False)
    given: str
    family: str
    dob: date | None
    sex: str
    nhs_number: str | None = None
    upn: str | None = None
    pnc_id: str | None = None
    ni_number: str | None = None
    preferred_given: str | None = None   # education's preferred forename
    stale: bool = False                  # keeps showing the address before the last move
    defects: list[tuple[str, str]] = field(default_factory=list)  # (field, kind)

    @property
    def key(self) -> str:
        return f"{self.agency}:{self.local_id}"


@dataclass(slots=True, eq=False)
class Involvement:
    person: Person
    role: str
    record: Record | None = None         # None = the person's main record in the agency
    referral: "Event | None" = None      # contact/concern this row was referred as
    shared: bool = False                 # the event's share is about this person


@dataclass(slots=True, eq=False)
class Event:
    eid: str                             # local event id in the agency's extract
    fmt: str
    agency: str
    date: date
    type: str
    people: list[Involvement]
    codes: list[str] = field(default_factory=list)
    uprn: int | None = None              # where it happened (incidents, housing events)
    shared_with: list[str] = field(default_factory=list)
    shared_date: date | None = None
    source: "Event | None" = None        # contacts/concerns: the originating event
    attrs: dict[str, Any] = field(default_factory=dict)
    planted: bool = False

    @property
    def key(self) -> str:
        return f"{self.agency}:{self.eid}"


InvolvementSpec = "tuple[Person, str] | tuple[Person, str, Record] | Involvement"


class World:
    """The true state of the simulated area; see the module docstring."""

    def __init__(self, seed: int, authorities: int, config: SynthConfig) -> None:
        if authorities < 1:
            raise ValueError("authorities must be at least 1")
        self.seed = seed
        self.authorities = authorities
        self.config = config
        self.start: date = config.window_start
        self.end: date = config.window_end
        self.people: list[Person] = []
        self.households: list[Household] = []
        self.addresses: list[Address] = []
        self.relationships: list[Relationship] = []
        self.events: list[Event] = []
        self.records: dict[str, Record] = {}           # key -> record
        self._main: dict[tuple[str, str], Record] = {}  # (agency, pid) -> main record
        self._streams: dict[str, random.Random] = {}
        self._ids = ids.IdAllocator(self.stream("ids"))
        self._addr_seq: dict[int, int] = {}
        self._street_pool = ids.StreetNamer(self.stream("streets"), authorities)
        self._record_rng = self.stream("records")
        self._in_plant = False
        self._relations_by_person: dict[str, list[Relationship]] = {}

    # --- randomness -------------------------------------------------------------
    def stream(self, name: str) -> random.Random:
        """The random stream for one purpose; the same name returns the same object."""
        rng = self._streams.get(name)
        if rng is None:
            rng = self._streams[name] = random.Random(f"{self.seed}:{name}")
        return rng

    # --- agencies ---------------------------------------------------------------
    def agency_keys(self) -> list[str]:
        """Every agency in extract order."""
        keys = ["police", "health", "probation"]
        for kind in ("csc", "asc", "edu", "housing"):
            keys += [agency_key(kind, la) for la in range(1, self.authorities + 1)]
        return keys

    # --- people and places --------------------------------------------------------
    def add_person(self, given: str, family: str, sex: str, dob: date, *,
                   parents: Sequence[Person] = (), nhs: bool = True, pnc: bool = False,
                   upn: bool | None = None, ni: bool | None = None,
                   risk: float = 1.0) -> Person:
        """A new true person with true identifiers; ``parents`` adds ``parent_of`` links.

        ``upn=None`` gives a UPN to anyone of school age (4-18) at some point in the
        window; ``ni=None`` gives an NI number to anyone 16 or over at the window end.
        """
        if sex not in ("M", "F"):
            raise ValueError(f"sex must be 'M' or 'F', not {sex!r}")
        pid = f"P{len(self.people) + 1:07d}"
        person = Person(pid, given, family, sex, dob, risk=risk, planted=self._in_plant)
        if nhs:
            person.nhs_number = self._ids.nhs_number()
        if upn is None:
            upn = person.age(self.end) >= 4 and person.age(self.start) <= 18
        if upn:
            person.upn = self._ids.upn()
        if pnc:
            person.pnc_id = self._ids.pnc_id(self.stream("ids").randint(max(dob.year + 12, 1990), self.end.year))
        if ni is None:
            ni = person.age(self.end) >= 16
        if ni:
            person.ni_number = self._ids.ni_number()
        self.people.append(person)
        for parent in parents:
            self.relate(parent, person, "parent_of", dob)
        return person

    def give_pnc(self, person: Person, year: int | None = None) -> str:
        """Give ``person`` a PNC id (a criminal record) if they have none; returns it."""
        if person.pnc_id is None:
            year = year or self.stream("ids").randint(max(person.dob.year + 12, 1990), self.end.year)
            person.pnc_id = self._ids.pnc_id(year)
        return person.pnc_id

    def new_address(self, la: int) -> Address:
        """A fresh address (UPRN, street, postcode) in authority ``la``."""
        if not 1 <= la <= self.authorities:
            raise ValueError(f"authority {la} outside 1..{self.authorities}")
        seq = self._addr_seq.get(la, 0) + 1
        self._addr_seq[la] = seq
        line, town, postcode = self._street_pool.next_address(la)
        address = Address(ids.uprn(la, seq), line, town, postcode, la)
        self.addresses.append(address)
        return address

    def add_household(self, address: Address, start: date,
                      members: Iterable[tuple[Person, str]] = (), *,
                      social_tenancy: bool = False, risk: float = 1.0,
                      declared: bool = True) -> Household:
        """A household living at ``address`` from ``start``; members join on ``start``
        (or their date of birth if later)."""
        hh = Household(f"TH{len(self.households) + 1:07d}", social_tenancy=social_tenancy, risk=risk)
        hh.stays.append(Stay(address, start))
        self.households.append(hh)
        for person, role in members:
            self.join(person, hh, role, max(start, person.dob), declared=declared)
        return hh

    def join(self, person: Person, household: Household, role: str, on: date, *,
             declared: bool = True) -> Membership:
        """``person`` lives in ``household`` from ``on`` (ends any current membership)."""
        for m in person.memberships:
            if m.end is None and m.household is not household:
                m.end = on
        membership = Membership(person, household, role, on, None, declared)
        person.memberships.append(membership)
        household.members.append(membership)
        return membership

    def leave(self, person: Person, household: Household, on: date) -> None:
        """``person`` stops living in ``household`` on ``on``."""
        for m in person.memberships:
            if m.household is household and m.end is None:
                m.end = on

    def move(self, household: Household, address: Address, on: date) -> None:
        """The whole household moves to ``address`` on ``on``."""
        if household.stays and household.stays[-1].end is None:
            household.stays[-1].end = on
        household.stays.append(Stay(address, on))

    def relate(self, a: Person, b: Person, type: str, start: date | None = None,
               end: date | None = None) -> Relationship:
        """``a`` is ``type`` of ``b``: ``parent_of``, ``sibling_of`` or ``partner_of``."""
        if type not in ("parent_of", "sibling_of", "partner_of"):
            raise ValueError(f"unknown relationship type {type!r}")
        rel = Relationship(a, b, type, start, end)
        self.relationships.append(rel)
        self._relations_by_person.setdefault(a.pid, []).append(rel)
        self._relations_by_person.setdefault(b.pid, []).append(rel)
        return rel

    def end_relationship(self, a: Person, b: Person, type: str, on: date) -> None:
        for rel in self._relations_by_person.get(a.pid, []):
            if rel.type == type and rel.end is None and {rel.a.pid, rel.b.pid} == {a.pid, b.pid}:
                rel.end = on

    # --- queries on the true state ------------------------------------------------
    def membership_on(self, person: Person, on: date) -> Membership | None:
        for m in reversed(person.memberships):
            if m.active(on):
                return m
        return None

    def household_of(self, person: Person, on: date) -> Household | None:
        m = self.membership_on(person, on)
        return m.household if m else None

    def address_of(self, person: Person, on: date) -> Address | None:
        m = self.membership_on(person, on)
        if m is None:
            # Before their first membership (or after the last), people are where they first lived.
            if not person.memberships:
                return None
            m = person.memberships[0] if on < person.memberships[0].start else person.memberships[-1]
            return m.household.address_on(max(m.start, min(on, m.end - timedelta(days=1) if m.end else on)))
        return m.household.address_on(on)

    def previous_address(self, person: Person, on: date) -> Address | None:
        """The address ``person`` lived at before the one they lived at on ``on``."""
        current = self.address_of(person, on)
        best: Address | None = None
        for m in person.memberships:
            for stay in m.household.stays:
                if stay.start >= on or stay.address is current:
                    continue
                s_end = stay.end or on
                if s_end <= m.start or (m.end is not None and stay.start >= m.end):
                    continue
                best = stay.address
        return best

    def members(self, household: Household, on: date) -> list[Person]:
        return [m.person for m in household.members if m.active(on)]

    def relations(self, person: Person, type: str | None = None) -> list[Relationship]:
        return [r for r in self._relations_by_person.get(person.pid, []) if type is None or r.type == type]

    def children_of(self, person: Person) -> list[Person]:
        return [r.b for r in self.relations(person, "parent_of") if r.a is person]

    def parents_of(self, person: Person) -> list[Person]:
        return [r.a for r in self.relations(person, "parent_of") if r.b is person]

    def partner_of(self, person: Person, on: date) -> Person | None:
        for r in self.relations(person, "partner_of"):
            if (r.start is None or r.start <= on) and (r.end is None or on < r.end):
                return r.b if r.a is person else r.a
        return None

    def la_of(self, person: Person, on: date) -> int:
        address = self.address_of(person, on)
        return address.la if address else 1

    def find(self, predicate: Callable[[Person], bool], rng: random.Random, n: int = 1,
             background_only: bool = True) -> list[Person]:
        """Up to ``n`` people satisfying ``predicate``, in random order from ``rng``."""
        pool = [p for p in self.people if (not background_only or not p.planted) and predicate(p)]
        rng.shuffle(pool)
        return pool[:n]

    # --- agency events ----------------------------------------------------------
    def add_event(self, fmt: str, agency: str, on: date, type: str,
                  people: Iterable[Any], *, codes: Iterable[str] = (), uprn: int | None = None,
                  shared_with: Iterable[str] = (), shared_date: date | None = None,
                  eid: str | None = None, **attrs: Any) -> Event:
        """Record an agency event. ``people`` items are ``(person, role)``,
        ``(person, role, record)`` or :class:`Involvement`."""
        if fmt not in EVENT_FORMATS:
            raise ValueError(f"unknown event format {fmt!r}; one of {sorted(EVENT_FORMATS)}")
        involvements = [p if isinstance(p, Involvement) else Involvement(p[0], p[1], p[2] if len(p) > 2 else None)
                        for p in people]
        for inv in involvements:
            if inv.record is not None and inv.record.agency != agency:
                raise ValueError(f"record {inv.record.key} is not held by {agency}")
        event = Event(eid or self._event_id(fmt, on), fmt, agency, on, type, involvements,
                      list(codes), uprn, list(shared_with), shared_date, attrs=attrs,
                      planted=self._in_plant)
        if event.shared_with:
            for inv in involvements:
                inv.shared = True
            if event.shared_date is None:
                event.shared_date = on
        self.events.append(event)
        return event

    def share(self, event: Event, people: Sequence[Person], agencies: Sequence[str], on: date) -> None:
        """``event``'s recording agency told ``agencies`` about ``people`` on ``on``."""
        for a in agencies:
            if a not in event.shared_with:
                event.shared_with.append(a)
        event.shared_date = on
        pids = {p.pid for p in people}
        for inv in event.people:
            if inv.person.pid in pids:
                inv.shared = True

    def refer(self, source: Event, person: Person, to_agency: str, on: date, **contact: Any) -> Event:
        """``source``'s agency refers ``person`` to ``to_agency`` (a ``csc-*`` or ``asc-*``
        agency) on ``on``: creates the contact (``csc_contact``) or concern
        (``asc_concern``) with ``source_agency`` = the source's agency, linked both ways.
        Keyword arguments as for :meth:`contact` / :meth:`adult_concern`."""
        kind = to_agency.split("-")[0]
        if kind == "csc":
            ref = self.contact(person, on, agency=to_agency, source_agency=source.agency,
                               source_event=source, **contact)
        elif kind == "asc":
            ref = self.adult_concern(person, on, agency=to_agency, source_agency=source.agency,
                                     source_event=source, **contact)
        else:
            raise ValueError(f"referrals go to csc-* or asc-* agencies, not {to_agency!r}")
        for inv in source.people:
            if inv.person is person:
                inv.referral = ref
                break
        else:
            source.people.append(Involvement(person, "subject", None, ref))
        return ref

    def contact(self, child: Person, on: date, *, source_code: str, factors: Iterable[str] = (),
                rag: str = "GREEN", outcome: str = "nfa", agency: str | None = None,
                source_agency: str | None = None, source_event: Event | bool | None = True,
                decision_date: date | None = None, consent: str = "given",
                already_open: bool | None = None, shared_with: Iterable[str] = (),
                shared_date: date | None = None, record: Record | None = None,
                time: str | None = None) -> Event:
        """A children's social care contact about ``child``.

        ``agency`` defaults to the CSC of the authority the child lives in on ``on``;
        ``source_agency`` defaults from ``source_code`` (police for ``6``, schools of the
        child's authority for ``2A``/``2B`` ...). ``source_event=True`` also creates the
        originating event in the source agency's extract (a police incident, health
        concern, school concern, housing event) with matching type and codes;
        pass an :class:`Event` to link an existing one, ``False`` for none.
        ``already_open=None`` lets the writer derive it from open CSC episodes.
        """
        from . import activity  # local import: activity builds on this module

        la = self.la_of(child, on)
        agency = agency or agency_key("csc", la)
        factors = list(factors)
        if source_agency is None:
            source_agency = activity.source_agency_for(source_code, la_of_agency(agency) or la)
        ev = self.add_event("csc_contact", agency, on, "contact", [Involvement(child, "subject", record)],
                            codes=factors, shared_with=shared_with, shared_date=shared_date,
                            source_code=source_code, source_agency=source_agency, rag=rag,
                            outcome=outcome, decision_date=decision_date or activity.next_working_day(on),
                            consent=consent, already_open=already_open, time=time)
        if isinstance(source_event, Event):
            ev.source = source_event
            for inv in source_event.people:
                if inv.person is child:
                    inv.referral = ev
                    break
            else:
                source_event.people.append(Involvement(child, "subject", None, ev))
        elif source_event and source_agency:
            ev.source = activity.make_source_event(self, ev, child, source_agency, factors)
        return ev

    def adult_concern(self, adult: Person, on: date, *, risks: Iterable[str],
                      outcome: str = "nfa", agency: str | None = None,
                      source_agency: str | None = None, source_event: Event | bool | None = False,
                      risk_location: str = "own_home", s42: bool | None = None,
                      enquiry_end: date | None = None, decision_date: date | None = None,
                      shared_with: Iterable[str] = (), shared_date: date | None = None,
                      record: Record | None = None) -> Event:
        """An adult social care safeguarding concern about ``adult`` (risk types ``ASC-...``).

        ``s42=None`` means a section 42 enquiry iff ``outcome == "s42_enquiry"``.
        """
        from . import activity

        la = self.la_of(adult, on)
        agency = agency or agency_key("asc", la)
        ev = self.add_event("asc_concern", agency, on, "concern", [Involvement(adult, "adult_at_risk", record)],
                            codes=list(risks), shared_with=shared_with, shared_date=shared_date,
                            source_agency=source_agency, risk_location=risk_location, outcome=outcome,
                            decision_date=decision_date or activity.next_working_day(on),
                            s42=(outcome == "s42_enquiry") if s42 is None else s42,
                            enquiry_end=enquiry_end)
        if isinstance(source_event, Event):
            ev.source = source_event
            for inv in source_event.people:
                if inv.person is adult:
                    inv.referral = ev
                    break
            else:
                source_event.people.append(Involvement(adult, "subject", None, ev))
        elif source_event and source_agency:
            ev.source = activity.make_source_event(self, ev, adult, source_agency, list(risks))
        return ev

    def _event_id(self, fmt: str, on: date) -> str:
        if fmt == "police_incident":
            return self._ids.unique("police_incident", lambda r: f"INC{on.year % 100:02d}-{int(r.random() * 1e7):07d}")
        prefix, digits = _EVENT_ID_SHAPE[fmt]
        return self._ids.unique(fmt, lambda r: f"{prefix}{int(r.random() * 10**digits):0{digits}d}")

    # --- agency records ---------------------------------------------------------
    def main_record(self, agency: str, person: Person, *, defects: bool = True) -> Record:
        """The person's main record in ``agency``, created (with data-quality defects
        unless ``defects=False``) on first use."""
        rec = self._main.get((agency, person.pid))
        if rec is None:
            from . import records

            rec = records.new_record(self, agency, person, self._record_rng, defects=defects)
            self._main[(agency, person.pid)] = rec
            self.records[rec.key] = rec
        return rec

    def record_key(self, agency: str, person: Person, *, defects: bool = True) -> str:
        return self.main_record(agency, person, defects=defects).key

    def add_record(self, agency: str, person: Person, *, given: str | None = None,
                   family: str | None = None, dob: date | None | bool = True, sex: str | None = None,
                   nhs_number: str | None | bool = False, upn: str | None | bool = None,
                   pnc_id: str | None | bool = False, ni_number: str | None | bool = False,
                   local_id: str | None = None, stale: bool = False) -> Record:
        """An extra record of ``person`` in ``agency`` with exactly these details.

        Names default to the true ones; ``dob=True`` keeps the true DOB, ``None`` leaves
        it blank; identifiers: ``True`` = the true one, ``False``/``None`` = blank, a
        string = that value. For education the local id is the UPN: ``upn=None``
        allocates a new temporary UPN.
        """
        from . import records

        def pick(value: Any, true_value: Any) -> Any:
            if value is True:
                return true_value
            return value or None

        rec = records.explicit_record(
            self, agency, person, given=given or person.given, family=family or person.family,
            dob=person.dob if dob is True else (dob or None), sex=sex or person.sex,
            nhs_number=pick(nhs_number, person.nhs_number), upn=pick(upn, person.upn),
            pnc_id=pick(pnc_id, person.pnc_id), ni_number=pick(ni_number, person.ni_number),
            local_id=local_id, stale=stale)
        if rec.key in self.records:
            raise ValueError(f"record key {rec.key} already exists")
        self.records[rec.key] = rec
        self._main.setdefault((agency, person.pid), rec)
        return rec

    def record_for(self, event: Event, inv: Involvement) -> Record:
        """The record an involvement is written under (its pinned record or the main one)."""
        if inv.record is None:
            inv.record = self.main_record(event.agency, inv.person)
        return inv.record

    def finalise(self) -> None:
        """Create every record the events use, in event order (deterministic)."""
        self.events.sort(key=lambda e: (e.date, e.agency, e.eid))
        for event in self.events:
            for inv in event.people:
                self.record_for(event, inv)

    # --- planting context -------------------------------------------------------
    def planting(self) -> "_Planting":
        """Context manager marking people/events created inside it as planted."""
        return _Planting(self)

    def iter_events(self, fmt: str | None = None, agency: str | None = None) -> Iterator[Event]:
        for e in self.events:
            if (fmt is None or e.fmt == fmt) and (agency is None or e.agency == agency):
                yield e


class _Planting:
    def __init__(self, world: World) -> None:
        self.world = world

    def __enter__(self) -> World:
        self.world._in_plant = True
        return self.world

    def __exit__(self, *exc: object) -> None:
        self.world._in_plant = False
