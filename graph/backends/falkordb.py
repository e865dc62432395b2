"""FalkorDB: the dialect and the store shared by the server and embedded backends.

FalkorDB-only statements are module constants ending in ``_FALKORDB``: they are
not Neo4j Cypher (``db.constraints()``, ``db.idx.fulltext.*``, ``id()``), so
the Neo4j linter, which collects constants ending in ``_CYPHER``, skips them.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import re
import time
from typing import Any, Mapping

from ...errors import QueryError, QueryTimeout, ReadOnlyViolation, SchemaError, StoreUnavailable
from ...settings import Settings
from ..model import FULLTEXT, SchemaSpec
from ..store import Dialect, GraphStore, known_fulltext, normalise_stats, one_line, redact_url
from ..types import Node, Path, Rel, Result

__all__ = ["FalkorDialect", "FalkorStore", "FalkorServerStore", "cypher_literal", "params_header"]

log = logging.getLogger(__name__)

_CONSTRAINT_PREFIX = "GRAPH.CONSTRAINT CREATE "

# Looked up only to name the ends of relationships whose nodes a result did not return.
KEYS_BY_ID_FALKORDB = "UNWIND $ids AS i MATCH (n) WHERE id(n) = i RETURN i, n.key"
# FalkorDB refuses GRAPH.RO_QUERY on a graph that does not exist yet ("empty
# key"); a GRAPH.QUERY of this creates the empty graph.
CREATE_GRAPH_FALKORDB = "RETURN 1"
CONSTRAINT_STATUS_FALKORDB = "CALL db.constraints() YIELD status RETURN status"
INDEX_STATUS_FALKORDB = "CALL db.indexes() YIELD status RETURN status"
SHOW_INDEXES_FALKORDB = (
    "CALL db.indexes() YIELD label, properties, types "
    "RETURN 'index' AS kind, label, properties, types")
SHOW_CONSTRAINTS_FALKORDB = (
    "CALL db.constraints() YIELD type, label, properties, status "
    "RETURN 'constraint' AS kind, label, properties, type + ':' + status AS types")
# One full-text search per indexed label, built here from the model (trusted
# constants), so no caller-supplied label ever reaches the query text.
FULLTEXT_SEARCH_FALKORDB: dict[str, str] = {
    label: (f"CALL db.idx.fulltext.queryNodes('{label}', $q) YIELD node, score "
            "RETURN node, score ORDER BY score DESC LIMIT $limit")
    for label in FULLTEXT
}

# RediSearch splits indexed text on punctuation, so a query is the words of the
# user's text (all required); a trailing * asks for a prefix match.
_WORD = re.compile(r"\w+\*?")


class FalkorDialect(Dialect):
    name = "falkordb"

    def schema_statements(self, spec: SchemaSpec) -> list[str]:
        out: list[str] = []
        for label in spec.labels:
            out.append(f"CREATE INDEX FOR (n:{label}) ON (n.key)")
            out.append(f"{_CONSTRAINT_PREFIX}UNIQUE NODE {label} PROPERTIES 1 key")
        for label, props in spec.indexed.items():
            for prop in props:
                out.append(f"CREATE INDEX FOR (n:{label}) ON (n.{prop})")
        for label, props in spec.fulltext.items():
            args = ", ".join(f"'{p}'" for p in props)
            out.append(f"CALL db.idx.fulltext.createNodeIndex('{label}', {args})")
        return out

    def fulltext_search(self, label: str) -> str:
        return known_fulltext(FULLTEXT_SEARCH_FALKORDB, label)

    def fulltext_query(self, text: str) -> str | None:
        words = [w for w in _WORD.findall(text) if len(w.rstrip("*")) >= (2 if w.endswith("*") else 1)]
        return " ".join(words) or None


_SYNTAX = re.compile(r"errMsg: (?P<msg>.*?) line: (?P<line>\d+), column: (?P<col>\d+)")


def _translate(err: Exception, cypher: str, params: dict[str, Any] | None = None) -> Exception:
    """A redis/FalkorDB exception as a mashgraph error with a one-line message."""
    import redis

    text = one_line(str(err), 400)
    query = one_line(cypher, 120)
    if isinstance(err, redis.BusyLoadingError):
        return StoreUnavailable("FalkorDB is still loading the graph from disk",
                                hint="wait until loading finishes (large graphs take a while), then retry")
    if isinstance(err, redis.TimeoutError):
        return StoreUnavailable(f"FalkorDB did not answer in time: {text}",
                                hint="the server is overloaded or hung; check it and retry")
    if isinstance(err, redis.ConnectionError):
        return StoreUnavailable(f"FalkorDB is not reachable: {text}",
                                hint="check that the store is running and MASHGRAPH_DB is right")
    if "executed only on read-only queries" in text or "read-only" in text.lower():
        return ReadOnlyViolation(f"refused: a read-only query tried to write ({query})",
                                 hint="use a MATCH ... RETURN statement; writes go through ingest")
    if "timed out" in text.lower():
        return QueryTimeout(f"query timed out: {query}",
                            hint="narrow the query (parameters, LIMIT) or raise its timeout")
    bad = _unsupported_param(params or {})
    if bad:
        name, kind = bad
        return QueryError(f"query parameter ${name} is a {kind}, which FalkorDB cannot take as a parameter",
                          hint="pass dates as ISO strings and convert in Cypher with date($x); "
                               "pass only str, int, float, bool, None, lists and maps")
    syntax = _SYNTAX.search(text)
    if syntax:
        return QueryError(f"Cypher syntax error at line {syntax['line']}, column {syntax['col']}: "
                          f"{syntax['msg']} (in: {query})",
                          hint="fix the statement; see the Cypher manual")
    return QueryError(f"query failed: {text} (in: {query})", hint="check the Cypher and its parameters")


def _unsupported_param(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first parameter (as ``name.sub[0]``) whose type FalkorDB cannot take, if any."""
    if isinstance(value, dict):
        for k, v in value.items():
            found = _unsupported_param(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _unsupported_param(v, f"{path}[{i}]")
            if found:
                return found
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return None
    kind = "date" if isinstance(value, (datetime.date, datetime.datetime)) else type(value).__name__
    return path, kind


# -- parameters ----------------------------------------------------------------
#
# FalkorDB takes parameters as Cypher text before the query: ``CYPHER a=1 b="x" MATCH ...``.
# falkordb-py builds that text with a recursive Python function, which cost an
# ingestion run about a fifth of its write time. Here the C JSON encoder does the
# work: JSON text is Cypher text for null, true, false, numbers, lists, and
# strings (FalkorDB reads the escapes \" \\ \n \r \t \b \f as JSON does), and
# only map keys differ (JSON "key":, Cypher `key`:). Anything the fast path
# cannot prove right goes to ``_literal``, the exact, slower encoder, which
# writes it correctly or raises QueryError naming the parameter:
#   - a \uXXXX escape (JSON's form of control characters, which FalkorDB would
#     keep as six characters); ``_literal`` writes those characters as they are;
#   - a map key with an escape or a backtick;
#   - a run of 19+ digits, which may be an integer outside 64 bits (FalkorDB
#     silently clips those); NaN and infinities; dates and other types.
# The checks run on the UTF-8 bytes: a multi-byte character never contains an
# ASCII byte, so they cannot be fooled by non-ASCII text.

# Map keys end in this separator, so a key can be told from a string value; a
# NUL is otherwise never in JSON text (JSON writes it as \u0000).
_KEY_END = b'"\x00:'
_json_text = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False,
                              separators=(",", "\x00:")).encode
