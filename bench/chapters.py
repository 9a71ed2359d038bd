"""How long each chapter takes to run with its defaults, cell by cell (the 20 s rule).

    .venv/bin/python bench/chapters.py                  # every chapter in notebooks/
    .venv/bin/python bench/chapters.py 02 05            # some of them
    .venv/bin/python bench/chapters.py --cells 02       # and its five slowest cells

Each chapter runs in a fresh ``orchestra`` kernel, as papermill and a learner's "Restart and
run all" do. We report the kernel's start-up and the sum of its cells' execution times (what
"run all" costs once the kernel is up), the CPU seconds the kernel spent on them (the simulator
runs in the kernel, so this counts it too; it moves less than wall-clock on a busy machine), the
slowest cell, and the wall-clock of the whole.
A chapter's defaults should keep the cells under 20 s on the kit's idle 2-core machine; the
load average is printed with the table, because a busy machine stretches every number.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pandas as pd
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 20.0


def _seconds(cell: dict) -> float:
    t = cell.get("metadata", {}).get("execution", {})
    start, end = t.get("iopub.execute_input"), t.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def run(path: Path, show_cells: bool = False) -> dict:
    """One chapter, executed in a fresh kernel: start-up, cells, slowest cell, total."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="orchestra",
        timeout=600,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    t0 = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter() - t0
        kernel = psutil.Process(client.km.provisioner.process.pid)
        cpu0 = sum(kernel.cpu_times()[:2])
        for i, cell in enumerate(nb.cells):
            client.execute_cell(cell, i)
        cpu = sum(kernel.cpu_times()[:2]) - cpu0  # the simulator is a thread in the kernel
    total = time.perf_counter() - t0
    times = [(_seconds(c), "".join(c.source).split("\n")[0][:50]) for c in nb.cells]
    slowest = max(times)
    cells = sum(t for t, _ in times)
    if show_cells:
        for t, first in sorted(times, reverse=True)[:30]:
            print(f"  {path.stem}: {t:5.1f} s  {first}")
    return {
        "chapter": path.stem,
        "kernel start (s)": round(started, 1),
        "cells (s)": round(cells, 1),
        "kernel CPU (s)": round(cpu, 1),
        "slowest cell (s)": round(slowest[0], 1),
        "slowest cell": slowest[1],
        "wall-clock (s)": round(total, 1),
        f"cells under {LIMIT_S:.0f} s": cells < LIMIT_S,
    }


def main(argv: list[str]) -> int:
    show_cells = "--cells" in argv
    argv = [a for a in argv if a != "--cells"]
    chosen = sorted(
        p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if not argv or p.name[:2] in argv
    )
    rows = [run(p, show_cells) for p in chosen]
    pd.set_option("display.width", 160)
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"load average when done: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
