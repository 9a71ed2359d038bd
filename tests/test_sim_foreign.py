"""A second corpus: prompts in the forms of public prompt guides and framework templates.

Paraphrased from Anthropic's prompt library and docs (XML tags, chain of thought, prompt
chaining, quotes from long documents), LangChain's templates and output parsers (RAG, map-reduce,
multi-query, ReAct, condense-question, criteria and QA evaluators, format instructions),
LlamaIndex's default prompts (text QA, refine, keyword extraction, choice select, evaluators,
question generation), CrewAI's task prompt (context section, "Final Answer:" format), AutoGen's
speaker selection and LangGraph's supervisor and planner. The kit's code sends none of them. Each
has a check of the reply's shape; every one must pass for every model in the price table.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import anthropic
import pytest
from sim_requests import request, tag, tags

from orchestra.prices import PRICES
from orchestra.sim.brain import answer
from orchestra.sim.models import MODELS
from orchestra.sim.words import stems

ARTICLE = (
    "Heat pumps moved heat from outside air into homes across Norway during the winter of 2025. "
    "Installers fitted 120,000 units, twice the number of the year before. Running costs fell "
    "because electricity from hydropower stayed cheap. Critics warned that older houses lose "
    "heat through thin walls, so insulation should come first. The government paid grants of "
    "up to 25,000 kroner per household."
)
RESEARCH = (
    "Research notes: Solid-state batteries store lithium in a ceramic electrolyte instead of a "
    "liquid one. Prototypes charge to 80 percent in 12 minutes. The ceramic layer cracks after "
    "800 cycles, which limits lifetime. Toyota plans small-scale production in 2027."
)
OPTIONS = "Options:\n- rail\n- ferry\n- flight\n"


def is_json(text):
    text = re.sub(r"(?s)^\s*```(?:json)?\s*|\s*```\s*$", "", text or "")
    try:
        return json.loads(text)
    except ValueError:
        return None


def lines(text):
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


def shares(text, source, n=2):
    """At least ``n`` content words of ``source`` (stemmed) appear in ``text``."""
    common = set(stems(text or "")) & set(stems(source))
    return len(common) >= n


def no_meta(text):
    """The reply works on the content, not on a description of the task."""
    return not re.search(r"(?i)previous task|the context above|the given context", text or "")


def in_order(text, names):
    at = [(text or "").find(f"<{n}>") for n in names]
    return all(i >= 0 for i in at) and at == sorted(at)


@dataclass(frozen=True)
class Case:
    """One prompt of the corpus, and the check its reply must pass."""

    name: str
    messages: list[dict]
    check: Callable
    """Takes the reply's text; true when it has the asked shape."""
    system: str | None = None


def user(text):
    return [{"role": "user", "content": text}]


def chat(*turns):
    return [{"role": ("user", "assistant")[i % 2], "content": t} for i, t in enumerate(turns)]


def pick_then_why(t):
    return (
        in_order(t, ["why", "pick"])
        and tag(t, "pick") in ("rail", "ferry", "flight")
        and tag(t, "why")
    )


def approaches(t, low=2, high=3):
    items = re.findall(r"(?s)<item>(.*?)</item>", t or "")
    return (
        bool(tag(t, "overview"))
        and low <= len(items) <= high
        and all(tag(i, "kind") and tag(i, "detail") for i in items)
    )


def score_1_10(t):
    s = tag(t, "score") or ""
    return s.isdigit() and 1 <= int(s) <= 10


def final_answer(t):
    m = re.search(r"(?s)Final Answer:\s*(\S.*)", t or "")
    return bool(m)


def react(t):
    action = re.search(r"Action:\s*(search|calculator)\b", t or "")
    return bool(action and re.search(r"Action Input:\s*\S", t)) or final_answer(t)


def doc_lines(t):
    got = [re.fullmatch(r"Doc:\s*(\d+),\s*Relevance:\s*(\d+)", ln) for ln in lines(t)]
    return bool(got) and all(g and 1 <= int(g[1]) <= 3 and 1 <= int(g[2]) <= 10 for g in got)


