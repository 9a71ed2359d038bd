"""The capstone pipeline (``capstone.py``) in LangChain LCEL, LangGraph and LlamaIndex Workflows.

Each ``run_*`` answers a list of golden questions at most ``concurrency`` at a time and returns
one result dict per question, in order, the same for every system of chapter 11:

    {"id": "Q01", "category": "billing", "answer": {"answer": ..., "sources": [...]} or None,
     "status": "completed" or "failed", "error": None or "UngroundedAnswerError: ..."}

They call the capstone's prompts, retrieval, validation and formatting, so they differ only in
their wiring: a chain with ``with_retry`` around generate-and-validate (LCEL), a graph with a
conditional edge back to ``generate`` and a SQLite checkpointer (LangGraph), typed events with
a refused draft's event sent back to ``generate`` (LlamaIndex). The frameworks are imported inside the
functions: only chapter 11 pays for them.

``run_system`` is the one dispatch the chapter uses for all eight, whether the system runs in
this process (the four above, Pydantic AI from ``capstone_pydantic_ai``, Temporal with a worker here) or in another environment (CrewAI and
AutoGen, ``run_elsewhere``):

    >>> rows = await run_system("LangGraph", golden(6), model="claude-haiku-5-5", base_url=url)
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from orchestra.errors import ConfigError, LoopLimitError, OutputFormatError
from orchestra.examples import capstone as cap
from orchestra.examples import capstone_pydantic_ai as pai
from orchestra.examples.capstone_run import result

__all__ = [
    "IMPORTS",
    "REQUIRES",
    "RUNNERS",
    "dependency_weight",
    "import_seconds",
    "run_elsewhere",
    "lcel_chain",
    "langgraph_app",
    "llama_workflow",
    "run_langgraph",
    "run_lcel",
    "run_llama",
    "run_orchestra",
    "run_system",
]


ROOT = Path(__file__).resolve().parents[2]
RUNNERS = Path(__file__).resolve().parent
"""Where the runners of the other environments live (``capstone_crewai.py``, ...)."""
AGENTS_PYTHON = ROOT / ".venv-agents" / "bin" / "python"
"""CrewAI and AutoGen's environment (``make agents``): their pins cannot join the kit's."""
IMPORTS = {  # system -> (interpreter, what it imports to run the capstone)
    "orchestra": (sys.executable, "from orchestra import LLM, Workflow, step"),
    "LCEL": (sys.executable, "import langchain_anthropic, langchain_core.runnables"),
    "LangGraph": (sys.executable, "import langchain_anthropic, langgraph.graph"),
    "LlamaIndex Workflows": (
        sys.executable,
        "import llama_index.core.workflow, llama_index.llms.anthropic",
    ),
    "Temporal": (sys.executable, "import temporalio.client, temporalio.worker, anthropic"),
    "Pydantic AI": (sys.executable, "import pydantic_ai, pydantic_ai.models.anthropic"),
    "CrewAI": (str(AGENTS_PYTHON), "import crewai"),
    "AutoGen": (str(AGENTS_PYTHON), "import autogen_agentchat, autogen_ext.models.anthropic"),
}


REQUIRES = {  # system -> the distributions it installs (the closure of their requirements counts)
    "orchestra": ["anthropic", "pydantic"],
    "LCEL": ["langchain-anthropic", "langchain-core"],
    "LangGraph": ["langchain-anthropic", "langgraph", "langgraph-checkpoint-sqlite"],
    "LlamaIndex Workflows": ["llama-index-core", "llama-index-llms-anthropic"],
    "Temporal": ["temporalio", "anthropic"],
    "Pydantic AI": ["pydantic-ai-slim[anthropic]"],
    "CrewAI": ["crewai[anthropic]"],
    "AutoGen": ["autogen-agentchat", "autogen-ext[anthropic]"],
}

# Run in the system's own interpreter: walk the requirements from the roots (extras included,
# other environment markers evaluated there) and add up the files each distribution installed.
_WEIGH = """
import importlib.metadata as md, json, sys
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
todo, seen, counted, size = [Requirement(r) for r in sys.argv[1:]], set(), set(), 0
while todo:
    req = todo.pop()
    name = canonicalize_name(req.name)
    if (name, frozenset(req.extras)) in seen:
        continue
    seen.add((name, frozenset(req.extras)))
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:  # an optional requirement this environment left out
        continue
    if name not in counted:  # once, whatever extras it was asked with
        counted.add(name)
        size += sum(f.size or 0 for f in dist.files or [])
    for line in dist.requires or []:
        dep = Requirement(line)
        if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in ["", *req.extras]):
            dep.marker = None
            todo.append(dep)
