"""Grade your exercises: ``make grade`` (or ``make grade NB=exercises/01_sequential_chain.ipynb``).

Runs each exercise notebook top to bottom in a fresh kernel (your edits included, errors
allowed) and prints one line per cell tagged ``check``: PASS, or FAIL with what the check
found, every line of it (the call, its input, what came back and what was expected). A cell
tagged ``rubric`` (an interview answer) is not graded by keywords: its output (the rubric and a
model answer, for you to score yourself; with ``backend="anthropic"``, Claude's grading too)
is shown under SELF. A cell outside the checks that fails for another reason than
an unfinished stub is reported too, since it explains the failures after it. Nothing is written
back to your notebooks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

STUB = "NotImplementedError"


def title(cell: nbformat.NotebookNode) -> str:
    """The check's leading comment lines, joined: what it checks."""
    lines = []
    for line in cell.source.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return " ".join(lines) or cell.source.splitlines()[0]


def error_of(cell: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    return next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)


def message(error: nbformat.NotebookNode) -> list[str]:
    """The error's whole message, every line: the evidence after the first line is the lesson."""
    lines = error.evalue.strip().splitlines() or ["(no message)"]
    return [f"{error.ename}: {lines[0]}", *lines[1:]]


def report(head: str, error: nbformat.NotebookNode) -> None:
    """``head -> the message's first line``, then its other lines indented under it."""
    first, *rest = message(error)
    print(f"{head} -> {first}")
    for line in rest:
        print(f"        {line}".rstrip())


def printed(cell: nbformat.NotebookNode) -> str:
    """What a cell printed, and the text of what it showed (a review's, as the cell's value)."""
    texts = []
    for o in cell.outputs:
        if o.output_type == "stream":
            texts.append(o.text)
        elif o.output_type in ("execute_result", "display_data") and "text/plain" in o.data:
            texts.append(o.data["text/plain"] + "\n")
    return "".join(texts).rstrip()


def grade(path: Path) -> tuple[int, int]:
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book,
        kernel_name="orchestra",
        allow_errors=True,
        timeout=300,
        extra_arguments=["--log-level=ERROR"],  # the kernel's start-up warnings are not grades
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    print(f"\n{path.name}")
    passed = checks = 0
    for n, cell in enumerate(book.cells, 1):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code":
            continue
        error = error_of(cell)
        if "check" in tags:
            checks += 1
            passed += error is None
            if error is None:
                print(f"  PASS  {title(cell)}")
            else:
                report(f"  FAIL  {title(cell)}", error)
        elif "rubric" in tags:
            print(f"  SELF  {title(cell)}")
            body = printed(cell) if error is None else "\n".join(message(error))
            for line in body.splitlines():
                print(f"        {line}".rstrip())
        elif error is not None and error.ename != STUB:
            report(f"  ERROR cell {n} (not a check)", error)
    return passed, checks


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    paths = [Path(a) for a in argv] or sorted(here.glob("[0-9][0-9]_*.ipynb"))
    total = [grade(p) for p in paths]
    passed, count = sum(p for p, _ in total), sum(n for _, n in total)
    print(f"\n{passed} passed, {count - passed} failed")
    return 0 if passed == count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
