"""Exercises against deliberately wrong solutions: each must fail at least one check.

The wrong solutions live in ``tests/mutants/NN_name.py``; see its package docstring. A mutants
module may also define ``SAYS``, a mutant's name -> words the message of the check that catches
it must contain (the symptom the learner reads, e.g. ``"changed the caller's list"``). A mutant
runs with the solution's ``orchestra.mutant_parameters`` (else its ``test_parameters``): small,
fast settings under which the checks still bite.

One kernel serves all the mutants of a solution (a fresh kernel each cost 112 kernel starts and
as many imports of the kit and the frameworks). The solution's own cells run once, in order, up
to the cell a mutant changes; the kernel's namespace is saved there, the mutant's cell and the
cells after it run up to the check that must catch it, and the namespace is put back before the
next mutant, and once a solution's mutants are done its own cells run on to the end and must
pass every check: a namespace that a mutant left dirty shows there. A solution whose cells keep
state outside the namespace (checkpoint files on disk, open SQLite connections to them) says
``SHARED_KERNEL = False`` in its mutants module: each of its mutants gets a kernel of its own.
``ORCHESTRA_FRESH_MUTANTS=1`` runs every mutant that way, as the suite did before; both ways
gave the same failing checks and messages when this was written.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import sys
import textwrap
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "notebooks"))
# whether `build` sorts as first- or third-party depends on a build/ folder at the root: keep this order
# isort: off
from test_notebooks import with_parameters  # noqa: E402

from build import BEGIN, END  # noqa: E402

# isort: on

SOURCES = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py"))
FRESH = os.environ.get("ORCHESTRA_FRESH_MUTANTS") == "1"
# Run in the kernel around each mutant: keep the names the solution's cells defined, and the
# state of each simulator among them (the requests it has seen decide its next draws, its log
# answers "how many calls"); then put them back: the names a mutant's cells added go, the ones
# it rebound return, and each simulator is as the solution left it.
SAVE = """\
def __save__(ns):
    import copy
    from orchestra.sim.server import Simulator
    sims = [s for s in ns.values() if isinstance(s, Simulator)]
    return dict(ns), [(s, copy.deepcopy(s.decider), copy.copy(s.log)) for s in sims]
__saved__ = __save__(get_ipython().user_ns)
"""
RESTORE = """\
def __restore__(ns, saved):
    import copy
    names, sims = saved
    for name in [n for n in ns if n not in names]:
        del ns[name]
    ns.update(names)
    for sim, decider, log in sims:
        sim.decider, sim.log = copy.deepcopy(decider), copy.copy(log)
__restore__(get_ipython().user_ns, __saved__)
"""


def mutants_of(source: Path) -> list:
    try:
        module = importlib.import_module(f"mutants.{'m' + source.stem}")
    except ModuleNotFoundError:
        return []
    return [(source, m) for m in module.MUTANTS]


def symptom(source: Path, mutant) -> str | None:
    """What the catching check's message must say about ``mutant`` (its module's ``SAYS``)."""
    module = importlib.import_module(f"mutants.{'m' + source.stem}")
    return getattr(module, "SAYS", {}).get(mutant.name)


def shared(source: Path) -> bool:
    """Whether ``source``'s mutants may share one kernel (its mutants module says)."""
    module = importlib.import_module(f"mutants.{'m' + source.stem}")
    return not FRESH and getattr(module, "SHARED_KERNEL", True)


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


def notebook(text: str) -> nbformat.NotebookNode:
    """A solution's source as a notebook on the kit's kernel, with its mutant parameters set."""
    book = jupytext.reads(text, fmt="py:percent")
    book.metadata["kernelspec"] = {
        "name": "orchestra",
        "display_name": "Python (orchestra)",
        "language": "python",
    }
    return with_parameters(book, parameters(book))


