"""Alerts: the header fields, nightly runs against planted truth, a second night of added
records (new, updated, no longer matching, dismissed-and-quiet, dismissed-and-reopened),
idempotent reruns, decisions with frozen snapshots, and the ``mashgraph alerts`` commands.

The nights are the committed synthetic fixture (night 1, 2025-04-01) and then a delta file
of children's social care contacts written here (night 2, 2025-04-02), loaded with the real
``run_source`` path, as a nightly job would.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from mashgraph.cli import cli
from mashgraph.errors import SavedQueryError, ValidationError
from mashgraph.graph import open_store
from mashgraph.graph.alert_cases import comment, decide, get_decision, read_decisions, set_status
from mashgraph.graph.alert_store import AlertFilter, get_alert, read_alerts, read_history
from mashgraph.graph.alerts import run_alerts
from mashgraph.graph.saved_queries import load_library, load_query, run_saved_query
from mashgraph.ingest.jobs import run_job, run_source
from mashgraph.settings import load_settings
from truth_links import link_by_truth

FIXTURE = FIXTURES / "synth"
NIGHT1, NIGHT2 = dt.date(2025, 4, 1), dt.date(2025, 4, 2)
PATTERNS = ("cumulative-harm", "exploitation-hub", "invisible-man", "jigsaw", "missing-then-exploited",
            "new-unknown-adult", "peer-exploitation-network", "serial-perpetrator", "sibling-blind-spot",
            "siloed-concern", "split-identity", "think-family-gap", "toxic-trio")
COUNT_CYPHER = "MATCH (n) WHERE n:Alert OR n:AlertEvent OR n:AlertDecision RETURN labels(n)[0] AS label, count(*) AS n"


def _truth() -> list[dict]:
    with open(FIXTURE / "truth" / "patterns.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _matches(row: dict, match: dict) -> bool:
    return all(row[c] == v or (isinstance(row[c], list) and v in row[c]) for c, v in match.items())


def _alert_for(alerts, planted: dict):
    """The alerts of the planted instance's pattern whose evidence holds a row matching it."""
    found = []
    for a in alerts:
        if a.pattern != planted["pattern"] or not a.evidence:
            continue
        rows = [dict(zip(a.evidence["columns"], r)) for r in a.evidence["rows"]]
        if any(_matches(r, planted["match"]) for r in rows):
            found.append(a)
    return found


def _counts(store) -> dict[str, int]:
    return {r["label"]: r["n"] for r in store.read(COUNT_CYPHER).records()}


@pytest.fixture(scope="module")
def night1(tmp_path_factory):
    """The fixture loaded and linked by the truth, and the first night's alert run."""
    store = open_store(str(tmp_path_factory.mktemp("alerts") / "graph"), load_settings(environ={}))
    store.ensure_schema()
    run_job(store, FIXTURE / "job.yml")
    link_by_truth(store, FIXTURE / "truth" / "records.csv")
    report = run_alerts(store, NIGHT1)
    yield store, report
    store.close()


# -- the header ---------------------------------------------------------------------------------

def test_the_patterns_fragmentation_and_late_decisions_are_alerts():
    library = load_library()
    alerting = {slug for slug, q in library.items() if q.alert is not None}
    assert alerting == {*PATTERNS, "fragmentation-persons", "fragmentation-households", "late-decisions"}
    assert library["toxic-trio"].alert.key == ("household",)
    assert library["invisible-man"].alert.key == ("person", "man")
    assert library["fragmentation-persons"].alert.params["min_score"] == 0.75


HEADER = "// title: T\n// description: D\n// params:\n//   limit: {type: int, default: 5, help: most}\n"
BODY = "// returns: table\nMATCH (p:Person) RETURN p.key AS person LIMIT $limit\n"


@pytest.mark.parametrize("extra, words", [
    ("// alert_key: person\n", "alert_key is set but the query is not an alert"),
    ("// alert: yes please\n", "alert is 'yes please'"),
    ("// alert: true\n// severity: high\n", "alert_key is None"),
    ("// alert: true\n// alert_key: household\n// severity: high\n", "column 'household' does not appear"),
    ("// alert: true\n// alert_key: person\n// severity: urgent\n", "severity is 'urgent'"),
    ("// alert: true\n// alert_key: person\n// severity: low\n// alert_params: {until: 2024-01-01}\n",
     "'until', which is not a parameter"),
    ("// alert: true\n// alert_key: person\n// severity: low\n// alert_params: {limit: many}\n",
     "alert_params 'limit' is 'many', not a int"),
])
def test_a_bad_alert_header_names_the_file_and_line(tmp_path, extra, words):
    path = tmp_path / "bad-alert.cypher"
    path.write_text(HEADER + extra + BODY, encoding="utf-8")
    with pytest.raises(SavedQueryError) as err:
        load_query(path)
    assert words in str(err.value) and str(path) in str(err.value)


