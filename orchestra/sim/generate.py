"""The brain's writing tasks: product copy, step plans, support replies, questions and a
generic reply (chapter 00). Text is composed from the prompt's own words; ``quality`` decides
how much of what was asked for makes it in."""

from __future__ import annotations

import random
import re

from orchestra.sim.read import Prompt
from orchestra.sim.understand import LEXICON, classify
from orchestra.sim.words import (
    STOPWORDS,
    bullets,
    hits,
    key_terms,
    must_mention,
    sentences,
    split_list,
    stems,
    word_limit,
)

# ---------------------------------------------------------------- write

OPENINGS = ["Meet {s}.", "Introducing {s}.", "Say hello to {s}."]
POINT_LINES = ["It comes with {p}.", "You also get {p}.", "It offers {p}.", "Expect {p}."]
FILLERS = [
    "It has been designed with care, tested thoroughly and refined over many rounds so that "
    "it fits into your daily routine without any fuss at all.",
    "Every detail was considered, from the first sketch to the final finish, because small "
    "things add up when you use something every single day.",
    "Whether at home, at work or on the move, it is ready whenever you are and keeps going "
    "long after you expected it to stop.",
]


def point_of(advice: str) -> str:
    """What a feedback line asks for: ``point_of("Mention the price") == "the price"``."""
    return re.sub(
        r"^(?:please\s+)?(?:mention|include|add|cover|state|name|address:?)\s+",
        "",
        advice.strip().rstrip("."),
        flags=re.I,
    )


def write(
    p: Prompt, quality: float, rng: random.Random, previous: str = "", feedback: str = ""
) -> str:
    """A draft built from the brief: each required point is a sentence, if the dice allow.

    ``previous`` and ``feedback`` are the last draft and what a reviewer said of it, when the
    prompt gives them outside its "Previous draft:" and "Feedback:" sections (a chat).

    A first draft includes each point with probability 0.7 * quality; a point the feedback asks
    for gets in with probability quality + (1 - quality) / 2; points already in the previous
    draft stay. The word limit is respected when a quality roll succeeds.
    """
    brief = p.instructions
    m = re.search(
        r"\b(?:write|draft|compose|rewrite|revise)\s+(?:(?:a|an|the|short|new)\s+)*"
        r"(.{0,40}?)\s+(?:for|about|of|on)\s+([^.\n]+)",
        brief,
        re.I,
    )
    subject = m.group(2) if m else " ".join(key_terms(p.user, 2)) or "this"
    if re.search(r"(?i)\b(?:user|they|whatever|the following|below|given|request|this)\b", subject):
        # "for what the user asks": the subject is in the user's message
        asked = re.search(r"(?i)\b(?:for|about|of|on)\s+([^.\n]+)", p.material)
        subject = asked.group(1) if asked else p.material.strip().split("\n")[0]
        subject = re.sub(r"(?i)^(?:an?|the)\s+", "", " ".join(subject.split()[:8]).rstrip(".!?"))
    subject = re.split(r",|\s+(?:in|under|within|using|that|which|and)\s", subject)[0].strip()
    points = must_mention(brief)
    points += bullets(p.sections.get("requirements", ""))
    previous = p.sections.get("previous draft", "") or previous
    said = p.sections.get("feedback", "") or feedback
    advice = bullets(said) or [a for s in re.split(r"(?<=[.!?])\s+", said) for a in split_list(s)]
    advice = [a for a in advice if not re.search(r"(?i)^no (?:further |more )?changes", a)]
    asked = [point_of(a) for a in advice if not re.search(r"\bwords?\b|\btone\b|shorter", a, re.I)]
    points += [a for a in asked if not any(hits(stems(a), set(stems(q))) for q in points)]
    prev_bag = set(stems(previous))
    include = []
    for point in points:
        need = stems(point)
        if previous and need and hits(need, prev_bag) == len(set(need)):
            include.append(point)
        elif any(hits(stems(a), set(need)) for a in asked):  # the grader asked for it
            if rng.random() < quality + (1 - quality) / 2:
                include.append(point)
        elif rng.random() < 0.7 * quality:
            include.append(point)
    lines = [rng.choice(OPENINGS).format(s=subject)]
    lines += [
        rng.choice(POINT_LINES).format(p=re.sub(r"^(?:the|a|an)\s+", "", pt, flags=re.I))
        for pt in include
    ]
    if re.search(r"friendly|warm", brief + " ".join(advice), re.I):
        lines.append("You'll love it!")
    most, _ = word_limit(brief + "\n" + "\n".join(advice))
    if most is None:
        return " ".join(lines + FILLERS[: rng.randrange(2)])
    if rng.random() < (quality + (1 - quality) / 2 if previous else quality):
        words_ = " ".join(lines).split()  # the limit holds: cut what does not fit
        return (
            " ".join(lines) if len(words_) <= most else " ".join(words_[:most]).rstrip(",;:") + "."
        )
    for filler in FILLERS:  # the limit was forgotten: the draft rambles past it
        if len(" ".join(lines).split()) > most:
            break
        lines.insert(1, filler)
    return " ".join(lines)


