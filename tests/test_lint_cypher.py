"""Cypher lint: every statement the project sends passes Neo4j's front end as Cypher 5.

These tests need ``tools/cypherlint/node_modules`` (``make test`` runs ``npm ci``
there first); they fail, not skip, when it is missing, because then nothing
would check the project's Cypher.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mashgraph.graph import lint
from mashgraph.graph.lint import Statement, collect_statements, lint_statements


@pytest.fixture(scope="module")
def collected():
    return collect_statements()


def test_every_project_statement_lints_clean(collected):
    """`python -m mashgraph.graph.lint` over the whole project: exit 0, no errors."""
    proc = subprocess.run([sys.executable, "-m", "mashgraph.graph.lint"], capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = [line for line in proc.stdout.splitlines() if " statements checked, " in line]
    assert summary and summary[0].endswith(" statements checked, 0 errors"), proc.stdout
    assert int(summary[0].split()[0]) >= len(collected.statements) > 0


BROKEN = [
    # (id, text, a phrase the error message must contain)
    ("syntax", "MATCH (p:Person RETURN p", "Invalid input 'RETURN'"),
    ("unknown-function", "MATCH (p:Person) RETURN nosuchfunction(p.dob) AS x", "Function nosuchfunction is not present"),
    ("undefined-variable", "MATCH (p:Person) RETURN q.key", "Variable `q` not defined"),
    ("falkordb-procedure", "CALL db.idx.fulltext.queryNodes('Record', $q) YIELD node RETURN node",
     "Procedure db.idx.fulltext.queryNodes is not present"),
    ("deprecated-id", "MATCH (n) WHERE id(n) = $id RETURN n", "deprecated"),
    ("aggregate-in-where", "MATCH (p:Person) WHERE count(p) > 1 RETURN p", "Invalid use of aggregating function"),
    ("two-statements", "MATCH (p:Person) RETURN p; MATCH (r:Record) RETURN r", "send one statement per call"),
]

CLEAN_WITH_PARAMETERS = [
    ("params", "UNWIND $rows AS row MERGE (r:Record {key: row.key}) SET r += row.props "
               "WITH r WHERE r.dob >= date($from) AND r.agency IN $`agency list` RETURN count(r) AS n"),
    ("window", "MATCH (f:Referral) WHERE f.date >= date($asOf) - duration('P12M') RETURN f.key LIMIT $limit"),
]


@pytest.fixture(scope="module")
def broken_results():
    statements = [Statement(i, f"test:{i}", text) for i, text, _ in BROKEN]
    statements += [Statement(i, f"test:{i}", text) for i, text in CLEAN_WITH_PARAMETERS]
    return lint_statements(statements)


@pytest.mark.parametrize("ident,text,phrase", BROKEN, ids=[b[0] for b in BROKEN])
def test_linter_catches_broken_statement(broken_results, ident, text, phrase):
    errors = [d for d in broken_results if d.id == ident and d.level == "error"]
    assert errors, f"no error for {text!r}"
    assert any(phrase in d.message for d in errors), [d.message for d in errors]


def test_parameters_are_not_errors(broken_results):
    flagged = [str(d) for d in broken_results if d.id in {i for i, _ in CLEAN_WITH_PARAMETERS}]
    assert flagged == []


def test_error_positions_are_inside_the_statement(broken_results):
    (syntax,) = [d for d in broken_results if d.id == "syntax"]
    assert (syntax.line, syntax.col) == (1, 17)
    assert str(syntax).startswith("test:syntax: Invalid input 'RETURN'")


def test_main_prints_errors_and_fails(monkeypatch, capsys):
    from mashgraph.graph.lint import Collected

    broken = Collected([Statement("q", "queries/bad.cypher:7", "MATCH (n RETURN n")])
    monkeypatch.setattr(lint, "collect_statements", lambda: broken)
    assert lint.main([]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1 statements checked, 1 errors"
    assert out[1].startswith("queries/bad.cypher:7: Invalid input 'RETURN'")
    assert out[1].endswith("(1:10)")


def test_missing_node_modules_is_one_clear_error(tmp_path, monkeypatch, capsys):
    from mashgraph.errors import ConfigError

    with pytest.raises(ConfigError, match="node_modules is missing") as err:
        lint_statements([Statement("x", "x", "RETURN 1")], lint_dir=tmp_path)
    assert "npm ci" in err.value.one_line()


def test_collector_finds_saved_queries(tmp_path):
    (tmp_path / "demo-query.cypher").write_text(
        "// title: Demo\n// params:\n//   key: {type: string}\n\nMATCH (p:Person {key: $key})\nRETURN p\n")
    (tmp_path / "empty.cypher").write_text("// title: nothing here\n")
    got = collect_statements(tmp_path)
    (demo,) = [s for s in got.statements if s.id == "query:demo-query"]
    assert demo.text == "MATCH (p:Person {key: $key})\nRETURN p"
    assert demo.source.endswith("demo-query.cypher:5")
    assert [p.id for p in got.problems if p.id.startswith("query:")] == ["query:empty"]


def test_collector_finds_project_queries_and_constants():
    queries = sorted(Path(lint.QUERIES_DIR).glob("*.cypher"))
    collected = collect_statements()
    ids = {s.id for s in collected.statements}
    assert {f"query:{p.stem}" for p in queries} <= ids
    from mashgraph.graph.store import SEED_CONCERNS_CYPHER

    (seed,) = [s for s in collected.statements if s.id == "mashgraph.graph.store.SEED_CONCERNS_CYPHER"]
    assert seed.text == SEED_CONCERNS_CYPHER
    assert seed.source.startswith("graph/store.py:")


def test_collector_lints_neo4j_ddl_not_falkordb(collected):
    from mashgraph.graph.backends.falkordb import FalkorDialect
    from mashgraph.graph.backends.neo4j import Neo4jDialect
    from mashgraph.graph.model import SCHEMA

    texts = {s.text for s in collected.statements}
    ddl = Neo4jDialect().schema_statements(SCHEMA)
    assert ddl and set(ddl) <= texts
    assert {f"neo4j-fulltext:{label}" for label in SCHEMA.fulltext} <= {s.id for s in collected.statements}
    assert not set(FalkorDialect().schema_statements(SCHEMA)) & texts
    assert not any(s.id.startswith(tuple(lint.NOT_NEO4J_MODULES)) for s in collected.statements)


def test_constant_rule_covers_module_level_only():
    import ast

    tree = ast.parse("A_CYPHER = 'RETURN 1'\nif True:\n    B_CYPHER: str = 'x'\n"
                     "def f():\n    C_CYPHER = 'y'\nclass K:\n    D_CYPHER = 'z'\nOTHER = 'w'\n")
    assert lint._constant_assignments(tree) == {"A_CYPHER": 1, "B_CYPHER": 3}
