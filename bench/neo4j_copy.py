"""Copy a graph from an embedded FalkorDB store into a new Neo4j 5 database, for benchmarks.

Ingesting a 1,000,000-people world through ``run_job`` into Neo4j takes hours on
the 2-core build machine, so the county-scale benchmark copies the graph the
embedded store already holds: every node of every label with all its
properties, and every relationship with its properties, written as CSV files
and loaded by Neo4j's own bulk importer (``neo4j-admin database import full``,
run from the ``tools/neo4j-harness`` class path), then the product's schema
(``ensure_schema``: unique keys, indexes, full-text indexes) on top. The copy is
checked: node and relationship counts per label and type must match.

    .venv/bin/python bench/neo4j_copy.py /tmp/neo4jb-1m/graph /tmp/neo4jb-1m/neo4j-db

The Neo4j directory is the one ``tests/servers.py``'s ``Neo4jServer`` (and
``bench/bench_queries.py --neo4j-dir``) runs a server on. Nodes without a
``key`` cannot be copied (the importer joins relationships on it) and are
counted and reported. Property types: text, integer, float, boolean, date and
lists of those, as FalkorDB returns them. An empty list cannot be written in
the importer's CSV; it is set after the import.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from mashgraph.graph import open_store  # noqa: E402
from mashgraph.graph.model import LABELS  # noqa: E402
from mashgraph.settings import load_settings  # noqa: E402

ARRAY_SEP = "\x1f"  # never in our data; the importer splits list values on it
TRIPLES_CYPHER = "MATCH (a)-[r]->(b) RETURN labels(a)[0] AS a, type(r) AS t, labels(b)[0] AS b, count(*) AS n"
COUNT_LABEL_CYPHER = "MATCH (n) RETURN labels(n)[0] AS label, count(*) AS n"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, dt.date):
        return "date"
    return "string"


def column_types(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each property's importer type: the widest kind seen; a list is ``kind[]``.

    >>> column_types([{"a": 1, "b": ["x"]}, {"a": 2.5, "c": dt.date(2020, 1, 2)}])
    {'a': 'double', 'b': 'string[]', 'c': 'date'}
    """
    seen: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for k, v in row.items():
            if v is None:
                continue
            if isinstance(v, list):
                seen[k].update(_kind(x) + "[]" for x in v) if v else seen[k].add("[]")
            else:
                seen[k].add(_kind(v))
    out = {}
    for k, kinds in seen.items():
        kinds.discard("[]")
        if not kinds:
            out[k] = "string[]"
        elif len(kinds) == 1:
            out[k] = kinds.pop()
        elif kinds <= {"long", "double"} or kinds <= {"long[]", "double[]"}:
            out[k] = "double[]" if "double[]" in kinds else "double"
        else:
            out[k] = "string[]" if all(x.endswith("[]") for x in kinds) else "string"
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ARRAY_SEP.join(_cell(x) for x in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def dump_nodes(store: Any, label: str, out: Path, empty_lists: dict[tuple[str, str], list[str]]) -> tuple[int, int]:
    """Write ``label``'s nodes to ``out``; (written, skipped for want of a key)."""
    rows = [r[0] for r in store.read(f"MATCH (n:{label}) RETURN properties(n)", timeout=3600).rows]
    types = column_types(rows)
    types.pop("key", None)
    names = sorted(types)
    skipped = 0
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"key:ID({label})", ":LABEL"] + [f"{n}:{types[n]}" for n in names])
        for row in rows:
            if row.get("key") is None:
                skipped += 1
                continue
            for n in names:
                if row.get(n) == []:
                    empty_lists[(label, n)].append(row["key"])
            w.writerow([row["key"], label] + [_cell(row.get(n)) for n in names])
    return len(rows) - skipped, skipped


def dump_rels(store: Any, a: str, t: str, b: str, out: Path) -> int:
    rows = store.read(f"MATCH (a:{a})-[r:{t}]->(b:{b}) WHERE a.key IS NOT NULL AND b.key IS NOT NULL "
                      "RETURN a.key, b.key, properties(r)", timeout=3600).rows
    types = column_types(r[2] for r in rows)
    names = sorted(types)
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f":START_ID({a})", f":END_ID({b})", ":TYPE"] + [f"{n}:{types[n]}" for n in names])
        for ka, kb, props in rows:
            w.writerow([ka, kb, t] + [_cell(props.get(n)) for n in names])
    return len(rows)


