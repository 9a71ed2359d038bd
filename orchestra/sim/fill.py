"""Stage 3 of the answer: fill the decided shape with content (chapter 00).

Content comes from the prompt by the small algorithms in ``understand`` (classify, summarize,
extract, grade, answer from a context), ``generate`` (write, plan, reply) and ``tools`` (a
tool call's arguments). This is where the ``quality`` dial acts: a weaker model picks the
runner-up label, drops a required point, misses a field; the shape stays what ``shape`` decided.
``render`` writes the content out next.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

from orchestra.sim import agent
from orchestra.sim.generate import generic, plan, reply, write
from orchestra.sim.read import Prompt, Slot
from orchestra.sim.shape import CITES, COUNTS, POSITIVE, Shape, Tag, caps_set
from orchestra.sim.tools import Ask, arguments
from orchestra.sim.understand import (
    DONT_KNOW,
    classify,
    extract_field,
    field_kind,
    grounded,
    parse_criteria,
    score,
    sentences,
    summarize,
)
from orchestra.sim.words import hits, key_terms, stems, word_limit

REASONING = r"think|thought|reason|scratch|analy|explan|rationale|justif|plan_?notes"
ANSWER = r"answer|result|final|response|output|solution|conclusion|reply|completion"
VERDICT = r"verdict|evaluation|decision|grade|assessment|judg|status|approval"
LABEL = r"label|categor|class|sentiment|intent|topic|tone|priority|urgency|type"
FEEDBACK = r"feedback|critique|suggestion|improvement|issue|comment|advice|problem"
META = set(
    """write short description draft evaluate evaluation feedback output pass fail response answer
    tags tag review critic approve verdict text give provide constructive good enough""".split()
)
ITEM = r"step|subtask|task|item|idea|point|action|bullet|todo|milestone|question|reason|tip"


def sentence_limit(hint: str) -> int | None:
    """Sentences a template's hint allows: ``sentence_limit("[one sentence]") == 1``."""
    m = re.search(r"(?i)\b(\d+|one|two|three|four|five)\s+sentences?\b", hint)
    return (COUNTS.get(m.group(1).lower()) or int(m.group(1))) if m else None


@dataclass
class Content:
    """What the reply says, in the shape's terms."""

    text: str = ""
    """The answer as text (forms "text" and the main answer of the others)."""
    values: dict | None = None
    """Tag or key -> value (str, list or dict) for "xml" and "json"; tool input for "tool"."""
    items: list[str] | None = None
    """The items of a "list"."""


