"""Synthetic multi-agency data with ground truth.

``generate(out_dir, people, seed, authorities=1, bad_rows=0.0, **rates)`` writes
agency extracts, ground truth and an ingestion job; see docs/synthetic-data.md
and docs/data-dictionary.md. The world model that pattern planting extends is
``mashgraph.ingest.synth.world``.
"""

from .generate import SynthSummary, generate

__all__ = ["generate", "SynthSummary"]
