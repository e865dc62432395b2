"""Reads in parallel: one store shared by a server's threads and by several worker processes, no
lock held for a whole request, and no per-request work that serialises requests (the saved-query
library is parsed once). The figures at 100,000 people come from ``bench/bench_web.py``
(docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from mashgraph.graph import open_store
from mashgraph.graph.saved_queries import load_library
from mashgraph.settings import load_settings

SLOW_READ_CYPHER = "UNWIND range(1, $n) AS x WITH x WHERE x % 7 = 0 RETURN count(x) AS c"
ECHO_CYPHER = "RETURN $i AS i, $tag AS tag"
COUNT_MARKS_CYPHER = "MATCH (m:Agency {kind: 'load-test'}) RETURN count(m) AS n"
WRITE_MARK_CYPHER = "MERGE (m:Agency {key: $key}) SET m.kind = 'load-test'"


@pytest.fixture
def store(tmp_path):
    with open_store(str(tmp_path / "graph"), load_settings(environ={})) as s:
        yield s


def test_a_quick_read_does_not_wait_for_a_slow_one(store):
    """Two threads, one store: quick reads finish while a read of about 2 s is still running."""
    done: dict[str, float] = {}
    started = threading.Event()

    def slow() -> None:
        started.set()  # the quick reads start once the slow one is on its way
        assert store.read(SLOW_READ_CYPHER, {"n": 5_000_000}).value() == 714_285
        done["slow"] = time.monotonic()

    def quick() -> None:
        started.wait()
        for i in range(20):
            assert store.read(ECHO_CYPHER, {"i": i, "tag": "q"}).rows == [[i, "q"]]
        done["quick"] = time.monotonic()

    threads = [threading.Thread(target=slow), threading.Thread(target=quick)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert done["quick"] < done["slow"], "20 quick reads waited for the slow one: reads are serialised"


def test_threads_sharing_one_store_each_get_their_own_answers(store):
    errors: list[str] = []

    def reader(tag: str) -> None:
        for i in range(60):
            rows = store.read(ECHO_CYPHER, {"i": i, "tag": tag}).rows
            if rows != [[i, tag]]:
                errors.append(f"{tag} {i}: {rows}")

    threads = [threading.Thread(target=reader, args=(f"t{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []


def test_worker_processes_share_one_embedded_server(tmp_path):
    """Gunicorn workers each open the store: they attach to the same embedded server, see each
    other's writes, and a worker that exits leaves the server to the others."""
    path = str(tmp_path / "graph")
    worker = textwrap.dedent(f"""
        from mashgraph.graph import open_store
        from mashgraph.settings import load_settings
        with open_store({path!r}, load_settings(environ={{}})) as s:
            print(s.server_pid, s.read({COUNT_MARKS_CYPHER!r}).value())
            s.write({WRITE_MARK_CYPHER!r}, {{"key": "from-worker"}})
    """)
    with open_store(path, load_settings(environ={})) as store:
        store.write(WRITE_MARK_CYPHER, {"key": "from-parent"})
        out = subprocess.run([sys.executable, "-c", worker], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        pid, seen = out.stdout.split()
        assert int(pid) == store.server_pid and int(seen) == 1
        assert store.read(COUNT_MARKS_CYPHER).value() == 2  # the worker's write, and the server still runs


def test_the_saved_query_library_is_parsed_once_and_edits_still_show(tmp_path):
    """Pages load the library on every request; parsing it each time cost about 100 ms of CPU
    (under the GIL, so it served requests one at a time)."""
    src = next(iter(load_library().values())).path.read_text(encoding="utf-8")
    (tmp_path / "one.cypher").write_text(src, encoding="utf-8")
    first, again = load_library(tmp_path), load_library(tmp_path)
    assert first["one"] is again["one"]
    (tmp_path / "one.cypher").write_text(src.replace("// title:", "// title: Edited", 1), encoding="utf-8")
    assert load_library(tmp_path)["one"].title.startswith("Edited")
