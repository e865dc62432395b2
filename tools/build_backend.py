"""Build backend: setuptools, without the note it prints on every editable install of this layout.

setuptools installs a package mapped to a folder (``package-dir``: the
repository root is the ``mashgraph`` package) in editable mode through an
import hook, and then always emits an "Editable installation" note (a warning
of class ``InformationOnly``) about folders named like the package in the
working directory. There is none here, so that one note is filtered. Every
other warning still shows; ``tests/test_packaging.py`` fails on any.
"""

from __future__ import annotations

import warnings

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403  every other hook as setuptools has it
from setuptools.warnings import InformationOnly


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Editable installation", category=InformationOnly)
        return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
