"""tools/find_browser.py: the order in which a browser is looked for, on fake files (no browser)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools import find_browser as fb

ROOT = Path(__file__).resolve().parent.parent


def fake_exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A fake machine with one browser in every place find_browser looks."""
    places = {
        "env": fake_exe(tmp_path / "mine" / "chrome"),
        "debian": fake_exe(tmp_path / "usr/bin/chromium"),
        "chrome": fake_exe(tmp_path / "usr/bin/google-chrome"),
        "mac": fake_exe(tmp_path / "Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
        "user-mac": fake_exe(tmp_path / "home/Applications/Chromium.app/Contents/MacOS/Chromium"),
        "path": fake_exe(tmp_path / "bin" / "chromium-browser"),
        "playwright": fake_exe(tmp_path / "ms-playwright/chromium-1/chrome-linux64/chrome"),
    }
    monkeypatch.setenv("ORCHESTRA_CHROMIUM", str(places["env"]))
    monkeypatch.delenv("ORCHESTRA_NO_SYSTEM_BROWSER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(fb, "SYSTEM_PATHS", [places["debian"], places["chrome"]])
    monkeypatch.setattr(fb, "APP_DIRS", [tmp_path / "Applications", tmp_path / "home/Applications"])
    monkeypatch.setattr(fb, "playwright_chromium", lambda: places["playwright"])
    return places


def test_each_place_is_tried_in_order(machine):
    order = ["env", "debian", "chrome", "mac", "user-mac", "path", "playwright"]
    for name in order:
        assert fb.find_browser() == machine[name]
        machine[name].unlink()  # take it away: the next place is used
    assert fb.find_browser() is None


def test_a_missing_or_unset_orchestra_chromium_falls_through(machine, monkeypatch):
    monkeypatch.setenv("ORCHESTRA_CHROMIUM", str(machine["env"].with_name("absent")))
    assert fb.find_browser() == machine["debian"]
    monkeypatch.delenv("ORCHESTRA_CHROMIUM")
    assert fb.find_browser() == machine["debian"]


def test_a_file_that_is_not_executable_is_skipped(machine):
    machine["env"].chmod(0o644)
    assert fb.find_browser() == machine["debian"]


def test_no_system_browser_leaves_the_chosen_path_and_playwright(machine, monkeypatch):
    monkeypatch.setenv("ORCHESTRA_NO_SYSTEM_BROWSER", "1")
    assert fb.find_browser() == machine["env"]
    machine["env"].unlink()
    assert fb.find_browser() == machine["playwright"]


def test_playwright_is_asked_only_when_nothing_else_is_found(machine, monkeypatch):
    monkeypatch.setattr(fb, "playwright_chromium", lambda: pytest.fail("asked Playwright"))
    assert fb.find_browser() == machine["env"]


def run_script(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """tools/find_browser.py on a bare machine: no system browser, Playwright's not installed."""
    env = {
        "PATH": str(tmp_path),
        "HOME": str(tmp_path),
        "ORCHESTRA_NO_SYSTEM_BROWSER": "1",
        "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "none"),
        **env,
    }
    script = [sys.executable, "tools/find_browser.py", *args]
    return subprocess.run(script, cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_script_says_what_to_install_in_one_line(tmp_path):
    out = run_script(tmp_path)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.strip() == fb.advice()


def test_install_installs_nothing_when_a_browser_is_found(tmp_path):
    mine = fake_exe(tmp_path / "chrome")
    out = run_script(tmp_path, "--install", ORCHESTRA_CHROMIUM=str(mine))
    assert (out.returncode, out.stdout, out.stderr) == (0, f"{mine}\n", "")
