"""Linked risk against the generator's ground truth, and its cost, on fresh synthetic worlds.

For each ``--seed`` (never one the analytics were tuned on: not 7, 21 or any seed of
tests/ or bench/), build a world of ``--people`` people (``bench_queries.build``:
generate, ingest, link records to their true persons), run ``run_analytics`` (timed,
with the peak memory of this process and of the embedded server), then compare:

- **precision@50 / @100** of the children ranked by stored ``risk_score`` against the
  planted at-risk children: the children (under 18 on the extract date) of the
  *instances* (not the controls) of toxic-trio, invisible-man, new-unknown-adult,
  exploitation-hub, missing-then-exploited, peer-exploitation-network and
  sibling-blind-spot in ``truth/patterns.jsonl``;
- the same for two baselines: each child's own referral count, and the number of
  agencies holding a record of them. Ties are broken at random, so a baseline's
  precision is its expected value over tie orders (exact, not sampled);
- **community recovery** of the planted peer-exploitation networks (instances: the
  adult and the three children): best-match Jaccard with the stored communities, and
  the adjusted Rand index over the planted people.

    .venv/bin/python bench/bench_linked_risk.py --people 100000 --seed 8191 --write-docs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections import Counter
from math import comb
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_queries import build  # noqa: E402
from benchdocs import replace_section  # noqa: E402
from mashgraph.graph import open_store  # noqa: E402
from mashgraph.graph.risk_facts import run_analytics  # noqa: E402
from mashgraph.settings import load_settings  # noqa: E402

AT_RISK_PATTERNS = ("toxic-trio", "invisible-man", "new-unknown-adult", "exploitation-hub",
                    "missing-then-exploited", "peer-exploitation-network", "sibling-blind-spot")
SECTION = "## Linked risk"
DOCS = ROOT / "docs" / "benchmarks.md"

STORED_CYPHER = """
MATCH (p:Person)
RETURN p.key AS key, p.dob AS dob, p.risk_score AS score, p.community AS community,
       size([(p)<-[:RESOLVES_TO]-(:Record)<-[:ABOUT]-(f:Referral) | f]) AS referrals,
       size(coalesce(p.frag_involved, [])) AS agencies
