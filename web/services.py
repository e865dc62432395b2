"""What a view needs from outside Flask: the settings, the accounts and the graph store of the app.

Views import these functions, never the app factory (as ``db.py`` in Flask's tutorial), so
``create_app`` only wires things together and nothing imports it back.
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

from flask import Flask, current_app

from ..graph import GraphStore, open_store
from ..graph.backends import local_dir_for_url
from ..settings import Settings
from .accounts import Accounts

__all__ = ["Services", "init_services", "services_of", "get_store", "get_accounts", "get_settings", "users_db_path"]

_EXTENSION = "mashgraph"


def users_db_path(settings: Settings) -> Path:
    """Where the users and audit database lives (``users_db``, or beside a local graph's data)."""
    if settings.users_db:
        return Path(settings.users_db).expanduser()
    local = local_dir_for_url(settings.db)
    if local is not None:
        return local.parent / "mashgraph.sqlite"
    return Path("./data/mashgraph.sqlite")


class Services:
    """Settings, accounts and the store of one app; the store is opened on first use, once."""

    def __init__(self, settings: Settings, accounts: Accounts, store: GraphStore | None) -> None:
        self.settings = settings
        self.accounts = accounts
        self._store = store
        self._owns_store = store is None
        self._lock = threading.Lock()

    def store(self) -> GraphStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings.db, self.settings)
                    atexit.register(self.close)
        return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None and self._owns_store:
                self._store.close()
                self._store = None


def init_services(app: Flask, settings: Settings, accounts: Accounts, store: GraphStore | None) -> Services:
    """Attach the services to ``app``; ``store`` injects an open store the app will not close."""
    services = app.extensions[_EXTENSION] = Services(settings, accounts, store)
    return services


def services_of(app: Flask) -> Services:
    """The services attached to ``app`` by ``init_services``."""
    return app.extensions[_EXTENSION]


def _services() -> Services:
    return services_of(current_app)


def get_store() -> GraphStore:
    """The app's graph store (opened on first use, kept for the process)."""
    return _services().store()


def get_accounts() -> Accounts:
    """The app's user accounts and audit log."""
    return _services().accounts


def get_settings() -> Settings:
    """The app's settings."""
    return _services().settings
