"""The interview question that ends each exercise: your answer, the rubric, a model answer.

Every exercise notebook ends the same way: you write your answer in a code cell, as the string
``answer`` (so the next cell reads what the kernel holds: nothing to save first, and a copy of
the notebook reads its own), then one cell shows the points a strong answer makes (score
yourself, one point each) and, once you have answered, a model answer folded away until you
open it; on real Claude a grader LLM also marks each point and explains.

    answer = '''My answer ...'''
    await review(answer, RUBRIC, MODEL_ANSWER, backend=backend)
"""

from __future__ import annotations

from orchestra.text import escape_math

__all__ = ["GRADER_MODEL", "Review", "review"]


class Review(str):
    """The review as text (``print`` it), shown in a notebook as Markdown with the model
    answer folded (a ``<details>`` block the learner opens when ready)."""

    def __new__(cls, text: str, markdown: str) -> Review:
        made = super().__new__(cls, text)
        made.markdown = markdown
        return made

    def _repr_markdown_(self) -> str:
        return self.markdown

    def _repr_pretty_(self, p, cycle: bool) -> None:  # the text, not a quoted string
        p.text(str(self))


GRADER_MODEL = "claude-sonnet-5-5"
"""The model that marks answers on real Claude (``review(..., backend="anthropic")``)."""
GRADER_MAX_TOKENS = 4096
"""The grader's output budget: Sonnet 5.5 thinks at effort ``high`` by default, longest on a
grading task, and its thinking counts in ``max_tokens`` before the marks are written."""


async def review(
    answer: str,
    rubric: list[str],
    model_answer: str,
    *,
    backend: str = "sim",
    grader=None,
    min_words: int = 20,
) -> Review:
    """The rubric to score yourself against, then (once you have answered) a model answer and,
    on real Claude (``backend="anthropic"``), a grader's marking of each point.

    The grader is ``GRADER_MODEL`` unless you pass your own ``grader`` (anything with an
    ``ask``); offline there is no grader, since a simulated one would only pretend to judge.

    ``await review("Retry only transient errors ...", ["names 429"], "Retry ...")``, the
    cell's last line, shows it as Markdown; ``print(...)`` shows it as text.
    """
    words = len(answer.split())
    answered = words >= min_words and "Your answer here" not in answer and "TODO" not in answer
    ask = f"Write your answer first ({words} words so far), then run this cell again."
    head = f"A strong answer makes these {len(rubric)} points (score yourself, one each):"
    lines = ([] if answered else [ask + "\n"]) + [head] + [f"  [ ] {p}" for p in rubric]
    md = ([] if answered else [f"**{ask}** Set `answer` in the cell above.", ""]) + [head, ""]
    md += [f"- [ ] {escape_math(p)}" for p in rubric]
    if answered:
        lines += ["", "A model answer:", model_answer]
        md += ["", "<details><summary>A model answer (open it once yours is written)</summary>"]
        md += ["", escape_math(model_answer), "", "</details>"]
    if answered and (grader is not None or backend == "anthropic"):
        points = "\n".join(f"{i}. {p}" for i, p in enumerate(rubric, 1))
        prompt = (
            "Grade this interview answer against the rubric. For each point say met or not met "
            f"and why, in one line; then a score out of {len(rubric)} and one tip.\n\n"
            f"Rubric:\n{points}\n\nAnswer:\n{answer}"
        )
        if grader is None:
            from orchestra.llm import LLM  # here: the exercise may never reach a grader

            async with LLM(GRADER_MODEL, backend="anthropic", max_tokens=GRADER_MAX_TOKENS) as own:
                reply = await own.ask(prompt)
        else:
            reply = await grader.ask(prompt)
        lines += ["", "Claude's grading:", reply.text]
        md += ["", "**Claude's grading:**", "", escape_math(reply.text)]
    return Review("\n".join(lines), "\n".join(md))
