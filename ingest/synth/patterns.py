"""Plant the 13 safeguarding patterns of DOMAIN.md, and their near-miss controls.

``generate()`` calls :func:`plant` inside ``world.planting()`` after the
background activity exists and before records are finalised. Each planted
*instance* is a small, fresh cast (new people, new addresses) whose events make
the pattern true in the extracts; each *control* is built the same way but
changes one thing so that the pattern is NOT true (docs/patterns.md lists them).
Planted people get main records without random data-quality defects (no stale
address, so their address links are what the story says); split-identity
plants its own deliberately defective records.

``plant`` returns one JSON-serialisable dict per instance or control; the
generator writes them to ``truth/patterns.jsonl``. The ``match`` field is what
a test compares with the pattern query's rows: a row matches when, for every
``column: value`` in ``match``, the row's column equals the value, or is a
list containing it. Person values are true person ids (the ``Person`` keys
``tests/truth_links.py`` creates), addresses are UPRNs as text (``Address.key``).

Rate: each pattern gets ``max(1, round(rate * background_people / 2000))``
instances, and every instance comes with one of each of the pattern's
controls. All dates count back from the extract date ``world.end``; the
world window must span at least three years (the default does).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, Callable, Iterable

from .names import NamePicker, nickname_of, typo
from .world import Address, Event, Household, Person, World, agency_key

__all__ = ["plant", "PATTERNS", "CONTROLS"]

# Pattern slug -> the controls planted with each instance (see docs/patterns.md).
CONTROLS: dict[str, tuple[str, ...]] = {
    "toxic-trio": ("one-agency-knows-all", "spread-over-years"),
    "jigsaw": ("one-agency-made-two", "contacts-shared"),
    "cumulative-harm": ("three-low-level", "low-level-spread-out"),
    "invisible-man": ("man-known-to-social-care", "child-over-one"),
    "new-unknown-adult": ("moved-in-long-before", "adult-known-to-social-care"),
    "split-identity": ("shared-nhs-number", "same-dob"),
    "exploitation-hub": ("too-few-people", "no-missing-or-exploitation"),
    "missing-then-exploited": ("missing-spread-out", "signs-after-concern"),
    "peer-exploitation-network": ("two-children", "different-adults"),
    "think-family-gap": ("child-referred", "child-is-adult"),
    "serial-perpetrator": ("same-victim", "same-address"),
    "sibling-blind-spot": ("sibling-known", "sibling-is-adult"),
    "siloed-concern": ("shared-with-agency",),
}
PATTERNS: tuple[str, ...] = tuple(CONTROLS)

_MIN_WINDOW_DAYS = 1050


class _Planter:
    """Helpers shared by the pattern stories: people, families, tenancies, events."""

    def __init__(self, world: World, rng: random.Random) -> None:
        if (world.end - world.start).days < _MIN_WINDOW_DAYS:
            raise ValueError(f"pattern planting needs a window of at least {_MIN_WINDOW_DAYS} days, "
                             f"got {world.start}..{world.end}")
        self.w = world
        self.rng = rng
        self.names = NamePicker()
        self.end = world.end
        self.out: list[dict[str, Any]] = []
        self._tenancy_refs = {str(e.attrs.get("tenancy_ref")) for e in world.events if e.attrs.get("tenancy_ref")}

    # --- time ------------------------------------------------------------------------------
    def ago(self, days: int) -> date:
        """The date ``days`` before the extract date."""
        on = self.end - timedelta(days=days)
        if on < self.w.start:
            raise ValueError(f"planted date {on} falls before the window start {self.w.start}")
        return on

    def past(self, days: int) -> date:
        """``days`` before the extract date, possibly before the window (where people lived)."""
        return self.end - timedelta(days=days)

    def dob(self, age: int, on: date | None = None) -> date:
        """A date of birth for someone aged ``age`` (whole years) on ``on`` (default: extract date)."""
        on = on or self.end
        latest = date(on.year - age, on.month, min(on.day, 28))
        return latest - timedelta(days=self.rng.randrange(300))

    # --- people and places ---------------------------------------------------------------------
    def la(self) -> int:
        return self.rng.randint(1, self.w.authorities)

    def person(self, sex: str, dob: date, family: str | None = None, *, parents: Iterable[Person] = (),
               pnc: bool = False) -> Person:
        return self.w.add_person(self.names.given(self.rng, sex), family or self.names.family(self.rng), sex, dob,
                                 parents=list(parents), pnc=pnc)

    def adult(self, sex: str, age: int, family: str | None = None, *, pnc: bool = False) -> Person:
        return self.person(sex, self.dob(age), family, pnc=pnc)

    def child(self, age: int, parents: Iterable[Person], family: str, sex: str | None = None,
              on: date | None = None) -> Person:
        return self.person(sex or self.rng.choice("MF"), self.dob(age, on), family, parents=parents)

    def home(self, la: int, members: Iterable[tuple[Person, str]], since: date | None = None) -> Household:
        """A household at a fresh address in ``la``, living there since ``since`` (default: 8 years ago)."""
        start = since or date(self.end.year - 8, 1, 15)
        return self.w.add_household(self.w.new_address(la), start, list(members))

    def family(self, la: int, mother_age: int, kid_ages: Iterable[int], *, father_age: int | None = None,
               since: date | None = None) -> tuple[Household, Person, Person | None, list[Person]]:
        """Mother (and father), children of the given ages at the extract date, at a fresh address."""
        surname = self.names.family(self.rng)
        mum = self.adult("F", mother_age, surname)
        dad = self.adult("M", father_age, surname) if father_age else None
        parents = [mum] + ([dad] if dad else [])
        kids = [self.child(age, parents, surname) for age in kid_ages]
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                self.w.relate(a, b, "sibling_of", max(a.dob, b.dob))
        if dad:
            self.w.relate(mum, dad, "partner_of", since)
        members = [(mum, "parent")] + ([(dad, "parent")] if dad else []) + [(k, "child") for k in kids]
        return self.home(la, members, since), mum, dad, kids

    def clean(self, agency: str, *people: Person) -> None:
        """Give ``people`` main records in ``agency`` without random defects (before any event uses them)."""
        for p in people:
            self.w.main_record(agency, p, defects=False)

    def tenancy(self, hh: Household, on: date, people: list[tuple[Person, str]], end: date | None = None) -> Event:
        """A housing tenancy at the household's address starting ``on``."""
        address = hh.address_on(on) or hh.stays[-1].address
        agency = agency_key("housing", address.la)
        self.clean(agency, *(p for p, _ in people))
        while True:
            ref = f"T{self.rng.randrange(10**6):06d}"
            if ref not in self._tenancy_refs:
                self._tenancy_refs.add(ref)
                break
        return self.w.add_event("housing_event", agency, on, "tenancy", people, uprn=address.uprn,
                                tenancy_ref=ref, tenancy_start=on, tenancy_end=end)

    # --- events ------------------------------------------------------------------------------
    def police(self, on: date, inc_type: str, people: list[tuple[Person, str]], codes: Iterable[str] = (),
               where: Address | None = None, **attrs: Any) -> Event:
        self.clean("police", *(p for p, _ in people))
        uprn = where.uprn if where else None
        return self.w.add_event("police_incident", "police", on, inc_type, people, codes=list(codes), uprn=uprn,
                                time=f"{self.rng.randrange(24):02d}:{self.rng.randrange(60):02d}", **attrs)

    def health(self, on: date, who: Person, codes: Iterable[str] = (), *, event_type: str = "health_concern",
               service: str = "gp", **attrs: Any) -> Event:
        self.clean("health", who)
        return self.w.add_event("health_event", "health", on, event_type, [(who, "patient")], codes=list(codes),
                                service=service, **attrs)

    def school(self, on: date, pupil: Person, event_type: str, codes: Iterable[str] = (), **attrs: Any) -> Event:
        agency = agency_key("edu", self.w.la_of(pupil, on))
        self.clean(agency, pupil)
        return self.w.add_event("education_event", agency, on, event_type, [(pupil, "pupil")], codes=list(codes),
                                **attrs)

    def contact(self, child: Person, on: date, source_code: str, *, factors: Iterable[str] = (),
                rag: str = "GREEN", outcome: str = "nfa", source_event: Event | bool = False,
                shared_with: Iterable[str] = ()) -> Event:
        """A CSC contact; with ``source_event=False`` the source agency still MADE it (no originating event)."""
        agency = agency_key("csc", self.w.la_of(child, on))
        hh = self.w.household_of(child, on)
        self.clean(agency, *(self.w.members(hh, on) if hh else [child]))
        shared = list(shared_with)
        return self.w.contact(child, on, source_code=source_code, factors=list(factors), rag=rag, outcome=outcome,
                              source_event=source_event, shared_with=shared,
                              shared_date=on + timedelta(days=1) if shared else None)

    def refer(self, source: Event, child: Person, on: date, source_code: str, factors: Iterable[str],
              rag: str = "AMBER", outcome: str = "nfa") -> Event:
        """``source``'s agency refers ``child`` to the children's social care of their authority."""
        agency = agency_key("csc", self.w.la_of(child, on))
        hh = self.w.household_of(child, on)
        self.clean(agency, *(self.w.members(hh, on) if hh else [child]))
        return self.w.refer(source, child, agency, on, source_code=source_code, factors=list(factors), rag=rag,
                            outcome=outcome)

    def adult_concern(self, adult: Person, on: date, risks: Iterable[str], outcome: str = "nfa") -> Event:
        self.clean(agency_key("asc", self.w.la_of(adult, on)), adult)
        return self.w.adult_concern(adult, on, risks=list(risks), outcome=outcome)

    def plan(self, child: Person, on: date, referral: Event, codes: Iterable[str], category: str) -> Event:
        agency = referral.agency
        return self.w.add_event("csc_episode", agency, on, "cp_plan", [(child, "subject")], codes=list(codes),
                                end=None, category=category, referral=referral)

    # --- ground truth ------------------------------------------------------------------------
    def truth(self, pattern: str, kind: str, control: str | None, match: dict[str, str], *,
              people: Iterable[Person], events: Iterable[Event] = (), households: Iterable[Household] = (),
              addresses: Iterable[Address] = (), records: Iterable[str] = (), story: str) -> None:
        self.out.append({
            "pattern": pattern, "kind": kind, "control": control, "match": match,
            "people": [p.pid for p in people], "households": [h.hid for h in households],
            "addresses": [str(a.uprn) for a in addresses], "events": [e.key for e in events],
            "records": list(records), "as_of": self.end.isoformat(), "story": story,
        })


