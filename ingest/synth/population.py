"""The background population: households at the window start, then separations,
new partners, births and moves (within and between authorities) during it.

Shares of household types are assumptions close to the ONS Families and
households figures (about 2.4 people per household); see docs/synthetic-data.md.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from .names import NamePicker
from .world import Household, Person, World

__all__ = ["build_population", "simulate_changes", "random_date"]

HOUSEHOLD_TYPES: tuple[tuple[str, float], ...] = (
    ("single", 0.29), ("couple", 0.26), ("couple_kids", 0.19), ("lone_parent", 0.11),
    ("shared", 0.05), ("three_gen", 0.03), ("adult_child", 0.05), ("blended", 0.02),
)

# Household risk level: (share, multiplier on background event rates, social housing share).
RISK_LEVELS: tuple[tuple[float, float, float], ...] = ((0.80, 0.35, 0.12), (0.15, 2.0, 0.33), (0.05, 6.0, 0.50))

_SINGLE_AGES = ((18, 29, 0.18), (30, 49, 0.27), (50, 64, 0.22), (65, 79, 0.20), (80, 95, 0.13))
_TYPE_NAMES = [k for k, _ in HOUSEHOLD_TYPES]
_TYPE_CUM = list(itertools.accumulate(w for _, w in HOUSEHOLD_TYPES))
_SINGLE_CUM = list(itertools.accumulate(w for *_, w in _SINGLE_AGES))


def random_date(rng: random.Random, first: date, last: date) -> date:
    """A uniformly random date in ``[first, last]``."""
    return date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def _dob(rng: random.Random, on: date, age: int) -> date:
    """A date of birth for someone aged ``age`` on ``on``."""
    latest = date(on.year - age, on.month, min(on.day, 28))
    return date.fromordinal(latest.toordinal() - int(rng.random() * 365))


class _Builder:
    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = world.stream("population")
        self.names = NamePicker()
        self.w0 = world.start
        self.pnc_rng = world.stream("pnc")

    def person(self, sex: str, dob: date, family: str, risk: float, parents: list[Person] = ()) -> Person:
        given = self.names.given(self.rng, sex)
        adult_age = self.w0.year - dob.year
        pnc = False
        if adult_age >= 16:
            base = 0.05 if sex == "M" else 0.012
            pnc = self.pnc_rng.random() < min(0.8, base * (0.4 + risk))
        return self.world.add_person(given, family, sex, dob, parents=parents, pnc=pnc, risk=risk)

    def adult(self, sex: str, lo: int, hi: int, family: str, risk: float) -> Person:
        return self.person(sex, _dob(self.rng, self.w0, self.rng.randint(lo, hi)), family, risk)

    def kids(self, mother_age: int, family: str, risk: float, parents: list[Person],
             n: int) -> list[Person]:
        rng = self.rng
        oldest = min(17, max(0, mother_age - rng.randint(18, 32)))
        ages = [oldest]
        for _ in range(n - 1):
            nxt = ages[-1] - rng.randint(1, 5)
            if nxt < 0:
                break
            ages.append(nxt)
        out: list[Person] = []
        for age in ages:
            sex = rng.choice("MF")
            dob = _dob(rng, self.w0, age)
            child = self.person(sex, dob, family, risk, parents)
            out.append(child)
            if rng.random() < self.world.config.rates.twins:
                twin = self.person(rng.choice("MF"), dob, family, risk, parents)
                twin.twin_of = child.pid
                out.append(twin)
        for i, a in enumerate(out):
            for b in out[i + 1:]:
                self.world.relate(a, b, "sibling_of")
        return out

    def household(self, target_left: int) -> int:
        rng, world = self.rng, self.world
        kind = rng.choices(_TYPE_NAMES, cum_weights=_TYPE_CUM)[0]
        u = rng.random()
        level = 0 if u < RISK_LEVELS[0][0] else (1 if u < RISK_LEVELS[0][0] + RISK_LEVELS[1][0] else 2)
        _, risk, social = RISK_LEVELS[level]
        la = rng.randint(1, world.authorities)
        address = world.new_address(la)
        since = self.w0 - timedelta(days=rng.randint(30, 6000))
        members: list[tuple[Person, str]] = []
        partners: tuple[Person, Person] | None = None
        if kind == "single":
            lo, hi, _ = rng.choices(_SINGLE_AGES, cum_weights=_SINGLE_CUM)[0]
            members.append((self.adult(rng.choice("MF"), lo, hi, self.names.family(rng), risk), "adult"))
        elif kind in ("couple", "couple_kids", "three_gen", "adult_child", "blended"):
            lo, hi = {"couple": (20, 88), "adult_child": (44, 68)}.get(kind, (22, 52))
            age = rng.randint(lo, hi)
            fam_m = self.names.family(rng)
            fam_f = fam_m if rng.random() < 0.7 else self.names.family(rng)
            father = self.adult("M", max(18, age - 3), age + 4, fam_m, risk)
            mother = self.adult("F", max(18, age - 4), age + 2, fam_f, risk)
            partners = (father, mother)
            members += [(father, "parent" if kind != "couple" else "adult"),
                        (mother, "parent" if kind != "couple" else "adult")]
            mother_age = self.w0.year - mother.dob.year
            if kind in ("couple_kids", "three_gen"):
                n = rng.choices((1, 2, 3, 4), (0.40, 0.40, 0.15, 0.05))[0]
                members += [(k, "child") for k in self.kids(mother_age, fam_m, risk, [father, mother], n)]
            if kind == "adult_child":
                for k in self.kids(min(mother_age, 58), fam_m, risk, [father, mother], rng.randint(1, 2)):
                    members.append((k, "child"))
            if kind == "three_gen":
                gp = self.adult(rng.choice("MF"), max(mother_age + 20, 60), max(mother_age + 30, 85), fam_f, risk)
                members.append((gp, "grandparent"))
                world.relate(gp, mother, "parent_of")
            if kind == "blended":
                members[0] = (father, "step_parent")
                own = self.kids(mother_age, self.names.family(rng), risk, [mother], rng.randint(1, 2))
                members += [(k, "child") for k in own]
                if mother_age < 42:
                    baby = self.person(rng.choice("MF"), _dob(rng, self.w0, rng.randint(0, 3)), fam_m, risk,
                                       [father, mother])
                    for k in own:
                        world.relate(k, baby, "sibling_of")
                    members.append((baby, "child"))
                since = self.w0 - timedelta(days=rng.randint(30, 1500))
        elif kind == "lone_parent":
            sex = "F" if rng.random() < 0.9 else "M"
            parent = self.adult(sex, 19, 50, self.names.family(rng), risk)
            members.append((parent, "parent"))
            n = rng.choices((1, 2, 3), (0.5, 0.35, 0.15))[0]
            members += [(k, "child") for k in self.kids(self.w0.year - parent.dob.year, parent.family,
                                                       risk, [parent], n)]
        else:  # shared house: unrelated adults
            for _ in range(rng.randint(2, 4)):
                members.append((self.adult(rng.choice("MF"), 18, 40, self.names.family(rng), risk), "adult"))
        hh = world.add_household(address, since, members, social_tenancy=rng.random() < social, risk=risk)
        if partners:
            world.relate(partners[0], partners[1], "partner_of", since - timedelta(days=rng.randint(0, 3000)))
        if rng.random() < 0.3:  # where they lived before: the source of stale addresses
            prev = world.new_address(la if world.authorities == 1 or rng.random() < 0.85
                                     else rng.randint(1, world.authorities))
            hh.stays.insert(0, type(hh.stays[0])(prev, since - timedelta(days=rng.randint(200, 3000)), since))
            for m in hh.members:
                if m.start == since:
                    m.start = max(hh.stays[0].start, m.person.dob)
        return len(members)

    def doppelganger(self, original: Person) -> Person:
        """An unrelated person with the same name and DOB, living alone in the same authority."""
        world = self.world
        la = world.la_of(original, self.w0)
        p = world.add_person(original.given, original.family, original.sex, original.dob,
                             pnc=self.pnc_rng.random() < 0.05, risk=0.35)
        p.doppelganger_of = original.pid
        world.add_household(world.new_address(la), self.w0 - timedelta(days=self.rng.randint(30, 4000)),
                            [(p, "adult")])
        return p


def build_population(world: World, people: int) -> None:
    """Create about ``people`` people (exactly, unless the last household overshoots)."""
    builder = _Builder(world)
    n_dopp = int(people * world.config.rates.doppelgangers)
    target = people - n_dopp
    while len(world.people) < target:
        builder.household(target - len(world.people))
    rng = world.stream("doppelgangers")
    adults = [p for p in world.people if p.age(world.start) >= 18]
    for original in rng.sample(adults, min(n_dopp, len(adults))):
        builder.doppelganger(original)


def simulate_changes(world: World) -> None:
    """Separations, new partners, births and moves during the window."""
    rng = world.stream("changes")
    rates = world.config.rates
    years = (world.end - world.start).days / 365.25
    w0, w1 = world.start, world.end
    names = NamePicker()
    singles: dict[tuple[int, str], list[Person]] = {}
    for hh in world.households:
        if len(hh.members) == 1 and hh.current is not None:
            p = hh.members[0].person
            if 20 <= p.age(w0) <= 55:
                singles.setdefault((hh.current.la, p.sex), []).append(p)
    for pool in singles.values():
        rng.shuffle(pool)
    for hh in list(world.households):
        members = [m for m in hh.members if m.end is None]
        if not members or hh.current is None:
            continue
        adults = [m.person for m in members if m.person.age(w0) >= 18 and m.role in ("parent", "adult", "step_parent")]
        kids = [m.person for m in members if m.role == "child" and m.person.age(w0) < 18]
        couple = [p for p in adults if world.partner_of(p, w0) in adults]
        # Separation: the man (usually) leaves to a new address.
        if len(couple) == 2 and rng.random() < rates.separation * years:
            on = random_date(rng, w0, w1 - timedelta(days=30))
            leaver = next((p for p in couple if p.sex == "M"), couple[0])
            if rng.random() < 0.15:
                leaver = couple[1] if leaver is couple[0] else couple[0]
            stayer = couple[1] if leaver is couple[0] else couple[0]
            la = hh.current.la if world.authorities == 1 or rng.random() < 0.85 else rng.randint(1, world.authorities)
            world.add_household(world.new_address(la), on, [(leaver, "adult")], risk=hh.risk)
            world.end_relationship(leaver, stayer, "partner_of", on)
            couple = []
            adults = [stayer]
        # New partner for a lone parent.
        if len(adults) == 1 and kids and rng.random() < rates.new_partner * years:
            parent = adults[0]
            on = random_date(rng, w0, w1 - timedelta(days=30))
            if world.membership_on(parent, on) is None or world.household_of(parent, on) is not hh:
                continue
            sex = "M" if parent.sex == "F" else "F"
            pool = singles.get((hh.current.la, sex), [])
            if pool and rng.random() < 0.6:
                partner = pool.pop()
            else:
                partner = world.add_person(names.given(rng, sex), names.family(rng), sex,
                                           _dob(rng, w0, max(18, parent.age(w0) + rng.randint(-6, 8))),
                                           pnc=rng.random() < 0.12 * (0.4 + hh.risk), risk=hh.risk)
                world.add_household(world.new_address(hh.current.la),
                                    w0 - timedelta(days=rng.randint(30, 3000)), [(partner, "adult")])
            world.join(partner, hh, "partner", on)
            world.relate(partner, parent, "partner_of", on)
        # Births to a woman 18-42 living with a partner.
        mothers = [p for p in adults if p.sex == "F" and 18 <= p.age(w0) <= 42]
        if mothers and rng.random() < rates.births * years:
            mother = mothers[0]
            on = random_date(rng, w0 + timedelta(days=60), w1 - timedelta(days=20))
            if world.household_of(mother, on) is hh:
                partner = world.partner_of(mother, on)
                parents = [mother] + ([partner] if partner else [])
                family = partner.family if partner and rng.random() < 0.7 else mother.family
                babies = [world.add_person(names.given(rng, s), family, s, on, parents=parents, risk=hh.risk)
                          for s in ([rng.choice("MF")] * (2 if rng.random() < rates.twins else 1))]
                if len(babies) == 2:
                    babies[1].given = names.given(rng, babies[1].sex)
                    babies[1].twin_of = babies[0].pid
                    world.relate(babies[0], babies[1], "sibling_of")
                for baby in babies:
                    world.join(baby, hh, "child", on)
                    for k in kids:
                        if world.household_of(k, on) is hh:
                            world.relate(k, baby, "sibling_of")
        # Whole-household move.
        if rng.random() < rates.household_move * years:
            on = random_date(rng, w0 + timedelta(days=30), w1 - timedelta(days=10))
            la = hh.current.la
            if world.authorities > 1 and rng.random() < rates.move_other_la:
                la = rng.choice([x for x in range(1, world.authorities + 1) if x != la])
            world.move(hh, world.new_address(la), on)


def household_summary(world: World) -> dict[str, float]:
    """Mean members per household at the window start (for docs and tests)."""
    sizes = [len(world.members(hh, world.start)) for hh in world.households]
    sizes = [s for s in sizes if s]
    return {"households": len(sizes), "mean_size": sum(sizes) / max(1, len(sizes))}


__all__ += ["household_summary", "Household"]