class Filler:
    """Computes the content for one prompt and shape, each piece once (fields agree)."""

    def __init__(self, p: Prompt, shape: Shape, quality: float, rng: random.Random):
        self.p, self.shape, self.quality, self.rng = p, shape, quality, rng
        self._main: str | None = None

    # -- the main answer ----------------------------------------------------------------------
    def main(self) -> str:
        if self._main is None:
            self._main = self._compute_main()
        return self._main

    def _compute_main(self) -> str:
        p, q, rng, task = self.p, self.quality, self.rng, self.shape.task
        if task == "classify" and self.shape.choices:
            return self.choose(self.shape.choices)
        if task == "review":
            word, feedback = self.verdict(list(self.shape.choices))
            if self.shape.open_verdict and not self.passed:
                return "Feedback:\n" + "\n".join(f"- {f}" for f in feedback)
            return (
                word
                if self.shape.only or not feedback
                else f"{word}\n" + "\n".join(f"- {f}" for f in feedback)
            )
        if task == "summarize":
            return summarize(p, q, rng)
        if task == "extract":
            return json.dumps(self.extracted())
        if task == "score":
            self.criteria()
            return json.dumps(score(p, q, rng))
        if task == "plan":
            return "\n".join(f"{i}. {s}" for i, s in enumerate(plan(p, q, rng), 1))
        if task == "grounded":
            return grounded(p, q, rng)
        if task == "reply":
            return reply(p, q, rng)
        if task == "write" or (task == "generic" and p.sections.get("feedback")):
            self.conversation_feedback()
            return write(p, q, rng)
        if task == "tools":
            return agent.results_text(p) or generic(p)
        return self.answer_question()

    def answer_question(self) -> str:
        """A generic request: arithmetic computed, a question answered from the material."""
        p = self.p
        expr = agent.expression(p.request)
        ops = agent.operations(expr) if expr else []
        if ops:
            value = agent.evaluate(ops, [])
            if value is not None:
                return str(value) if self.shape.only else f"{expr} = {value}"
        question = next((s for s in reversed(sentences(p.user)) if s.endswith("?")), None)
        if question and len(sentences(p.material)) >= 3 and p.material.strip() != p.user.strip():
            p.sections.setdefault("context", p.material)
            p.sections.setdefault("question", question)
            found = grounded(p, self.quality, self.rng)
            if found != DONT_KNOW:
                return found
        if self.shape.task == "generic" and self.shape.stop_word is None and len(p.user) > 400:
            return summarize(p, self.quality, self.rng)
        return generic(p)

    # -- choices ------------------------------------------------------------------------------
    def choose(self, choices: dict[str, str]) -> str:
        """One of the choices, by meaning (a weaker model sometimes takes the runner-up)."""
        return classify(self.p, choices, self.quality, self.rng)[0]

    passed = False

    def verdict(self, options: list[str]) -> tuple[str, list[str]]:
        """A verdict on the draft: the passing option when it meets every criterion, with feedback.

        Each earlier round (the reviewer's own earlier turns) eases the bar a little (a draft
        that nearly meets them passes), so a loop whose writer addresses the feedback ends; a
        weaker reviewer errs either way.
        """
        if "verdict" in self.p.memo:
            return self.p.memo["verdict"]
        good = next((o for o in options if POSITIVE.match(o)), options[0])
        bad = [o for o in options if o != good]
        self.criteria()
        graded = score(self.p, self.quality, self.rng)
        rounds = len(self.p.said) + len(re.findall(r"(?i)\bfeedback\b", self.p.user)) // 2
        passed = not graded["feedback"] or graded["total"] + 0.05 * rounds >= 0.9
        if self.rng.random() > self.quality + (1 - self.quality) * 0.5:
            passed = not passed  # a plausible mistake
        self.passed = passed
        feedback = [] if passed else graded["feedback"] or ["Make it more specific to the task"]
        word = good if passed else (bad[len(bad) // 2] if bad else good)
        self.p.memo["verdict"] = (word, feedback)
        return word, feedback

    def criteria(self) -> None:
        """Rubric lines for grading; without any, the task's key terms and length."""
        p = self.p
        if parse_criteria(p) != ["Clear and relevant"]:
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
        p.memo["criteria"] = lines

    def conversation_feedback(self) -> None:
        """In a chat between agents, the reviewer's last turn is feedback on our last draft."""
        p = self.p
        if p.said and not p.sections.get("feedback") and not p.sections.get("previous draft"):
            p.memo["previous"] = p.said[-1]
            p.memo["feedback"] = p.user

    # -- fields ------------------------------------------------------------------------------
    def extracted(self) -> dict:
        if "extracted" not in self.p.memo:
            text = self.p.payload("text", "input", "message", "document")
            self.p.memo["extracted"] = {
                f: extract_field(f, text, self.quality, self.rng) for f in self.shape.fields
            }
        return self.p.memo["extracted"]

    def reasoning(self) -> str:
        terms = key_terms(self.p.payload(), 3) or key_terms(self.p.request, 3)
        evidence = self.quotes()[:1]
        said = f' The relevant part reads: "{evidence[0]}"' if evidence else ""
        return (
            f"The request is about {', '.join(terms) or 'the question'}.{said} "
            "I check it against what was asked before answering."
        )

    def quotes(self) -> list[str]:
        """Sentences of the material that share most words with the request's question."""
        material = self.p.payload()
        question = set(stems(self.p.sections.get("question") or self.p.instructions))
        sents = sentences(material)
        ranked = sorted(sents, key=lambda s: -hits(question, set(stems(s))))
        return [s for s in ranked[:2] if hits(question, set(stems(s)))] or sents[:1]

    def items(self, n: int | None, name: str = "") -> list[str]:
        """List items: steps of a plan, or the material's key points, ``n`` of them if asked."""
        p = self.p
        if self.shape.task == "plan" or re.search(
            r"step|subtask|task|action|milestone", name, re.I
        ):
            steps = plan(p, self.quality, self.rng)
        elif self.shape.task == "summarize" or len(sentences(p.payload())) >= 3:
            steps = [s for s in sentences(p.payload())]
            ranked = summarize(p, 1.0, self.rng)  # central sentences first
            steps = sorted(steps, key=lambda s: s not in ranked)
        else:
            terms = key_terms(p.request + " " + p.payload(), 8) or ["the request"]
            steps = [f"Consider {t} and how it affects the result" for t in terms]
        if n:
            while len(steps) < n:
                steps.append(f"Check the remaining details ({len(steps) + 1})")
            steps = steps[:n]
        return steps

    def cited(self, name: str) -> list[str]:
        """The ids of the documents the answer drew on, most relevant first.

        A question over documents cites what ``grounded`` used; any other answer (a summary of
        them) cites the documents its sentences came from. "indices" asks for the index.
        """
        p, main = self.p, self.main()
        if "cited" not in p.memo and self.shape.task != "grounded":
            said = set(sentences(main))
            p.memo["cited"] = [d.id for d in p.docs if said & set(sentences(d.text))]
        if "cited" not in p.memo:  # the main answer was not a question over the documents
            grounded(p, self.quality, self.rng)
        ids = p.memo.get("cited", [])
        if re.search(r"(?i)ind(?:ex|ices)", name):
            by_id = {d.id: d.attrs.get("index", d.id) for d in p.docs}
            ids = [by_id.get(i, i) for i in ids]
        return ids

    def value(self, name: str, choices: list[str] | None = None, repeated: bool = False):
        """The content of one named field (an XML tag or a JSON key)."""
        low = name.lower()
        if self.p.docs and CITES.search(low) and not choices:
            return self.cited(name) if repeated else ", ".join(self.cited(name))
        if choices:
            return (
                self.verdict(choices)[0]
                if any(POSITIVE.match(c) for c in choices)
                else (self.choose({c: "" for c in choices}))
            )
        if repeated or re.fullmatch(rf"(?:{ITEM})s?", low) or re.search(rf"(?:{ITEM})s$", low):
            if re.search(r"quote|evidence|citation", low):
                return self.quotes()
            if re.search(FEEDBACK, low):
                return self.verdict(list(self.shape.choices) or ["PASS", "FAIL"])[1]
            return self.items(self.shape.count, name)
        if re.search(r"quote|evidence|citation", low):
            return "\n".join(self.quotes())
        if re.search(REASONING, low):
            return self.reasoning()
        if re.search(VERDICT, low) and self.shape.choices:
            return (
                self.main()
                if self.shape.task != "review"
                else self.verdict(list(self.shape.choices))[0]
            )
        if re.search(LABEL, low) and self.shape.choices:
            return self.choose(self.shape.choices)
        if re.search(FEEDBACK, low):
            if self.shape.verdict:
                fb = self.verdict(list(self.shape.choices))[1]
            else:
                self.criteria()
                fb = score(self.p, self.quality, self.rng)["feedback"]
            return " ".join(f"{f.rstrip('.')}." for f in fb) or "No further changes needed."
        if re.search(r"summary|tl_?dr|gist", low):
            return summarize(self.p, self.quality, self.rng)
        if re.search(r"^(?:score|rating|total)$", low):
            self.criteria()
            return score(self.p, self.quality, self.rng)["total"]
        if re.search(ANSWER, low):
            return self.main()
        if re.search(r"title|headline|subject|keywords?", low):
            return " ".join(t.capitalize() for t in key_terms(self.p.payload(), 4))
        if field_kind(name) and self.shape.task in ("extract", "generic"):
            found = extract_field(name, self.p.payload(), self.quality, self.rng)
            if found is not None:
                return found
        return self.main()

    def example(self, template):
        """Fill a JSON example's keys, keeping its nesting and value types."""
        if isinstance(template, dict):
            return {k: self.typed(k, v) for k, v in template.items()}
        return template

    def typed(self, key: str, sample):
        if isinstance(sample, dict):
            return self.example(sample)
        if isinstance(sample, list):
            got = self.value(key, repeated=True)
            got = got if isinstance(got, list) else [got]
            if sample and isinstance(sample[0], dict):
                return [self.example(sample[0])]
            return got
        choices = (
            [c for c in re.split(r"\s*\|\s*|\s+or\s+|\s*/\s*", str(sample)) if c]
            if isinstance(sample, str)
            else []
        )
        got = self.value(
            key,
            choices if len(choices) >= 2 and all(len(c.split()) <= 2 for c in choices) else None,
        )
        if isinstance(sample, bool):
            return bool(got) and str(got).lower() not in ("false", "no", "fail")
        if isinstance(sample, (int, float)):
            m = re.search(r"-?\d+(?:\.\d+)?", str(got))
            if isinstance(got, (int, float)):
                return got
            return (int if isinstance(sample, int) else float)(float(m.group())) if m else sample
        return (
            got
            if isinstance(got, str)
            else json.dumps(got)
            if isinstance(got, (dict, list))
            else str(got)
        )

    def slot_value(self, slot: Slot):
        """One template slot: a choice, a list, an extracted field, or the material's best line."""
        choices = caps_set(slot.hint)
        listed = slot.items or re.search(r"(?i)\blist\b|\bbullets?\b", slot.hint)
        if self.p.docs and CITES.search(slot.name):  # "Sources: [ids of the passages used]"
            return self.value(slot.name, repeated=bool(listed))
        if choices:
            return self.value(slot.name, choices)
        if listed and self.shape.verdict:  # "## Reasons" under a verdict: why it passed or not
            feedback = self.verdict(list(self.shape.choices))[1]
            self.criteria()
            met = [f"Meets: {c}" for c in parse_criteria(self.p)]
            return (feedback or met)[: slot.items or None]
        if listed:
            got = self.value(slot.name, repeated=True)
            return (got if isinstance(got, list) else [got])[: slot.items or None]
        kind = next((n for n in (slot.name, slot.hint.strip("[]<>{}() ")) if field_kind(n)), "")
        if kind:
            found = extract_field(kind, self.p.payload(), self.quality, self.rng)
            return "Not stated" if found is None else found
        known = rf"{REASONING}|{ANSWER}|summary|tl_?dr|gist|title|headline|score|rating"
        if re.search(known, slot.name, re.I) or self.shape.verdict:
            got = self.value(slot.name)
            most = sentence_limit(slot.hint)
            return " ".join(sentences(got)[:most]) if most and isinstance(got, str) else got
        return self.relevant(f"{slot.name} {slot.hint}")

    def relevant(self, about: str) -> str:
        """The material's sentence that shares most words with ``about``, else its central one."""
        sents = sentences(self.p.payload())
        need = set(stems(about))
        best = max(sents, key=lambda s: hits(need, set(stems(s))), default="")
        if best and hits(need, set(stems(best))):
            return best
        return (summarize(self.p, self.quality, self.rng) or best).split("\n")[0]

    def tag_values(self, tags: list[Tag]) -> dict:
        return {
            t.name: self.tag_values(t.children)
            if t.children
            else self.value(t.name, t.choices, t.repeated)
            for t in tags
        }


def fill(p: Prompt, shape: Shape, quality: float, rng: random.Random) -> Content:
    """The content for ``shape``: tool arguments, field values, list items or text."""
    f = Filler(p, shape, quality, rng)
    if shape.form == "tool":
        ask = Ask(p, quality, rng, shape.choices, f.main, shape.call)
        return Content(values=arguments(ask, shape.schema or {}))
    if shape.form == "xml":
        return Content(values=f.tag_values(shape.tags))
    if shape.form == "template":
        return Content(values={s.name: f.slot_value(s) for s in shape.slots})
    if shape.form == "json":
        if shape.example:
            return Content(values=f.example(shape.example))
        task = shape.task
        if task == "extract":
            return Content(values=f.extracted())
        if task == "score":
            f.criteria()
            return Content(values=score(p, quality, rng))
        if task == "classify" and shape.choices:
            label, confidence = classify(p, shape.choices, quality, rng)
            return Content(values={"label": label, "confidence": confidence})
        if task == "plan":
            return Content(values={"steps": plan(p, quality, rng)})
        key = {"summarize": "summary", "grounded": "answer", "write": "text", "reply": "reply"}
        return Content(values={key.get(task, "response"): f.main()})
    if shape.form == "list":
        return Content(items=f.items(shape.count))
    return Content(text=f.main())
