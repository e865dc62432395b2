"""Neo4j 5 through the official ``neo4j`` driver (``bolt://``, ``neo4j://``, ``neo4j+s://``, ...).

Every call is a managed transaction (``execute_read`` / ``execute_write``), so
the driver retries transient failures and every statement must be idempotent.
Reads are read-only twice over: the transaction runs in READ access mode, and
an ``EXPLAIN`` of the statement must report query type ``r`` before it runs.

Timeouts: the driver takes a transaction timeout only through
``neo4j.unit_of_work(timeout=...)`` on the transaction function
(``neo4j.Query(text, timeout=...)`` works for auto-commit ``session.run``
only), so each call wraps its function with the timeout it needs.

Statements this module sends are ``*_CYPHER`` constants or come from the
dialect (``schema_statements``, ``fulltext_search``); ``graph/lint.py`` checks
all of them as Neo4j Cypher 5.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable

from ...errors import (ConfigError, QueryError, QueryTimeout, ReadOnlyViolation, SchemaError,
                       StoreUnavailable)
from ...settings import Settings
from ..model import FULLTEXT, SchemaSpec
from ..store import WRITE_COUNTERS, Dialect, GraphStore, known_fulltext, normalise_stats, one_line, redact_url
from ..types import Node, Path, Rel, Result

__all__ = ["Neo4jDialect", "Neo4jStore"]

# Names the ends of relationships whose nodes a result did not return (same transaction).
KEYS_BY_ELEMENT_ID_CYPHER = "UNWIND $ids AS i MATCH (n) WHERE elementId(n) = i RETURN i, n.key AS key"
AWAIT_INDEXES_CYPHER = "CALL db.awaitIndexes($seconds)"
FAILED_INDEXES_CYPHER = "SHOW INDEXES YIELD name, state WHERE state = 'FAILED' RETURN name"
SHOW_INDEXES_CYPHER = (
    "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state "
    "RETURN 'index' AS kind, labelsOrTypes AS labels, properties, type + ':' + state AS types")
SHOW_CONSTRAINTS_CYPHER = (
    "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
    "RETURN 'constraint' AS kind, labelsOrTypes AS labels, properties, type AS types")

_EXPLAIN = "EXPLAIN "

# The driver logs a failed connection at WARNING; with no logging configured, Python's
# last-resort handler printed it raw above our one-line error. The error reaches the user
# through _translate; an application that configures logging still sees the driver's records.
logging.getLogger("neo4j").addHandler(logging.NullHandler())


def _snake(label: str) -> str:
    """``IngestRun`` -> ``ingest_run`` (index and constraint names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", label).lower()


def fulltext_index_name(label: str) -> str:
    return f"{_snake(label)}_fulltext"


# Built here from the model (trusted constants), never from a caller's label.
FULLTEXT_SEARCH_NEO4J: dict[str, str] = {
    label: (f"CALL db.index.fulltext.queryNodes('{fulltext_index_name(label)}', $q) YIELD node, score "
            "RETURN node, score ORDER BY score DESC LIMIT $limit")
    for label in FULLTEXT
}

# A word as Lucene's standard tokenizer sees it: hyphens split, an apostrophe
# inside a word (O'Brien) does not; only word characters, so never query syntax.
_NEO4J_WORD = re.compile(r"\w+(?:'\w+)*\*?")


class Neo4jDialect(Dialect):
    name = "neo4j"
    # The upsert's OPTIONAL MATCH and two FOREACH clauses plan with two Eager barriers on Neo4j;
    # MERGE on the unique key does not (docs/benchmarks.md, Neo4j side by side).
    upsert_by_merge = True

    def schema_statements(self, spec: SchemaSpec) -> list[str]:
        out = [f"CREATE CONSTRAINT {_snake(label)}_key IF NOT EXISTS "
               f"FOR (n:{label}) REQUIRE n.key IS UNIQUE" for label in spec.labels]
        for label, props in spec.indexed.items():
            out += [f"CREATE INDEX {_snake(label)}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
                    for prop in props]
        for label, props in spec.fulltext.items():
            each = ", ".join(f"n.{p}" for p in props)
            out.append(f"CREATE FULLTEXT INDEX {fulltext_index_name(label)} IF NOT EXISTS "
                       f"FOR (n:{label}) ON EACH [{each}]")
        return out

    def fulltext_search(self, label: str) -> str:
        return known_fulltext(FULLTEXT_SEARCH_NEO4J, label)

    def fulltext_query(self, text: str) -> str | None:
        terms = []
        for word in _NEO4J_WORD.findall(text):
            stem = word.rstrip("*")
            prefix = word.endswith("*")
            if prefix and len(stem) < 2:
                continue  # a one-letter prefix matches nearly everything (FalkorDB refuses it too)
            # Wildcard terms skip the analyzer, so lower-case here (this also
            # keeps a name like "Or" from reading as an operator).
            terms.append(stem.lower() + ("*" if prefix else ""))
        return " AND ".join(terms) or None


def _translate(err: Exception, cypher: str, url: str = "") -> Exception:
    """A neo4j driver exception as a mashgraph error with a one-line message."""
    from neo4j import exceptions as ex

    if isinstance(err, (QueryError, StoreUnavailable)):
        return err
    query = one_line(cypher, 120)
    where = f" at {redact_url(url)}" if url else ""
    if isinstance(err, ex.AuthError):
        return StoreUnavailable(f"Neo4j{where} refused the user name or password",
                                hint="set MASHGRAPH_NEO4J_USER and MASHGRAPH_NEO4J_PASSWORD")
    if isinstance(err, (ex.ServiceUnavailable, ex.SessionExpired)):
        return StoreUnavailable(f"Neo4j{where} is not reachable: {one_line(str(err))}",
                                hint="check that Neo4j is running and MASHGRAPH_DB is right")
    if isinstance(err, (ex.ConfigurationError, ValueError)) and not isinstance(err, ex.Neo4jError):
        return ConfigError(f"bad Neo4j URL or driver setting {redact_url(url)!r}: {one_line(str(err))}",
                           hint="use bolt://host:7687, neo4j://host:7687 or neo4j+s://host")
    if isinstance(err, ex.Neo4jError):
        code = err.code or ""
        first = one_line((err.message or str(err)).splitlines()[0] if (err.message or str(err)) else code)
        if code == "Neo.ClientError.Database.DatabaseNotFound":
            return StoreUnavailable(f"Neo4j has no database of that name: {first}",
                                    hint="set MASHGRAPH_NEO4J_DATABASE to an existing database")
        if (code.endswith((".AccessMode", ".ForbiddenOnReadOnlyDatabase", ".General.ReadOnly"))
                or "access mode" in first.lower()):
            return ReadOnlyViolation(f"refused: a read-only query tried to write ({query})",
                                     hint="use a MATCH ... RETURN statement; writes go through ingest")
        if "TransactionTimedOut" in code or (code.endswith(".Terminated") and "timeout" in first.lower()):
            return QueryTimeout(f"query timed out: {query}",
                                hint="narrow the query (parameters, LIMIT) or raise its timeout")
        if isinstance(err, ex.CypherSyntaxError):
            return QueryError(f"Cypher syntax error: {first} (in: {query})",
                              hint="fix the statement; see the Cypher manual")
        if isinstance(err, ex.ConstraintError):
            return QueryError(f"a unique key or other constraint was violated: {first}",
                              hint="MERGE on the key instead of CREATE, or remove the duplicate")
        return QueryError(f"query failed ({code}): {first} (in: {query})",
                          hint="check the Cypher and its parameters")
    if isinstance(err, ex.DriverError):
        return QueryError(f"query failed: {one_line(str(err))} (in: {query})",
                          hint="check the Cypher and its parameters")
    return err


class Neo4jStore(GraphStore):
    """A Neo4j 5 database (``settings.neo4j_database``) reached with the official driver."""

    dialect = Neo4jDialect()
    kind = "neo4j"
    schemes = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        import neo4j

        self._neo4j = neo4j
        self._database = settings.neo4j_database
        self._driver: Any = None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                url, auth=(settings.neo4j_user, settings.neo4j_password),
                user_agent="mashgraph", connection_timeout=15.0,
                # The server's notifications (e.g. "property key not in the database" for
                # every query on a fresh graph) came back with each result and the driver
                # logged each as a WARNING; nothing here acts on them.
                notifications_min_severity="OFF")
            self._driver.verify_connectivity()
        except Exception as err:
            self._close()
            raise _translate(err, "", url) from err
        # Read-your-writes across the sessions of this store, also on a cluster.
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()

    # -- plumbing --------------------------------------------------------------
    def _run(self, mode: str, work: Callable[..., Any], timeout_s: float, cypher: str,
             *args: Any) -> Any:
        """Run ``work(tx, *args)`` as a managed transaction with a server-side timeout."""
        if self._driver is None:
            raise StoreUnavailable("this Neo4j store is closed", hint="open the store again")
        fn = self._neo4j.unit_of_work(timeout=timeout_s)(work)
        try:
            with self._driver.session(database=self._database,
                                      bookmark_manager=self._bookmarks) as session:
                execute = session.execute_read if mode == "r" else session.execute_write
                return execute(fn, *args)
        except Exception as err:
            raise _translate(err, cypher, self.url) from err

    def _max_timeout_s(self) -> float:
        return self.settings.max_query_timeout_ms / 1000

    # -- hooks ---------------------------------------------------------------
    def _read(self, cypher: str, params: dict[str, Any], timeout_ms: int) -> Result:
        def work(tx: Any) -> Result:
            planned = tx.run(_EXPLAIN + cypher, params).consume()
            if planned.query_type != "r":
                raise ReadOnlyViolation(
                    f"refused: a read-only query would write (query type {planned.query_type!r}): "
                    f"{one_line(cypher, 120)}",
                    hint="use a MATCH ... RETURN statement; writes go through ingest")
            return self._collect(tx, tx.run(cypher, params))
        return self._run("r", work, timeout_ms / 1000, cypher)

    def _write(self, cypher: str, params: dict[str, Any]) -> Result:
        return self._run("w", lambda tx: self._collect(tx, tx.run(cypher, params)),
                         self._max_timeout_s(), cypher)

    def _explain(self, cypher: str, params: dict[str, Any]) -> str:
        plan = self._run("r", lambda tx: tx.run(_EXPLAIN + cypher, params).consume().plan,
                         self._max_timeout_s(), cypher)
        return _plan_text(plan or {})

    def _apply_ddl(self, statement: str) -> None:
        try:
            self._run("w", lambda tx: tx.run(statement).consume(), self._max_timeout_s(), statement)
        except QueryError as err:
            if "equivalent" in err.message.lower() and "already exists" in err.message.lower():
                return  # the same index under another name: applying twice is harmless
            raise SchemaError(f"schema statement failed: {statement}: {err.message}",
                              hint="check the Neo4j version (5.x) and that no duplicate keys exist") from err

    def _wait_for_schema(self) -> None:
        seconds = int(self._max_timeout_s())
        self._run("r", lambda tx: tx.run(AWAIT_INDEXES_CYPHER, seconds=seconds).consume(),
                  seconds + 30, AWAIT_INDEXES_CYPHER)
        failed = self._run("r", lambda tx: [r["name"] for r in tx.run(FAILED_INDEXES_CYPHER)],
                           self._max_timeout_s(), FAILED_INDEXES_CYPHER)
        if failed:
            raise SchemaError(f"indexes failed to build: {', '.join(failed)}",
                              hint="run `mashgraph schema show`; a unique key fails when duplicates exist")

    def _show_schema(self) -> Result:
        def work(tx: Any) -> list[list[Any]]:
            rows = []
            for statement in (SHOW_INDEXES_CYPHER, SHOW_CONSTRAINTS_CYPHER):
                for r in tx.run(statement):
                    labels = r["labels"] or []
                    rows.append([r["kind"], labels[0] if len(labels) == 1 else labels,
                                 list(r["properties"] or []), r["types"]])
            return rows
        return Result(["kind", "label", "properties", "types"],
                      self._run("r", work, self._max_timeout_s(), SHOW_INDEXES_CYPHER))

    def _close(self) -> None:
        driver, self._driver = getattr(self, "_driver", None), None
        if driver is not None:
            driver.close()

    # -- values ----------------------------------------------------------------
    def _collect(self, tx: Any, result: Any) -> Result:
        """Every record of ``result`` as plain values (inside the transaction: records die with it)."""
        records = list(result)  # fetch all first: a node is complete once the whole result is read
        columns = list(result.keys())
        summary = result.consume()
        missing: set[str] = set()
        rows = [[self._value(v, missing) for v in rec.values()] for rec in records]
        if missing:
            keys = {r["i"]: r["key"] for r in tx.run(KEYS_BY_ELEMENT_ID_CYPHER, ids=sorted(missing))}
            rows = [[_fill_rel_keys(v, keys) for v in row] for row in rows]
        counters = {name: getattr(summary.counters, name, 0) for name in WRITE_COUNTERS}
        return Result(columns, rows, normalise_stats(counters))

    def _value(self, v: Any, missing: set[str]) -> Any:
        from neo4j import graph, time

        if isinstance(v, graph.Node):
            return _node(v, self._value, missing)
        if isinstance(v, graph.Relationship):
            ends = []
            for end in (v.start_node, v.end_node):
                if end is not None and (end.labels or len(end)):
                    ends.append(end.get("key"))
                else:
                    ends.append(_PendingKey(end.element_id if end is not None else ""))
                    missing.add(ends[-1].element_id)
            props = {k: self._value(x, missing) for k, x in v.items()}
            return Rel(v.type, ends[0], ends[1], props)  # type: ignore[arg-type]
        if isinstance(v, graph.Path):
            return Path(tuple(self._value(n, missing) for n in v.nodes),
                        tuple(self._value(r, missing) for r in v.relationships))
        if isinstance(v, list):
            return [self._value(x, missing) for x in v]
        if isinstance(v, dict):
            return {k: self._value(x, missing) for k, x in v.items()}
        if isinstance(v, (time.Date, time.DateTime, time.Time)):
            return v.to_native()
        if isinstance(v, time.Duration):
            return v.iso_format()
        return v


