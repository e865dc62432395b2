"""Files that hold personal data (quarantined rows, exports, model files) are owner-only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

__all__ = ["open_private"]


def open_private(path: str | os.PathLike[str]) -> IO[str]:
    """Open ``path`` for writing text with mode 0600, also when it already exists.

    Raises ``OSError`` like ``open``; callers turn it into a one-line error.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")