# -- night 1: the planted truth -------------------------------------------------------------------

def test_every_planted_instance_raises_an_alert_and_no_control_does(night1):
    store, report = night1
    alerts = read_alerts(store, evidence=True)
    truth = [t for t in _truth() if t["pattern"] in PATTERNS]
    missed = [t["story"] for t in truth if t["kind"] == "instance" and not _alert_for(alerts, t)]
    raised = [(t["pattern"], t["control"]) for t in truth if t["kind"] == "control" and _alert_for(alerts, t)]
    assert missed == [] and raised == []
    assert {t["pattern"] for t in truth} == set(PATTERNS)
    assert report.counts["opened"] == len(alerts) == sum(report.matches.values())


def test_no_alert_is_duplicated_and_a_rerun_changes_nothing(night1):
    store, _ = night1
    before = _counts(store)
    keys = [a.key for a in read_alerts(store)]
    assert len(keys) == len(set(keys)) == before["Alert"]
    again = run_alerts(store, NIGHT1)
    assert again.counts["opened"] == again.counts["updated"] == again.counts["no_longer_matching"] == 0
    assert again.counts["unchanged"] == len(keys)
    assert _counts(store) == before


def test_each_alert_names_its_people_and_households(night1):
    store, _ = night1
    trio = [a for a in read_alerts(store) if a.pattern == "toxic-trio"]
    assert len(trio) == 1 and trio[0].households == [trio[0].match["household"]]
    assert {"P0000420", "P0000421", "P0000422"} <= set(trio[0].people)
    man = get_alert(store, "invisible-man:P0000442|P0000443")
    assert man is not None and man.people == ["P0000442", "P0000443"] and man.severity == "high"


# -- working an alert -------------------------------------------------------------------------------

def test_closing_needs_a_decision_and_the_decision_keeps_a_snapshot(night1):
    store, _ = night1
    key = "invisible-man:P0000442|P0000443"
    with pytest.raises(ValidationError, match="needs a decision record"):
        set_status(store, key, "confirmed", "ana")
    with pytest.raises(ValidationError, match="RAG rating 'PURPLE'"):
        decide(store, key, status="confirmed", rag="purple", outcome="refer_csc", reason="x", by="ana")
    with pytest.raises(ValidationError, match="needs the agency"):
        decide(store, key, status="confirmed", rag="red", outcome="share_with_agency", reason="x", by="ana")
    set_status(store, key, "in_progress", "ana")
    comment(store, key, "the man is the mother's partner", "ana")
    made = decide(store, key, status="confirmed", rag="red", outcome="strategy_discussion",
                  reason="unknown man at an injured baby's address", by="ana", night=NIGHT1)
    stored = get_decision(store, made.key)
    assert stored.snapshot["rows"] and stored.snapshot["columns"][:2] == ["person", "name"]
    baby = [s for s in stored.snapshot["subjects"] if s["key"] == "P0000442"][0]
    assert baby["events"] and baby["gap"]["involved"]
    assert get_alert(store, key).status == "confirmed"
    actions = [h.action for h in read_history(store, key)]
    assert actions == ["opened", "status", "comment", "decision"]
    assert [d.key for d in read_decisions(store, key)] == [made.key]


# -- night 2: added records ---------------------------------------------------------------------------

DELTA = [
    # A fourth low-level contact before the red one turns the 'three-low-level' control into a match.
    dict(contact_id="CT90000001", contact_datetime="2024-07-10 10:00", person_id="7523959", given_name="Nigel",
         family_name="Marshall", dob="2017-12-04", sex="Male", nhs_number="9367291280",
         household_id="H6273886", source_code="2A", source_agency="edu-la1", rag="GREEN", outcome="nfa", nfa="Y",
         decision_date="2024-07-11"),
    # A contact that did not end in no further action, inside the jigsaw child's window: no longer jigsaw.
    dict(contact_id="CT90000002", contact_datetime="2024-08-15 10:00", person_id="6930460", given_name="Richard",
         family_name="Woodward", dob="2015-10-26", sex="Male", nhs_number="9583458503",
         household_id="H7636116", source_code="6", source_agency="police", rag="AMBER", outcome="early_help",
         nfa="N", decision_date="2024-08-16"),
    # A red contact about the cumulative-harm child after the night its alert was dismissed.
    dict(contact_id="CT90000003", contact_datetime="2025-04-02 09:00", person_id="3640458", given_name="",
         family_name="", dob="", sex="", nhs_number="", household_id="", source_code="6",
         source_agency="police", rag="RED", outcome="s47_strategy", nfa="N", decision_date="2025-04-02"),
]


