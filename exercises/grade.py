"""Grade your exercises: ``make grade`` (or ``make grade NB=exercises/01_sequential_chain.ipynb``).

Runs each exercise notebook top to bottom in a fresh kernel (your edits included, errors
allowed) and reports every cell tagged ``check``: passed, or the error that failed it.
Nothing is written back to your notebooks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def grade(path: Path) -> tuple[int, int]:
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book,
        kernel_name="orchestra",
        allow_errors=True,
        timeout=300,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    checks = [c for c in book.cells if "check" in c.metadata.get("tags", [])]
    passed = 0
    print(f"\n{path.name}")
    for cell in checks:
        title = cell.source.splitlines()[0].lstrip("# ").strip()
        error = next((o for o in cell.outputs if o.output_type == "error"), None)
        if error is None:
            passed += 1
            print(f"  PASS  {title}")
        else:
            print(
                f"  FAIL  {title}\n        {error.ename}: {error.evalue.splitlines()[0] if error.evalue else ''}"
            )
    return passed, len(checks)


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    paths = [Path(a) for a in argv] or sorted(here.glob("[0-9][0-9]_*.ipynb"))
    total = [grade(p) for p in paths]
    passed, count = sum(p for p, _ in total), sum(n for _, n in total)
    print(f"\n{passed} passed, {count - passed} failed")
    return 0 if passed == count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
