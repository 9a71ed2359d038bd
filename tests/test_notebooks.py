"""Notebooks: every chapter and solution runs with a second parameter set (papermill), and every
unsolved exercise fails its checks. nbval, run on notebooks/ and solutions/ by the pytest
options in pyproject.toml, re-executes them with their defaults and compares the committed
outputs (after tests/nbval_sanitize.cfg)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
KEY = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")
MACHINE_PATH = re.compile(r"/(root|home|tmp)/|site-packages")


def execute(nb: Path, out: Path, parameters: dict) -> dict:
    papermill.execute_notebook(str(nb), str(out), parameters=parameters, kernel_name="orchestra",
                               cwd=str(nb.parent), progress_bar=False, execution_timeout=300)
    return json.loads(out.read_text())


def second_parameters(nb: Path) -> dict:
    meta = json.loads(nb.read_text())["metadata"].get("orchestra", {})
    assert meta.get("test_parameters"), f"{nb.name} names no test_parameters in its metadata"
    return meta["test_parameters"]


@pytest.mark.parametrize("nb", CHAPTERS + SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_runs_with_a_second_parameter_set(nb, tmp_path):
    executed = execute(nb, tmp_path / nb.name, second_parameters(nb))
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []


@pytest.mark.parametrize("nb", EXERCISES, ids=lambda p: p.name)
def test_unsolved_exercise_fails_every_check(nb):
    """Run all cells, errors allowed: each cell tagged "check" must fail on the stubs.

    A check that passes on an empty stub grades nothing; that is a defect of the exercise.
    """
    book = nbformat.read(nb, as_version=4)
    NotebookClient(book, kernel_name="orchestra", allow_errors=True, timeout=300,
                   resources={"metadata": {"path": str(nb.parent)}}).execute()
    checks = [c for c in book.cells if "check" in c.metadata.get("tags", [])]
    assert checks, f"{nb.name} has no cell tagged 'check'"
    passing = [c.source.splitlines()[0] for c in checks
               if not any(o.output_type == "error" for o in c.outputs)]
    assert passing == [], f"checks that pass on the unsolved exercise: {passing}"


@pytest.mark.parametrize("nb", SOLUTIONS, ids=lambda p: p.name)
def test_solution_has_its_exercise(nb):
    exercise = ROOT / "exercises" / nb.name
    assert exercise.exists(), f"solutions/{nb.name} has no exercises/{nb.name}"
    tags = lambda path: sum("check" in c["metadata"].get("tags", [])  # noqa: E731
                            for c in json.loads(path.read_text())["cells"])
    assert tags(nb) == tags(exercise) > 0, "exercise and solution must have the same checks"


@pytest.mark.parametrize("nb", CHAPTERS + SOLUTIONS + EXERCISES,
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_notebooks_are_clean(nb):
    data = json.loads(nb.read_text())
    assert data["metadata"]["kernelspec"]["name"] == "orchestra"
    code = [c for c in data["cells"] if c["cell_type"] == "code"]
    assert any("parameters" in c["metadata"].get("tags", []) for c in code), "no parameters cell"
    text = json.dumps([c.get("outputs", []) for c in code])
    assert not KEY.search(text), "an API key appears in the outputs"
    if nb.parent.name != "exercises":
        assert all(c.get("outputs") is not None for c in code)
        assert any(c.get("outputs") for c in code), "outputs not committed"
        assert "Warning" not in text, "a warning is committed in the outputs"
        assert not MACHINE_PATH.search(text), "a machine path is committed in the outputs"