def _write_delta(folder: Path) -> Path:
    with open(FIXTURE / "extracts" / "csc_contacts_la1.csv", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    path = folder / "csc_contacts_la1_2025-04-02.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\r\n")
        writer.writeheader()
        for row in DELTA:
            writer.writerow({**dict.fromkeys(header, ""), "agency": "csc-la1", "consent": "given",
                             "already_open": "N", **row})
    return path


def test_night_two_opens_updates_retires_and_reopens(night1, tmp_path):
    store, _ = night1
    harm, trio = "cumulative-harm:P0000436", [a.key for a in read_alerts(store) if a.pattern == "toxic-trio"][0]
    for key in (harm, trio):
        decide(store, key, status="dismissed", rag="green", outcome="nfa", reason="known, plan in place",
               by="ana", night=NIGHT1)
    quiet = run_alerts(store, NIGHT1)
    assert quiet.counts["reopened"] == 0 and get_alert(store, harm).status == "dismissed"

    source = run_source(store, "csc_contacts", [_write_delta(tmp_path)], quarantine_dir=tmp_path / "q")
    assert source.loaded == len(DELTA) and source.quarantined == 0
    report = run_alerts(store, NIGHT2)
    by = report.by_pattern
    assert by["cumulative-harm"]["opened"] == 1 and "cumulative-harm:P0000438" in report.opened_keys
    assert by["jigsaw"]["no_longer_matching"] == 1
    jigsaw = get_alert(store, "jigsaw:P0000430")
    assert jigsaw is not None and not jigsaw.matching and jigsaw.state == "open, no longer matching"
    reopened = get_alert(store, harm)
    assert reopened.status == "open" and by["cumulative-harm"]["reopened"] == 1
    assert "csc-la1:CT90000003" in read_history(store, harm)[-1].detail
    assert get_alert(store, trio).status == "dismissed"  # no new event about the household: quiet
    assert read_history(store, trio)[-1].action == "decision"

    before = _counts(store)
    again = run_alerts(store, NIGHT2)
    assert sum(again.counts[c] for c in again.counts if c != "unchanged") == 0
    assert _counts(store) == before

    red = run_saved_query(store, load_library()["dismissed-then-red"], {})[0].records()
    assert [(r["person"], r["alert"], r["red_contact"]) for r in red] == [
        ("P0000436", harm, "csc-la1:CT90000003")]


def test_the_inbox_filter(night1):
    store, _ = night1
    every = read_alerts(store)
    high = AlertFilter(severity="high").apply(every, NIGHT2)
    assert high and all(a.severity == "high" for a in high)
    assert AlertFilter(pattern="toxic-trio").apply(every, NIGHT2)[0].pattern == "toxic-trio"
    assert AlertFilter(min_age=400).apply(every, NIGHT2) == []
    assert len(AlertFilter(max_age=5).apply(every, NIGHT2)) == len(every)


# -- the command line -------------------------------------------------------------------------------

def test_the_alerts_commands(night1, tmp_path, monkeypatch):
    store, _ = night1
    db = str(store.local_dir)
    monkeypatch.setenv("MASHGRAPH_USERS_DB", str(tmp_path / "users.sqlite"))
    monkeypatch.setenv("MASHGRAPH_TODAY", NIGHT2.isoformat())
    store.close()  # the commands open the store themselves
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(cli, ["--db", db, "alerts", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "0 new" in run("run", "--night", NIGHT2.isoformat())
    listed = json.loads(run("list", "--pattern", "jigsaw", "--json"))
    assert [a["key"] for a in listed["alerts"]] == ["jigsaw:P0000430"]
    assert "jigsaw:P0000430: assigned to bea" in run("assign", "jigsaw:P0000430", "bea", "--by", "ana")
    run("comment", "jigsaw:P0000430", "school says all is well", "--by", "bea")
    closed = run("close", "jigsaw:P0000430", "--as", "dismissed", "--rag", "GREEN", "--outcome", "nfa",
                 "--reason", "no longer matching; checked", "--by", "bea")
    assert "dismissed (decision ad-" in closed
    shown = json.loads(run("show", "jigsaw:P0000430", "--json", "--by", "bea"))
    assert shown["status"] == "dismissed" and shown["assignee"] == "bea"
    assert [h["action"] for h in shown["history"]][-3:] == ["assigned", "comment", "decision"]
    assert "bea" in run("list", "--assignee", "bea")
    refused = runner.invoke(cli, ["--db", db, "alerts", "close", "nope:1", "--as", "confirmed", "--rag", "RED",
                                  "--outcome", "nfa", "--reason", "x"])
    assert refused.exit_code != 0 and "no alert 'nope:1'" in refused.output
    from mashgraph.web.accounts import Accounts

    audit = Accounts(tmp_path / "users.sqlite").audit_entries(person_key="P0000430")
    assert {e.action for e in audit} == {"alert_assign", "alert_comment", "alert_decision", "view_alert"}
