"""Benchmark ingestion: mashgraph vs a naive row-at-a-time MERGE loop vs the engine's floor.

Usage::

    .venv/bin/python bench/bench_ingest.py                    # 100,000 people (figures for the docs)
    .venv/bin/python bench/bench_ingest.py --people 2000      # a quick check
    .venv/bin/python bench/bench_ingest.py --write-docs       # also update docs/benchmarks.md "## Ingestion"

Steps (each load in its own Python process, so peak memory is its own):

1. the synthetic set (``mashgraph synth --people N --seed S``), generated once
   under ``bench/out/`` and reused;
2. **mashgraph**: ``run_job`` of its ``job.yml`` into a fresh embedded FalkorDB
   (validation, quarantine, MERGE batches, provenance, IngestRun nodes);
3. **naive**: the same validated rows, one parameterised query per source
   row on the same connection, as tutorials do: the row's MERGE of every node
   and relationship it makes (the loader's statements, each over a one-row
   list), chained into one statement, with no memory across rows (an Agency
   or a HELD_BY merged again on every row). Reading and validating are done
   first and not timed (which flatters the naive figure). When the full run
   would take over an hour it times a sample and extrapolates, and says so;
4. **floor**: the engine's own floor: plain ``UNWIND $rows ... CREATE`` of the
   very nodes and relationships mashgraph produced (dumped from its graph
   first, untimed), 10,000 per batch, relationships by ``MATCH`` of both ends
   on ``key``, no validation, no MERGE.

Fairness: all three write into a fresh embedded FalkorDB with the product's
whole schema (unique ``key`` constraints and indexes on every label, the
property and full-text indexes of ``graph/model.py``, Concern nodes), applied
before timing by ``ensure_schema()``; all three go through the same store
client and parameter encoder; mashgraph and the floor write the same nodes
and relationships (checked: a WARNING line when the sizes differ).

Graph elements = nodes + relationships the load wrote (the seeded Concern
nodes excluded). CPU: seconds used during the timed part by this Python
process and by the redis-server (a busy machine stretches wall time, CPU much
less). Peak memory: this Python process (``ru_maxrss``) and the redis-server
(``VmHWM`` of the store's ``server_pid``). Targets: mashgraph >= 20x naive
rows/s, >= 0.5x floor elements/s; the exit code is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

from benchdocs import replace_section
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_NAIVE = 20.0
TARGET_FLOOR = 0.5
NAIVE_MAX_SECONDS = 3600.0
# The Neo4j server of a benchmark run (tests/servers.py): heap and page cache for a 2-core, 24 GiB machine
# shared with other work, enough to hold the 100,000-people graph (~1.6 M elements) in the page cache.
NEO4J_HEAP_MB = 4096
NEO4J_PAGECACHE_MB = 2048
SERVER_NAME = {"embedded": "redis-server", "neo4j": "Neo4j JVM"}


# -- helpers used by the child processes ----------------------------------------

def _server_pid(store) -> int | None:
    """The store's server process on this machine: the embedded redis-server, or the Neo4j JVM the parent started."""
    return store.server_pid or int(os.environ.get("BENCH_NEO4J_PID", "0")) or None


def _server_peak_mib(store) -> float:
    pid = _server_pid(store)
    if not pid:  # no server process on this machine to measure
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil
    return psutil.Process(pid).memory_info().rss / 2**20


def _server_cpu_s(store) -> float:
    """CPU seconds (user + system) the store's server has used so far."""
    import psutil

    try:
        times = psutil.Process(_server_pid(store) or -1).cpu_times()
    except (psutil.Error, ValueError):
        return float("nan")
    return times.user + times.system


def _self_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _open(db: Path):
    """A fresh store with the whole schema: embedded in ``db``, or the fresh Neo4j server the parent started."""
    from mashgraph.graph import open_store
    from mashgraph.settings import load_settings

    if os.environ.get("BENCH_NEO4J_URI"):
        store = open_store(os.environ["BENCH_NEO4J_URI"], load_settings(
            environ={}, neo4j_user="neo4j", neo4j_password=os.environ["BENCH_NEO4J_PASSWORD"]))
    else:
        if db.exists():
            shutil.rmtree(db)
        store = open_store(str(db), load_settings(environ={}))
    store.ensure_schema()
    return store


