"""Chapter 11, section 5: kill the capstone part-way through a batch, resume it, count the bill.

    python -m orchestra.examples.capstone_crash orchestra runs.db --questions 24 --base-url URL

runs one system over the first N golden questions, with its journal in the SQLite file given
(orchestra: its checkpoint store; LangGraph: ``AsyncSqliteSaver``; LCEL and LlamaIndex
Workflows keep none), and prints ``capstone_run``'s JSON document. Run again on the same file,
it resumes what a killed run left (``resume_orchestra``, ``resume_langgraph``: the chapter's
``run_orchestra`` and ``run_langgraph`` plus what resuming takes); a system with no journal
starts again.

``crash_and_resume`` does it to a simulator, in processes forked from a server that has
imported the frameworks once (as ``tests/test_crash.py`` does). The simulator answers the first
``kill_after`` calls and holds every later one unanswered (a ``hang`` fault); the process is
killed with SIGKILL once it has done all it can with those answers (for ``settle_s`` the
simulator's log has not moved and the process has used no CPU); then the same batch runs again
on the same file with the faults off. Every count comes from the simulator's log, where each
answered call carries the digest of its request (``"request"``: the same prompt and settings
give the same digest):

    >>> crash = crash_and_resume(simulator, "LangGraph", 24, db=tmp / "lg.db", kill_after=20)
    >>> paid_twice(crash, clean)      # clean: digests of a run that was never killed
    0

The kill lands while the process waits on calls nobody answered, so every answer it got had
been used: what the journal holds is all that was paid. A crash at a random moment can also
lose a call the provider answered and billed (chapter 08's section 3; Temporal in section 4).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from orchestra.errors import (
    CheckpointError,
    ConfigError,
    CorruptCheckpointError,
)
from orchestra.examples import capstone as cap
from orchestra.examples import capstone_frameworks as fw
from orchestra.examples.capstone_run import emit
from orchestra.measure import asleep, cpu_seconds
from orchestra.wire import PLACEHOLDER_KEY

__all__ = [
    "JOURNALS",
    "crash_and_resume",
    "digests",
    "paid_twice",
    "resume_langgraph",
    "resume_orchestra",
    "run_once",
    "table",
]

JOURNALS = {
    "orchestra": "SQLite checkpoint store, per step",
    "LangGraph": "AsyncSqliteSaver, per node",
    "LCEL": "none: starts again",
    "LlamaIndex Workflows": "none: starts again",
}
"""The systems this module can crash, and what each keeps between processes."""


def _runner(system: str, db: str):
    if system == "orchestra":
        return partial(resume_orchestra, db=db)
    if system == "LangGraph":
        return partial(resume_langgraph, db=db)
    if system in JOURNALS:
        return fw.IN_PROCESS[system]
    raise ConfigError(f"no crash runner for {system!r}; there are {list(JOURNALS)}")


async def resume_orchestra(
    questions: list[dict], *, model: str, base_url: str | None, concurrency: int, db: str
) -> list[dict]:
    """``capstone.pipeline`` over the questions, each a run named by its id in the checkpoint
    store ``db``: a run already there is resumed (its committed steps replayed, not paid
    again), a new one started. The rows of ``fw.run_orchestra``."""
    from orchestra import LLM, SqliteStore

    store, limit = SqliteStore(db), asyncio.Semaphore(concurrency)
    # no base_url: real Claude, as the other systems do (they read ANTHROPIC_BASE_URL or the real URL)
    async with LLM(model, backend="sim" if base_url else "anthropic", base_url=base_url) as llm:
        flow = cap.pipeline(llm)

        async def one(q: dict):
            async with limit:
                try:
                    store.load(q["id"])
                except CorruptCheckpointError:
                    raise
                except CheckpointError:  # not in the store yet: start it
                    return await flow.run(
                        cap.Case(question=q["question"]), store=store, run_id=q["id"]
                    )
                return await flow.resume(q["id"], store)

        runs = await asyncio.gather(*(one(q) for q in questions))
    return fw.run_rows(questions, runs)


async def resume_langgraph(
    questions: list[dict], *, model: str, base_url: str | None, concurrency: int, db: str
) -> list[dict]:
    """``fw.langgraph_app`` over the questions, each its own thread (its id) in the
    ``AsyncSqliteSaver`` at ``db``: a thread with a checkpoint goes on from its last completed
    node (input ``None``), a finished one is read back, the others start. The rows of
    ``fw.run_langgraph``."""
    import aiosqlite
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    # the state holds a cap.Answer: allow that class back out of a checkpoint, and no other
    serde = JsonPlusSerializer(allowed_msgpack_modules=[(cap.__name__, "Answer")])
    async with aiosqlite.connect(db) as conn:
        app = fw.langgraph_app(model, base_url, checkpointer=AsyncSqliteSaver(conn, serde=serde))
        configs = [
            {"configurable": {"thread_id": q["id"]}, "max_concurrency": concurrency}
            for q in questions
        ]
        outs: list[Any] = [None] * len(questions)
        todo: list[tuple[int, dict | None]] = []  # (index, input): None goes on from a checkpoint
        for i, (q, config) in enumerate(zip(questions, configs, strict=True)):
            saved = await app.aget_state(config)
            if saved.values and not saved.next:  # finished: its state is the result
                outs[i] = saved.values
            else:  # never started, or stopped between nodes
                todo.append((i, None if saved.values else {"question": q["question"]}))
        ran = await app.abatch(
            [x for _, x in todo], config=[configs[i] for i, _ in todo], return_exceptions=True
        )
        for (i, _), out in zip(todo, ran, strict=True):
            outs[i] = out
    return fw.graph_rows(questions, outs)


def digests(log: list[dict]) -> Counter:
    """How many times each request (its digest) was answered, from simulator log entries."""
    return Counter(e["request"] for e in log if e.get("status") == 200)


def crash_and_resume(
    simulator,
    system: str,
    n: int,
    *,
    db: str | Path,
    kill_after: int,
    model: str = "claude-haiku-5-5",
    concurrency: int = 8,
    settle_s: float = 0.5,
    timeout_s: float = 120,
) -> dict:
    """Run ``system`` on the first ``n`` golden questions in a subprocess, SIGKILL it once the
    simulator has answered ``kill_after`` calls, then run it again on the same ``db``.

    Returns ``{"before": [...], "after": [...], "results": [...], "killed": exit code}``: the
    simulator's log entries (answered calls) of each process and the second one's result rows. Raises
    ``ConfigError`` if the first process ends before the kill (``kill_after`` too large) or
    does not reach it within ``timeout_s``. Leaves the simulator's faults off.
    """
    from orchestra import sim

    _runner(system, str(db))  # an unknown system stops here, before any process starts
    job = (system, str(db), n, model, concurrency, simulator.url)
    held = sim.Rule("hang", nth=range(kill_after + 1, kill_after + 1_000_000))
    simulator.configure(faults=sim.Faults(plan=[held]))  # also a fresh log
    proc, conn = _start(job)
    try:
        _wait_for_stillness(simulator, proc, kill_after, settle_s, timeout_s)
    finally:
        proc.kill()  # SIGKILL: no cleanup, no last checkpoint
        proc.join()
        conn.close()
    before = [e for e in simulator.log if e["status"] == 200]
    simulator.configure(faults=sim.Faults())
    again = run_once(simulator, system, n, db=db, model=model, concurrency=concurrency)
    return {**again, "before": before, "after": again["log"], "killed": proc.exitcode}


def run_once(
    simulator,
    system: str,
    n: int,
    *,
    db: str | Path,
    model: str = "claude-haiku-5-5",
    concurrency: int = 8,
    timeout_s: float = 120,
) -> dict:
    """Run ``system`` on the first ``n`` golden questions in a subprocess, to the end, on
    ``db`` (resuming what is there); ``{"results": rows, "log": its answered calls}``."""
    start = len(simulator.log)
    proc, conn = _start((system, str(db), n, model, concurrency, simulator.url))
    proc.join(timeout_s)
    if proc.exitcode != 0 or not conn.poll():
        proc.kill()
        raise ConfigError(f"{system} failed in its process (exit {proc.exitcode}); run the module")
    results = conn.recv()
    conn.close()
    log = [e for e in list(simulator.log)[start:] if e["status"] == 200]
    return {"results": results, "log": log}


# Processes are forked from a server that has imported the frameworks once (as in
# tests/test_crash.py): each is a fresh process with its own pid, started in milliseconds
# rather than the seconds an interpreter takes to import anthropic and LangChain again.
FORK = multiprocessing.get_context("forkserver")
PRELOAD = [
    "orchestra.examples.capstone_crash",
    "rank_bm25",
    "langchain_anthropic",
    "langgraph.graph",
]


def _start(job: tuple):
    """A process running ``job`` (``_child``), and our end of the pipe it answers on."""
    FORK.set_forkserver_preload(PRELOAD)  # read when the server starts, the first time
    ours, theirs = FORK.Pipe(duplex=False)
    proc = FORK.Process(target=_child, args=(job, theirs), daemon=True)
    proc.start()
    theirs.close()
    return proc, ours


def _child(job: tuple, conn) -> None:
    system, db, n, model, concurrency, base_url = job
    os.environ.setdefault("ANTHROPIC_API_KEY", PLACEHOLDER_KEY)  # the simulator's
    conn.send(_answer(system, db, n, model, concurrency, base_url))


def _answer(system, db, n, model, concurrency, base_url) -> list[dict]:
    run = _runner(system, db)
    qs = cap.golden(n)
    return asyncio.run(run(qs, model=model, base_url=base_url, concurrency=concurrency))


def _wait_for_stillness(simulator, proc, calls: int, settle_s: float, timeout_s: float) -> None:
    """Until ``calls`` are answered and for ``settle_s`` neither the log has moved nor the
    process used any CPU nor had a thread ready to run (it waits on the held calls, its
    answers all dealt with; on a busy machine a thread starved of CPU uses none). Polled."""
    deadline, last, still_since = time.monotonic() + timeout_s, None, time.monotonic()
    while time.monotonic() < deadline:  # bounded by timeout_s
        if not proc.is_alive():
            raise ConfigError(
                f"the run ended (exit {proc.exitcode}) before the kill: it needs fewer than "
                f"kill_after={calls} calls; choose a smaller kill_after"
            )
        log = list(simulator.log)
        now = (len(log), cpu_seconds(proc.pid))
        if now != last or not asleep(proc.pid):
            last, still_since = now, time.monotonic()
        answered = sum(e["status"] == 200 for e in log)
        if answered >= calls and time.monotonic() - still_since >= settle_s:
            return
        time.sleep(0.05)
    raise ConfigError(f"no stillness after {calls} answered calls within {timeout_s} s")


def paid_twice(crash: dict) -> int:
    """Requests answered before the kill and answered again after resuming (the same digest in
    both processes' logs): the calls the crash made you pay again.

    Each identical request is a fresh sample, so an uninterrupted run is no yardstick call for
    call (its answers, and so its regenerations, differ); what a journal must prevent is asking
    again what was already answered."""
    return sum((digests(crash["before"]) & digests(crash["after"])).values())


def table(crashes: dict[str, dict], clean: dict[str, Counter], answered: dict[str, int]):
    """One row per system: its journal, the calls of a run never killed, those paid before the
    kill and after resuming, how many were paid twice, and the questions answered after it
    (``answered``: how many the uninterrupted run answered, for comparison)."""
    import pandas as pd

    rows = []
    for system, crash in crashes.items():
        rows.append(
            {
                "system": system,
                "journal": JOURNALS[system],
                "calls, never killed": sum(clean[system].values()),
                "paid before the kill": len(crash["before"]),
                "paid after resuming": len(crash["after"]),
                "paid twice": paid_twice(crash),
                "answered": sum(r["answer"] is not None for r in crash["results"]),
                "answered, never killed": answered[system],
            }
        )
    return pd.DataFrame(rows).set_index("system")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m orchestra.examples.capstone_crash")
    ap.add_argument("system", choices=list(JOURNALS))
    ap.add_argument("db", help="the SQLite file of the journal (made if missing)")
    ap.add_argument("--questions", type=int, default=24, help="the first N golden questions")
    ap.add_argument("--model", default="claude-haiku-5-5")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--base-url", default=None, help="the simulator (default: the real API)")
    a = ap.parse_args(argv)
    began = time.perf_counter()
    rows = _answer(a.system, a.db, a.questions, a.model, a.concurrency, a.base_url)
    emit(a.system, a.model, rows, 0.0, time.perf_counter() - began)


if __name__ == "__main__":
    main()
