"""A corpus of prompts in the styles of Anthropic's public prompt-engineering guidance.

None is written for the kit's chapters: XML tags, few-shot examples, prefills, JSON output,
lists, choices, tool use, role prompts and long documents with quotes. Each has a checker of
the reply's shape and, where it applies, its content; all must pass for every model.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sim_requests import request, tag, tags

from orchestra.sim.brain import answer
from orchestra.sim.models import MODELS

DOC = (
    "The Aurora Library opened in 1921 on the north bank of the river. It holds 2.4 million "
    "books and 80,000 maps. The reading room was restored in 2019 after a fire damaged the "
    "roof. Entry is free for residents, and visitors pay 5 euros. The library closes on "
    "Mondays. Its most famous item is a 12th-century atlas donated by a merchant family."
)
REVIEW_POS = (
    "Absolutely love this blender, it is fast, quiet and the best purchase I made this year."
)
REVIEW_NEG = "Terrible kettle. It broke after two days and support never answered. Worst buy ever."
EMAIL = "Hi, this is Priya Nair from Northwind Ltd. Call me at +44 20 7946 0958 or priya@northwind.example. Invoice total: $4,250.00 due June 30, 2025."


# Documents with identifiers, in three common forms; none is the kit's own help centre.
CITY = [
    (
        "P1",
        "Harbour Museum",
        "The museum opens at 9 am and closes at 5 pm. Tickets cost 12 euros for adults.",
    ),
    (
        "P2",
        "City Park",
        "The park has a lake with rowing boats. Boats can be hired from April to October.",
    ),
    (
        "P3",
        "Old Bridge",
        "The bridge was built in 1642. It was rebuilt in stone after a flood in 1780.",
    ),
]
PASSAGES = "\n".join(f'<passage id="{i}">\n{t}: {x}\n</passage>' for i, t, x in CITY)
LONG_DOCS = (
    "<documents>\n"
    + "\n".join(
        f'<document index="{n}">\n<source>{t.lower().replace(" ", "_")}.txt</source>\n'
        f"<document_content>\n{x}\n</document_content>\n</document>"
        for n, (_, t, x) in enumerate(CITY, 1)
    )
    + "\n</documents>"
)
DOCS = "\n".join(f"<doc id={i.lower()}>{x}</doc>" for i, _, x in CITY)


def cites(a, answer_has, ids, key="sources"):
    """A JSON reply whose answer states the fact, free of markup, citing exactly ``ids``."""
    d = is_json(a.text) or {}
    said = str(d.get("answer", ""))
    return answer_has in said and "<" not in said and d.get(key) == ids


@dataclass(frozen=True)
class Case:
    """One prompt of the corpus, and the check its reply must pass."""

    name: str
    """What the prompt's shape is, as the failure reports it: "xml-answer"."""
    messages: list[dict]
    check: Callable
    """Takes the ``brain.Answer``; true when the reply has the asked shape and content."""
    system: str | None = None
    tools: list[dict] | None = None
    choice: dict | None = None
    """The request's ``tool_choice``."""


def tool(name, description, props, required=None):
    return {
        "name": name,
        "description": description,
        "input_schema": {
            "type": "object",
            "properties": props,
            "required": required if required is not None else list(props),
        },
    }


