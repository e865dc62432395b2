"""The `mashgraph` command line: help, one-line errors, the cypher command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mashgraph.cli import cli


def _run(*args: str, db: str) -> "CliRunner":
    return CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)


def test_help_lists_subcommands_with_descriptions():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "cypher" in result.output and "Run one read-only Cypher statement" in result.output
    assert "schema" in result.output


def test_cypher_runs_a_read_and_formats_json(tmp_path):
    db = str(tmp_path / "g")
    assert _run("schema", "apply", db=db).exit_code == 0
    result = _run("cypher", "MATCH (c:Concern {key: $k}) RETURN c.key AS code, c.label AS label",
                  "--param", "k=16A", "--format", "json", db=db)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == [{"code": "16A", "label": "neglect"}]


def test_cypher_csv_and_table(tmp_path):
    db = str(tmp_path / "g")
    _run("schema", "apply", db=db)
    csv_out = _run("cypher", "MATCH (c:Concern) WHERE c.key IN ['3B', '4B'] RETURN c.key AS k ORDER BY k",
                   "--format", "csv", db=db).output
    assert csv_out.splitlines() == ['"k"', '"3B"', '"4B"']  # every field quoted (safe_csv)
    table = _run("cypher", "RETURN 1 AS one", db=db).output
    assert "| one |" in table and "1 row" in table


def test_write_through_cypher_is_one_line_error_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mashgraph", "--db", str(tmp_path / "g"), "cypher", "CREATE (n:X) RETURN n"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: refused: a read-only query tried to write")
    assert "Traceback" not in proc.stderr


def test_bad_param_syntax_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "g"), "cypher", "RETURN 1", "--param", "novalue"])
    assert result.exit_code == 2
    assert "is not NAME=VALUE" in result.output


def test_a_timeout_must_be_positive(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "g"), "cypher", "RETURN 1", "--timeout", "-1"])
    assert result.exit_code == 2 and "--timeout" in result.output


def test_unknown_store_scheme_is_a_config_error(tmp_path):
    result = CliRunner().invoke(cli, ["--db", "ftp://x", "cypher", "RETURN 1"])
    assert result.exit_code == 2
    assert "unknown graph store URL scheme" in result.output


@pytest.mark.parametrize("url, words", [
    ("bolt://127.0.0.1:1", "error: Neo4j at bolt://127.0.0.1:1 is not reachable"),
    ("neo4j://127.0.0.1:1", "error: Neo4j at neo4j://127.0.0.1:1 is not reachable"),
    ("redis://127.0.0.1:1", "error: cannot reach FalkorDB at redis://127.0.0.1:1"),
])
def test_an_unreachable_server_is_one_line_on_stderr(url, words):
    # Port 1 on this machine: refused at once, nothing leaves the machine. Neither the
    # driver's own log records nor a traceback may reach the user, only our one line.
    proc = subprocess.run([sys.executable, "-m", "mashgraph", "--db", url, "cypher", "RETURN 1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(words), proc.stderr


def test_every_subcommand_and_option_is_documented():
    # A command or option nobody can read about does not exist for a newcomer:
    # each must appear in README.md or docs/*.md (as `mashgraph resolve decide`, `--dry-run`).
    from pathlib import Path

    import click

    root = Path(__file__).resolve().parent.parent
    docs = (root / "README.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in sorted((root / "docs").glob("*.md")))
    missing = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if path and not any(f"mashgraph {' '.join(path[:i])}" in docs for i in range(1, len(path) + 1)):
            missing.append("mashgraph " + " ".join(path))
        if len(path) > 1 and path[-1] not in docs:
            missing.append("mashgraph " + " ".join(path))
        for param in cmd.params:
            missing.extend(f"mashgraph {' '.join(path)} {opt}".replace("  ", " ")
                           for opt in getattr(param, "opts", []) if opt.startswith("--")
                           and opt != "--help" and opt not in docs)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(cli, [])
    assert len(cli.commands) >= 9
    assert missing == []
