"""Embedded FalkorDB: durability, crash recovery, isolation and clean shutdown.

Every redis-server these tests signal is one the test itself started (its pid
comes from the store the test opened), and only by that pid.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from mashgraph.errors import QueryError, StoreUnavailable
from mashgraph.graph.backends.embedded import REGISTRY_FILE, EmbeddedStore
from mashgraph.graph import open_store
from mashgraph.settings import load_settings

WRITE_ONE_CYPHER = "CREATE (:Record {key: $key, n: $n})"
WRITE_ROWS_CYPHER = "UNWIND $rows AS row CREATE (:Record {key: row.key, n: row.n})"
COUNT_CYPHER = "MATCH (r:Record) RETURN count(r) AS n, sum(r.n) AS total"
DATE_PARAM_CYPHER = "MATCH (r:Referral) WHERE r.date = $d RETURN r"


def settings(**overrides):
    return load_settings(environ={}, **overrides)


def running(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie nobody reaped yet counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_until_gone(pid: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while running(pid):
        assert time.monotonic() < deadline, f"process {pid} still running"
        time.sleep(0.01)


def kill_server(store: EmbeddedStore) -> int:
    """SIGKILL the redis-server this test's store started (that pid only)."""
    pid = store.server_pid
    assert pid and "redis-server" in " ".join(psutil.Process(pid).cmdline())
    os.kill(pid, signal.SIGKILL)
    wait_until_gone(pid)
    return pid


def test_kill_9_of_the_server_loses_no_acknowledged_write(tmp_path):
    path = str(tmp_path / "graph")
    store = open_store(path, settings())
    for i in range(300):  # each write is acknowledged before the next is sent
        store.write(WRITE_ONE_CYPHER, {"key": f"one:{i}", "n": 1})
    rows = [{"key": f"batch:{i}", "n": 2} for i in range(20_000)]
    assert store.write_batches(WRITE_ROWS_CYPHER, rows, batch_size=10_000) == 20_000
    killed = kill_server(store)
    assert (tmp_path / "graph" / REGISTRY_FILE).exists()  # a stale registry is left behind
    store.close()  # closing a store whose server died is quiet

    with open_store(path, settings()) as reopened:
        assert reopened.server_pid != killed
        assert reopened.read(COUNT_CYPHER).records() == [{"n": 20_300, "total": 300 + 40_000}]


def test_a_dead_server_is_store_unavailable_within_seconds(embedded_store):
    kill_server(embedded_store)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        embedded_store.read(COUNT_CYPHER)
    assert time.monotonic() - started < 5
    assert "\n" not in info.value.one_line()
    # The message says the server is gone and quotes its log, so a crash can be diagnosed.
    assert "server gone; log:" in info.value.message


def test_a_registry_naming_a_live_unrelated_process_is_not_trusted(tmp_path):
    path = tmp_path / "graph"
    with open_store(str(path), settings()) as store:
        store.write(WRITE_ONE_CYPHER, {"key": "a", "n": 5})
    # As after a crash when the system has given the old pid to another process:
    # here this test's own process, which must be neither attached to nor signalled.
    run_dir = tmp_path / "old-run"
    run_dir.mkdir()
    (run_dir / "redis.pid").write_text(str(os.getpid()))
    (run_dir / "redis.config").write_text("# left by a dead server\n")
    (path / REGISTRY_FILE).write_text(json.dumps({
        "pidfile": str(run_dir / "redis.pid"), "unixsocket": str(run_dir / "redis.socket"),
        "dbdir": str(path), "dbfilename": "graph.rdb"}))

    with open_store(str(path), settings()) as store:
        assert store.server_pid not in (0, os.getpid())
        assert store.read(COUNT_CYPHER).records() == [{"n": 1, "total": 5}]
    assert not run_dir.exists()  # the dead server's leftovers are cleared


def test_a_corrupt_registry_is_forgotten(tmp_path):
    path = tmp_path / "graph"
    path.mkdir()
    (path / REGISTRY_FILE).write_text('{"pidfile": ')  # cut short by a crash
    with open_store(str(path), settings()) as store:
        assert store.read(COUNT_CYPHER).records() == [{"n": 0, "total": 0}]