# --- the stories -----------------------------------------------------------------------------

def _toxic_trio(p: _Planter) -> None:
    def household(control: str | None) -> None:
        la = p.la()
        hh, mum, dad, (kid,) = p.family(la, 31, [6], father_age=34)
        if control == "spread-over-years":
            t_da, t_mh, t_sub = p.ago(1000), p.ago(560), p.ago(120)
        else:
            t_da = p.ago(300 + p.rng.randrange(60))
            t_mh, t_sub = t_da + timedelta(days=90), t_da + timedelta(days=180)
        da = p.police(t_da, "domestic_abuse", [(mum, "victim"), (dad, "perpetrator"), (kid, "witness")], ["3B"],
                      where=hh.address_on(t_da))
        ref = p.refer(da, kid, t_da + timedelta(days=1), "6", ["3B"])
        mh = p.health(t_mh, mum, ["4B"])
        sub = p.school(t_sub, kid, "school_concern", ["2B"])
        events = [da, ref, mh, sub]
        if control == "one-agency-knows-all":
            events.append(p.refer(mh, kid, t_mh + timedelta(days=1), "3A", ["4B"]))
            events.append(p.refer(sub, kid, t_sub + timedelta(days=1), "2A", ["2B"]))
            story = ("police (3B), GP (4B) and school (2B) concerns within 6 months, each referred to "
                     "children's social care, which therefore knows all three")
        elif control == "spread-over-years":
            story = "police 3B, GP 4B and school 2B concerns spread over 2.4 years: never all three within 12 months"
        else:
            story = ("police domestic abuse incident (3B, referred to CSC), GP concern about the mother's mental "
                     "health (4B), school concern about parental drug use (2B), within 6 months; no agency "
                     "knows more than one")
        p.truth("toxic-trio", "control" if control else "instance", control, {"people": mum.pid},
                people=[mum, dad, kid], events=events, households=[hh], addresses=[hh.stays[-1].address],
                story=story)

    household(None)
    for control in CONTROLS["toxic-trio"]:
        household(control)


