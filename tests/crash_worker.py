"""A 10-step durable workflow, run in a subprocess by tests/test_crash.py and killed at random.

    python tests/crash_worker.py DB RUN_ID EFFECTS start|resume

The test starts workers with ``work`` in processes forked from a server that has imported this
module (a start takes milliseconds, not an interpreter's start-up), two at once to resume a
run: each reports "<status> <log> <steps it ran>", or "busy -" when another process owns the
run (RunBusyError).

Each step appends "<run_id> <key> <time>" to the EFFECTS file when it starts (its side effect),
sleeps a little (a stand-in for an LLM call) and returns its name appended to ``log``.
"""

import asyncio
import os
import sys
import time

from pydantic import BaseModel

from orchestra.checkpoint import SqliteStore
from orchestra.errors import RunBusyError
from orchestra.steps import step
from orchestra.workflow import Workflow

STEPS = 10


class S(BaseModel):
    log: list[str] = []


def build(effects: str) -> Workflow:
    fd = os.open(effects, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def one(i: int):
        @step(name=f"s{i}", writes="log")
        async def run(s: S, ctx) -> dict:
            os.write(fd, f"{ctx.run_id} {ctx.key} {time.time():.6f}\n".encode())
            await asyncio.sleep(0.015)
            return {"log": s.log + [f"s{i}"]}

        return run

    return Workflow("crashy", state=S, steps=[one(i) for i in range(STEPS)])


def work(db: str, run_id: str, effects: str, mode: str, conn) -> None:
    """One worker process: opens the store, says "ready", waits for "go", sends its outcome."""
    wf, store = build(effects), SqliteStore(db)
    conn.send("ready")
    conn.recv()  # "go": competing resumers start at the same moment
    conn.send(asyncio.run(main(wf, store, run_id, mode)))


async def main(wf: Workflow, store: SqliteStore, run_id: str, mode: str) -> str:
    try:
        if mode == "start":
            result = await wf.run(S(), store=store, run_id=run_id)
        else:
            result = await wf.resume(run_id, store)
    except RunBusyError:  # another resumer owns the run: this one changed nothing
        return "busy -"
    ran = sum(s.status != "replayed" for s in result.trace.steps())
    return f"{result.status} {','.join(result.state.log)} {ran}"


if __name__ == "__main__":
    db, run_id, effects, mode = sys.argv[1:5]
    print(asyncio.run(main(build(effects), SqliteStore(db), run_id, mode)))
