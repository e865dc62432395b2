"""Docstring examples are tests: every ``>>>`` in the package's modules runs and must show what it says.

Each module with examples is one test. A module whose examples the doctest
finder cannot reach (an example in a comment, or in the docstring of a nested
function) fails too, so no example is silently left unrun.
"""

from __future__ import annotations

import doctest
import importlib
import re
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("graph", "ingest", "web")
EXAMPLE = re.compile(r"^\s*>>>(?: |$)", re.MULTILINE)


def _modules_with_examples() -> list[str]:
    paths = [*ROOT.glob("*.py"), *(p for d in PRODUCT for p in (ROOT / d).rglob("*.py"))]
    names = []
    for path in sorted(paths):
        if EXAMPLE.search(path.read_text(encoding="utf-8")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(("mashgraph",) + (parts[:-1] if parts[-1] == "__init__" else parts)))
    return names


MODULES = _modules_with_examples()


def test_the_examples_are_found():
    # A wrong root or pattern would make every test below vanish without failing.
    assert {"mashgraph.ingest.identifiers", "mashgraph.ingest.validate", "mashgraph.web.accounts"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # examples that make files make them here
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(module) if t.examples]
    written = len(EXAMPLE.findall(Path(module.__file__).read_text(encoding="utf-8")))
    assert sum(len(t.examples) for t in tests) == written, f"{name}: some `>>>` lines are not in a docstring doctest finds"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
    assert runner.tries == written
