"""Map-reduce: one LLM call per document in parallel, then one combine step (chapter 02).

The map is ``map_each``: the same extraction step on every document, at most ``concurrency``
at a time, results in document order. The reduce is plain Python over those results (totals,
a digest); an LLM is needed there only when the combine itself needs judgement.

    >>> wf = map_reduce(llm, reduce=totals, concurrency=8)
    >>> result = await wf.run(Batch(docs=[Doc(**d) for d in datasets.load("documents")]))
    >>> result.state.extracted[0], result.state.summary

How fast can it be? ``lower_bound`` computes, from the simulator's request log, the makespan
no schedule can beat under a concurrency cap and a requests-per-minute limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from orchestra.compose import map_each
from orchestra.policies import Retry
from orchestra.steps import step
from orchestra.workflow import Workflow

__all__ = ["Doc", "Batch", "extract_prompt", "map_reduce", "parse_amount", "lower_bound"]


class Doc(BaseModel):
    """One document to extract from."""

    id: str
    kind: str
    """invoice, meeting or incident: decides nothing here, but reducers group by it."""
    text: str
    fields: list[str]
    """The field names to extract, e.g. ``["vendor", "amount", "due_date"]``."""


class Batch(BaseModel):
    """The map-reduce state: the documents in, one dict per document, then the combined result."""

    docs: list[Doc]
    extracted: list[dict | None] = []
    """One dict of fields per document, in document order (None: the document was skipped)."""
    summary: dict = {}
    """What the reduce step returned."""


def extract_prompt(doc: Doc) -> str:
    """The extraction prompt for one document (the simulator's extract convention)."""
    return f"Extract the following fields as JSON: {', '.join(doc.fields)}.\nDocument: {doc.text}"


def map_reduce(
    llm: Any,
    reduce: Callable[[list[dict | None], list[Doc]], dict],
    *,
    concurrency: int = 8,
    progress: bool = False,
    retry: Retry | None = None,
    name: str = "map-reduce",
) -> Workflow:
    """A workflow: extract from every document (map, in parallel), then ``reduce`` them.

    ``reduce(extracted, docs) -> dict`` is plain Python; its dict lands in ``state.summary``.

        >>> wf = map_reduce(llm, reduce=lambda rows, docs: {"n": len(rows)}, concurrency=4)
    """

    @step(retry=retry)
    async def extract(doc: Doc) -> dict:
        reply = await llm.ask(extract_prompt(doc))
        data = json.loads(reply.text)
        return {f: data.get(f) for f in doc.fields}  # only what was asked, in a fixed order

    @step(writes="summary")
    async def combine(state: Batch) -> dict:
        return {"summary": reduce(state.extracted, state.docs)}

    return Workflow(
        name,
        state=Batch,
        steps=[
            map_each(
                extract, over="docs", into="extracted", concurrency=concurrency, progress=progress
            ),
            combine,
        ],
    )


def parse_amount(value: Any) -> float | None:
    """A money string as a number: ``parse_amount("$1,250.00") == 1250.0``; None if there is none."""
    if isinstance(value, (int, float)):
        return float(value)
    m = re.search(r"\d[\d,]*(?:\.\d+)?", str(value or ""))
    return float(m.group().replace(",", "")) if m else None


def lower_bound(
    log: list[dict], *, concurrency: int, time_scale: float, requests_per_minute: int | None = None
) -> float:
    """The makespan (simulated seconds) no schedule beats, given what the calls really took.

    ``log`` holds the simulator's records of one run. Three bounds, the largest wins:

    - concurrency: the work (latencies + forced retry waits) spread over ``concurrency`` lanes;
    - rate: with a bucket of R requests refilled at R a minute, call N cannot start before
      (N - R) / R minutes, and then takes at least the shortest latency;
    - one call: nothing ends before the longest call.

        >>> lower_bound(list(simulator.log), concurrency=8, time_scale=0.01, requests_per_minute=30)
    """
    ok = [e["model_s"] for e in log if e["status"] == 200]
    if not ok:
        return 0.0
    # retry_after_s is wall-clock: the simulator scaled it; bring it back to model-seconds
    waits = sum(e.get("retry_after_s") or 0.0 for e in log if e["status"] != 200)
    waits = waits / time_scale if time_scale else 0.0
    bound = max((sum(ok) + waits) / concurrency, max(ok))
    if requests_per_minute:
        n = len(ok)
        bound = max(bound, max(0, n - requests_per_minute) / requests_per_minute * 60 + min(ok))
    return bound