def _jigsaw(p: _Planter) -> None:
    def child(control: str | None) -> None:
        hh, mum, _, (kid,) = p.family(p.la(), 35, [9])
        t0 = p.ago(200 + p.rng.randrange(60))
        sources = ["6", "6", "2A", "3A"] if control == "one-agency-made-two" else ["6", "2A", "3A", "4"]
        dates = [t0 + timedelta(days=d) for d in (0, 40, 80, 130)]
        la = p.w.la_of(kid, t0)
        everyone = ["police", agency_key("edu", la), "health", agency_key("housing", la)]
        events = []
        for code, on in zip(sources, dates):
            own = {"6": "police", "2A": agency_key("edu", la), "3A": "health", "4": agency_key("housing", la)}[code]
            shared = [a for a in everyone if a != own] if control == "contacts-shared" else []
            events.append(p.contact(kid, on, code, rag="GREEN", outcome=p.rng.choice(("nfa", "advice_signpost")),
                                    shared_with=shared))
        story = {
            None: "4 contacts in 130 days from police, school, GP and housing, all NFA/signposted, none shared",
            "one-agency-made-two": "4 NFA contacts in 130 days but police made two of them",
            "contacts-shared": "4 NFA contacts in 130 days from 4 agencies, each shared with the other three",
        }[control]
        p.truth("jigsaw", "control" if control else "instance", control, {"person": kid.pid},
                people=[kid, mum], events=events, households=[hh], story=story)

    child(None)
    for control in CONTROLS["jigsaw"]:
        child(control)


