"""The book's sources: each notebook matches its percent-format source, and the sources are linted.

A chapter or solution is edited as ``notebooks/NN_name.py`` / ``solutions/NN_name.py`` (or in
JupyterLab, which saves both); ``make notebooks`` builds the notebooks from them
(tools/notebooks/build.py). These checks fail when a source and its notebook part.
"""

from __future__ import annotations

import subprocess
import sys

import jupytext
import nbformat
import pytest
from test_notebooks import CHAPTERS, EXERCISES, ROOT, SOLUTIONS

sys.path.insert(0, str(ROOT / "tools" / "notebooks"))
import build  # noqa: E402

SOURCES = build.sources()


def inputs(book) -> list[tuple]:
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in book.cells]


def test_every_notebook_has_its_source():
    assert {p.with_suffix(".ipynb") for p in SOURCES} == set(CHAPTERS + SOLUTIONS)
    assert {p.name for p in EXERCISES} == {p.name for p in SOLUTIONS}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_matches_its_source(source):
    book = jupytext.read(source)
    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert inputs(notebook) == inputs(book), "run `make notebooks` after editing the source"
    assert notebook.metadata.get("orchestra") == book.metadata.get("orchestra")
    if source.parent.name == "solutions":
        exercise = nbformat.read(ROOT / "exercises" / source.with_suffix(".ipynb").name, 4)
        assert inputs(exercise) == inputs(build.exercise(book))
        assert exercise.metadata.get("language_info", {}).get("version"), (
            "an exercise carries the kernel's language_info, or JupyterLab changes it on opening"
        )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_test_markers_are_tags_not_comments(source):
    assert "NBVAL_" not in source.read_text(), "use the tags nbval-ignore-output / nbval-skip"


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_sources_pass_ruff(command):
    ruff = [sys.executable, "-m", "ruff", *command, "notebooks", "solutions", "tools/notebooks"]
    done = subprocess.run(ruff, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
