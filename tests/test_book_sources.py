"""The book's sources: each notebook matches its percent-format source, and the sources are linted.

A chapter or solution is edited as ``notebooks/NN_name.py`` / ``solutions/NN_name.py`` (or in
JupyterLab, which saves both); ``make notebooks`` builds the notebooks from them
(tools/notebooks/build.py). These checks fail when a source and its notebook part.
"""

from __future__ import annotations

import re
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


def math_delimiters(markdown: str) -> list[str]:
    """Each ``$`` outside code not escaped as JupyterLab needs (``\\\\$``, see orchestra/text.py),
    with what follows it: JupyterLab typesets the text between two as LaTeX."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return [prose[m.start() : m.start() + 30] for m in re.finditer(r"(?<!\\\\)\$", prose)]


def test_a_math_detector_that_sees_prices_and_passes_escapes_and_code():
    assert math_delimiters("costs $0.0029 and 51%, against $0.0031") != []
    # one backslash is Markdown's escape, undone before MathJax reads the page: two are needed
    assert math_delimiters(r"costs \$0.0029 and 51%, against \$0.0031") != []
    assert math_delimiters(r"costs \\$0.0029 and 51%, against \\$0.0031") == []
    assert math_delimiters("run `echo $HOME` and\n```\nx = '$1'\n```") == []


@pytest.mark.parametrize(
    "notebook", CHAPTERS + SOLUTIONS + EXERCISES, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_markdown_shows_dollars_as_written(notebook):
    """Markdown cells and Markdown outputs have no ``$`` that JupyterLab would read as maths
    (``orchestra.viz.prose`` escapes them in generated sentences)."""
    found = []
    for i, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        texts = [cell.source] if cell.cell_type == "markdown" else []
        texts += [
            o.data["text/markdown"]
            for o in cell.get("outputs", [])
            if "data" in o and "text/markdown" in o.data
        ]
        found += [f"cell {i}: {d!r}" for t in texts for d in math_delimiters(t)]
    assert found == [], f"unescaped $ (typeset as maths in JupyterLab): {found}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda p: p.name)
def test_every_exercise_ends_with_an_answer_in_code_and_a_rubric_for_make_grade(exercise):
    """The answer is the string ``answer`` in a code cell (read live by the kernel, so nothing
    needs saving), and the review cell is tagged ``rubric`` for ``make grade``."""
    cells = nbformat.read(exercise, as_version=4).cells
    tag = f"answer-{exercise.name[:2]}"
    answers = [c for c in cells if tag in c.metadata.get("tags", [])]
    rubrics = [c for c in cells if "rubric" in c.metadata.get("tags", [])]
    assert [c.cell_type for c in answers] == ["code"] and len(rubrics) == 1
    assert answers[0].source.startswith('answer = """')
    assert "await review(answer," in rubrics[0].source and "answer_in" not in rubrics[0].source


def call_at(source: str, start: int) -> str:
    """The call that starts at ``start`` (its name), up to its balanced closing parenthesis."""
    depth, i = 0, source.index("(", start)
    for j in range(i, len(source)):
        depth += {"(": 1, ")": -1}.get(source[j], 0)
        if depth == 0:
            return source[start : j + 1]
    raise AssertionError(f"unclosed call at {start}")


def test_every_comparison_figure_shows_quality():
    """``viz.compare`` without ``quality=`` draws cost alone, which does not pick an
    implementation: every chapter names the column that says how good each one's results were."""
    calls = {
        f"{p.name}:{source[: m.start()].count(chr(10)) + 1}": call_at(source, m.start())
        for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
        for source in [p.read_text()]
        for m in re.finditer(r"viz\.compare\(", source)
    }
    assert len(calls) >= 8, calls  # the chapters that compare implementations
    assert [where for where, call in calls.items() if "quality=" not in call] == []