def _cumulative_harm(p: _Planter) -> None:
    def child(control: str | None) -> None:
        hh, mum, _, (kid,) = p.family(p.la(), 29, [7])
        if control == "low-level-spread-out":
            red_at = p.ago(100)
            lows = [p.ago(d) for d in (1000, 800, 600, 300)]
        else:
            red_at = p.ago(150 + p.rng.randrange(30))
            offsets = (250, 180, 110, 50) if control is None else (250, 150, 50)
            lows = [red_at - timedelta(days=d) for d in offsets]
        events = [p.contact(kid, on, p.rng.choice(("6", "2A", "3A", "1A", "8")), rag="GREEN",
                            outcome=p.rng.choice(("nfa", "advice_signpost"))) for on in lows]
        events.append(p.contact(kid, red_at, "6", factors=["16A"], rag="RED", outcome="s47_strategy"))
        story = {
            None: "4 green/NFA contacts in the 9 months before a red contact raising neglect (16A)",
            "three-low-level": "only 3 green/NFA contacts before the red neglect contact",
            "low-level-spread-out": "4 green/NFA contacts, but only one in the 12 months before the red contact",
        }[control]
        p.truth("cumulative-harm", "control" if control else "instance", control, {"person": kid.pid},
                people=[kid, mum], events=events, households=[hh], story=story)

    child(None)
    for control in CONTROLS["cumulative-harm"]:
        child(control)


def _invisible_man(p: _Planter) -> None:
    def baby(control: str | None) -> None:
        la = p.la()
        injured_at = p.ago(60 + p.rng.randrange(30))
        surname = p.names.family(p.rng)
        mum = p.adult("F", 23, surname)
        age_days = 3 * 365 + 100 if control == "child-over-one" else 150
        kid = p.person(p.rng.choice("MF"), injured_at - timedelta(days=age_days), surname, parents=[mum])
        hh = p.home(la, [(mum, "parent"), (kid, "child")], since=p.ago(900))
        man = p.adult("M", 27, pnc=True)
        moved_in = p.ago(300)
        p.w.join(man, hh, "partner", moved_in, declared=(control == "man-known-to-social-care"))
        p.w.relate(man, mum, "partner_of", moved_in)
        ten = p.tenancy(hh, moved_in, [(mum, "lead_tenant"), (man, "joint_tenant")])
        ct = p.contact(kid, p.ago(120), "3B", rag="GREEN", outcome="advice_signpost")
        injury = p.health(injured_at, kid, ["18C"], event_type="ae_attendance", service="ae", injury=True)
        story = {
            None: "baby injured at 5 months (A&E, 18C); mother's new partner is a joint tenant (housing) "
                  "but never disclosed to children's social care",
            "man-known-to-social-care": "same, but the partner is recorded in the CSC household",
            "child-over-one": "undisclosed partner, but the injured child is over 3",
        }[control]
        p.truth("invisible-man", "control" if control else "instance", control,
                {"person": kid.pid, "man": man.pid}, people=[kid, mum, man], events=[ten, ct, injury],
                households=[hh], addresses=[hh.stays[-1].address], story=story)

    baby(None)
    for control in CONTROLS["invisible-man"]:
        baby(control)


