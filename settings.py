"""Settings: defaults, then ``MASHGRAPH_*`` environment variables, then overrides.

Every setting is documented in ``docs/settings.md``; a test fails when one is
not.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["Settings", "load_settings"]

PREFIX = "MASHGRAPH_"


@dataclass(frozen=True)
class Settings:
    """Every setting of mashgraph. Environment names are ``MASHGRAPH_`` + upper name."""

    db: str = "./data/graph"
    """Graph store URL: a path (embedded FalkorDB), redis:// or falkor:// (FalkorDB server), bolt:// or neo4j:// (Neo4j 5)."""
    graph_name: str = "mashgraph"
    """Graph name inside FalkorDB (a server can hold several)."""
    neo4j_database: str = "neo4j"
    """Neo4j database name."""
    neo4j_user: str = "neo4j"
    """Neo4j user name."""
    neo4j_password: str = field(default="", repr=False)
    """Neo4j password (environment only; never commit it)."""
    query_timeout_ms: int = 30_000
    """Default timeout of a read statement, in milliseconds."""
    max_query_timeout_ms: int = 300_000
    """Upper bound of any statement's timeout, in milliseconds (FalkorDB TIMEOUT_MAX)."""
    start_timeout_s: int = 120
    """Seconds to wait for the embedded FalkorDB server to start (large graphs load slowly)."""
    batch_size: int = 10_000
    """Rows per UNWIND batch when writing."""
    row_cap: int = 10_000
    """Most rows a saved query or cypher command returns before it says 'truncated'."""
    console_row_cap: int = 1_000
    """Most rows the web Cypher console shows (and draws, and audits) of one statement; beyond it the result is cut and says so."""
    users_db: str = ""
    """Web users and audit log (SQLite file); empty = mashgraph.sqlite beside an embedded graph directory, else ./data/mashgraph.sqlite."""
    secret_key: str = field(default="", repr=False)
    """Key that signs web session cookies (environment only); empty = a random key kept in the users database."""
    session_minutes: int = 480
    """Minutes a web login lasts at most before the user must sign in again."""
    session_idle_minutes: int = 30
    """Minutes without a click after which a web session ends (the user signs in again)."""
    behind_proxy: bool = False
    """The web app runs behind one reverse proxy that sets X-Forwarded-For (used for per-address sign-in throttling and the audit)."""
    cookie_secure: bool = False
    """Send the session cookie over HTTPS only (turn on behind a TLS proxy)."""
    require_reason: bool = True
    """Web users must state a reason (e.g. a case reference) before viewing people, running queries or exporting (switch off only for demos)."""
    network_limit: int = 250
    """Most nodes the web network view draws around one person."""
    user: str = ""
    """Who records resolution decisions (``mashgraph resolve decide``); empty = the login name."""
    review_roles: str = "analyst,admin"
    """Roles that may decide in the web identity review (comma-separated: analyst, admin); others may not open it."""
    linked_risk_refresh: bool = True
    """Recompute linked risk, communities and brokers (`mashgraph analytics run`) at the end of every ingestion and resolution; off = run it by hand."""
    alerts_refresh: bool = True
    """Run every alert query (`mashgraph alerts run`) at the end of every ingestion job and resolution run; off = run it by hand or from a scheduler (`mashgraph ingest --no-alerts` skips it once)."""
    alert_close_roles: str = "analyst,admin"
    """Roles that may close an alert with a decision in the web inbox (comma-separated: analyst, admin); the others may still assign, comment and move it."""
    risk_weights: str = ""
    """YAML file overriding the linked-risk weights (docs/analytics.md); empty = the defaults."""
    today: str = ""
    """The date web pages take as today (YYYY-MM-DD) for 'last 12 months' and ages, e.g. to replay a synthetic world; empty = the real date."""

    def today_date(self) -> "dt.date":
        """``today`` as a date, or the real date when it is empty."""
        return dt.date.fromisoformat(self.today) if self.today else dt.date.today()

    def with_overrides(self, **overrides: Any) -> "Settings":
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _coerce(value: str, like: Any) -> Any:
    if isinstance(like, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(value)
    return value


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then ``MASHGRAPH_*`` from ``environ`` (default ``os.environ``), then ``overrides``."""
    from .errors import ConfigError

    env = os.environ if environ is None else environ
    base = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        name = PREFIX + f.name.upper()
        if name in env:
            try:
                values[f.name] = _coerce(env[name], getattr(base, f.name))
            except ValueError:
                raise ConfigError(
                    f"{name}={env[name]!r} is not a valid {type(getattr(base, f.name)).__name__}",
                    hint=f"set {name} to a number or unset it",
                ) from None
            # Every number is a count, a size or a timeout: 0 or less would fail later, obscurely.
            if type(values[f.name]) is int and values[f.name] < 1:
                raise ConfigError(f"{name}={env[name]!r} must be 1 or more",
                                  hint=f"set {name} to a positive whole number or unset it")
    settings = replace(base, **values).with_overrides(**overrides)
    try:
        settings.today_date()
    except ValueError:
        raise ConfigError(f"{PREFIX}TODAY={settings.today!r} is not a date",
                          hint=f"set {PREFIX}TODAY to a date like 2025-03-31, or unset it for the real date") from None
    return settings