class Kernel:
    """A kernel running one solution's cells in order; a mutant runs on a saved namespace."""

    def __init__(self, source: Path):
        self.solution = notebook(source.read_text())
        # nbclient stores each executed cell into its notebook at the index given: its own copy,
        # so that a mutant's cell never takes the place of the solution's
        self.client = NotebookClient(
            copy.deepcopy(self.solution),
            kernel_name="orchestra",
            allow_errors=True,
            timeout=300,
            resources={"metadata": {"path": str(source.parent)}},
        )
        self.client.km = self.client.create_kernel_manager()
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()
        self.ran = 0  # the solution's cells run so far

    def _run(self, cell: nbformat.NotebookNode, index: int) -> None:
        self.client.execute_cell(cell, index, store_history=False)

    def _hidden(self, code: str) -> None:
        cell = nbformat.v4.new_code_cell(code)
        self._run(cell, -1)
        assert not cell.outputs, f"the kernel could not save or restore its names: {cell.outputs}"

    def run(self, mutant: nbformat.NotebookNode, last: int) -> list[nbformat.NotebookNode]:
        """Run ``mutant``'s cells from the first that differs from the solution's to ``last``."""
        cells = self.solution.cells
        pairs = enumerate(zip(mutant.cells, cells, strict=True))
        first = next(i for i, (a, b) in pairs if a.source != b.source)
        assert first >= self.ran, "mutants must come in the order of the cells they change"
        for i in range(self.ran, first):
            self._run(cells[i], i)
        self.ran = first
        self._hidden(SAVE)
        for i in range(first, last + 1):
            self._run(mutant.cells[i], i)
        self._hidden(RESTORE)
        return mutant.cells[: last + 1]

    def finish(self) -> list[nbformat.NotebookNode]:
        """Run the solution's own cells from where they stopped to the end."""
        for i in range(self.ran, len(self.solution.cells)):
            self._run(self.solution.cells[i], i)
        self.ran = len(self.solution.cells)
        return self.solution.cells

    def close(self) -> None:
        self.client._cleanup_kernel()


_kernels: dict[Path, Kernel] = {}


@pytest.fixture(scope="module")
def kernels():
    """The kernel of the solution being tested (one at a time: a solution's mutants run together)."""

    def get(source: Path) -> Kernel:
        if not shared(source) or source not in _kernels:
            for old in _kernels.values():
                old.close()
            _kernels.clear()
            _kernels[source] = Kernel(source)
        return _kernels[source]

    yield get
    for kernel in _kernels.values():
        kernel.close()
    _kernels.clear()


def test_every_solution_has_mutants():
    missing = [s.name for s in SOURCES if not mutants_of(s)]
    assert missing == [], f"solutions without wrong variants in tests/mutants/: {missing}"


def test_every_symptom_names_a_mutant():
    """A ``SAYS`` entry whose name matches no mutant (renamed, misspelt) would check nothing."""
    for source in [s for s in SOURCES if mutants_of(s)]:
        module = importlib.import_module(f"mutants.{'m' + source.stem}")
        names = {m.name for m in module.MUTANTS}
        stray = sorted(set(getattr(module, "SAYS", {})) - names)
        assert stray == [], f"{source.name}: SAYS names no mutant: {stray}"


def test_mutants_come_in_cell_order():
    """A shared kernel runs a solution's cells once, forward: its mutants are listed in order."""
    for source in SOURCES:
        blocks = [m.block for _, m in mutants_of(source)]
        assert blocks == sorted(blocks), f"{source.name}: mutants out of block order {blocks}"


@pytest.mark.parametrize("source, mutant", CASES, ids=[f"{s.stem}-{m.name}" for s, m in CASES])
def test_a_wrong_solution_fails_a_check(source, mutant, kernels):
    book = notebook(mutate(source.read_text(), mutant.block, mutant.code))
    at = [i for i, c in enumerate(book.cells) if "check" in c.metadata.get("tags", [])]
    # the cells after the check that must catch it need not run
    last = len(book.cells) - 1 if mutant.caught_by is None else at[mutant.caught_by]
    cells = kernels(source).run(book, last)
    checks = [c for c in cells if "check" in c.metadata.get("tags", [])]
    failed = [i for i, c in enumerate(checks) if any(o.output_type == "error" for o in c.outputs)]
    crashed = [
        c.source.splitlines()[0]
        for c in cells
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
    # and, where the mutants module says which, name the mistake's symptom
    words = symptom(source, mutant)
    if words is not None:
        catcher = failed[0] if mutant.caught_by is None else mutant.caught_by
        error = next(o for o in checks[catcher].outputs if o.output_type == "error")
        assert words in error["evalue"], (
            f"{mutant.name!r} was caught by check {catcher}, but its message does not say "
            f"{words!r}: {error['evalue']}"
        )
    print(
        json.dumps(
            {
                "mutant": mutant.name,
                "caught_by": failed,
                "errors": [
                    next(o for o in checks[i].outputs if o.output_type == "error")["evalue"]
                    for i in failed
                ],
            }
        )
    )


@pytest.mark.parametrize("source", [s for s in SOURCES if shared(s)], ids=lambda s: s.stem)
def test_the_solution_still_passes_once_its_mutants_ran(source, kernels):
    """The kernel its mutants shared, restored, runs the solution on to the end: no error."""
    cells = kernels(source).finish()
    errors = [
        f"{c.source.splitlines()[0]}: {o.ename}: {o.evalue}"
        for c in cells
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors == [], f"after its mutants, the solution fails: {errors}"