def _new_unknown_adult(p: _Planter) -> None:
    def child(control: str | None) -> None:
        la = p.la()
        hh, mum, _, (kid,) = p.family(la, 30, [8], since=p.ago(1080))
        escalated_at = p.ago(80 + p.rng.randrange(30))
        moved_in = escalated_at - timedelta(days=210 if control == "moved-in-long-before" else 55)
        first = p.tenancy(hh, p.ago(1080), [(mum, "lead_tenant"), (kid, "household_member")], end=moved_in)
        man = p.adult("M", 33, pnc=True)
        p.home(la, [(man, "adult")], since=p.ago(1080))
        victim = p.adult("M", 30)
        p.home(la, [(victim, "adult")], since=p.ago(1080))
        violence = p.police(p.ago(700), "violence", [(victim, "victim"), (man, "perpetrator")],
                            where=victim.memberships[0].household.stays[0].address)
        p.w.join(man, hh, "partner", moved_in, declared=(control == "adult-known-to-social-care"))
        p.w.relate(man, mum, "partner_of", moved_in)
        second = p.tenancy(hh, moved_in, [(mum, "lead_tenant"), (man, "joint_tenant"), (kid, "household_member")])
        red = p.contact(kid, escalated_at, "6", factors=["18C"], rag="RED", outcome="s47_strategy")
        story = {
            None: "mother's new partner (police record for violence, no social care record) joins the tenancy "
                  "55 days before a red contact about the child",
            "moved-in-long-before": "same partner, but he moved in 210 days before the red contact",
            "adult-known-to-social-care": "same, but the partner is recorded in the CSC household",
        }[control]
        p.truth("new-unknown-adult", "control" if control else "instance", control,
                {"person": kid.pid, "adult": man.pid}, people=[kid, mum, man],
                events=[first, violence, second, red], households=[hh], addresses=[hh.stays[-1].address],
                story=story)

    child(None)
    for control in CONTROLS["new-unknown-adult"]:
        child(control)


def _split_identity(p: _Planter) -> None:
    def variant(given: str) -> str:
        for _ in range(10):
            v = nickname_of(given, p.rng) or typo(given, p.rng)
            if v.lower() != given.lower():
                return v
        return given + "e"

    def person(control: str | None) -> None:
        la = p.la()
        month = p.rng.randint(1, 12)
        day = p.rng.choice([d for d in range(2, 13) if d != month])
        year = p.end.year - p.rng.randint(25, 50)
        true_dob = date(year, month, day)
        surname = p.names.family(p.rng)
        who = p.person("F", true_dob, surname)
        p.home(la, [(who, "adult")], since=p.ago(1080))
        name = variant(who.given)
        if control == "same-dob":
            odd_dob, how = true_dob, "the same date of birth"
        elif p.rng.random() < 0.5:
            odd_dob, how = date(year, day, month), "day and month swapped"
        else:
            odd_dob, how = date(year, 1, 1), "a default 1 January"
        gp = p.w.add_record("health", who, nhs_number=True)
        events = [p.w.add_event("health_event", "health", p.ago(400), "health_concern", [(who, "patient", gp)],
                                service="gp")]
        if control == "shared-nhs-number":
            agency = agency_key("asc", la)
            other = p.w.add_record(agency, who, given=name, dob=odd_dob, nhs_number=True)
            events.append(p.w.adult_concern(who, p.ago(200), risks=["ASC-SELF-NEGLECT"], agency=agency,
                                            record=other))
            story = f"GP record and an adult social care record as '{name}' with {how}, both with the NHS number"
        else:
            other = p.w.add_record("police", who, given=name, dob=odd_dob)
            events.append(p.w.add_event("police_incident", "police", p.ago(200), "asb", [(who, "witness", other)],
                                        uprn=who.memberships[0].household.stays[0].address.uprn))
            story = f"GP record (NHS number) and a police record as '{name}' with {how}, no shared identifier"
        p.truth("split-identity", "control" if control else "instance", control, {"person": who.pid},
                people=[who], events=events, records=[gp.key, other.key], story=story)

    person(None)
    for control in CONTROLS["split-identity"]:
        person(control)


