"""orchestra.exercise: what a check's failure says when the learner's code raises or is unwritten."""

from __future__ import annotations

import asyncio

import pytest

from orchestra import exercise


def total(items, *, scale=1):
    return sum(items) * scale


def unwritten(x):
    raise NotImplementedError("task 2: write unwritten()")


def broken(rows):
    return rows[0]["amount"]


async def later(x):
    await asyncio.sleep(0)
    return x + 1


def test_attempt_returns_what_the_function_returns_and_awaits_a_coroutine():
    assert asyncio.run(exercise.attempt(total, [1, 2], scale=3)) == 9
    assert asyncio.run(exercise.attempt(later, 1)) == 2


def test_an_unwritten_stub_says_which_task_and_cell_with_the_call_in_full():
    with pytest.raises(AssertionError) as caught:
        asyncio.run(exercise.attempt(unwritten, {"a": [1, 2]}))
    message = str(caught.value)
    assert "unwritten() is not written yet (task 2: write unwritten())" in message
    assert "cell marked TODO" in message and "unwritten({'a': [1, 2]})" in message


def test_an_error_in_the_learners_code_names_the_call_and_the_error():
    with pytest.raises(AssertionError) as caught:
        asyncio.run(exercise.attempt(broken, []))
    assert str(caught.value).startswith("broken([])\n  raised IndexError: list index out of range")


def test_a_registered_short_form_replaces_the_full_value_in_messages():
    class Plan:
        tools = ("classify", "reply")

    exercise.show_as(lambda v: isinstance(v, Plan), lambda p: f"plan_of{p.tools}")
    assert exercise.shown(total, Plan(), scale=2) == "total(plan_of('classify', 'reply'), scale=2)"
    assert exercise.show([1, 2]) == "[1, 2]"


def test_a_set_up_cell_run_again_registers_its_short_form_once():
    def register(kind):  # the same cell's source, run twice: new objects, the same code
        exercise.show_as(lambda v: isinstance(v, kind), lambda v: f"<{kind.__name__}>")

    before = len(exercise._FORMS)
    for kind in (type("Plan", (), {}), type("Plan", (), {})):
        register(kind)
        latest = kind
    assert len(exercise._FORMS) == before + 1
    assert exercise.show(latest()) == "<Plan>"  # the last run's class is the one shown


def test_called_and_acalled_name_the_call_the_check_gives():
    assert exercise.called("total([1])", total, [1]) == 1
    with pytest.raises(AssertionError, match=r"^culprit\(old, new\): not written yet \(task 2"):
        exercise.called("culprit(old, new)", unwritten, 1)
    with pytest.raises(AssertionError, match=r"^rows\[0\] raised KeyError: 'amount'"):
        exercise.called("rows[0]", broken, [{}])
    assert asyncio.run(exercise.acalled("later(1)", later(1))) == 2
    with pytest.raises(AssertionError, match="^publish: not written yet"):
        asyncio.run(exercise.acalled("publish", asyncio.to_thread(unwritten, 1)))
