"""Shared fixtures.

``store`` runs a test body against every available backend: embedded FalkorDB
always; a FalkorDB server when ``FALKORDB_URL`` is set; Neo4j when ``NEO4J_URI``
is set (with ``NEO4J_USER``/``NEO4J_PASSWORD``). Each test starts from an empty graph.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from mashgraph.graph import open_store
from mashgraph.settings import load_settings

FIXTURES = Path(__file__).parent / "fixtures"

BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("falkordb-server", id="falkordb-server", marks=pytest.mark.skipif(
        not os.environ.get("FALKORDB_URL"), reason="FALKORDB_URL not set: no FalkorDB server to test against")),
    pytest.param("neo4j", id="neo4j", marks=pytest.mark.skipif(
        not os.environ.get("NEO4J_URI"), reason="NEO4J_URI not set: no Neo4j server to test against")),
]


def _open(kind: str, tmp_path: Path):
    if kind == "embedded":
        return open_store(str(tmp_path / "graph"), load_settings(environ={}))
    if kind == "falkordb-server":
        settings = load_settings(environ={}, graph_name=f"test_{uuid.uuid4().hex[:8]}")
        return open_store(os.environ["FALKORDB_URL"], settings)
    settings = load_settings(environ={}, neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
                             neo4j_password=os.environ.get("NEO4J_PASSWORD", ""),
                             neo4j_database=os.environ.get("NEO4J_DATABASE", "neo4j"))
    store = open_store(os.environ["NEO4J_URI"], settings)
    store.write("MATCH (n) DETACH DELETE n")
    return store


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """An empty graph store of each available backend."""
    s = _open(request.param, tmp_path)
    s.backend_kind = request.param
    yield s
    s.close()
    if request.param == "falkordb-server":  # on a fresh connection: the test may have closed the store
        from falkordb import FalkorDB

        server = FalkorDB.from_url(os.environ["FALKORDB_URL"])
        try:
            server.select_graph(s.settings.graph_name).delete()
        except Exception:  # the test never created the graph
            pass
        server.connection.close()


@pytest.fixture
def embedded_store(tmp_path):
    """An empty embedded FalkorDB store in a temporary directory."""
    s = open_store(str(tmp_path / "graph"), load_settings(environ={}))
    yield s
    s.close()
