"""Background agency activity: CSC contacts (calibrated), police incidents,
health, education, housing, adult social care and probation events.

Each generator draws from its own stream (``world.stream("activity.<name>")``).
Every CSC contact comes from :func:`generate_contacts` (so the source, factor,
re-referral and outcome shares match :data:`config.CALIBRATION`); when its
source is an agency with an extract, the originating event in that agency is
made by :func:`make_source_event` and linked both ways.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import Iterable

from .config import FACTORS, SOURCE_SHARES
from .population import random_date
from .world import Event, Involvement, Person, World, agency_key

__all__ = [
    "generate_activity", "generate_contacts", "make_source_event", "source_agency_for",
    "next_working_day", "police_flags", "sample_factors",
]


def next_working_day(d: date) -> date:
    d += timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def source_agency_for(source_code: str, la: int) -> str | None:
    """The agency that made a contact with this CIN source code (None for individuals etc.)."""
    if source_code == "6":
        return "police"
    if source_code in ("2A", "2B"):
        return agency_key("edu", la)
    if source_code.startswith("3"):
        return "health"
    if source_code == "4":
        return agency_key("housing", la)
    if source_code == "5A":
        return agency_key("asc", la)
    if source_code == "7":
        return "probation"
    return None


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _choose(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), list(table.values()))[0]


def sample_factors(rng: random.Random) -> list[str]:
    """Factor codes of one contact, each group drawn independently at its prevalence."""
    codes: list[str] = []
    for group_codes, share, weights, _ in FACTORS.values():
        if rng.random() < share:
            codes.append(group_codes[0] if len(group_codes) == 1 else rng.choices(group_codes, weights)[0])
    return codes or ["21"]


# --- who is around a person on a date ---------------------------------------------------
def _housemates(world: World, person: Person, on: date) -> list[Person]:
    hh = world.household_of(person, on)
    return [p for p in world.members(hh, on) if p is not person] if hh else []


def _adults(people: Iterable[Person], on: date) -> list[Person]:
    return [p for p in people if p.age(on) >= 18]


def _children(people: Iterable[Person], on: date) -> list[Person]:
    return [p for p in people if 0 <= p.age(on) < 18 and p.dob <= on]


def police_flags(world: World, inc_type: str, people: list[tuple[Person, str]], on: date) -> list[str]:
    """Default safeguarding flags of a police incident (docs/data-dictionary.md)."""
    kids = [p for p, _ in people if p.age(on) < 18]
    if inc_type == "missing_episode":
        return ["10A"] if kids else []
    if inc_type == "cse_intel":
        return ["11A"]
    if inc_type == "cce_intel":
        return ["24A"]
    if inc_type == "asb":
        return ["14A"] if kids else []
    if inc_type == "violence":
        if any(p.age(on) < 18 for p, r in people if r == "victim"):
            adult_perp = any(p.age(on) >= 18 for p, r in people if r in ("perpetrator", "suspect"))
            return ["18C" if adult_perp else "18B"]
        return []
    adults = [p for p, r in people if p.age(on) >= 18 and r in ("victim", "perpetrator", "suspect")]
    if inc_type in ("domestic_abuse", "drugs"):
        if inc_type == "drugs" and kids:
            return ["2A"]
        digit = "3" if inc_type == "domestic_abuse" else "2"
        for adult in adults:
            home_kids = _children(_housemates(world, adult, on), on)
            if home_kids:
                is_parent = any(c in world.children_of(adult) for c in home_kids)
                return [digit + ("B" if is_parent else "C")]
        return []
    return []


def _police_incident(world: World, on: date, inc_type: str, people: list[tuple[Person, str]],
                     uprn: int | None) -> Event:
    return world.add_event("police_incident", "police", on, inc_type, people,
                           codes=police_flags(world, inc_type, people, on), uprn=uprn,
                           time=f"{world.stream('activity.times').randrange(24):02d}:"
                                f"{world.stream('activity.times').randrange(60):02d}")


def _uprn(world: World, person: Person, on: date) -> int | None:
    address = world.address_of(person, on)
    return address.uprn if address else None


# --- the originating event of a referral --------------------------------------------------
_HEALTH_SERVICE = {"3A": "gp", "3B": "health_visitor", "3C": "school_nurse", "3D": "gp", "3E": "ae", "3F": "midwifery"}


def make_source_event(world: World, referral: Event, person: Person, source_agency: str,
                      codes: list[str]) -> Event | None:
    """The event in ``source_agency``'s extract that led to ``referral`` (None if that
    agency has no event extract: probation, adult social care)."""
    rng = world.stream("activity.sources")
    kind = source_agency.split("-")[0]
    on = referral.date - timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3)))
    on = max(on, person.dob)
    uprn = _uprn(world, person, on)
    child = person.age(on) < 18
    if kind == "police":
        present = _housemates(world, person, on)
        adults = _adults(present, on)
        if any(c[0] == "3" for c in codes) or "ASC-DOMESTIC" in codes or not codes:
            inc_type = "domestic_abuse"
        elif "10A" in codes:
            inc_type = "missing_episode"
        elif "11A" in codes:
            inc_type = "cse_intel"
        elif "24A" in codes:
            inc_type = "cce_intel"
        elif any(c[0] == "2" and len(c) == 2 for c in codes):
            inc_type = "drugs"
        elif "18C" in codes or "18B" in codes or "ASC-PHYSICAL" in codes:
            inc_type = "violence"
        else:
            inc_type = rng.choice(("domestic_abuse", "violence", "asb"))
        if inc_type == "domestic_abuse":
            if child:
                women = [a for a in adults if a.sex == "F"] or adults
                men = [a for a in adults if a.sex == "M" and a not in women[:1]]
                people: list[tuple[Person, str]] = []
                if women:
                    people.append((women[0], "victim"))
                if men:
                    people.append((men[0], "perpetrator"))
                people.append((person, "witness"))
            else:
                partner = world.partner_of(person, on)
                people = [(person, "victim")] + ([(partner, "perpetrator")] if partner else [])
        elif inc_type == "missing_episode":
            people = [(person, "missing_person")]
        elif inc_type in ("cse_intel", "cce_intel", "violence"):
            people = [(person, "victim")]
        else:
            people = [(person, "suspect" if not child else "witness")]
            if child and adults:
                people.insert(0, (adults[0], "suspect"))
        for p, role in people:
            if role in ("perpetrator", "suspect") and p.age(on) >= 18 and rng.random() < 0.5:
                world.give_pnc(p, on.year)
        ev = _police_incident(world, on, inc_type, people, uprn)
    elif kind == "health":
        service = _HEALTH_SERVICE.get(referral.attrs.get("source_code") or "", "gp")
        if service == "ae":
            ev = world.add_event("health_event", "health", on, "ae_attendance", [(person, "patient")],
                                 codes=codes if codes != ["21"] else [], service="ae",
                                 injury=any(c in ("18B", "18C", "ASC-PHYSICAL") for c in codes) or rng.random() < 0.3)
        else:
            if service == "health_visitor" and person.age(on) >= 5:
                service = "gp"
            ev = world.add_event("health_event", "health", on, "health_concern", [(person, "patient")],
                                 codes=codes if codes != ["21"] else [], service=service)
    elif kind == "edu":
        if not (4 <= person.age(on) <= 17):
            return None
        ev = world.add_event("education_event", source_agency, on, "school_concern", [(person, "pupil")],
                             codes=codes if codes != ["21"] else [])
    elif kind == "housing":
        adults = _adults(_housemates(world, person, on), on) if child else []
        people = ([(adults[0], "subject")] if adults else []) + [(person, "household_member" if child else "subject")]
        ev = world.add_event("housing_event", source_agency, on,
                             rng.choice(("asb_report", "rent_arrears")), people, uprn=uprn,
                             codes=codes if codes != ["21"] else [])
    else:
        return None
    for inv in ev.people:
        if inv.person is person:
            inv.referral = referral
            break
    return ev


# --- CSC contacts ---------------------------------------------------------------------------
_RAG_GIVEN_OUTCOME = {
    "nfa": {"RED": 0.03, "AMBER": 0.27, "GREEN": 0.70},
    "advice_signpost": {"RED": 0.03, "AMBER": 0.27, "GREEN": 0.70},
    "early_help": {"RED": 0.0, "AMBER": 0.40, "GREEN": 0.60},
    "s17_assessment": {"RED": 0.20, "AMBER": 0.60, "GREEN": 0.20},
    "s47_strategy": {"RED": 0.80, "AMBER": 0.20, "GREEN": 0.0},
    "immediate_protection": {"RED": 1.0, "AMBER": 0.0, "GREEN": 0.0},
}
_CONSENT = {"given": 0.60, "overridden": 0.25, "not_sought": 0.15}
_CP_CATEGORY = (("16A", "neglect"), ("18C", "physical_abuse"), ("18B", "physical_abuse"),
                ("19C", "sexual_abuse"), ("19B", "sexual_abuse"), ("17A", "emotional_abuse"))


def _episodes_for(world: World, contact: Event, child: Person, rng: random.Random) -> None:
    outcome = contact.attrs["outcome"]
    start = contact.attrs["decision_date"]
    codes = [c for c in contact.codes if c != "21"]

    def episode(kind: str, delay: tuple[int, int], length: tuple[int, int], category: str | None) -> None:
        s = start + timedelta(days=rng.randint(*delay))
        if s > world.end or child.age(s) >= 18:
            return
        e = s + timedelta(days=rng.randint(*length))
        world.add_event("csc_episode", contact.agency, s, kind, [(child, "subject")], codes=codes,
                        end=e if e <= world.end else None, category=category, referral=contact)

    if outcome == "early_help":
        episode("early_help", (7, 30), (90, 270), None)
    elif outcome == "s17_assessment" and rng.random() < 0.5:
        episode("cin_plan", (30, 60), (120, 540), f"N{rng.choices(range(1, 10), (50, 4, 3, 8, 16, 7, 1, 1, 10))[0]}")
    elif outcome in ("s47_strategy", "immediate_protection"):
        if outcome == "immediate_protection" and rng.random() < 0.6:
            episode("looked_after", (0, 2), (120, 900), rng.choice(("C2", "V2", "E1", "J2")))
        elif rng.random() < 0.5:
            cats = [cat for code, cat in _CP_CATEGORY if code in codes]
            category = "multiple" if len(set(cats)) > 1 else (cats[0] if cats else "emotional_abuse")
            episode("cp_plan", (10, 30), (180, 720), category)


def generate_contacts(world: World) -> None:
    """CSC contact chains: a child's first contact, then re-referrals within 12 months
    with probability ``calibration.re_referral`` each, at the calibrated shares."""
    rng = world.stream("activity.contacts")
    cal = world.config.calibration
    rate = world.config.rates.contact_chain
    years = (world.end - world.start).days / 365.25
    outcomes = cal.outcomes
    q = cal.re_referral
    for child in world.people:
        if child.planted:
            continue
        first_day = max(world.start, child.dob)
        last_day = min(world.end, date(child.dob.year + 18, child.dob.month, min(child.dob.day, 28)) - timedelta(days=1))
        if last_day <= first_day:
            continue
        share = (last_day - first_day).days / 365.25 / years
        if rng.random() >= 1 - math.exp(-rate * years * share * child.risk):
            continue
        on = random_date(rng, first_day, last_day)
        while on <= last_day:
            outcome = _choose(rng, outcomes)
            rag = _choose(rng, _RAG_GIVEN_OUTCOME[outcome])
            source = _choose(rng, SOURCE_SHARES)
            factors = sample_factors(rng)
            shared: list[str] = []
            if outcome not in ("nfa", "advice_signpost") and rng.random() < 0.5:
                la = world.la_of(child, on)
                shared = ["health"] + ([agency_key("edu", la)] if 4 <= child.age(on) <= 17 else [])
            contact = world.contact(child, on, source_code=source, factors=factors, rag=rag, outcome=outcome,
                                    consent=_choose(rng, _CONSENT), shared_with=shared,
                                    shared_date=next_working_day(on) if shared else None,
                                    time=f"{rng.randint(8, 18):02d}:{rng.randrange(60):02d}")
            _episodes_for(world, contact, child, rng)
            # A re-referral follows within 12 months; near the window end (or the child's 18th
            # birthday) it comes sooner, so that the share of re-referrals stays on target.
            remaining = (last_day - on).days
            if rng.random() >= q or remaining < 14:
                break
            on = on + timedelta(days=rng.randint(14, min(350, remaining)))


# --- other agencies -------------------------------------------------------------------------
def _years(world: World) -> float:
    return (world.end - world.start).days / 365.25


def _police(world: World) -> None:
    rng = world.stream("activity.police")
    r = world.config.rates
    years = _years(world)
    w0, w1 = world.start, world.end
    by_la: dict[int, list[Person]] = {}
    for p in world.people:
        if not p.planted and p.age(w0) >= 16:
            by_la.setdefault(world.la_of(p, w0), []).append(p)
    for hh in world.households:
        adults = [m.person for m in hh.members if m.end is None and m.person.age(w0) >= 18 and not m.person.planted]
        couple = [p for p in adults if world.partner_of(p, w0) in adults]
        if len(couple) != 2:
            continue
        for _ in range(_poisson(rng, r.domestic_abuse * years * hh.risk)):
            on = random_date(rng, w0, w1)
            if world.partner_of(couple[0], on) is not couple[1]:
                continue
            victim = next((p for p in couple if p.sex == "F"), couple[0])
            if rng.random() < 0.2:
                victim = couple[1] if victim is couple[0] else couple[0]
            perp = couple[1] if victim is couple[0] else couple[0]
            people = [(victim, "victim"), (perp, "perpetrator")]
            kids = _children(world.members(hh, on), on)
            people += [(k, "witness") for k in kids if rng.random() < 0.7]
            if rng.random() < 0.4:
                world.give_pnc(perp, on.year)
            ev = _police_incident(world, on, "domestic_abuse", people, _uprn(world, victim, on))
            pupils = [k for p, role in people if role == "witness" for k in [p] if 4 <= k.age(on) <= 17]
            if pupils and rng.random() < 0.5:
                world.share(ev, pupils, [agency_key("edu", world.la_of(pupils[0], on))], next_working_day(on))
    for p in world.people:
        if p.planted:
            continue
        age = p.age(w1)
        if 16 <= age <= 45:
            for _ in range(_poisson(rng, r.violence * years * p.risk * (1.6 if p.sex == "M" else 0.4))):
                on = random_date(rng, w0, w1)
                pool = by_la.get(world.la_of(p, on)) or [p]
                victim = pool[rng.randrange(len(pool))]
                if victim is p:
                    continue
                world.give_pnc(p, on.year) if rng.random() < 0.6 else None
                _police_incident(world, on, "violence", [(victim, "victim"), (p, "perpetrator")],
                                 _uprn(world, victim, on))
        if 18 <= age <= 50:
            for _ in range(_poisson(rng, r.drugs * years * p.risk)):
                on = random_date(rng, w0, w1)
                world.give_pnc(p, on.year) if rng.random() < 0.5 else None
                _police_incident(world, on, "drugs", [(p, "suspect")], _uprn(world, p, on))
        if 12 <= p.age(w0) <= 17 or 12 <= age <= 17:
            for _ in range(_poisson(rng, r.missing_child * years * p.risk)):
                on = random_date(rng, max(w0, date(p.dob.year + 12, 1, 1)), w1)
                for _ in range(rng.choice((1, 1, 2, 3))):
                    if p.age(on) < 18 and on <= w1:
                        _police_incident(world, on, "missing_episode", [(p, "missing_person")], _uprn(world, p, on))
                    on += timedelta(days=rng.randint(3, 40))
            for inc_type, rate in (("cse_intel", r.cse_intel), ("cce_intel", r.cce_intel)):
                for _ in range(_poisson(rng, rate * years * p.risk * (1.5 if (p.sex == "F") == (inc_type == "cse_intel") else 0.5))):
                    on = random_date(rng, w0, w1)
                    if 10 <= p.age(on) < 18:
                        _police_incident(world, on, inc_type, [(p, "victim")], _uprn(world, p, on))
        if 12 <= age <= 30:
            for _ in range(_poisson(rng, r.asb * years * p.risk)):
                on = random_date(rng, w0, w1)
                if p.age(on) >= 10:
                    _police_incident(world, on, "asb", [(p, "suspect")], _uprn(world, p, on))


_CHILD_HEALTH_CODES = {"16A": 0.35, "17A": 0.25, "15A": 0.15, "18C": 0.10, "4A": 0.15}
_PARENT_HEALTH_CODES = {"4B": 0.5, "1B": 0.15, "2B": 0.15, "3B": 0.2}
_ADULT_HEALTH_CODES = {"ASC-SELF-NEGLECT": 0.4, "ASC-DOMESTIC": 0.2, "ASC-PSYCHOLOGICAL": 0.2, "ASC-NEGLECT": 0.2}


def _health(world: World) -> None:
    rng = world.stream("activity.health")
    r = world.config.rates
    years = _years(world)
    w0, w1 = world.start, world.end
    for p in world.people:
        if p.planted:
            continue
        for _ in range(_poisson(rng, r.health_concern * years * p.risk)):
            on = random_date(rng, max(w0, p.dob), w1)
            age = p.age(on)
            if age < 18:
                service = "health_visitor" if age < 5 else rng.choice(("gp", "school_nurse"))
                code = _choose(rng, _CHILD_HEALTH_CODES)
                if code == "15A" and age < 10:
                    code = "16A"
            else:
                service = "midwifery" if p.sex == "F" and age < 40 and rng.random() < 0.1 else "gp"
                has_kids = bool(_children(_housemates(world, p, on), on))
                code = _choose(rng, _PARENT_HEALTH_CODES if has_kids else _ADULT_HEALTH_CODES)
            world.add_event("health_event", "health", on, "health_concern", [(p, "patient")], codes=[code],
                            service=service)
        child_rate = r.ae_child if p.age(w1) < 18 else r.ae_adult
        for _ in range(_poisson(rng, child_rate * years * math.sqrt(p.risk))):
            on = random_date(rng, max(w0, p.dob), w1)
            world.add_event("health_event", "health", on, "ae_attendance", [(p, "patient")], service="ae",
                            injury=rng.random() < 0.6)
        if w0 <= p.dob <= w1:  # born in the window: antenatal booking and new birth visit
            mother = next((m for m in world.parents_of(p) if m.sex == "F"), None)
            booking = p.dob - timedelta(days=rng.randint(200, 240))
            if mother and booking >= w0 and p.twin_of is None:
                world.add_event("health_event", "health", booking, "antenatal_booking", [(mother, "patient")],
                                service="midwifery")
            visit = p.dob + timedelta(days=rng.randint(10, 14))
            if visit <= w1:
                world.add_event("health_event", "health", visit, "new_birth_visit", [(p, "patient")],
                                service="health_visitor")


_PUPIL_CODES = {"17A": 0.3, "16A": 0.25, "4A": 0.15, "15A": 0.1, "3A": 0.1, "14A": 0.1}


def _education(world: World) -> None:
    rng = world.stream("activity.education")
    r = world.config.rates
    years = _years(world)
    w0, w1 = world.start, world.end
    for p in world.people:
        if p.planted or p.upn is None:
            continue
        first = max(w0, date(p.dob.year + 4, 9, 1))
        last = min(w1, date(p.dob.year + 17, 7, 20))
        if last <= first:
            continue
        span = (last - first).days / 365.25

        def school_day(first: date = first, last: date = last) -> date:
            d = random_date(rng, first, last)
            while d.weekday() >= 5 or d.month == 8:
                d = random_date(rng, first, last)
            return d

        def edu(on: date) -> str:
            return agency_key("edu", world.la_of(p, on))

        for _ in range(_poisson(rng, r.school_concern * span * p.risk)):
            on = school_day()
            world.add_event("education_event", edu(on), on, "school_concern", [(p, "pupil")],
                            codes=[_choose(rng, _PUPIL_CODES)])
        for _ in range(_poisson(rng, r.exclusion * span * p.risk)):
            on = school_day()
            if p.age(on) < 7:
                continue
            permanent = rng.random() < 0.08
            world.add_event("education_event", edu(on), on, "exclusion_permanent" if permanent else "exclusion_fixed",
                            [(p, "pupil")], exclusion_days=None if permanent else rng.randint(1, 5))
        for _ in range(_poisson(rng, r.persistent_absence * span * p.risk)):
            on = school_day()
            world.add_event("education_event", edu(on), on, "persistent_absence", [(p, "pupil")],
                            attendance_pct=round(rng.uniform(62.0, 89.9), 1))
        for _ in range(_poisson(rng, r.missing_education * span * p.risk)):
            on = school_day()
            world.add_event("education_event", edu(on), on, "missing_education", [(p, "pupil")])


def _housing(world: World) -> None:
    rng = world.stream("activity.housing")
    r = world.config.rates
    years = _years(world)
    w0, w1 = world.start, world.end
    tenancy_seq = world.stream("activity.housing.refs")
    used: set[str] = set()
    for hh in world.households:
        if not hh.social_tenancy:
            continue
        for stay in hh.stays:
            if stay.end is not None and stay.end < w0 - timedelta(days=5 * 365):
                continue
            agency = agency_key("housing", stay.address.la)
            while True:
                ref = f"T{tenancy_seq.randrange(10**6):06d}"
                if ref not in used:
                    used.add(ref)
                    break
            attrs = {"tenancy_ref": ref, "tenancy_start": stay.start, "tenancy_end": stay.end}
            at_start = [m for m in hh.members if m.start <= stay.start and (m.end is None or m.end > stay.start)]
            people: list[tuple[Person, str]] = []
            for m in at_start:
                role = "household_member"
                if m.person.age(stay.start) >= 18 and m.role in ("parent", "adult", "step_parent", "partner"):
                    role = "lead_tenant" if not people else ("joint_tenant" if len(people) == 1 else role)
                people.append((m.person, role))
            if not people:
                continue
            people.sort(key=lambda x: x[1] != "lead_tenant")
            world.add_event("housing_event", agency, stay.start, "tenancy", people, uprn=stay.address.uprn, **attrs)
            for m in hh.members:  # people who moved in during the tenancy
                if stay.start < m.start and (stay.end is None or m.start < stay.end) and m.start >= w0 - timedelta(days=365):
                    world.add_event("housing_event", agency, m.start, "tenancy", [(m.person, "household_member")],
                                    uprn=stay.address.uprn, **attrs)
            if stay.end is not None and stay.end < w0:
                continue
            lo, hi = max(stay.start, w0), min(stay.end or w1, w1)
            if hi <= lo:
                continue
            span = (hi - lo).days / 365.25
            for event_type, rate in (("asb_report", r.housing_asb), ("rent_arrears", r.arrears),
                                     ("eviction_notice", r.eviction_notice)):
                for _ in range(_poisson(rng, rate * span * hh.risk)):
                    on = random_date(rng, lo, hi)
                    present = world.members(hh, on)
                    adults = _adults(present, on)
                    if not adults:
                        continue
                    if event_type == "asb_report":
                        teens = [p for p in present if 12 <= p.age(on) < 25]
                        subject = rng.choice(teens) if teens and rng.random() < 0.5 else adults[0]
                        codes = ["14A"] if subject.age(on) < 18 else []
                        world.add_event("housing_event", agency, on, event_type, [(subject, "subject")],
                                        uprn=stay.address.uprn, codes=codes, **attrs)
                    else:
                        world.add_event("housing_event", agency, on, event_type, [(adults[0], "lead_tenant")],
                                        uprn=stay.address.uprn, **attrs)
                        if event_type == "eviction_notice" and rng.random() < 0.3:
                            later = on + timedelta(days=rng.randint(28, 120))
                            if later <= hi:
                                world.add_event("housing_event", agency, later, "eviction", [(adults[0], "lead_tenant")],
                                                uprn=stay.address.uprn, **attrs)


_ASC_RISKS = {"ASC-NEGLECT": 0.31, "ASC-PHYSICAL": 0.14, "ASC-PSYCHOLOGICAL": 0.12, "ASC-FINANCIAL": 0.15,
              "ASC-SELF-NEGLECT": 0.10, "ASC-DOMESTIC": 0.08, "ASC-SEXUAL": 0.03, "ASC-ORGANISATIONAL": 0.04,
              "ASC-DISCRIMINATORY": 0.01, "ASC-SEXUAL-EXPLOITATION": 0.01, "ASC-MODERN-SLAVERY": 0.01}
_ASC_LOCATION = {"own_home": 0.46, "care_home": 0.30, "hospital": 0.06, "community": 0.12, "other": 0.06}
_ASC_OUTCOME = {"nfa": 0.35, "advice_signpost": 0.20, "non_statutory_enquiry": 0.16, "s42_enquiry": 0.29}
_ASC_SOURCE = {"health": 0.25, "police": 0.15, "housing": 0.05, "": 0.55}


def _adult_social_care(world: World) -> None:
    rng = world.stream("activity.asc")
    r = world.config.rates
    years = _years(world)
    w0, w1 = world.start, world.end
    for p in world.people:
        if p.planted or p.age(w1) < 18:
            continue
        rate = r.asc_concern_old if p.age(w0) >= 75 else r.asc_concern
        for _ in range(_poisson(rng, rate * years * math.sqrt(p.risk))):
            on = random_date(rng, w0, w1)
            if p.age(on) < 18:
                continue
            risks = [_choose(rng, _ASC_RISKS)]
            if rng.random() < 0.2:
                extra = _choose(rng, _ASC_RISKS)
                if extra not in risks:
                    risks.append(extra)
            outcome = _choose(rng, _ASC_OUTCOME)
            source = _choose(rng, _ASC_SOURCE)
            if source == "housing":
                source = agency_key("housing", world.la_of(p, on))
            end = on + timedelta(days=rng.randint(20, 120)) if outcome == "s42_enquiry" else None
            world.adult_concern(p, on, risks=risks, outcome=outcome, source_agency=source or None,
                                source_event=source in ("police", "health"),
                                risk_location=_choose(rng, _ASC_LOCATION),
                                enquiry_end=end if end and end <= w1 else None)


_ORDER = {"community_order": 0.45, "suspended_sentence": 0.20, "licence": 0.30, "post_sentence_supervision": 0.05}
_OFFENCE = {"violence": 0.30, "domestic_abuse": 0.18, "sexual": 0.06, "drugs": 0.16, "acquisitive": 0.22, "other": 0.08}
_RISK = {"low": 0.35, "medium": 0.45, "high": 0.17, "very_high": 0.03}


def _probation(world: World) -> None:
    rng = world.stream("activity.probation")
    r = world.config.rates
    years = _years(world)
    w0, w1 = world.start, world.end
    for p in world.people:
        if p.planted or p.pnc_id is None or p.age(w0) < 18:
            continue
        for _ in range(_poisson(rng, r.probation_start * years * math.sqrt(p.risk))):
            start = random_date(rng, w0 - timedelta(days=365), w1)
            end = start + timedelta(days=rng.randint(180, 1095))
            offence = _choose(rng, _OFFENCE)
            risk = _choose(rng, _RISK)
            mappa_cat = mappa_level = None
            if offence == "sexual":
                mappa_cat, mappa_level = 1, rng.choice((1, 1, 1, 2))
            elif offence in ("violence", "domestic_abuse") and risk in ("high", "very_high") and rng.random() < 0.4:
                mappa_cat, mappa_level = 2, rng.choice((1, 2, 2, 3))
            la = world.la_of(p, start)
            codes: list[str] = []
            shared: list[str] = []
            marac_date = None
            if offence == "domestic_abuse":
                kids = _children(_housemates(world, p, start), start)
                if kids:
                    codes = ["3B" if any(k in world.children_of(p) for k in kids) else "3C"]
                if risk in ("high", "very_high") or rng.random() < 0.25:
                    marac_date = start + timedelta(days=rng.randint(7, 60))
                    if marac_date > w1:
                        marac_date = None
                    else:
                        shared = ["police", "health", agency_key("csc", la), agency_key("asc", la),
                                  agency_key("housing", la)]
            world.add_event("probation_case", "probation", start, "probation_supervision", [(p, "offender")],
                            codes=codes, shared_with=shared, shared_date=marac_date,
                            order_type=_choose(rng, _ORDER), offence_category=offence,
                            end=end if end <= w1 else None, risk_level=risk, mappa_category=mappa_cat,
                            mappa_level=mappa_level, marac=marac_date is not None, marac_date=marac_date)


def generate_activity(world: World) -> None:
    """All background events, in a fixed order."""
    generate_contacts(world)
    _police(world)
    _health(world)
    _education(world)
    _housing(world)
    _adult_social_care(world)
    _probation(world)
