"""Notebooks: every chapter and solution runs with a second parameter set (papermill).

A chapter's second set picks ``backend="anthropic"``: its real-Claude path, rehearsed against a
simulator (``ORCHESTRA_ANTHROPIC_URL`` and ``ANTHROPIC_BASE_URL`` point there, with a
placeholder key), so a request that today's API would refuse (a temperature on a 5.x model, a
retired model, a forced tool on Sonnet 5.5) fails the test instead of a learner's run. A
chapter that shows refusals on purpose (00, 07) says how many in its metadata
(``orchestra.refusals_shown``).

nbval, run on notebooks/ and solutions/ by the pytest options in pyproject.toml, re-executes
them with their defaults and compares the committed outputs (after tests/nbval_sanitize.cfg).
Exercises are checked in tests/test_exercises.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill
import pytest

from orchestra.wire import PLACEHOLDER_KEY

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))


def execute(nb: Path, out: Path, parameters: dict) -> dict:
    papermill.execute_notebook(
        str(nb),
        str(out),
        parameters=parameters,
        kernel_name="orchestra",
        cwd=str(nb.parent),
        progress_bar=False,
        execution_timeout=300,
    )
    return json.loads(out.read_text())


def with_parameters(book: nbformat.NotebookNode, params: dict) -> nbformat.NotebookNode:
    """``book`` with ``params`` set at the end of its parameters cell (as papermill would)."""
    cell = next(c for c in book.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += "\n" + "\n".join(f"{k} = {v!r}" for k, v in params.items())
    return book


def second_parameters(nb: Path) -> dict:
    meta = json.loads(nb.read_text())["metadata"].get("orchestra", {})
    assert meta.get("test_parameters"), f"{nb.name} names no test_parameters in its metadata"
    return meta["test_parameters"]


@pytest.mark.parametrize("nb", CHAPTERS + SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_runs_with_a_second_parameter_set(nb, tmp_path, sim, monkeypatch):
    params = second_parameters(nb)
    if params.get("backend") == "anthropic":  # the real path, against the simulator
        for name in ("ORCHESTRA_ANTHROPIC_URL", "ANTHROPIC_BASE_URL"):
            monkeypatch.setenv(name, sim.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", PLACEHOLDER_KEY)
    since = len(sim.log)
    executed = execute(nb, tmp_path / nb.name, params)
    errors = [
        o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert errors == []
    refused = [e.get("error") for e in list(sim.log)[since:] if e.get("status") in (400, 404)]
    shown = json.loads(nb.read_text())["metadata"].get("orchestra", {}).get("refusals_shown", 0)
    assert len(refused) == shown, (
        f"{len(refused)} requests today's API refuses, {shown} of them shown on purpose "
        f"(metadata orchestra.refusals_shown): {refused}"
    )


def test_every_chapter_rehearses_its_real_path():
    for nb in CHAPTERS:
        assert second_parameters(nb).get("backend") == "anthropic", nb.name
