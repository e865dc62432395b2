"""The ``GraphStore`` contract, and the helpers every backend shares.

The public methods here are concrete; each backend fills in a few hooks
(``_read``, ``_write``, ``_explain``, ``_apply_ddl``, ``_close``) and brings a
``Dialect`` for what differs between engines (DDL, full-text, explain). Callers
never branch on the backend: what a caller may need to know about where the
data lives (``local_dir``, ``server_pid``) or how to send a batch fast
(``encode_params``, ``write_encoded``) is part of the contract, with defaults
here. ``open_store`` (in :mod:`mashgraph.graph.backends`) picks the backend
from a table keyed by URL scheme.

>>> one_line("MATCH (n)\\n  RETURN n")
'MATCH (n) RETURN n'
>>> redact_url("redis://user:secret@db:6379")
'redis://user:***@db:6379'
"""

from __future__ import annotations

import itertools
import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from ..errors import ConfigError, QueryError, StoreUnavailable
from ..settings import Settings
from .concerns import ALL_CONCERNS
from .model import SCHEMA, SchemaSpec
from .types import Result

__all__ = ["Dialect", "GraphStore", "normalise_stats", "one_line", "redact_url", "known_fulltext", "key_batches",
           "SEED_CONCERNS_CYPHER", "WRITE_COUNTERS"]

SEED_CONCERNS_CYPHER = """
UNWIND $rows AS row
MERGE (c:Concern {key: row.key})
SET c.label = row.label, c.subject = row.subject
"""


class Dialect(ABC):
    """What differs between engines, in one place per backend."""

    name: str = ""
    upsert_by_merge: bool = False
    """Ingestion writes nodes with properties by ``MERGE ... SET n += ...`` (True) or by the
    create-or-update upsert of ``ingest/load.py`` (False: FalkorDB re-indexes every property a
    ``MERGE`` has just created)."""

    @abstractmethod
    def schema_statements(self, spec: SchemaSpec) -> list[str]:
        """DDL statements (unique keys, lookup indexes, full-text) for ``spec``; idempotent where the engine allows."""

    @abstractmethod
    def fulltext_search(self, label: str) -> str:
        """Cypher that searches the full-text index of ``label`` for ``$q`` and yields ``node, score``, limited to ``$limit``.

        Raises ``QueryError`` for a label without a full-text index (so no caller
        value ever becomes query text).
        """

    @abstractmethod
    def fulltext_query(self, text: str) -> str | None:
        """The engine's full-text query for what a user typed: every word required,
        punctuation never read as query syntax, a trailing ``*`` a prefix match.
        ``None`` when ``text`` holds no word."""


