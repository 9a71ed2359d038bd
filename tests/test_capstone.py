"""Chapter 11's capstone pipeline: its plain functions, and the orchestra version on stub models."""

from __future__ import annotations

import asyncio
import json

import pytest

from orchestra import Reply
from orchestra.errors import ConfigError, OutputFormatError, UngroundedAnswerError
from orchestra.examples import capstone as cap


def reply(text: str) -> Reply:
    return Reply(text, None, "stub", 10, 5, 0.0, 0.0, 0.0, "end_turn")


class Stub:
    """A model that answers from a script: classify replies, then generate replies, in order."""

    def __init__(self, *texts: str):
        self.texts, self.prompts = list(texts), []

    async def ask(self, prompt: str, **_: object) -> Reply:
        self.prompts.append(prompt)
        return reply(self.texts.pop(0))


def test_the_data_has_an_article_for_every_golden_question():
    ids = {p.id: p for p in cap.articles()}
    assert len(ids) == 20 and {p.category for p in ids.values()} == set(cap.CATEGORIES)
    for q in cap.golden():
        article = ids[q["article"]]
        assert article.category == q["category"]
        assert q["fact"].lower() in article.text.lower(), q["id"]


def test_retrieval_ranks_within_the_category_and_finds_most_golden_articles():
    hits = 0
    for q in cap.golden():
        found = cap.retrieve(q["question"], q["category"])
        assert len(found) == 3 and {p.category for p in found} == {q["category"]}
        hits += q["article"] in [p.id for p in found]
    assert hits >= 22  # BM25 over five articles per category: nearly always in the top 3
    assert cap.retrieve("refund to my card", "billing")[0].id == "KB-B1"
    with pytest.raises(ConfigError, match="no category 'refunds'"):
        cap.retrieve("x", "refunds")


def test_parse_category_takes_exactly_one_label():
    assert cap.parse_category("billing") == "billing"
    assert cap.parse_category("Category: Shipping.") == "shipping"
    for bad in ("", "billing or shipping", "payments"):
        with pytest.raises(OutputFormatError):
            cap.parse_category(bad)


def test_the_prompts_carry_what_each_step_needs():
    p = cap.classify_prompt("Where is my parcel?")
    assert all(c in p for c in cap.CATEGORIES) and p.endswith("Question: Where is my parcel?")
    passages = cap.retrieve("refund", "billing", k=2)
    g = cap.generate_prompt("When is my refund?", passages)
    assert all(f'<passage id="{x.id}">' in g and x.text in g for x in passages)
    assert '"sources"' in g and g.endswith("Question: When is my refund?")


def test_validate_accepts_a_grounded_answer_and_names_each_kind_of_bad_one():
    passages = cap.retrieve("refund card", "billing")
    good = {
        "answer": "A refund reaches your card within 5 to 7 business days.",
        "sources": ["KB-B1"],
    }
    assert cap.validate(json.dumps(good), passages).sources == ["KB-B1"]
    with pytest.raises(OutputFormatError, match="not the JSON"):
        cap.validate("A refund takes a week.", passages)
    with pytest.raises(OutputFormatError, match="not the JSON"):
        cap.validate(json.dumps({"answer": "x"}), passages)  # no sources
    with pytest.raises(UngroundedAnswerError, match="KB-T3"):
        cap.validate(json.dumps({**good, "sources": ["KB-T3"]}), passages)
    with pytest.raises(UngroundedAnswerError, match="cites nothing"):
        cap.validate(json.dumps({**good, "sources": []}), passages)
    made_up = {
        "answer": "Refunds are instant via cryptocurrency wallets worldwide.",
        "sources": ["KB-B1"],
    }
    with pytest.raises(UngroundedAnswerError, match="words"):
        cap.validate(json.dumps(made_up), passages)


