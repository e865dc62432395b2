"""Time every saved query on a large synthetic graph in embedded FalkorDB, Neo4j 5 or both.

Steps (each reused when ``--reuse`` finds its output): generate ``--people``
synthetic people (``mashgraph.ingest.synth.generate``), ingest them
(``mashgraph.ingest.jobs.run_job``), resolve identities
(``mashgraph.ingest.resolve.resolve_records``, or ``--link truth`` to link
records to their true persons with ``tests/truth_links.py``), then run every
query in ``queries/`` once to warm up and ``--runs`` more times, and print the
median, fastest and slowest run.

    .venv/bin/python bench/bench_queries.py --people 100000 --write-docs

``--write-docs`` replaces the ``## Saved queries`` section of
``docs/benchmarks.md`` with the table and the command.

``--store neo4j`` (or ``both``) does the same on a fresh Neo4j 5.26 server started
from ``tools/neo4j-harness`` (``tests/servers.py``) and stopped at the end: the same
synthetic set, ingested and resolved there (``--reuse`` reuses only the data).
With ``both`` the two engines run one after the other in one run.
``--neo4j-dir DIR`` keeps that server's database in ``DIR`` instead, so a later
``--reuse`` run times the queries on the graph already there.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

from mashgraph.graph import open_store  # noqa: E402
from mashgraph.graph.saved_queries import SavedQuery, coerce_params, load_library, run_saved_query  # noqa: E402
from mashgraph.settings import load_settings  # noqa: E402
from benchdocs import replace_section  # noqa: E402

LIMIT_SECONDS = 1.0
NEO4J_HEAP_MB = 4096  # as bench/bench_ingest.py: a 2-core, 24 GiB machine shared with other work
NEO4J_PAGECACHE_MB = 2048
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Saved queries"

COUNT_LABELS_CYPHER = "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n ORDER BY label"
COUNT_RELS_CYPHER = "MATCH ()-[r]->() RETURN count(r) AS n"
BUSIEST_PERSON_CYPHER = """
MATCH (p:Person)<-[:RESOLVES_TO]-(:Record)-[:HELD_BY]->(a:Agency)
WITH p, count(DISTINCT a) AS agencies
WHERE agencies >= 3
RETURN p.key AS person ORDER BY agencies DESC, person LIMIT 1
"""


def build(args: argparse.Namespace, store: Any) -> dict[str, Any]:
    """Generate, ingest and link the data unless ``--reuse`` finds it done; returns timings."""
    out = Path(args.dir) / "synth"
    facts: dict[str, Any] = {}
    marker = Path(args.dir) / args.marker
    if args.reuse_graph and marker.exists():
        facts["link"] = marker.read_text().strip()
        # A graph built before graph/analytics.py existed lacks the derived facts; refreshing is idempotent.
        from mashgraph.graph.analytics import refresh_facts

        t = time.perf_counter()
        refresh_facts(store)
        facts["facts_s"] = time.perf_counter() - t
        return facts
    from mashgraph.ingest.synth import generate

    t = time.perf_counter()
    if not (args.reuse and (out / "job.yml").exists()):
        generate(out, people=args.people, seed=args.seed)
    facts["generate_s"] = time.perf_counter() - t

    from mashgraph.ingest.jobs import run_job

    store.ensure_schema()
    t = time.perf_counter()
    run_job(store, out / "job.yml")
    facts["ingest_s"] = time.perf_counter() - t

    t = time.perf_counter()
    link = args.link
    if link == "auto":
        try:
            from mashgraph.ingest.resolve import resolve_records  # noqa: F401
            link = "resolve"
        except ImportError:
            link = "truth"
    if link == "resolve":
        from mashgraph.ingest.resolve import resolve_records

        resolve_records(store)
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from truth_links import link_by_truth

        link_by_truth(store, out / "truth" / "records.csv")
    facts["link"] = link
    facts["link_s"] = time.perf_counter() - t
    marker.write_text(link)
    return facts


def sample_params(store: Any, library: dict[str, SavedQuery]) -> dict[str, Any]:
    """Values for required parameters: a well-connected person, and someone 3 rings away from them."""
    person = store.read(BUSIEST_PERSON_CYPHER).value()
    rings, _ = run_saved_query(store, library["within-k-hops"], {"person": person, "k": 3})
    far = [r["person"] for r in rings.records() if r["hop"] == max(x["hop"] for x in rings.records())]
    other = far[0] if far else person
    return {"person": person, "from_person": person, "to_person": other}


def _server_cpu(store: Any) -> Any:
    """A function giving the server's CPU seconds so far (None where there is no local server)."""
    pid = store.server_pid or getattr(store, "bench_server_pid", None)
    if not pid:
        return lambda: None
    try:
        import psutil

        proc = psutil.Process(pid)
    except Exception:
        return lambda: None

    def seconds() -> float:
        t = proc.cpu_times()
        return t.user + t.system

    return seconds


