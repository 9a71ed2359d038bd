"""A learner's traceback through the engine: IPython shows their cell and their step, not the
workflow, node and retry frames between (``__tracebackhide__ = hide_from_learners``)."""

from __future__ import annotations

import re

from IPython.core.interactiveshell import InteractiveShell

CELL = """
from pydantic import BaseModel
from orchestra import Workflow, loop, step

class S(BaseModel):
    x: int = 0

@step
async def grow(s: S) -> dict:
    return {"x": s.x + 1}

def done(s: S) -> bool:
    raise NotImplementedError("task 1: write done()")

await Workflow("w", state=S, steps=[loop(grow, until=done, max_iterations=2)]).run(S())
"""


def test_an_error_in_the_learner_s_code_called_by_the_engine_reads_cell_to_their_line(capsys):
    shell = InteractiveShell.instance()
    shell.run_cell(CELL)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert "in done" in shown and "Cell In" in shown, shown  # the learner's own function
    assert not re.search(r"orchestra/(workflow|compose|nodes|steps|policies)\.py", shown), shown
