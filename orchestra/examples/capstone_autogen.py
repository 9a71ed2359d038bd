"""Chapter 11's capstone in AutoGen (agentchat): agents passing messages.

    classifier (AssistantAgent) -> retrieve (Python) ->
    team [writer (AssistantAgent) <-> checker (validate)] -> format (Python)

What an AutoGen user would write: each LLM step is an ``AssistantAgent`` with a system message
(its role) and ``AnthropicChatCompletionClient`` as its model client. The classifier is run on
the capstone's classify prompt; the writer and a checker form a round-robin team: the writer
answers the generate prompt, the checker (a non-LLM agent that runs ``validate``) replies
APPROVED, which ends the chat, or says why the draft was refused, and the writer answers
again, reading the whole conversation so far (at most ``max_regenerations`` times). The
simulator's models are unknown to AutoGen, so the client is given their ``model_info``; its
base URL comes from ``ANTHROPIC_BASE_URL``. Prompts, retrieval, checks and formatting are the
capstone's own functions.

Run in ``.venv-agents`` (``make agents``), with the repo on ``PYTHONPATH``:

    PYTHONPATH=. .venv-agents/bin/python -m orchestra.examples.capstone_autogen --questions 3

It prints one JSON document (see ``orchestra.examples.capstone_run``). AutoGen sends no
telemetry; its runtime's OpenTelemetry spans are turned off too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from orchestra.errors import OutputFormatError
from orchestra.examples import capstone as cap
from orchestra.examples.capstone_run import emit, parse_args, result

log = logging.getLogger("orchestra.capstone")

APPROVED = "APPROVED"
"""What the checker says to end the chat; the writer is never asked to say it."""


def model_info() -> dict:
    """What AutoGen must be told of a model it does not know (every simulator model)."""
    return {
        "vision": False,
        "function_calling": True,
        "json_output": False,
        "structured_output": False,
        "family": "unknown",
        "multiple_system_messages": False,
    }


def client(model: str, step: str) -> Any:
    """The model client of one step: its own ``max_tokens``, and the API's default temperature.

    AutoGen's client sends ``temperature`` in every request (1.0 unless told otherwise). Today's
    models refuse any other value with a 400, so it is set here to the API's default, 1.0, in
    plain sight: the one value they accept. Thinking blocks are read apart (into the result's
    ``thought``); the message content is the text blocks joined."""
    from autogen_ext.models.anthropic import AnthropicChatCompletionClient

    return AnthropicChatCompletionClient(
        model=model,
        base_url=os.environ.get("ANTHROPIC_BASE_URL"),
        max_tokens=cap.MAX_TOKENS[step],
        temperature=1.0,  # AutoGen always sends one; 1.0 is the API's default
        model_info=model_info(),
    )


def checker_agent(passages: list[cap.Passage], state: dict) -> Any:
    """A non-LLM agent that validates the writer's last message and says what it found."""
    from autogen_agentchat.agents import BaseChatAgent
    from autogen_agentchat.base import Response
    from autogen_agentchat.messages import TextMessage

    class Checker(BaseChatAgent):
        @property
        def produced_message_types(self):
            return (TextMessage,)

        async def on_messages(self, messages, cancellation_token) -> Response:
            draft = messages[-1].to_text() if messages else ""
            log.info("generate: %d characters", len(draft))
            try:
                state["answer"] = cap.validate(draft, passages)
            except OutputFormatError as e:  # UngroundedAnswerError included
                log.info("validate: refused: %s", e)
                state["refusal"] = e
                text = f"Your answer was refused: {e}. Answer again, as asked."
                return Response(chat_message=TextMessage(content=text, source=self.name))
            log.info("validate: ok, cites %s", state["answer"].sources)
            return Response(chat_message=TextMessage(content=APPROVED, source=self.name))

        async def on_reset(self, cancellation_token) -> None:
            state.pop("answer", None)

    return Checker("checker", description="Checks the answer against the passages.")


async def answer_one(question: str, model: str, retries: int, state: dict) -> None:
    """Run one question through the agents, writing ``category`` and ``answer`` into ``state``
    as they come; raise what stopped it."""
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.conditions import TextMentionTermination
    from autogen_agentchat.teams import RoundRobinGroupChat

    classifier = AssistantAgent(
        "classifier",
        model_client=client(model, "classify"),
        system_message="You are a support triage specialist who routes customer questions.",
    )
    run = await classifier.run(task=cap.classify_prompt(question))
    category = state["category"] = cap.parse_category(run.messages[-1].to_text())
    log.info("classify: %s", category)

    passages = cap.retrieve(question, category)
    log.info("retrieve: %s", [p.id for p in passages])

    writer = AssistantAgent(
        "writer",
        model_client=client(model, "generate"),
        system_message="You are a support writer who answers from help-centre articles.",
    )
    team = RoundRobinGroupChat(
        [writer, checker_agent(passages, state)],
        termination_condition=TextMentionTermination(APPROVED, sources=["checker"]),
        max_turns=2 * (retries + 1),  # writer, checker: one round per draft
    )
    await team.run(task=cap.generate_prompt(question, passages))
    if "answer" not in state:
        raise state.get("refusal") or OutputFormatError("the writer gave no answer")
    log.info("format: %d characters", len(cap.format_reply(category, state["answer"], passages)))


async def run_all(args) -> tuple[list[dict], float]:
    began = time.perf_counter()
    import autogen_agentchat  # noqa: F401  (timed: the framework's import cost)
    import autogen_ext.models.anthropic  # noqa: F401

    import_s = time.perf_counter() - began
    gate = asyncio.Semaphore(args.concurrency)

    async def one(gold: dict) -> dict:
        state, error = {}, None
        async with gate:
            try:
                await answer_one(gold["question"], args.model, args.max_regenerations, state)
            except Exception as e:  # one question's failure is its row, not the run's end
                error = e
        return result(gold, state.get("category"), state.get("answer"), error)

    return list(await asyncio.gather(*map(one, cap.golden(args.questions)))), import_s


def main(argv: list[str] | None = None) -> None:
    args = parse_args("autogen", argv)
    os.environ.setdefault("AUTOGEN_DISABLE_RUNTIME_TRACING", "true")
    began = time.perf_counter()
    results, import_s = asyncio.run(run_all(args))
    emit("autogen", args.model, results, import_s, time.perf_counter() - began)


if __name__ == "__main__":
    main()
