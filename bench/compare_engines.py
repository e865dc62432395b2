"""The whole pipeline on the embedded store and on Neo4j 5, on one synthetic world: do they agree?

    .venv/bin/python bench/compare_engines.py --people 20000

Generates the set (``mashgraph synth``; bench/bench_ingest.py's copy under bench/out is
reused), then runs on each engine the steps of ``tests/test_engines_agree.py``
(``pipeline``): ingestion, the same job again, a job with bad rows whose writes fail
once and that is run again, entity resolution twice, explain and export, every saved
query and the web pages and downloads. Neo4j is a fresh 5.26 server from
``tools/neo4j-harness``, stopped at the end. Prints the seconds of each step on
each engine and every difference; exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from bench_ingest import ensure_data  # noqa: E402
from mashgraph.graph import open_store  # noqa: E402
from mashgraph.settings import load_settings  # noqa: E402
from servers import Neo4jServer, neo4j_settings  # noqa: E402
from test_engines_agree import differences, pipeline  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    job = ensure_data(args.people, args.seed, args.out) / "job.yml"
    work = Path(tempfile.mkdtemp(prefix="compare-engines-", dir=args.out))
    results, timings = {}, {"embedded": {}, "neo4j": {}}
    try:
        with open_store(str(work / "graph"), load_settings(environ={}, start_timeout_s=600)) as store:
            results["embedded"] = pipeline(store, work / "embedded", job, timings["embedded"])
        with Neo4jServer(work / "neo4j-server", heap_mb=4096, pagecache_mb=2048) as server:
            timings["neo4j"]["server start-up"] = round(server.start_seconds, 1)
            with open_store(server.uri, neo4j_settings(server)) as store:
                results["neo4j"] = pipeline(store, work / "neo4j", job, timings["neo4j"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emb = results["embedded"]
    print(f"{args.people:,} people (seed {args.seed}): {len(emb.assignment):,} records resolved to "
          f"{len(set(emb.assignment.values())):,} persons on the embedded store; "
          f"load average {os.getloadavg()[0]:.1f}")
    for step in dict.fromkeys([*timings["embedded"], *timings["neo4j"]]):
        print(f"  {step:36} embedded {timings['embedded'].get(step, '-'):>7} s   neo4j {timings['neo4j'].get(step, '-'):>7} s")
    found = differences(emb, results["neo4j"])
    print("\n".join(found) if found else "the two engines agree on every step")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
