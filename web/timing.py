"""``Server-Timing`` on every response: how long the app took, so a browser's developer tools
and ``bench/bench_web.py`` can tell server time from network and client time.

Only a duration is sent (``app;dur=12.3``, milliseconds), never what the time was spent on.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, g

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register first: the first ``before_request`` runs first and the first ``after_request`` last."""
    app.before_request(_start)
    app.after_request(_stamp)


def _start() -> None:
    g.request_started = time.perf_counter()


def _stamp(response: Any) -> Any:
    started = g.get("request_started")
    if started is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response
