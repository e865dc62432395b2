"""The web explorer under load, on a large synthetic graph in embedded FalkorDB.

Steps:

1. build or reuse a world of ``--people`` synthetic people in ``--dir`` (as
   ``bench/bench_queries.py`` does; ``--link resolve`` runs entity resolution,
   so the identity review pages have pairs to show);
2. start the server itself on 127.0.0.1 (``--server serve``: ``mashgraph serve``,
   what the README tells people to run; ``--server gunicorn``: gunicorn as
   docs/web.md runs it in production), with a fresh users database;
3. time every page type one request at a time (``--samples`` different keys
   each), taking the server's own time from the ``Server-Timing`` header;
4. sign in ``--users`` sessions and let each browse person and network pages
   (the page and its JSON data, as a browser does) as fast as it can for
   ``--seconds`` seconds, at most ``--max-requests`` requests per session;
5. stop the server and print p50/p95/p99, errors and throughput.

    .venv/bin/python bench/bench_web.py --people 100000 --dir /tmp/mashgraph-bench-web --reuse --write-docs

``--write-docs`` replaces the ``## Web pages under load`` section of
``docs/benchmarks.md``. The client runs on the same machine as the server and
takes CPU from it; the figures say so.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mashgraph.graph import open_store  # noqa: E402
from mashgraph.settings import load_settings  # noqa: E402
from benchdocs import replace_section  # noqa: E402

SECTION = "## Web pages under load"
PASSWORD = "bench-password-123"
LOAD_P95_MS = 500
PAGE_MS = 300

SAMPLE_PERSONS_CYPHER = """
MATCH (p:Person)<-[:RESOLVES_TO]-(r:Record)
WITH p, count(r) AS records
RETURN p.key AS person ORDER BY records DESC, person LIMIT $limit
"""
SAMPLE_RECORDS_CYPHER = "MATCH (r:Record) RETURN r.key AS key, r.family_name AS family ORDER BY key LIMIT $limit"
SAMPLE_HOUSEHOLDS_CYPHER = """
MATCH (h:Household)<-[:MEMBER_OF]-(:Record)
WITH h, count(*) AS members
RETURN h.key AS key ORDER BY members DESC, key LIMIT $limit
"""
REVIEW_KEYS_CYPHER = "MATCH (q:ReviewPair) RETURN q.key AS key ORDER BY key LIMIT $limit"
SAMPLE_ADDRESSES_CYPHER = """
MATCH (a:Address)<-[:LIVES_AT]-(:Record)
WITH a, count(*) AS residents
RETURN a.key AS key ORDER BY residents DESC, key LIMIT $limit
"""


# -- the world ---------------------------------------------------------------------------


def build_world(args: argparse.Namespace) -> dict[str, Any]:
    """Build or reuse the graph; the keys the pages will be asked for."""
    import bench_queries

    settings = load_settings(environ={}, start_timeout_s=900)
    with open_store(str(Path(args.dir) / "graph"), settings) as store:
        build_args = argparse.Namespace(**{**vars(args), "reuse_graph": args.reuse, "marker": "graph.done"})
        facts = bench_queries.build(build_args, store)
        return {**sample_world(store, args.seed), "facts": facts}


def sample_world(store: Any, seed: int) -> dict[str, Any]:
    """The keys the pages will be asked for, drawn from the graph in ``store``."""
    import bench_queries
    from mashgraph.graph.saved_queries import load_library

    library = load_library()
    samples = bench_queries.sample_params(store, library)
    rng = random.Random(seed)
    persons = store.read(SAMPLE_PERSONS_CYPHER, {"limit": 5000}, timeout=600).column("person")
    records = store.read(SAMPLE_RECORDS_CYPHER, {"limit": 5000}, timeout=600).records()
    return {
        "persons": rng.sample(persons, min(len(persons), 2000)),
        "records": [r["key"] for r in rng.sample(records, min(len(records), 200))],
        "surnames": sorted({r["family"] for r in records if r["family"]})[:200],
        "households": store.read(SAMPLE_HOUSEHOLDS_CYPHER, {"limit": 200}, timeout=600).column("key"),
        "review": store.read(REVIEW_KEYS_CYPHER, {"limit": 200}, timeout=600).column("key"),
        "addresses": store.read(SAMPLE_ADDRESSES_CYPHER, {"limit": 200}, timeout=600).column("key"),
        "queries": {slug: _query_params(q, samples) for slug, q in library.items()},
        "size": store.read("MATCH (p:Person) RETURN count(p) AS n", timeout=600).value(),
    }


def _query_params(query: Any, samples: dict[str, Any]) -> dict[str, Any]:
    return {name: samples[name] for name, p in query.params.items() if p.required and name in samples}


def make_users(path: Path) -> None:
    from mashgraph.web.accounts import Accounts

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    accounts = Accounts(path)
    accounts.add_user("bench", PASSWORD, "analyst")
    accounts.add_user("benchadmin", PASSWORD, "admin")
    accounts.close()


# -- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(args: argparse.Namespace, port: int) -> list[str]:
    bin_dir = Path(sys.executable).parent
    if args.server == "gunicorn":
        return [str(bin_dir / "gunicorn"), "--workers", str(args.workers), "--threads", str(args.threads),
                "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "mashgraph.web:create_app()"]
    return [str(bin_dir / "mashgraph"), "serve", "--host", "127.0.0.1", "--port", str(port)]


def start_server(args: argparse.Namespace, port: int, env_extra: dict[str, str] | None = None) -> subprocess.Popen:
    """The server on ``port``; ``env_extra`` may name another store (``MASHGRAPH_DB`` and its settings)."""
    env = {**os.environ, "MASHGRAPH_DB": str(Path(args.dir) / "graph"),
           "MASHGRAPH_USERS_DB": str(Path(args.dir) / "bench-users.sqlite"),
           "MASHGRAPH_START_TIMEOUT_S": "900", "MASHGRAPH_SECRET_KEY": "bench-only-" + "x" * 32,
           **(env_extra or {})}
    log = open(Path(args.dir) / "server.log", "w")
    proc = subprocess.Popen(server_command(args, port), env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}; see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    raise SystemExit(f"the server did not answer within 900 s; see {log.name}")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server (it closes the store), then make sure no embedded server is left."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def server_cpu_seconds(proc: subprocess.Popen, store_dir: Path) -> float:
    """CPU seconds of the server process, its workers and the embedded redis-server so far."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(proc.pid)
        for p in [root, *root.children(recursive=True)]:
            t = p.cpu_times()
            total += t.user + t.system
    except psutil.Error:
        pass
    for p in psutil.process_iter(["name", "cmdline"]):
        try:
            if "redis-server" in (p.info["name"] or "") and any(str(store_dir) in c for c in p.info["cmdline"] or []):
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            continue
    return total


