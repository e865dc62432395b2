"""The graph: model, stores (embedded FalkorDB, FalkorDB server, Neo4j) and schema."""

from .backends import open_store
from .store import GraphStore
from .types import Node, Path, Rel, Result

__all__ = ["GraphStore", "open_store", "Node", "Rel", "Path", "Result"]
