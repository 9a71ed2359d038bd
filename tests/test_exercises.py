"""Exercises: every check fails on the unsolved exercise, and every committed notebook is clean.

A check that passes on an empty stub grades nothing. The solutions are run (and their checks
required to pass) by tests/test_notebooks.py and nbval.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from nbclient import NotebookClient
from test_notebooks import CHAPTERS, EXERCISES, ROOT, SOLUTIONS, second_parameters, with_parameters

KEY = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")
MACHINE_PATH = re.compile(r"/(root|home|tmp|Users|var/folders)/|site-packages")  # Linux, macOS


@pytest.mark.parametrize("nb", EXERCISES, ids=lambda p: p.name)
def test_unsolved_exercise_fails_every_check(nb):
    """Run all cells, errors allowed: each cell tagged "check" must fail on the stubs.

    A check that passes on an empty stub grades nothing; that is a defect of the exercise. The
    run uses the solution's second parameter set, and the first cell to fail must be where the
    unsolved work shows (a check, or a TODO stub's NotImplementedError): anything else is a bug.
    """
    solution = ROOT / "solutions" / nb.name
    book = nbformat.read(nb, as_version=4)
    params = book.metadata.get("orchestra", {}).get("test_parameters")
    with_parameters(book, params or second_parameters(solution))
    NotebookClient(
        book,
        kernel_name="orchestra",
        allow_errors=True,
        timeout=300,
        resources={"metadata": {"path": str(nb.parent)}},
    ).execute()
    checks = [c for c in book.cells if "check" in c.metadata.get("tags", [])]
    assert checks, f"{nb.name} has no cell tagged 'check'"
    passing = [
        c.source.splitlines()[0]
        for c in checks
        if not any(o.output_type == "error" for o in c.outputs)
    ]
    assert passing == [], f"checks that pass on the unsolved exercise: {passing}"
    failed = next(
        c for c in book.cells if any(o.output_type == "error" for o in c.get("outputs", []))
    )
    error = next(o for o in failed.outputs if o.output_type == "error")
    stub = error.ename == "NotImplementedError"
    assert stub or "check" in failed.metadata.get("tags", []), (
        f"{nb.name} failed outside a check cell: {error.ename}: {error.evalue}"
    )


@pytest.mark.parametrize("nb", SOLUTIONS, ids=lambda p: p.name)
def test_solution_has_its_exercise(nb):
    exercise = ROOT / "exercises" / nb.name
    assert exercise.exists(), f"solutions/{nb.name} has no exercises/{nb.name}"
    tags = lambda path: sum(
        "check" in c["metadata"].get("tags", [])  # noqa: E731
        for c in json.loads(path.read_text())["cells"]
    )
    assert tags(nb) == tags(exercise) > 0, "exercise and solution must have the same checks"


@pytest.mark.parametrize(
    "nb", CHAPTERS + SOLUTIONS + EXERCISES, ids=lambda p: f"{p.parent.name}/{p.name}"
)
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