class GraphStore(ABC):
    """One graph database. Use as a context manager or call ``close()``.

    Every method takes portable Cypher (see DESIGN.md); parameters are always
    passed separately, never formatted into the text.
    """

    dialect: Dialect
    kind: str = ""
    """The backend's name, as ``mashgraph schema show`` and the docs give it."""
    schemes: tuple[str, ...] = ()
    """The URL schemes this backend serves (``""`` for a plain path)."""

    @classmethod
    def local_dir_for(cls, url: str) -> Path | None:
        """The directory on this machine that holds the graph's files for ``url``,
        or None when the graph lives in a server (the default)."""
        return None

    @classmethod
    def server_status(cls, url: str) -> str:
        """One line on the server this store runs on this machine, without starting it.
        A server store's server is not ours to watch (the default)."""
        return f"{redact_url(url)}: a {cls.kind} server; mashgraph neither starts nor stops it"

    @classmethod
    def keep_running(cls, url: str, settings: Settings, keep: bool) -> str:
        """Keep (``keep``) the local server of ``url`` running between commands, or stop keeping
        it and stop it; one line saying what happened. Only a store that starts its own server
        can; the default refuses."""
        raise ConfigError(f"{redact_url(url)} is a {cls.kind} server: it runs on its own, so there is no "
                          "server for mashgraph to start or stop",
                          hint="use `mashgraph store start` with an embedded store (a directory path)")

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.settings = settings
        self.closed = False

    # -- public contract -------------------------------------------------
    def read(self, cypher: str, params: Mapping[str, Any] | None = None,
             timeout: float | None = None) -> Result:
        """Run a read-only statement; the engine refuses writes (``ReadOnlyViolation``).

        ``timeout`` is in seconds (default ``settings.query_timeout_ms``); past it
        the engine stops the query and ``QueryTimeout`` is raised.
        """
        self._check_open()
        return self._read(cypher, dict(params or {}), self._timeout_ms(timeout))

    def write(self, cypher: str, params: Mapping[str, Any] | None = None) -> Result:
        """Run one write statement in its own transaction; it must be idempotent."""
        self._check_open()
        return self._write(cypher, dict(params or {}))

    def write_batches(self, cypher: str, rows: Iterable[Mapping[str, Any]],
                      batch_size: int | None = None) -> int:
        """Run ``cypher`` (which reads ``$rows``, usually ``UNWIND $rows AS row``) once per batch.

        Returns the number of rows sent. Each batch is its own transaction.
        """
        self._check_open()
        size = batch_size or self.settings.batch_size
        sent = 0
        for batch in _batched(rows, size):
            self._write(cypher, {"rows": batch})
            sent += len(batch)
        return sent

    def ensure_schema(self, spec: SchemaSpec = SCHEMA) -> list[str]:
        """Create unique keys, indexes and the full-text index, then seed ``Concern`` nodes.

        Safe to run any number of times. Returns the DDL statements applied.
        """
        self._check_open()
        statements = self.dialect.schema_statements(spec)
        for statement in statements:
            self._apply_ddl(statement)
        self._wait_for_schema()
        rows = [{"key": k, "label": label, "subject": subject}
                for k, (label, subject) in ALL_CONCERNS.items()]
        self.write_batches(SEED_CONCERNS_CYPHER, rows)
        return statements

    def schema(self) -> Result:
        """The indexes and constraints the engine reports (columns differ per engine)."""
        self._check_open()
        return self._show_schema()

    def explain(self, cypher: str, params: Mapping[str, Any] | None = None) -> str:
        """The engine's plan for ``cypher`` as text, without running it."""
        self._check_open()
        return self._explain(cypher, dict(params or {}))

    def search_names(self, text: str, label: str = "Record", limit: int = 25) -> Result:
        """Full-text search of names (``ensure_schema`` creates the index); rows of ``node, score``,
        best first. ``text`` is plain words, not query syntax; no words, no rows."""
        cypher = self.dialect.fulltext_search(label)
        query = self.dialect.fulltext_query(text)
        if query is None:
            return Result(["node", "score"], [])
        return self.read(cypher, {"q": query, "limit": int(limit)})

    @property
    def local_dir(self) -> Path | None:
        """The directory holding this graph's files, or None for a server (see ``local_dir_for``)."""
        return type(self).local_dir_for(self.url)

    @property
    def server_pid(self) -> int | None:
        """The id of a server process this store runs on this machine, or None (the default)."""
        return None

    def encode_params(self, params: Mapping[str, Any]) -> Any:
        """``params`` made ready to send, so a caller can do it on another thread than the
        one that sends (see ``write_encoded``). The default sends them as they are."""
        return dict(params)

    def write_encoded(self, cypher: str, encoded: Any) -> Result:
        """``write`` with parameters made by ``encode_params``."""
        self._check_open()
        return self._write(cypher, encoded)

    def close(self) -> None:
        """Release connections (and stop an embedded server this process started)."""
        self.closed = True
        self._close()

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- hooks -------------------------------------------------------------
    @abstractmethod
    def _read(self, cypher: str, params: dict[str, Any], timeout_ms: int) -> Result: ...

    @abstractmethod
    def _write(self, cypher: str, params: dict[str, Any]) -> Result: ...

    @abstractmethod
    def _explain(self, cypher: str, params: dict[str, Any]) -> str: ...

    @abstractmethod
    def _apply_ddl(self, statement: str) -> None: ...

    @abstractmethod
    def _wait_for_schema(self) -> None: ...

    @abstractmethod
    def _show_schema(self) -> Result: ...

    @abstractmethod
    def _close(self) -> None: ...

    # -- helpers -------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise StoreUnavailable(f"the graph store {self.url} is closed",
                                   hint="open it again (use `with open_store(...) as store:`)")

    def _timeout_ms(self, timeout: float | None) -> int:
        ms = self.settings.query_timeout_ms if timeout is None else int(timeout * 1000)
        return max(1, min(ms, self.settings.max_query_timeout_ms))


def key_batches(keys: list[str], size: int) -> Iterator[list[str]]:
    """``keys`` in lists of at most ``size``, for reads that take ``UNWIND $keys``."""
    for i in range(0, len(keys), size):
        yield keys[i:i + size]


def _batched(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := [dict(r) for r in itertools.islice(it, size)]:
        yield batch


# Write counters every backend reports under these names (only those above zero).
WRITE_COUNTERS = (
    "nodes_created", "nodes_deleted", "relationships_created", "relationships_deleted",
    "properties_set", "properties_removed", "labels_added", "labels_removed",
    "indexes_added", "indexes_removed", "constraints_added", "constraints_removed",
)
_COUNTER_ALIASES = {"indices_created": "indexes_added", "indices_deleted": "indexes_removed"}


def normalise_stats(raw: Mapping[str, Any]) -> dict[str, int]:
    """An engine's write counters under the names of ``WRITE_COUNTERS``, zeros left out.

    >>> normalise_stats({"Nodes_created": 2, "indices_created": 1, "cached_execution": 1, "labels_added": 0})
    {'nodes_created': 2, 'indexes_added': 1}
    """
    out: dict[str, int] = {}
    for name, value in raw.items():
        key = _COUNTER_ALIASES.get(name.lower(), name.lower())
        if key in WRITE_COUNTERS and value:
            out[key] = int(value)
    return out


def one_line(text: str, limit: int = 160) -> str:
    """``text`` with every run of whitespace (newlines too) as one space, cut at ``limit``."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def redact_url(url: str) -> str:
    """``url`` without a password (``redis://user:secret@host`` -> ``redis://user:***@host``)."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def known_fulltext(searches: dict[str, str], label: str) -> str:
    """The full-text search statement of ``label`` from a dialect's table, or ``QueryError``
    for a label without a full-text index (so no caller value ever becomes query text)."""
    try:
        return searches[label]
    except KeyError:
        raise QueryError(f"no full-text index on label {label!r}",
                         hint=f"search one of: {', '.join(sorted(searches))}") from None
