"""Median cost of one durable step commit in SqliteStore (chapter 06).

    .venv/bin/python bench/checkpoint.py

Two measurements on a temporary file (WAL, synchronous=NORMAL):
1. ``store.commit``: one journal row (a small delta plus one LLM call record), one
   transaction; the median over many commits.
2. End to end: a 10-step workflow run with the store minus the same run without one,
   per step: the commit plus building its JSON entry.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

from orchestra.calls import Call
from orchestra.checkpoint import SqliteStore
from orchestra.steps import step
from orchestra.workflow import Workflow

COMMITS, RUNS = 3000, 200


class Doc(BaseModel):
    summary: str = ""
    n: int = 0


@step(writes=("summary", "n"))
async def work(state: Doc) -> dict:
    return {"summary": "a short summary of the document " * 3, "n": state.n + 1}


def commit_median(store: SqliteStore) -> float:
    now = time.time()
    call = Call(
        "claude-haiku-5-5",
        now,
        now + 0.4,
        "ok",
        812,
        95,
        0.00129,
        prompt_preview="Summarize: ...",
        output_preview="The document ...",
    ).to_dict()
    store.create("bench", "bench", "f", {"initial": {}, "budget": None})
    times = []
    for i in range(COMMITS):
        entry = {
            "out": {"summary": "a short summary " * 6, "n": i},
            "status": "ok",
            "by": "work",
            "attempts": 1,
            "error": None,
            "calls": [call],
        }
        t = time.perf_counter()
        store.commit("bench", f"{i:04d}.work", entry)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


async def per_step_end_to_end(store: SqliteStore) -> float:
    wf = Workflow("ten", state=Doc, steps=[work] * 10)

    async def batch(with_store: bool) -> float:
        t = time.perf_counter()
        for _ in range(RUNS):
            await wf.run(Doc(), store=store if with_store else None)
        return (time.perf_counter() - t) / RUNS / 10

    await batch(True)
    durable = statistics.median([await batch(True) for _ in range(3)])
    plain = statistics.median([await batch(False) for _ in range(3)])
    return (durable - plain) * 1e3


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "bench.db")
        commit = commit_median(store)
        end_to_end = asyncio.run(per_step_end_to_end(store))
        store.close()
    print("\nSqliteStore on a temp file (WAL, synchronous=NORMAL)\n")
    print(f"{'measure':<44}{'ms':>8}")
    print(f"{'median store.commit (one row, one txn)':<44}{commit:>8.3f}")
    print(f"{'per durable step, end to end (vs no store)':<44}{end_to_end:>8.3f}")
    verdict = "meets" if commit <= 1.0 else "MISSES"
    print(
        f"\nmedian durable step commit: {commit:.3f} ms ({verdict} the 1 ms target; "
        f"ratio to target {commit / 1.0:.2f})"
    )


if __name__ == "__main__":
    main()
