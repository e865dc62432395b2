"""County scale: open the store, time every saved query and the explorer's pages, on one engine.

The world is built beforehand, e.g. 1,000,000 people in embedded FalkorDB with
``bench/bench_queries.py --people 1000000 --seed 7 --dir DIR --link truth``, and
copied into Neo4j with ``bench/neo4j_copy.py DIR/graph DIR/neo4j-db``. Then::

    .venv/bin/python bench/bench_county.py --db DIR/graph          # embedded FalkorDB
    .venv/bin/python bench/bench_county.py --neo4j-dir DIR/neo4j-db  # Neo4j 5 on that copy

Embedded: the time of one CLI command (``mashgraph cypher`` counting persons) with
no server running (it starts the server, which loads the graph, and stops it),
the time of ``mashgraph store start``, and the same command again while the
server is kept running (it attaches). Neo4j: the server's start-up on the
copy (launcher start to Bolt ready) and the first query after it. Then, on
the running server, every saved query (``bench_queries.time_query``: one
warm-up run, then ``--runs``) and every explorer page of ``bench_web``
(``mashgraph serve``, one request at a time, server time from the
``Server-Timing`` header); saved-query pages are left out (their time is the
query's). The server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))

import bench_queries  # noqa: E402
import bench_web  # noqa: E402
from mashgraph.graph import open_store  # noqa: E402
from mashgraph.graph.saved_queries import load_library  # noqa: E402
from mashgraph.settings import load_settings  # noqa: E402

COUNT_CYPHER = "MATCH (p:Person) RETURN count(p) AS persons"
QUERY_LIMIT_S = 5.0


def _cli(db: str, *args: str) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "mashgraph", "--db", db, *args], capture_output=True, text=True,
                         env={**os.environ, "MASHGRAPH_START_TIMEOUT_S": "1800"})
    if out.returncode != 0:
        raise SystemExit(f"mashgraph {' '.join(args)} failed: {out.stderr.strip()}")
    return time.perf_counter() - t, out.stdout.strip()


def open_embedded(db: str, stack: ExitStack) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """Open times of the embedded store, then the store kept running (stopped when ``stack`` closes)."""
    status = _cli(db, "store", "status")[1]
    facts: dict[str, Any] = {}
    if "kept running" in status:  # kept by the caller: time only the attached command, leave it running
        facts["kept"] = status
    elif "no server running" in status:
        facts["cold_cli_s"] = _cli(db, "cypher", COUNT_CYPHER)[0]
        facts["store_start_s"], facts["store_start"] = _cli(db, "store", "start")
        stack.callback(lambda: _cli(db, "store", "stop"))
    else:
        raise SystemExit(f"another process is using {db} ({status}); stop it first to time a cold open")
    facts["attached_cli_s"] = _cli(db, "cypher", COUNT_CYPHER)[0]
    store = stack.enter_context(open_store(db, load_settings(environ={}, max_query_timeout_ms=600_000)))
    return store, facts, {"MASHGRAPH_DB": db}


def open_neo4j(directory: str, stack: ExitStack, heap_mb: int, pagecache_mb: int) -> tuple[Any, dict[str, Any], dict[str, str]]:
    from servers import Neo4jServer, neo4j_settings

    server = stack.enter_context(Neo4jServer(Path(directory), heap_mb=heap_mb, pagecache_mb=pagecache_mb))
    store = stack.enter_context(open_store(server.uri, neo4j_settings(server, max_query_timeout_ms=600_000)))
    t = time.perf_counter()
    store.read(COUNT_CYPHER, timeout=600)
    facts = {"server_start_s": server.start_seconds, "first_query_s": time.perf_counter() - t,
             "server_pid": server.proc.pid}
    store.bench_server_pid = server.proc.pid
    env = {"MASHGRAPH_DB": server.uri, "MASHGRAPH_NEO4J_USER": server.user,
           "MASHGRAPH_NEO4J_PASSWORD": server.password}
    return store, facts, env


def time_pages(args: argparse.Namespace, world: dict[str, Any], env: dict[str, str]) -> dict[str, dict[str, Any]]:
    bench_web.make_users(Path(args.dir) / "bench-users.sqlite")
    port = bench_web.free_port()
    server_args = argparse.Namespace(dir=args.dir, server="serve")
    proc = bench_web.start_server(server_args, port, env)
    try:
        pages = {k: v for k, v in bench_web.page_paths(world, args.samples, 0).items() if not k.startswith("query ")}
        return bench_web.time_pages(port, pages)
    finally:
        bench_web.stop_server(proc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="embedded store directory")
    where.add_argument("--neo4j-dir", help="Neo4j directory (bench/neo4j_copy.py)")
    parser.add_argument("--dir", default="/tmp/mashgraph-bench-county", help="work directory (users database, logs)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queries", nargs="*", help="time only these saved queries ('none': no query)")
    parser.add_argument("--samples", type=int, default=10, help="requests per page type")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--heap-mb", type=int, default=4096)
    parser.add_argument("--pagecache-mb", type=int, default=4096)
    args = parser.parse_args(argv)
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    with ExitStack() as stack:
        if args.db:
            store, facts, env = open_embedded(args.db, stack)
        else:
            store, facts, env = open_neo4j(args.neo4j_dir, stack, args.heap_mb, args.pagecache_mb)
        library = load_library()
        samples = bench_queries.sample_params(store, library)
        slugs = list(library) if args.queries is None else [q for q in args.queries if q != "none"]
        rows = [bench_queries.time_query(store, library[slug], samples, args.runs) for slug in slugs]
        world = bench_web.sample_world(store, args.seed)
        timed = time_pages(args, world, env)
        memory = bench_queries._server_memory_mib(store.server_pid or getattr(store, "bench_server_pid", None))
    print(report(args, argv, facts, rows, timed, world, memory, load_start))
    slow = [r for r in rows if "error" in r or r["median"] >= QUERY_LIMIT_S]
    return 1 if slow or any(bench_web.pct(t["server"], 0.95) >= bench_web.PAGE_MS for t in timed.values() if t["n"]) else 0


def report(args: argparse.Namespace, argv: list[str] | None, facts: dict[str, Any], rows: list[dict[str, Any]],
           timed: dict[str, dict[str, Any]], world: dict[str, Any], memory: str, load_start: tuple) -> str:
    cmd = "python bench/bench_county.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load = os.getloadavg()
    if args.db and "kept" in facts:
        opened = (f"the server was kept running beforehand ({facts['kept']}); one CLI command (`mashgraph cypher` "
                  f"counting persons) attached to it: **{facts['attached_cli_s']:.1f} s**")
        engine = "embedded FalkorDB"
    elif args.db:
        opened = (f"one CLI command (`mashgraph cypher` counting persons) with no server running: "
                  f"**{facts['cold_cli_s']:.1f} s**; `mashgraph store start`: {facts['store_start_s']:.1f} s "
                  f"({facts['store_start']}); the same command attached to the kept server: "
                  f"**{facts['attached_cli_s']:.1f} s**")
        engine = "embedded FalkorDB"
    else:
        opened = (f"Neo4j server start-up on the copy (launcher start to Bolt ready): **{facts['server_start_s']:.1f} s**; "
                  f"first query (counting persons) {facts['first_query_s']:.1f} s")
        engine = f"Neo4j 5.26 Community (heap {args.heap_mb} MiB, page cache {args.pagecache_mb} MiB)"
    slowest = max((r for r in rows if "error" not in r), key=lambda r: r["median"], default=None)
    pages_p95 = {page: bench_web.pct(t["server"], 0.95) for page, t in timed.items() if t["n"]}
    return "\n".join([
        f"#### {engine}",
        "",
        f"Command: `{cmd.strip()}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}); {world['size']:,} persons; "
        f"load average (1/5/15 min) {' / '.join(f'{x:.1f}' for x in load_start)} at the start, "
        f"{' / '.join(f'{x:.1f}' for x in load)} at the end; peak memory of the server: {memory}.",
        "",
        f"- Open: {opened}.",
        f"- Saved queries: slowest median {slowest['slug']} {slowest['median']:.2f} s; "
        f"{sum(1 for r in rows if 'error' not in r and r['median'] < QUERY_LIMIT_S)} of {len(rows)} under "
        f"{QUERY_LIMIT_S:.0f} s." if slowest else "- Saved queries: none timed in this run.",
        f"- Pages: slowest server p95 {max(pages_p95, key=pages_p95.get)} {max(pages_p95.values()):.0f} ms; "
        f"{sum(1 for v in pages_p95.values() if v < bench_web.PAGE_MS)} of {len(pages_p95)} page types under "
        f"{bench_web.PAGE_MS} ms." if pages_p95 else "- Pages: none timed.",
        "",
        bench_queries.table(rows, args.runs, QUERY_LIMIT_S),
        "",
        bench_web.pages_table(timed),
    ])


if __name__ == "__main__":
    sys.exit(main())
