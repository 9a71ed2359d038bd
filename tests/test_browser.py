"""A real browser: JupyterLab runs chapter 09, a person clicks Approve, the workflow completes.

JupyterLab is started from the kit's own environment on loopback, on a copy of the notebooks
(so nothing the browser does is saved into the repo), and driven by Playwright's Python
package with the Chromium or Chrome that tools/find_browser.py finds (``executable_path``):
the system's, or Playwright's own. ``make test`` runs this test last, after finding or
installing a browser. A screenshot of the review panel is saved as build/hitl_panel.png.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tools.find_browser import advice, find_browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "09_human_in_the_loop.ipynb"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a copy of notebooks/, on 127.0.0.1; yields (base url, token)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(root / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
    }
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root / 'notebooks'}",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # bounded wait for the server
            if proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(
                f"JupyterLab did not start: {(root / 'lab.log').read_text()[-2000:]}"
            )
        yield url, token
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


@pytest.fixture(scope="module")
def chromium() -> Path:
    """The browser's path; found before Playwright starts (finding may ask Playwright)."""
    found = find_browser()
    if found is None:
        pytest.fail(advice(), pytrace=False)
    return found


def test_approve_in_the_review_panel_completes_the_run(chromium, lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, token = lab
    shots = ROOT / "build"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
            page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
            select = page.get_by_role("button", name="Select", exact=True)
            try:  # a fresh JupyterLab asks which kernel to start; the notebook names "orchestra"
                select.wait_for(state="visible", timeout=15_000)
                select.click()
            except PlaywrightTimeout:
                pass
            page.get_by_text("Python (orchestra) | Idle").first.wait_for(timeout=60_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            approve = page.get_by_role("button", name="Approve", exact=True).first
            approve.wait_for(state="visible", timeout=120_000)
            no_news = page.get_by_role("button", name="No", exact=True)
            if no_news.count():
                no_news.first.click()  # JupyterLab's "news?" toast would cover the page
            approve.scroll_into_view_if_needed()
            time.sleep(1.0)  # let the notebook finish: the last cells run after the panel shows
            page.screenshot(path=str(shots / "hitl_panel.png"))
            approve.click()
            done = page.locator(".jp-OutputArea-output", has_text="status: completed").first
            done.wait_for(state="visible", timeout=60_000)
            done.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "hitl_approved.png"))
        except Exception:
            page.screenshot(path=str(shots / "hitl_failure.png"))
            raise
        finally:
            browser.close()
