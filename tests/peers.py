"""What every real-peer test needs first: the peer program, or a clear skip (a failure under CI)."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["need"]


def need(tool: str) -> str:
    """The path of ``tool``; skip when it is missing, but fail under ``CI=true`` where it is required
    (`make test` installs sipp, baresip, espeak-ng and chromium from Debian's packages)."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (`make system-deps` installs the Debian packages)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: it is required", pytrace=False)
        pytest.skip(message)
    return path
