"""One module per engine, and ``open_store``, which picks one from a table keyed by URL scheme.

- ``embedded``: FalkorDB in a private server started from this process (``falkordblite``); a path;
- ``falkordb``: a FalkorDB server (``redis://``, ``falkor://``) and the FalkorDB code both share;
- ``neo4j``: Neo4j 5 through the official driver (``bolt://``, ``neo4j://``).

Each backend class names its own schemes; the table is built from them, so adding an
engine is one module and one line here. The engines' client libraries are imported only
when a store is opened.

>>> backend_for_url("bolt://db:7687"), backend_for_url("redis://h:6379"), backend_for_url("./data/graph")
('neo4j', 'falkordb-server', 'embedded')
"""

from __future__ import annotations

from pathlib import Path

from ...errors import ConfigError
from ...settings import Settings, load_settings
from ..store import GraphStore
from .embedded import EmbeddedStore
from .falkordb import FalkorServerStore
from .neo4j import Neo4jStore

__all__ = ["BACKENDS", "open_store", "backend_for_url", "store_class_for", "local_dir_for_url"]

BACKENDS: dict[str, type[GraphStore]] = {
    scheme: cls for cls in (EmbeddedStore, FalkorServerStore, Neo4jStore) for scheme in cls.schemes
}


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def store_class_for(url: str) -> type[GraphStore]:
    """The backend class that serves ``url`` (``ConfigError`` for an unknown scheme)."""
    try:
        return BACKENDS[_scheme(url)]
    except KeyError:
        raise ConfigError(
            f"unknown graph store URL scheme {_scheme(url)!r} in {url!r}",
            hint="use a directory path, redis://host:port, falkor://host:port or bolt://host:7687",
        ) from None


def backend_for_url(url: str) -> str:
    """The name of the backend that serves ``url``: ``neo4j``, ``falkordb-server`` or ``embedded``."""
    return store_class_for(url).kind


def local_dir_for_url(url: str) -> Path | None:
    """The directory on this machine holding the graph at ``url``, or None for a server."""
    return store_class_for(url).local_dir_for(url)


def open_store(url: str | None = None, settings: Settings | None = None) -> GraphStore:
    """Open the store at ``url`` (default ``settings.db``, i.e. ``MASHGRAPH_DB`` or ``./data/graph``)."""
    settings = settings or load_settings()
    url = url or settings.db
    return store_class_for(url)(url, settings)
