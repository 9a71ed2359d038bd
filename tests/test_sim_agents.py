"""Programs of our own against the simulator: agents in LangGraph and LlamaIndex that need two
tool calls (add, then multiply), and an evaluate-and-revise loop in the cookbook's style."""

from __future__ import annotations

import asyncio
import re

import anthropic
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.tools import tool

QUESTION = "What is (3 + 4) * 5? Use the tools."


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def sampling(model: str) -> dict:
    """Temperature 0 where the model takes it; the 5.x models refuse any but the default."""
    return {"temperature": 0} if model.endswith("4-5") else {}


@pytest.mark.parametrize("model", ["claude-sonnet-5-5", "claude-opus-4-5"])
def test_langgraph_react_agent_chains_two_tools(sim, model):
    from langgraph.prebuilt import create_react_agent

    llm = ChatAnthropic(model=model, base_url=sim.url, api_key="k", **sampling(model))
    agent = create_react_agent(llm, [add, multiply])
    out = agent.invoke({"messages": [("user", QUESTION)]})
    used = [c["name"] for m in out["messages"] for c in getattr(m, "tool_calls", [])]
    assert used == ["add", "multiply"] and "35" in out["messages"][-1].text


@pytest.mark.parametrize("model", ["claude-sonnet-5-5", "claude-opus-4-5"])
def test_llamaindex_function_agent_chains_two_tools(sim, model):
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.llms.anthropic import Anthropic

    def add_(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    def multiply_(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    add_.__name__, multiply_.__name__ = "add", "multiply"

    async def go():
        llm = Anthropic(model=model, base_url=sim.url, api_key="k", **sampling(model))
        agent = FunctionAgent(
            tools=[add_, multiply_], llm=llm, system_prompt="You are a calculator."
        )
        return await agent.run(QUESTION)

    out = asyncio.run(go())
    used = [t.tool_name for t in out.tool_calls]
    assert used == ["add", "multiply"] and "35" in str(out)


# An evaluate-and-revise loop as Anthropic's cookbook writes it (its generator and evaluator
# prompts, the feedback carried in "Previous attempts"), on briefs not written for the kit.
GENERATE = """Your goal is to complete the task based on <user input>. If there are feedback from your previous generations, you should reflect on them to improve your solution.

Output your answer concisely in the following format:

<thoughts>
[Your understanding of the task and feedback and how you plan to improve]
</thoughts>

<response>
[Your response here]
</response>"""
EVALUATE = """Evaluate this product description for:
1. it mentions every required point
2. it is at most 60 words
3. a friendly tone

You should be evaluating only and not attempting to solve the task.
Only output "PASS" if all criteria are met and you have no further suggestions for improvements.
Output your evaluation concisely in the following format.

<evaluation>PASS, NEEDS_IMPROVEMENT, or FAIL</evaluation>
<feedback>
What needs improvement and why.
</feedback>"""
BRIEFS = [
    ("standing desk", ["height range", "motor noise", "warranty"]),
    ("trail running shoe", ["grip", "weight", "price"]),
    ("espresso grinder", ["burr size", "grind settings", "noise"]),
    ("e-reader", ["screen", "battery life", "storage"]),
    ("camping stove", ["fuel type", "boil time", "weight"]),
    ("pair of headphones", ["battery life", "comfort", "price"]),
    ("robot vacuum", ["suction", "mapping", "battery"]),
    ("mechanical keyboard", ["switches", "layout", "backlight"]),
    ("water filter pitcher", ["capacity", "filter life", "price"]),
    ("electric kettle", ["capacity", "boil time", "shut-off"]),
    ("yoga mat", ["thickness", "grip", "material"]),
    ("smart thermostat", ["schedule", "energy savings", "app"]),
]


def tag(text, name):
    m = re.search(rf"<{name}>(.*?)</{name}>", text, re.S)
    assert m, f"no <{name}> in {text!r}"
    return m.group(1).strip()


def polish(client, model, product, points, max_rounds=8):
    """Rounds until PASS (None if never), and whether the passed draft meets the brief."""
    task = (
        f"Write a short product description for a {product}. It must mention: {', '.join(points)}."
    )
    memory = []
    for n in range(1, max_rounds + 1):
        previous = "\nPrevious attempts:\n" + "\n".join(f"- {m}" for m in memory) if memory else ""
        prompt = f"{GENERATE}\n{previous}\n<user input>\n{task}\n</user input>"
        draft = tag(ask(client, model, prompt), "response")
        review = ask(
            client, model, f"{EVALUATE}\n\nOriginal task: {task}\nContent to evaluate: {draft}"
        )
        if tag(review, "evaluation") == "PASS":
            meets = all(p.split()[-1] in draft.lower() for p in points) and len(draft.split()) <= 60
            return n, meets
        assert tag(review, "evaluation") in ("NEEDS_IMPROVEMENT", "FAIL")
        memory += [draft, f"Feedback: {tag(review, 'feedback')}"]
    return None, False


def ask(client, model, prompt):
    reply = client.messages.create(
        model=model, max_tokens=4000, messages=[{"role": "user", "content": prompt}]
    )
    return next(b.text for b in reply.content if b.type == "text")  # after any thinking


def test_review_loops_end_sooner_and_better_for_sonnet_and_opus_than_haiku(sim):
    """Sonnet and Opus end in a few rounds with drafts that meet the brief; Haiku's grader lets
    more drafts through that miss a point (or never passes one)."""
    client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    bad, rounds = {}, {}
    for model in ("claude-haiku-4-5", "claude-sonnet-5-5", "claude-opus-4-5"):
        runs = [polish(client, model, product, points) for product, points in BRIEFS * 4]
        bad[model] = sum(1 for n, meets in runs if n is None or not meets)
        rounds[model] = sum(n or 8 for n, _ in runs) / len(runs)
    assert rounds["claude-sonnet-5-5"] <= 3 and rounds["claude-opus-4-5"] <= 3, rounds
    assert bad["claude-haiku-4-5"] > max(bad["claude-sonnet-5-5"], bad["claude-opus-4-5"]), bad
    assert bad["claude-sonnet-5-5"] <= 6 and bad["claude-opus-4-5"] <= 6, bad  # of 48
