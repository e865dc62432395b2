"""mashgraph: a knowledge-graph explorer for multi-agency safeguarding hubs.

The repository root is this package: ``graph/`` (stores, schema), ``ingest/``
(batch jobs, synthetic data, entity resolution), ``web/`` (the Flask explorer)
and ``queries/`` (saved Cypher queries).
"""

__version__ = "0.1.0"