# A key's opening quote follows "{" or ","; a quote inside a string is always
# escaped (\"), so the look-behind never matches inside one.
_JSON_KEY = re.compile(rb'(?<=[{,])"([^"\\`\x00-\x1f]+)"\x00:')
_DIGITS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))  # digits -> "0", the rest -> " "
_LONG_RUN = b"0" * 19
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def cypher_literal(value: Any, name: str = "value") -> str:
    """``value`` (None, bool, int, float, str, list/tuple, dict with text keys) as FalkorDB Cypher text.

    Raises QueryError (naming ``name`` and the place inside it) for a value FalkorDB cannot take.
    """
    return _param_bytes(value, name).decode("utf-8")


def params_header(params: dict[str, Any] | None) -> bytes:
    """The ``CYPHER name=value ...`` prefix for ``params`` (UTF-8; empty when there are none)."""
    if not params:
        return b""
    parts = []
    for name, value in params.items():
        if not isinstance(name, str) or _PARAM_NAME.match(name) is None:
            raise QueryError(f"query parameter name {name!r} is not a plain name",
                             hint="use letters, digits and _ (not starting with a digit)")
        parts.append(name.encode("ascii") + b"=" + _param_bytes(value, name))
    return b"CYPHER " + b" ".join(parts) + b" "


