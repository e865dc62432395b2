"""Linked risk, communities and brokers (graph/projection.py, linked_risk.py, communities.py,
risk_facts.py) on the committed synthetic fixture, linked by truth (which runs the analytics,
as resolution does)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from mashgraph.cli import cli
from mashgraph.errors import ConfigError
from mashgraph.graph import open_store
from mashgraph.graph.analytics import refresh_linked_risk
from mashgraph.graph.linked_risk import RiskWeights, linked_risk, load_weights, pagerank, seeds_of
from mashgraph.graph.projection import project, project_neighbourhood
from mashgraph.graph.risk_facts import analyse, run_analytics
from mashgraph.graph.saved_queries import coerce_params, load_library, run_saved_query
from mashgraph.ingest.jobs import run_job
from mashgraph.settings import load_settings
from truth_links import link_by_truth

TRUTH = FIXTURES / "synth" / "truth"
LIBRARY = load_library()
STORED_CYPHER = """
MATCH (p:Person)
RETURN p.key AS key, p.risk_score AS score, p.risk_rank AS rank, p.risk_reasons AS reasons,
       p.risk_paths AS paths, p.community AS community, p.broker_children AS broker_children,
       p.community_exploitation AS exploitation, p.risk_run AS run, p.risk_as_of AS as_of
