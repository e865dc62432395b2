"""One module per engine: ``falkordb`` (server and shared FalkorDB code), ``embedded`` (falkordblite), ``neo4j``."""
