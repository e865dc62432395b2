"""The linked-risk network view on a large graph: API latency and drawing time in Chromium.

On the world ``bench_linked_risk.py`` built for ``--people``/``--seed`` in ``--dir``
(run that first; its analytics must have been stored):

- **API**: ``GET /linked-data/person/<key>.json?hops=2`` through the Flask app (signed in,
  audited as in production, one thread) for ``--samples`` persons drawn with a fixed seed
  from those in a community (linked to two or more people); wall time per request:
  median, p95, slowest, and the nodes returned;
- **browser**: Debian's Chromium opens ``/linked/query/linked-risk-children?limit=N&hops=0``
  (the N highest-risk children and the hubs joining them; more than 300 nodes start
  clustered by community) and we time navigation until physics has settled and stopped
  (``#network[data-rendered=true]``), then a double-click on a cluster opens it.

    .venv/bin/python bench/bench_linked_view.py --people 100000 --seed 9973 --write-docs
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchdocs import replace_section  # noqa: E402
from mashgraph.graph import open_store  # noqa: E402
from mashgraph.settings import load_settings  # noqa: E402

PASSWORD = "bench-password-123"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LINKED_CYPHER = "MATCH (p:Person) WHERE p.community IS NOT NULL RETURN p.key AS key ORDER BY key"


def make_app(store, tmp: Path):
    from mashgraph.web import create_app
    from mashgraph.web.accounts import Accounts

    accounts = Accounts(tmp / "users.sqlite")
    accounts.add_user("bench", PASSWORD, "analyst")
    accounts.close()
    return create_app({"STORE": store, "MASHGRAPH_USERS_DB": str(tmp / "users.sqlite"),
                       "MASHGRAPH_REQUIRE_REASON": False})


def signed_in(app):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    return client


def api_figures(app, store, samples: int) -> dict:
    keys = store.read(LINKED_CYPHER, timeout=600).column("key")
    chosen = random.Random(14).sample(keys, min(samples, len(keys)))
    client = signed_in(app)
    client.get(f"/linked-data/person/{chosen[0]}.json?hops=2")  # warm up
    times, sizes = [], []
    for key in chosen:
        t = time.perf_counter()
        response = client.get(f"/linked-data/person/{key}.json?hops=2")
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, (key, response.status_code)
        sizes.append(len(response.get_json()["nodes"]))
    times.sort()
    return {"n": len(times), "median": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))],
            "max": times[-1], "nodes_median": statistics.median(sizes), "nodes_max": max(sizes)}


def browser_figures(app, people: int, runs: int) -> dict:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    out: dict = {"times": []}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base + "/login")
            page.fill("#username", "bench")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            for _ in range(runs):
                t = time.perf_counter()
                page.goto(f"{base}/linked/query/linked-risk-children?limit={people}&hops=0")
                page.wait_for_selector("#network[data-rendered=true]", timeout=120_000)
                out["times"].append(time.perf_counter() - t)
            out["nodes"] = page.evaluate("window.mashgraphLinked.nodes.length")
            out["drawn"] = page.evaluate("Object.keys(window.mashgraphLinked.network.body.nodes).length")
            clusters = page.evaluate("window.mashgraphLinked.network.body.nodeIndices.filter(id => String(id).startsWith('cluster:'))")
            out["clusters"] = len(clusters)
            if clusters:
                t = time.perf_counter()
                page.evaluate("id => window.mashgraphLinked.network.openCluster(id)", clusters[0])
                out["open_cluster"] = time.perf_counter() - t
            browser.close()
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=9973)
    parser.add_argument("--dir", default="/tmp/mashgraph-bench-linked-risk")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--view-people", type=int, default=1000, help="children in the browser view")
    parser.add_argument("--runs", type=int, default=3, help="browser loads")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    graph = Path(args.dir) / f"{args.people}-{args.seed}" / "graph"
    if not graph.exists():
        parser.error(f"no graph at {graph}: run bench/bench_linked_risk.py --people {args.people} --seed {args.seed} first")
    with tempfile.TemporaryDirectory() as tmp, open_store(str(graph), load_settings(environ={}, start_timeout_s=600)) as store:
        app = make_app(store, Path(tmp))
        api = api_figures(app, store, args.samples)
        view = browser_figures(app, args.view_people, args.runs)
    load = os.getloadavg()[0]
    cmd = "python bench/bench_linked_view.py " + " ".join(argv if argv is not None else sys.argv[1:])
    times = view["times"]
    text = "\n".join([
        f"Command: `{cmd.strip()}` ({os.cpu_count()} cores; load average {load:.1f} at the end).",
        "",
        f"- 2-hop network API (`/linked-data/person/<key>.json?hops=2`, {api['n']} persons in a community, "
        f"Flask test client, audited): median {api['median'] * 1000:.0f} ms, p95 {api['p95'] * 1000:.0f} ms, "
        f"slowest {api['max'] * 1000:.0f} ms; nodes returned: median {api['nodes_median']:.0f}, most {api['nodes_max']}. "
        f"Target p95 < 150 ms: {'met' if api['p95'] < 0.150 else 'NOT met'}.",
        f"- {args.view_people:,}-children view in Chromium ({view['nodes']:,} nodes with the hubs joining them, "
        f"{view['clusters']} community clusters at start, {view['drawn']:,} drawn objects): from navigation to physics "
        f"settled and stopped {', '.join(f'{t:.2f}' for t in times)} s over {len(times)} loads"
        + (f"; opening a cluster {view['open_cluster'] * 1000:.0f} ms" if "open_cluster" in view else "")
        + f". Target < 2 s: {'met' if min(times) < 2 else 'NOT met'} (fastest load).",
    ])
    print(text)
    if args.write_docs:
        replace_section(f"## Linked-risk network view ({args.people:,} people)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