# ---------------------------------------------------------------- plan


def plan(p: Prompt, quality: float, rng: random.Random) -> list[str]:
    """Steps for a goal: one imperative step per sub-goal, then a review step."""
    goal = p.sections.get("task") or p.sections.get("goal") or p.sections.get("objective")
    named = re.search(r"(?i)\b(?:goal|task|project)\s+['\"“‘]([^'\"”’]+)", p.instructions)
    goal = goal or (named.group(1) if named else None)
    split = re.search(  # "Break the launch of X into 3 tasks": the goal is what is broken up
        r"(?i)\bbreak\s+(?:down\s+)?(.+?)\s+into\s+(?:exactly\s+)?(?:\w+\s+)?(?:steps|tasks|"
        r"subtasks|parts)\b",
        p.instructions,
    )
    goal = goal or (split.group(1) if split else None)
    if not goal:
        m = re.search(
            r"(?:steps?\s+(?:to|for|needed to)|plan\s+(?:how\s+)?(?:to|for)|into\s+(?:\w+\s+)?"
            r"steps\s*:?|plan\s*:)\s*(.+)",
            p.instructions,
            re.I | re.S,
        )
        goal = m.group(1) if m else p.payload()
    goal = re.split(r"(?<=[.!?])\s+|\n\s*\n", goal.strip())[0]  # the goal is one sentence
    goal = re.sub(r"\s+", " ", goal).strip().rstrip(".")
    goal = goal.split(":", 1)[-1]  # "launch a newsletter: pick a platform, ..." -> the sub-goals
    parts = re.split(
        r",\s*(?:and\s+|then\s+)?|;\s*|\s+and then\s+|\s+then\s+|\s+and\s+(?=\w+\s+\w)", goal
    )
    parts = [
        re.sub(
            r"^(?:(?:i|we) (?:need|want|have) to|to|first|finally|also|next)\s+",
            "",
            s.strip(),
            flags=re.I,
        ).rstrip(".")
        for s in parts
        if s.strip()
    ]
    steps = [s[0].upper() + s[1:] for s in parts if s]
    if len(steps) == 1:  # one goal: scope it, prepare, do it
        aim = re.sub(
            r"(?i)^(?:break\s+(?:down\s+)?(?:the\s+task\s+of\s+)?|the task of\s+)", "", parts[0]
        )
        aim = re.sub(r"(?i)\s+into\s+(?:\w+\s+)?(?:steps|subtasks|tasks)\b.*$", "", aim)
        aim = aim[0].lower() + aim[1:] if aim else "the goal"
        steps = [
            f"Define the goal and scope of {aim}",
            f"Gather the resources and information needed for {aim}",
            f"Carry out {aim} step by step",
        ]
    steps.append("Review the result and verify that each step is done")
    if len(steps) > 2 and rng.random() > quality:
        i = rng.randrange(len(steps) - 2)
        if rng.random() < 0.5:
            steps[i], steps[i + 1] = steps[i + 1], steps[i]
        else:
            del steps[i]
    return steps


