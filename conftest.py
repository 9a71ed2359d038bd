"""How `make test` spreads its work over two workers, and what each kind of test cost.

Placed at the root so that it sees every item: the package's tests, nbval's cells of
notebooks/ and solutions/, and the browser test.

- **Groups.** A notebook's nbval cells run in order on one worker (one group per notebook), a
  solution's mutants share one kernel (one group per solution, see tests/test_mutants.py), and a
  test module keeps its tests together, as ``--dist loadfile`` did; the notebook runs of
  tests/test_notebooks.py and tests/test_exercises.py are spread one by one.
- **Longest first.** Groups are handed out in order of the seconds they took when last measured
  (``tests/durations.json``), so that no long notebook starts last while the other worker idles.
  ``--no-loadscope-reorder`` (in pyproject.toml) keeps that order.
- **Kernels.** Every notebook run gets its ``orchestra`` kernel forked from one process that
  has imported the libraries already (tests/forkkernel.py): a kernelspec of that name, first on
  ``JUPYTER_PATH`` for this run, points at its launcher. ``ORCHESTRA_FORK_KERNELS=0`` turns it
  off (a fresh interpreter per kernel, as a learner's lab starts them).
- **The bill.** At the end, the seconds spent per kind (package tests, nbval, the second
  parameter set, exercises, mutants, soak and crash, browser) and the longest groups are
  printed; ``build/test-durations.json`` gets each group's seconds, to copy over
  ``tests/durations.json`` when the suite's shape changes.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))  # where the test modules import their helpers from
import forkkernel  # noqa: E402

MEASURED = ROOT / "tests" / "durations.json"
WRITTEN = ROOT / "build" / "test-durations.json"
KERNELSPEC = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "orchestra" / "kernel.json"
# Test modules whose items each start a kernel of their own: spread one by one.
SPREAD = {"tests/test_notebooks.py", "tests/test_exercises.py"}


def kind(nodeid: str) -> str:
    """Which part of the suite a test belongs to, for the bill."""
    path = nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        return f"nbval, {path.split('/')[0]}"
    return {
        "tests/test_mutants.py": "mutants",
        "tests/test_notebooks.py": "second parameter set",
        "tests/test_exercises.py": "exercises",
        "tests/test_soak.py": "soak and crash",
        "tests/test_crash.py": "soak and crash",
        "tests/test_browser.py": "browser",
    }.get(path, "package")


def group(nodeid: str) -> str | None:
    """The group a test runs in (None: spread on its own)."""
    path = nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        return path
    solution = re.search(r"\[(\d\d_[a-z_]+)", nodeid)
    if path == "tests/test_mutants.py" and solution:
        return f"mutants of {solution.group(1)}"
    return None if path in SPREAD else path


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's scope scheduling, with the scopes above (its loadgroup marks do not group under
    pytest 9, whose node ids no longer take the suffix xdist 3.8 appends)."""
    from xdist.scheduler import LoadScopeScheduling

    class Groups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid) or nodeid

    return Groups(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seconds = json.loads(MEASURED.read_text()) if MEASURED.exists() else {}
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(group(item.nodeid) or item.nodeid, []).append(item)
    order = sorted(units, key=lambda unit: -seconds.get(unit, 1.0))  # stable: ties keep theirs
    items[:] = [item for unit in order for item in units[unit]]


class Bill:
    """Seconds per kind and per group, summed over the reports the controller receives."""

    def __init__(self, path: str | None) -> None:
        self.path = path  # where `make test` wants the table (ORCHESTRA_BILL), if anywhere
        self.kinds: Counter[str] = Counter()
        self.groups: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        self.kinds[kind(nodeid)] += report.duration
        if report.when == "call":
            self.counts[kind(nodeid)] += 1
        self.groups[group(nodeid) or nodeid] += report.duration


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a worker: the controller set everything up
        return
    # taken out of the environment: a pytest that a notebook starts must not write it too
    config.pluginmanager.register(Bill(os.environ.pop("ORCHESTRA_BILL", None)), "orchestra-bill")
    if os.environ.get("ORCHESTRA_FORK_KERNELS", "1") != "0" and forkkernel.SERVER not in os.environ:
        config.pluginmanager.register(KernelServer(), "orchestra-kernels")


class KernelServer:
    """tests/forkkernel.py's server for this run, its kernelspec first on ``JUPYTER_PATH``.

    Set in the environment before xdist starts its workers, so that they, the kernels they
    start and the processes those start (a sweep's papermill) all find it.
    """

    def __init__(self) -> None:
        self.server = forkkernel.Server(KERNELSPEC)
        self.saved = {k: os.environ.get(k) for k in self.server.env}
        os.environ.update(self.server.env)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.server.stop()
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    bill = config.pluginmanager.get_plugin("orchestra-bill")
    if bill is None or not bill.kinds:
        return
    lines = ["seconds of test time per kind (summed over workers):"]
    for name, secs in bill.kinds.most_common():
        lines.append(f"  {name:<24} {bill.counts[name]:>5} tests {secs:>8.1f} s")
    total = sum(bill.kinds.values())
    lines.append(f"  {'total':<24} {sum(bill.counts.values()):>5} tests {total:>8.1f} s")
    longest = bill.groups.most_common(5)
    lines.append("  longest: " + ", ".join(f"{g} {s:.0f} s" for g, s in longest))
    terminalreporter.write_line("")
    for line in lines:
        terminalreporter.write_line(line)
    if bill.path is None:
        return
    # for `make test`'s closing table; and each group's seconds for the next run's order,
    # merged (the browser test is a run of its own)
    Path(bill.path).parent.mkdir(parents=True, exist_ok=True)
    Path(bill.path).write_text("\n".join(lines) + "\n")
    old = json.loads(WRITTEN.read_text()) if WRITTEN.exists() else {}
    old.update({g: round(s, 1) for g, s in bill.groups.items()})
    ranked = dict(sorted(old.items(), key=lambda kv: -kv[1]))
    WRITTEN.write_text(json.dumps(ranked, indent=1) + "\n")
