"""Planted partnership changes (``mashgraph synth --plant-partnership``): two changes a
partnership dashboard must show, written down in ``truth/partnership.json``.

- **Sharing improves:** from ``sharing_from`` on, ``sharing_agency`` (police) tells the
  agencies involved with the people of each of its concern-raising events about it (a share,
  as Operation Encompass does), with probability ``sharing_share``. Before that month it
  shares as the background does.
- **A backlog:** in the month ``late_month`` (December 2023), each contact to children's
  social care is decided 2 to 6 working days late with probability ``late_share``.
- **A lower threshold:** ``threshold_agency`` (health) makes extra contacts to children's
  social care that end in no further action or advice: for each contact it made (planted
  ones too), with probability ``threshold_extra``, another one about the same child 30 to
  200 days later.

The plant runs after the background and the patterns, on its own random stream, and only
when asked for: without the flag the generator writes exactly what it wrote before.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from .activity import next_working_day, sample_factors
from .world import World

__all__ = ["PartnershipPlan", "plant_partnership"]

# Source codes of a health contact (DOMAIN.md: 3A-3F).
_HEALTH_SOURCES = ("3A", "3B", "3C", "3D", "3E", "3F")
_LOW_OUTCOMES = {"nfa": 0.7, "advice_signpost": 0.3}


@dataclass(frozen=True)
class PartnershipPlan:
    """What to plant; the defaults are what ``--plant-partnership`` plants."""
    sharing_agency: str = "police"
    sharing_from: date = date(2024, 1, 1)
    sharing_share: float = 0.9
    threshold_agency: str = "health"
    threshold_extra: float = 1.0
    late_month: date = date(2023, 12, 1)
    late_share: float = 0.4

    def truth(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}


def _involved(world: World) -> dict[str, set[str]]:
    """Person id -> the agencies whose events involve the person (they hold a record of them)."""
    involved: dict[str, set[str]] = {}
    for event in world.events:
        for inv in event.people:
            involved.setdefault(inv.person.pid, set()).add(event.agency)
    return involved


def _plant_sharing(world: World, plan: PartnershipPlan, rng: random.Random) -> int:
    involved = _involved(world)
    shared = 0
    for event in list(world.events):
        if (event.agency != plan.sharing_agency or event.date < plan.sharing_from or not event.codes
                or event.shared_with or event.fmt != "police_incident"):
            continue
        if rng.random() >= plan.sharing_share:
            continue
        people = [inv.person for inv in event.people]
        agencies = sorted(set().union(*(involved.get(p.pid, set()) for p in people)) - {event.agency})
        if agencies:
            world.share(event, people, agencies, next_working_day(event.date))
            shared += 1
    return shared


def _plant_backlog(world: World, plan: PartnershipPlan, rng: random.Random) -> int:
    late = 0
    for event in world.events:
        if event.fmt != "csc_contact" or (event.date.year, event.date.month) != (plan.late_month.year,
                                                                                 plan.late_month.month):
            continue
        if rng.random() < plan.late_share:
            decided = event.date
            for _ in range(rng.randint(2, 6)):
                decided = next_working_day(decided)
            event.attrs["decision_date"] = decided
            late += 1
    return late


def _plant_threshold(world: World, plan: PartnershipPlan, rng: random.Random) -> int:
    contacts = [e for e in world.events if e.fmt == "csc_contact"
                and e.attrs.get("source_agency") == plan.threshold_agency]
    added = 0
    for contact in contacts:
        if rng.random() >= plan.threshold_extra:
            continue
        child = contact.people[0].person
        on = contact.date + timedelta(days=rng.randint(30, 200))
        if on > world.end or child.age(on) >= 18:
            continue
        outcome = rng.choices(list(_LOW_OUTCOMES), list(_LOW_OUTCOMES.values()))[0]
        world.contact(child, on, source_code=rng.choice(_HEALTH_SOURCES), factors=sample_factors(rng),
                      rag="GREEN", outcome=outcome, source_agency=plan.threshold_agency,
                      time=f"{rng.randint(8, 18):02d}:{rng.randrange(60):02d}")
        added += 1
    return added


def plant_partnership(world: World, plan: PartnershipPlan) -> dict[str, Any]:
    """Plant both changes of ``plan`` into ``world`` (before ``world.finalise()``); returns the
    truth to write to ``truth/partnership.json``."""
    rng = world.stream("partnership")
    shared = _plant_sharing(world, plan, rng)
    late = _plant_backlog(world, plan, rng)
    added = _plant_threshold(world, plan, rng)
    return {"plan": plan.truth(), "events_shared": shared, "late_decisions": late, "extra_contacts": added}

