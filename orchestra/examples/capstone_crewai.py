"""Chapter 11's capstone in CrewAI: two role-based agents, each with its task, and plain Python
between them.

    classifier agent (task: classify_prompt) -> retrieve (Python) ->
    support writer agent (task: generate_prompt; guardrail: validate) -> format (Python)

What a CrewAI user would write: each LLM step is an ``Agent`` (role, goal, backstory) given a
``Task`` and run by a one-task ``Crew``. CrewAI wraps the capstone's prompt in its own: the
role, backstory and goal as the system prompt; the task as "Current Task: ...", followed by
the expected output and a request for "the complete content as the final answer". (An agent
without tools gets no ReAct "Thought: / Final Answer:" format: 1.15 asks for the answer itself.)
The validate step is the task's ``guardrail``: when it refuses a draft, CrewAI asks the agent
again with the reason, at most ``max_regenerations`` times. The model is CrewAI's native
Anthropic provider (``anthropic/<model>``, not LiteLLM), pointed at ``ANTHROPIC_BASE_URL``: it
sends ``temperature`` only when one is set (none is here, which today's models require), and it
joins the text blocks of a reply, keeping thinking blocks apart. Prompts, retrieval, checks and
formatting are the capstone's own functions.

Run in ``.venv-agents`` (``make agents``), with the repo on ``PYTHONPATH``:

    PYTHONPATH=. .venv-agents/bin/python -m orchestra.examples.capstone_crewai --questions 3

It prints one JSON document (see ``orchestra.examples.capstone_run``). Telemetry, tracing and
the version check are turned off before CrewAI is imported.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

from orchestra.errors import OutputFormatError
from orchestra.examples import capstone as cap
from orchestra.examples.capstone_run import emit, parse_args, result

log = logging.getLogger("orchestra.capstone")

QUIET = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "CREWAI_DISABLE_TRACKING": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
}
"""CrewAI's switches for anonymous telemetry, trace upload and the PyPI version check."""


def build(model: str, max_regenerations: int) -> dict:
    """The two agents and the LLMs behind them (CrewAI imported here, not at module import)."""
    from crewai import LLM, Agent

    def llm(step: str):
        return LLM(
            model=f"anthropic/{model}",
            base_url=os.environ.get("ANTHROPIC_BASE_URL"),
            max_tokens=cap.MAX_TOKENS[step],
        )

    classifier = Agent(
        role="Support triage specialist",
        goal="Route each customer question to the one help-centre category it belongs to",
        backstory="You read customer questions all day and know which team handles what.",
        llm=llm("classify"),
        allow_delegation=False,
        max_iter=1,
    )
    writer = Agent(
        role="Support writer",
        goal="Answer customers briefly, using only the help-centre articles you are given",
        backstory="You write short, accurate replies and always cite the articles you used.",
        llm=llm("generate"),
        allow_delegation=False,
        max_iter=1,
    )
    return {"classifier": classifier, "writer": writer, "retries": max_regenerations}


def answer_one(question: str, team: dict, state: dict) -> None:
    """Run one question through the two crews, writing ``category`` and ``answer`` into
    ``state`` as they come; raise what stopped it."""
    from crewai import Crew, Process, Task

    def kickoff(agent, task) -> str:
        crew = Crew(agents=[agent], tasks=[task], process=Process.sequential, verbose=False)
        return crew.kickoff().raw

    reply = kickoff(
        team["classifier"],
        Task(
            description=cap.classify_prompt(question),
            expected_output="Only the category's name.",
            agent=team["classifier"],
        ),
    )
    category = state["category"] = cap.parse_category(reply)
    log.info("classify: %s", category)

    passages = cap.retrieve(question, category)
    log.info("retrieve: %s", [p.id for p in passages])

    refusals: list[Exception] = []

    def guardrail(output):  # -> (ok, text or reason); CrewAI rejects a string annotation
        log.info("generate: %d characters", len(output.raw))
        try:
            checked = cap.validate(output.raw, passages)
        except OutputFormatError as e:  # UngroundedAnswerError included
            log.info("validate: refused: %s", e)
            refusals.append(e)
            return False, str(e)
        log.info("validate: ok, cites %s", checked.sources)
        return True, checked.model_dump_json()

    task = Task(
        description=cap.generate_prompt(question, passages),
        expected_output='JSON only: {"answer": "...", "sources": ["..."]}',
        agent=team["writer"],
        guardrail=guardrail,
        guardrail_max_retries=team["retries"],
    )
    try:
        final = kickoff(team["writer"], task)
    except Exception:
        if refusals:  # CrewAI's own "Task failed guardrail validation": name the last reason
            raise refusals[-1] from None
        raise
    answer = state["answer"] = cap.Answer.model_validate_json(final)
    log.info("format: %d characters", len(cap.format_reply(category, answer, passages)))


def main(argv: list[str] | None = None) -> None:
    args = parse_args("crewai", argv)
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)
    began = time.perf_counter()
    import crewai  # noqa: F401  (timed: the framework's import cost)

    import_s = time.perf_counter() - began

    def one(gold: dict) -> dict:
        team, state, error = build(args.model, args.max_regenerations), {}, None
        try:  # its own agents: a crew's agents are not shared between threads
            answer_one(gold["question"], team, state)
        except Exception as e:  # one question's failure is its row, not the run's end
            error = e
        return result(gold, state.get("category"), state.get("answer"), error)

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:  # kickoff blocks: threads
        results = list(pool.map(one, cap.golden(args.questions)))
    emit("crewai", args.model, results, import_s, time.perf_counter() - began)


if __name__ == "__main__":
    main()
