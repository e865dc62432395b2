"""FalkorDB: the dialect and the store shared by the server and embedded backends."""

from __future__ import annotations

import time
from typing import Any

from ...errors import QueryError, QueryTimeout, ReadOnlyViolation, SchemaError, StoreUnavailable
from ...settings import Settings
from ..model import SchemaSpec
from ..store import Dialect, GraphStore
from ..types import Node, Path, Rel, Result

__all__ = ["FalkorDialect", "FalkorStore", "FalkorServerStore"]

_CONSTRAINT_PREFIX = "GRAPH.CONSTRAINT CREATE "
# Looked up only to name the ends of relationships whose nodes a result did not return.
_KEYS_BY_ID = "UNWIND $ids AS i MATCH (n) WHERE id(n) = i RETURN i, n.key"


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
        return (f"CALL db.idx.fulltext.queryNodes('{label}', $q) YIELD node, score "
                "RETURN node, score ORDER BY score DESC LIMIT $limit")


def _translate(err: Exception, cypher: str) -> Exception:
    """A redis/FalkorDB exception as a mashgraph error."""
    import redis

    text = str(err)
    first = " ".join(cypher.split())[:120]
    if isinstance(err, (redis.ConnectionError, redis.TimeoutError)) and "timed out" not in text.lower():
        return StoreUnavailable(f"FalkorDB is not reachable: {text}",
                                hint="check that the store is running and MASHGRAPH_DB is right")
    if "read-only" in text or "RO_QUERY" in text:
        return ReadOnlyViolation(f"refused: a read-only query tried to write ({first})",
                                 hint="use a MATCH ... RETURN statement; writes go through ingest")
    if "timed out" in text.lower() or "timeout" in text.lower():
        return QueryTimeout(f"query timed out: {first}",
                            hint="narrow the query (parameters, LIMIT) or raise its timeout")
    return QueryError(f"query failed: {text} in: {first}",
                      hint="check the Cypher syntax and parameters")