def keywords(t, most=5):
    m = re.fullmatch(r"(?s)KEYWORDS:\s*(.+)", (t or "").strip())
    return bool(m) and 1 <= len([k for k in m[1].split(",") if k.strip()]) <= most


def last_line_yn(t):
    ls = lines(t)
    return bool(ls) and ls[-1] in ("Y", "N")


def first_line_score(t, low=1, high=5):
    ls = lines(t)
    return bool(ls) and re.fullmatch(r"\d+(?:\.\d)?", ls[0]) and low <= float(ls[0]) <= high


def n_lines(t, n):
    return len(lines(t)) == n


def numbered(t, n=None):
    ls = lines(t)
    ok = ls and all(re.match(rf"{i}\. \S", ln) for i, ln in enumerate(ls, 1))
    return bool(ok) and (n is None or len(ls) == n)


def commas(t, n):
    parts = [p.strip() for p in (t or "").strip().split(",")]
    return len(parts) == n and all(parts) and "\n" not in t.strip()


def json_keys(*keys):
    def check(t):
        d = is_json(t)
        return isinstance(d, dict) and all(isinstance(d.get(k), str) and d[k] for k in keys)

    return check


def one_of(*words):
    return lambda t: (t or "").strip().strip(".").strip("'\"") in words


CREW_SYSTEM = (
    "You are Content Writer. You turn technical findings into clear posts for a general "
    "audience.\nYour personal goal is: Write engaging posts about new technology\n"
    "To give my best complete final answer to the task respond using the exact following "
    "format:\n\nThought: I now can give a great answer\nFinal Answer: Your final answer must be "
    "the great and the most complete as possible, it must be outcome described.\n\n"
    "I MUST use these formats, my job depends on it!"
)
REACT = (
    "Answer the following questions as best you can. You have access to the following tools:\n\n"
    "search: look up facts on the web\ncalculator: evaluate arithmetic\n\n"
    "Use the following format:\n\nQuestion: the input question you must answer\n"
    "Thought: you should always think about what to do\n"
    "Action: the action to take, should be one of [search, calculator]\n"
    "Action Input: the input to the action\nObservation: the result of the action\n"
    "... (this Thought/Action/Action Input/Observation can repeat N times)\n"
    "Thought: I now know the final answer\n"
    "Final Answer: the final answer to the original input question\n\nBegin!\n\n"
)
CASES = [
    # -- templates whose elements describe their values (Anthropic docs, XML tags)
    Case(
        "xml-why-then-pick-from-options",
        user(
            "I need to travel from Oslo to Bergen with a bike and little time. "
            f"{OPTIONS}Reason first, then give your pick in this format:\n"
            "<why>your reasoning</why>\n<pick>the option you chose</pick>"
        ),
        pick_then_why,
    ),
    Case(
        "xml-answer-your-answer-here",
        user(
            f"<article>{ARTICLE}</article>\nDid installers fit more heat pumps than the year "
            "before? Reply as <answer>your answer here</answer>"
        ),
        lambda t: bool(tag(t, "answer")) and "your answer" not in tag(t, "answer").lower(),
    ),
    Case(
        "xml-score-a-number-from-1-to-10",
        user(
            f"Rate how persuasive this article is.\n<article>{ARTICLE}</article>\n"
            "Respond in this format:\n<reasoning>...</reasoning>\n<score>a number from 1 to 10</score>"
        ),
        lambda t: score_1_10(t) and bool(tag(t, "reasoning")),
    ),
    Case(
        "xml-nested-two-to-three-approaches",
        user(
            "Suggest 2-3 approaches to cut the energy use of an office building. Use this "
            "format:\n<overview>…</overview>\n<items>\n<item><kind>…</kind><detail>…</detail>"
            "</item>\n</items>"
        ),
        approaches,
    ),
    Case(
        "xml-nested-exactly-three-tasks",
        user(
            "Break the launch of a newsletter into exactly 3 tasks, in this format:\n"
            "<tasks>\n<task><name>short name</name><owner>who does it</owner>"
            "<due>a date</due></task>\n</tasks>"
        ),
        lambda t: (
            len(tags(t, "task")) == 3
            and all(tag(x, "name") and tag(x, "owner") and tag(x, "due") for x in tags(t, "task"))
        ),
    ),
    Case(
        "xml-findings-and-recommendations",
        user(
            f"<report>{ARTICLE}</report>\nAnalyze the report. Put your findings in <findings> "
            "tags and your recommendations in <recommendations> tags."
        ),
        lambda t: bool(tag(t, "findings")) and bool(tag(t, "recommendations")),
    ),
    Case(
        "xml-thinking-then-answer",
        user(
            "Which is larger, 17 * 3 or 48? Think step by step in <thinking> tags, then give the "
            "final answer in <answer> tags."
        ),
        lambda t: in_order(t, ["thinking", "answer"]) and "51" in (tag(t, "answer") or ""),
    ),
    Case(
        "xml-quotes-then-info",
        user(
            f"<document>{ARTICLE}</document>\nFind quotes from the document that are relevant to "
            "the question: how much were the grants? Place them in <quotes> tags. Then answer "
            "the question in <info> tags."
        ),
        lambda t: in_order(t, ["quotes", "info"]) and "25,000" in (tag(t, "quotes") or ""),
    ),
    Case(
        "xml-correctness-grader",
        user(
            "You will grade an answer against a rubric.\n<rubric>The answer names Norway and a "
            "number of units.</rubric>\n<answer>Norway fitted 120,000 heat pumps.</answer>\n"
            "Think it over in <thinking> tags, then output 'correct' or 'incorrect' in "
            "<correctness></correctness> tags."
        ),
        lambda t: tag(t, "correctness") in ("correct", "incorrect"),
    ),
    Case(
        "xml-repeated-bullets-count",
        user(
            f"<article>{ARTICLE}</article>\nGive 4 key points of the article as a bullet list, "
            "one '- ' bullet each."
        ),
        lambda t: len(lines(t)) == 4 and all(ln.startswith("- ") for ln in lines(t)),
    ),
    # -- chained tasks: the earlier output is handed over
    Case(
        "crewai-context-section",
        user(
            "Current Task: Turn the research into a short post for a general audience.\n\n"
            "This is the expected criteria for your final answer: A post of at most 80 words.\n"
            "you MUST return the actual complete content as the final answer, not a summary.\n\n"
            f"This is the context you're working with:\n{RESEARCH}\n\n"
            "Begin! This is VERY important to you, use the tools available and give your best "
            "Final Answer, your job depends on it!\n\nThought:"
        ),
        lambda t: final_answer(t) and shares(t, RESEARCH, 3) and no_meta(t),
        CREW_SYSTEM,
    ),
    Case(
        "previous-result-to-bullets",
        user(
            f"Previous result:\n{RESEARCH}\n\nTurn the previous result into 3 bullet points for a "
            "slide."
        ),
        lambda t: len(lines(t)) == 3 and shares(t, RESEARCH, 3) and no_meta(t),
    ),
    Case(
        "the-summary-above-to-title",
        chat(
            f"Summarize this in two sentences:\n{RESEARCH}",
            "Solid-state batteries use a ceramic electrolyte and charge to 80 percent in 12 "
            "minutes. The ceramic cracks after 800 cycles, and Toyota plans production in 2027.",
            "Write a headline for the summary above.",
        ),
        lambda t: 0 < len(t.split()) <= 20 and shares(t, RESEARCH, 2) and no_meta(t),
    ),
    Case(
        "langgraph-state-field-pasted",
        user(
            "You are the editor node. The graph state is:\n"
            f"{{'topic': 'heat pumps', 'draft': {ARTICLE!r}}}\n"
            "Rewrite the draft as one paragraph for a newsletter."
        ),
        lambda t: shares(t, ARTICLE, 4) and no_meta(t),
    ),
    Case(
        "llamaindex-refine",
        user(
            "The original query is as follows: Why did heat pump running costs fall?\n"
            "We have provided an existing answer: Electricity was cheap.\n"
            "We have the opportunity to refine the existing answer (only if needed) with some "
            f"more context below.\n------------\n{ARTICLE}\n------------\nGiven the new context, "
            "refine the original answer to better answer the query. If the context isn't useful, "
            "return the original answer.\nRefined Answer: "
        ),
        lambda t: shares(t, "electricity hydropower cheap running costs", 2) and no_meta(t),
    ),
    Case(
        "langchain-summary-memory",
        user(
            "Progressively summarize the lines of conversation provided, adding onto the previous "
            "summary returning a new summary.\n\nCurrent summary:\nThe user asks about solid-state "
            "batteries.\n\nNew lines of conversation:\nHuman: How fast do they charge?\n"
            "AI: Prototypes reach 80 percent in 12 minutes.\n\nNew summary:"
        ),
        lambda t: shares(t, "solid-state batteries charge 80 percent 12 minutes", 3),
    ),
    Case(
        "prompt-chain-review-summary",
        user(
            f"Here is a summary of a research note: <summary>{RESEARCH}</summary>\nReview the "
            "summary for accuracy and clarity. Give your feedback in <feedback> tags."
        ),
        lambda t: bool(tag(t, "feedback")) and no_meta(t),
    ),
    # -- LangChain templates and output parsers
    Case(
        "langchain-rag-three-sentences",
        user(
            "You are an assistant for question-answering tasks. Use the following pieces of "
            "retrieved context to answer the question. If you don't know the answer, just say "
            "that you don't know. Use three sentences maximum and keep the answer concise.\n"
            f"Question: How many units did installers fit?\nContext: {ARTICLE}\nAnswer:"
        ),
        lambda t: "120,000" in t and len(re.findall(r"[.!?](?:\s|$)", t)) <= 3,
    ),
    Case(
        "langchain-map-concise-summary",
        user(f'Write a concise summary of the following:\n\n"{ARTICLE}"\n\nCONCISE SUMMARY:'),
        lambda t: 0 < len(t) < len(ARTICLE) and shares(t, ARTICLE, 3),
    ),
    Case(
        "langchain-multi-query-three-versions",
        user(
            "You are an AI language model assistant. Your task is to generate 3 different "
            "versions of the given user question to retrieve relevant documents from a vector "
            "database. By generating multiple perspectives on the user question, your goal is to "
            "help the user overcome some of the limitations of distance-based similarity search. "
            "Provide these alternative questions separated by newlines.\n"
            "Original question: How do heat pumps cope with cold winters?"
        ),
        lambda t: n_lines(t, 3) and all("heat" in ln.lower() for ln in lines(t)),
    ),
    Case("langchain-react-action", user(REACT + "Question: What is 12 * 7?\nThought:"), react),
    Case(
        "langchain-condense-question",
        user(
            "Given the following conversation and a follow up question, rephrase the follow up "
            "question to be a standalone question.\n\nChat History:\nHuman: Tell me about "
            "solid-state batteries.\nAssistant: They use a ceramic electrolyte.\n"
            "Follow Up Input: When will Toyota make them?\nStandalone question:"
        ),
        lambda t: "?" in t and "toyota" in t.lower() and len(lines(t)) == 1,
    ),
    Case(
        "langchain-criteria-y-or-n",
        user(
            "You are assessing a submitted answer on a given task or input based on a set of "
            "criteria. Here is the data:\n[BEGIN DATA]\n***\n[Input]: How many units were "
            "fitted?\n***\n[Submission]: 120,000 units.\n***\n[Criteria]: conciseness: Is the "
            "submission concise and to the point?\n***\n[END DATA]\nDoes the submission meet the "
            "Criteria? First, write out in a step by step manner your reasoning about each "
            "criterion to be sure that your conclusion is correct. Then print only the single "
            'character "Y" or "N" (without quotes or punctuation) on its own line corresponding '
            "to the correct answer. At the end, repeat just the letter again by itself on a new "
            "line."
        ),
        last_line_yn,
    ),
    Case(
        "langchain-qa-grade",
        user(
            "You are a teacher grading a quiz. You are given a question, the student's answer, "
            "and the true answer, and are asked to score the student answer as either CORRECT "
            "or INCORRECT.\n\nQUESTION: What year will Toyota start production?\nSTUDENT ANSWER: "
            "2027\nTRUE ANSWER: 2027\nGRADE:"
        ),
        one_of("CORRECT", "INCORRECT"),
    ),
    Case(
        "langchain-pairwise-verdict",
        user(
            "Please act as an impartial judge and evaluate the quality of the responses provided "
            "by two AI assistants to the user question displayed below. Output your final "
            'verdict by strictly following this format: "[[A]]" if assistant A is better, '
            '"[[B]]" if assistant B is better, and "[[C]]" for a tie.\n\n[User Question]\nWhy '
            "do ceramic electrolytes crack?\n\n[The Start of Assistant A's Answer]\nThey crack "
            "after many cycles.\n[The End of Assistant A's Answer]\n\n[The Start of Assistant "
            "B's Answer]\nRepeated charging strains the ceramic layer until it cracks after about "
            "800 cycles.\n[The End of Assistant B's Answer]"
        ),
        lambda t: len(re.findall(r"\[\[[ABC]\]\]", t)) >= 1,
    ),
    Case(
        "langchain-markdown-json-schema",
        user(
            "The output should be a markdown code snippet formatted in the following schema, "
            'including the leading and trailing "```json" and "```":\n\n```json\n{\n\t"answer": '
            'string  // answer to the user\'s question\n\t"source": string  // source used to '
            "answer the user's question\n}\n```\n\n"
            f"Context: {ARTICLE}\nQuestion: How large were the grants?"
        ),
        json_keys("answer", "source"),
    ),
    Case(
        "langchain-pydantic-format-instructions",
        user(
            "Tell me a joke about batteries.\nThe output should be formatted as a JSON instance "
            "that conforms to the JSON schema below.\n\nHere is the output schema:\n```\n"
            '{"properties": {"setup": {"title": "Setup", "description": "question to set up a '
            'joke", "type": "string"}, "punchline": {"title": "Punchline", "description": '
            '"answer to resolve the joke", "type": "string"}}, "required": ["setup", '
            '"punchline"]}\n```'
        ),
        json_keys("setup", "punchline"),
    ),
    Case(
        "langchain-comma-separated-list",
        user(
            "List five ice cream flavors.\nYour response should be a list of comma separated "
            "values, eg: `foo, bar, baz` or `foo,bar,baz`"
        ),
        lambda t: commas(t, 5),
    ),
    Case(
        "langchain-numbered-list",
        user(
            "List three ways to insulate an old house.\nYour response should be a numbered list "
            "with each item on a new line. For example: \n\n1. foo\n\n2. bar\n\n3. baz"
        ),
        lambda t: numbered(t, 3),
    ),
    Case(
        "langchain-boolean-parser",
        user(f"{ARTICLE}\nDid the government pay grants? Answer YES or NO."),
        one_of("YES", "NO"),
    ),
    Case(
        "langchain-enum-parser",
        user(
            "What color is a ripe banana?\nSelect one of the following options: red, yellow, blue"
        ),
        one_of("red", "yellow", "blue"),
    ),
    # -- LlamaIndex default prompts
    Case(
        "llamaindex-text-qa",
        user(
            f"Context information is below.\n---------------------\n{ARTICLE}\n"
            "---------------------\nGiven the context information and not prior knowledge, "
            "answer the query.\nQuery: What did critics warn about?\nAnswer: "
        ),
        lambda t: shares(t, "older houses lose heat thin walls insulation", 2),
    ),
    Case(
        "llamaindex-keyword-extract",
        user(
            "Some text is provided below. Given the text, extract up to 5 keywords from the "
            f"text. Avoid stopwords.\n---------------------\n{ARTICLE}\n---------------------\n"
            "Provide keywords in the following comma-separated format: 'KEYWORDS: <keywords>'\n"
        ),
        keywords,
    ),
    Case(
        "llamaindex-choice-select",
        user(
            "A list of documents is shown below. Each document has a number next to it along "
            "with a summary of the document. A question is also provided.\nRespond with the "
            "numbers of the documents you should consult to answer the question, in order of "
            "relevance, as well as the relevance score. The relevance score is a number from "
            "1-10 based on how relevant you think the document is to the question.\nDo not "
            "include any documents that are not relevant to the question.\nExample format:\n"
            "Document 1:\n<summary of document 1>\n\nDocument 2:\n<summary of document 2>\n\n"
            "Question: <question>\nAnswer:\nDoc: 9, Relevance: 7\nDoc: 3, Relevance: 4\n\n"
            "Let's try this now:\n\nDocument 1:\nHeat pumps in Norway and their grants.\n\n"
            "Document 2:\nA recipe for apple cake.\n\nDocument 3:\nInsulating older houses.\n\n"
            "Question: Which grants helped Norwegian households buy heat pumps?\nAnswer:\n"
        ),
        doc_lines,
    ),
    Case(
        "llamaindex-faithfulness-yes-no",
        user(
            "Please tell if a given piece of information is supported by the context.\nYou need "
            "to answer with either YES or NO.\nAnswer YES if any of the context supports the "
            "information, even if most of the context is unrelated.\n\nInformation: Toyota "
            f"plans production in 2027.\nContext: {RESEARCH}\nAnswer: "
        ),
        one_of("YES", "NO"),
    ),
    Case(
        "llamaindex-correctness-score-first-line",
        user(
            "You are an expert evaluation system for a question answering chatbot.\nYou are "
            "given a user query, a reference answer and a generated answer.\nOutput a single "
            "score that represents a holistic evaluation. You must return your response in a "
            "line with only the score. Do not return answers in any other format. On a separate "
            "line provide your reasoning for the score as well.\nThe score should be between 1 "
            "and 5.\n\n## User Query\nHow many units were fitted?\n## Reference Answer\n120,000"
            "\n## Generated Answer\nAbout 120,000 units."
        ),
        first_line_score,
    ),
    Case(
        "llamaindex-question-generation",
        user(
            f"Context information is below.\n---------------------\n{RESEARCH}\n"
            "---------------------\nGiven the context information and not prior knowledge, "
            "generate only questions based on the below query.\nYou are a Teacher/Professor. "
            "Your task is to setup 2 questions for an upcoming quiz/examination. The questions "
            "should be diverse in nature across the document. Restrict the questions to the "
            "context information provided."
        ),
        lambda t: len([ln for ln in lines(t) if ln.endswith("?")]) == 2,
    ),
    Case(
        "llamaindex-summary-template",
        user(
            "Write a summary of the following. Try to use only the information provided. Try to "
            f'include as many key details as possible.\n\n\n{ARTICLE}\n\n\nSUMMARY:"""\n'
        ),
        lambda t: shares(t, ARTICLE, 4) and len(t) <= len(ARTICLE),
    ),
    Case(
        "llamaindex-selector-json",
        user(
            "Some choices are given below. It is provided in a numbered list (1 to 3), where "
            "each item in the list corresponds to a summary.\n---------------------\n(1) Useful "
            "for questions about heat pumps\n(2) Useful for questions about batteries\n(3) Useful "
            "for questions about recipes\n---------------------\nUsing only the choices above and "
            "not prior knowledge, return the choice that is most relevant to the question: "
            "'How long do solid-state batteries last?'\nThe output should be formatted as a JSON "
            'instance with two keys: "choice" (the number of the choice) and "reason" (why).'
        ),
        lambda t: (
            isinstance(is_json(t), dict)
            and str(is_json(t).get("choice")) in ("1", "2", "3")
            and bool(is_json(t).get("reason"))
        ),
    ),
    # -- agent frameworks
    Case(
        "crewai-final-answer-format",
        user(
            "Current Task: Name three uses of solid-state batteries.\n\nThis is the expected "
            "criteria for your final answer: a list of three uses\nyou MUST return the actual "
            "complete content as the final answer, not a summary.\n\nBegin! This is VERY "
            "important to you, use the tools available and give your best Final Answer, your job "
            "depends on it!\n\nThought:"
        ),
        final_answer,
        CREW_SYSTEM,
    ),
    Case(
        "autogen-speaker-selection",
        user(
            "You are in a role play game. The following roles are available:\nplanner: breaks "
            "the task into steps.\ncoder: writes Python code.\nreviewer: checks the code.\n\n"
            "Read the following conversation.\nplanner: Step 1 is to write a function that adds "
            "two numbers.\n\nThen select the next role from ['planner', 'coder', 'reviewer'] to "
            "play. Only return the role."
        ),
        one_of("planner", "coder", "reviewer"),
    ),
    Case(
        "langgraph-supervisor",
        user(
            "You are a supervisor tasked with managing a conversation between the following "
            "workers: researcher, coder. Given the following user request, respond with the "
            "worker to act next. Each worker will perform a task and respond with their results "
            "and status. When finished, respond with FINISH.\n\nUser request: Find the latest "
            "figures on heat pump sales in Norway.\nWho should act next? Select one of: "
            "researcher, coder, FINISH"
        ),
        one_of("researcher", "coder", "FINISH"),
    ),
    Case(
        "langgraph-planner",
        user(
            "For the given objective, come up with a simple step by step plan. This plan should "
            "involve individual tasks, that if executed correctly will yield the correct answer. "
            "Do not add any superfluous steps. The result of the final step should be the final "
            "answer.\n\nObjective: find the cheapest way to heat an old house in Norway."
        ),
        lambda t: numbered(t) and len(lines(t)) >= 2,
    ),
    Case(
        "anthropic-review-sentiment-json",
        user(
            "Classify the sentiment of the customer review as positive, negative or neutral and "
            'reply with JSON of the form {"sentiment": "positive | negative | neutral", '
            '"reason": "<one sentence>"}.\n\nReview: The kettle broke after two days. Awful.'
        ),
        lambda t: (
            isinstance(is_json(t), dict)
            and is_json(t).get("sentiment") in ("positive", "negative", "neutral")
            and bool(is_json(t).get("reason"))
        ),
    ),
    Case(
        "anthropic-email-extractor",
        user(
            "Copy every email address from the text below, one per line, and nothing else.\n\n"
            "Write to ana@fjord.example for sales, or ops@fjord.example for deliveries. Phone "
            "22 33 44 55."
        ),
        lambda t: sorted(lines(t)) == ["ana@fjord.example", "ops@fjord.example"],
    ),
]


