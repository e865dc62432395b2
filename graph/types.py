"""Backend-neutral result values: every store returns these, whatever the engine.

A node is identified by its business ``key`` property, never by an engine id,
so results from FalkorDB and Neo4j compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

__all__ = ["Node", "Rel", "Path", "Result"]


@dataclass(frozen=True)
class Node:
    key: str | None
    labels: tuple[str, ...]
    props: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Rel:
    type: str
    start_key: str | None
    end_key: str | None
    props: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Path:
    nodes: tuple[Node, ...]
    rels: tuple[Rel, ...]


@dataclass
class Result:
    """Columns and rows of plain values (str, int, float, bool, None, list, dict,
    ``datetime.date``, Node, Rel, Path), plus write counters where the engine gives them."""

    columns: list[str]
    rows: list[list[Any]]
    stats: dict[str, int] = field(default_factory=dict)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            yield dict(zip(self.columns, row))

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column."""
        return list(self)

    def value(self, default: Any = None) -> Any:
        """The first column of the first row, or ``default``."""
        return self.rows[0][0] if self.rows and self.rows[0] else default

    def column(self, name_or_index: str | int = 0) -> list[Any]:
        i = self.columns.index(name_or_index) if isinstance(name_or_index, str) else name_or_index
        return [row[i] for row in self.rows]