def _element_counts(store) -> tuple[int, int]:
    nodes = store.read("MATCH (n) WHERE NOT n:Concern RETURN count(n)", timeout=600).value()
    rels = store.read("MATCH ()-[r]->() RETURN count(r)", timeout=600).value()
    return int(nodes), int(rels)


def child_mashgraph(data: Path, db: Path, dump: Path) -> dict:
    import mashgraph.ingest.jobs as jobs

    refresh = {"seconds": 0.0}
    plain_refresh = jobs.refresh_facts

    def timed_refresh(store):  # run_job ends by refreshing the derived facts (graph/analytics.py)
        t = time.perf_counter()
        try:
            return plain_refresh(store)
        finally:
            refresh["seconds"] += time.perf_counter() - t

    jobs.refresh_facts = timed_refresh
    store = _open(db)
    try:
        s0, c0, t0 = _server_cpu_s(store), time.process_time(), time.perf_counter()
        report = jobs.run_job(store, data / "job.yml", quarantine_dir=db.parent / "ingest-quarantine")
        figures = _phase_figures(store, t0, c0, s0)
        _dump_graph(store, dump)
    finally:
        store.close()
    totals = report.totals()
    return {**figures, "rows": totals["read"], "loaded": totals["loaded"],
            "quarantined": totals["quarantined"], "failed": [s.name for s in report.failed],
            "python_peak_mib": _self_peak_mib(), "refresh_s": refresh["seconds"]}


def _phase_figures(store, t0: float, c0: float, s0: float) -> dict:
    """Wall and CPU seconds since the marks taken before a phase, the graph's size, the server's peak."""
    figures = {"seconds": time.perf_counter() - t0, "python_cpu_s": time.process_time() - c0,
               "server_cpu_s": _server_cpu_s(store) - s0}
    figures["nodes"], figures["rels"] = _element_counts(store)
    figures["server_peak_mib"] = _server_peak_mib(store)
    return figures


def _dump_graph(store, path: Path) -> None:
    """Every node (but seeded Concerns) and relationship as JSON lines, dates as ISO text."""
    from mashgraph.graph.model import LABELS

    def plain(props: dict) -> dict:
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in props.items()}

    with path.open("w", encoding="utf-8") as fh:
        for label in LABELS:
            if label == "Concern":
                continue
            for (props,) in store.read(f"MATCH (n:{label}) RETURN properties(n)", timeout=600).rows:
                fh.write(json.dumps({"n": label, "p": plain(props)}) + "\n")
        rows = store.read("MATCH (a)-[r]->(b) RETURN labels(a)[0], a.key, type(r), labels(b)[0], b.key, "
                          "properties(r)", timeout=600).rows
        for la, a, t, lb, b, props in rows:
            fh.write(json.dumps({"r": [la, t, lb], "a": a, "b": b, "p": plain(props)}) + "\n")


def child_floor(dump: Path, db: Path) -> dict:
    from mashgraph.graph.model import DATE_PROPS

    nodes: dict[str, list] = {}
    rels: dict[tuple, list] = {}
    with dump.open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            if "n" in item:
                dates = DATE_PROPS.get(item["n"], ())
                p = item["p"]
                nodes.setdefault(item["n"], []).append(
                    {"p": {k: v for k, v in p.items() if k not in dates}, **{d: p.get(d) for d in dates}})
            else:
                la, t, lb = item["r"]
                dates = DATE_PROPS.get(t, ())
                p = item["p"]
                rels.setdefault((la, t, lb), []).append(
                    {"a": item["a"], "b": item["b"], "p": {k: v for k, v in p.items() if k not in dates},
                     **{d: p.get(d) for d in dates}})
    store = _open(db)
    try:
        s0, c0, t0 = _server_cpu_s(store), time.process_time(), time.perf_counter()
        for label, rows in nodes.items():
            store.write_batches(_floor_node_cypher(label, DATE_PROPS.get(label, ())), rows, 10_000)
        for (la, t, lb), rows in rels.items():
            store.write_batches(_floor_rel_cypher(la, t, lb, DATE_PROPS.get(t, ())), rows, 10_000)
        figures = _phase_figures(store, t0, c0, s0)
    finally:
        store.close()
    return {**figures, "python_peak_mib": _self_peak_mib()}