# -- the client ----------------------------------------------------------------------------


class Session:
    """One signed-in browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, float, float, str]:
        """(status, client ms, server ms from Server-Timing, body text). Like a browser, a GET on a
        kept-alive connection the server has just closed is sent once more on a new connection."""
        t = time.perf_counter()
        try:
            response, text = self._send(method, path, body)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._reconnect()
            if method != "GET":
                raise
            t = time.perf_counter()
            response, text = self._send(method, path, body)
        ms = (time.perf_counter() - t) * 1000
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        timing = re.search(r"dur=([\d.]+)", response.getheader("Server-Timing") or "")
        return response.status, ms, float(timing.group(1)) if timing else float("nan"), text

    def _send(self, method: str, path: str, body: dict[str, str] | None) -> tuple[Any, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            return response, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self._reconnect()
            raise

    def _reconnect(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def login(self, name: str) -> None:
        _, _, _, page = self.request("GET", "/login")
        status, *_ = self.request("POST", "/login", {"username": name, "password": PASSWORD,
                                                      "csrf_token": _csrf(page), "next": "/"})
        if status != 302:
            raise SystemExit(f"cannot sign in as {name}: HTTP {status}")
        _, _, _, page = self.request("GET", "/reason")
        self.request("POST", "/reason", {"reason": "load benchmark", "csrf_token": _csrf(page), "next": "/"})


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


@dataclass
class Sample:
    page: str
    status: int
    ms: float
    server_ms: float


@dataclass
class Samples:
    items: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.items.append(sample)


# -- phase 1: every page type, one request at a time -----------------------------------------


def page_paths(world: dict[str, Any], n: int, query_samples: int) -> dict[str, list[str]]:
    persons, records, households = world["persons"][:n], world["records"][:n], world["households"][:n]
    pages = {
        "search page": ["/"] * n,
        "search results": [f"/search?{urlencode({'q': s})}" for s in world["surnames"][:n]],
        "person": [f"/person/{quote(k)}" for k in persons],
        "record": [f"/record/{quote(k)}" for k in records],
        "household": [f"/household/{quote(k)}" for k in households],
        "address": [f"/address/{quote(k)}" for k in world["addresses"][:n]],
        "case summary (person)": [f"/summary/person/{quote(k)}" for k in persons],
        "case summary (household)": [f"/summary/household/{quote(k)}" for k in households],
        "case summary export (HTML)": [f"/summary-export/person/{quote(k)}.html" for k in persons],
        "network page": [f"/network/person/{quote(k)}" for k in persons],
        "network data (JSON)": [f"/network-data/person/{quote(k)}.json" for k in persons],
        "network export (HTML)": [f"/network-export/person/{quote(k)}.html" for k in persons],
        "saved queries list": ["/queries"] * n,
        "identity review queue": ["/review/"] * n,
        "identity review pair": [f"/review/pair/{quote(k)}" for k in world["review"][:n]],
        "audit log (admin)": ["/admin/audit"] * n,
        "users (admin)": ["/admin/users"] * n,
    }
    for slug, params in sorted(world["queries"].items()):
        pages[f"query {slug}"] = [f"/queries/{slug}?{urlencode({'run': 1, **params})}"] * query_samples
    return pages


def time_pages(port: int, pages: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Each page type's requests, one at a time, after one untimed request of each type (a freshly
    started store is still building its indexes and caches)."""
    session = Session(port)
    session.login("benchadmin")
    for paths in pages.values():
        if paths:
            session.request("GET", paths[-1])
    out = {}
    for page, paths in pages.items():
        server, client, bad = [], [], []
        for path in paths:
            status, ms, server_ms, _ = session.request("GET", path)
            client.append(ms)
            server.append(server_ms)
            if status != 200:
                bad.append(f"{status} {path}")
        out[page] = {"n": len(paths), "server": server, "client": client, "bad": bad}
    return out