def _param_bytes(value: Any, name: str) -> bytes:
    try:
        raw = _json_text(value).encode("utf-8")
    except (TypeError, ValueError, RecursionError):  # a date, NaN, a lone surrogate, a cycle...
        return _exact(value, name)
    if b"\\u" in raw:
        return _exact(value, name)
    if _KEY_END in raw:
        keys = raw.count(_KEY_END)
        if b"\\" not in raw and b"`" not in raw and raw.count(b'{"') + raw.count(b',"') == keys:
            # Every '{"' and ',"' opens a key (no string follows a comma in a list, and
            # no string holds an escaped quote): plain replacements are exact.
            raw = raw.replace(b'{"', b"{`").replace(b',"', b",`").replace(_KEY_END, b"`:")
        else:
            raw = _JSON_KEY.sub(rb"`\1`:", raw)
            if b"\x00" in raw:  # a key with an escape or a backtick
                return _exact(value, name)
    if _LONG_RUN in raw.translate(_DIGITS):
        return _exact(value, name)
    return raw


def _exact(value: Any, name: str) -> bytes:
    text = _literal(value, name)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(f"query parameter ${name} holds text that is not valid Unicode (a lone surrogate)",
                         hint="decode the source with the right encoding") from None


def _literal(v: Any, path: str) -> str:
    """The exact (slow) encoder: the text FalkorDB parses back into ``v``, or QueryError."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        if "\x00" in v:
            raise QueryError(f"query parameter ${path} contains a NUL character, which FalkorDB cannot take",
                             hint="remove NUL characters (\\x00) from the value")
        # Only the backslash and the quote need escaping: FalkorDB reads every
        # other character (newlines, tabs, other control characters) as it is.
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, int) and not isinstance(v, bool):
        if not _INT_MIN <= v <= _INT_MAX:
            raise QueryError(f"query parameter ${path} is an integer outside 64 bits ({v}), "
                             "which FalkorDB would silently clip", hint="pass it as text")
        return int.__repr__(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise QueryError(f"query parameter ${path} is {v}, which FalkorDB cannot take",
                             hint="pass null for a missing number")
        return float.__repr__(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_literal(x, f"{path}[{i}]") for i, x in enumerate(v)) + "]"
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            key = _map_key(k, path)
            parts.append(f"`{key}`:{_literal(x, f'{path}.{key}')}")
        return "{" + ",".join(parts) + "}"
    kind = "date" if isinstance(v, (datetime.date, datetime.datetime)) else type(v).__name__
    raise QueryError(f"query parameter ${path} is a {kind}, which FalkorDB cannot take as a parameter",
                     hint="pass dates as ISO strings and convert in Cypher with date($x); "
                          "pass only str, int, float, bool, None, lists and maps")


def _map_key(k: Any, path: str) -> str:
    """A map key as JSON names it (text as is; numbers, booleans and None as their JSON text)."""
    if isinstance(k, str):
        key = k
    elif k is None or isinstance(k, (bool, int, float)):
        key = json.dumps(k)
    else:
        raise QueryError(f"query parameter ${path} has a map key of type {type(k).__name__}",
                         hint="map keys must be text")
    if "`" in key or "\x00" in key:
        raise QueryError(f"query parameter ${path} has the map key {key!r}, which FalkorDB cannot take",
                         hint="map keys must contain no backtick or NUL character")
    return key


class FalkorStore(GraphStore):
    """A FalkorDB graph reached through a redis connection (``self._db``, ``self._graph``)."""

    dialect = FalkorDialect()

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        self._db: Any = None
        self._graph: Any = None

    def _socket_timeout_s(self) -> float:
        """Client-side wait for an answer: longer than any query may run (redis-py's default is 5 s)."""
        return self.settings.max_query_timeout_ms / 1000 + 30

    def _configure_timeouts(self, *, required: bool) -> None:
        """Set TIMEOUT_MAX and TIMEOUT_DEFAULT, which FalkorDB does not persist, on every open.

        A managed server may forbid ``GRAPH.CONFIG SET``; then (``required=False``)
        per-query timeouts still apply and a warning is logged.
        """
        max_ms = self.settings.max_query_timeout_ms
        default_ms = min(self.settings.query_timeout_ms, max_ms)
        for name, value in (("TIMEOUT_MAX", max_ms), ("TIMEOUT_DEFAULT", default_ms)):
            try:
                self._db.execute_command("GRAPH.CONFIG", "SET", name, value)
            except Exception as err:
                if required:
                    raise StoreUnavailable(f"cannot set FalkorDB {name}: {one_line(str(err))}",
                                           hint="the FalkorDB module is too old or missing") from err
                log.warning("FalkorDB refused GRAPH.CONFIG SET %s (%s); per-query timeouts still apply",
                            name, one_line(str(err)))

    def _ensure_graph(self) -> None:
        """Create the (empty) graph if it does not exist, so reads of a new store work."""
        try:
            if not self._db.execute_command("EXISTS", self._graph.name):
                self._graph.query(CREATE_GRAPH_FALKORDB)
        except Exception as err:
            raise self._failure(err, CREATE_GRAPH_FALKORDB) from err

    # -- hooks ---------------------------------------------------------------
    def _read(self, cypher: str, params: dict[str, Any], timeout_ms: int) -> Result:
        return self._query("GRAPH.RO_QUERY", cypher, params, timeout_ms)

    def _write(self, cypher: str, params: dict[str, Any]) -> Result:
        return self._query("GRAPH.QUERY", cypher, params, self.settings.max_query_timeout_ms)

    # -- pre-encoded writes (ingestion encodes on its reading thread, writes on another) --------
    def encode_params(self, params: Mapping[str, Any]) -> Any:
        """``params`` as the ``CYPHER ...`` prefix (bytes) :meth:`write_encoded` takes (QueryError if unsendable)."""
        return params_header(dict(params))

    def write_encoded(self, cypher: str, encoded: Any) -> Result:
        """:meth:`write` with parameters already encoded by :meth:`encode_params`."""
        self._check_open()
        return self._send("GRAPH.QUERY", cypher, encoded, {}, self.settings.max_query_timeout_ms)

    def _query(self, command: str, cypher: str, params: dict[str, Any], timeout_ms: int) -> Result:
        """Send ``command`` (GRAPH.QUERY or GRAPH.RO_QUERY) with the parameters as a ``CYPHER`` prefix."""
        header = params_header(params)  # QueryError for a value FalkorDB cannot take
        return self._send(command, cypher, header, params, timeout_ms)

    def _send(self, command: str, cypher: str, header: bytes, params: dict[str, Any], timeout_ms: int) -> Result:
        from falkordb.exceptions import SchemaVersionMismatchException
        from falkordb.query_result import QueryResult

        text = header + cypher.encode("utf-8")
        graph = self._graph
        try:
            try:
                response = graph.execute_command(command, graph.name, text, "--compact", "timeout", int(timeout_ms))
                res = QueryResult(graph, response)
            except SchemaVersionMismatchException as err:
                graph.schema.refresh(err.version)  # as falkordb-py does: the next query sees the new schema
                raise
            return self._result(res)
        except Exception as err:
            raise self._failure(err, cypher, params) from err

    def _explain_unavailable(self, err: StoreUnavailable) -> StoreUnavailable:
        """Add what the backend knows about why the server went away (the embedded one reads its log)."""
        return err

    def _failure(self, err: Exception, cypher: str, params: dict[str, Any] | None = None) -> Exception:
        """``err`` as a mashgraph error; a lost server says what the backend knows of why."""
        translated = _translate(err, cypher, params)
        if isinstance(translated, StoreUnavailable):
            translated = self._explain_unavailable(translated)
        return translated

    def _explain(self, cypher: str, params: dict[str, Any]) -> str:
        # GRAPH.EXPLAIN plans without running; never send an EXPLAIN prefix to FalkorDB.
        try:
            plan = self._graph.explain(cypher, params)
        except Exception as err:
            raise self._failure(err, cypher, params) from err
        return str(plan)

    def _apply_ddl(self, statement: str) -> None:
        # FalkorDB builds an index or constraint on a background thread. Sending
        # the next statement while that thread works has crashed FalkorDB 4.22.1
        # here (SIGSEGV in a FalkorDB background thread while the next statement
        # was parsed; 2 crashes in 36,000 fresh schemas, 0 in 36,000 with this
        # wait; docs/stores.md), so each statement waits until the ones before
        # it are built.
        self._wait_for_schema()
        try:
            if statement.startswith(_CONSTRAINT_PREFIX):
                args = statement.removeprefix(_CONSTRAINT_PREFIX).split()
                self._db.execute_command("GRAPH.CONSTRAINT", "CREATE", self._graph.name, *args)
            else:
                self._graph.query(statement)
        except Exception as err:
            text = str(err).lower()
            if "already indexed" in text or "already exists" in text:
                return  # applying the schema twice is harmless
            translated = self._failure(err, statement)
            if isinstance(translated, StoreUnavailable):
                raise translated from err
            raise SchemaError(f"schema statement failed: {statement}: {one_line(str(err))}",
                              hint="check the store version (FalkorDB >= 4.2 is needed)") from err

    def _wait_for_schema(self) -> None:
        # Indexes and unique constraints build in the background; callers rely on
        # both at once (a key look-up planned before its index is ready scans).
        deadline = time.monotonic() + self.settings.max_query_timeout_ms / 1000
        pause = 0.001  # an empty graph's index is ready in about a millisecond; a big one takes minutes
        while True:
            pending = self._schema_status(CONSTRAINT_STATUS_FALKORDB)
            if "FAILED" in pending:
                raise SchemaError("a unique constraint failed to build: duplicate keys exist",
                                  hint="run `mashgraph schema show` and remove the duplicates")
            pending += self._schema_status(INDEX_STATUS_FALKORDB)
            if not pending:
                return
            if time.monotonic() > deadline:
                raise SchemaError("indexes or constraints still building after the longest query timeout",
                                  hint="run `mashgraph schema apply` again later")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _schema_status(self, cypher: str) -> list[str]:
        """The statuses ``cypher`` lists that are not OPERATIONAL yet."""
        try:
            res = self._graph.ro_query(cypher)
        except Exception as err:
            raise self._failure(err, cypher) from err
        return [r[0] for r in res.result_set if r[0] != "OPERATIONAL"]

    def _show_schema(self) -> Result:
        try:
            idx = self._graph.ro_query(SHOW_INDEXES_FALKORDB)
            con = self._graph.ro_query(SHOW_CONSTRAINTS_FALKORDB)
        except Exception as err:
            raise self._failure(err, SHOW_INDEXES_FALKORDB) from err
        rows = [list(r) for r in idx.result_set] + [list(r) for r in con.result_set]
        return Result(["kind", "label", "properties", "types"],
                      [[_plain_maps(v) for v in row] for row in rows])

    def _close(self) -> None:
        self._graph = None
        if self._db is not None:
            try:
                self._db.connection.close()
            except Exception:  # closing a dead connection is not an error
                pass
        self._db = None

    # -- values ----------------------------------------------------------------
    def _result(self, res: Any) -> Result:
        columns = [h[1] for h in (res.header or [])]
        keys: dict[int, Any] = {}
        missing: set[int] = set()
        rows = [[self._value(v, keys, missing) for v in row] for row in (res.result_set or [])]
        if missing - keys.keys():
            lookup = self._graph.ro_query(KEYS_BY_ID_FALKORDB, {"ids": sorted(missing - keys.keys())})
            keys.update({i: k for i, k in lookup.result_set})
        if missing:
            rows = [[_fill_rel_keys(v, keys) for v in row] for row in rows]
        return Result(columns, rows, _stats(getattr(res, "_raw_stats", None) or []))

    def _value(self, v: Any, keys: dict[int, Any], missing: set[int]) -> Any:
        from falkordb.edge import Edge
        from falkordb.node import Node as FNode
        from falkordb.path import Path as FPath

        if isinstance(v, FNode):
            props = {k: self._value(x, keys, missing) for k, x in v.properties.items()}
            keys[v.id] = props.get("key")
            return Node(props.get("key"), tuple(sorted(v.labels or ())), props)
        if isinstance(v, Edge):
            missing.update((v.src_node, v.dest_node))
            props = {k: self._value(x, keys, missing) for k, x in v.properties.items()}
            return _PendingRel(v.relation, v.src_node, v.dest_node, props)
        if isinstance(v, FPath):
            nodes = tuple(self._value(n, keys, missing) for n in v.nodes())
            rels = tuple(self._value(e, keys, missing) for e in v.edges())
            return Path(nodes, rels)  # type: ignore[arg-type]
        if isinstance(v, list):
            return [self._value(x, keys, missing) for x in v]
        if isinstance(v, dict):
            return {k: self._value(x, keys, missing) for k, x in v.items()}
        return v


def _plain_maps(v: Any) -> Any:
    """OrderedDicts (as db.indexes() returns) as plain dicts."""
    if isinstance(v, dict):
        return {k: _plain_maps(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain_maps(x) for x in v]
    return v


def _stats(raw: list[str]) -> dict[str, int]:
    """FalkorDB's counter lines ("Nodes created: 3") as ``{"nodes_created": 3}``."""
    out: dict[str, int] = {}
    for line in raw:
        name, _, value = str(line).partition(": ")
        if not value:
            continue
        try:
            out[name.strip().lower().replace(" ", "_")] = int(float(value.split()[0]))
        except ValueError:
            continue
    return normalise_stats(out)


class _PendingRel:
    """An edge whose end keys are known only once the whole result is read."""

    __slots__ = ("type", "src", "dst", "props")

    def __init__(self, type_: str, src: int, dst: int, props: dict[str, Any]) -> None:
        self.type, self.src, self.dst, self.props = type_, src, dst, props


def _fill_rel_keys(v: Any, keys: dict[int, Any]) -> Any:
    if isinstance(v, _PendingRel):
        return Rel(v.type, keys.get(v.src), keys.get(v.dst), v.props)
    if isinstance(v, Path):
        return Path(v.nodes, tuple(_fill_rel_keys(r, keys) for r in v.rels))
    if isinstance(v, list):
        return [_fill_rel_keys(x, keys) for x in v]
    if isinstance(v, dict):
        return {k: _fill_rel_keys(x, keys) for k, x in v.items()}
    return v


class FalkorServerStore(FalkorStore):
    """A FalkorDB server at ``redis://`` or ``falkor://`` (``rediss://``/``falkors://`` for TLS)."""

    kind = "falkordb-server"
    schemes = ("redis", "rediss", "falkor", "falkors")

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        import redis
        from falkordb import FalkorDB
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        redis_url = url.replace("falkors://", "rediss://", 1).replace("falkor://", "redis://", 1)
        try:
            self._db = FalkorDB.from_url(
                redis_url, socket_timeout=self._socket_timeout_s(), socket_connect_timeout=10,
                # Retry a dropped connection (writes are idempotent), never a timeout.
                retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), 3, supported_errors=(redis.ConnectionError,)))
            self._db.connection.ping()
        except Exception as err:
            raise StoreUnavailable(f"cannot reach FalkorDB at {redact_url(url)}: {one_line(str(err))}",
                                   hint="start the server or fix MASHGRAPH_DB") from err
        self._graph = self._db.select_graph(settings.graph_name)
        self._configure_timeouts(required=False)
        self._ensure_graph()
