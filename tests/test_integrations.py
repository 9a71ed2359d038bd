"""Each official integration, unmodified, against the simulator by base URL.

These are the canaries for the pins in pyproject.toml: a release of ``anthropic``,
``langchain-anthropic`` or ``llama-index-llms-anthropic`` that breaks another fails here first
(e.g. llama-index-llms-anthropic 0.12.3 with anthropic 2.x fails building a ``MessageParam``).
"""

from __future__ import annotations

import asyncio

import anthropic
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import HumanMessage, SystemMessage
from llama_index.core.llms import ChatMessage
from llama_index.llms.anthropic import Anthropic as LlamaAnthropic
from pydantic import BaseModel

MODEL = "claude-haiku-5-5"
PROMPT = "Summarize in one sentence: The bridge opened in 1932. It carries 160,000 cars a day."


def test_anthropic_sync_and_async(sim):
    sync = anthropic.Anthropic().messages.create(
        model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": PROMPT}]
    )
    # Haiku 5.5 thinks first: the answer is the text block, read by type, not content[0]
    assert [b.type for b in sync.content] == ["thinking", "text"]
    assert sync.content[0].thinking == "" and sync.content[0].signature  # display "omitted"
    assert sync.usage.output_tokens_details.thinking_tokens > 0

    async def go():
        client = anthropic.AsyncAnthropic()
        async with client.messages.stream(
            model=MODEL,
            max_tokens=1024,
            thinking={"type": "adaptive", "display": "summarized"},
            messages=[{"role": "user", "content": PROMPT}],
        ) as s:
            kinds = [e.delta.type async for e in s if e.type == "content_block_delta"]
            return kinds, await s.get_final_message()

    kinds, final = asyncio.run(go())
    assert {"thinking_delta", "signature_delta", "text_delta"} <= set(kinds)
    assert kinds.index("signature_delta") < kinds.index("text_delta")
    thought, text = final.content
    assert thought.type == "thinking" and thought.thinking and thought.signature
    assert text.type == "text" and text.text


def test_langchain_chat_anthropic(sim):
    llm = ChatAnthropic(model=MODEL, base_url=sim.url, api_key="k", max_tokens=1024)
    reply = llm.invoke([SystemMessage("Be brief."), HumanMessage(PROMPT)])
    assert reply.text and reply.usage_metadata["input_tokens"] > 0
    assert [b["type"] for b in reply.content] == ["thinking", "text"]  # .content is a list
    streamed = "".join(chunk.text for chunk in llm.stream(PROMPT))
    assert streamed
    assert asyncio.run(llm.ainvoke(PROMPT)).text


def test_langchain_structured_output(sim):
    class Contact(BaseModel):
        """Contact details found in the text."""

        name: str | None
        email: str | None

    # Sonnet 5.5 refuses a forced tool: structured output is the request that works
    llm = ChatAnthropic(model="claude-sonnet-5-5", base_url=sim.url, api_key="k", max_tokens=2048)
    out = llm.with_structured_output(Contact, method="json_schema").invoke(
        "Extract name and email: Grace Hopper can be reached at grace@navy.example."
    )
    assert isinstance(out, Contact)  # the JSON answer was parsed into the schema
    assert out.name == "Grace Hopper" or out.email == "grace@navy.example"  # (quality may drop one)


def test_llamaindex_anthropic(sim):
    # LlamaIndex drops its default temperature (0.1) for the models it lists as taking none
    llm = LlamaAnthropic(model=MODEL, base_url=sim.url, api_key="k", max_tokens=1024)
    completion = llm.complete(PROMPT)
    assert completion.text
    chat = llm.chat(
        [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content=PROMPT)]
    )
    assert (
        chat.message.content
        and chat.raw["usage"].input_tokens > completion.raw["usage"].input_tokens
    )

    async def stream():
        gen = await llm.astream_complete(PROMPT)
        return [r async for r in gen]

    pieces = asyncio.run(stream())
    assert "".join(r.delta or "" for r in pieces) == pieces[-1].text != ""


class Contact(BaseModel):
    """Contact details found in the text."""

    name: str | None
    email: str | None


CONTACT = "Extract name and email: Grace Hopper can be reached at grace@navy.example."


def test_structured_outputs_through_output_format(sim):
    client = anthropic.Anthropic()
    parsed = client.beta.messages.parse(
        model="claude-opus-5-5",
        max_tokens=2048,
        output_format=Contact,
        betas=["structured-outputs-2025-11-13"],
        messages=[{"role": "user", "content": CONTACT}],
    )
    assert isinstance(parsed.parsed_output, Contact)
    assert parsed.parsed_output.email == "grace@navy.example" or parsed.parsed_output.name


def test_llamaindex_structured_predict(sim):
    from llama_index.core.prompts import PromptTemplate

    llm = LlamaAnthropic(model="claude-opus-5-5", base_url=sim.url, api_key="k", max_tokens=2048)
    out = asyncio.run(llm.astructured_predict(Contact, PromptTemplate("{text}"), text=CONTACT))
    assert isinstance(out, Contact) and (
        out.name == "Grace Hopper" or out.email == "grace@navy.example"
    )


def test_llamaindex_streams_thinking_as_its_own_block(sim):
    llm = LlamaAnthropic(
        model=MODEL,
        base_url=sim.url,
        api_key="k",
        max_tokens=1024,
        thinking_dict={"type": "adaptive", "display": "summarized"},
    )

    async def stream():
        gen = await llm.astream_chat([ChatMessage(role="user", content=PROMPT)])
        return [r async for r in gen][-1]

    last = asyncio.run(stream())
    kinds = [type(b).__name__ for b in last.message.blocks]
    assert kinds == ["ThinkingBlock", "TextBlock"] and last.message.blocks[0].content
    assert last.message.content and last.message.content == last.message.blocks[1].text