ADD = tool("add", "Add two integers.", {"a": {"type": "integer"}, "b": {"type": "integer"}})
MUL = tool(
    "multiply", "Multiply two integers.", {"a": {"type": "integer"}, "b": {"type": "integer"}}
)
SUB = tool("subtract", "Subtract b from a.", {"a": {"type": "integer"}, "b": {"type": "integer"}})
WEATHER = tool(
    "get_weather",
    "Get the current weather in a given location",
    {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    ["location"],
)
MAGIC = tool(
    "magic_function", "Applies a magic function to an input.", {"input": {"type": "integer"}}
)
CUSTOMER = tool(
    "create_customer",
    "Create a new customer record.",
    {"customer_name": {"type": "string"}, "email": {"type": "string"}},
    ["customer_name"],
)
SEARCH = tool("search_docs", "Search the product documentation.", {"query": {"type": "string"}})
STOCK = tool(
    "get_stock_price",
    "Get the current stock price for a ticker symbol.",
    {"ticker": {"type": "string"}},
)


def is_json(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def numbered(text, n=None):
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    ok = lines and all(re.match(rf"{i}\. \S", ln) for i, ln in enumerate(lines, 1))
    return bool(ok) and (n is None or len(lines) == n)


def bulleted(text, n=None):
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    return (
        bool(lines) and all(ln.startswith("- ") for ln in lines) and (n is None or len(lines) == n)
    )


def user(text):
    return [{"role": "user", "content": text}]


def calls(tool_name, **expected):
    def check(a):
        return a.tool_name == tool_name and all(
            a.tool_input.get(k) == v for k, v in expected.items()
        )

    return check


def results(*pairs):
    """A conversation: the request, then (tool_use, tool_result) pairs."""
    request, *rest = pairs
    msgs = [{"role": "user", "content": request}]
    for i, (name, inp, out) in enumerate(rest):
        msgs.append(
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": f"t{i}", "name": name, "input": inp}],
            }
        )
        msgs.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": f"t{i}", "content": out}],
            }
        )
    return msgs


