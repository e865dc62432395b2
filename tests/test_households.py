"""Resolved households (ingest/resolve/households.py): every agency's record of one family
joins one ``Family``, scored against the generator's true households, and the saved queries,
facts and pages count that family once.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES
from mashgraph.graph import open_store
from mashgraph.graph.analytics import refresh_facts
from mashgraph.graph.family import household_view
from mashgraph.graph.saved_queries import coerce_params, load_library, run_saved_query
from mashgraph.ingest.jobs import run_job
from mashgraph.ingest.resolve.households import HouseholdRecord, family_link, resolve_households
from mashgraph.ingest.synth.household_truth import family_assignment, household_truth
from mashgraph.settings import load_settings
from truth_links import link_by_truth

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_resolve import score  # noqa: E402

TRUTH = FIXTURES / "synth" / "truth"
D = dt.date


def _hh(key: str, members: dict, places: dict | None = None) -> HouseholdRecord:
    return HouseholdRecord(key, key.split(":")[0], members, places or {})


OPEN = (None, None)


# --- the rule, both sides of each link ------------------------------------------------------

def test_two_shared_people_join_but_one_of_four_does_not():
    csc = _hh("csc:H1", {"mum": OPEN, "kid": OPEN, "dad": OPEN})
    assert family_link(csc, _hh("housing:T1", {"mum": OPEN, "kid": OPEN})).method == "members"
    # The father's own later flat shares one person of three: not the family.
    assert family_link(csc, _hh("housing:T2", {"dad": OPEN, "new": OPEN, "other": OPEN, "x": OPEN})) is None


def test_one_shared_person_joins_only_at_the_same_address_at_the_same_time():
    csc = _hh("csc:H1", {"mum": OPEN, "kid": OPEN, "gran": OPEN},
              {"uprn1": [(D(2020, 1, 1), None)]})
    same = _hh("housing:T1", {"mum": OPEN, "lodger": OPEN, "other": OPEN}, {"uprn1": [(D(2021, 5, 1), None)]})
    assert family_link(csc, same).method == "member and address"
    elsewhere = _hh("housing:T2", {"mum": OPEN, "lodger": OPEN, "other": OPEN}, {"uprn2": [(D(2021, 5, 1), None)]})
    assert family_link(csc, elsewhere) is None
    earlier = _hh("housing:T3", {"mum": OPEN, "lodger": OPEN, "other": OPEN},
                  {"uprn1": [(D(2010, 1, 1), D(2015, 1, 1))]})
    assert family_link(csc, earlier) is None


def test_a_family_of_one_that_moved_joins_but_a_partner_moving_in_does_not():
    alone = _hh("housing:T1", {"ann": (D(2010, 1, 1), D(2022, 6, 14))})
    assert family_link(alone, _hh("housing:T2", {"ann": (D(2022, 6, 14), None)})).method == "same members"
    # Ann's old tenancy ends the day a tenancy of hers with two others begins: the family moved.
    moved = _hh("housing:T3", {"ann": (D(2022, 6, 20), None), "kid": (D(2022, 6, 20), None)})
    assert family_link(alone, moved).method == "moved"
    # Ann's own tenancy still open when she joins a partner's household: two families.
    still = _hh("housing:T4", {"ann": (D(2010, 1, 1), None)})
    partner = _hh("csc:H9", {"ann": (D(2022, 6, 20), None), "bob": (D(2015, 1, 1), None),
                             "kid": (D(2015, 1, 1), None)})
    assert family_link(still, partner) is None


# --- against the generator's true households -----------------------------------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("households") / "graph"
    with open_store(str(path), load_settings(environ={})) as store:
        store.ensure_schema()
        run_job(store, FIXTURES / "synth" / "job.yml", quarantine_dir=path.parent / "q")
        link_by_truth(store, TRUTH / "records.csv")  # resolves the households too
        yield store


def test_families_match_the_true_households(world):
    truth = household_truth(world, TRUTH)
    families = family_assignment(world)
    assert len(truth) >= 60 and set(truth) <= set(families)
    s = score(truth, families)
    # Social care households and housing tenancies of one true household do join: 16 pairs.
    assert s["true_pairs"] >= 15
    assert (s["precision"], s["recall"]) == (1.0, 1.0), s
    agencies = world.read("MATCH (f:Family) WHERE f.households > 1 RETURN f.agencies AS a").column("a")
    assert any(any(a.startswith("csc") for a in x) and any(a.startswith("housing") for a in x) for x in agencies)


def test_a_second_run_changes_nothing(world):
    before = world.read("MATCH (h:Household)-[x:IN_FAMILY]->(f:Family) RETURN h.key, f.key, x.evidence "
                        "ORDER BY h.key").rows
    report = resolve_households(world, "again")
    assert report.changed_links == 0
    assert world.read("MATCH (h:Household)-[x:IN_FAMILY]->(f:Family) RETURN h.key, f.key, x.evidence "
                      "ORDER BY h.key").rows == before


# A housing tenancy of the toxic-trio family at its address: the same family, a second agency.
TENANCY_CYPHER = """
UNWIND $people AS pk
MATCH (p:Person {key: pk})<-[:RESOLVES_TO]-(:Record)-[m:MEMBER_OF]->(:Household)
WITH p, min(m.from) AS since
MATCH (:Person {key: p.key})<-[:RESOLVES_TO]-(:Record)-[:LIVES_AT]->(a:Address)
WITH p, since, min(a.key) AS address
MATCH (a:Address {key: address})
MERGE (h:Household {key: 'housing-test:T1'})
MERGE (r:Record {key: 'housing-test:' + p.key})
SET r.agency = 'housing-test', r.local_id = p.key
MERGE (r)-[:RESOLVES_TO {probability: 1.0, method: 'test'}]->(p)
MERGE (r)-[:MEMBER_OF {role: 'household_member', from: since}]->(h)
MERGE (r)-[:LIVES_AT {from: since}]->(a)
"""


def _trio_rows(store) -> list[dict]:
    query = load_library()["toxic-trio"]
    params = coerce_params(query, {"until": "2025-03-31", "limit": "1000"})
    return run_saved_query(store, query, params)[0].records()


def test_a_family_two_agencies_recorded_is_one_toxic_trio_row(world):
    trio = next(json.loads(line) for line in (TRUTH / "patterns.jsonl").read_text().splitlines()
                if '"toxic-trio"' in line and '"instance"' in line)
    people = sorted(trio["people"])
    mine = [r for r in _trio_rows(world) if set(people) & set(r["people"])]
    assert len(mine) == 1
    family = mine[0]["household"]
    world.write(TENANCY_CYPHER, {"people": people})
    records = world.read("MATCH (r:Record) WHERE r.agency = 'housing-test' RETURN r.key").column("r.key")
    assert len(records) == len(people)
    # An increment over the new records reads only their neighbourhood and places the tenancy in
    # the family; the social care household's link now names the tenancy as its evidence.
    report = resolve_households(world, "increment", records)
    assert report.households == 2 and report.changed_links == 2
    assert world.read("MATCH (:Household {key: 'housing-test:T1'})-[x:IN_FAMILY]->(f:Family) "
                      "RETURN f.key, x.method").rows == [[family, "members"]]
    refresh_facts(world)
    rows = [r for r in _trio_rows(world) if set(people) & set(r["people"])]
    assert [r["household"] for r in rows] == [family]
    # The page of either agency's record shows the whole family and both records underneath.
    for key in (family, "housing-test:T1"):
        page = household_view(world, key)
        assert page.family == family and "housing-test:T1" in {r["household"] for r in page.recorded_as}
        assert len(page.recorded_as) >= 2 and set(people) <= set(page.person_keys)
    ranked = world.read("MATCH (f:Family {key: $k}) RETURN f.frag_members, f.households", {"k": family}).rows
    assert ranked == [[len(people), len(page.recorded_as)]]
    # A full run agrees with the increment.
    assert resolve_households(world, "full").changed_links == 0


def test_resolution_indexes_the_families_of_a_graph_loaded_before_they_existed(tmp_path):
    """A graph ingested by an older release has no index on Family keys; resolving it creates one
    (without it the household page and every saved-query page scan all families per key)."""
    from mashgraph.graph import open_store
    from mashgraph.ingest.jobs import run_job
    from mashgraph.ingest.resolve import resolve_records
    from mashgraph.settings import load_settings

    with open_store(str(tmp_path / "graph"), load_settings(environ={})) as store:
        run_job(store, FIXTURES / "synth" / "job.yml")
        graph = store._graph  # the embedded FalkorDB graph: undo what ensure_schema made for Family
        graph.execute_command("GRAPH.CONSTRAINT", "DROP", graph.name, "UNIQUE", "NODE", "Family",
                              "PROPERTIES", "1", "key")
        store.write("DROP INDEX FOR (n:Family) ON (n.key)")
        assert "Family" not in {row[1] for row in store.schema().rows}
        resolve_records(store)
        assert {row[0] for row in store.schema().rows if row[1] == "Family"} == {"index", "constraint"}