# ---------------------------------------------------------------- reply

# What a support agent says they will do, by the topic the message is about (found with the
# same classifier as ``classify``, over the LEXICON's topics).
NEXT_STEP = {
    "billing": "I have asked our billing team to review the charge; any duplicate payment is refunded within 5 business days.",
    "technical": "Our engineers are looking into the error; in the meantime, signing out and back in often clears it.",
    "shipping": "I have asked the courier for the parcel's status and will send you an update within 24 hours.",
    "account": "I have sent a secure link to your email address so you can update your account details.",
    "other": "I have passed your message to the right team, and we will get back to you within one business day.",
}
TOPIC_PHRASE = {
    "billing": "your payment",
    "technical": "the app",
    "shipping": "your delivery",
    "account": "your account",
}
UPSET = set(
    stems(
        "sorry broken charged twice wrong late missing never failed crash crashes refund "
        "angry disappointed damaged error cannot can't lost"
    )
)


def reply(p: Prompt, quality: float, rng: random.Random) -> str:
    """A support reply: acknowledge the message, apologise if it is a complaint, say what happens next.

    A weaker model (the quality roll fails) forgets the concrete next step.
    """
    text = p.payload("ticket", "message", "text", "input", "email", "customer") or p.user
    topic, _ = classify(
        Prompt(p.system, text, text, [], [], {}, "", text),
        {k: LEXICON.get(k, "") for k in NEXT_STEP},
        1.0,
        rng,
    )
    terms = key_terms(text, 1)
    about = TOPIC_PHRASE.get(topic) or (f"the {terms[0]}" if terms else "your message")
    opening = (
        f"I'm sorry about the trouble with {about}."
        if UPSET & set(stems(text))
        else f"thank you for reaching out about {about}."
    )
    action = NEXT_STEP[topic] if rng.random() < quality else "We will look into it."
    return f"Hello, {opening} {action} Best regards, the support team"


# ---------------------------------------------------------------- questions

TOKEN = re.compile(r"[A-Za-z0-9][\w'-]*")
WH_AUX = re.compile(
    r"(?i)^\s*(how(?:\s+(?:long|many|much|often|far|well))?|what|when|where|why|which|who)\s+"
    r"(do|does|did|is|are|was|were|can|could|will|would|should|has|have|had)\s+(.+?)[\s?]*$"
)
OTHER_WH = {"how": "In what ways", "why": "For what reasons", "when": "At what point",
            "where": "In which places", "how long": "For how long"}  # fmt: skip
PRONOUN = re.compile(r"(?i)\b(?:it|them|they|this|that|these|those)\b(?!')")


def runs(text: str) -> list[str]:
    """Runs of content words between stopwords: the phrases a text is about.

    >>> runs("How do heat pumps cope with cold winters?")
    ['heat pumps cope', 'cold winters']
    """
    out, run = [], []
    for t in [*TOKEN.findall(text), "the"]:
        if t.lower() in STOPWORDS or len(t) < 2:
            out += [" ".join(run)] if run else []
            run = []
        else:
            run.append(t)
    return out


def topic(question: str) -> tuple[str, list[str]]:
    """What a question is about: its subject (the first phrase after "how do", less the verb
    that ends it) and the phrases after it: ``("heat pumps", ["cold winters"])``."""
    m = WH_AUX.match(question)
    phrases = runs(m.group(3) if m else question)
    if not phrases:
        return "it", []
    first = phrases[0].split()
    subject = " ".join(first[:-1]) if m and len(first) > 1 else phrases[0]
    return subject, phrases[1:]