print(json.dumps({"distributions": len(counted), "bytes": size}))
"""


def dependency_weight(system: str) -> dict:
    """What installing ``system`` brings: the distributions its ``REQUIRES`` pull in (their
    requirements' closure, read from the installed metadata of its environment) and the bytes
    their files take on disk.

        >>> dependency_weight("LCEL")
        {'distributions': 31, 'MB': 95.2}
    """
    if system not in REQUIRES:
        raise ConfigError(f"unknown system {system!r}: one of {sorted(REQUIRES)}")
    python = IMPORTS[system][0]
    out = subprocess.run(
        [python, "-c", _WEIGH, *REQUIRES[system]], capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout)
    return {"distributions": got["distributions"], "MB": round(got["bytes"] / 1e6, 1)}


def wiring(system: str) -> list:
    """What chapter 11 counts as ``system``'s code (``measure.lines_of_code``): its wiring, not
    the prompts, retrieval and checks every system shares (``capstone.py``)."""
    from orchestra.examples import capstone_temporal as ct

    code = {
        "orchestra": [cap.pipeline, run_orchestra, run_rows],
        "LCEL": [lcel_chain, run_lcel],
        "LangGraph": [langgraph_app, run_langgraph, graph_rows],
        "LlamaIndex Workflows": [llama_workflow, run_llama],
        "Temporal": [ct.Capstone, ct.classify, ct.generate, ct.retrieve, ct.run_questions],
        "Pydantic AI": [pai.Job, pai.agents, pai.answer_one, pai.run_pydantic_ai],
        "CrewAI": [RUNNERS / "capstone_crewai.py"],
        "AutoGen": [RUNNERS / "capstone_autogen.py"],
    }
    if system not in code:
        raise ConfigError(f"unknown system {system!r}: one of {sorted(code)}")
    return code[system]


def import_seconds(system: str, runs: int = 3) -> float:
    """The median wall-clock seconds a fresh interpreter takes to import what ``system`` needs
    (``IMPORTS``), interpreter start-up excluded."""
    python, statement = IMPORTS[system]
    probe = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = sorted(
        float(
            subprocess.run(
                [python, "-c", probe],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            ).stdout
        )
        for _ in range(runs)
    )
    return round(times[len(times) // 2], 2)


def run_elsewhere(
    system: str,
    n: int,
    *,
    model: str,
    base_url: str | None = None,
    concurrency: int = 1,
    timeout_s: float = 600,
) -> dict:
    """Run ``orchestra.examples.capstone_<system>`` on the first ``n`` golden questions in the
    agents' environment, ``concurrency`` at a time, against ``base_url`` (the simulator; None:
    the real API with the caller's key); its JSON document (``capstone_run``). A missing
    environment or a runner that fails is a ``ConfigError`` naming the fix, not a traceback
    from a subprocess."""
    if not (AGENTS_PYTHON.parent.parent / ".installed").exists():  # make's stamp: complete
        raise ConfigError(
            f"{AGENTS_PYTHON.parent.parent.name}/ is not ready: `make lab` creates it in the "
            "background (build/agents-setup.log), or run `make agents`"
        )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if base_url:
        env |= {"ANTHROPIC_BASE_URL": base_url}
    cmd = [str(AGENTS_PYTHON), "-m", f"orchestra.examples.capstone_{system}"]
    cmd += ["--questions", str(n), "--model", model, "--concurrency", str(concurrency)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s, cwd=ROOT)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"the {system} runner failed (exit {proc.returncode}): {last}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- orchestra ---------------------------------------------------------------------------


async def run_orchestra(
    questions: list[dict], *, model: str, base_url: str | None = None, concurrency: int = 8
) -> list[dict]:
    """``capstone.pipeline`` over the questions with ``run_many``."""
    from orchestra import LLM

    # no base_url: real Claude, as the other systems do (they read ANTHROPIC_BASE_URL or the real URL)
    async with LLM(model, backend="sim" if base_url else "anthropic", base_url=base_url) as llm:
        runs = await cap.pipeline(llm).run_many(
            [cap.Case(question=q["question"]) for q in questions], concurrency=concurrency
        )
    return run_rows(questions, runs)


def run_rows(questions: list[dict], runs: list) -> list[dict]:
    """The result rows of the engine's ``RunResult``s, one per question. A run that ended at
    the loop's bound reports the last draft's refusal, as the other systems' rows do."""
    rows = []
    for q, r in zip(questions, runs, strict=True):
        error = None
        if r.status != "completed":
            error = r.error or OutputFormatError(r.reason or r.status)
        if isinstance(r.error, LoopLimitError) and r.state.problem:
            error = OutputFormatError(r.state.problem)
        rows.append(result(q, r.state.category, r.state.answer, error))
    return rows


# ---- LangChain LCEL ------------------------------------------------------------------------


def lcel_chain(model: str, base_url: str | None = None, *, max_regenerations: int = 1):
    """classify | retrieve | (generate | validate).with_retry | format, over a dict of fields."""
    from langchain_anthropic import ChatAnthropic
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.runnables import RunnableLambda, RunnablePassthrough

    def chat(part: str):
        return (
            ChatAnthropic(model=model, base_url=base_url, max_tokens=cap.MAX_TOKENS[part])
            | StrOutputParser()
        )

    def logged(name: str, fn):
        def run(s: dict) -> Any:
            out = fn(s)
            cap.log.info("%s: %s", name, out if name != "retrieve" else [p.id for p in out])
            return out

        return RunnableLambda(run)

    classify = RunnableLambda(lambda s: cap.classify_prompt(s["question"])) | chat("classify")
    answer = (
        RunnablePassthrough.assign(
            draft=RunnableLambda(lambda s: cap.generate_prompt(s["question"], s["passages"]))
            | chat("generate")
        )
        | RunnablePassthrough.assign(
            answer=logged("validate", lambda s: cap.validate(s["draft"], s["passages"]))
        )
    ).with_retry(
        retry_if_exception_type=(OutputFormatError,),
        stop_after_attempt=max_regenerations + 1,
        wait_exponential_jitter=False,
    )
    return (
        RunnablePassthrough.assign(category=classify | logged("classify", cap.parse_category))
        | RunnablePassthrough.assign(
            passages=logged("retrieve", lambda s: cap.retrieve(s["question"], s["category"]))
        )
        | answer
        | RunnablePassthrough.assign(
            reply=logged(
                "format", lambda s: cap.format_reply(s["category"], s["answer"], s["passages"])
            )
        )
    )


async def run_lcel(
    questions: list[dict], *, model: str, base_url: str | None = None, concurrency: int = 8
) -> list[dict]:
    """The chain over the questions with ``abatch`` (``max_concurrency``), errors kept per item."""
    chain = lcel_chain(model, base_url)
    outs = await chain.abatch(
        [{"question": q["question"]} for q in questions],
        config={"max_concurrency": concurrency},
        return_exceptions=True,
    )
    return [
        result(q, None, None, out)
        if isinstance(out, BaseException)
        else result(q, out["category"], out["answer"], None)
        for q, out in zip(questions, outs, strict=True)
    ]


# ---- LangGraph -----------------------------------------------------------------------------


class GraphState(BaseModel):
    """LangGraph's state: the capstone's fields plus the count of drafts made."""

    question: str
    category: str | None = None
    passages: list[dict] = []
    draft: str | None = None
    answer: cap.Answer | None = None
    problem: str | None = None
    drafts: int = 0
    reply: str | None = None


def langgraph_app(
    model: str, base_url: str | None = None, *, checkpointer: Any = None, max_regenerations: int = 1
):
    """Five nodes; after ``validate`` a conditional edge goes back to ``generate`` while drafts
    are left, to ``format`` when the answer passed, else to the end (a failed run)."""
    from langchain_anthropic import ChatAnthropic
    from langgraph.graph import END, START, StateGraph

    def chat(part: str):
        return ChatAnthropic(model=model, base_url=base_url, max_tokens=cap.MAX_TOKENS[part])

    classifier, writer = chat("classify"), chat("generate")

    def passages(s: GraphState) -> list[cap.Passage]:
        return [cap.Passage(**p) for p in s.passages]

    async def classify(s: GraphState) -> dict:
        text = (await classifier.ainvoke(cap.classify_prompt(s.question))).text
        category = cap.parse_category(text)
        cap.log.info("classify: %s", category)
        return {"category": category}

    def retrieve(s: GraphState) -> dict:
        found = cap.retrieve(s.question, s.category)
        cap.log.info("retrieve: %s", [p.id for p in found])
        return {"passages": [p.__dict__ for p in found]}

    async def generate(s: GraphState) -> dict:
        text = (await writer.ainvoke(cap.generate_prompt(s.question, passages(s)))).text
        cap.log.info("generate: %d characters", len(text))
        return {"draft": text, "drafts": s.drafts + 1}

    def validate(s: GraphState) -> dict:
        try:
            answer = cap.validate(s.draft, passages(s))
        except OutputFormatError as e:
            cap.log.info("validate: refused: %s", e)
            return {"answer": None, "problem": str(e)}
        cap.log.info("validate: ok, cites %s", answer.sources)
        return {"answer": answer, "problem": None}

    def format_(s: GraphState) -> dict:
        cap.log.info("format: done")
        return {"reply": cap.format_reply(s.category, s.answer, passages(s))}

    def after_validate(s: GraphState) -> str:
        if s.answer is not None:
            return "format"
        return "generate" if s.drafts <= max_regenerations else END

    graph = StateGraph(GraphState)
    for name, node in [
        ("classify", classify),
        ("retrieve", retrieve),
        ("generate", generate),
        ("validate", validate),
        ("format", format_),
    ]:
        graph.add_node(name, node)
    graph.add_edge(START, "classify")
    graph.add_edge("classify", "retrieve")
    graph.add_edge("retrieve", "generate")
    graph.add_edge("generate", "validate")
    graph.add_conditional_edges("validate", after_validate, ["format", "generate", END])
    graph.add_edge("format", END)
    return graph.compile(checkpointer=checkpointer)


async def run_langgraph(
    questions: list[dict],
    *,
    model: str,
    base_url: str | None = None,
    concurrency: int = 8,
    db: str | Path | None = None,
) -> list[dict]:
    """The graph over the questions, each its own thread (its id) in a SQLite checkpointer
    (``db``, or a temporary file). Resuming a killed batch from it: ``capstone_crash``."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    with tempfile.TemporaryDirectory() as tmp:
        path = str(db or Path(tmp) / "langgraph.db")
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            app = langgraph_app(model, base_url, checkpointer=saver)
            outs = await app.abatch(
                [{"question": q["question"]} for q in questions],
                config=[
                    {"configurable": {"thread_id": q["id"]}, "max_concurrency": concurrency}
                    for q in questions
                ],
                return_exceptions=True,
            )
    return graph_rows(questions, outs)


def graph_rows(questions: list[dict], outs: list) -> list[dict]:
    """The result rows of the graph's final states (or the exceptions ``abatch`` returned)."""
    rows = []
    for q, out in zip(questions, outs, strict=True):
        if isinstance(out, BaseException):
            rows.append(result(q, None, None, out))
        elif out.get("answer") is None:
            why = OutputFormatError(out.get("problem") or "no answer")
            rows.append(result(q, out.get("category"), None, why))
        else:
            rows.append(result(q, out["category"], out["answer"], None))
    return rows


# ---- LlamaIndex Workflows ------------------------------------------------------------------


def llama_workflow(model: str, base_url: str | None = None, *, max_regenerations: int = 1):
    """Typed events: ``Classified`` -> ``Retrieved`` -> ``Drafted`` -> ``Validated`` ->
    ``StopEvent`` with the result; a refused draft sends its ``Retrieved`` again (back to
    generate), at most ``max_regenerations`` times."""
    from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, step
    from llama_index.llms.anthropic import Anthropic

    def llm(part: str):
        return Anthropic(model=model, base_url=base_url, max_tokens=cap.MAX_TOKENS[part])

    classifier, writer = llm("classify"), llm("generate")

    class Classified(Event):
        question: str
        category: str

    class Retrieved(Event):
        question: str
        category: str
        passages: list[dict]
        drafts: int = 0

    class Drafted(Event):
        job: Retrieved
        draft: str

    class Validated(Event):
        job: Retrieved
        answer: cap.Answer

    class Capstone(Workflow):
        @step
        async def classify(self, ev: StartEvent) -> Classified:
            text = (await classifier.acomplete(cap.classify_prompt(ev.question))).text
            category = cap.parse_category(text)
            cap.log.info("classify: %s", category)
            return Classified(question=ev.question, category=category)

        @step
        async def retrieve(self, ev: Classified) -> Retrieved:
            found = cap.retrieve(ev.question, ev.category)
            cap.log.info("retrieve: %s", [p.id for p in found])
            return Retrieved(
                question=ev.question, category=ev.category, passages=[p.__dict__ for p in found]
            )

        @step
        async def generate(self, ev: Retrieved) -> Drafted:
            passages = [cap.Passage(**p) for p in ev.passages]
            text = (await writer.acomplete(cap.generate_prompt(ev.question, passages))).text
            cap.log.info("generate: %d characters", len(text))
            job = ev.model_copy(update={"drafts": ev.drafts + 1})
            return Drafted(job=job, draft=text)

        @step
        async def validate(self, ev: Drafted) -> Validated | Retrieved | StopEvent:
            passages = [cap.Passage(**p) for p in ev.job.passages]
            try:
                answer = cap.validate(ev.draft, passages)
            except OutputFormatError as e:
                cap.log.info("validate: refused: %s", e)
                if ev.job.drafts <= max_regenerations:
                    return ev.job  # the Refused edge: back to generate
                return StopEvent(result={"category": ev.job.category, "error": e})
            cap.log.info("validate: ok, cites %s", answer.sources)
            return Validated(job=ev.job, answer=answer)

        @step
        async def format(self, ev: Validated) -> StopEvent:
            passages = [cap.Passage(**p) for p in ev.job.passages]
            reply = cap.format_reply(ev.job.category, ev.answer, passages)
            cap.log.info("format: done")
            return StopEvent(
                result={"category": ev.job.category, "answer": ev.answer, "reply": reply}
            )

    return Capstone(timeout=120)


async def run_llama(
    questions: list[dict], *, model: str, base_url: str | None = None, concurrency: int = 8
) -> list[dict]:
    """One workflow run per question, at most ``concurrency`` at a time."""
    flow, limit = llama_workflow(model, base_url), asyncio.Semaphore(concurrency)

    async def one(q: dict) -> dict:
        async with limit:
            try:
                out = await flow.run(question=q["question"])
            except Exception as e:  # noqa: BLE001 - a failed run is a result, not a crash
                return result(q, None, None, e)
        return result(q, out["category"], out.get("answer"), out.get("error"))

    return await asyncio.gather(*(one(q) for q in questions))


# ---- one dispatch for all eight --------------------------------------------------------------

IN_PROCESS = {
    "orchestra": run_orchestra,
    "LCEL": run_lcel,
    "LangGraph": run_langgraph,
    "LlamaIndex Workflows": run_llama,
    "Pydantic AI": pai.run_pydantic_ai,
}
ELSEWHERE = {"CrewAI": "crewai", "AutoGen": "autogen"}
"""The systems whose runner lives in another environment: name -> ``capstone_<runner>``."""


async def run_system(
    system: str,
    questions: list[dict],
    *,
    model: str,
    base_url: str | None = None,
    concurrency: int = 8,
    temporal: str | None = None,
) -> list[dict]:
    """Any of the eight on the questions, one result row each: in this process, through a
    Temporal server at ``temporal`` (a worker runs here), or as a subprocess in the agents'
    environment (then ``questions`` must be the first golden ones, as the runner reads them).

        >>> rows = await run_system("CrewAI", golden(3), model="claude-haiku-5-5", base_url=url)
    """
    how = {"model": model, "base_url": base_url, "concurrency": concurrency}
    if system in IN_PROCESS:
        return await IN_PROCESS[system](questions, **how)
    if system in ELSEWHERE:
        if [q["id"] for q in questions] != [q["id"] for q in cap.golden(len(questions))]:
            raise ConfigError(f"{system} runs the first N golden questions; pass cap.golden(N)")
        doc = await asyncio.to_thread(run_elsewhere, ELSEWHERE[system], len(questions), **how)
        return doc["results"]
    if system == "Temporal":
        if temporal is None:
            raise ConfigError("Temporal needs its server's address: temporal=server.address")
        from orchestra.examples import capstone_temporal as ct

        return await ct.run_questions(
            temporal, questions, model=model, max_concurrent_activities=concurrency
        )
    known = [*IN_PROCESS, "Temporal", *ELSEWHERE]
    raise ConfigError(f"no system {system!r}; there are {known}")
