"""The simulator for the conformance run: the kit's own CLI, started from the kit's .venv.

This environment holds only langchain-tests and the integration, so the simulator runs as a
subprocess (``orchestra sim serve --port 0``); its URL is read from the first line it prints.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def simulator_url():
    exe = os.environ.get("ORCHESTRA_SIM_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    proc = subprocess.Popen(
        [exe, "-m", "orchestra", "sim", "serve", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+", line).group()
    os.environ["ANTHROPIC_BASE_URL"], os.environ["ANTHROPIC_API_KEY"] = url, "sim-placeholder-key"
    yield url
    proc.terminate()
    proc.wait(10)
