"""A replayed month: 30 synthetic nights (``mashgraph synth --days 30 --day-length 12``) loaded
one by one with the nightly cycle (``ingest/nightly.py``: delta ingest, incremental resolution,
facts of the touched people, then the alert run as of the night's date). Each planted instance must raise its
alert, and on the first night its facts allow (``first_detectable_day`` of the truth); no
near-miss control may raise one; no alert is duplicated.

Identity comes from resolution here (as in production), so the truth's person ids are read
through the records: a planted person is every resolved person one of their records joins.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pytest

from mashgraph.graph import open_store
from mashgraph.graph.alert_store import read_alerts
from mashgraph.graph.alerts import run_alerts
from mashgraph.ingest.nightly import read_manifest, replay
from mashgraph.ingest.synth import generate
from mashgraph.settings import load_settings

NIGHTS = 30
DAY_LENGTH = 12
PEOPLE = 700
SEED = 17
RESOLVED_CYPHER = "MATCH (r:Record)-[:RESOLVES_TO]->(p:Person) RETURN r.key AS record, p.key AS person"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """The replayed month: (store, truth, night of each day, the alert run of each night)."""
    out = tmp_path_factory.mktemp("alert-replay") / "w"
    generate(out, PEOPLE, seed=SEED, days=NIGHTS, day_length=DAY_LENGTH)
    as_of = {n["day"]: n["as_of"] for n in read_manifest(out)["nights"]}
    store = open_store(str(tmp_path_factory.mktemp("alert-replay-graph") / "graph"),
                       load_settings(environ={}, linked_risk_refresh=False))
    # Each night's cycle ends with the alert run, as of the night's date (run_night).
    runs = {day: report.alerts for day, report in enumerate(replay(store, out, f"1-{NIGHTS}"), start=1)}
    assert all(run is not None and run.night == as_of[day] for day, run in runs.items())
    with open(out / "truth" / "patterns.jsonl", encoding="utf-8") as fh:
        truth = [json.loads(line) for line in fh if line.strip()]
    yield store, out, truth, as_of, runs
    store.close()


def _person_keys(store, folder: Path) -> dict[str, set[str]]:
    """True person id -> the resolved person keys of their records."""
    with open(folder / "truth" / "records.csv", encoding="utf-8") as fh:
        true_of = {row["record_key"]: row["true_person_id"] for row in csv.DictReader(fh)}
    out: dict[str, set[str]] = defaultdict(set)
    for row in store.read(RESOLVED_CYPHER).records():
        if row["record"] in true_of:
            out[true_of[row["record"]]].add(row["person"])
    return out


def _matches(row: dict, match: dict, persons: dict[str, set[str]]) -> bool:
    for column, value in match.items():
        wanted = persons.get(value) or {value}   # a true person id reads as its resolved keys
        got = row.get(column)
        values = set(map(str, got)) if isinstance(got, list) else {str(got)}
        if not wanted & values:
            return False
    return True


def _alerts_for(alerts, planted: dict, persons) -> list:
    found = []
    for a in alerts:
        if a.pattern == planted["pattern"] and a.evidence:
            rows = [dict(zip(a.evidence["columns"], r)) for r in a.evidence["rows"]]
            if any(_matches(r, planted["match"], persons) for r in rows):
                found.append(a)
    return found


def test_a_replayed_month_raises_each_planted_alert_on_its_night(month):
    store, folder, truth, as_of, runs = month
    persons = _person_keys(store, folder)
    alerts = read_alerts(store, evidence=True)
    day_of = {night: day for day, night in as_of.items()}
    on_night, late, never = [], [], []
    for planted in (t for t in truth if t["kind"] == "instance"):
        found = _alerts_for(alerts, planted, persons)
        first = min((day_of[a.night] for a in found), default=None)
        due = planted["first_detectable_day"]
        (never if first is None else on_night if first == due else late).append((planted["pattern"], due, first))
    controls = [(t["pattern"], t["control"]) for t in truth if t["kind"] == "control"
                and _alerts_for(alerts, t, persons)]
    print(f"\nreplayed {NIGHTS} nights: {len(on_night)} planted alerts on their night, {len(late)} late "
          f"{late}, {len(never)} never {never}; controls raising an alert: {controls}")
    assert never == [] and late == [] and controls == []
    assert len(on_night) == sum(1 for t in truth if t["kind"] == "instance") >= 13


def test_no_alert_is_duplicated_and_each_night_reran_changes_nothing(month):
    store, _folder, _truth, as_of, runs = month
    keys = [a.key for a in read_alerts(store)]
    assert len(keys) == len(set(keys))
    assert sum(r.counts["opened"] for r in runs.values()) == len(keys)
    again = run_alerts(store, dt.date.fromisoformat(as_of[NIGHTS]))
    assert sum(again.counts[c] for c in again.counts if c != "unchanged") == 0