def _floor_node_cypher(label: str, dates: tuple[str, ...]) -> str:
    sets = "".join(f", n.`{d}` = date(row.`{d}`)" for d in dates)
    return f"UNWIND $rows AS row CREATE (n:{label}) SET n = row.p{sets}"


def _floor_rel_cypher(la: str, t: str, lb: str, dates: tuple[str, ...]) -> str:
    sets = "".join(f", r.`{d}` = date(row.`{d}`)" for d in dates)
    return (f"UNWIND $rows AS row MATCH (a:{la} {{key: row.a}}) MATCH (b:{lb} {{key: row.b}}) "
            f"CREATE (a)-[r:{t}]->(b) SET r = row.p{sets}")


def child_naive(data: Path, db: Path, max_seconds: float) -> dict:
    """One query per source row: the row's MERGE statements chained into one statement."""
    from mashgraph.ingest.jobs import _rules_for_header, load_job, SourceReport
    from mashgraph.ingest.load import LoadPlan
    from mashgraph.ingest.mapping import load_mapping
    from mashgraph.ingest.readers import open_extract
    from mashgraph.ingest.validate import RowValidator

    job = load_job(data / "job.yml")
    work = []  # (plan, rows) per file, validated up front: only the writing is timed
    for src in job.sources:
        mapping = load_mapping(src.mapping)
        plan = LoadPlan(mapping)
        for f in src.files:  # load_job expands the globs
            path = Path(f)
            with open_extract(path, fmt=mapping.format, encoding=mapping.encoding, delimiter=mapping.delimiter,
                              sheet=mapping.sheet) as ex:
                rules = _rules_for_header(mapping, set(ex.columns), {c.casefold(): c for c in ex.columns},
                                          path, SourceReport("x", "x", []))
                validate = RowValidator(rules, mapping.constants)
                rows = []
                for raw in ex:
                    if raw.problem:
                        continue
                    clean, _ = validate(raw.values)
                    if clean is not None:
                        rows.append((clean, {"source": path.name, "line": raw.line, "run": "naive"}))
            work.append((plan, rows))
    total_rows = sum(len(rows) for _plan, rows in work)
    store = _open(db)
    done = 0
    sampled = False
    try:
        s0, c0, t0 = _server_cpu_s(store), time.process_time(), time.perf_counter()
        for plan, rows in work:
            for clean, prov in rows:
                # No memory across rows (as in a tutorial loop): every node and relationship the
                # row makes is merged, even when an earlier row merged exactly the same values.
                plan.forget()
                batch = plan.new_batch()
                if plan.add_row(batch, clean, prov) is not None:
                    continue
                text, params = _chain(batch.statements(plan, merge=True))
                store.write(text, params)
                done += 1
                if done == 2000 and (time.perf_counter() - t0) / done * total_rows > max_seconds:
                    sampled = True
                    break
            if sampled:
                break
        figures = _phase_figures(store, t0, c0, s0)
    finally:
        store.close()
    return {**figures, "rows": done, "total_rows": total_rows, "sampled": sampled,
            "python_peak_mib": _self_peak_mib()}


def _chain(statements: list[tuple[str, list[dict]]]) -> tuple[str, dict]:
    """The loader's statements for one row as ONE statement: each part unwinds its own parameter,
    and ``WITH count(*)`` between parts closes the previous part's variables."""
    parts, params = [], {}
    for i, (cypher, rows) in enumerate(statements):
        parts.append(cypher.replace("UNWIND $rows AS row", f"UNWIND $r{i} AS row", 1))
        params[f"r{i}"] = rows
    return "\nWITH count(*) AS done\n".join(parts), params


# -- the parent ----------------------------------------------------------------

def ensure_data(people: int, seed: int, out: Path) -> Path:
    data = out / f"ingest-synth-{people}-seed{seed}"
    marker = data / "bench-params.json"
    params = {"people": people, "seed": seed}
    if (data / "job.yml").exists() and marker.exists() and json.loads(marker.read_text()) == params:
        print(f"reusing the synthetic set in {data}")
        return data
    print(f"generating {people:,} people (seed {seed}) into {data} ...", flush=True)
    subprocess.run([sys.executable, "-m", "mashgraph", "synth", "--people", str(people), "--seed", str(seed),
                    "--out", str(data)], check=True, cwd=ROOT)
    marker.write_text(json.dumps(params))
    return data


