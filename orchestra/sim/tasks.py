"""Stage 3 of the answer, by task: the main answer, one function per task (chapter 00).

``fill`` asks for the main answer when its form needs it (the text of a plain reply, a field
named "answer", a tool property that holds text); the task ``shape`` decided picks the function
in ``TASKS``. Each works through the algorithms of ``understand`` and ``generate`` and keeps what
it computed in the answer's ``Drawn``, so that the fields of one answer agree: a verdict and its
feedback come from one grading, a summary field is the summary. This is where the ``quality``
dial acts: a weaker model picks the runner-up label, drops a required point, misses a field.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from orchestra.sim import agent
from orchestra.sim.generate import REWRITE, generic, plan, questions, reply, rewrite, write
from orchestra.sim.read import Prompt
from orchestra.sim.shape import Shape, Task
from orchestra.sim.understand import (
    DONT_KNOW,
    LEXICON,
    asked,
    candidates,
    classify,
    extract_field,
    field_kind,
    from_documents,
    grounded,
    parse_criteria,
    relevance,
    score,
    sentences,
    summarize,
)
from orchestra.sim.words import (
    POSITIVE,
    STOPWORDS,
    hits,
    key_terms,
    stems,
    word_limit,
    words,
)

META = set(
    """write short description draft evaluate evaluation feedback output pass fail response answer
    tags tag review critic approve verdict text give provide constructive good enough""".split()
)
"""Words of a reviewer's own instructions, never a criterion about the draft."""


@dataclass(frozen=True)
class Said:
    """A task's main answer: as text, and as the object a JSON reply without an example holds."""

    text: str
    data: dict
    is_json: bool = False
    """The text itself is JSON (an extraction, a grading)."""
    items: list | None = None
    """The answer as a list's items, when the task makes one (questions, picks, matches)."""


@dataclass(frozen=True)
class Verdict:
    """A reviewer's verdict on a draft."""

    word: str
    """The option said: the passing one, or a failing one."""
    feedback: list[str]
    """What to change (empty when it passed)."""
    passed: bool


@dataclass
class Drawn:
    """What one answer has computed, each piece once, so that its fields agree.

    Pieces are computed when a field first needs them, drawing from the answer's ``rng`` in
    that order; the first computation is the one every later field reads.
    """

    said: Said | None = None
    """The main answer."""
    labels: dict[tuple[str, ...], tuple[str, float]] = field(default_factory=dict)
    """Label and confidence, per set of labels classified against."""
    summary: str | None = None
    graded: dict | None = None
    """A grading against the rubric: ``{"scores", "total", "feedback"}``."""
    criteria: list[str] | None = None
    """Rubric lines made from the task, when the prompt gives none (a review of a draft)."""
    steps: list[str] | None = None
    grounded: str | None = None
    """The answer from the context or the documents."""
    cited: list[str] | None = None
    """The ids of the documents the answer drew on."""
    verdict: Verdict | None = None
    extracted: dict | None = None
    picks: list[tuple[str, float]] | None = None
    """The numbered choices picked, best first, with their fit to the question (0..1)."""


@dataclass(frozen=True)
class Work:
    """One answer being filled: the prompt, its shape, the dial, the dice and what is drawn."""

    p: Prompt
    shape: Shape
    quality: float
    rng: random.Random
    drawn: Drawn = field(default_factory=Drawn)


# ---------------------------------------------------------------- pieces, each computed once


def label(w: Work, labels: dict[str, str]) -> tuple[str, float]:
    """One of ``labels``, by meaning, and a confidence (a weaker model takes the runner-up)."""
    key = tuple(labels)
    if key not in w.drawn.labels:
        w.drawn.labels[key] = classify(w.p, labels, w.quality, w.rng)
    return w.drawn.labels[key]