def _exploitation_hub(p: _Planter) -> None:
    def visitors(la: int, adults: int, kids: int) -> tuple[list[Person], list[Person]]:
        grown = []
        for _ in range(adults):
            a = p.adult("M", p.rng.randint(19, 30), pnc=True)
            p.home(la, [(a, "adult")], since=p.ago(1080))
            grown.append(a)
        young = []
        for _ in range(kids):
            _, _, _, (k,) = p.family(la, p.rng.randint(34, 45), [p.rng.randint(14, 16)])
            young.append(k)
        return grown, young

    def address(control: str | None) -> None:
        la = p.la()
        resident = p.adult(p.rng.choice("MF"), p.rng.randint(40, 60))
        hh = p.home(la, [(resident, "adult")], since=p.past(2000))
        place = hh.stays[0].address
        ten = p.tenancy(hh, p.ago(1000), [(resident, "lead_tenant")])
        asc = p.adult_concern(resident, p.ago(250), ["ASC-FINANCIAL", "ASC-SELF-NEGLECT"])
        t0 = p.ago(220 + p.rng.randrange(30))
        events = [ten, asc]
        if control == "too-few-people":
            (a1, a2), (k1,) = visitors(la, 2, 1)
            events += [p.police(t0, "drugs", [(a1, "suspect"), (a2, "suspect"), (resident, "witness")], where=place),
                       p.police(t0 + timedelta(days=20), "missing_episode", [(k1, "missing_person")], ["10A"], place),
                       p.police(t0 + timedelta(days=60), "cce_intel", [(k1, "victim"), (a1, "suspect")], ["24A"],
                                place)]
            cast, story = [a1, a2, k1], "drugs, missing and CCE at the address but only 3 people involved"
        elif control == "no-missing-or-exploitation":
            grown, _ = visitors(la, 6, 0)
            events += [p.police(t0, "drugs", [(grown[0], "suspect"), (grown[1], "suspect"), (resident, "witness")],
                                where=place),
                       p.police(t0 + timedelta(days=40), "asb", [(g, "suspect") for g in grown[2:]], where=place)]
            cast, story = grown, "drugs and 6 visitors at the address, but no missing or exploitation concerns"
        else:
            (a1, a2, a3), (k1, k2, k3) = visitors(la, 3, 3)
            events += [p.police(t0, "drugs", [(a1, "suspect"), (a2, "suspect"), (resident, "witness")], where=place),
                       p.police(t0 + timedelta(days=20), "missing_episode", [(k1, "missing_person")], ["10A"], place),
                       p.police(t0 + timedelta(days=50), "missing_episode", [(k2, "missing_person")], ["10A"], place),
                       p.police(t0 + timedelta(days=70), "cce_intel", [(k3, "victim"), (k1, "victim"), (a3, "suspect")],
                                ["24A"], place)]
            cast = [a1, a2, a3, k1, k2, k3]
            story = ("vulnerable tenant (adult safeguarding concern); within 70 days a drugs raid, two children "
                     "found there when missing, and CCE intelligence: 6 people from outside the household")
        p.truth("exploitation-hub", "control" if control else "instance", control, {"address": str(place.uprn)},
                people=[resident, *cast], events=events, households=[hh], addresses=[place], story=story)

    address(None)
    for control in CONTROLS["exploitation-hub"]:
        address(control)


def _missing_then_exploited(p: _Planter) -> None:
    def child(control: str | None) -> None:
        hh, mum, _, (kid,) = p.family(p.la(), 40, [14])
        home = hh.stays[0].address
        if control == "missing-spread-out":
            missing, excluded, exploited = [p.ago(d) for d in (500, 380, 260)], p.ago(300), p.ago(200)
        elif control == "signs-after-concern":
            missing, excluded, exploited = [p.ago(d) for d in (300, 270, 240)], p.ago(260), p.ago(400)
        else:
            base = 300 + p.rng.randrange(30)
            missing = [p.ago(base - d) for d in (0, 30, 60)]
            excluded, exploited = p.ago(base - 40), p.ago(base - 100)
        events = [p.police(on, "missing_episode", [(kid, "missing_person")], ["10A"], home) for on in missing]
        events.append(p.school(excluded, kid, "exclusion_fixed", exclusion_days=3))
        events.append(p.police(exploited, "cce_intel", [(kid, "victim")], ["24A"]))
        story = {
            None: "missing 3 times in 60 days and a fixed-term exclusion, then criminal exploitation intelligence",
            "missing-spread-out": "missing 3 times but 120 days apart, exclusion, then CCE intelligence",
            "signs-after-concern": "CCE intelligence first; the missing episodes and exclusion come afterwards",
        }[control]
        p.truth("missing-then-exploited", "control" if control else "instance", control, {"person": kid.pid},
                people=[kid, mum], events=events, households=[hh], story=story)

    child(None)
    for control in CONTROLS["missing-then-exploited"]:
        child(control)