def test_two_directories_never_see_each_others_data(tmp_path):
    with open_store(str(tmp_path / "a"), settings()) as a, open_store(str(tmp_path / "b"), settings()) as b:
        assert a.server_pid != b.server_pid
        a.write(WRITE_ONE_CYPHER, {"key": "only-in-a", "n": 1})
        b.write(WRITE_ONE_CYPHER, {"key": "only-in-b", "n": 2})
        assert a.read("MATCH (r:Record) RETURN r.key").column(0) == ["only-in-a"]
        assert b.read("MATCH (r:Record) RETURN r.key").column(0) == ["only-in-b"]


def test_close_stops_the_server_and_the_data_comes_back(tmp_path):
    path = tmp_path / "graph"
    store = open_store(str(path), settings())
    store.write(WRITE_ONE_CYPHER, {"key": "kept", "n": 3})
    pid = store.server_pid
    store.close()
    store.close()  # twice is harmless
    wait_until_gone(pid, timeout_s=0.5)
    assert not (path / REGISTRY_FILE).exists()
    with open_store(str(path), settings()) as again:
        assert again.read(COUNT_CYPHER).records() == [{"n": 1, "total": 3}]


def test_two_stores_on_one_directory_share_a_server_until_the_last_closes(tmp_path):
    path = str(tmp_path / "graph")
    first = open_store(path, settings())
    second = open_store(path, settings())
    pid = first.server_pid
    assert second.server_pid == pid
    first.write(WRITE_ONE_CYPHER, {"key": "x", "n": 1})
    first.close()
    assert running(pid)
    assert second.read(COUNT_CYPHER).value() == 1
    second.close()
    wait_until_gone(pid)


