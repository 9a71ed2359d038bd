"""Per-model strictness (``orchestra.sim.rules``, ``models``, ``think``, ``signatures``): what each
of today's models refuses, in the API's words, and how it thinks.

Most checks run the decision pipeline in-process (``api.parse`` then ``Decider.decide``); the
wire shapes (thinking blocks, streaming events, token counting) go through the official SDK.
"""

from __future__ import annotations

import json

import anthropic
import pytest

from orchestra import tokens
from orchestra.prices import CATALOG
from orchestra.sim import api
from orchestra.sim.decide import Decider, dial
from orchestra.sim.faults import Faults
from orchestra.sim.limits import Limits
from orchestra.sim.rules import Settings

HAIKU5, SONNET5, OPUS5 = "claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"
HAIKU4, OPUS4 = "claude-haiku-4-5", "claude-opus-4-5"
NEW = (HAIKU5, SONNET5, OPUS5)
ASK = [
    {"role": "user", "content": "Classify into one of: billing, technical. Ticket: charged twice"}
]
PLAN = [{"role": "user", "content": "Plan the steps to migrate our billing database to Postgres."}]
TOOL = {"name": "add", "input_schema": {"type": "object", "properties": {"a": {"type": "number"}}}}
COMPUTER = {"type": "computer_20251124", "name": "computer", "display_width_px": 1024}
PREFILL = [*ASK, {"role": "assistant", "content": "The label is"}]


def request(model: str, **fields) -> dict:
    return {"model": model, "max_tokens": 4000, "messages": ASK, **fields}


def decide(body: dict, decider: Decider | None = None):
    decider = decider or Decider(0, 0.0, Faults(), Limits())
    return decider.decide(api.parse(json.dumps(body).encode()), "k")


def refusal(body: dict) -> api.ApiError:
    with pytest.raises(api.ApiError) as caught:
        decide(body)
    return caught.value


THINKING_OFF = (
    ' Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.'
)
ENABLED = {"type": "enabled", "budget_tokens": 2000}
CELLS = [  # (model, fields, the API's message)
    *[(m, {"temperature": 0.5}, "`temperature` is deprecated for this model.") for m in NEW],
    *[(m, {"top_p": 0.9}, "`top_p` is deprecated for this model.") for m in NEW],
    *[(m, {"top_k": 40}, "`top_k` is deprecated for this model.") for m in NEW],
    *[
        (m, {"messages": PREFILL}, "Prefilling assistant messages is not supported for this model.")
        for m in NEW
    ],
    *[
        (
            m,
            {"thinking": ENABLED},
            '"thinking.type.enabled" is not supported for this model.' + THINKING_OFF,
        )
        for m in NEW
    ],
    (
        OPUS5,
        {"thinking": {"type": "disabled"}},
        '"thinking.type.disabled" is not supported for this model.' + THINKING_OFF,
    ),
    (
        SONNET5,
        {"thinking": {"type": "disabled"}},
        '"thinking.type.disabled" is not supported for this model. Use "thinking.type.between_tools"',
    ),
    (
        OPUS5,
        {"thinking": {"type": "between_tools"}},
        '"thinking.type.between_tools" is not supported',
    ),
    (
        HAIKU4,
        {"thinking": {"type": "adaptive"}},
        "adaptive thinking is not supported on this model",
    ),
    *[
        (
            HAIKU5,
            {"thinking": {"type": "disabled"}, "output_config": {"effort": e}},
            f"output_config.effort '{e}' is not supported when thinking is disabled on this model. Use effort 'high' or below, or enable thinking.",
        )
        for e in ("xhigh", "max")
    ],
    (
        SONNET5,
        {"thinking": {"type": "between_tools"}, "output_config": {"effort": "max"}},
        "output_config.effort 'max' is not supported when thinking.type is \"between_tools\"",
    ),
    *[
        (
            m,
            {
                "tools": [TOOL],
                "tool_choice": {"type": kind, **({"name": "add"} if kind == "tool" else {})},
            },
            'tool_choice: type "tool" and "any" are not supported for this model.',
        )
        for m in (SONNET5, OPUS5)
        for kind in ("any", "tool")
    ],
    (
        HAIKU4,
        {"output_config": {"effort": "low"}},
        "This model does not support the effort parameter.",
    ),
    (
        OPUS4,
        {"output_config": {"effort": "xhigh"}},
        "output_config.effort: 'xhigh' is not supported for this model",
    ),
    (
        HAIKU5,
        {"output_config": {"effort": "extreme"}},
        "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
    ),
    *[
        (
            m,
            {"tools": [COMPUTER]},
            "tools.0.type: 'computer_20251124' is not supported for this model. Use 'computer_toolset_20260801'.",
        )
        for m in NEW
    ],
    (
        HAIKU4,
        {"thinking": {"type": "enabled", "budget_tokens": 500}},
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    ),
    (
        HAIKU4,
        {"thinking": {"type": "enabled", "budget_tokens": 4000}},
        "`max_tokens` must be greater than `thinking.budget_tokens`.",
    ),
    (
        HAIKU4,
        {"thinking": ENABLED, "temperature": 0.2},
        "`temperature` may only be set to 1 when thinking is enabled.",
    ),
    (
        HAIKU4,
        {"temperature": 0.2, "top_p": 0.9},
        "`temperature` and `top_p` cannot both be specified for this model.",
    ),
]