def rephrasings(question: str, n: int, quality: float, rng: random.Random) -> list[str]:
    """``n`` versions of a question for a retriever, each from another angle on its words.

    A weaker model (the quality roll fails) repeats the question itself as its last version,
    a version that retrieves nothing new.
    """
    q = question.strip().rstrip("?").strip()
    subject, rest = topic(q)
    about = " and ".join([subject, *rest])
    m = WH_AUX.match(q)
    other = OTHER_WH.get(m.group(1).lower()) if m else None
    found = [
        f"{other} {m.group(2).lower()} {m.group(3)}?" if other else "",
        f"What is known about {about}?",
        f"What are the limits of {subject} when it comes to {rest[0]}?"
        if rest
        else f"What are the main facts about {subject}?",
        f"Which sources discuss {about}?",
        f"What do experts say about {about}?",
        f"What problems are reported with {about}?",
    ]
    found = [f for f in dict.fromkeys(found) if f][:n]
    if found and rng.random() > quality:
        found[-1] = f"{q}?"
    return found + [f"{q} (version {i + 1})?" for i in range(len(found), n)]


def standalone(follow_up: str, history: str, quality: float, rng: random.Random) -> str:
    """A follow-up question that stands alone: its first pronoun becomes what the chat is
    about (the longest phrase of the user's turns). A weaker model leaves the pronoun."""
    said = re.findall(r"(?im)^[ \t]*(?:human|user)[ \t]*:[ \t]*(.+)$", history) or [history]
    phrases = [r for line in said for r in runs(line)]
    about = max(phrases, key=lambda r: len(r.split()), default="")
    article = (
        re.search(rf"(?i)\b(the|a|an)\s+{re.escape(about)}", " ".join(said)) if about else None
    )
    about = f"the {about}" if article else about  # "the Bergen railway", named once already
    asked = " ".join(re.split(r"(?<=\?)|\n", follow_up.strip())[0].split()).rstrip("?") + "?"
    if not about or rng.random() > quality:
        return asked
    return PRONOUN.sub(about, asked, count=1)


def quiz_question(sentence: str) -> str:
    """A question whose answer a sentence gives, its fact asked for in place: "in 2027" becomes
    "in which year", "12 minutes" "how many minutes"; without a fact, what it says about its
    subject."""
    s = re.sub(r"^[A-Z][\w ]{0,25}:\s+", "", sentence.strip()).rstrip(".!?")
    year = re.search(r"\b(in|by|from|since|until)\s+(?:19|20)\d\d\b", s)
    counts = list(re.finditer(r"\b\d[\d,.]*\s+([a-z]+)\b", s))
    if year:
        at, asked = year, f"{year.group(1)} which year"
    elif counts:
        at = counts[-1]
        unit = at.group(1)
        asked = "what percentage" if unit == "percent" else f"how many {unit}"
    else:
        subject = (runs(s) or ["it"])[0]
        return f"What does the text say about {subject[0].lower() + subject[1:]}?"
    tail = s[at.end() :].split(",")[0]
    return f"{s[: at.start()]}{asked}{tail}?"


def quiz(text: str, n: int, quality: float, rng: random.Random) -> list[str]:
    """``n`` quiz questions on a text, spread across it: sentences with a fact (a number, a
    year) first, picked at even steps. A weaker model picks neighbours, so two questions may
    ask about the same part."""
    sents = sentences(text)
    facts = [s for s in sents if re.search(r"\d", s)]
    pool = facts if len(facts) >= n else sents
    at = [round(i * (len(pool) - 1) / max(n - 1, 1)) for i in range(n)] if pool else []
    if len(at) > 1 and rng.random() > quality:
        at[-1] = max(at[-2], at[-1] - 1)
    found = list(dict.fromkeys(quiz_question(pool[i]) for i in at))
    terms = key_terms(text, n) or ["the text"]
    found += [f"What does the text say about {t}?" for t in terms]
    return list(dict.fromkeys(found))[:n]


