"""Find a Chromium for the browser test (tests/test_browser.py), the way users have one.

    python tools/find_browser.py            # prints the path; or one line of advice, status 1
    python tools/find_browser.py --install  # the same, after installing one if none is found

Checked in order, the first executable file wins:

1. ``$ORCHESTRA_CHROMIUM``, a path you choose;
2. the system's: Debian's and Ubuntu's ``/usr/bin/chromium`` (or ``chromium-browser``),
   Google Chrome on Linux, Google Chrome or Chromium in ``/Applications`` on macOS, then
   ``chromium``, ``google-chrome``... on ``PATH``;
3. Playwright's own Chromium (``playwright install chromium``), at the path Playwright names.

``ORCHESTRA_NO_SYSTEM_BROWSER=1`` skips step 2: it plays a laptop without a browser on a
machine that has one (``make test`` then installs Playwright's, or says what to install).

``--install`` (run by ``make test``) installs a browser when none is found: Debian's chromium
with apt-get when run as root, else Playwright's own (a download, logged to build/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
PLAYWRIGHT_LOG = Path(__file__).resolve().parent.parent / "build" / "playwright-install.log"


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


def install() -> None:
    """Install a browser: Debian's chromium as root with apt-get, else Playwright's Chromium."""
    system_allowed = not os.environ.get("ORCHESTRA_NO_SYSTEM_BROWSER")
    if system_allowed and os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's chromium for the browser test", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"env": env, "stdout": subprocess.DEVNULL}
        if subprocess.run(["apt-get", "update", "-qq"], **quiet).returncode == 0:
            subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], **quiet)
    if find_browser() is None:
        PLAYWRIGHT_LOG.parent.mkdir(exist_ok=True)
        print(f"Installing Playwright's Chromium (log: {PLAYWRIGHT_LOG})", flush=True)
        with PLAYWRIGHT_LOG.open("w") as log:  # its errors are many lines; advice() is one
            playwright = [sys.executable, "-m", "playwright", "install", "--no-shell", "chromium"]
            subprocess.run(playwright, stdout=log, stderr=subprocess.STDOUT)


if __name__ == "__main__":
    found = find_browser()
    if found is None and sys.argv[1:] == ["--install"]:
        install()
        found = find_browser()
    print(found if found else advice(), file=sys.stdout if found else sys.stderr)
    sys.exit(0 if found else 1)