@pytest.mark.parametrize(
    ("model", "fields", "message"), CELLS, ids=lambda v: v if isinstance(v, str) else None
)
def test_each_model_refuses_what_the_api_refuses_in_its_words(model, fields, message):
    e = refusal(request(model, **fields))
    assert e.status == 400 and e.body("r")["error"]["type"] == "invalid_request_error"
    assert e.message.startswith(message), e.message


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (HAIKU4, {"temperature": 0.0}),
        (HAIKU4, {"messages": PREFILL}),
        (HAIKU4, {"thinking": ENABLED, "tools": [TOOL], "tool_choice": {"type": "auto"}}),
        (HAIKU4, {"top_k": 40}),
        (OPUS4, {"output_config": {"effort": "low"}, "tools": [COMPUTER]}),
        (HAIKU5, {"temperature": 1.0}),  # the default is not a sampling choice
        (HAIKU5, {"thinking": {"type": "disabled"}, "output_config": {"effort": "high"}}),
        (SONNET5, {"thinking": {"type": "between_tools"}, "output_config": {"effort": "low"}}),
        (OPUS5, {"thinking": {"type": "adaptive", "display": "summarized"}}),
        (HAIKU5, {"tools": [TOOL], "tool_choice": {"type": "any"}}),
    ],
)
def test_what_a_model_takes_it_answers(model, fields):
    assert decide(request(model, **fields)).record["status"] == 200


def test_a_retired_model_is_not_found_and_an_unknown_one_too():
    for model in ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-imaginary-9"):
        with pytest.raises(api.ApiError) as caught:
            api.parse(json.dumps(request(model)).encode())
        assert caught.value.status == 404 and caught.value.message == f"model: {model}"
        assert caught.value.body("r")["error"]["type"] == "not_found_error"


# ---------------------------------------------------------------- thinking blocks


def test_5x_answers_start_with_a_thinking_block_billed_as_output(sim):
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    for model in NEW:
        m = client.messages.create(model=model, max_tokens=4000, messages=PLAN)
        assert [b.type for b in m.content] == ["thinking", "text"], model
        assert m.content[0].thinking == "" and m.content[0].signature  # display "omitted"
        thought = m.usage.output_tokens_details.thinking_tokens
        assert 0 < thought < m.usage.output_tokens, model
    shown = client.messages.create(
        model=SONNET5,
        max_tokens=4000,
        messages=PLAN,
        thinking={"type": "adaptive", "display": "summarized"},
    )
    assert "migrate" in shown.content[0].thinking.lower()
    plain = client.messages.create(model=HAIKU4, max_tokens=4000, messages=PLAN, temperature=0)
    assert [b.type for b in plain.content] == ["text"] and plain.usage.output_tokens_details is None
    budget = client.messages.create(model=HAIKU4, max_tokens=4000, messages=PLAN, thinking=ENABLED)
    assert budget.content[0].type == "thinking" and budget.content[0].thinking  # summarized


def test_streamed_thinking_accumulates_to_the_same_message_through_the_sdk(sim):
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    kw = dict(
        model=HAIKU5,
        max_tokens=4000,
        messages=PLAN,
        thinking={"type": "adaptive", "display": "summarized"},
    )
    with client.messages.stream(**kw) as stream:
        kinds = {e.type for e in stream}
        final = stream.get_final_message()
    assert {"thinking", "signature"} <= kinds
    assert (
        final.content[0].type == "thinking"
        and final.content[0].thinking
        and final.content[0].signature
    )
    assert final.content[1].type == "text" and final.content[1].text
    assert final.usage.output_tokens_details.thinking_tokens > 0