# (id, system, messages, tools, tool_choice, checker)
CASES = [
    # XML tags: answers and reasoning in named tags
    Case(
        name="xml-answer",
        messages=user(
            f"<document>{DOC}</document>\nWhen did the library open? Put your answer in <answer> tags."
        ),
        check=lambda a: "1921" in (tag(a.text, "answer") or ""),
    ),
    Case(
        name="xml-thinking-answer",
        messages=user(
            f"<document>{DOC}</document>\nHow many maps does the library hold? Think step by step in <thinking> tags, then give the final answer in <answer> tags."
        ),
        check=lambda a: (
            tag(a.text, "thinking")
            and "80,000" in (tag(a.text, "answer") or "")
            and a.text.index("<thinking>") < a.text.index("<answer>")
        ),
    ),
    Case(
        name="xml-quotes-first",
        messages=user(
            f"<document>{DOC}</document>\nFirst find quotes from the document relevant to the question and put them in <quotes> tags. Then answer in <answer> tags.\nQuestion: what does entry cost for visitors?"
        ),
        check=lambda a: (
            tag(a.text, "quotes") is not None
            and "5 euros" in (tag(a.text, "answer") or "") + (tag(a.text, "quotes") or "")
        ),
    ),
    Case(
        name="xml-template",
        messages=user(
            "Compare tea and coffee for a morning routine. Use this format:\n<analysis>...</analysis>\n<recommendation>...</recommendation>"
        ),
        check=lambda a: tag(a.text, "analysis") and tag(a.text, "recommendation"),
    ),
    Case(
        name="xml-three-fields-order",
        messages=user(
            "Read the review and reply with <sentiment></sentiment>, <summary></summary> and <reply></reply> tags, in that order.\nReview: "
            + REVIEW_NEG
        ),
        check=lambda a: (
            all(tag(a.text, t) for t in ("sentiment", "summary", "reply"))
            and a.text.index("<sentiment>") < a.text.index("<summary>") < a.text.index("<reply>")
        ),
    ),
    Case(
        name="xml-subtasks",
        messages=user(
            "Plan a company hackathon. List each subtask in its own <subtask> tag, inside a <subtasks> element."
        ),
        check=lambda a: tag(a.text, "subtasks") is not None and len(tags(a.text, "subtask")) >= 2,
    ),
    Case(
        name="xml-repeated-template",
        messages=user(
            "Break the goal 'migrate the blog to a new host' into steps. Format:\n<steps>\n<step>...</step>\n<step>...</step>\n</steps>"
        ),
        check=lambda a: len(tags(a.text, "step")) >= 2,
    ),
    Case(
        name="xml-verdict-set",
        messages=user(
            "Evaluate the following code for correctness and style.\nOutput your evaluation in the format:\n<evaluation>PASS, NEEDS_IMPROVEMENT, or FAIL</evaluation>\n<feedback>What needs improvement and why.</feedback>\n<content>def add(a, b): return a + b</content>"
        ),
        check=lambda a: (
            tag(a.text, "evaluation") in ("PASS", "NEEDS_IMPROVEMENT", "FAIL")
            and tag(a.text, "feedback") is not None
        ),
    ),
    Case(
        name="xml-system-tags",
        system="Always answer inside <response> tags.",
        messages=user("What is the capital of France?"),
        check=lambda a: tag(a.text, "response"),
    ),
    Case(
        name="xml-classification-tag",
        messages=user(
            f"Classify this review as positive or negative. Put the label in <label> tags.\n<review>{REVIEW_POS}</review>"
        ),
        check=lambda a: tag(a.text, "label") == "positive",
    ),
    Case(
        name="xml-scratchpad",
        messages=user(
            "A train leaves at 3 pm and the trip takes 4 hours. Work it out in <scratchpad> tags and give the arrival time in <answer> tags."
        ),
        check=lambda a: tag(a.text, "scratchpad") and tag(a.text, "answer"),
    ),
    Case(
        name="xml-grade",
        messages=user(
            "Grade the essay with one of A, B, C, D or F in <grade> tags and justify it in <justification> tags.\n<essay>Cats are good pets. They are calm.</essay>"
        ),
        check=lambda a: tag(a.text, "grade") in list("ABCDF") and tag(a.text, "justification"),
    ),
    # JSON
    Case(
        name="json-example",
        messages=user(
            f'Extract the contact from this email as JSON like {{"name": "...", "email": "...", "phone": "..."}}.\n{EMAIL}'
        ),
        check=lambda a: (
            (d := is_json(a.text))
            and set(d) == {"name", "email", "phone"}
            and d["email"] == "priya@northwind.example"
        ),
    ),
    Case(
        name="json-fields",
        messages=user(
            f"Extract the following fields as JSON: name, company, amount, date.\nText: {EMAIL}"
        ),
        check=lambda a: (d := is_json(a.text)) and set(d) == {"name", "company", "amount", "date"},
    ),
    Case(
        name="json-classify",
        messages=user(
            f"Classify the sentiment into one of: positive, negative, neutral. Respond in JSON.\nText: {REVIEW_NEG}"
        ),
        check=lambda a: (
            (d := is_json(a.text)) and d.get("label") in ("positive", "negative", "neutral")
        ),
    ),
    Case(
        name="json-prefill",
        messages=user("List three primary colors as JSON with a key colors.")
        + [{"role": "assistant", "content": "{"}],
        check=lambda a: is_json("{" + a.text) is not None,
    ),
    Case(
        name="json-nested-example",
        messages=user(
            f'Return JSON shaped like {{"person": {{"name": "", "email": ""}}, "amount": 0}} for this message: {EMAIL}'
        ),
        check=lambda a: (
            (d := is_json(a.text))
            and set(d["person"]) == {"name", "email"}
            and isinstance(d["amount"], (int, float))
        ),
    ),
    Case(
        name="json-summary",
        messages=user(
            f"Summarize the document in one sentence. Output JSON only.\n<document>{DOC}</document>"
        ),
        check=lambda a: (d := is_json(a.text)) and isinstance(d.get("summary"), str),
    ),
    Case(
        name="json-plan",
        messages=user("Plan the steps to set up a home aquarium. Respond in JSON."),
        check=lambda a: (d := is_json(a.text)) and len(d.get("steps", [])) >= 2,
    ),
    Case(
        name="json-bool-example",
        messages=user(
            f'Does the document mention a fire? Answer as JSON: {{"answer": true, "evidence": "..."}}\n<document>{DOC}</document>'
        ),
        check=lambda a: (
            (d := is_json(a.text)) and isinstance(d.get("answer"), bool) and "evidence" in d
        ),
    ),
    # lists
    Case(
        name="list-3-numbered",
        messages=user("Give me 3 ideas for a rainy weekend."),
        check=lambda a: numbered(a.text, 3),
    ),
    Case(
        name="list-5-bullets",
        messages=user("Write 5 bullet points about the benefits of walking."),
        check=lambda a: bulleted(a.text, 5),
    ),
    Case(
        name="list-numbered-steps",
        messages=user("List four steps to brew pour-over coffee as a numbered list."),
        check=lambda a: numbered(a.text, 4),
    ),
    Case(
        name="list-plan",
        messages=user(
            "Plan the steps to repaint a bedroom: buy paint, cover the floor, paint the walls."
        ),
        check=lambda a: numbered(a.text) and "Buy paint" in a.text,
    ),
    Case(
        name="list-two-reasons",
        messages=user(
            f"Name two reasons a visitor might enjoy the library.\n<document>{DOC}</document>"
        ),
        check=lambda a: numbered(a.text, 2),
    ),
    # choices, labels, verdicts
    Case(
        name="choice-only-label",
        messages=user(
            f"Classify the sentiment of this review as positive, negative or neutral. Respond with only the label.\nReview: {REVIEW_POS}"
        ),
        check=lambda a: a.text == "positive",
    ),
    Case(
        name="choice-negative",
        messages=user(
            f"Is this review positive or negative? Answer with one of: positive, negative.\n{REVIEW_NEG}"
        ),
        check=lambda a: a.text.strip() in ("positive", "negative"),
    ),
    Case(
        name="choice-yes-no",
        messages=user(
            f"<document>{DOC}</document>\nIs the library open on Mondays? Answer yes or no."
        ),
        check=lambda a: a.text.strip().lower() in ("yes", "no"),
    ),
    Case(
        name="choice-new-labels",
        messages=user(
            "Classify the news headline into one of: sports, politics, business, science.\nHeadline: The striker scored twice as the team won the league final."
        ),
        check=lambda a: a.text.strip() in ("sports", "politics", "business", "science"),
    ),
    Case(
        name="choice-labels-block",
        messages=user(
            "Categorize the request.\nCategories:\n- refund_request: wants money back\n- feature_request: asks for something new\n- praise: says something nice\nText: Could you add a dark mode to the app?"
        ),
        check=lambda a: a.text.strip() in ("refund_request", "feature_request", "praise"),
    ),
    Case(
        name="choice-caps-verdict",
        messages=user(
            "Review the draft against the brief and answer APPROVED or REJECTED.\nBrief: a tagline for a bakery.\nDraft: Fresh bread every morning."
        ),
        check=lambda a: a.text.split()[0] in ("APPROVED", "REJECTED"),
    ),
    Case(
        name="choice-system-labels",
        system="You are a support triage bot. Classify each message into one of: bug, billing, question. Reply with the label only.",
        messages=user("I was charged twice this month."),
        check=lambda a: a.text.strip() in ("bug", "billing", "question"),
    ),
    Case(
        name="choice-urgency",
        messages=user(
            "Rate the urgency as low, medium or high. Respond with only the label.\nMessage: Production is down for all customers, please help immediately!"
        ),
        check=lambda a: a.text.strip() in ("low", "medium", "high"),
    ),
    Case(
        name="choice-approve-word",
        system="You are a critic. Give constructive feedback on the draft. Respond with APPROVE when the draft is good enough.",
        messages=[
            {"role": "user", "content": "Write a two-sentence tagline for a bike repair shop."},
            {"role": "user", "content": "Fast fixes for every bike. Ride out today."},
        ],
        check=lambda a: a.text.strip() == "APPROVE" or "feedback" in a.text.lower(),
    ),
    # prefill
    Case(
        name="prefill-tag",
        messages=user(
            f"<document>{DOC}</document>\nWhat was restored in 2019? Answer in <answer> tags."
        )
        + [{"role": "assistant", "content": "<answer>"}],
        check=lambda a: "</answer>" in a.text and not a.text.lstrip().startswith("<answer>"),
    ),
    Case(
        name="prefill-words",
        messages=user("What is the largest planet in the solar system?")
        + [{"role": "assistant", "content": "The answer is"}],
        check=lambda a: a.text.startswith(" ") and len(a.text.strip()) > 0,
    ),
    # summaries and long documents
    Case(
        name="summary-n",
        messages=user(f"Summarize in 2 sentences:\n{DOC}"),
        check=lambda a: (
            len(re.findall(r"[.!?](?:\s|$)", a.text)) == 2
            and all(s in DOC for s in re.split(r"(?<=\.)\s+", a.text))
        ),
    ),
    Case(
        name="summary-words",
        messages=user(f"Summarize the following text in at most 20 words.\nText: {DOC}"),
        check=lambda a: len(a.text.split()) <= 20,
    ),
    Case(
        name="summary-appended-instructions",
        messages=user(
            f"{DOC}\n\nSummarize the passage above in one sentence.\n\nThis is the expected criteria for your final answer: a one-sentence summary.\nYou MUST return the actual complete content as the final answer, not a summary."
        ),
        check=lambda a: (
            "expected criteria" not in a.text and "MUST" not in a.text and a.text.strip() in DOC
        ),
    ),
    Case(
        name="grounded-context",
        messages=user(f"Context: {DOC}\nQuestion: How many books does the library hold?"),
        check=lambda a: "2.4 million" in a.text,
    ),
    Case(
        name="grounded-unknown",
        messages=user(f"Context: {DOC}\nQuestion: Who won the 1998 chess olympiad?"),
        check=lambda a: "don't know" in a.text,
    ),
    Case(
        name="long-doc-question",
        messages=user(
            f"Here is a document:\n{DOC} {DOC}\n\nWhat is the most famous item in the library?"
        ),
        check=lambda a: "atlas" in a.text,
    ),
    # documents with ids: answered from the right one, which is cited by its id
    Case(
        name="docs-passages-json-example",
        messages=user(
            "Answer the question using only the passages below. Reply with JSON only, in this "
            'form:\n{"answer": "<at most two sentences>", "sources": ["<id of a passage you used>"]}'
            f"\n\n<passages>\n{PASSAGES}\n</passages>\n\nQuestion: When was the old bridge built?"
        ),
        check=lambda a: cites(a, "1642", ["P3"]),
    ),
    Case(
        name="docs-prose-keys",
        messages=user(
            f'{PASSAGES}\n\nAnswer from the passages. Reply in JSON with two keys: "answer" '
            '(your answer, in one sentence) and "sources" (a list of the ids of the passages '
            "you used).\n\nQuestion: How much does an adult ticket for the museum cost?"
        ),
        check=lambda a: (
            cites(a, "12 euros", ["P1"]) and len(re.findall(r"\.", is_json(a.text)["answer"])) == 1
        ),
    ),
    Case(
        name="docs-prose-fields",
        messages=user(
            "Respond with a JSON object with fields answer and sources.\n\n"
            f"<passages>\n{PASSAGES}\n</passages>\n\nQuestion: When can boats be hired in the park?"
        ),
        check=lambda a: cites(a, "April to October", ["P2"]),
    ),
    Case(
        name="docs-long-context-tags",
        messages=user(
            f"{LONG_DOCS}\n\nWhen was the bridge rebuilt in stone? Answer in <answer> tags, and "
            "name the sources you used in <sources> tags."
        ),
        check=lambda a: (
            "1780" in (tag(a.text, "answer") or "")
            and tag(a.text, "sources") == "old_bridge.txt"
            and "<source>" not in a.text
        ),
    ),
    Case(
        name="docs-long-context-indices",
        messages=user(
            f"{LONG_DOCS}\n\nWhat time does the museum open? Answer as JSON: "
            '{"answer": "...", "document_indices": [1]}'
        ),
        check=lambda a: cites(a, "9 am", ["1"], key="document_indices"),
    ),
    Case(
        name="docs-template-sources",
        messages=user(
            f"{DOCS}\n\nWhen does the museum close? Reply using this format:\n\n"
            "Answer: [one sentence]\nSources: [ids of the documents you used]"
        ),
        check=lambda a: re.fullmatch(r"Answer: [^<\n]*5 pm[^<\n]*\nSources: p1", a.text or ""),
    ),
    # role prompts and few-shot
    Case(
        name="role-writer",
        system="You are a copywriter. Write a short product description for what the user asks.",
        messages=user("A solar-powered phone charger"),
        check=lambda a: "solar" in a.text.lower() and "what the user asks" not in a.text,
    ),
    Case(
        name="role-support",
        system="You are a friendly support agent for an online shop.",
        messages=user(
            "Write a reply to this customer: my parcel has not arrived and tracking stopped."
        ),
        check=lambda a: (
            "parcel" in a.text.lower()
            or "courier" in a.text.lower()
            or "delivery" in a.text.lower()
        ),
    ),
    Case(
        name="fewshot-labels",
        messages=user(
            "Classify the ticket.\n<examples>\n<example>Input: app crashes on start\nOutput: bug</example>\n<example>Input: please add export to csv\nOutput: feature</example>\n</examples>\nUse one of: bug, feature.\nInput: the save button throws an error"
        ),
        check=lambda a: a.text.strip() in ("bug", "feature"),
    ),
    Case(
        name="multi-turn-memory",
        messages=[
            {"role": "user", "content": "My name is Tomasz."},
            {"role": "assistant", "content": "Nice to meet you, Tomasz."},
            {"role": "user", "content": "What is my name?"},
        ],
        check=lambda a: "Tomasz" in a.text,
    ),
    Case(
        name="arithmetic-plain",
        system=None,
        messages=user("What is 17 * 3?"),
        check=lambda a: "51" in a.text,
    ),
    Case(
        name="terminate-word",
        system="You are a helpful assistant. Reply with TERMINATE when the task is done.",
        messages=user("Say hello to the team."),
        check=lambda a: a.text.rstrip().endswith("TERMINATE"),
    ),
    # tool use
    Case(
        name="tool-magic",
        messages=user("What is the value of magic_function(3)? Use the tool."),
        tools=[MAGIC],
        check=calls("magic_function", input=3),
    ),
    Case(
        name="tool-unicode",
        messages=user("Create a customer named '你好啊集团'."),
        tools=[CUSTOMER],
        check=calls("create_customer", customer_name="你好啊集团"),
    ),
    Case(
        name="tool-weather",
        messages=user("What's the weather like in San Francisco?"),
        tools=[WEATHER, ADD],
        check=lambda a: (
            a.tool_name == "get_weather" and "San Francisco" in a.tool_input["location"]
        ),
    ),
    Case(
        name="tool-weather-enum",
        messages=user("What's the weather in Oslo in celsius?"),
        tools=[WEATHER],
        choice={"type": "any"},
        check=lambda a: (
            a.tool_name == "get_weather"
            and a.tool_input.get("unit", "celsius") in ("celsius", "fahrenheit")
        ),
    ),
    Case(
        name="tool-math-expression",
        messages=user("What is (3 + 4) * 5?"),
        tools=[ADD, MUL],
        check=calls("add", a=3, b=4),
    ),
    Case(
        name="tool-math-words",
        messages=user("What is 6 times 7?"),
        tools=[ADD, MUL],
        check=calls("multiply", a=6, b=7),
    ),
    Case(
        name="tool-math-chain-2",
        messages=results("What is (3 + 4) * 5?", ("add", {"a": 3, "b": 4}, "7")),
        tools=[ADD, MUL],
        check=calls("multiply", a=7, b=5),
    ),
    Case(
        name="tool-math-done",
        messages=results(
            "What is (3 + 4) * 5?",
            ("add", {"a": 3, "b": 4}, "7"),
            ("multiply", {"a": 7, "b": 5}, "35"),
        ),
        tools=[ADD, MUL],
        check=lambda a: a.tool_name is None and "35" in a.text,
    ),
    Case(
        name="tool-none-fits",
        messages=user("Tell me a joke about penguins."),
        tools=[WEATHER, ADD, MUL],
        check=lambda a: a.tool_name is None and a.text,
    ),
    Case(
        name="tool-subtract-words",
        messages=user("Subtract 8 from 20, then multiply by 3."),
        tools=[SUB, MUL, ADD],
        check=calls("subtract", a=20, b=8),
    ),
    Case(
        name="tool-forced",
        messages=user("Look up how to reset the router."),
        tools=[SEARCH, WEATHER],
        choice={"type": "tool", "name": "search_docs"},
        check=lambda a: a.tool_name == "search_docs" and a.tool_input["query"],
    ),
    Case(
        name="tool-ticker",
        messages=user('What is the stock price of "AAPL" right now?'),
        tools=[STOCK, WEATHER],
        check=calls("get_stock_price", ticker="AAPL"),
    ),
    # plain-text templates: labels and headings kept line for line, values filled
    Case(
        name="template-labels",
        messages=user(
            "Summarize the meeting notes below using exactly this template:\n\n"
            "Summary: [one sentence]\nDecisions: [comma-separated list]\n"
            "Owner: [name of the person responsible]\n\n"
            "Notes: The team met on Tuesday. Maria will own the migration to Postgres. We "
            "decided to drop the legacy API and to freeze features until March."
        ),
        check=lambda a: (
            re.fullmatch(r"Summary: [^\n\[]+\nDecisions: [^\n\[]+\nOwner: [^\n\[]+", a.text)
            and len(re.findall(r"[.!?](?:\s|$)", a.text.split("\n")[0])) == 1
        ),
    ),
    Case(
        name="template-headings-verdict",
        messages=user(
            "Review the pull request description and reply in this format:\n\n## Verdict\n"
            "APPROVE or REQUEST_CHANGES\n\n## Reasons\n- reason 1\n- reason 2\n\n"
            "Pull request: Adds retry with backoff to the HTTP client; no tests included."
        ),
        check=lambda a: re.fullmatch(
            r"## Verdict\n(?:APPROVE|REQUEST_CHANGES)\n\n## Reasons\n- .+\n- .+", a.text
        ),
    ),
    Case(
        name="template-empty-form",
        messages=user(
            "Fill in the form for the customer email below.\n\nName:\nCompany:\nPhone:\n\n"
            f"Email: {EMAIL}"
        ),
        check=lambda a: (
            re.fullmatch(r"Name: .+\nCompany: .+\nPhone: .+", a.text) and "Email" not in a.text
        ),
    ),
    Case(
        name="evaluator-cookbook-all-criteria",
        messages=user(
            "Evaluate this product description for:\n1. it mentions every required point\n"
            '2. it is at most 60 words\n\nOnly output "PASS" if all criteria are met.\n'
            "Output your evaluation concisely in the following format.\n\n"
            "<evaluation>PASS, NEEDS_IMPROVEMENT, or FAIL</evaluation>\n<feedback>\n"
            "What needs improvement and why.\n</feedback>\n\n"
            "Original task: Write a short product description for a kettle. It must mention: "
            "the capacity, the boil time, the warranty.\n"
            "Content to evaluate: Meet a kettle. It boils fast."
        ),
        check=lambda a: re.fullmatch(
            r"<evaluation>(?:NEEDS_IMPROVEMENT|FAIL)</evaluation>\n<feedback>.*capacity.*"
            r"warranty.*</feedback>",
            a.text,
            re.S,
        ),
    ),
    Case(
        name="tool-result-used",
        messages=results(
            "What's the weather in Paris?", ("get_weather", {"location": "Paris"}, "18°C and sunny")
        ),
        tools=[WEATHER],
        check=lambda a: a.tool_name is None and "18°C and sunny" in a.text,
    ),
    # Agent frameworks: a role prompt (who the assistant is) in the system prompt, the task in
    # the user turn, closing lines about "the final answer" in general; a retry after a failed
    # check. Paraphrased from the shapes CrewAI and AutoGen send, not copied.
    Case(
        name="role-persona-grounded",
        system="You are Archive guide. You write friendly notes for visitors.\n"
        "Your personal goal is: Help every visitor find what they came for",
        messages=user(
            "Present task: Answer the visitor's question using only the document below.\n"
            f"<document>{DOC}</document>\nQuestion: When did the library open?\n\n"
            "The criteria for your final answer: one sentence.\n"
            "Give the complete content as your final answer, not a summary.\n\n"
            "Your complete response:"
        ),
        check=lambda a: a.task not in ("write", "summarize") and "1921" in a.text,
    ),
    Case(
        name="role-persona-json",
        system="You are Desk clerk. You compose short replies and always cite your source.",
        messages=user(
            "Answer the question from the document below. Reply with JSON only, in this form:\n"
            '{"answer": "<one sentence>", "year": "<a year>"}\n\n'
            f"<document>{DOC}</document>\n\nQuestion: When did the library open?\n\n"
            "Return the complete content as the final answer, not a summary."
        ),
        check=lambda a: (
            a.task not in ("write", "summarize")
            and set(is_json(a.text) or {}) == {"answer", "year"}
        ),
    ),
    Case(
        name="role-persona-alone-sets-task",
        system="You are a classifier. You classify each ticket into one of: billing, technical.",
        messages=user("Ticket: I was charged twice for my subscription this month."),
        check=lambda a: a.text.strip().lower() == "billing",
    ),
    Case(
        name="classify-question-section",
        messages=user(
            "Sort the customer's question into one of the categories. Respond with only the "
            "category.\nCategories:\n- orders: delivery, parcels, couriers, tracking, returns\n"
            "- login: passwords, sign-in, two-factor codes, locked profiles\n"
            "- invoices: receipts, VAT numbers, billing addresses, payment dates\n"
            "Question: The courier says my parcel was delivered but it never arrived. Can you "
            "check the tracking?"
        ),
        check=lambda a: a.text.strip() == "orders",
    ),
    Case(
        name="retry-keeps-json-form",
        system="You are a support writer who answers from documents.",
        messages=[
            {
                "role": "user",
                "content": "Answer from the document. Reply with JSON only, in this form:\n"
                '{"answer": "<one sentence>", "year": "<a year>"}\n\n'
                f"<document>{DOC}</document>\n\nQuestion: When did the library open?",
            },
            {"role": "assistant", "content": "The library opened in 1921."},
            {
                "role": "user",
                "content": "That answer was refused: it is not the JSON asked for. "
                "Answer again, as asked.",
            },
        ],
        check=lambda a: set(is_json(a.text) or {}) == {"answer", "year"},
    ),
    Case(
        name="retry-keeps-json-form-over-quoted-tags",
        messages=[
            {
                "role": "user",
                "content": "Answer from the document. Reply with JSON only, in this form:\n"
                '{"answer": "<one sentence>", "year": "<a year>"}\n\n'
                f"<document>{DOC}</document>\n\nQuestion: When did the library open?",
            },
            {"role": "assistant", "content": "<note>1921</note>"},
            {
                "role": "user",
                "content": "Refused: the reply was <note>1921</note>, not the JSON "
                "asked for. Try again, as asked.",
            },
        ],
        check=lambda a: set(is_json(a.text) or {}) == {"answer", "year"},
    ),
    Case(
        name="retry-previous-result-is-material",
        messages=user(
            "Present task: Name the library's most famous item. Reply with JSON only, in this "
            'form: {"item": "<the item>"}\n\n'
            f"<document>{DOC}</document>\n\n"
            "The context you have:\n### Previous attempt failed the check: not JSON\n\n"
            "### Previous result:\nPlan a visit step by step and plan the route.\n\n"
            "Try again, and address the failed check."
        ),
        check=lambda a: a.task != "plan" and set(is_json(a.text) or {}) == {"item"},
    ),
]


def run(case: Case, model: str):
    req = request(case.messages, case.system, case.tools, case.choice)
    return answer(req, MODELS[model].quality, random.Random(7))


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_corpus_reply_has_the_asked_shape(case, model):
    a = run(case, model)
    assert case.check(a), f"{case.name} on {model}: {a.tool_name} {a.tool_input} {a.text!r}"


def test_corpus_names_are_unique():
    assert len({c.name for c in CASES}) == len(CASES)


def test_corpus_is_large_enough():
    assert len(CASES) >= 60