class FalkorStore(GraphStore):
    """A FalkorDB graph reached through a redis connection (``self._db``, ``self._graph``)."""

    dialect = FalkorDialect()

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        self._db: Any = None
        self._graph: Any = None

    def _ensure_graph_exists(self) -> None:
        """FalkorDB answers reads of a graph that was never written with "empty key": create it."""
        try:
            if self.settings.graph_name not in (self._db.execute_command("GRAPH.LIST") or []):
                self._graph.query("RETURN 1")
        except Exception as err:
            raise _translate(err, "GRAPH.LIST") from err

    def _configure_timeouts(self) -> None:
        """TIMEOUT_MAX/TIMEOUT_DEFAULT are not persisted by FalkorDB, so set them on every open."""
        for name, value in (("TIMEOUT_MAX", self.settings.max_query_timeout_ms),
                            ("TIMEOUT_DEFAULT", self.settings.query_timeout_ms)):
            try:
                self._db.execute_command("GRAPH.CONFIG", "SET", name, value)
            except Exception as err:  # a managed server may forbid CONFIG SET
                if "unknown" in str(err).lower():
                    raise
                continue

    # -- hooks ---------------------------------------------------------------
    def _read(self, cypher: str, params: dict[str, Any], timeout_ms: int) -> Result:
        try:
            res = self._graph.ro_query(cypher, params, timeout=timeout_ms)
        except Exception as err:
            raise _translate(err, cypher) from err
        return self._result(res)

    def _write(self, cypher: str, params: dict[str, Any]) -> Result:
        try:
            res = self._graph.query(cypher, params, timeout=self.settings.max_query_timeout_ms)
        except Exception as err:
            raise _translate(err, cypher) from err
        return self._result(res)

    def _explain(self, cypher: str, params: dict[str, Any]) -> str:
        try:
            plan = self._graph.explain(cypher, params)
        except Exception as err:
            raise _translate(err, cypher) from err
        return str(plan)

    def _apply_ddl(self, statement: str) -> None:
        try:
            if statement.startswith(_CONSTRAINT_PREFIX):
                args = statement.removeprefix(_CONSTRAINT_PREFIX).split()
                self._db.execute_command("GRAPH.CONSTRAINT", "CREATE", self._graph.name, *args)
            else:
                self._graph.query(statement)
        except Exception as err:
            text = str(err).lower()
            if "already" in text or "exists" in text:
                return  # applying the schema twice is harmless
            raise SchemaError(f"schema statement failed: {statement}: {err}",
                              hint="check the store version (FalkorDB >= 4.2 is needed)") from err

    def _wait_for_schema(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            res = self._graph.ro_query("CALL db.constraints() YIELD status RETURN status")
            pending = [r[0] for r in res.result_set if r[0] != "OPERATIONAL"]
            if "FAILED" in pending:
                raise SchemaError("a unique constraint failed to build: duplicate keys exist",
                                  hint="run `mashgraph schema show` and remove the duplicates")
            if not pending:
                return
            if time.monotonic() > deadline:
                raise SchemaError("constraints still building after two minutes",
                                  hint="run `mashgraph schema apply` again later")
            time.sleep(0.05)

    def _show_schema(self) -> Result:
        idx = self._graph.ro_query(
            "CALL db.indexes() YIELD label, properties, types RETURN 'index' AS kind, label, properties, types")
        con = self._graph.ro_query(
            "CALL db.constraints() YIELD type, label, properties, status "
            "RETURN 'constraint' AS kind, label, properties, type + ':' + status AS types")
        return Result(["kind", "label", "properties", "types"],
                      [list(r) for r in idx.result_set] + [list(r) for r in con.result_set])

    def _close(self) -> None:
        self._graph = None
        if self._db is not None:
            try:
                self._db.connection.close()
            except Exception:
                pass
        self._db = None

    # -- values ----------------------------------------------------------------
    def _result(self, res: Any) -> Result:
        columns = [h[1] for h in (res.header or [])]
        keys: dict[int, Any] = {}
        missing: set[int] = set()
        rows = [[self._value(v, keys, missing) for v in row] for row in (res.result_set or [])]
        if missing - keys.keys():
            lookup = self._graph.ro_query(_KEYS_BY_ID, {"ids": sorted(missing - keys.keys())})
            keys.update({i: k for i, k in lookup.result_set})
        if missing:
            rows = [[_fill_rel_keys(v, keys) for v in row] for row in rows]
        stats = _stats(getattr(res, "_raw_stats", None) or [])
        return Result(columns, rows, stats)

    def _value(self, v: Any, keys: dict[int, Any], missing: set[int]) -> Any:
        from falkordb.edge import Edge
        from falkordb.node import Node as FNode
        from falkordb.path import Path as FPath

        if isinstance(v, FNode):
            props = dict(v.properties)
            keys[v.id] = props.get("key")
            return Node(props.get("key"), tuple(v.labels or ()), props)
        if isinstance(v, Edge):
            missing.update((v.src_node, v.dest_node))
            return _PendingRel(v.relation, v.src_node, v.dest_node, dict(v.properties))
        if isinstance(v, FPath):
            nodes = tuple(self._value(n, keys, missing) for n in v.nodes())
            rels = tuple(self._value(e, keys, missing) for e in v.edges())
            return Path(nodes, rels)  # type: ignore[arg-type]
        if isinstance(v, list):
            return [self._value(x, keys, missing) for x in v]
        if isinstance(v, dict):
            return {k: self._value(x, keys, missing) for k, x in v.items()}
        return v


def _stats(raw: list[str]) -> dict[str, int]:
    """FalkorDB's counter lines ("Nodes created: 3") as ``{"nodes_created": 3}``."""
    out: dict[str, int] = {}
    for line in raw:
        name, _, value = str(line).partition(": ")
        if "time" in name.lower() or not value:
            continue
        try:
            out[name.strip().lower().replace(" ", "_")] = int(float(value.split()[0]))
        except ValueError:
            continue
    return out


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

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(url, settings)
        from falkordb import FalkorDB

        redis_url = url.replace("falkors://", "rediss://", 1).replace("falkor://", "redis://", 1)
        try:
            self._db = FalkorDB.from_url(redis_url)
            self._db.connection.ping()
        except Exception as err:
            raise StoreUnavailable(f"cannot reach FalkorDB at {url}: {err}",
                                   hint="start the server or fix MASHGRAPH_DB") from err
        self._graph = self._db.select_graph(settings.graph_name)
        self._configure_timeouts()
        self._ensure_graph_exists()