def _node(v: Any, convert: Callable[[Any, set[str]], Any], missing: set[str]) -> Node:
    props = {k: convert(x, missing) for k, x in v.items()}
    return Node(props.get("key"), tuple(sorted(v.labels)), props)


class _PendingKey:
    """The end of a relationship whose node was not in the result: looked up by element id."""

    __slots__ = ("element_id",)

    def __init__(self, element_id: str) -> None:
        self.element_id = element_id


def _fill_rel_keys(v: Any, keys: dict[str, Any]) -> Any:
    if isinstance(v, Rel) and (isinstance(v.start_key, _PendingKey) or isinstance(v.end_key, _PendingKey)):
        def key(k: Any) -> Any:
            return keys.get(k.element_id) if isinstance(k, _PendingKey) else k
        return Rel(v.type, key(v.start_key), key(v.end_key), v.props)
    if isinstance(v, Path):
        return Path(v.nodes, tuple(_fill_rel_keys(r, keys) for r in v.rels))
    if isinstance(v, list):
        return [_fill_rel_keys(x, keys) for x in v]
    if isinstance(v, dict):
        return {k: _fill_rel_keys(x, keys) for k, x in v.items()}
    return v


def _plan_text(plan: dict[str, Any], depth: int = 0) -> str:
    """An EXPLAIN plan as an indented operator tree, like FalkorDB's GRAPH.EXPLAIN."""
    if not plan:
        return ""
    details = plan.get("args", {}).get("Details", "")
    line = "    " * depth + str(plan.get("operatorType", "?")).split("@")[0]
    if details:
        line += f" | {details}"
    return "\n".join([line] + [_plan_text(c, depth + 1) for c in plan.get("children", [])])
