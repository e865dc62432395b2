"""Write a benchmark's figures into its section of docs/benchmarks.md.

A section runs from its ``## `` heading to the next one. The part a script
writes ends at a ``### Notes`` sub-heading, if there is one. Hand-written notes
go under that sub-heading, so re-running a benchmark never erases them.
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
NOTES = "### Notes"


def replace_section(heading: str, body: str, path: Path = DOCS) -> None:
    """Put ``body`` under ``heading`` (a ``## `` line), keeping that section's ``### Notes``."""
    text = path.read_text(encoding="utf-8")
    at = text.find(heading + "\n")
    if at == -1:
        path.write_text(text.rstrip("\n") + f"\n\n{heading}\n\n{body.strip()}\n", encoding="utf-8")
        return
    body_start = at + len(heading) + 1
    nxt = text.find("\n## ", body_start)
    section_end = len(text) if nxt == -1 else nxt + 1
    notes = text.find("\n" + NOTES, body_start, section_end)
    end = section_end if notes == -1 else notes + 1
    path.write_text(text[:body_start] + "\n" + body.strip() + "\n\n" + text[end:], encoding="utf-8")
