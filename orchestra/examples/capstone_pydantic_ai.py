"""Chapter 11's capstone in Pydantic AI: two typed agents, and plain Python between them.

    classifier agent (output: a category) -> retrieve (Python) ->
    writer agent (output: ``Answer``, through a grounding check) -> format (Python)

What a Pydantic AI user would write: each LLM step is an ``Agent`` with a typed output, and
the run's ``deps`` carry what the checks need. Both outputs are ``TextOutput`` functions over
the capstone's own prompts: the classifier's turns the reply into a category
(``capstone.parse_category``), the writer's turns the JSON draft into a checked ``Answer``
(``capstone.validate``, with the passages from ``deps``) or raises ``ModelRetry`` with the
reason. Pydantic AI sends that reason back to the model ("Validation feedback: ... Fix the
errors and try again."), at most ``max_regenerations`` times (``retries={"output": n}``), then
raises ``UnexpectedModelBehavior``; the row names the last reason instead. (Pydantic AI's
default for a typed output, an output tool the model is forced to call, sends ``tool_choice``
``any``, which Sonnet 5.5 and Opus 5.5 refuse with a 400: Pydantic AI 2.32 has no profile for
the 5.5 models yet.) The model is ``AnthropicModel`` on an ``AnthropicProvider`` pointed at
``base_url`` (the simulator; None: the real API with ``ANTHROPIC_API_KEY``), so a 529 meets the
Anthropic SDK's own two retries. Prompts, retrieval, checks and formatting are the capstone's.

    >>> rows = await run_pydantic_ai(cap.golden(3), model="claude-haiku-5-5", base_url=url)
"""

# No `from __future__ import annotations`: Pydantic AI reads the output function's hints at run
# time, and RunContext is imported where the agents are built, not at module level.
import asyncio
from dataclasses import dataclass, field

from orchestra.errors import OutputFormatError
from orchestra.examples import capstone as cap
from orchestra.examples.capstone_run import result

__all__ = ["Job", "agents", "answer_one", "run_pydantic_ai"]


@dataclass
class Job:
    """The writer's ``deps``: what its output function needs, and what it refused."""

    passages: list[cap.Passage]
    refusals: list[Exception] = field(default_factory=list)
    """Each refused draft's reason, the last one reported when the retries run out."""


def agents(model: str, base_url: str | None = None, *, max_regenerations: int = 1) -> dict:
    """The classifier and the writer, on one provider (Pydantic AI imported here)."""
    from pydantic_ai import Agent, ModelRetry, RunContext, TextOutput
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    claude = AnthropicModel(model, provider=AnthropicProvider(base_url=base_url))

    def settings(part: str) -> dict:
        return {"max_tokens": cap.MAX_TOKENS[part]}

    # a reply naming no category fails the question (OutputFormatError), as in the other systems
    classifier = Agent(
        claude, output_type=TextOutput(cap.parse_category), model_settings=settings("classify")
    )

    def grounded(ctx: RunContext[Job], text: str) -> cap.Answer:
        """The writer's output function: the draft as a checked ``Answer``, or a retry."""
        cap.log.info("generate: %d characters", len(text))
        try:
            answer = cap.validate(text, ctx.deps.passages)
        except OutputFormatError as e:  # UngroundedAnswerError included
            cap.log.info("validate: refused: %s", e)
            ctx.deps.refusals.append(e)
            raise ModelRetry(str(e)) from e  # the reason goes back to the model
        cap.log.info("validate: ok, cites %s", answer.sources)
        return answer

    writer = Agent(
        claude,
        output_type=TextOutput(grounded),  # the capstone's prompt asks for JSON in the text
        deps_type=Job,
        model_settings=settings("generate"),
        retries={"output": max_regenerations},
    )
    return {"classifier": classifier, "writer": writer, "model": claude}


async def answer_one(question: str, team: dict, state: dict) -> None:
    """One question through the two agents, writing ``category`` and ``answer`` into
    ``state`` as they come; raise what stopped it (the last refusal, when retries ran out)."""
    from pydantic_ai.exceptions import UnexpectedModelBehavior

    category = state["category"] = (
        await team["classifier"].run(cap.classify_prompt(question))
    ).output
    cap.log.info("classify: %s", category)

    passages = cap.retrieve(question, category)
    cap.log.info("retrieve: %s", [p.id for p in passages])

    job = Job(passages)
    try:
        out = await team["writer"].run(cap.generate_prompt(question, passages), deps=job)
    except UnexpectedModelBehavior:
        if job.refusals:  # "Exceeded maximum retries": name the last reason instead
            raise job.refusals[-1] from None
        raise
    answer = state["answer"] = out.output
    cap.log.info("format: %d characters", len(cap.format_reply(category, answer, passages)))


async def run_pydantic_ai(
    questions: list[dict], *, model: str, base_url: str | None = None, concurrency: int = 8
) -> list[dict]:
    """The two agents over the questions, at most ``concurrency`` questions at a time."""
    team, limit = agents(model, base_url), asyncio.Semaphore(concurrency)

    async def one(q: dict) -> dict:
        state: dict = {}
        async with limit:
            try:
                await answer_one(q["question"], team, state)
            except Exception as e:  # noqa: BLE001 - a failed question is a row, not a crash
                return result(q, state.get("category"), state.get("answer"), e)
        return result(q, state["category"], state["answer"], None)

    async with team["model"]:  # closes the provider's HTTP client at the end
        return await asyncio.gather(*(one(q) for q in questions))
