"""Build the book: every chapter, solution and exercise notebook from its percent-format source.

    make notebooks                                              # everything
    .venv/bin/python tools/notebooks/build.py solutions/03_router.py   # one source

Sources are Python files in jupytext's percent format, each beside the notebook it is paired
with (``notebooks/jupytext.toml`` and ``solutions/jupytext.toml`` declare the pairing, so
JupyterLab keeps the two in sync when either is edited):

- ``notebooks/NN_name.py`` → ``notebooks/NN_name.ipynb`` (a chapter), executed;
- ``solutions/NN_name.py`` → ``solutions/NN_name.ipynb``, executed, and
  ``exercises/NN_name.ipynb``, the same cells with each solution replaced by its stub, written
  without outputs (the exercise is not paired: it is the learner's copy).

A cell is ``# %%`` (code) or ``# %% [markdown]``; tags and other cell metadata follow on the
same line: ``# %% tags=["parameters"]``. The notebook's metadata (kernelspec, and the second
parameter set the tests run under ``orchestra.test_parameters``) lives in the source's header.
Test markers are cell tags, never comments in code: ``nbval-ignore-output`` for an output that
varies (wall-clock), ``check`` for an exercise's check cell.

Solution markers (nbgrader's, plus an explicit stub). In a code cell of a solution:

    async def validate(state):
        ### BEGIN SOLUTION
        return {"product": Product.model_validate(state.extracted.model_dump())}
        ### END SOLUTION
        ### BEGIN STUB
        # # TODO: turn state.extracted into a Product
        # raise NotImplementedError
        ### END STUB

The exercise gets the STUB block's lines, uncommented (``# `` removed after the marker's
indentation), in place of the SOLUTION block; the solution notebook shows both, the stub as a
comment. Without a STUB block the exercise gets ``raise NotImplementedError  # your code here``.
A markdown cell whose whole text is the answer carries its stub as metadata instead:
``# %% [markdown] tags=["answer-01"] stub="_Your answer here._"``.

Execution: the ``orchestra`` kernel, working directory the notebook's folder, widget state
saved (so a committed progress bar or review panel renders without a kernel; its controls saved
disabled, with a tooltip saying why, since no kernel answers their clicks). Volatile
metadata is stripped and widget ids are numbered in order, so rebuilding an unchanged tree
changes only wall-clock numbers.

If a notebook was edited outside JupyterLab's pairing (its inputs differ from the source and
it is newer), its inputs are first written back to the source, so the edit is not lost.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["notebooks", "solutions"]
KERNEL = "orchestra"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_STUB, END_STUB = "### BEGIN STUB", "### END STUB"


def exercise_source(source: str) -> str:
    """A solution cell's source with each SOLUTION block replaced by its STUB block."""
    lines, out, i = source.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != BEGIN:
            out.append(line)
            i += 1
            continue
        pad = line[: len(line) - len(line.lstrip())]
        i = _find(lines, END, i) + 1
        if i < len(lines) and lines[i].strip() == BEGIN_STUB:
            end = _find(lines, END_STUB, i)
            for stub in lines[i + 1 : end]:
                body = stub[len(pad) :]
                line = pad + (body[2:] if body.startswith("# ") else body[1:])
                out.append(line if line.strip() else "")
            i = end + 1
        else:
            out.append(pad + "raise NotImplementedError  # your code here")
    return "\n".join(out)


def _find(lines: list[str], marker: str, start: int) -> int:
    for i in range(start, len(lines)):
        if lines[i].strip() == marker:
            return i
    raise ValueError(f"no {marker!r} after line {start + 1}:\n" + "\n".join(lines))


RAISES = "raises-exception"  # JupyterLab's Run All (and nbclient) go on past such a cell


