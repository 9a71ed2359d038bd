"""Context budgets: keep the notes a workflow carries under a token budget (chapter 06).

A step can be given what came before in two ways: the fields it needs (explicit state, the
engine's default), or everything so far, as a list of notes pasted into every prompt. The
second grows with every step, so it needs a budget. ``fit`` enforces one: when the notes cross
``budget_tokens`` it folds all but the last ``keep_last`` into one summary note.

The summary is an LLM step with its own contract, ``Digest``: at most ``max_words`` words, not
empty, and fewer tokens than the notes it replaces; an answer that breaks it raises
``OutputFormatError`` (retryable: a new sample may fit). What it cannot promise is to keep the
fact a later step needs: a summary keeps what looks central, and an early label or number may
go. Chapter 06 measures that cost; the cure is to keep such facts as state fields.

    >>> notes, digest = await fit(llm, notes, budget_tokens=200, keep_last=2)
    >>> digest.tokens_before, digest.tokens_after        # None when nothing was folded
    >>> wf = Workflow("w", state=S, steps=[a, compactor(llm, budget_tokens=200), b])

Tokens are counted with the model's tokenizer as the simulator has it (about four characters a
token, 1.3x that on a 5.x model). Claude's
tokenizer is not public, so on real Claude the count is an estimate: pass ``count=`` (say, a
wrapper of the API's ``count_tokens``) or keep a margin under the model's real limit.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from orchestra.errors import ConfigError, OutputFormatError
from orchestra.llm import LLM
from orchestra.policies import Retry
from orchestra.steps import Context, Step, step
from orchestra.tokens import count_tokens

__all__ = ["Digest", "render", "summary_prompt", "summarize", "fit", "compactor", "SUMMARY"]

SUMMARY = "Summary of earlier steps: "
"""The prefix of a summary note, so that a reader (and the next fold) can tell it apart."""


class Digest(BaseModel):
    """The summarisation step's output: the summary and what folding bought."""

    summary: str
    """At most ``max_words`` words."""
    replaced: int
    """How many notes it replaces."""
    tokens_before: int
    """Tokens of the notes it replaces."""
    tokens_after: int
    """Tokens of the summary note."""


def render(notes: list[str]) -> str:
    """The notes as one block of text, one per line: ``render(["a", "b"]) == "a\nb"``."""
    return "\n".join(notes)


def summary_prompt(notes: list[str], max_words: int) -> str:
    """The summariser's prompt: ``summary_prompt(["Category: billing"], 40)``."""
    return f"Summarize the following notes in at most {max_words} words.\nText: {render(notes)}"


def on_model(llm: LLM) -> Callable[[str], int]:
    """Token counts on ``llm``'s own tokenizer (a 5.x model counts about 1.3x a 4.5 one): the
    default of ``summarize``, ``fit`` and ``compactor``, so a budget means what the model bills."""
    model = getattr(llm, "model", None)
    return lambda text: count_tokens(text, model=model)


async def summarize(
    llm: LLM,
    notes: list[str],
    *,
    max_words: int = 60,
    count: Callable[[str], int] | None = None,
) -> Digest:
    """Fold ``notes`` into one ``Digest``, checking its contract; raise ``OutputFormatError``.

    >>> digest = await summarize(llm, ["Category: billing", "Plan: refund"], max_words=20)
    """
    prompt = summary_prompt(notes, max_words)
    reply = await llm.ask(prompt)
    text = " ".join(reply.text.split())
    count = count or on_model(llm)
    before, after = count(render(notes)), count(SUMMARY + text)
    broken = (
        "is empty"
        if not text
        else f"has {len(text.split())} words, over {max_words}"
        if len(text.split()) > max_words
        else f"has {after} tokens, not fewer than the {before} it replaces"
        if after >= before
        else None
    )
    if broken:
        raise OutputFormatError(f"the summary {broken}; ask again", model=llm.model)
    return Digest(summary=text, replaced=len(notes), tokens_before=before, tokens_after=after)


async def fit(
    llm: LLM,
    notes: list[str],
    *,
    budget_tokens: int,
    keep_last: int = 2,
    max_words: int = 60,
    count: Callable[[str], int] | None = None,
) -> tuple[list[str], Digest | None]:
    """The notes under ``budget_tokens``: as they are, or the oldest folded into one summary.

    Returns the new notes and the ``Digest`` (None when they fitted). One fold per call (it
    cannot loop); if the ``keep_last`` notes alone exceed the budget, they are still kept whole
    and the result is over budget: lower ``keep_last`` or raise the budget.

        >>> notes, digest = await fit(llm, ["Category: billing", ...], budget_tokens=200)
    """
    if budget_tokens < 1 or keep_last < 0 or max_words < 1:
        raise ConfigError(
            f"fit needs budget_tokens >= 1, keep_last >= 0 and max_words >= 1; got "
            f"{budget_tokens}, {keep_last}, {max_words}"
        )
    cut = len(notes) - keep_last
    count = count or on_model(llm)
    if count(render(notes)) <= budget_tokens or cut < 2:  # fits, or nothing worth folding
        return list(notes), None
    digest = await summarize(llm, notes[:cut], max_words=max_words, count=count)
    return [SUMMARY + digest.summary, *notes[cut:]], digest


def compactor(
    llm: LLM,
    *,
    field: str = "notes",
    budget_tokens: int,
    keep_last: int = 2,
    max_words: int = 60,
    retry: Retry | None = None,
    count: Callable[[str], int] | None = None,
) -> Step:
    """``fit`` as a workflow step named ``compact``: it rewrites the list field ``field``.

    It makes no call while the notes fit (its span then shows no tokens), so its spans with
    input tokens are the summarisation points. A summary that breaks its contract is asked
    again once (``ctx.llm``: a fresh sample, or what the retry policy's ``escalate`` changes).

        >>> steps = [classify, compactor(llm, budget_tokens=200), plan]
    """

    @step(name="compact", writes=field, retry=retry or Retry(max_attempts=2, base_delay=0.0))
    async def compact(state: BaseModel, ctx: Context) -> dict | None:
        notes, digest = await fit(
            ctx.llm(llm),
            getattr(state, field),
            budget_tokens=budget_tokens,
            keep_last=keep_last,
            max_words=max_words,
            count=count,
        )
        return {field: notes} if digest else None

    return compact