def summary(w: Work, quality: float | None = None) -> str:
    """The material's most central sentences (at ``quality``, the model's by default)."""
    if w.drawn.summary is None:
        w.drawn.summary = summarize(w.p, w.quality if quality is None else quality, w.rng)
    return w.drawn.summary


def rubric(w: Work) -> list[str]:
    """The criteria a grading checks: the prompt's, else those made from the task."""
    return w.drawn.criteria or parse_criteria(w.p)


def graded(w: Work) -> dict:
    """The material graded against the rubric."""
    if w.drawn.graded is None:
        w.drawn.graded = score(w.p, rubric(w), w.quality, w.rng)
    return w.drawn.graded


def steps(w: Work) -> list[str]:
    """The steps of a plan for the goal."""
    if w.drawn.steps is None:
        w.drawn.steps = plan(w.p, w.quality, w.rng)
    return w.drawn.steps


def from_context(w: Work, p: Prompt | None = None) -> str:
    """The answer to the question from the context (``p``: with the question found)."""
    p = p or w.p
    if w.drawn.grounded is None and p.docs:
        w.drawn.grounded, w.drawn.cited = from_documents(p, w.quality, w.rng)
    elif w.drawn.grounded is None:
        w.drawn.grounded = grounded(p, w.quality, w.rng)
    return w.drawn.grounded


def cited(w: Work, name: str) -> list[str]:
    """The ids of the documents the answer drew on, most relevant first.

    A question over documents cites what ``grounded`` used; any other answer (a summary of
    them) cites the documents its sentences came from. "indices" asks for the index.
    """
    p, text = w.p, main(w).text
    if w.drawn.cited is None and w.shape.task != "grounded":
        said = set(sentences(text))
        w.drawn.cited = [d.id for d in p.docs if said & set(sentences(d.text))]
    if w.drawn.cited is None:  # the main answer was not a question over the documents
        from_context(w)
    ids = w.drawn.cited or []
    if re.search(r"(?i)ind(?:ex|ices)", name):
        by_id = {d.id: d.attrs.get("index", d.id) for d in p.docs}
        ids = [by_id.get(i, i) for i in ids]
    return ids


def extracted(w: Work) -> dict:
    """The fields the prompt asks to extract, each found in the material or None."""
    if w.drawn.extracted is None:
        text = w.p.payload("text", "input", "message", "document")
        w.drawn.extracted = {f: extract_field(f, text, w.quality, w.rng) for f in w.shape.fields}
    return w.drawn.extracted


def criteria(w: Work) -> None:
    """Without rubric lines, grade against the task's key terms and length."""
    p = w.p
    if rubric(w) != ["Clear and relevant"]:
        return
    task = p.sections.get("task") or (p.history[0] if p.history else p.request)
    task = task.split("\n\n")[0]
    terms = [t for t in key_terms(task, 8) if t not in META][:3]
    lines = [f"Mentions {t}" for t in terms[:3]] or ["Clear and relevant"]
    most, _ = word_limit(task)
    if most is None and re.search(r"(?i)\b(?:short|brief|concise)\b", task):
        most = 80
    if most:
        lines.append(f"At most {most} words")
    w.drawn.criteria = lines