def exercise(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The unsolved notebook: stubs for solutions, no outputs, not paired with a source.

    Its stubs' cells and its checks are tagged ``raises-exception``: on Run All an unfinished
    task, or a check that fails, reports and the notebook carries on to the next task.
    """
    book = nbformat.from_dict(json.loads(json.dumps(solution)))
    book.metadata.pop("widgets", None)
    book.metadata.pop("jupytext", None)
    for cell in book.cells:
        stub = cell.metadata.pop("stub", None)
        if cell.cell_type == "markdown" and stub is not None:
            cell.source = stub
        elif cell.cell_type == "code":
            unsolved = exercise_source(cell.source)
            tags = cell.metadata.get("tags", [])
            if (unsolved != cell.source or "check" in tags) and RAISES not in tags:
                # Run All carries on past it: every task's check reports, not only the first
                cell.metadata["tags"] = [*tags, RAISES]
            cell.source = unsolved
            cell.outputs, cell.execution_count = [], None
    return book


def inputs(book: nbformat.NotebookNode) -> list[tuple]:
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in book.cells]


def take_notebook_edits(source: Path, notebook: Path) -> None:
    """A notebook edited without the pairing and newer than its source: keep its inputs."""
    if not notebook.exists() or notebook.stat().st_mtime <= source.stat().st_mtime:
        return
    edited = jupytext.read(notebook)
    if inputs(edited) != inputs(jupytext.read(source)):
        jupytext.write(edited, source, fmt="py:percent")
        print(f"  {notebook.relative_to(ROOT)} was edited: its cells are now in {source.name}")


def execute(book: nbformat.NotebookNode, folder: Path) -> None:
    NotebookClient(
        book,
        kernel_name=KERNEL,
        timeout=600,
        store_widget_state=True,
        extra_arguments=["--log-level=ERROR"],  # no kernel start-up warnings in the build log
        resources={"metadata": {"path": str(folder)}},
    ).execute()


SAVED = "saved with the notebook: run the notebook to use it (nothing answers a click now)"


def freeze(state: dict) -> None:
    """Saved controls drawn disabled: a button in a notebook opened without running it is
    wired to nothing (chapter 09's review panel would look live and do nothing)."""
    for model in state.values():
        if "disabled" in model["state"]:
            model["state"]["disabled"] = True
            if "tooltip" in model["state"]:
                model["state"]["tooltip"] = SAVED


def tidy(book: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Stable cell ids, no execution timestamps, widget models numbered in order."""
    for i, cell in enumerate(book.cells):
        cell.id = f"c{i:02d}"
        cell.metadata.pop("execution", None)
    book.metadata.pop("papermill", None)
    state = book.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return book
    freeze(state)
    text = json.dumps(book)
    ids = sorted(state, key=lambda i: text.find(i))
    # in two passes, so that numbering ids already numbered (a rebuilt notebook) never maps an
    # id to one that is replaced again further on
    for n, old in enumerate(ids, 1):
        text = text.replace(old, f"@widget-{n}@")
    for n in range(1, len(ids) + 1):
        text = text.replace(f"@widget-{n}@", f"{n:032x}")
    return nbformat.from_dict(json.loads(text))


def build(source: Path, run: bool = True) -> None:
    source = source.resolve()
    notebook = source.with_suffix(".ipynb")
    take_notebook_edits(source, notebook)
    book = jupytext.read(source)
    book.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": "Python (orchestra)",
        "language": "python",
    }
    book.metadata.get("jupytext", {}).pop("text_representation", None)
    started = time.perf_counter()
    if run:
        execute(book, source.parent)
    book = tidy(book)
    nbformat.write(book, notebook)
    print(f"  {notebook.relative_to(ROOT)} ({time.perf_counter() - started:.0f} s)")
    if source.parent.name == "solutions":
        path = ROOT / "exercises" / notebook.name
        nbformat.write(tidy(exercise(book)), path)
        print(f"  {path.relative_to(ROOT)}")


def sources() -> list[Path]:
    return [p for d in SOURCES for p in sorted((ROOT / d).glob("[0-9][0-9]_*.py"))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="*", type=Path, help="percent sources (default: all)")
    parser.add_argument("--no-execute", action="store_true", help="write notebooks unexecuted")
    args = parser.parse_args(argv)
    for source in args.source or sources():
        print(f"== {source}")
        build(source, run=not args.no_execute)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
