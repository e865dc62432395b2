"""Resolution settings and small shared helpers (no heavy imports: the CLI loads this)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ConfigError

__all__ = ["ResolveSettings", "pair_key"]


@dataclass(frozen=True)
class ResolveSettings:
    """How resolution links records. Defaults are the documented, benchmarked ones."""

    threshold: float = 0.99
    """Model links at or above this match probability join records into one person."""
    review_low: float = 0.5
    """Pairs from here up to ``threshold`` are not linked but listed for review."""
    review_high: float = 0.999
    """Linked pairs below this are listed for review too (linked, but not certain)."""
    model_dir: str | None = None
    """Where the trained model JSON of each run is saved (default: see ``default_model_dir``)."""
    seed: int = 42
    """Seed of the random sample used to estimate u probabilities."""
    u_max_pairs: float = 1e6
    """Random record pairs sampled to estimate u probabilities."""
    threads: int = 2
    """DuckDB threads."""
    min_records_to_train: int = 1000
    """Below this many records the bundled pre-trained model scores pairs instead of training."""

    def __post_init__(self) -> None:
        if not 0 < self.review_low <= self.threshold <= self.review_high <= 1:
            raise ConfigError(
                f"resolve thresholds must satisfy 0 < review_low ({self.review_low}) <= threshold "
                f"({self.threshold}) <= review_high ({self.review_high}) <= 1",
                hint="e.g. --review-low 0.5 --threshold 0.99")


def pair_key(a: str, b: str) -> str:
    """The order-free key of a record pair."""
    x, y = sorted((a, b))
    return f"{x}|{y}"
