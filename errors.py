"""The exception tree of mashgraph.

::

    MashgraphError                 root; every error a user can see
    +-- ConfigError                a setting or command-line value is wrong
    +-- StoreUnavailable           the graph store cannot be opened or reached
    +-- QueryError                 a Cypher statement failed
    |   +-- ReadOnlyViolation      a write was sent through ``read``
    |   +-- QueryTimeout           a statement ran past its timeout
    +-- SchemaError                constraints or indexes could not be applied
    +-- MappingError               a source mapping (YAML) is invalid
    +-- ValidationError            an input row or file is invalid
    +-- SavedQueryError            a saved query file or its parameters are invalid

Every error carries ``hint``: what the user should do next. Backends translate
driver exceptions into this tree at their boundary, so callers never see a
redis or neo4j exception.
"""

from __future__ import annotations

__all__ = [
    "MashgraphError",
    "ConfigError",
    "StoreUnavailable",
    "QueryError",
    "ReadOnlyViolation",
    "QueryTimeout",
    "SchemaError",
    "MappingError",
    "ValidationError",
    "SavedQueryError",
]


class MashgraphError(Exception):
    """Root of every error mashgraph raises on purpose.

    ``str(err)`` is one line saying what failed; ``err.hint`` says what to do.
    """

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and the hint as one line for a CLI user."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(MashgraphError):
    exit_code = 2
    http_status = 400


class StoreUnavailable(MashgraphError):
    exit_code = 3
    http_status = 503


class QueryError(MashgraphError):
    exit_code = 4
    http_status = 400


class ReadOnlyViolation(QueryError):
    http_status = 403


class QueryTimeout(QueryError):
    http_status = 504


class SchemaError(MashgraphError):
    exit_code = 5


class MappingError(MashgraphError):
    exit_code = 6
    http_status = 400


class ValidationError(MashgraphError):
    exit_code = 7
    http_status = 400


class SavedQueryError(MashgraphError):
    exit_code = 8
    http_status = 400
