"""bench/benchdocs.py: a benchmark rewrites its figures and keeps the hand-written notes."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from benchdocs import replace_section  # noqa: E402


def test_a_benchmark_replaces_its_figures_and_keeps_the_notes_and_other_sections(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# B\n\n## Ingestion\n\nold figures\n\n### Notes\n\nkept by hand\n\n"
                   "## Saved queries\n\nother figures\n")
    replace_section("## Ingestion", "new figures", doc)
    replace_section("## Saved queries", "newer figures", doc)
    replace_section("## Entity resolution", "first figures", doc)
    assert doc.read_text() == ("# B\n\n## Ingestion\n\nnew figures\n\n### Notes\n\nkept by hand\n\n"
                               "## Saved queries\n\nnewer figures\n\n## Entity resolution\n\nfirst figures\n")