def _child(path, tail: str) -> int:
    """Run a Python process that opens ``path``, writes, prints the server pid, then runs ``tail``."""
    code = textwrap.dedent(f"""
        import os
        from mashgraph.graph import open_store
        from mashgraph.settings import load_settings
        store = open_store({path!r}, load_settings(environ={{}}))
        store.write({WRITE_ONE_CYPHER!r}, {{"key": "child", "n": 7}})
        print(store.server_pid, flush=True)
        {tail}
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return int(out.stdout.strip())


def test_the_server_outlives_a_killed_python_process_and_is_reattached(tmp_path):
    path = str(tmp_path / "graph")
    pid = _child(path, "os._exit(0)")  # no close, no exit hooks: as after kill -9 of Python
    assert running(pid)
    with open_store(path, settings()) as store:
        assert store.server_pid == pid
        assert store.read(COUNT_CYPHER).records() == [{"n": 1, "total": 7}]
    wait_until_gone(pid)


def test_a_forgotten_close_still_stops_the_server_at_exit(tmp_path):
    pid = _child(str(tmp_path / "graph"), "")
    wait_until_gone(pid)


def test_server_runs_with_aof_everysec_no_snapshots_and_timeouts_from_settings(tmp_path):
    path = tmp_path / "graph"
    conf = settings(query_timeout_ms=12_000, max_query_timeout_ms=60_000, start_timeout_s=45)
    with open_store(str(path), conf) as store:
        client = store._client
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("dir") == {"dir": str(path)}
        assert client.execute_command("GRAPH.CONFIG", "GET", "TIMEOUT_MAX") == ["TIMEOUT_MAX", 60_000]
        assert client.execute_command("GRAPH.CONFIG", "GET", "TIMEOUT_DEFAULT") == ["TIMEOUT_DEFAULT", 12_000]
        assert type(client).start_timeout == 45
        store.write(WRITE_ONE_CYPHER, {"key": "x", "n": 1})
    assert (path / "aof").is_dir() and any((path / "aof").iterdir())
    assert stat.S_IMODE(path.stat().st_mode) == 0o700  # it holds personal data


def test_a_date_parameter_is_refused_with_what_to_do(embedded_store):
    import datetime

    with pytest.raises(QueryError) as info:
        embedded_store.read(DATE_PARAM_CYPHER, {"d": datetime.date(2024, 1, 2)})
    assert "$d" in info.value.message and "date($x)" in info.value.hint


# The child only closes its copy of the store, touching no lock another thread holds.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_closing_its_copy_leaves_the_parents_server_running(tmp_path):
    with open_store(str(tmp_path / "graph"), settings()) as store:
        store.write(WRITE_ONE_CYPHER, {"key": "x", "n": 1})
        child = os.fork()
        if child == 0:  # as a pre-forking web server's worker would
            try:
                store.close()
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        assert running(store.server_pid)
        assert store.read(COUNT_CYPHER).value() == 1


def test_a_crash_report_in_the_server_log_is_summed_up_in_one_line(tmp_path):
    from mashgraph.graph.backends.embedded import _crash_report

    log = tmp_path / "redis.log"
    log.write_text("\n".join([
        "12:M 30 Nov 2026 02:00:00.000 * Ready to accept connections unix",
        "12:M 30 Nov 2026 02:00:01.000 # === REDIS BUG REPORT START: Cut & paste starting from here ===",
        "12:M 30 Nov 2026 02:00:01.000 # Redis 8.10.2 crashed by signal: 11, si_code: 1",
        "12:M 30 Nov 2026 02:00:01.000 # Crashed running the instruction at: 0x7f00",
        "------ STACK TRACE ------",
        "EIP:",
        "/x/falkordb.so(Index_IndexNode+0x73)[0x7f00]",
        "Backtrace:",
        "/x/falkordb.so(main+0x1)[0x1]",
    ]) + "\n")
    summary = _crash_report(log)
    assert "crashed by signal: 11" in summary and "Index_IndexNode" in summary
    assert "main+0x1" not in summary and "\n" not in summary
    quiet = tmp_path / "quiet.log"
    quiet.write_text("12:M * Ready to accept connections unix\n")
    assert _crash_report(quiet) == ""
    assert _crash_report(None) == "" and _crash_report(tmp_path / "missing.log") == ""


def _stop_fresh_servers(monkeypatch, how_many: int) -> list[int]:
    """Make the first ``how_many`` servers a store starts hang (SIGSTOP), as FalkorDB's start-up deadlock does."""
    from mashgraph.graph.backends import embedded

    monkeypatch.setattr(embedded, "PROBE_TIMEOUT_S", 1.0)
    original = EmbeddedStore._start_or_attach
    stopped: list[int] = []

    def start_and_stop(self, registry):
        client = original(self, registry)
        if len(stopped) < how_many:
            stopped.append(int(client.pid))
            os.kill(client.pid, signal.SIGSTOP)
        return client

    monkeypatch.setattr(EmbeddedStore, "_start_or_attach", start_and_stop)
    return stopped


def test_a_fresh_server_that_hangs_is_killed_and_started_again(tmp_path, monkeypatch):
    stopped = _stop_fresh_servers(monkeypatch, how_many=1)
    with open_store(str(tmp_path / "graph"), settings()) as store:
        assert len(stopped) == 1 and store.server_pid not in stopped
        wait_until_gone(stopped[0])
        store.write(WRITE_ONE_CYPHER, {"key": "one:1", "n": 1})
        assert store.read(COUNT_CYPHER).records() == [{"n": 1, "total": 1}]


def test_a_server_that_hangs_at_every_start_is_given_up_after_three(tmp_path, monkeypatch):
    stopped = _stop_fresh_servers(monkeypatch, how_many=99)
    with pytest.raises(StoreUnavailable) as info:
        open_store(str(tmp_path / "graph"), settings())
    assert "3 times in a row" in info.value.one_line()
    assert len(stopped) == 3
    for pid in stopped:
        wait_until_gone(pid)
    assert not (tmp_path / "graph" / REGISTRY_FILE).exists()


def test_a_store_attached_to_a_dead_server_also_quotes_its_log(tmp_path):
    path = str(tmp_path / "graph")
    with open_store(path, settings()) as first, open_store(path, settings()) as attached:
        kill_server(first)
        with pytest.raises(StoreUnavailable) as info:
            attached.ensure_schema()
        assert "server gone; log:" in info.value.message and "Ready to accept connections" in info.value.message


def test_each_schema_statement_waits_until_the_ones_before_are_built(tmp_path, monkeypatch):
    """FalkorDB 4.22 has crashed when a schema statement arrived while the last one was still building."""
    from mashgraph.graph.backends.falkordb import FalkorStore

    events: list[tuple[str, object]] = []
    pending = iter([["PENDING"], ["UNDER CONSTRUCTION"], ["UNDER CONSTRUCTION"]])
    real_status = FalkorStore._schema_status

    def status(self, cypher):
        real_status(self, cypher)
        result = next(pending, [])
        events.append(("status", list(result)))
        return result

    monkeypatch.setattr(FalkorStore, "_schema_status", status)
    with open_store(str(tmp_path / "graph"), settings()) as store:
        real_query = store._graph.query
        store._graph.query = lambda q, *a, **k: (events.append(("ddl", q)), real_query(q, *a, **k))[1]
        store.ensure_schema()
    ddl_at = [i for i, (kind, _) in enumerate(events) if kind == "ddl"]
    assert len(ddl_at) > 10 and events[0] == ("status", ["PENDING"])
    for i in ddl_at:  # every statement follows a status check that found nothing building
        last_status = next(e for e in reversed(events[:i]) if e[0] == "status")
        assert last_status == ("status", [])


def test_a_crashed_servers_log_is_kept_private_in_the_database_directory(tmp_path):
    from mashgraph.graph.backends.embedded import _forget

    run_dir, db_dir = tmp_path / "run", tmp_path / "graph"
    run_dir.mkdir()
    db_dir.mkdir()
    report = "=== REDIS BUG REPORT START ===\n12:M # Redis 8.10.2 crashed by signal: 11, si_code: 1\n"
    (run_dir / "redis.log").write_text(report)
    (run_dir / "redis.config").write_text("port 0\n")
    registry = db_dir / REGISTRY_FILE
    registry.write_text(json.dumps({"pidfile": str(run_dir / "redis.pid")}))
    _forget(registry)
    kept = list(db_dir.glob("server-crash-*.log"))
    assert len(kept) == 1 and kept[0].read_text() == report
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert not registry.exists() and not (run_dir / "redis.log").exists()


def _mashgraph(path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "mashgraph", "--db", str(path), *args],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_store_start_keeps_the_server_for_later_commands_until_store_stop(tmp_path):
    path = tmp_path / "graph"
    assert _mashgraph(path, "store", "status") == f"{path}: no server running"
    started = _mashgraph(path, "store", "start")
    pid = int(started.split("server pid ")[1].split()[0])
    try:
        assert running(pid)  # the command has ended; the server has not
        assert "kept running" in _mashgraph(path, "store", "status")
        _mashgraph(path, "schema", "apply")
        with open_store(str(path), settings()) as store:  # attaches: same server, nothing loaded again
            assert store.server_pid == pid
            store.write(WRITE_ONE_CYPHER, {"key": "a", "n": 1})
        assert running(pid)
        assert _mashgraph(path, "store", "stop") == f"{path}: server pid {pid} stopped"
        wait_until_gone(pid, timeout_s=1)
        assert _mashgraph(path, "store", "status") == f"{path}: no server running"
        with open_store(str(path), settings()) as store:  # the writes made while it was kept are there
            assert store.read(COUNT_CYPHER).value() == 1
    finally:
        if running(pid):
            os.kill(pid, signal.SIGKILL)


def test_store_stop_leaves_a_server_another_process_uses(tmp_path):
    path = tmp_path / "graph"
    with open_store(str(path), settings()) as user:
        _mashgraph(path, "store", "start")
        assert "still serves another process" in _mashgraph(path, "store", "stop")
        assert running(user.server_pid)
        pid = user.server_pid
    wait_until_gone(pid)  # the last user to close stopped it (no longer kept)


def test_store_start_on_a_server_store_says_it_is_not_ours(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mashgraph", "--db", "bolt://127.0.0.1:1", "store", "start"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "neo4j server: it runs on its own" in out.stderr
