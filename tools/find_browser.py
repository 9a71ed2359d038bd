"""Find a Chromium for the browser test (tests/test_browser.py), the way users have one.

    python tools/find_browser.py    # prints the path; or one line of advice and exit status 1

Checked in order, the first executable file wins:

1. ``$ORCHESTRA_CHROMIUM``, a path you choose;
2. the system's: Debian's and Ubuntu's ``/usr/bin/chromium`` (or ``chromium-browser``),
   Google Chrome on Linux, Google Chrome or Chromium in ``/Applications`` on macOS, then
   ``chromium``, ``google-chrome``... on ``PATH``;
3. Playwright's own Chromium (``playwright install chromium``), at the path Playwright names.

``ORCHESTRA_NO_SYSTEM_BROWSER=1`` skips step 2: it plays a laptop without a browser on a
machine that has one (``make test`` then installs Playwright's, or says what to install).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

SYSTEM_PATHS = [
    Path("/usr/bin/chromium"),
    Path("/usr/bin/chromium-browser"),
    Path("/usr/bin/google-chrome"),
]
MACOS_APPS = [
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Chromium.app/Contents/MacOS/Chromium",
]
APP_DIRS = [Path("/Applications"), Path.home() / "Applications"]
NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]


def playwright_chromium() -> Path | None:
    """Where Playwright keeps its own Chromium (installed or not); None without Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:  # starts Playwright's driver (about a second)
        return Path(p.chromium.executable_path)


def candidates() -> Iterator[Path]:
    """Every place a browser may be, in the order they are tried; lazily, so the slow
    Playwright lookup runs only when nothing before it is found."""
    if os.environ.get("ORCHESTRA_CHROMIUM"):
        yield Path(os.environ["ORCHESTRA_CHROMIUM"])
    if not os.environ.get("ORCHESTRA_NO_SYSTEM_BROWSER"):
        yield from SYSTEM_PATHS
        yield from (folder / app for folder in APP_DIRS for app in MACOS_APPS)
        yield from (Path(found) for name in NAMES if (found := shutil.which(name)))
    if managed := playwright_chromium():
        yield managed


def find_browser() -> Path | None:
    """The first Chromium or Chrome found, or None: ``find_browser()`` -> /usr/bin/chromium."""
    return next((p for p in candidates() if p.is_file() and os.access(p, os.X_OK)), None)


def advice() -> str:
    """One line: what to install on this platform to get a browser."""
    system = (
        "install Google Chrome"
        if sys.platform == "darwin"
        else "install chromium (sudo apt-get install chromium)"
    )
    return (
        f"No Chromium for the browser test: {system}, or run `.venv/bin/playwright install"
        " chromium`, or set ORCHESTRA_CHROMIUM=/path/to/chrome"
    )


if __name__ == "__main__":
    found = find_browser()
    print(found if found else advice(), file=sys.stdout if found else sys.stderr)
    sys.exit(0 if found else 1)