GAPS: set[str] = set()
"""Prompts the simulator does not yet answer in the asked shape. Strict xfail: one that starts
passing fails the run until it is taken off this list."""


def run(case: Case, model: str) -> str:
    req = request(case.messages, case.system)
    return answer(req, MODELS[model].quality, random.Random(11)).text


@pytest.mark.parametrize("model", sorted(PRICES))
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(strict=True, reason="issue 29 gap")] if c.name in GAPS else [],
        )
        for c in CASES
    ],
)
def test_foreign_prompt_gets_the_asked_shape(case, model):
    text = run(case, model)
    assert case.check(text), f"{case.name} on {model}: {text!r}"


def test_the_corpus_is_large_and_named_uniquely():
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)


THROUGH_SDK = [
    "anthropic-email-extractor", "llamaindex-choice-select", "llamaindex-selector-json",
    "llamaindex-correctness-score-first-line", "langchain-multi-query-three-versions",
]  # fmt: skip


def test_foreign_prompts_get_the_asked_shape_through_the_official_sdk(sim):
    """Some of the prompts sent with the ``anthropic`` client to a simulator on loopback, on
    every model: the reply keeps the asked shape on the wire too, whatever the server's dice.
    One test, one client: the fixture's teardown costs more than the 25 requests."""
    sent = [c for c in CASES if c.name in THROUGH_SDK]
    wrong = []
    with anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0, timeout=10) as client:
        for case in sent:
            extra = {"system": case.system} if case.system else {}
            for model in sorted(PRICES):
                msg = client.messages.create(
                    model=model, max_tokens=1024, messages=case.messages, **extra
                )
                text = "".join(b.text for b in msg.content if b.type == "text")
                if msg.stop_reason != "end_turn" or not case.check(text):
                    wrong.append(f"{case.name} on {model}: {text!r}")
    assert len(sent) == len(THROUGH_SDK) and not wrong, wrong