# -- phase 2: concurrent users -------------------------------------------------------------


def load(port: int, world: dict[str, Any], users: int, processes: int, seconds: float, max_requests: int,
         seed: int) -> tuple[Samples, float]:
    """``users`` sessions spread over ``processes`` client processes (one Python process cannot drive
    20 connections without its own GIL adding to the times), all signed in before the clock starts."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    ready = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    shares = [list(range(i, users, processes)) for i in range(processes)]
    procs = [ctx.Process(target=_client_process, daemon=True,
                         args=(port, world["persons"], [seed + u for u in share], seconds, max_requests, ready, results))
             for share in shares if share]
    for p in procs:
        p.start()
    ready.wait()  # the parent too: the clock starts when every session of every process is signed in
    started = time.monotonic()
    samples = Samples()
    for _ in procs:
        items, errors = results.get()
        samples.items.extend(Sample(*i) for i in items)
        samples.errors.extend(errors)
    elapsed = time.monotonic() - started
    for p in procs:
        p.join()
    return samples, elapsed


def _client_process(port: int, persons: list[str], seeds: list[int], seconds: float, max_requests: int,
                    ready: Any, results: Any) -> None:
    samples = Samples()
    local = threading.Barrier(len(seeds) + 1)
    threads = [threading.Thread(target=_user_thread, daemon=True,
                                args=(port, persons, seed, seconds, max_requests, samples, local))
               for seed in seeds]
    for t in threads:
        t.start()
    local.wait()  # every session of this process is signed in
    ready.wait()  # ... and of every other process
    local.wait()  # go
    for t in threads:
        t.join()
    results.put(([(x.page, x.status, x.ms, x.server_ms) for x in samples.items], samples.errors))


def _user_thread(port: int, persons: list[str], seed: int, seconds: float, max_requests: int,
                 samples: Samples, ready: threading.Barrier) -> None:
    """One user: a person page, then its network page and network data (as a browser loads them),
    again and again until ``seconds`` are up or ``max_requests`` are sent."""
    session = Session(port)
    try:
        session.login("bench")
    finally:
        ready.wait()
    ready.wait()  # the second time: every process is ready and the clock starts
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline and sent < max_requests:
        key = quote(rng.choice(persons))
        for page, path in (("person", f"/person/{key}"), ("network page", f"/network/person/{key}"),
                           ("network data (JSON)", f"/network-data/person/{key}.json")):
            sent += 1
            try:
                status, ms, server_ms, _ = session.request("GET", path)
            except (OSError, http.client.HTTPException) as err:
                samples.errors.append(f"{path}: {type(err).__name__}: {err}")
                continue
            samples.add(Sample(page, status, ms, server_ms))
            if status != 200:
                samples.errors.append(f"{path}: HTTP {status}")


# -- report ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    values = sorted(v for v in values if v == v)  # NaN (no Server-Timing) left out
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def pages_table(timed: dict[str, dict[str, Any]]) -> str:
    out = [f"| page | requests | server p50 (ms) | server p95 (ms) | server max (ms) | client p50 (ms) "
           f"| not 200 | server p95 < {PAGE_MS} ms |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for page, t in timed.items():
        if not t["n"]:
            out.append(f"| {page} | 0 (no sample key in this graph) | | | | | | - |")
            continue
        p95 = pct(t["server"], 0.95)
        out.append(f"| {page} | {t['n']} | {pct(t['server'], 0.5):.0f} | {p95:.0f} | {max(t['server']):.0f} "
                   f"| {pct(t['client'], 0.5):.0f} | {len(t['bad'])} | {'yes' if p95 < PAGE_MS else 'NO'} |")
    return "\n".join(out)


def load_lines(samples: Samples, elapsed: float, users: int) -> list[str]:
    ms = [s.ms for s in samples.items]
    ok = sum(1 for s in samples.items if s.status == 200)
    lines = [f"- {len(samples.items):,} requests in {elapsed:.1f} s = **{len(samples.items) / elapsed:.1f} requests/s** "
             f"from {users} signed-in sessions; errors: **{len(samples.errors)}** ({ok:,} answered 200)",
             f"- response time seen by the client: p50 **{pct(ms, 0.5):.0f} ms**, p95 **{pct(ms, 0.95):.0f} ms**, "
             f"p99 {pct(ms, 0.99):.0f} ms, max {max(ms, default=float('nan')):.0f} ms "
             f"(target: p95 < {LOAD_P95_MS} ms: {'met' if pct(ms, 0.95) < LOAD_P95_MS and not samples.errors else 'NOT met'})"]
    for page in sorted({s.page for s in samples.items}):
        mine = [s for s in samples.items if s.page == page]
        lines.append(f"  - {page}: {len(mine):,} requests, client p50 {pct([s.ms for s in mine], 0.5):.0f} ms, "
                     f"p95 {pct([s.ms for s in mine], 0.95):.0f} ms; server p50 {pct([s.server_ms for s in mine], 0.5):.0f} ms, "
                     f"p95 {pct([s.server_ms for s in mine], 0.95):.0f} ms")
    lines += [f"  - error: {e}" for e in samples.errors[:5]]
    return lines


def describe_server(args: argparse.Namespace) -> str:
    cmd = " ".join(server_command(args, 0)).replace(str(Path(sys.executable).parent) + "/", "")
    return f"`{cmd.replace(':0', ':PORT').replace(' 0', ' PORT')}`"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default="/tmp/mashgraph-bench-web", help="work directory (data and graph)")
    parser.add_argument("--link", choices=["auto", "resolve", "truth"], default="resolve",
                        help="identity: entity resolution (default; fills the review queue) or ground truth")
    parser.add_argument("--reuse", action="store_true", help="reuse data and graph from an earlier run in --dir")
    parser.add_argument("--server", choices=["serve", "gunicorn"], default="serve")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn worker processes (default: one per core)")
    parser.add_argument("--threads", type=int, default=0, help="gunicorn threads per worker (default 8)")
    parser.add_argument("--users", type=int, default=20, help="concurrent signed-in sessions")
    parser.add_argument("--client-processes", type=int, default=4,
                        help="load-generator processes the sessions are spread over")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=5000, help="most requests per session")
    parser.add_argument("--samples", type=int, default=20, help="requests per page type, one at a time")
    parser.add_argument("--query-samples", type=int, default=3, help="runs of each saved query page")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    if args.server == "gunicorn":
        args.workers, args.threads = args.workers or os.cpu_count() or 2, args.threads or 8
    elif args.workers or args.threads:
        parser.error("--workers and --threads are for --server gunicorn (mashgraph serve is one process, "
                     "one thread per request)")

    Path(args.dir).mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    world = build_world(args)
    print(f"world ready in {time.perf_counter() - t:.0f} s: {world['size']:,} persons", flush=True)
    make_users(Path(args.dir) / "bench-users.sqlite")
    port = free_port()
    load_before = os.getloadavg()
    t = time.perf_counter()
    proc = start_server(args, port)
    print(f"server up in {time.perf_counter() - t:.0f} s on port {port}", flush=True)
    try:
        timed = time_pages(port, page_paths(world, args.samples, args.query_samples))
        print(pages_table(timed), flush=True)
        cpu0, load_start = server_cpu_seconds(proc, Path(args.dir)), os.getloadavg()
        client0 = _children_cpu()
        samples, elapsed = load(port, world, args.users, args.client_processes, args.seconds,
                                args.max_requests, args.seed)
        cpu = server_cpu_seconds(proc, Path(args.dir)) - cpu0
        client_cpu = _children_cpu() - client0
        load_end = os.getloadavg()
    finally:
        stop_server(proc)
    lines = load_lines(samples, elapsed, args.users)
    lines.append(f"- server CPU during the load (server processes and the embedded redis-server): {cpu:.1f} s "
                 f"in {elapsed:.1f} s = {cpu / elapsed:.2f} cores; the load generator's processes: "
                 f"{client_cpu:.1f} s = {client_cpu / elapsed:.2f} cores")
    cmd = "python bench/bench_web.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([
        f"Command: `{cmd.strip()}` (embedded FalkorDB, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
        "",
        f"Server: {describe_server(args)}, started by the script on 127.0.0.1. Graph: {args.people:,} synthetic "
        f"people requested (seed {args.seed}), {world['size']:,} persons after "
        f"{'entity resolution' if world['facts'].get('link') == 'resolve' else 'ground-truth linking'}.",
        "",
        f"Load average (1/5/15 min): {_load(load_before)} before the server started, {_load(load_start)} when the "
        f"concurrent phase started, {_load(load_end)} at its end. The machine has {os.cpu_count()} cores, shared "
        "with other engineers' builds and tests while this ran; the load generator runs on the same cores.",
        "",
        f"**Every page type, one request at a time** after one untimed request of each ({args.samples} "
        f"different keys each, {args.query_samples} runs of each saved query; server time from the "
        "`Server-Timing` header):",
        "",
        pages_table(timed),
        "",
        f"**{args.users} concurrent users for {args.seconds:.0f} s** browsing person pages and network pages "
        f"(the page and its JSON data), at most {args.max_requests} requests each, no pause between requests "
        f"(the sessions run in {args.client_processes} client processes on the same machine):",
        "",
        *lines,
    ])
    print(text)
    if args.write_docs:
        replace_section(SECTION, text)
        print("\nwritten to docs/benchmarks.md")
    met = (pct([s.ms for s in samples.items], 0.95) < LOAD_P95_MS and not samples.errors
           and all(pct(t["server"], 0.95) < PAGE_MS for t in timed.values() if t["n"]))
    return 0 if met else 1


def _children_cpu() -> float:
    """CPU seconds of this process's finished child processes (the load generator's clients)."""
    t = os.times()
    return t.children_user + t.children_system


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