def _peer_network(p: _Planter) -> None:
    def teen(la: int) -> Person:
        _, _, _, (k,) = p.family(la, p.rng.randint(34, 45), [p.rng.randint(14, 16)])
        return k

    def groomer(la: int) -> Person:
        a = p.adult("M", p.rng.randint(20, 26), pnc=True)
        p.home(la, [(a, "adult")], since=p.ago(1080))
        return a

    def network(control: str | None) -> None:
        la = p.la()
        t0 = p.ago(300 + p.rng.randrange(30))
        kids = [teen(la) for _ in range(2 if control == "two-children" else 3)]
        adults = [groomer(la) for _ in range(3 if control == "different-adults" else 1)]
        by = (lambda i: adults[i]) if control == "different-adults" else (lambda i: adults[0])
        events = [p.police(t0, "cce_intel", [(kids[0], "victim"), (by(0), "suspect")], ["24A"]),
                  p.police(t0 + timedelta(days=50), "cse_intel", [(kids[1], "victim"), (by(1), "suspect")], ["11A"])]
        if len(kids) == 3:
            events.append(p.police(t0 + timedelta(days=100), "violence", [(kids[2], "victim"), (by(2), "perpetrator")],
                                   ["18C"]))
            events.append(p.contact(kids[2], t0 + timedelta(days=101), "6", factors=["13A", "18C"], rag="AMBER",
                                    outcome="early_help"))
        story = {
            None: "one adult in CCE, CSE and violence incidents with three different teenagers (24A, 11A, 13A)",
            "two-children": "one adult linked to only two exploited teenagers",
            "different-adults": "three exploited teenagers, each linked to a different adult",
        }[control]
        for a in adults:
            p.truth("peer-exploitation-network", "control" if control else "instance", control, {"person": a.pid},
                    people=[a, *kids], events=events, story=story)

    network(None)
    for control in CONTROLS["peer-exploitation-network"]:
        network(control)


def _think_family_gap(p: _Planter) -> None:
    def family(control: str | None) -> None:
        la = p.la()
        kid_age = 19 if control == "child-is-adult" else 10
        hh, mum, _, (kid,) = p.family(la, 41, [kid_age])
        concern = p.adult_concern(mum, p.ago(200 + p.rng.randrange(30)), ["ASC-SELF-NEGLECT"])
        events = [concern]
        if kid_age < 18:
            events.append(p.school(p.ago(100), kid, "persistent_absence", attendance_pct=84.5))
        else:
            events.append(p.health(p.ago(100), kid))
        if control == "child-referred":
            events.append(p.contact(kid, concern.date + timedelta(days=30), "2A", rag="GREEN", outcome="nfa"))
        story = {
            None: "mother has an adult safeguarding concern (self-neglect); her 10-year-old, known only to "
                  "school, was never referred",
            "child-referred": "same, but the school referred the child a month after the adult concern",
            "child-is-adult": "same, but the son living with her is 19",
        }[control]
        p.truth("think-family-gap", "control" if control else "instance", control,
                {"person": mum.pid, "child": kid.pid}, people=[mum, kid], events=events, households=[hh],
                story=story)

    family(None)
    for control in CONTROLS["think-family-gap"]:
        family(control)


def _serial_perpetrator(p: _Planter) -> None:
    def man(control: str | None) -> None:
        la = p.la()
        him = p.adult("M", 36, pnc=True)
        first = p.adult("F", 33)
        hh1 = p.home(la, [(first, "adult"), (him, "partner")], since=p.ago(1080))
        events = [p.police(p.ago(700), "domestic_abuse", [(first, "victim"), (him, "perpetrator")],
                           where=hh1.stays[0].address)]
        if control == "same-victim":
            p.w.move(hh1, p.w.new_address(la), p.ago(500))
            second, place, households = first, hh1.stays[-1].address, [hh1]
        elif control == "same-address":
            p.w.leave(first, hh1, p.ago(600))
            p.home(la, [(first, "adult")], since=p.ago(600))
            second = p.adult("F", 29)
            p.w.join(second, hh1, "partner", p.ago(450))
            place, households = hh1.stays[0].address, [hh1]
        else:
            second = p.adult("F", 30)
            hh2 = p.home(la, [(second, "adult")], since=p.ago(1080))
            p.w.join(him, hh2, "partner", p.ago(500))
            place, households = hh2.stays[0].address, [hh1, hh2]
        events.append(p.police(p.ago(200), "domestic_abuse", [(second, "victim"), (him, "perpetrator")], where=place))
        story = {
            None: "perpetrator of domestic abuse against two partners in two households, 500 days apart",
            "same-victim": "two domestic abuse incidents at two addresses, same victim (the couple moved)",
            "same-address": "two victims, both at his own address",
        }[control]
        p.truth("serial-perpetrator", "control" if control else "instance", control, {"person": him.pid},
                people=[him, first] + ([second] if second is not first else []), events=events,
                households=households, story=story)

    man(None)
    for control in CONTROLS["serial-perpetrator"]:
        man(control)