def test_correct_needs_category_fact_and_article():
    q = cap.golden()[0]  # refund to a card: 5 to 7 business days, KB-B1
    answer = cap.Answer(answer="It takes 5 to 7 business days.", sources=["KB-B1"])
    assert cap.correct({"category": "billing", "answer": answer}, q)
    assert cap.correct({"category": "billing", "answer": answer.model_dump()}, q)
    assert not cap.correct({"category": "shipping", "answer": answer}, q)
    assert not cap.correct({"category": "billing", "answer": None}, q)
    wrong_fact = cap.Answer(answer="It takes 3 business days.", sources=["KB-B1"])
    assert not cap.correct({"category": "billing", "answer": wrong_fact}, q)
    wrong_source = cap.Answer(answer=answer.answer, sources=["KB-B2"])
    assert not cap.correct({"category": "billing", "answer": wrong_source}, q)


GOOD = json.dumps(
    {"answer": "A refund reaches your card within 5 to 7 business days.", "sources": ["KB-B1"]}
)


def test_the_orchestra_pipeline_runs_five_steps_and_formats_the_reply():
    model = Stub("billing", GOOD)
    result = asyncio.run(cap.pipeline(model).run(cap.Case(question=cap.golden()[0]["question"])))
    assert result.status == "completed"
    assert [s.name for s in result.trace.steps()] == [
        "classify",
        "retrieve",
        "generate",
        "validate",
        "format",
    ]
    assert result.state.reply.startswith("[billing] A refund reaches")
    assert "KB-B1 (Refunds)" in result.state.reply
    assert cap.correct(result.state.model_dump(), cap.golden()[0])


def test_a_refused_draft_is_generated_again_then_the_run_aborts_with_the_reason():
    model = Stub("billing", "not json", GOOD)
    result = asyncio.run(cap.pipeline(model, max_regenerations=1).run(cap.Case(question="refund?")))
    assert result.status == "completed" and len(model.prompts) == 3
    model = Stub("billing", "not json", json.dumps({"answer": "x", "sources": ["KB-T1"]}))
    result = asyncio.run(cap.pipeline(model, max_regenerations=1).run(cap.Case(question="refund?")))
    assert result.status == "aborted" and "max_iterations" in result.reason
    assert "cites ['KB-T1']" in result.state.problem


def test_a_classify_reply_with_no_category_fails_that_step():
    result = asyncio.run(cap.pipeline(Stub("payments")).run(cap.Case(question="refund?")))
    assert result.status != "completed"
    assert [s.name for s in result.trace.steps()][-1] == "classify"


@pytest.fixture(scope="module")
def simulator():
    from orchestra import sim

    s = sim.start(seed=0)
    yield s
    s.stop()


SYSTEMS = ("run_orchestra", "run_lcel", "run_langgraph", "run_llama", "run_pydantic_ai")
QUESTIONS = cap.golden()[::8]  # one billing, one shipping, one account question


@pytest.fixture(scope="module")
def runs(simulator):
    """Each system on the same questions, all in one event loop: langchain-anthropic keeps one
    HTTP client per base URL for the process, which a second ``asyncio.run`` would find closed."""
    from orchestra import LLM
    from orchestra.examples import capstone_frameworks as fw

    async def all_systems():
        async with LLM("claude-sonnet-5-5", base_url=simulator.url) as llm:
            prompts = [cap.classify_prompt(q["question"]) for q in QUESTIONS]
            limit = cap.MAX_TOKENS["classify"]
            tokens = [(await llm.ask(p, max_tokens=limit)).input_tokens for p in prompts]
        out = {}
        for system in SYSTEMS:
            seen = len(simulator.log)
            runner = getattr(fw, system, None) or getattr(fw.pai, system)
            results = await runner(QUESTIONS, model="claude-sonnet-5-5", base_url=simulator.url)
            out[system] = results, list(simulator.log)[seen:]
        return tokens, out

    return asyncio.run(all_systems())


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_framework_runs_the_same_steps_with_the_same_prompts(runs, system):
    expected, out = runs
    results, calls = out[system]
    assert [r["id"] for r in results] == [q["id"] for q in QUESTIONS]
    for r in results:
        assert set(r) == {"id", "category", "answer", "status", "error"}
        assert r["status"] in ("completed", "failed")
        assert (r["status"] == "completed") == (r["error"] is None) == (r["answer"] is not None)
        if r["answer"] is not None:
            cap.Answer.model_validate(r["answer"])
    # one classify call per question, then one or two drafts (max_regenerations=1)
    assert all(c["status"] == 200 for c in calls)
    assert 2 * len(QUESTIONS) <= len(calls) <= 3 * len(QUESTIONS)
    classify = sorted(c["input_tokens"] for c in calls if c["task"] == calls[0]["task"])
    assert classify == sorted(expected)  # the very same classify prompts in every system