def test_thinking_that_uses_up_max_tokens_leaves_no_answer():
    out = decide(request(OPUS5, messages=PLAN, max_tokens=50, output_config={"effort": "max"}))
    body = out.body
    assert [b["type"] for b in body["content"]] == ["thinking"]
    assert body["stop_reason"] == "max_tokens" and body["usage"]["output_tokens"] == 50


def test_structured_output_with_effort_thinks_then_answers_json():
    fmt = {
        "type": "json_schema",
        "schema": {
            "type": "object",
            "properties": {"label": {"type": "string"}},
            "required": ["label"],
        },
    }
    body = decide(
        request(SONNET5, output_config={"format": fmt, "effort": "low"}, messages=PLAN)
    ).body
    assert [b["type"] for b in body["content"]] == ["thinking", "text"]
    assert "label" in json.loads(body["content"][1]["text"])


def test_higher_effort_thinks_longer_takes_longer_and_helps_hard_tasks_most():
    def run(effort, messages=PLAN):
        return decide(request(OPUS5, messages=messages, output_config={"effort": effort})).record

    low, high, most = run("low"), run("high"), run("max")
    assert low["thinking_tokens"] < high["thinking_tokens"] < most["thinking_tokens"]
    assert low["model_s"] < high["model_s"] < most["model_s"]
    assert run("low", ASK)["thinking_tokens"] == 0  # an easy task at low effort: no thinking
    opus = CATALOG[OPUS5]
    hard = {
        e: dial(0.9, opus, Settings("adaptive", e, "omitted"), 2.0, True)
        for e in ("low", "medium", "max")
    }
    easy = {
        e: dial(0.9, opus, Settings("adaptive", e, "omitted"), 0.5, True)
        for e in ("low", "medium", "max")
    }
    assert hard["low"] < hard["medium"] == 0.9 < hard["max"]
    assert hard["max"] - hard["low"] > 3 * (easy["max"] - easy["low"])


# ---------------------------------------------------------------- replayed thinking


def test_a_replayed_thinking_block_must_be_unedited_and_so_must_its_history():
    decider = Decider(7, 0.0, Faults(), Limits())
    first = decide(request(SONNET5, messages=PLAN), decider).body
    reply = {"role": "assistant", "content": first["content"]}
    more = {"role": "user", "content": "Now make it shorter."}
    assert decide(request(SONNET5, messages=[*PLAN, reply, more]), decider).record["status"] == 200
    edited = json.loads(json.dumps(reply))
    edited["content"][0]["thinking"] = "I will say something else."
    e = refusal_with(decider, request(SONNET5, messages=[*PLAN, edited, more]))
    assert e.message == "messages.1.content.0: Invalid `signature` in `thinking` block"
    other = [{"role": "user", "content": "Plan the steps to migrate our wiki."}]
    e = refusal_with(decider, request(SONNET5, messages=[*other, reply, more]))
    assert "The block is bound to a different conversation." in e.message
    # Haiku 4.5 checks the text only: its thinking is not bound to the history.
    old = decide(request(HAIKU4, messages=PLAN, thinking=ENABLED, max_tokens=4000), decider).body
    moved = [*other, {"role": "assistant", "content": old["content"]}, more]
    assert (
        decide(request(HAIKU4, messages=moved, thinking=ENABLED), decider).record["status"] == 200
    )


def refusal_with(decider: Decider, body: dict) -> api.ApiError:
    with pytest.raises(api.ApiError) as caught:
        decide(body, decider)
    return caught.value


# ---------------------------------------------------------------- sampling without temperature