def questions(p: Prompt, n: int, quality: float, rng: random.Random) -> list[str]:
    """Questions the prompt asks to write: a follow-up made standalone (condense), versions
    of a question (multi-query), else quiz questions on the material."""
    follow_up = p.sections.get("follow up input") or p.sections.get("follow up question")
    if follow_up:
        return [standalone(follow_up, p.sections.get("chat history", ""), quality, rng)]
    asked = p.sections.get("question") or p.sections.get("query") or ""
    if asked.rstrip().endswith("?"):
        return rephrasings(asked, n, quality, rng)
    return quiz(p.payload("context", "text", "document", "passage"), n, quality, rng)


# ---------------------------------------------------------------- rewrite

REWRITE = re.compile(r"(?i)\b(?:rewrite|rephrase|reword|paraphrase|polish|edit|soften)\b")
ORDERS = (
    "send give call fix do tell write reply pay return stop come make check update finish "
    "submit bring answer email book cancel change sort clean move read sign"
).split()
CONTRACTIONS = {
    "don't": "do not", "doesn't": "does not", "can't": "cannot", "won't": "will not",
    "isn't": "is not", "aren't": "are not", "i'm": "I am", "you're": "you are",
    "it's": "it is", "we're": "we are", "they're": "they are", "didn't": "did not",
}  # fmt: skip


def rewrite(text: str, instructions: str, quality: float, rng: random.Random) -> str:
    """``text`` in the asked tone, sentence by sentence: polite (an order becomes a request,
    the pressure words go, a thank-you closes), formal (no contractions, no exclamations), or
    as it was. A weaker model leaves a sentence as it was."""
    polite = re.search(
        r"(?i)polite|friendl|kind|soft|courteous|professional|diplomat", instructions
    )
    formal = re.search(r"(?i)formal|professional", instructions)
    out = []
    for s in sentences(text):
        if len(out) and rng.random() > quality:
            out.append(s)
            continue
        if polite:
            s = re.sub(r"(?i),?\s*\b(?:right now|now|immediately|asap|again|at once)\b", "", s)
            first = s.split()[0].lower() if s.split() else ""
            if first in ORDERS:
                s = f"Could you please {s[0].lower()}{s[1:].rstrip('.!')}?"
            elif re.match(r"(?i)you(?:'re| are| have)\b", s):
                s = f"I noticed that {s[0].lower()}{s[1:]}"
        if formal:
            for short, long in CONTRACTIONS.items():
                s = re.sub(rf"(?i)\b{re.escape(short)}", long, s)
            s = s.replace("!", ".")
        out.append(re.sub(r"\s+([.?!,])", r"\1", s).strip())
    if polite and not re.search(r"(?i)\bthank", text):
        out.append("Thank you.")
    return " ".join(out)


# ---------------------------------------------------------------- generic


def generic(p: Prompt) -> str:
    """A short reply about the prompt's key terms; reads earlier turns when asked to.

    Deterministic on purpose: the same chat prompt opens the same way at any temperature.
    """
    if p.tool_results:
        return f"Here is what I found: {' '.join(p.tool_results).strip()[:400]}"
    if (
        re.search(
            r"what did i (?:say|tell|ask)|repeat|earlier|what was my|what is my|what's my|remind me",
            p.user,
            re.I,
        )
        and p.history
    ):
        said = " ".join(p.history)
        if (name := re.search(r"my name is ([A-Z][a-z]+)", said)) and "name" in p.user.lower():
            return f"Your name is {name.group(1)}."
        return f'Earlier you said: "{p.history[-1].strip()}"'
    terms = key_terms(p.user) or key_terms(p.system) or ["your request"]
    about = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " and " + terms[-1]
    middle = (
        f"In short, {terms[0]} is easiest to understand through how it relates to {terms[1]}."
        if len(terms) > 1
        else f"In short, {terms[0]} is worth a closer look, one step at a time."
    )
    return f"Here is a short answer on {about}. {middle} Let me know if you want more detail."