def verdict(w: Work, options: list[str]) -> Verdict:
    """A verdict on the draft: the passing option when it meets every criterion, with feedback.

    Each earlier round (the reviewer's own earlier turns) eases the bar a little (a draft that
    nearly meets them passes), so a loop whose writer addresses the feedback ends; a weaker
    reviewer errs either way.
    """
    if w.drawn.verdict is not None:
        return w.drawn.verdict
    good = next((o for o in options if POSITIVE.match(o)), options[0])
    bad = [o for o in options if o != good]
    pair = compared(w.p)
    if pair is not None:  # an answer against a reference, a claim against its context
        share = agreement(*pair)
        grading = {"total": share, "feedback": [] if share >= 0.5 else ["Does not match"]}
        passed = share >= 0.5
    else:
        criteria(w)
        grading = graded(w)
        rounds = len(w.p.said) + len(re.findall(r"(?i)\bfeedback\b", w.p.user)) // 2
        passed = not grading["feedback"] or grading["total"] + 0.05 * rounds >= 0.9
    if w.rng.random() > w.quality + (1 - w.quality) * 0.5:
        passed = not passed  # a plausible mistake
    feedback = [] if passed else grading["feedback"] or ["Make it more specific to the task"]
    word = good if passed else (bad[len(bad) // 2] if bad else good)
    w.drawn.verdict = Verdict(word, feedback, passed)
    return w.drawn.verdict


REFERENCE = ("true answer", "reference answer", "expected answer", "reference", "context")
CANDIDATE = (
    "student answer", "generated answer", "submission", "information", "claim", "statement",
)  # fmt: skip


def compared(p: Prompt) -> tuple[str, str] | None:
    """(candidate, reference) when the prompt grades an answer against a reference answer or a
    claim against its context; else None (a draft graded against a rubric)."""
    cand = next((p.sections[k] for k in CANDIDATE if p.sections.get(k)), "")
    ref = next((p.sections[k] for k in REFERENCE if p.sections.get(k)), "")
    return (cand, ref) if cand and ref else None


def agreement(candidate: str, reference: str) -> float:
    """How far a candidate agrees with its reference, 0..1: the share of a short reference's
    words it gives, or of its own words a long reference (a context) supports."""
    cand, ref = set(stems(candidate)), set(stems(reference))
    if not cand or not ref:
        return 0.0
    if len(ref) > 2 * len(cand):
        return hits(cand, ref) / len(cand)
    return hits(ref, cand) / len(ref)


def pairwise(w: Work) -> str | None:
    """Of two answers (A, B) to one question, the label of the better: the one that covers
    more of the question and says more, a tie when they are level; None with no pair."""
    found = dict(
        re.findall(r"(?s)\[The Start of Assistant ([AB])'s Answer\]\s*(.*?)\s*\[The End", w.p.user)
        or re.findall(r"(?m)^(?:Response|Answer|Assistant) ([AB])\s*:\s*(.+)$", w.p.user)
    )
    pick = {k: next((c for c in w.shape.choices if k in c), "") for k in ("A", "B")}
    if set(found) != {"A", "B"} or not all(pick.values()):
        return None
    question = set(stems(w.p.user.split("[The Start")[0][-300:]))
    worth = {
        k: hits(question, set(stems(a))) + min(len(a.split()), 40) / 10 for k, a in found.items()
    }
    best, other = sorted("AB", key=lambda k: -worth[k])
    tie = next((c for c in w.shape.choices if c not in pick.values()), None)
    if abs(worth["A"] - worth["B"]) < 0.5 and tie:
        return tie
    return pick[other] if w.rng.random() > w.quality else pick[best]


# ---------------------------------------------------------------- one function per task


def classified(w: Work) -> Said:
    if not w.shape.choices:
        return Said(text := answered(w), {"response": text})
    better = pairwise(w)
    if better is not None:
        return Said(better, {"label": better})
    turn = next_speaker(w)
    if turn is not None:
        return Said(turn, {"label": turn})
    name, confidence = label(w, w.shape.choices)
    return Said(name, {"label": name, "confidence": confidence})


def why_label(w: Work, name: str) -> str:
    """One sentence on why the text reads as ``name``: its clause with most of the label's
    words ("the staff were rude and the breakfast was cold" for negative)."""
    cue = set(stems(f"{name} {w.shape.choices.get(name, '')} {LEXICON.get(name.lower(), '')}"))
    parts = re.split(r"(?<=[.!?])\s+|,\s*(?:but|and|while)?\s*|\s+but\s+", w.p.payload())
    best = max(parts, key=lambda x: hits(cue, set(stems(x))), default="")
    return f'The text says "{best.strip().rstrip(".!?")}", which reads as {name}.'


EXPLAIN = re.compile(
    r"(?i)\b(?:then|and|also)\s+(?:briefly\s+)?(?:explain|justify|say why|give (?:a|your|the) "
    r"reason)|\bexplain (?:why|your)\b"
)


def next_speaker(w: Work) -> str | None:
    """Who speaks next in a group chat ("select the next role"): of the roles that did not
    speak last, the one whose description (its first "name: ..." line) fits the last message."""
    if not re.search(r"(?i)\bnext (?:role|speaker|worker|agent)\b|\bact next\b", w.p.user):
        return None
    lines = re.findall(r"(?m)^[ \t]*([\w-]+):[ \t]*(.+)$", w.p.user)
    turns = [(name, text) for name, text in lines if name in w.shape.choices]
    if len(turns) < 2:
        return None
    described = dict(reversed(turns))  # a role's first line describes it
    last, said = turns[-1]
    roles = {c: described.get(c, "") for c in w.shape.choices if c != last}
    heard = Prompt("", said, said, [], [], {}, "", said)
    return classify(heard, roles, w.quality, w.rng)[0] if roles else None


def reviewed(w: Work) -> Said:
    v = verdict(w, list(w.shape.choices))
    if w.shape.open_verdict and not v.passed:
        text = "Feedback:\n" + "\n".join(f"- {f}" for f in v.feedback)
    elif w.shape.at_end:  # the reasoning, then the verdict on its own line
        why = v.feedback or ["The answer meets what was asked"]
        again = "\n" + v.word if re.search(r"(?i)\brepeat\b", w.p.instructions) else ""
        text = "\n".join(f"- {f}" for f in why) + f"\n{v.word}{again}"
    elif w.shape.only or not v.feedback:
        text = v.word
    else:
        text = f"{v.word}\n" + "\n".join(f"- {f}" for f in v.feedback)
    return Said(text, {"response": text})


def summarized(w: Work) -> Said:
    return Said(text := summary(w), {"summary": text})


def extracting(w: Work) -> Said:
    if w.shape.every:
        return collected(w)
    return Said(json.dumps(data := extracted(w)), data, is_json=True)


def scored(w: Work) -> Said:
    if w.shape.scale:
        return rated(w)
    criteria(w)
    return Said(json.dumps(data := graded(w)), data, is_json=True)


def rated(w: Work) -> Said:
    """One score in the asked range on the first line, then why (LlamaIndex's correctness
    evaluator): an answer against its reference by the reference's terms it gives, else a
    draft against the rubric. A weaker grader is off by a quarter of the range either way."""
    low, high = w.shape.scale
    pair = compared(w.p)
    if pair is not None:
        share, why = agreement(*pair), matched(*pair)
    else:
        criteria(w)
        share = float(graded(w)["total"])
        why = " ".join(f"{f.rstrip('.')}." for f in graded(w)["feedback"]) or "It meets the rubric."
    if w.rng.random() > w.quality:
        share = min(1.0, max(0.0, share + w.rng.choice((-0.25, 0.25))))
    value = round(2 * (low + share * (high - low))) / 2
    return Said(f"{value:.1f}\n{why}", {"score": value, "reasoning": why})


def matched(candidate: str, reference: str) -> str:
    """Why a candidate scores as it does: the reference's terms it gives, and those it misses."""
    found = re.findall(r"\w[\w,.'-]*\w|\w", reference)
    terms = list(dict.fromkeys(t for t in found if t.lower() not in STOPWORDS))
    given = [t for t in terms if t.lower() in candidate.lower()]
    missed = [t for t in terms if t not in given]
    if not given:
        return f"The answer gives none of the reference answer's key terms ({', '.join(terms)})."
    but = f", but not {', '.join(missed)}" if missed else ""
    return f"The answer gives {', '.join(given)}, as the reference answer does{but}."


def planned(w: Work) -> Said:
    done = steps(w)
    return Said("\n".join(f"{i}. {s}" for i, s in enumerate(done, 1)), {"steps": done})


def answered_from_context(w: Work) -> Said:
    return Said(text := from_context(w), {"answer": text})


def replied(w: Work) -> Said:
    return Said(text := reply(w.p, w.quality, w.rng), {"reply": text})


def conversation(p: Prompt) -> tuple[str, str]:
    """In a chat between agents, the reviewer's last turn is feedback on our last draft:
    (previous draft, feedback), or empty strings."""
    if p.said and not p.sections.get("feedback") and not p.sections.get("previous draft"):
        return p.said[-1], p.user
    return "", ""


def drafted(w: Work) -> str:
    previous, feedback = conversation(w.p)
    return write(w.p, w.quality, w.rng, previous=previous, feedback=feedback)


TITLE = re.compile(r"(?i)\b(?:headline|title|subject line|tagline)\b")
WHOLE = re.compile(r"(?i)\b(?:rewrite|rephrase|paraphrase|reword|as (?:one|a single) paragraph)\b")


def transformed(w: Work) -> str:
    """Earlier output handed over, reworked as asked: a headline from its central sentence's
    first clause, the whole of it as one paragraph ("rewrite the draft"), else its central
    sentences within the asked size (a post, a summary). A weaker model drops a sentence."""
    p, text = w.p, w.p.handed
    if TITLE.search(p.instructions):
        central = sentences(summary(w))[:1] or sentences(text)[:1] or [text]
        clause = re.split(r",|;|:|\s+(?:and|but|which|because|while)\s+", central[0])[0]
        return " ".join(clause.split()[:12]).rstrip(".!?")
    if WHOLE.search(p.instructions) and word_limit(p.instructions)[0] is None:
        sents = sentences(text)
        if len(sents) > 2 and w.rng.random() > w.quality:
            del sents[w.rng.randrange(1, len(sents))]
        return " ".join(sents)
    return summary(w)


def written(w: Work) -> Said:
    if w.p.sections.get("feedback"):
        text = drafted(w)
    else:
        text = transformed(w) if w.p.handed else rewritten(w) or drafted(w)
    return Said(text, {"text": text})


def rewritten(w: Work) -> str:
    """Given text in the asked tone ("Rewrite this email to be more polite: '...'"), or ""
    when the request is no rewrite of text it gives."""
    own = REWRITE.search(w.p.request) and material(w.p)
    return rewrite(own, w.p.instructions, w.quality, w.rng) if own else ""


def asked_questions(w: Work) -> Said:
    found = questions(w.p, w.shape.count or 1, w.quality, w.rng)
    return Said("\n".join(found), {"questions": found}, items=found)


def picks(w: Work) -> list[tuple[str, float]]:
    """The numbered choices that fit the question, best first, with their fit; at least one.

    A weaker model (the quality roll fails) either lets an unrelated choice in or ranks the
    runner-up first."""
    if w.drawn.picks is None:
        ranked = relevance(asked(w.p), w.p.listed)
        kept = [r for r in ranked if r[1] > 0] or ranked[:1]
        if len(ranked) > 1 and w.rng.random() > w.quality:
            spare = [r for r in ranked if r not in kept]
            if spare and (w.rng.random() < 0.5 or len(kept) == 1):
                kept = kept + [(spare[0][0], w.rng.uniform(0.05, 0.2))]
            kept = [kept[1], kept[0], *kept[2:]] if len(kept) > 1 else kept
        w.drawn.picks = kept
    return w.drawn.picks


def selected(w: Work) -> Said:
    """The best choice's number, with the reason (the question's words it shares), and every
    pick as (number, score) for a row per pick."""
    found = picks(w)
    best = found[0][0]
    q = set(stems(asked(w.p)))
    shared = [t for t in dict.fromkeys(words(w.p.listed[best])) if hits(stems(t), q)]
    topics = [  # a choice's topic word whose usual neighbours the question has ("shipping")
        t
        for t in dict.fromkeys(words(w.p.listed[best]))
        if hits(set(stems(LEXICON.get(t.lower(), ""))), q)
    ]
    reason = (
        f"The question is about {' and '.join(shared)}, which choice {best} covers."
        if shared
        else f"The question is a matter of {' and '.join(topics)}, which choice {best} covers."
        if topics
        else f"Choice {best} is the closest to the question, though it shares no word with it."
    )
    low, high = w.shape.scale or (1, 10)
    ranked = sorted(found, key=lambda kv: -kv[1])  # rows in order of relevance
    rows = [(k, max(low, round(low + share * (high - low)))) for k, share in ranked]
    return Said(best, {"choice": best, "reason": reason}, items=rows)


def collected(w: Work) -> Said:
    """Every match of the asked kind in the material, in order ("every email address")."""
    kind = field_kind(w.shape.every) or "email"
    found = candidates(kind, w.p.payload()) or candidates(kind, w.p.user)
    return Said("\n".join(found), {w.shape.every: found}, items=found)


def with_results(w: Work) -> Said:
    return Said(text := results_text(w.p) or generic(w.p), {"response": text})


def results_text(p: Prompt) -> str:
    """The results returned so far, as a reply that uses them."""
    expr = agent.expression(p.request)
    ops = agent.operations(expr) if expr else []
    if ops and p.calls:
        value = agent.evaluate(ops, [agent.number(c.result or "") for c in p.calls])
        if value is not None:
            return f"{expr} = {value}. The answer is {value}."
    got = [f"{c.name}: {(c.result or '').strip()[:300]}" for c in p.calls if c.result]
    return "Here is what I found. " + " ".join(got) if got else ""


def answered(w: Work) -> str:
    """A generic request: arithmetic computed, a question answered from the material."""
    p = w.p
    expr = agent.expression(p.request)
    ops = agent.operations(expr) if expr else []
    if ops:
        value = agent.evaluate(ops, [])
        if value is not None:
            return str(value) if w.shape.only else f"{expr} = {value}"
    question = next((s for s in reversed(sentences(p.user)) if s.endswith("?")), None)
    if question and len(sentences(p.material)) >= 3 and p.material.strip() != p.user.strip():
        sections = dict(p.sections)  # the material is the context the question is asked of
        sections.setdefault("context", p.material)
        sections.setdefault("question", question)
        p = replace(p, sections=sections)
        found = from_context(w, p)
        if found != DONT_KNOW:
            return found
    if w.shape.task == "generic" and w.shape.stop_word is None and len(p.user) > 400:
        return summary(replace(w, p=p))
    return generic(p)


def generic_task(w: Work) -> Said:
    if w.p.sections.get("feedback"):
        text = drafted(w)
    elif w.p.handed:
        text = transformed(w)
    else:
        text = rewritten(w) or answered(w)
    return Said(text, {"response": text})


def material(p: Prompt) -> str:
    """The text a request gives to work on, apart from its instruction ("" when none)."""
    own = p.sections.get("quoted") or p.material
    return "" if own.strip() in (p.user.strip(), p.request.strip()) else own


TASKS: dict[Task, Callable[[Work], Said]] = {
    "classify": classified,
    "review": reviewed,
    "summarize": summarized,
    "extract": extracting,
    "score": scored,
    "plan": planned,
    "grounded": answered_from_context,
    "reply": replied,
    "write": written,
    "tools": with_results,
    "questions": asked_questions,
    "select": selected,
    "generic": generic_task,
}
"""The main answer of each task: the one place a task is dispatched."""


def main(w: Work) -> Said:
    """The main answer to the prompt, computed once."""
    if w.drawn.said is None:
        w.drawn.said = TASKS[w.shape.task](w)
    return w.drawn.said
