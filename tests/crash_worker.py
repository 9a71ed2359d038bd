"""A 10-step durable workflow, run in a subprocess by tests/test_crash.py and killed at random.

    python tests/crash_worker.py DB RUN_ID EFFECTS start|resume

Each step appends "<run_id> <key> <time>" to the EFFECTS file when it starts (its side effect),
sleeps a little (a stand-in for an LLM call) and returns its name appended to ``log``.
"""

import asyncio
import os
import sys
import time

from pydantic import BaseModel

from orchestra.checkpoint import SqliteStore
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


async def main(db: str, run_id: str, effects: str, mode: str) -> None:
    wf, store = build(effects), SqliteStore(db)
    print("ready", flush=True)
    if mode == "start":
        result = await wf.run(S(), store=store, run_id=run_id)
    else:
        result = await wf.resume(run_id, store)
    print(result.status, ",".join(result.state.log), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
