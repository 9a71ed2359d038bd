"""Exercises against deliberately wrong solutions: each must fail at least one check.

The wrong solutions live in ``tests/mutants/NN_name.py``; see its package docstring. A mutant
runs with the solution's ``orchestra.mutant_parameters`` (else its ``test_parameters``): small,
fast settings under which the checks still bite.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "notebooks"))
from build import BEGIN, END  # noqa: E402

SOURCES = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py"))


def mutants_of(source: Path) -> list:
    try:
        module = importlib.import_module(f"mutants.{'m' + source.stem}")
    except ModuleNotFoundError:
        return []
    return [(source, m) for m in module.MUTANTS]


CASES = [case for s in SOURCES for case in mutants_of(s)]


def mutate(text: str, block: int, code: str) -> str:
    """The source with SOLUTION block number ``block`` replaced by ``code``."""
    lines, out, n, i = text.split("\n"), [], -1, 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if line.strip() != BEGIN:
            continue
        n += 1
        end = next(j for j in range(i, len(lines)) if lines[j].strip() == END)
        if n == block:
            pad = line[: len(line) - len(line.lstrip())]
            out += [pad + c if c else "" for c in textwrap.dedent(code).strip("\n").split("\n")]
        else:
            out += lines[i:end]
        i = end
    assert n >= block, f"the source has {n + 1} solution blocks, no block {block}"
    return "\n".join(out)


def parameters(book: nbformat.NotebookNode) -> dict:
    meta = book.metadata.get("orchestra", {})
    return meta.get("mutant_parameters") or meta.get("test_parameters") or {}


def test_every_solution_has_mutants():
    missing = [s.name for s in SOURCES if not mutants_of(s)]
    assert missing == [], f"solutions without wrong variants in tests/mutants/: {missing}"


@pytest.mark.parametrize("source, mutant", CASES, ids=[f"{s.stem}-{m.name}" for s, m in CASES])
def test_a_wrong_solution_fails_a_check(source, mutant):
    book = jupytext.reads(mutate(source.read_text(), mutant.block, mutant.code), fmt="py:percent")
    book.metadata["kernelspec"] = {
        "name": "orchestra",
        "display_name": "Python (orchestra)",
        "language": "python",
    }
    params = parameters(book)
    cell = next(c for c in book.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += "\n" + "\n".join(f"{k} = {v!r}" for k, v in params.items())
    if mutant.caught_by is not None:  # the cells after the check that must catch it need not run
        at = [i for i, c in enumerate(book.cells) if "check" in c.metadata.get("tags", [])]
        book.cells = book.cells[: at[mutant.caught_by] + 1]
    NotebookClient(
        book,
        kernel_name="orchestra",
        allow_errors=True,
        timeout=300,
        resources={"metadata": {"path": str(source.parent)}},
    ).execute()
    checks = [c for c in book.cells if "check" in c.metadata.get("tags", [])]
    failed = [i for i, c in enumerate(checks) if any(o.output_type == "error" for o in c.outputs)]
    crashed = [
        c.source.splitlines()[0]
        for c in book.cells
        if c not in checks and any(o.output_type == "error" for o in c.get("outputs", []))
    ]
    assert failed, f"{mutant.name!r} passes every check (errors outside checks: {crashed})"
    if mutant.caught_by is not None:
        assert mutant.caught_by in failed, (
            f"{mutant.name!r} was caught by check(s) {failed}, not {mutant.caught_by}"
        )
    # a check's message must tell the learner what happened: no bare AssertionError
    for i in failed:
        error = next(o for o in checks[i].outputs if o.output_type == "error")
        assert error.get("evalue"), f"check {i} fails with a bare {error['ename']} and no message"
    print(json.dumps({"mutant": mutant.name, "caught_by": failed}))