def test_without_temperature_each_repeat_is_a_new_sample_whatever_the_order():
    prompts = [
        [{"role": "user", "content": f"Write a tagline for a {thing} shop."}]
        for thing in ("coffee", "bicycle", "tea")
    ]
    calls = [p for p in prompts for _ in range(3)]

    def answers(order):
        decider = Decider(3, 0.0, Faults(), Limits())
        out = [decide(request(HAIKU5, messages=calls[i]), decider).body for i in order]
        return sorted((b["content"][-1]["text"], b["id"]) for b in out)

    forward, backward = list(range(len(calls))), list(reversed(range(len(calls))))
    assert answers(forward) == answers(backward)  # the k-th repeat gets the k-th sample
    decider = Decider(3, 0.0, Faults(), Limits())
    five = [
        decide(request(HAIKU5, messages=prompts[0]), decider).body["content"][-1]["text"]
        for _ in range(5)
    ]
    assert len(set(five)) >= 3, five
    same = [
        decide(request(HAIKU4, messages=prompts[0], temperature=0), decider).body for _ in range(3)
    ]
    assert len({b["content"][-1]["text"] for b in same}) == 1  # temperature 0: one answer


# ---------------------------------------------------------------- tokenizer


def test_the_5x_tokenizer_counts_about_thirty_percent_more(sim):
    text = "The quick brown fox jumps over the lazy dog. " * 40
    assert tokens.count_tokens(text, HAIKU5) == round(tokens.count_tokens(text) * 1.3)
    assert (
        tokens.count_tokens(text, HAIKU4)
        == tokens.count_tokens(text)
        == tokens.count_tokens(text, None)
    )
    assert tokens.count_tokens(tokens.truncate(text, 100, HAIKU5), HAIKU5) <= 100
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    msgs = [{"role": "user", "content": text}]
    new = client.messages.count_tokens(model=HAIKU5, messages=msgs).input_tokens
    old = client.messages.count_tokens(model=HAIKU4, messages=msgs).input_tokens
    assert 1.25 < new / old < 1.35
    cut = client.messages.create(
        model=HAIKU5,
        max_tokens=120,
        messages=[{"role": "user", "content": "Summarize: " + text}],
        thinking={"type": "disabled"},
    )
    assert cut.usage.output_tokens <= 120


# ---------------------------------------------------------------- the README's table


def readme_table() -> dict[str, dict[str, str]]:
    """The rows of the README's "What each model takes and refuses" table, by model id."""
    from pathlib import Path

    text = (Path(__file__).parents[1] / "README.md").read_text()
    section = text.split("#### What each model takes and refuses", 1)[1].lstrip()
    start = section.index("\n|") + 1
    lines = section[start:].split("\n\n", 1)[0].splitlines()
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [[c.strip().strip("`") for c in x.strip("|").split("|")] for x in lines[2:]]
    return {r[0]: dict(zip(head, r, strict=True)) for r in rows}


def test_the_readme_table_says_what_the_catalog_says():
    table = readme_table()
    assert set(table) == set(CATALOG)
    for model, m in CATALOG.items():
        row = table[model]
        assert row["status"] == m.status, model
        assert row["tokens per old token"] == f"{m.tokens_per_old_token:.1f}", model
        if m.status == "retired":
            continue
        assert row["temperature / top_p / top_k"].startswith(
            "accepted" if m.sampling else "refused"
        )
        assert row["prefill"] == ("accepted" if m.prefill else "refused"), model
        assert row["thinking types (first: default)"] == ", ".join(m.thinking), model
        efforts = f"{', '.join(m.efforts)} ({m.default_effort})" if m.efforts else "refused"
        assert row["effort (default)"] == efforts, model
        assert row["forced tools"] == ("accepted" if m.forced_tools else "refused"), model
        assert row["display default"] == m.display, model


def test_a_copy_refused_by_a_fault_draws_no_sample():
    """The k-th answered copy of a request gets the k-th sample, faults or not in between."""
    import anthropic

    from orchestra import sim
    from orchestra.sim import Faults, Rule

    body = dict(
        model="claude-haiku-5-5",
        max_tokens=1024,
        messages=[
            {
                "role": "user",
                "content": "Write a short product description for a desk lamp that crashes "
                "into nothing. Mention the dimmer, the USB port and the warranty.",
            }
        ],
    )

    def answers(faults):
        s = sim.start(seed=3, faults=faults)
        try:
            client = anthropic.Anthropic(base_url=s.url, api_key="k", max_retries=3)
            return [
                "".join(b.text for b in client.messages.create(**body).content if b.type == "text")
                for _ in range(4)
            ]
        finally:
            s.stop()

    clean = answers(None)
    assert len(set(clean)) > 1  # the copies are distinct samples
    faulty = answers(Faults(plan=[Rule("overloaded", match="crashes", nth=[1, 3])]))
    assert faulty == clean
