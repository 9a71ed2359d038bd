"""The interview question that ends each exercise: your answer, the rubric, a model answer.

Every exercise notebook ends the same way: you write an answer in a markdown cell, then one
cell shows the points a strong answer makes (score yourself, one point each) and a model
answer; on real Claude a grader LLM also marks each point and explains.

    answer = answer_in("03_router.ipynb", "answer-03")
    print(await review(answer, RUBRIC, MODEL_ANSWER, backend=backend))
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["GRADER_MODEL", "answer_in", "review"]


def answer_in(notebook: str | Path, tag: str) -> str:
    """The text of the markdown cell tagged ``tag`` in the saved notebook ("" if none).

    Read from the file, so save the notebook after writing: ``answer_in("03_router.ipynb", "answer-03")``.
    """
    import nbformat  # here, not at import: its JSON-schema validator takes seconds to load

    cells = nbformat.read(Path(notebook), as_version=4).cells
    return next((c.source for c in cells if tag in c.metadata.get("tags", [])), "")


GRADER_MODEL = "claude-sonnet-4-5"
"""The model that marks answers on real Claude (``review(..., backend="anthropic")``)."""


async def review(
    answer: str,
    rubric: list[str],
    model_answer: str,
    *,
    backend: str = "sim",
    grader=None,
    min_words: int = 20,
) -> str:
    """The rubric to score yourself against, then (once you have answered) a model answer and,
    on real Claude (``backend="anthropic"``), a grader's marking of each point.

    The grader is ``GRADER_MODEL`` unless you pass your own ``grader`` (anything with an
    ``ask``); offline there is no grader, since a simulated one would only pretend to judge.

    ``print(await review("Retry only transient errors ...", ["names 429"], "Retry ..."))``
    """
    words = len(answer.split())
    answered = words >= min_words and "Your answer here" not in answer and "TODO" not in answer
    lines = (
        []
        if answered
        else [f"Write your answer first ({words} words so far), then run this cell again.\n"]
    )
    lines.append(f"A strong answer makes these {len(rubric)} points (score yourself, one each):")
    lines += [f"  [ ] {point}" for point in rubric]
    if answered:
        lines += ["", "A model answer:", model_answer]
    if answered and (grader is not None or backend == "anthropic"):
        points = "\n".join(f"{i}. {p}" for i, p in enumerate(rubric, 1))
        prompt = (
            "Grade this interview answer against the rubric. For each point say met or not met "
            f"and why, in one line; then a score out of {len(rubric)} and one tip.\n\n"
            f"Rubric:\n{points}\n\nAnswer:\n{answer}"
        )
        if grader is None:
            from orchestra.llm import LLM  # here: the exercise may never reach a grader

            async with LLM(GRADER_MODEL, backend="anthropic", max_tokens=700) as own:
                reply = await own.ask(prompt)
        else:
            reply = await grader.ask(prompt)
        lines += ["", "Claude's grading:", reply.text]
    return "\n".join(lines)
