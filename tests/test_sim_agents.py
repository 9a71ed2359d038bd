"""Agent programs of our own, in LangGraph and LlamaIndex, that need two tool calls: add, then multiply."""

from __future__ import annotations

import asyncio

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


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-opus-4-5"])
def test_langgraph_react_agent_chains_two_tools(sim, model):
    from langgraph.prebuilt import create_react_agent

    llm = ChatAnthropic(model=model, base_url=sim.url, api_key="k", temperature=0)
    agent = create_react_agent(llm, [add, multiply])
    out = agent.invoke({"messages": [("user", QUESTION)]})
    used = [c["name"] for m in out["messages"] for c in getattr(m, "tool_calls", [])]
    assert used == ["add", "multiply"] and "35" in out["messages"][-1].content


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-opus-4-5"])
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
        llm = Anthropic(model=model, base_url=sim.url, api_key="k", temperature=0)
        agent = FunctionAgent(
            tools=[add_, multiply_], llm=llm, system_prompt="You are a calculator."
        )
        return await agent.run(QUESTION)

    out = asyncio.run(go())
    used = [t.tool_name for t in out.tool_calls]
    assert used == ["add", "multiply"] and "35" in str(out)
