"""The family view and linked adults (graph/family.py) against the synthetic fixture's truth.

The planted invisible man and new unknown adult are exactly the adults the panel exists to
show on the child's page; the household page's who-knows-what must equal the stored facts.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import FIXTURES
from mashgraph.graph import open_store
from mashgraph.graph.family import household_view, is_adult, linked_adults
from mashgraph.ingest.jobs import run_job
from mashgraph.settings import load_settings
from truth_links import link_by_truth

TRUTH = FIXTURES / "synth" / "truth"
AS_OF = dt.date(2025, 3, 31)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("family") / "graph"
    with open_store(str(path), load_settings(environ={})) as store:
        store.ensure_schema()
        run_job(store, FIXTURES / "synth" / "job.yml", quarantine_dir=path.parent / "q")
        link_by_truth(store, TRUTH / "records.csv")
        yield store


def _instances(pattern: str) -> list[dict]:
    rows = [json.loads(line) for line in (TRUTH / "patterns.jsonl").read_text().splitlines()]
    found = [r for r in rows if r["pattern"] == pattern and r["kind"] == "instance"]
    assert found, f"the fixture plants no {pattern}"
    return found


@pytest.mark.parametrize("pattern, adult_field", [("invisible-man", "man"), ("new-unknown-adult", "adult")])
def test_the_planted_adult_is_on_the_childs_panel(world, pattern, adult_field):
    for inst in _instances(pattern):
        child, adult = inst["match"]["person"], inst["match"][adult_field]
        adults = {a.key: a for a in linked_adults(world, child, AS_OF)}
        assert adult in adults, (pattern, child, sorted(adults))
        assert child not in adults
        assert all(not a.age_known or is_adult(a.dob, AS_OF) for a in adults.values())


def test_new_unknown_adults_police_record_is_named(world):
    for inst in _instances("new-unknown-adult"):
        adult = {a.key: a for a in linked_adults(world, inst["match"]["person"], AS_OF)}[inst["match"]["adult"]]
        assert any(j.startswith("police record") for j in adult.justice), adult


def test_the_household_page_shows_the_stored_fact_for_every_household(world):
    # The facts are the resolved household's (Family): a household record's page shows its family's.
    stored = world.read("MATCH (r:Household)-[:IN_FAMILY]->(h:Family) RETURN r.key AS key, h.fragmentation AS f, "
                        "h.frag_involved AS involved, h.frag_concerns AS concerns ORDER BY key").records()
    assert len(stored) > 50 and sum(1 for r in stored if r["f"] is not None) > 10
    for row in stored:
        hh = household_view(world, row["key"])
        assert hh.gap.fragmentation == row["f"], row["key"]
        assert hh.gap.involved == row["involved"] and sorted(hh.gap.concerns) == sorted(row["concerns"]), row["key"]
        unknown = sum(len(agencies) for agencies in hh.gap.missing.values())
        if row["f"] is not None:
            assert unknown / (len(hh.gap.concerns) * len(hh.gap.involved)) == pytest.approx(row["f"]), row["key"]


def test_toxic_trio_family_sees_every_concern_and_the_other_agencies_household(world):
    inst = _instances("toxic-trio")[0]
    people = set(inst["people"])
    keys = world.read("UNWIND $people AS pk MATCH (:Person {key: pk})<-[:RESOLVES_TO]-(:Record)-[:MEMBER_OF]->(h:Household) "
                      "RETURN DISTINCT h.key AS key", {"people": sorted(people)}).column("key")
    assert len(keys) >= 1
    views = [household_view(world, k) for k in keys]
    # The family page of any household of theirs shows all three concerns of the trio.
    for hh in views:
        assert {"2B", "3B", "4B"} <= set(hh.gap.concerns), (hh.key, hh.gap.concerns)
    if len(keys) > 1:  # another agency recorded the same family: each page links the other
        for hh in views:
            assert set(keys) - {hh.key} <= {r["household"] for r in hh.related}