def run_child(kind: str, *args: str, store: str = "embedded", out: Path | None = None) -> dict:
    """One load in its own process; on Neo4j into a fresh server started for it (its start-up time kept)."""
    env, server = dict(os.environ), None
    if store == "neo4j":
        sys.path.insert(0, str(ROOT / "tests"))
        from servers import Neo4jServer

        server = Neo4jServer(out / f"neo4j-{kind}", heap_mb=NEO4J_HEAP_MB, pagecache_mb=NEO4J_PAGECACHE_MB).start()
        env.update(BENCH_NEO4J_URI=server.uri, BENCH_NEO4J_PASSWORD=server.password,
                   BENCH_NEO4J_PID=str(server.proc.pid))
    try:
        proc = subprocess.run([sys.executable, __file__, "--child", kind, *args], capture_output=True, text=True,
                              cwd=ROOT, env=env)
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.directory, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run on {store} failed:\n{proc.stdout}\n{proc.stderr}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    if server is not None:
        figures["server_start_s"] = server.start_seconds
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--naive-max-seconds", type=float, default=NAIVE_MAX_SECONDS,
                        help="time a 2,000-row sample and extrapolate when the full naive run would take longer")
    parser.add_argument("--store", choices=["embedded", "neo4j", "both"], default="embedded",
                        help="engine: embedded FalkorDB, Neo4j 5 (a fresh server per load, tools/neo4j-harness), or both")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md '## Ingestion'")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        a = [Path(x) for x in args.child_args]
        result = {"mashgraph": lambda: child_mashgraph(*a), "floor": lambda: child_floor(*a),
                  "naive": lambda: child_naive(a[0], a[1], float(args.naive_max_seconds))}[args.child]()
        print(json.dumps(result))
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    data = ensure_data(args.people, args.seed, args.out)
    stores = ["embedded", "neo4j"] if args.store == "both" else [args.store]
    lines, ok = [], True
    for store in stores:
        store_lines, store_ok = bench_store(store, data, args)
        print("\n".join(store_lines), flush=True)  # each engine's figures as soon as they are known
        lines += store_lines
        ok = ok and store_ok
    if args.write_docs:
        write_docs(lines, args)
    return 0 if ok else 1


def bench_store(store: str, data: Path, args: argparse.Namespace) -> tuple[list[str], bool]:
    """The three loads on one engine; the lines for the docs and whether both targets were met."""
    load_start = os.getloadavg()
    dump = args.out / "ingest-graph-dump.jsonl"
    print(f"[{store}] loading with mashgraph ...", flush=True)
    m = run_child("mashgraph", str(data), str(args.out / "ingest-db-mashgraph"), str(dump), store=store, out=args.out)
    print(f"[{store}] loading with the engine floor (UNWIND ... CREATE) ...", flush=True)
    f = run_child("floor", str(dump), str(args.out / "ingest-db-floor"), store=store, out=args.out)
    print(f"[{store}] loading with the naive row-at-a-time MERGE loop ...", flush=True)
    n = run_child("naive", str(data), str(args.out / "ingest-db-naive"), store=store, out=args.out)
    for db in ("ingest-db-mashgraph", "ingest-db-floor", "ingest-db-naive"):
        shutil.rmtree(args.out / db, ignore_errors=True)
    dump.unlink(missing_ok=True)
    lines = figure_lines(store, m, f, n, args, load_start)
    vs_naive = (m["rows"] / m["seconds"]) / (n["rows"] / n["seconds"])
    vs_floor = ((m["nodes"] + m["rels"]) / m["seconds"]) / ((f["nodes"] + f["rels"]) / f["seconds"])
    return lines, vs_naive >= TARGET_NAIVE and vs_floor >= TARGET_FLOOR