"""


def planted(truth: Path) -> tuple[set[str], list[set[str]], dt.date]:
    """Persons of the at-risk instances, the peer networks, and the extract date."""
    people, networks, as_of = set(), [], None
    for line in truth.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        as_of = dt.date.fromisoformat(row["as_of"])
        if row["kind"] != "instance" or row["pattern"] not in AT_RISK_PATTERNS:
            continue
        people.update(row["people"])
        if row["pattern"] == "peer-exploitation-network":
            networks.append(set(row["people"]))
    return people, networks, as_of


def age(dob: Any, on: dt.date) -> int | None:
    if not isinstance(dob, dt.date):
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def precision_at(values: dict[str, float], positives: set[str], k: int) -> float:
    """Expected precision@k ranking by ``values`` (highest first), ties in random order."""
    groups: dict[float, list[str]] = {}
    for key, v in values.items():
        groups.setdefault(v, []).append(key)
    hits, taken = 0.0, 0
    for v in sorted(groups, reverse=True):
        members = groups[v]
        room = min(k - taken, len(members))
        if room <= 0:
            break
        good = sum(1 for m in members if m in positives)
        hits += good * room / len(members)
        taken += room
    return hits / k


def ari(true: dict[str, str], pred: dict[str, str]) -> float:
    """Adjusted Rand index of two labelings of the same keys."""
    keys = sorted(true)
    pairs = Counter((true[k], pred[k]) for k in keys)
    a, b = Counter(true[k] for k in keys), Counter(pred[k] for k in keys)
    index = sum(comb(n, 2) for n in pairs.values())
    sa, sb, total = sum(comb(n, 2) for n in a.values()), sum(comb(n, 2) for n in b.values()), comb(len(keys), 2)
    expected = sa * sb / total if total else 0.0
    top = (sa + sb) / 2
    return (index - expected) / (top - expected) if top != expected else 1.0


def evaluate(rows: list[dict[str, Any]], truth: Path) -> dict[str, Any]:
    at_risk, networks, as_of = planted(truth)
    children = {r["key"]: r for r in rows if (a := age(r["dob"], as_of)) is not None and 0 <= a < 18}
    positives = at_risk & set(children)
    out: dict[str, Any] = {"children": len(children), "positives": len(positives)}
    for name, column in (("linked risk", "score"), ("own referrals", "referrals"), ("agencies", "agencies")):
        values = {k: float(r[column] or 0) for k, r in children.items()}
        out[name] = {k: precision_at(values, positives, k) for k in (50, 100)}
    community = {r["key"]: r["community"] or f"alone:{r['key']}" for r in rows}
    members: dict[str, set[str]] = {}
    for key, c in community.items():
        members.setdefault(c, set()).add(key)
    jaccards = []
    for net in networks:
        candidates = {community[p] for p in net if p in community}
        jaccards.append(max((len(net & members[c]) / len(net | members[c]) for c in candidates), default=0.0))
    labelled = {p: f"net{i}" for i, net in enumerate(networks) for p in net if p in community}
    out["jaccard"] = sum(jaccards) / len(jaccards) if jaccards else None
    out["ari"] = ari(labelled, {p: community[p] for p in labelled}) if labelled else None
    out["networks"] = len(networks)
    return out


def server_cpu_s(store: Any) -> float | None:
    if not store.server_pid:
        return None
    import psutil

    t = psutil.Process(store.server_pid).cpu_times()
    return t.user + t.system


def server_rss_mib(store: Any) -> float | None:
    if not store.server_pid:
        return None
    import psutil

    return psutil.Process(store.server_pid).memory_info().rss / 2**20


def one_world(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    wdir = Path(args.dir) / f"{args.people}-{seed}"
    wdir.mkdir(parents=True, exist_ok=True)
    ns = argparse.Namespace(people=args.people, seed=seed, dir=str(wdir), reuse=True, reuse_graph=True,
                            marker="graph.done", link="truth")
    with open_store(str(wdir / "graph"), load_settings(environ={}, start_timeout_s=600)) as store:
        build(ns, store)
        cpu, server = time.process_time(), server_cpu_s(store)
        report = run_analytics(store)
        cpu, server = time.process_time() - cpu, (server_cpu_s(store) or 0.0) - (server or 0.0)
        rows = store.read(STORED_CYPHER, timeout=600).records()
        figures = evaluate(rows, wdir / "synth" / "truth" / "patterns.jsonl")
        figures.update(seed=seed, report=report, server_rss=server_rss_mib(store), load=os.getloadavg(),
                       cpu=cpu, server_cpu=server)
    return figures


def table(results: list[dict[str, Any]], people: int) -> str:
    lines = ["| seed | children | planted at-risk | linked risk p@50 / p@100 | own referrals p@50 / p@100 "
             "| agencies p@50 / p@100 | p@100 / better baseline | peer networks: best-match Jaccard, ARI "
             "| analysis time | CPU (Python, server) | peak memory (Python, server) | load average |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        lr, ref, ag = r["linked risk"], r["own referrals"], r["agencies"]
        best = max(ref[100], ag[100])
        ratio = f"{lr[100] / best:.2f}x" if best else "n/a (baselines 0)"
        rep = r["report"]
        server = f"{r['server_rss']:,.0f} MiB" if r["server_rss"] is not None else "-"
        lines.append(
            f"| {r['seed']} ({people:,} people) | {r['children']:,} | {r['positives']} "
            f"| {lr[50]:.2f} / {lr[100]:.2f} | {ref[50]:.2f} / {ref[100]:.2f} | {ag[50]:.2f} / {ag[100]:.2f} "
            f"| {ratio} | {_num(r['jaccard'])}, {_num(r['ari'])} ({r['networks']} networks) "
            f"| {rep.elapsed:.1f} s ({', '.join(f'{k} {v:.1f}' for k, v in rep.timings.items())}) "
            f"| {r['cpu']:.1f} s, {r['server_cpu']:.1f} s | {rep.peak_rss_mib:,.0f} MiB, {server} | {r['load'][0]:.1f} |")
    return "\n".join(lines)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, nargs="+", default=[8191])
    parser.add_argument("--dir", default="/tmp/mashgraph-bench-linked-risk", help="work directory (one world per seed)")
    parser.add_argument("--write-docs", action="store_true", help="add the table to docs/benchmarks.md")
    args = parser.parse_args(argv)
    results = [one_world(args, seed) for seed in args.seed]
    cmd = "python bench/bench_linked_risk.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (f"Command: `{cmd.strip()}` ({os.cpu_count()} cores, embedded FalkorDB; identity from ground truth "
            "so that the score, not resolution, is measured). Analysis time is `run_analytics` end to end "
            "(projection from the store, score, communities, write-back).\n\n" + table(results, args.people))
    print(text)
    if args.write_docs:
        replace_section(SECTION + f" ({args.people:,} people)", text, DOCS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
