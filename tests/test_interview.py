"""The interview-question cell: the rubric, the model answer folded away, the grader."""

from __future__ import annotations

import pytest

from orchestra.interview import review

RUBRIC = ["names the cause", "gives the fix"]
MODEL = "The cause is X; the fix is Y."
ANSWER = "The cause is that validation checks the type only, and the fix is a range rule. " * 2


class Grader:
    def __init__(self):
        self.prompts = []

    async def ask(self, prompt):
        self.prompts.append(prompt)
        return type("Reply", (), {"text": "1. met\n2. met\nScore 2/2"})()


@pytest.mark.anyio
async def test_unanswered_shows_the_rubric_but_not_the_model_answer_and_asks_no_grader():
    grader = Grader()
    out = await review("_Your answer here._", RUBRIC, MODEL, grader=grader)
    assert "Write your answer first" in out and "[ ] names the cause" in out
    assert MODEL not in out and grader.prompts == []


@pytest.mark.anyio
async def test_answered_shows_the_model_answer_and_the_graders_marking():
    grader = Grader()
    out = await review(ANSWER, RUBRIC, MODEL, grader=grader)
    assert MODEL in out and "Score 2/2" in out and "Write your answer" not in out
    assert "1. names the cause" in grader.prompts[0] and ANSWER in grader.prompts[0]
    assert (await review(ANSWER, RUBRIC, MODEL)).endswith(MODEL)  # no grader: no marking


@pytest.mark.anyio
async def test_on_real_claude_review_grades_with_its_own_model(monkeypatch):
    """backend="anthropic" without a grader: review makes one (GRADER_MODEL) and closes it;
    without a key that is the client's named error, not a silent skip."""
    from orchestra.errors import ConfigError

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        await review(ANSWER, RUBRIC, MODEL, backend="anthropic")
    assert (await review("_Your answer here._", RUBRIC, MODEL, backend="anthropic")).count(
        "[ ]"
    ) == len(RUBRIC)  # not answered yet: nothing to grade, so no key is needed


@pytest.mark.anyio
async def test_in_a_notebook_the_model_answer_is_folded_and_dollars_stay_dollars():
    unanswered = (
        await review("_Your answer here._", RUBRIC, "It costs $1, not $2.")
    )._repr_markdown_()
    assert "- [ ] names the cause" in unanswered and "<details>" not in unanswered
    assert "Set `answer` in the cell above" in unanswered
    md = (await review(ANSWER, RUBRIC, "It costs $1, not $2."))._repr_markdown_()
    folded = md[md.index("<details>") : md.index("</details>")]
    assert "<summary>" in folded and r"It costs \\$1, not \\$2." in folded