def time_query(store: Any, query: SavedQuery, samples: dict[str, Any], runs: int) -> dict[str, Any]:
    params = {name: samples[name] for name, p in query.params.items() if p.required and name in samples}
    missing = [name for name, p in query.params.items() if p.required and name not in params]
    if missing:
        return {"slug": query.slug, "error": f"no sample value for required params {missing}"}
    values = coerce_params(query, params)
    try:
        t = time.perf_counter()
        result, truncated = run_saved_query(store, query, values)
        first = time.perf_counter() - t
        times, cpus = [], []
        server_cpu = _server_cpu(store)
        for _ in range(runs):
            c, t = server_cpu(), time.perf_counter()
            run_saved_query(store, query, values)
            times.append(time.perf_counter() - t)
            after = server_cpu()
            if after is not None:
                cpus.append(after - c)
    except Exception as err:  # report and go on with the other queries
        return {"slug": query.slug, "error": f"{type(err).__name__}: {err}"}
    return {"slug": query.slug, "first": first, "median": statistics.median(times), "min": min(times),
            "max": max(times), "cpu": statistics.median(cpus) if cpus else None, "rows": len(result.rows), "truncated": truncated, "params": params}


def table(rows: list[dict[str, Any]], runs: int, limit_s: float = LIMIT_SECONDS) -> str:
    out = [f"| query | median of {runs} (s) | fastest (s) | slowest (s) | first run (s) | server CPU, median (s) "
           f"| rows | median < {limit_s:g} s |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        if "error" in r:
            out.append(f"| `{r['slug']}` | failed: {r['error']} | | | | | | no |")
            continue
        rows_text = f"{r['rows']}{' (cut)' if r['truncated'] else ''}"
        cpu = f"{r['cpu']:.3f}" if r["cpu"] is not None else "-"
        out.append(f"| `{r['slug']}` | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} | {r['first']:.3f} "
                   f"| {cpu} | {rows_text} | {'yes' if r['median'] < limit_s else 'NO'} |")
    return "\n".join(out)


def write_docs(text: str) -> None:
    replace_section(SECTION, text, DOCS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default="/tmp/mashgraph-bench-queries", help="work directory (data and graph)")
    parser.add_argument("--link", choices=["auto", "resolve", "truth"], default="auto",
                        help="identity: entity resolution, or ground truth (default: resolution if installed)")
    parser.add_argument("--reuse", action="store_true", help="reuse data and graph from an earlier run in --dir")
    parser.add_argument("--only", nargs="*", help="time only these slugs")
    parser.add_argument("--store", choices=["embedded", "neo4j", "both"], default="embedded",
                        help="engine: embedded FalkorDB, a fresh Neo4j 5 server (tools/neo4j-harness), or both")
    parser.add_argument("--neo4j-dir", help="keep the Neo4j server's data here between runs (with --reuse, "
                        "its graph is reused); default: a fresh server, removed at the end")
    parser.add_argument("--write-docs", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args(argv)

    Path(args.dir).mkdir(parents=True, exist_ok=True)
    stores = ["embedded", "neo4j"] if args.store == "both" else [args.store]
    texts, ok = [], True
    for kind in stores:
        text, kind_ok = bench_store(kind, args, argv)
        print(text + "\n", flush=True)  # each engine's table as soon as it is known
        texts.append(text)
        ok = ok and kind_ok
    text = "\n\n".join(texts)
    if args.write_docs:
        write_docs(text)
        print(f"\nwritten to {DOCS}")
    return 0 if ok else 1


def _open_bench_store(kind: str, args: argparse.Namespace, stack: Any) -> tuple[Any, dict[str, Any]]:
    """The store to time: the embedded one in ``--dir``, or a fresh Neo4j server (its start-up time and pid)."""
    settings = load_settings(environ={}, start_timeout_s=600)
    if kind == "embedded":
        return stack.enter_context(open_store(str(Path(args.dir) / "graph"), settings)), {}
    sys.path.insert(0, str(ROOT / "tests"))
    from servers import Neo4jServer, neo4j_settings

    server = stack.enter_context(Neo4jServer(Path(args.neo4j_dir or Path(args.dir) / "neo4j"),
                                             heap_mb=NEO4J_HEAP_MB, pagecache_mb=NEO4J_PAGECACHE_MB))
    if not args.neo4j_dir:  # a fresh server each run unless its directory is named (and kept)
        stack.callback(lambda: __import__("shutil").rmtree(server.directory, ignore_errors=True))
    store = stack.enter_context(open_store(server.uri, neo4j_settings(server, start_timeout_s=600)))
    store.bench_server_pid = server.proc.pid
    return store, {"server_start_s": server.start_seconds}


def _server_memory_mib(pid: int | None) -> str:
    if not pid:
        return "-"
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return f"{int(line.split()[1]) / 1024:,.0f} MiB"
    return "-"


def bench_store(kind: str, args: argparse.Namespace, argv: list[str] | None) -> tuple[str, bool]:
    from contextlib import ExitStack

    library = load_library()
    with ExitStack() as stack:
        store, server_facts = _open_bench_store(kind, args, stack)
        # The data is reused on both engines; a graph in the embedded store, and in Neo4j when its
        # server directory is kept (--neo4j-dir; otherwise Neo4j starts fresh).
        marker = "graph.done" if kind == "embedded" else str(Path(args.neo4j_dir or args.dir) / "neo4j-graph.done")
        build_args = argparse.Namespace(**{**vars(args), "marker": marker, "reuse_graph": args.reuse and (
            kind == "embedded" or bool(args.neo4j_dir))})
        facts = {**build(build_args, store), **server_facts}
        labels = {r["label"]: r["n"] for r in store.read(COUNT_LABELS_CYPHER).records()}
        rels = store.read(COUNT_RELS_CYPHER).value()
        samples = sample_params(store, library)
        slugs = args.only or list(library)
        rows = [time_query(store, library[slug], samples, args.runs) for slug in slugs]
        memory = _server_memory_mib(store.server_pid or getattr(store, "bench_server_pid", None))

    size = ", ".join(f"{label} {n:,}" for label, n in sorted(labels.items()))
    build_line = ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in facts.items() if k.endswith("_s"))
    cmd = "python bench/bench_queries.py " + " ".join(argv if argv is not None else sys.argv[1:])
    engine = {"embedded": "embedded FalkorDB", "neo4j": f"Neo4j 5.26 Community (heap {NEO4J_HEAP_MB} MiB, "
              f"page cache {NEO4J_PAGECACHE_MB} MiB)"}[kind]
    server = {"embedded": "redis-server", "neo4j": "Neo4j JVM"}[kind]
    text = "\n".join([
        f"### {engine}",
        "",
        f"Command: `{cmd.strip()}` ({engine}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores).",
        "",
        f"Graph: {args.people:,} synthetic people (seed {args.seed}); nodes: {size}; {rels:,} relationships. "
        f"Identity: {'entity resolution (resolve_records)' if facts.get('link') == 'resolve' else 'ground truth (tests/truth_links.py), not entity resolution'}."
        + (f" Build: {build_line}." if build_line else "") + f" Peak memory of the {server}: {memory}.",
        "",
        f"Each query ran once to warm up (\"first run\"), then {args.runs} times; times are wall-clock "
        "through `run_saved_query` (read-only, default parameters, row cap 10,000); server CPU is the "
        f"{server}'s user+system CPU time for the run (psutil), which other load on the machine "
        f"inflates less than wall-clock time (load average at the end: {os.getloadavg()[0]:.1f}). "
        f"Required parameters: person = `{samples['person']}` (a person known to the most agencies), "
        f"to_person = `{samples['to_person']}` (in the farthest ring within 3 hops of them).",
        "",
        table(rows, args.runs),
    ])
    return text, all("error" not in r and r["median"] < LIMIT_SECONDS for r in rows)


if __name__ == "__main__":
    sys.exit(main())