def figure_lines(store: str, m: dict, f: dict, n: dict, args: argparse.Namespace, load_start) -> list[str]:
    server = SERVER_NAME[store]
    m_rows_s = m["rows"] / m["seconds"]
    elements = m["nodes"] + m["rels"]
    m_el_s = elements / m["seconds"]
    f_el_s = (f["nodes"] + f["rels"]) / f["seconds"]
    n_rows_s = n["rows"] / n["seconds"]
    naive_full_s = n["total_rows"] / n_rows_s
    vs_naive = m_rows_s / n_rows_s
    vs_floor = m_el_s / f_el_s
    load = os.getloadavg()
    lines = [
        f"**{store}**: data: {args.people:,} people requested (seed {args.seed}): {m['rows']:,} source rows in "
        f"10 extracts -> {m['nodes']:,} nodes + {m['rels']:,} relationships = {elements:,} graph elements",
        f"mashgraph: {m['seconds']:.1f} s, {m_rows_s:,.0f} source rows/s, {m_el_s:,.0f} graph elements/s "
        f"(loaded {m['loaded']:,}, quarantined {m['quarantined']:,}; of the time, {m['refresh_s']:.1f} s refreshing "
        f"the derived facts at the end); CPU: Python {m['python_cpu_s']:.1f} s, "
        f"{server} {m['server_cpu_s']:.1f} s; peak memory: Python "
        f"{m['python_peak_mib']:,.0f} MiB, {server} {m['server_peak_mib']:,.0f} MiB",
        f"naive (one MERGE query per row): {n_rows_s:,.0f} rows/s"
        + (f", sampled {n['rows']:,} of {n['total_rows']:,} rows in {n['seconds']:.1f} s, full run extrapolated "
           f"to {naive_full_s / 3600:.1f} h" if n["sampled"] else f", {n['seconds']:.1f} s for all {n['rows']:,} rows")
        + f"; CPU: Python {n['python_cpu_s']:.1f} s, {server} {n['server_cpu_s']:.1f} s"
        + f"; peak memory: Python {n['python_peak_mib']:,.0f} MiB, {server} {n['server_peak_mib']:,.0f} MiB",
        f"floor (UNWIND ... CREATE of the same {f['nodes']:,} nodes + {f['rels']:,} relationships): "
        f"{f['seconds']:.1f} s, {f_el_s:,.0f} graph elements/s; CPU: Python {f['python_cpu_s']:.1f} s, "
        f"{server} {f['server_cpu_s']:.1f} s; peak memory: Python {f['python_peak_mib']:,.0f} MiB, "
        f"{server} {f['server_peak_mib']:,.0f} MiB",
        f"mashgraph / naive = {vs_naive:.1f}x (target >= {TARGET_NAIVE:.0f}x): "
        f"{'ok' if vs_naive >= TARGET_NAIVE else 'MISSED'}",
        f"mashgraph / floor = {vs_floor:.2f}x (target >= {TARGET_FLOOR}x): {'ok' if vs_floor >= TARGET_FLOOR else 'MISSED'}",
    ]
    if store == "neo4j":
        starts = ", ".join(f"{x['server_start_s']:.1f} s" for x in (m, f, n))
        lines.append(f"Neo4j server start-up (launcher start to Bolt ready, a fresh server per load; heap "
                     f"{NEO4J_HEAP_MB} MiB, page cache {NEO4J_PAGECACHE_MB} MiB): {starts}")
    lines.append(f"machine: {os.cpu_count()} cores, load average (1/5/15 min) at the start {load_start[0]:.1f} / "
                 f"{load_start[1]:.1f} / {load_start[2]:.1f}, at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
                 "(other work may have run concurrently)")
    if (f["nodes"], f["rels"]) != (m["nodes"], m["rels"]):
        lines.append(f"WARNING: the floor graph differs in size: {f['nodes']:,} nodes, {f['rels']:,} relationships")
    if not n["sampled"] and n["rels"] != m["rels"]:
        lines.append(f"WARNING: the naive graph differs in size: {n['nodes']:,} nodes, {n['rels']:,} relationships")
    return lines


def write_docs(lines: list[str], args: argparse.Namespace) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    command = "python bench/bench_ingest.py" + (f" --people {args.people}" if args.people != 100_000 else "") \
        + (f" --seed {args.seed}" if args.seed != 7 else "") + (f" --store {args.store}" if args.store != "embedded" else "") \
        + (f" --naive-max-seconds {args.naive_max_seconds:g}" if args.naive_max_seconds != NAIVE_MAX_SECONDS else "") \
        + " --write-docs"
    body = (f"\nCommand: `{command}` ({time.strftime('%Y-%m-%d')}). Each load runs in its own process into a fresh "
            "store (embedded FalkorDB, or a fresh Neo4j 5.26 server); see the docstring of `bench/bench_ingest.py` "
            "for what each line measures.\n\n"
            + "\n".join(f"- {line}" for line in lines) + "\n\n")
    replace_section("## Ingestion", body, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