def _sibling_blind_spot(p: _Planter) -> None:
    def family(control: str | None) -> None:
        la = p.la()
        sibling_age = 19 if control == "sibling-is-adult" else 5
        hh, mum, _, (kid,) = p.family(la, 32, [8])
        sib = p.child(sibling_age, [mum], mum.family)
        p.w.relate(kid, sib, "sibling_of", max(kid.dob, sib.dob))
        p.w.join(sib, hh, "child", max(hh.stays[0].start, sib.dob), declared=(control == "sibling-known"))
        contact = p.contact(kid, p.ago(300 + p.rng.randrange(30)), "6", factors=["16A"], rag="RED",
                            outcome="s47_strategy")
        plan = p.plan(kid, contact.date + timedelta(days=20), contact, ["16A"], "neglect")
        seen = (p.school(p.ago(100), sib, "persistent_absence", attendance_pct=86.0) if sibling_age < 18
                else p.health(p.ago(100), sib))
        story = {
            None: "child on a child protection plan (neglect); the 5-year-old sibling at the same address is "
                  "known to school but not to children's social care",
            "sibling-known": "same, but the sibling is recorded in the CSC household",
            "sibling-is-adult": "same, but the other person at the address is 19",
        }[control]
        p.truth("sibling-blind-spot", "control" if control else "instance", control,
                {"person": kid.pid, "sibling": sib.pid}, people=[kid, sib, mum], events=[contact, plan, seen],
                households=[hh], story=story)

    family(None)
    for control in CONTROLS["sibling-blind-spot"]:
        family(control)


def _siloed_concern(p: _Planter) -> None:
    def person(control: str | None) -> None:
        la = p.la()
        hh, mum, _, _ = p.family(la, 40, [])
        seen = p.police(p.ago(300), "asb", [(mum, "witness")], where=hh.stays[0].address)
        gp = p.health(p.ago(150 + p.rng.randrange(30)), mum, ["4B"])
        if control:
            p.w.share(gp, [mum], ["police"], gp.date + timedelta(days=2))
        story = ("GP raises a mental health concern (4B) about a woman the police also hold a record of"
                 + ("; the GP tells the police" if control else "; the police are never told"))
        p.truth("siloed-concern", "control" if control else "instance", control,
                {"person": mum.pid, "concern": "4B", "agency": "police"}, people=[mum], events=[seen, gp],
                households=[hh], story=story)

    person(None)
    for control in CONTROLS["siloed-concern"]:
        person(control)


_STORIES: dict[str, Callable[[_Planter], None]] = {
    "toxic-trio": _toxic_trio,
    "jigsaw": _jigsaw,
    "cumulative-harm": _cumulative_harm,
    "invisible-man": _invisible_man,
    "new-unknown-adult": _new_unknown_adult,
    "split-identity": _split_identity,
    "exploitation-hub": _exploitation_hub,
    "missing-then-exploited": _missing_then_exploited,
    "peer-exploitation-network": _peer_network,
    "think-family-gap": _think_family_gap,
    "serial-perpetrator": _serial_perpetrator,
    "sibling-blind-spot": _sibling_blind_spot,
    "siloed-concern": _siloed_concern,
}


def plant(world: World, rng: random.Random, rate: float = 1.0) -> list[dict[str, Any]]:
    """Plant every pattern's instances and controls into ``world``; return their ground truth.

    ``rate`` scales the number of instances: ``max(1, round(rate * people / 2000))`` per
    pattern, where ``people`` is the background population; each instance brings one of
    each of the pattern's controls. ``rate <= 0`` plants nothing.
    """
    if rate <= 0:
        return []
    planter = _Planter(world, rng)
    background = sum(1 for person in world.people if not person.planted)
    n = max(1, round(rate * background / 2000))
    for _ in range(n):
        for slug in PATTERNS:
            _STORIES[slug](planter)
    return planter.out