def test_one_dispatch_names_what_it_cannot_run():
    from orchestra.examples import capstone_frameworks as fw

    two = cap.golden(2)
    cases = [
        ("Haystack", two, "no system 'Haystack'"),
        ("Temporal", two, "temporal=server.address"),  # no server given
        ("CrewAI", two[::-1], "first N golden questions"),  # its runner reads them itself
    ]
    for system, questions, message in cases:
        with pytest.raises(ConfigError, match=message):
            asyncio.run(fw.run_system(system, questions, model="claude-haiku-5-5"))
    assert set(fw.IN_PROCESS) | set(fw.ELSEWHERE) | {"Temporal"} == set(fw.IMPORTS)


def test_every_system_has_wiring_to_count():
    """Chapter 11 and exercise 11 count lines from fw.wiring: every system has some, shared
    capstone code is not in it, and an unknown name is a ConfigError."""
    from orchestra import measure
    from orchestra.examples import capstone_frameworks as fw
    from orchestra.examples.capstone import validate

    lines = {name: measure.lines_of_code(*fw.wiring(name)) for name in fw.IMPORTS}
    assert all(n > 20 for n in lines.values()), lines
    assert all(validate not in fw.wiring(name) for name in fw.IMPORTS)
    with pytest.raises(ConfigError, match="unknown system"):
        fw.wiring("Airflow")


def test_orchestra_rows_report_the_last_refusal_like_the_other_systems():
    from orchestra.examples import capstone_frameworks as fw

    bad = json.dumps({"answer": "x", "sources": ["KB-T1"]})
    result = asyncio.run(cap.pipeline(Stub("billing", bad, bad)).run(cap.Case(question="refund?")))
    (row,) = fw.run_rows(cap.golden(1), [result])
    assert row["status"] == "failed" and row["category"] == "billing"
    assert row["error"].startswith("OutputFormatError: cites ['KB-T1']")  # not the loop's bound


def test_dependency_weight_counts_the_closure_of_what_a_system_installs():
    from orchestra.examples import capstone_frameworks as fw

    lcel, graph = fw.dependency_weight("LCEL"), fw.dependency_weight("LangGraph")
    # LangGraph's roots hold LCEL's langchain-anthropic: its closure is a strict superset
    assert graph["distributions"] > lcel["distributions"] > 2
    assert graph["MB"] > lcel["MB"] > 0
    with pytest.raises(ConfigError, match="Haystack"):
        fw.dependency_weight("Haystack")


def test_pydantic_ai_sends_the_refusal_back_and_reports_the_last_one(monkeypatch):
    """The writer's output function refuses an ungrounded draft with ModelRetry: Pydantic AI
    sends the reason back once (max_regenerations=1), and the question fails with that reason,
    its category kept, not with Pydantic AI's "Exceeded maximum retries"."""
    from pydantic_ai.messages import ModelResponse, TextPart
    from pydantic_ai.models.function import FunctionModel

    from orchestra.examples import capstone_pydantic_ai as pai

    monkeypatch.setenv("ANTHROPIC_API_KEY", "unused")  # the models below replace Claude
    bad = json.dumps({"answer": "x", "sources": ["KB-T1"]})
    asked = []

    def writer(messages, info):
        asked.append(messages)
        return ModelResponse(parts=[TextPart(bad)])

    team, state = pai.agents("claude-haiku-5-5", "http://127.0.0.1:9"), {}
    label = FunctionModel(lambda messages, info: ModelResponse(parts=[TextPart("billing")]))
    with (
        team["classifier"].override(model=label),
        team["writer"].override(model=FunctionModel(writer)),
    ):
        with pytest.raises(UngroundedAnswerError, match=r"cites \['KB-T1'\]"):
            asyncio.run(pai.answer_one("Where is my refund?", team, state))
    assert state == {"category": "billing"}
    assert len(asked) == 2  # the first draft, then one regeneration
    assert "cites ['KB-T1']" in asked[1][-1].parts[0].content  # RetryPromptPart