# -- issue 29's last nine: the content is computed from the input; the dial acts on it alone

FORMER_GAPS = [
    "langchain-multi-query-three-versions", "llamaindex-question-generation",
    "langchain-condense-question", "langchain-comma-separated-list", "llamaindex-keyword-extract",
    "llamaindex-choice-select", "llamaindex-selector-json",
    "llamaindex-correctness-score-first-line", "anthropic-email-extractor",
]  # fmt: skip


def case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def said(name: str, quality: float = 1.0, seed: int = 11, messages=None) -> str:
    c = case(name)
    return answer(request(messages or c.messages, c.system), quality, random.Random(seed)).text


@pytest.mark.parametrize("name", FORMER_GAPS)
def test_a_weak_model_errs_in_content_never_in_shape(name):
    replies = {said(name, quality, seed) for quality in (0.0, 0.5) for seed in range(12)}
    assert all(case(name).check(t) for t in replies), replies


def test_picks_are_the_choices_that_share_the_question_words():
    assert lines(said("llamaindex-choice-select")) == ["Doc: 1, Relevance: 8"]
    assert is_json(said("llamaindex-selector-json")) == {
        "choice": 2,
        "reason": "The question is about batteries, which choice 2 covers.",
    }
    weak = [is_json(said("llamaindex-selector-json", 0.5, seed))["choice"] for seed in range(12)]
    assert 2 in weak and set(weak) - {2}  # a weak model sometimes picks a worse choice
    rows = [lines(said("llamaindex-choice-select", 0.0, seed)) for seed in range(12)]
    assert all(r[0] == "Doc: 1, Relevance: 8" for r in rows) and any(len(r) > 1 for r in rows)


