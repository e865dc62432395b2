"""Entity resolution: link agency Records into Persons (docs/resolution.md).

Public surface::

    resolve_records(store, settings=None) -> ResolveReport
    record_decision(store, record_a, record_b, "same" | "different", reason, decided_by=None)
    review_pairs(store, limit=100) -> list[dict]
    explain_person(store, person_key) -> list[str]
    export_assignments(store, path) -> int

``settings`` is a :class:`ResolveSettings` (threshold, review band, model directory).
Importing this package is cheap; pandas and Splink load on first use.
"""

from __future__ import annotations

from typing import Any

from .config import ResolveSettings, pair_key

__all__ = ["resolve_records", "ResolveReport", "ResolveSettings", "MatchDecision",
           "record_decision", "review_pairs", "explain_person", "export_assignments", "pair_key"]

_LAZY = {
    "resolve_records": "pipeline", "ResolveReport": "pipeline",
    "MatchDecision": "decisions", "record_decision": "decisions", "review_pairs": "decisions",
    "explain_person": "explain", "export_assignments": "explain",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
