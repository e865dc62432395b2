"""Ingestion end to end on the synthetic fixture set: every mapping, conservation,
injected bad rows, idempotent re-runs, and resume after ``kill -9``.

Uses ``tests/fixtures/synth`` (teammate C's fixture set) when it holds injected
bad rows; otherwise generates the same kind of set (400 people, seed 7, 2 % bad
rows) with ``mashgraph.ingest.synth.generate`` into a temporary directory.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mashgraph.graph import open_store
from mashgraph.ingest.jobs import load_job, run_job
from mashgraph.ingest.load import WRITE_DEPTH
from mashgraph.settings import load_settings

FIXTURES = Path(__file__).parent / "fixtures"

# Kinds of injected bad row that replace a good row (the others add a line before or after it).
REPLACING = {"wrong_column_count", "bad_date", "invalid_nhs_number", "encoding_error"}
# Kinds that may be warned instead of quarantined (a bad value in an optional field).
FIELD_LEVEL = {"bad_date", "invalid_nhs_number"}


def _has_bad_rows(folder: Path) -> bool:
    bad = folder / "truth" / "bad_rows.csv"
    return (folder / "job.yml").exists() and bad.exists() and len(bad.read_text().splitlines()) > 1


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:
    fixture = FIXTURES / "synth"
    if _has_bad_rows(fixture):
        return fixture
    from mashgraph.ingest.synth import generate

    out = tmp_path_factory.mktemp("synth")
    generate(out, 400, 7, bad_rows=0.02)
    return out


@pytest.fixture(scope="module")
def loaded(synth_dir, tmp_path_factory):
    """The fixture job loaded once into a fresh embedded store: (store, report, quarantine dir)."""
    base = tmp_path_factory.mktemp("loaded")
    store = open_store(str(base / "graph"), load_settings(environ={}))
    try:
        report = run_job(store, synth_dir / "job.yml", quarantine_dir=base / "q")
        yield store, report, Path(report.quarantine_dir)
    finally:
        store.close()


def canonical_dump(store) -> list[str]:
    """Every node with its properties and every relationship with its ends and properties, sorted.

    ``IngestRun.started``/``finished`` are left out: they are the clock times of
    the run that wrote them and legitimately differ between two runs.
    """
    out = []
    for labels, props in store.read("MATCH (n) RETURN labels(n), properties(n)").rows:
        if "IngestRun" in labels:
            props = {k: v for k, v in props.items() if k not in ("started", "finished")}
        out.append(repr(("node", sorted(labels), sorted((k, repr(v)) for k, v in props.items()))))
    for a, t, b, props in store.read("MATCH (a)-[r]->(b) RETURN a.key, type(r), b.key, properties(r)").rows:
        out.append(repr(("rel", a, t, b, sorted((k, repr(v)) for k, v in props.items()))))
    return sorted(out)


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_source_loads_and_conserves_rows(loaded, synth_dir):
    _store, report, _q = loaded
    job = load_job(synth_dir / "job.yml")
    assert [s.name for s in report.sources] == [s.name for s in job.sources]
    for s in report.sources:
        assert not s.failed, f"{s.name}: {s.error}"
        assert s.read == s.loaded + s.quarantined, s.name
    assert report.exit_code() == 0
    totals = report.totals()
    assert totals["read"] == totals["loaded"] + totals["quarantined"] and totals["loaded"] > 0


def test_every_injected_bad_row_is_caught_with_its_reason_and_no_good_row_is_lost(loaded, synth_dir):
    _store, report, qdir = loaded
    bad = {(Path(r["file"]).name, int(r["line"])): r["kind"] for r in read_csv(synth_dir / "truth" / "bad_rows.csv")}
    assert bad, "the fixture set has injected bad rows"
    quarantined = {(r["file"], int(r["line"])): r["reason"]
                   for s in report.sources for r in read_csv(qdir / f"{s.name}.quarantine.csv")}
    warned = {(r["file"], int(r["line"]), r["reason"])
              for s in report.sources for r in read_csv(qdir / f"{s.name}.warnings.csv")}
    for (name, line), kind in bad.items():
        if (name, line) in quarantined:
            assert quarantined[(name, line)] == kind, f"{name}:{line}"
        else:
            assert kind in FIELD_LEVEL and (name, line, kind) in warned, f"{name}:{line} {kind} neither quarantined nor warned"
    # Nothing but injected bad rows is quarantined, and warnings only come from injected bad values.
    assert set(quarantined) <= set(bad), sorted(set(quarantined) - set(bad))[:5]
    assert {(n, line) for n, line, _r in warned} <= set(bad)
    # Loaded = the generator's good rows minus those a bad row replaced and that were quarantined.
    summary_rows = json.loads((synth_dir / "truth" / "summary.json").read_text())["rows"]
    files = {Path(f).name: n for f, n in summary_rows.items()}
    for s in report.sources:
        gen_rows = sum(files[Path(f).name] for f in s.files)
        replaced = sum(1 for (n, line), k in quarantined.items()
                       if n in {Path(f).name for f in s.files} and bad[(n, line)] in REPLACING)
        assert s.loaded == gen_rows - replaced, s.name


def test_every_true_record_is_in_the_graph_unless_all_its_rows_were_quarantined(loaded, synth_dir):
    store, report, qdir = loaded
    keys = {r["record_key"] for r in read_csv(synth_dir / "truth" / "records.csv")}
    in_graph = set(store.read("MATCH (r:Record) WHERE r.source IS NOT NULL RETURN r.key").column(0))
    originals = " ".join(r["original"] for s in report.sources for r in read_csv(qdir / f"{s.name}.quarantine.csv"))
    missing = keys - in_graph
    for key in missing:
        assert key.split(":", 1)[1] in originals, f"{key} is neither loaded nor in a quarantined row"
    assert len(missing) <= sum(s.quarantined for s in report.sources)


def test_graph_has_the_model_shape(loaded):
    store, _report, _q = loaded
    counts = dict(store.read("MATCH (a)-[r]->(b) RETURN labels(a)[0] + '-' + type(r) + '->' + labels(b)[0], "
                             "count(r)").rows)
    for triple in ("Record-HELD_BY->Agency", "Agency-RECORDED->Incident", "Incident-INVOLVES->Record",
                   "Agency-MADE->Referral", "Referral-ABOUT->Record", "Referral-TO->Agency",
                   "Referral-SHARED_WITH->Agency", "Record-LIVES_AT->Address", "Record-MEMBER_OF->Household"):
        assert counts.get(triple, 0) > 0, triple
    # Agencies carry name and kind from agencies.csv; every record has provenance.
    assert store.read("MATCH (a:Agency) WHERE a.kind IS NULL AND (a)<-[:HELD_BY]-() RETURN count(a)").value() == 0
    assert store.read("MATCH (r:Record)-[:HELD_BY]->() WHERE r.run IS NULL AND r.given_name IS NOT NULL "
                      "RETURN count(r)").value() == 0


def test_rerun_skips_and_forced_rerun_changes_nothing(loaded, synth_dir, tmp_path):
    store, first, _q = loaded
    before = canonical_dump(store)
    again = run_job(store, synth_dir / "job.yml", quarantine_dir=tmp_path / "q")
    assert all(s.skipped for s in again.sources if s.read)
    assert [(s.read, s.loaded, s.quarantined) for s in again.sources] == \
           [(s.read, s.loaded, s.quarantined) for s in first.sources]
    forced = run_job(store, synth_dir / "job.yml", quarantine_dir=tmp_path / "q2", force=True)
    created = Counter()
    for s in forced.sources:
        created.update(s.stats)
    assert created["nodes_created"] == 0 and created["relationships_created"] == 0
    assert canonical_dump(store) == before


def _cli(db: Path, *args: str) -> list[str]:
    # --no-alerts: the graph is compared with run_job's, which loads data only (the alert run is
    # a step after ingestion, with its own log node; tests/test_alerts.py).
    return [sys.executable, "-m", "mashgraph", "--db", str(db), "ingest", "--no-alerts", *args]


def test_killed_job_resumes_to_exactly_the_same_graph(synth_dir, tmp_path):
    # Uninterrupted run.
    with open_store(str(tmp_path / "whole"), load_settings(environ={})) as store:
        run_job(store, synth_dir / "job.yml", quarantine_dir=tmp_path / "q1")
        expected = canonical_dump(store)

    # The same job in a CLI process (small batches, a log line after each), killed with SIGKILL
    # in the middle of its largest source. At most WRITE_DEPTH batches wait for the writer thread,
    # so once batch WRITE_DEPTH + 1 of that source is queued, its first batch (and, before it, its
    # IngestRun start) has been written.
    job = load_job(synth_dir / "job.yml")
    sizes = {s.name: sum(Path(f).stat().st_size for f in s.files) for s in job.sources}
    victim = max(sizes, key=sizes.get)
    db = tmp_path / "killed"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MASHGRAPH_DB": str(db)}
    proc = subprocess.Popen(_cli(db, str(synth_dir / "job.yml"), "--batch-size", "3", "--log-every", "0",
                                 "--quarantine-dir", str(tmp_path / "q2")),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    seen = []
    victim_batches = 0
    try:
        for line in proc.stdout:
            seen.append(line)
            if f" {victim}: " in line and "rows read" in line:
                victim_batches += 1
                if victim_batches == WRITE_DEPTH + 1:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
    finally:
        proc.wait(timeout=120)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    try:
        with open_store(str(db), load_settings(environ={})) as store:
            status = dict(store.read("MATCH (r:IngestRun) RETURN r.source, r.status").rows)
            partial = canonical_dump(store)
        assert status[victim] == "running", status  # killed in the middle of that source
        assert partial != expected

        rerun = subprocess.run(_cli(db, str(synth_dir / "job.yml"), "--quarantine-dir", str(tmp_path / "q3")),
                               capture_output=True, text=True, env=env, timeout=600)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "already loaded, skipped" in rerun.stdout
    finally:
        with open_store(str(db), load_settings(environ={})) as store:  # also stops a server left running
            resumed = canonical_dump(store)
    assert resumed == expected


def test_committed_fixture_set_validates_without_a_single_problem(tmp_path):
    """C's committed set has data-quality defects (typos, default DOBs...) but no malformed rows:
    nothing may be quarantined or warned about, and every row counts."""
    job = FIXTURES / "synth" / "job.yml"
    assert job.exists(), "tests/fixtures/synth is committed; regenerate it with `make fixtures`"
    report = run_job(None, job, dry_run=True, quarantine_dir=tmp_path / "q")
    summary = json.loads((FIXTURES / "synth" / "truth" / "summary.json").read_text())["rows"]
    for s in report.sources:
        assert not s.failed, s.error
        assert (s.quarantined, s.warnings) == (0, 0), (s.name, s.reasons, s.warning_reasons)
        assert s.read == s.loaded == sum(summary[str(Path(f).relative_to(FIXTURES / "synth"))] for f in s.files)
