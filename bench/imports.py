"""Import time of the package beside the libraries it stands on, in one run (chapter 00).

    .venv/bin/python bench/imports.py

Each import runs in a fresh interpreter, several times; we report the median wall-clock
seconds of the import statement alone (interpreter start-up excluded). ``import orchestra``
loads nothing heavy: each public name is imported on first use. ``import orchestra.workflow``
(the engine) loads pydantic but neither the anthropic SDK nor aiohttp.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 7
TARGET_S = 0.3  # `import orchestra`, on the kit's 2-core machine

STATEMENTS = {
    "import orchestra": "import orchestra",
    "import orchestra.workflow (the engine)": "import orchestra.workflow",
    "from orchestra import Workflow, step": "from orchestra import Workflow, step",
    "from orchestra import LLM (the client)": "from orchestra import LLM",
    "import pydantic": "import pydantic; from pydantic import BaseModel",
    "import anthropic": "import anthropic",
}

PROBE = """
import sys, time
t = time.perf_counter()
exec({stmt!r})
took = time.perf_counter() - t
heavy = [m for m in ("anthropic", "aiohttp", "pydantic") if m in sys.modules]
print(took, ",".join(heavy))
"""


def measure(stmt: str) -> tuple[float, str]:
    """Median seconds of ``stmt`` in fresh interpreters, and the heavy modules it loaded."""
    times, heavy = [], ""
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(stmt=stmt)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        times.append(float(out[0]))
        heavy = out[1] if len(out) > 1 else ""
    return statistics.median(times), heavy


def main() -> None:
    print(f"{'statement':42} {'median s':>9}  heavy modules loaded")
    results = {}
    for label, stmt in STATEMENTS.items():
        took, heavy = measure(stmt)
        results[label] = took
        print(f"{label:42} {took:9.3f}  {heavy or '-'}")
    ok = results["import orchestra"] <= TARGET_S
    print(
        f"\nimport orchestra: {results['import orchestra']:.3f} s (target <= {TARGET_S} s): "
        f"{'met' if ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