def bulk_import(csv_dir: Path, target: Path, heap_mb: int) -> float:
    """``neo4j-admin database import full`` of every CSV in ``csv_dir`` into ``target/dbms``; seconds."""
    from servers import build_harness

    nodes = sorted(csv_dir.glob("nodes-*.csv"))
    rels = sorted(csv_dir.glob("rels-*.csv"))
    home = target / "dbms"
    home.mkdir(parents=True, exist_ok=True)
    cmd = ["java", f"-Xmx{heap_mb}m", "-cp", build_harness(), "org.neo4j.cli.AdminTool", "database", "import",
           "full", "neo4j", f"--array-delimiter={ARRAY_SEP}", "--multiline-fields=true"]
    cmd += [f"--nodes={p}" for p in nodes] + [f"--relationships={p}" for p in rels]
    started = time.perf_counter()
    done = subprocess.run(cmd, env={**os.environ, "NEO4J_HOME": str(home)}, capture_output=True, text=True,
                          cwd=target)  # the importer writes import.report into its working directory
    (target / "import.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"neo4j-admin import failed (log: {target / 'import.log'}): "
                         + " | ".join((done.stdout + done.stderr).strip().splitlines()[-3:]))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="embedded store directory")
    parser.add_argument("target", help="new Neo4j directory (must not exist)")
    parser.add_argument("--heap-mb", type=int, default=4096)
    parser.add_argument("--pagecache-mb", type=int, default=2048)
    args = parser.parse_args(argv)
    target = Path(args.target)
    if target.exists():
        parser.error(f"{target} exists; remove it or name a new directory")
    csv_dir = target.parent / (target.name + "-csv")
    csv_dir.mkdir(parents=True, exist_ok=True)
    empty: dict[tuple[str, str], list[str]] = defaultdict(list)
    t = time.perf_counter()
    with open_store(args.source, load_settings(environ={}, start_timeout_s=1800, max_query_timeout_ms=3_600_000)) as src:
        counts = {r["label"]: r["n"] for r in src.read(COUNT_LABEL_CYPHER, timeout=3600).records()}
        triples = {(r["a"], r["t"], r["b"]): r["n"] for r in src.read(TRIPLES_CYPHER, timeout=3600).records()}
        skipped = Counter()
        for label in counts:
            if label not in LABELS:
                raise SystemExit(f"label {label!r} is not in graph/model.py LABELS; refusing to copy it")
            _, skipped[label] = dump_nodes(src, label, csv_dir / f"nodes-{label}.csv", empty)
        for (a, t_, b) in triples:
            dump_rels(src, a, t_, b, csv_dir / f"rels-{a}-{t_}-{b}.csv")
    dump_s = time.perf_counter() - t
    import_s = bulk_import(csv_dir, target, args.heap_mb)
    shutil.rmtree(csv_dir)
    schema_s, fix_s = finish(target, args, counts, skipped, triples, empty)
    print(json.dumps({"dump_s": dump_s, "import_s": import_s, "schema_s": schema_s, "empty_lists_s": fix_s,
                      "nodes": sum(counts.values()) - sum(skipped.values()), "rels": sum(triples.values()),
                      "skipped_without_key": dict(+skipped)}))
    return 0


def finish(target: Path, args: argparse.Namespace, counts: dict[str, int], skipped: Counter,
           triples: dict[tuple[str, str, str], int], empty: dict[tuple[str, str], list[str]]) -> tuple[float, float]:
    """Start a server on the copy, apply the schema, set the empty lists, check the counts."""
    from servers import Neo4jServer, neo4j_settings

    with Neo4jServer(target, heap_mb=args.heap_mb, pagecache_mb=args.pagecache_mb) as server:
        with open_store(server.uri, neo4j_settings(server, max_query_timeout_ms=3_600_000)) as store:
            t = time.perf_counter()
            store.ensure_schema()
            schema_s = time.perf_counter() - t
            t = time.perf_counter()
            for (label, prop), keys in empty.items():
                store.write_batches(f"UNWIND $rows AS row MATCH (n:{label} {{key: row.k}}) SET n.`{prop}` = []",
                                    ({"k": k} for k in keys), 10_000)
            fix_s = time.perf_counter() - t
            got = {r["label"]: r["n"] for r in store.read(COUNT_LABEL_CYPHER, timeout=3600).records()}
            got_rels = {(r["a"], r["t"], r["b"]): r["n"] for r in store.read(TRIPLES_CYPHER, timeout=3600).records()}
    want = {label: n - skipped[label] for label, n in counts.items() if n - skipped[label]}
    if got != want or got_rels != triples:
        raise SystemExit(f"the copy differs: nodes {got} vs {want}; relationships {got_rels} vs {triples}")
    return schema_s, fix_s


if __name__ == "__main__":
    sys.exit(main())
