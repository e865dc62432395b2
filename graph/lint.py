"""Lint every Cypher statement mashgraph sends as Neo4j Cypher 5, with Neo4j's own front end.

Run it as ``python -m mashgraph.graph.lint`` (``make lint-cypher``). What it checks
(see ``docs/cypher-lint.md``):

- every saved query ``queries/*.cypher`` (the body after the ``//`` header);
- the Neo4j schema DDL, ``Neo4jDialect().schema_statements(SCHEMA)``, and the
  Neo4j full-text search statement of every full-text label;
- every module-level constant whose name ends in ``_CYPHER`` in every module of
  the ``mashgraph`` package (a string, or a tuple/list/dict of strings).

FalkorDB-only text (the FalkorDB dialect's DDL and procedures, the internal
statements of the FalkorDB backends) is not Neo4j Cypher and is not linted: those
modules are listed in ``NOT_NEO4J_MODULES``.

The statements go to ``tools/cypherlint/lint.mjs`` in one Node process, which
runs ``lintCypherQuery`` of ``@neo4j-cypher/language-support`` (pinned in
``tools/cypherlint/package-lock.json``). Errors fail, and so do warnings about
deprecated features; parameters are never errors.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import pkgutil
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import ConfigError

__all__ = [
    "Statement", "Diagnostic", "Collected", "collect_statements", "lint_statements",
    "PACKAGE_ROOT", "LINT_DIR", "NOT_NEO4J_MODULES", "main",
]

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
LINT_DIR = PACKAGE_ROOT / "tools" / "cypherlint"
QUERIES_DIR = PACKAGE_ROOT / "queries"
CONSTANT_SUFFIX = "_CYPHER"

# Engine-specific modules whose Cypher is FalkorDB's dialect, not Neo4j's.
NOT_NEO4J_MODULES = frozenset({
    "mashgraph.graph.backends.falkordb",
    "mashgraph.graph.backends.embedded",
})
# Never imported while collecting: importing them runs a program or holds test-only text.
_SKIP_PARTS = frozenset({"__main__", "tests", "bench", "tools"})

_NODE_TIMEOUT_S = 600


@dataclass(frozen=True)
class Statement:
    """One Cypher text the project sends; ``source`` is ``file:line`` of its first line."""

    id: str
    source: str
    text: str


@dataclass(frozen=True)
class Diagnostic:
    """One finding; ``line``/``col`` are 1-based inside the statement, ``level`` is error or warning."""

    id: str
    source: str
    level: str
    message: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        prefix = "" if self.level == "error" else f"{self.level}: "
        return f"{self.source}: {prefix}{self.message} ({self.line}:{self.col})"


@dataclass
class Collected:
    """The statements found and the problems met while collecting them (errors)."""

    statements: list[Statement] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PACKAGE_ROOT))
    except ValueError:
        return str(path)


# -- saved queries -------------------------------------------------------------
def _query_files(folder: Path, out: Collected) -> None:
    for path in sorted(folder.glob("*.cypher")):
        lines = path.read_text(encoding="utf-8").splitlines()
        start = 0
        while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("//")):
            start += 1
        body = "\n".join(lines[start:]).strip()
        source = f"{_rel(path)}:{start + 1}"
        if not body:
            out.problems.append(Diagnostic(f"query:{path.stem}", source, "error",
                                           "no query after the // header: add the Cypher statement"))
            continue
        out.statements.append(Statement(f"query:{path.stem}", source, body))


# -- Neo4j dialect -------------------------------------------------------------
def _neo4j_dialect(out: Collected) -> None:
    from .backends.neo4j import Neo4jDialect
    from .model import SCHEMA

    dialect = Neo4jDialect()
    source_file = _rel(Path(inspect.getsourcefile(Neo4jDialect) or "graph/backends/neo4j.py"))
    ddl_line = _method_line(Neo4jDialect, "schema_statements")
    for i, text in enumerate(dialect.schema_statements(SCHEMA)):
        out.statements.append(Statement(f"neo4j-ddl[{i}]", f"{source_file}:{ddl_line}", text))
    search_line = _method_line(Neo4jDialect, "fulltext_search")
    for label in SCHEMA.fulltext:
        out.statements.append(Statement(f"neo4j-fulltext:{label}", f"{source_file}:{search_line}",
                                        dialect.fulltext_search(label)))


def _method_line(cls: type, name: str) -> int:
    try:
        return inspect.getsourcelines(getattr(cls, name))[1]
    except (OSError, TypeError):
        return 1


# -- *_CYPHER constants ----------------------------------------------------------
def _module_names(out: Collected) -> list[str]:
    import mashgraph

    def onerror(name: str) -> None:
        err = sys.exc_info()[1]
        out.problems.append(Diagnostic(name, name, "error", f"cannot import {name}: {err!r}"))

    names = []
    for info in pkgutil.walk_packages(mashgraph.__path__, "mashgraph.", onerror=onerror):
        if _SKIP_PARTS.intersection(info.name.split(".")):
            continue
        names.append(info.name)
    return ["mashgraph", *names]


def _constant_assignments(tree: ast.Module) -> dict[str, int]:
    """Names ending in _CYPHER assigned at module level (also inside top-level if/try), with their line."""
    found: dict[str, int] = {}

    def visit(body: Iterable[ast.stmt]) -> None:
        for node in body:
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(node.orelse)
                if isinstance(node, ast.Try):
                    for handler in node.handlers:
                        visit(handler.body)
                    visit(node.finalbody)
            for target in targets:
                if isinstance(target, ast.Name) and target.id.endswith(CONSTANT_SUFFIX):
                    found.setdefault(target.id, node.lineno)

    visit(tree.body)
    return found


def _constants(out: Collected) -> None:
    for name in _module_names(out):
        if name in NOT_NEO4J_MODULES:
            continue
        try:
            module = importlib.import_module(name)
        except Exception as err:  # a module that cannot be imported hides its statements
            out.problems.append(Diagnostic(name, name, "error", f"cannot import {name}: {err!r}"))
            continue
        path = inspect.getsourcefile(module)
        if not path:
            continue
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)
        for const, line in _constant_assignments(tree).items():
            source = f"{_rel(Path(path))}:{line}"
            ident = f"{name}.{const}"
            value = getattr(module, const, None)
            if isinstance(value, str):
                out.statements.append(Statement(ident, source, value))
            elif isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
                out.statements.extend(Statement(f"{ident}[{i}]", source, v) for i, v in enumerate(value))
            elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                out.statements.extend(Statement(f"{ident}[{k!r}]", source, v) for k, v in value.items())
            else:
                out.problems.append(Diagnostic(
                    ident, source, "error",
                    f"{const} is a {type(value).__name__}: a name ending in {CONSTANT_SUFFIX} must hold "
                    "Cypher text (a string, or a tuple/list/dict of strings); rename it otherwise"))


def collect_statements(queries_dir: Path | None = None) -> Collected:
    """Every Cypher statement the project sends to Neo4j (see the module docstring)."""
    out = Collected()
    _query_files(queries_dir or QUERIES_DIR, out)
    _neo4j_dialect(out)
    _constants(out)
    return out


# -- running the linter ----------------------------------------------------------
def lint_statements(statements: Sequence[Statement], lint_dir: Path = LINT_DIR) -> list[Diagnostic]:
    """Lint ``statements`` in one Node process; returns errors and warnings.

    Raises ``ConfigError`` when Node or the pinned npm package is missing.
    """
    node = shutil.which("node")
    if node is None:
        raise ConfigError("Cypher lint needs Node.js, but `node` is not on PATH",
                          hint="install Node.js >= 18.18 (apt-get install nodejs npm), then run `make lint-cypher`")
    if not (lint_dir / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        raise ConfigError(f"{_rel(lint_dir)}/node_modules is missing",
                          hint=f"run `make lint-cypher` (or `npm ci` in {_rel(lint_dir)})")
    if not statements:
        return []
    payload = json.dumps([{"id": s.id, "source": s.source, "text": s.text} for s in statements])
    proc = subprocess.run([node, str(lint_dir / "lint.mjs")], input=payload, capture_output=True,
                          text=True, cwd=lint_dir, timeout=_NODE_TIMEOUT_S, check=False)
    if proc.returncode not in (0, 1):
        raise ConfigError(f"the Cypher linter failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}",
                          hint=f"run `npm ci` in {_rel(lint_dir)} and try again")
    report = json.loads(proc.stdout)
    if report.get("checked") != len(statements):
        raise ConfigError(f"the Cypher linter checked {report.get('checked')} of {len(statements)} statements",
                          hint=f"run `npm ci` in {_rel(lint_dir)} and try again")
    return [Diagnostic(d["id"], d["source"], d["level"], d["message"], d["line"], d["col"])
            for d in report["diagnostics"]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mashgraph.graph.lint", description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the collected statements and exit")
    args = parser.parse_args(argv)

    collected = collect_statements()
    if args.list:
        for s in collected.statements:
            print(f"--- {s.id}  ({s.source})\n{s.text}")
        return 0
    try:
        diagnostics = collected.problems + lint_statements(collected.statements)
    except ConfigError as err:
        print(f"error: {err.one_line()}", file=sys.stderr)
        return 2
    errors = [d for d in diagnostics if d.level == "error"]
    warnings = [d for d in diagnostics if d.level != "error"]
    print(f"{len(collected.statements)} statements checked, {len(errors)} errors"
          + (f", {len(warnings)} warnings" if warnings else ""))
    for d in errors + warnings:
        print(d)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