def test_questions_reuse_the_words_they_are_about():
    original = "How do heat pumps cope with cold winters?"
    versions = lines(said("langchain-multi-query-three-versions"))
    assert len(set(versions)) == 3 and original not in versions
    assert all(shares(v, original, 3) and v.endswith("?") for v in versions)
    assert said("langchain-condense-question") == "When will Toyota make solid-state batteries?"
    quiz = [re.sub(r"^\d+\. ", "", q) for q in lines(said("llamaindex-question-generation"))]
    facts = [s for s in re.split(r"(?<=\.) ", RESEARCH) if any(shares(q, s, 3) for q in quiz)]
    assert len(quiz) == 2 and len(facts) == 2  # two questions on two parts of the notes


def test_keywords_are_the_text_most_salient_words():
    got = said("llamaindex-keyword-extract").removeprefix("KEYWORDS:").split(",")
    got = [k.strip() for k in got]
    assert got[0] == "heat" and "norway" in got  # the most frequent word, then the name
    assert all(k in ARTICLE.lower() for k in got)


def test_the_score_on_the_first_line_follows_the_reference():
    right = said("llamaindex-correctness-score-first-line")
    wrong_answer = case("llamaindex-correctness-score-first-line").messages[0]["content"]
    wrong_answer = wrong_answer.replace("About 120,000 units.", "About 500 units.")
    wrong = said("llamaindex-correctness-score-first-line", messages=user(wrong_answer))
    assert lines(right)[0] == "5.0" and lines(wrong)[0] == "1.0"
    assert "120,000" in lines(right)[1] and "none" in lines(wrong)[1]


def test_every_address_in_the_text_in_the_asked_format():
    text = (
        "List all email addresses in the text below, comma separated.\n\n"
        "Ana (ana@fjord.example) met Bo, bo@kai.example; the list is news@fjord.example."
    )
    got = answer(request(user(text)), 0.0, random.Random(3)).text
    assert got == "ana@fjord.example, bo@kai.example, news@fjord.example"
