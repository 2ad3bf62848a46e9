"""What every real-peer test needs first: the peer program, or a clear skip (a failure under CI)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, sync_playwright

__all__ = ["CHROMIUM", "chromium", "need"]

CHROMIUM = "/usr/bin/chromium"  # Debian's package: Playwright never downloads a browser of its own
# headless as root, and quiet: no background connections this machine's closed network would refuse
_CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


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


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, for the browser tests."""
    need("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=_CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
