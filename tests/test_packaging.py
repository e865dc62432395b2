"""Packaging: the wheel holds the product and every data file it reads, nothing else; builds are quiet.

The repository root is the ``mashgraph`` package (``package-dir`` in
pyproject.toml), so what is shipped is decided by the lists there. The wheel
is built from a copy of the source, offline (``--no-index``, no build
isolation: the test environment's setuptools), like ``pip wheel .``. The
editable install runs as ``pip install -e .`` does, into a new empty venv
(setuptools comes from the pip cache or PyPI, as for ``make venv``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("graph", "ingest", "web", "queries")
NOT_SHIPPED = ("tests", "bench", "tools", "docs")
# Left out of the copy: local state and caches, never part of the source.
_LOCAL = {".git", ".venv", "build", "dist", "data", "demo", ".pytest_cache", "quarantine"}
_ANYWHERE = {"__pycache__", "node_modules"}

pytestmark = pytest.mark.slow


def _ignore(folder: str, names: list[str]) -> set[str]:
    top = Path(folder) == ROOT
    return {n for n in names if n in _ANYWHERE or n.endswith((".pyc", ".egg-info")) or (top and n in _LOCAL)}


def _product_files(src: Path) -> set[str]:
    files = {p for d in PRODUCT for p in (src / d).rglob("*") if p.is_file()} | set(src.glob("*.py"))
    return {"mashgraph/" + p.relative_to(src).as_posix() for p in files}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel path, pip's output, the copied source) of one wheel build."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--no-index", "--wheel-dir", str(base / "out"), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list((base / "out").glob("mashgraph-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], proc.stdout + proc.stderr, src


def test_the_wheel_builds_without_a_warning(built):
    _, output, _ = built
    warnings = [line for line in output.splitlines() if "warning" in line.lower()]
    assert not warnings, "\n".join(warnings)


def test_the_wheel_ships_every_product_file_and_nothing_else(built):
    wheel, _, src = built
    with zipfile.ZipFile(wheel) as zf:
        names = {n for n in zf.namelist() if not n.startswith("mashgraph-")}  # the .dist-info folder
    expected = _product_files(src)
    assert names - expected == set(), "shipped but not part of the product"
    assert expected - names == set(), "part of the product but not shipped"
    # What the product reads at run time, named so that a reader sees it is checked.
    for folder, suffix in [("queries", ".cypher"), ("ingest/mappings", ".yml"), ("web/templates", ".html"),
                           ("web/static", ".js"), ("web/static", ".css"), ("web/static/vendor", ".js")]:
        shipped = {n for n in names if n.startswith(f"mashgraph/{folder}/") and n.endswith(suffix)}
        on_disk = {"mashgraph/" + p.relative_to(src).as_posix() for p in (src / folder).rglob(f"*{suffix}")}
        assert on_disk and shipped == on_disk, folder
    assert {"mashgraph/ingest/resolve/nicknames.csv", "mashgraph/ingest/resolve/default_model.json"} <= names
    assert not [n for n in names if n.split("/")[1] in NOT_SHIPPED]


def test_the_wheel_declares_the_entry_point_and_dependencies(built):
    wheel, _, _ = built
    with zipfile.ZipFile(wheel) as zf:
        info = {Path(n).name: zf.read(n).decode() for n in zf.namelist() if ".dist-info/" in n}
    assert "mashgraph = mashgraph.cli:main" in info["entry_points.txt"]
    assert "Requires-Dist: splink" in info["METADATA"] and "Requires-Python: >=3.12" in info["METADATA"]


def test_an_editable_install_is_quiet_and_imports_the_source(built, tmp_path):
    _, _, src = built
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                           "--editable", str(src)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert "Successfully installed mashgraph" in output
    warnings = [line for line in output.splitlines() if "warning" in line.lower()]
    assert not warnings, "\n".join(warnings)
    where = subprocess.run([str(python), "-c", "import mashgraph; print(mashgraph.__file__)"],
                           capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    assert where == str(src / "__init__.py")
