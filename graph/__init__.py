"""The graph: model, stores (embedded FalkorDB, FalkorDB server, Neo4j) and schema."""

from .store import GraphStore, open_store
from .types import Node, Path, Rel, Result

__all__ = ["GraphStore", "open_store", "Node", "Rel", "Path", "Result"]