ORDER BY key
"""


def _instances(pattern: str, kind: str = "instance") -> list[dict]:
    rows = [json.loads(line) for line in (TRUTH / "patterns.jsonl").read_text().splitlines()]
    return [r for r in rows if r["pattern"] == pattern and r["kind"] == kind]


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("linked-risk") / "graph"
    with open_store(str(path), load_settings(environ={})) as store:
        run_job(store, FIXTURES / "synth" / "job.yml")
        link_by_truth(store, TRUTH / "records.csv")
        yield store


def _stored(store) -> dict[str, dict]:
    return {r["key"]: r for r in store.read(STORED_CYPHER).records()}


def test_every_person_gets_a_score_rank_and_run_time(graph):
    rows = _stored(graph)
    assert rows and all(r["score"] is not None and r["run"] and r["as_of"] for r in rows.values())
    assert sorted(r["rank"] for r in rows.values()) == list(range(1, len(rows) + 1))
    top = min(rows.values(), key=lambda r: r["rank"])
    assert top["reasons"] and top["paths"] and top["paths"][0].split(">")[-1] == top["key"]


def test_stored_scores_are_the_computation_and_scipy_agrees_with_pure_python(graph):
    proj = project(graph, batch_size=50)  # several batches on the fixture
    risk, groups = analyse(proj, RiskWeights())
    stored = _stored(graph)
    assert set(stored) == set(proj.persons)
    for key, value in risk.scores.items():
        assert stored[key]["score"] == pytest.approx(value, abs=1e-6)
        assert stored[key]["community"] == groups.of.get(key)
    seeds = seeds_of(proj, RiskWeights(), risk.as_of)
    fast = pagerank(proj.graph, seeds, 0.85, "scipy")
    reference = pagerank(proj.graph, seeds, 0.85, "python")
    assert max(abs(fast[k] - reference[k]) for k in fast) < 1e-8


def test_a_rerun_stores_the_same_values(graph):
    before = _stored(graph)
    run_analytics(graph)
    after = _stored(graph)
    strip = lambda rows: {k: {c: v for c, v in r.items() if c != "run"} for k, r in rows.items()}  # noqa: E731
    assert strip(before) == strip(after)


def test_planted_peer_network_adult_is_a_broker_of_three_children_in_an_exploitation_community(graph):
    rows = _stored(graph)
    (network,) = _instances("peer-exploitation-network")
    adult, kids = network["match"]["person"], [p for p in network["people"] if p != network["match"]["person"]]
    assert rows[adult]["broker_children"] == 3
    assert {rows[k]["community"] for k in kids} == {rows[adult]["community"]}
    assert rows[adult]["exploitation"] >= 3
    for control in _instances("peer-exploitation-network", "control"):
        assert (rows[control["match"]["person"]]["broker_children"] or 0) < 3, control["control"]


def test_a_child_with_no_concern_of_their_own_is_scored_through_their_family(graph):
    (blind,) = _instances("sibling-blind-spot")
    rows, proj = _stored(graph), project(graph)
    sibling, child = blind["match"]["sibling"], blind["match"]["person"]
    assert not proj.persons[sibling].concerns
    as_of = rows[sibling]["as_of"]
    unseeded = sorted(rows[k]["score"] for k, info in proj.persons.items()
                      if not info.concerns and (age := info.age_on(as_of)) is not None and age < 18)
    # in the top quarter of the children with no concern of their own
    assert rows[sibling]["score"] > unseeded[len(unseeded) * 3 // 4] > 0
    assert any(path.startswith(child + ">") for path in rows[sibling]["paths"])
    reason = rows[sibling]["reasons"][0]
    assert reason.startswith(child) and "16A neglect" in reason and "% of the score" in reason


def test_neighbourhood_projection_is_part_of_the_whole_one(graph):
    (network,) = _instances("peer-exploitation-network")
    adult = network["match"]["person"]
    whole, near = project(graph), project_neighbourhood(graph, adult, hops=2)
    assert set(network["people"]) <= set(near.persons)
    for a, b, kinds in near.graph.edges(data="kinds"):
        assert whole.graph.has_edge(a, b) and whole.graph[a][b]["kinds"] == kinds
    assert set(near.graph[adult]) == set(whole.graph[adult])
    assert not project_neighbourhood(graph, "no-such-person").graph.edges


def test_weights_file_changes_the_score_and_a_bad_one_is_a_one_line_error(graph, tmp_path):
    good = tmp_path / "w.yml"
    good.write_text("concerns: {'11A': 0, '24A': 0, '13A': 0, '18C': 0}\nalpha: 0.5\n")
    weights = load_weights(good)
    assert weights.concern("11A") == 0 and weights.concern("3B") == RiskWeights().concern("3B") and weights.alpha == 0.5
    proj = project(graph)
    assert linked_risk(proj, weights).scores != linked_risk(proj, RiskWeights()).scores
    bad = tmp_path / "bad.yml"
    bad.write_text("alpah: 0.5\n")
    with pytest.raises(ConfigError) as err:
        load_weights(bad)
    assert "alpah" in str(err.value) and "\n" not in str(err.value)
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "g"), "analytics", "run", "--weights", str(bad)])
    assert result.exit_code != 0 and "unknown keys ['alpah']" in result.output


def test_refresh_is_skipped_when_the_setting_is_off(tmp_path):
    settings = load_settings(environ={"MASHGRAPH_LINKED_RISK_REFRESH": "false"})
    with open_store(str(tmp_path / "g"), settings) as store:
        store.ensure_schema()
        assert refresh_linked_risk(store) is None


def test_analytics_run_command(tmp_path):
    db = tmp_path / "g"
    with open_store(str(db), load_settings(environ={})) as store:
        run_job(store, FIXTURES / "synth" / "job.yml")
        link_by_truth(store, TRUTH / "records.csv")
        store.write("MATCH (p:Person) REMOVE p.risk_score")
    result = CliRunner().invoke(cli, ["--db", str(db), "analytics", "run"])
    assert result.exit_code == 0, result.output
    assert "linked risk: " in result.output and " persons, " in result.output and "communities" in result.output
    with open_store(str(db), load_settings(environ={})) as store:
        assert store.read("MATCH (p:Person) WHERE p.risk_score IS NULL RETURN count(p)").value() == 0


def _run(store, slug: str, **params) -> list[dict]:
    query = LIBRARY[slug]
    result, _ = run_saved_query(store, query, coerce_params(query, params))
    return result.records()


def test_linked_risk_children_lists_children_unknown_to_social_care_by_score(graph):
    rows = _run(graph, "linked-risk-children")
    stored, proj = _stored(graph), project(graph)
    as_of = stored[rows[0]["person"]]["as_of"]
    expected = [k for k, info in proj.persons.items()
                if (age := info.age_on(as_of)) is not None and age < 18
                and "childrens_social_care" not in info.agencies.values()]
    expected.sort(key=lambda k: (-stored[k]["score"], k))
    assert [r["person"] for r in rows] == expected[:100]
    assert all(r["reasons"] == stored[r["person"]]["reasons"] for r in rows)
    (blind,) = _instances("sibling-blind-spot")
    assert blind["match"]["sibling"] in {r["person"] for r in rows}  # known to school only
    younger = _run(graph, "linked-risk-children", max_age=10, min_score=0.5)
    assert younger and all(proj.persons[r["person"]].age_on(as_of) < 10 and r["score"] >= 0.5 for r in younger)


def test_exploitation_communities_rank_the_planted_peer_network_first(graph):
    rows = _run(graph, "exploitation-communities")
    (network,) = _instances("peer-exploitation-network")
    adult = network["match"]["person"]
    mine = [r for r in rows if adult in r["people"]]
    assert len(mine) == 1 and set(network["people"]) <= set(mine[0]["people"])
    assert adult in mine[0]["broker_people"] and {"11A", "24A"} <= set(mine[0]["codes"])
    assert rows[0]["exploitation"] == max(r["exploitation"] for r in rows) >= mine[0]["exploitation"]
    assert all(r["exploitation"] >= 2 for r in rows)
    assert not _run(graph, "exploitation-communities", min_exploitation=1000)


def test_brokers_lists_the_planted_groomer_first(graph):
    rows = _run(graph, "brokers")
    (network,) = _instances("peer-exploitation-network")
    assert rows[0]["person"] == network["match"]["person"] and rows[0]["children"] == 3
    assert [r["children"] for r in rows] == sorted((r["children"] for r in rows), reverse=True)
    assert [r["person"] for r in _run(graph, "brokers", min_children=3)] == [network["match"]["person"]]
