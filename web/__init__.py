"""The Flask explorer: ``create_app`` builds it; ``mashgraph serve`` runs it.

Production: ``gunicorn 'mashgraph.web:create_app()'`` (see docs/web.md).
"""

from .app import create_app

__all__ = ["create_app"]
