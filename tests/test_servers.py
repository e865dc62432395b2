"""The throwaway servers the tests start (tests/servers.py): ready when they say so, gone after stop."""

from __future__ import annotations

import os

from mashgraph.graph import open_store
from mashgraph.settings import load_settings
from servers import FalkorServer, neo4j_missing_tools


def test_without_java_or_maven_the_neo4j_tests_say_why_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = neo4j_missing_tools()
    assert reason == "java and mvn not on PATH: cannot start the Neo4j test server"


def test_a_falkordb_server_answers_once_started_and_its_process_is_gone_after_stop(tmp_path):
    server = FalkorServer(tmp_path / "falkordb").start()
    pid = server.proc.pid
    with open_store(server.url, load_settings(environ={}, graph_name="probe")) as store:
        assert store.read("RETURN 1 AS one").value() == 1
    server.stop()
    assert not os.path.exists(f"/proc/{pid}")
