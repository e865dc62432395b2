"""The nightly cycle (ingest/nightly.py): nightly deltas load to the same graph as one full
load, and the facts refreshed only for the touched people equal a full refresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mashgraph.cli import cli
from mashgraph.graph import open_store
from mashgraph.graph.analytics import refresh_facts
from mashgraph.ingest.jobs import run_job
from mashgraph.ingest.nightly import replay
from mashgraph.ingest.synth import generate
from mashgraph.settings import load_settings

NIGHTS = 5
PROVENANCE = {"source", "line", "run"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nightly") / "w"
    generate(out, 700, seed=17, authorities=2, days=NIGHTS, day_length=120)
    return out


def _store(path: Path):
    return open_store(str(path), load_settings(environ={}, linked_risk_refresh=False))


def _loaded_graph(store) -> tuple[set[str], set[str]]:
    """Every node and relationship the extracts made, without provenance (line and run differ)."""
    nodes = store.read("MATCH (n) WHERE NOT n:Concern AND NOT n:IngestRun "
                       "RETURN labels(n)[0] AS l, properties(n) AS p").rows
    edges = store.read("MATCH (a)-[r]->(b) WHERE NOT a:IngestRun "
                       "RETURN a.key, type(r), b.key, properties(r)").rows
    return ({repr((l, sorted((k, v) for k, v in p.items() if k not in PROVENANCE))) for l, p in nodes},
            {repr((a, t, b, sorted(p.items()))) for a, t, b, p in edges})


def test_all_nights_load_the_same_graph_as_one_full_load(world: Path, tmp_path: Path) -> None:
    with _store(tmp_path / "full") as full, _store(tmp_path / "days") as days:
        run_job(full, world / "job.yml", refresh=False)
        for night in range(1, NIGHTS + 1):
            report = run_job(days, world / "days" / f"day-{night:03d}" / "job.yml", refresh=False)
            assert not report.failed and report.totals()["quarantined"] == 0
        nodes_full, edges_full = _loaded_graph(full)
        nodes_days, edges_days = _loaded_graph(days)
        assert len(nodes_full) > 1000 and len(edges_full) > 2000
        assert nodes_days == nodes_full
        assert edges_days == edges_full
        # a night's load names the records, events and households its rows hold
        touched = report.touched()
        assert touched["Record"] and set(touched) <= {"Record", "Referral", "Incident", "Episode"}


_FACTS = ("MATCH (p:Person) RETURN p.key, p.frag_involved, p.frag_concerns, p.frag_known, p.frag_raised, "
          "p.frag_pairs, p.frag_unknown_pairs, p.fragmentation, p.frag_last_raised, p.frag_last_siloed, p.frag_undated "
          "ORDER BY p.key")
_EVENT_FACTS = ("MATCH (x) WHERE x:Referral OR x:Incident OR x:Episode "
                "RETURN x.key, x.frag_known_by, x.frag_raised_by ORDER BY x.key")
_HOME_FACT = "MATCH (p:Person) RETURN p.key, p.frag_youngest_housemate_year"
_HOUSEHOLD_FACTS = ("MATCH (h:Family) RETURN h.key, h.frag_members, h.frag_involved, h.frag_known, "
                    "h.frag_concerns, h.frag_pairs, h.frag_unknown_pairs, h.fragmentation ORDER BY h.key")


def test_nightly_facts_of_the_touched_people_equal_a_full_refresh(world: Path, tmp_path: Path) -> None:
    with _store(tmp_path / "g") as store:
        reports = replay(store, world, f"1-{NIGHTS}")
        assert [r.resolve.mode.split()[0] for r in reports] == ["full"] + ["incremental"] * (NIGHTS - 1)
        persons = store.read("MATCH (p:Person) RETURN count(p)").value()
        last = reports[-1]
        # a night refreshes a small part of the graph, not all of it
        assert 0 < last.facts.persons < persons / 2
        assert set(last.timings) == {"ingest", "resolve", "facts", "alerts"}
        manifest = json.loads((world / "days" / "manifest.json").read_text())
        assert [r.alerts.night for r in reports] == [n["as_of"] for n in manifest["nights"]]
        nightly = (store.read(_FACTS).rows, store.read(_HOUSEHOLD_FACTS).rows, store.read(_EVENT_FACTS).rows)
        homes = dict(store.read(_HOME_FACT).rows)
        refresh_facts(store)
        full = (store.read(_FACTS).rows, store.read(_HOUSEHOLD_FACTS).rows, store.read(_EVENT_FACTS).rows)
        # the housemates' birth year is pushed onto the people a night did not refresh: never lower
        # than a full refresh (think-family-gap would miss a child), and mostly equal
        full_homes = dict(store.read(_HOME_FACT).rows)
        assert sum(1 for y in full_homes.values() if y) > 100
        assert all(homes[k] is not None and homes[k] >= y for k, y in full_homes.items() if y is not None)
        assert sum(homes[k] == y for k, y in full_homes.items()) > 0.99 * len(full_homes)
        assert nightly[0] == full[0]
        assert nightly[1] == full[1]
        assert nightly[2] == full[2]
        assert 0 < last.facts.events < len(full[2]) / 2
        assert sum(1 for row in full[0] if row[1]) > 300


def test_replay_cli_and_its_errors(world: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "cli")
    result = CliRunner().invoke(cli, ["--db", db, "nightly", "replay", "--dir", str(world), "--days", "1-2",
                                      "--linked-risk-every", "2", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [Path(n["job"]).parent.name for n in lines] == ["day-001", "day-002"]
    assert lines[1]["linked_risk"] and "linked-risk" in lines[1]["timings"] and lines[0]["linked_risk"] is None
    assert lines[1]["as_of"] == json.loads((world / "days" / "manifest.json").read_text())["nights"][1]["as_of"]
    assert lines[1]["alerts"]["night"] == lines[1]["as_of"]
    one = CliRunner().invoke(cli, ["--db", db, "nightly", "run", str(world / "days" / "day-003" / "job.yml"),
                                   "--night", "2024-06-01", "--json"])
    assert one.exit_code == 0, one.output
    night = json.loads(one.output)
    assert night["job"].endswith("day-003/job.yml") and night["resolve"]["mode"].startswith("incremental")
    assert night["alerts"]["night"] == "2024-06-01"
    quiet = CliRunner().invoke(cli, ["--db", db, "nightly", "run", str(world / "days" / "day-004" / "job.yml"),
                                     "--no-alerts"])
    assert quiet.exit_code == 0 and "alert matches" not in quiet.output and "day-004" in quiet.output
    bad_night = CliRunner().invoke(cli, ["--db", db, "nightly", "run", str(world / "days" / "day-005" / "job.yml"),
                                         "--night", "June"])
    assert bad_night.exit_code != 0 and "is not a date" in bad_night.output
    for days, message in (("3-1", "outside 1..5"), ("2,1", "ascending"), ("1-9", "outside 1..5")):
        bad = CliRunner().invoke(cli, ["--db", db, "nightly", "replay", "--dir", str(world), "--days", days])
        assert bad.exit_code != 0 and message in bad.output, bad.output
    missing = CliRunner().invoke(cli, ["--db", db, "nightly", "replay", "--dir", str(tmp_path)])
    assert missing.exit_code != 0 and "holds no nightly deltas" in missing.output
