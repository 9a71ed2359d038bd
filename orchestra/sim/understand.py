"""The brain's reading tasks: classify, summarize, extract, grade against a rubric, answer
from a context (chapter 00). Each is a small real algorithm; ``quality`` turns some answers
into plausible mistakes, drawn from the ``rng`` passed in."""

from __future__ import annotations

import random
import re
from collections import Counter

from orchestra.sim.read import Prompt
from orchestra.sim.words import (
    STOPWORDS,
    bullets,
    hits,
    must_mention,
    sentences,
    split_list,
    stem,
    stems,
    word_limit,
    words,
)

# ---------------------------------------------------------------- classify

# Words that describe common label names, so a bare list ("billing, technical") or an enum
# ("high", "negative") can be matched at all. Descriptions in the prompt add to these.
LEXICON = {
    # topics
    "billing": "invoice charge charged refund payment price card subscription bill paid money",
    "technical": "error bug crash broken slow login fail app website load",
    "account": "password profile username email sign login delete",
    "shipping": "delivery package parcel tracking arrive courier shipped order",
    "sports": "game match team player score season league coach win goal",
    "politics": "election government vote minister parliament senate policy law president",
    "business": "company market revenue profit shares investor ceo merger sales",
    "technology": "software computer app phone ai chip internet device startup",
    "science": "research study scientist discovery experiment space physics biology",
    "health": "doctor hospital disease symptom medicine patient vaccine pain",
    "entertainment": "movie film music actor album show concert celebrity",
    "finance": "stock bank interest loan invest inflation rate",
    "travel": "flight hotel trip vacation airport booking passport",
    "food": "recipe restaurant meal cook dish taste dinner",
    "coding": "code python javascript java function list array bug program script compile api",
    "math": "equation solve calculate sum integral algebra derivative percent fraction number",
    "history": "war century king queen empire ancient revolution dynasty medieval treaty",
    # sentiment and tone
    "positive": "love great thanks excellent happy good amazing wonderful best fantastic perfect "
    "clean friendly helpful comfortable",
    "negative": "bad terrible angry broken hate disappointed worst awful poor refund never "
    "rude cold dirty noisy",
    "neutral": "okay fine average arrived received",
    "mixed": "but however although",
    # urgency and priority
    "high": "urgent asap immediately critical outage down blocked emergency now broken",
    "urgent": "asap immediately critical outage down blocked emergency now",
    "critical": "outage down emergency production blocked all",
    "medium": "soon annoying",
    "low": "whenever minor curious someday question suggestion idea",
    # intents
    "complaint": "disappointed terrible angry broken unacceptable worst refund",
    "question": "how what why when where can ? wonder",
    "request": "please could would like need want",
    "praise": "love great thanks excellent amazing",
    "bug": "error crash broken fail wrong bug",
    "feature": "add wish would feature suggestion support idea",
    "spam": "winner prize free click offer lottery crypto",
    "ham": "meeting tomorrow lunch thanks report",
    "toxic": "idiot stupid hate shut",
    "yes": "yes true correct indeed",
    "no": "no not false never",
}
FALLBACK_LABELS = ("other", "unknown", "general", "none", "misc", "neutral", "medium")


def classify(
    p: Prompt, labels: dict[str, str], quality: float, rng: random.Random
) -> tuple[str, float]:
    """The label whose name and description best overlap the text, and a confidence.

    With probability 1 - quality the runner-up wins instead: a plausible mistake.
    """
    text = stems(p.payload("ticket", "text", "input", "message", "review"))
    bag = set(text)
    scores = []
    for label, desc in labels.items():
        label_stems = set(
            stems(f"{label} {desc} {LEXICON.get(label.lower(), '')}".replace("_", " "))
        )
        scores.append((hits(label_stems, bag) / (1 + 0.1 * len(label_stems)), label))
    ranked = sorted(scores, key=lambda s: -s[0])  # stable: ties keep the prompt's order
    if ranked[0][0] == 0:  # nothing matches: a catch-all label if there is one
        fallback = next((x for x in labels if x.lower() in FALLBACK_LABELS), ranked[0][1])
        ranked = [(0.0, fallback)] + [r for r in ranked if r[1] != fallback]
    best, second = ranked[0], ranked[min(1, len(ranked) - 1)]
    confidence = 0.5 + 0.5 * (best[0] - second[0]) / best[0] if best[0] else 0.4
    if rng.random() > quality:
        best, confidence = second, confidence * rng.uniform(0.5, 0.8)
    return best[1], round(min(max(confidence, 0.05), 0.99), 2)


# ---------------------------------------------------------------- summarize


def summarize(p: Prompt, quality: float, rng: random.Random) -> str:
    """The top sentences by word frequency, in their original order, within the asked size."""
    text = p.payload("text", "article", "document", "input", "message", "passage")
    sents = sentences(text)
    freq = Counter(stems(text))
    top = max(freq.values(), default=1)

    def centrality(s: str) -> float:
        content = stems(s)
        return sum(freq[w] / top for w in content) / (len(content) + 1) ** 0.5

    ranked = sorted(range(len(sents)), key=lambda i: -centrality(sents[i]))
    n = re.search(r"\b(\d+|one|two|three|four|five|a single)\s+sentences?\b", p.instructions, re.I)
    k = 1 if re.search(r"tl;?dr|one-line|a sentence", p.instructions, re.I) else 2
    if n:
        k = {"one": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "five": 5}.get(
            n.group(1).lower()
        ) or int(n.group(1))
    chosen = ranked[:k]
    if chosen and len(ranked) > k and rng.random() > quality:
        chosen[0] = ranked[rng.randrange(k, len(ranked))]  # a less central sentence slips in
    most, _ = word_limit(p.instructions)
    picked, used = [], 0
    for i in chosen:
        n_words = len(sents[i].split())
        if most is None or used + n_words <= most or not picked:
            picked.append(i)
            used += n_words
    out = " ".join(sents[i] for i in sorted(picked))
    if most is not None and len(out.split()) > most:
        out = " ".join(out.split()[:most]).rstrip(",;:") + "."
    return out


# ---------------------------------------------------------------- extract

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
NAME = r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
STREET = (
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Way|Drive|Dr|Close|Court|Ct|Place|Pl|Square|Sq|"
    r"Boulevard|Blvd|Terrace|Row|Crescent|Gardens|Parade|Walk|Hill|Highway|Hwy)"
)
# Each kind: patterns tried in order; group 1, when a pattern has one, is the value.
PATTERNS = {
    "email": [r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"],
    "phone": [r"(?<![\w-])\+?\(?\d[\d ().-]{6,}\d(?![\w-])"],
    "date": [
        rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\s+\d{{4}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{4}}\b"
    ],
    "money": [
        r"[$€£]\s?\d[\d,]*(?:\.\d+)?|\b(?:USD|EUR|GBP)\s?\d[\d,]*(?:\.\d+)?|"
        r"\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|dollars|euros)\b"
    ],
    "percent": [r"\b\d+(?:\.\d+)?\s?%"],
    # an order, invoice or ticket number as the customer writes it: "A-1042", "INV-2024-07",
    # "#55810", a long bare number last
    "identifier": [
        r"(?<![\w-])[A-Z]{1,5}-?\d[\d-]*\d(?![\w-])|(?<![\w-])[A-Z]{1,5}\d{3,}(?![\w-])",
        r"#\s?\d{3,}\b",
        r"\b\d{5,}\b",
    ],
    # a street address: number, street name and kind, then a town and a postcode if given
    "address": [
        rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\s+){{1,3}}{STREET}\b\.?"
        r"(?:,?\s+[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*(?![ ]?[a-z]))?"
        r"(?:,?\s+(?:[A-Z]{1,2}\d[\dA-Z]?\s?\d[A-Z]{2}|\d{5}(?:-\d{4})?))?"
    ],
    "number": [r"\b\d+(?:[.,]\d+)*\b"],
    "company": [
        r"\b[A-Z][\w&]*(?:\s+[A-Z][\w&]*)*\s+(?:Inc|Ltd|LLC|Corp|GmbH|Co|Group|Labs|Systems)\b\.?",
        r"\b(?:at|of|for|from|with)\s+([A-Z][\w&]+(?:\s+[A-Z][\w&]+)*)",
    ],
    "person": [
        rf"(?i:my name is|\bi am|\bi'm|this is|regards,|thanks,|cheers,|best,|sincerely,)\s+({NAME})",
        rf"\b({NAME}) here\b",
        r"\b[A-Z][a-z]+\s+[A-Z][a-z]+\b",
        r"\b([A-Z][a-z]{2,})\s+(?:will|is|has|was|said|raised|owns|agreed|leads|asked|wrote)\b",
    ],
    "place": [r"\b(?:in|to|from|near)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)"],
    "product": [
        r"\b(?:ordered|bought|purchased|using|the|my|our)\s+([A-Z][\w-]*(?:\s+[A-Z0-9][\w-]*)*)"
    ],
}
KINDS = [
    ("email", "email"),
    ("phone", "phone tel mobile cell"),
    ("address", "address street addr postal"),
    ("date", "date deadline due day birthday when"),
    ("money", "amount price cost total fee budget salary payment refund charge"),
    ("percent", "percent rate discount pct"),
    ("company", "company organization organisation org employer vendor brand business firm"),
    ("person", "name person people persons customer contact sender author manager who"),
    ("product", "product item device model"),
    ("place", "city location place country where"),
    ("number", "count quantity qty number age year size seats"),
]
NOT_NAMES = {"dear", "hi", "hello", "thanks", "regards", "best", "the", "team", "support"}
NOT_NAMES |= {"we", "they", "it", "this", "that", "there", "she", "he", "everyone", "nobody"}


ID_WORDS = {"id", "ids", "identifier", "ref", "reference", "sku", "serial", "code"}
ID_THINGS = {"order", "invoice", "ticket", "account", "booking", "confirmation", "tracking"}
ID_THINGS |= {"case", "shipment", "parcel", "reservation", "transaction", "policy", "reference"}


def field_kind(name: str) -> str | None:
    """Which extractor a field name calls for: ``field_kind("customer_email") == "email"``,
    ``field_kind("order_number") == "identifier"`` (a number that names a thing, as written)."""
    words = set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower()))
    parts = {stem(w) for w in words}
    kind = next((kind for kind, cues in KINDS if parts & {stem(c) for c in cues.split()}), None)
    if words & {"count", "quantity", "qty"} or {"number", "of"} <= words:  # number_of_items
        return "number"
    named = words & ID_WORDS or (words & {"number", "no", "num", "nr"} and words & ID_THINGS)
    if kind in (None, "number", "person", "company", "product") and (
        named or words == {"tracking"}
    ):
        return "identifier"
    return kind


def to_iso(date: str) -> str:
    """A written date as ISO: ``to_iso("March 3, 2025") == "2025-03-03"``; ISO stays as is."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return date
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", date):
        return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"  # US order
    month = next(i + 1 for i, mo in enumerate(MONTHS) if mo in date.lower())
    day = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)", date).group(1)
    year = re.search(r"\d{4}", date).group()
    return f"{year}-{month:02d}-{int(day):02d}"


def candidates(kind: str, text: str) -> list[str]:
    """Every match of one kind, best patterns first: ``candidates("email", "a@b.io or c@d.io")``.

    Greetings and months are not names, and a company is not a person.
    """
    found = [
        (m.group(1) if m.re.groups else m.group()).strip()
        for pattern in PATTERNS[kind]
        for m in re.finditer(pattern, text)
    ]
    if kind == "phone":
        found = [
            f
            for f in found
            if 7 <= sum(c.isdigit() for c in f) <= 15 and not re.search(PATTERNS["date"][0], f)
        ]
    if kind == "date":
        found = [to_iso(f) for f in found]
    if kind == "identifier":  # "55810" again inside "#55810"
        found = [f for i, f in enumerate(found) if not any(f in g for g in found[:i])]
    if kind in ("person", "company", "product", "place"):
        taken = set(re.findall(PATTERNS["company"][0], text)) if kind == "person" else set()
        taken |= {m.group() for m in re.finditer(PATTERNS["address"][0], text)}  # "Mill Lane"
        found = [
            f
            for f in found
            if f.split()[0].lower() not in NOT_NAMES
            and not re.match(rf"{MONTH}(?![a-z])", f)
            and not any(f in t for t in taken)
        ]
    return list(dict.fromkeys(found))


MONEY_VALUE = r"[$€£]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP)\b"
LINE_ITEM = (
    re.compile(  # "3 x Widget at $4.50", "2 × Gadget @ €12", "4 units of Bolt for $1.20 each"
        rf"(?P<qty>\d+)\s*(?:x|×|pcs?\.?|units? of|items? of)\s+(?P<name>[A-Za-z][\w'-]*"
        rf"(?:\s+[A-Za-z][\w'-]*){{0,4}}?)\s+(?:at|@|for)\s+(?P<price>{MONEY_VALUE})"
        rf"|(?P<name2>[A-Z][\w'-]*(?:\s+[A-Za-z][\w'-]*){{0,4}}?)\s+(?:x|×)\s*(?P<qty2>\d+)"
        rf"\s+(?:at|@|for)\s+(?P<price2>{MONEY_VALUE})"
    )
)


def line_items(text: str) -> list[dict[str, str]]:
    """The items a text lists with a quantity and a price, as written, in order:
    ``line_items("3 x Widget at $4.50")`` is ``[{"name": "Widget", "quantity": "3",
    "price": "$4.50"}]``."""
    return [
        {
            "name": m["name"] or m["name2"],
            "quantity": m["qty"] or m["qty2"],
            "price": m["price"] or m["price2"],
        }
        for m in LINE_ITEM.finditer(text)
    ]


def key_values(text: str) -> dict[str, str]:
    """ "Key: value" lines of a text: ``{"Order id": "A-17"}``."""
    return {
        k.strip(): v.strip()
        for k, v in re.findall(r"(?m)^[ \t\-*]*([A-Za-z][\w /-]{0,30}?)\s*[:=]\s*(\S.*?)\s*$", text)
    }


def extract_field(name: str, text: str, quality: float, rng: random.Random) -> str | None:
    """One field's value: a "Key: value" line whose key resembles the name, else a regex match.

    With probability 1 - quality the field is dropped (None) or takes a neighbouring match.
    """
    kind = field_kind(name)
    name_stems = set(stems(name.replace("_", " ")))
    found: list[str] = []
    for key, value in key_values(text).items():
        key_stems = set(stems(key))
        if (
            name_stems
            and key_stems
            and len(name_stems & key_stems) / len(name_stems | key_stems) >= 0.5
        ):
            inner = candidates(kind, value) if kind else []
            found.append(inner[0] if inner else value)
    if kind and not found:  # written inline after its name: "Total: $37.50", "due on May 2"
        label = r"[\s_-]+".join(map(re.escape, re.findall(r"[A-Za-z]+", name)))
        for m in re.finditer(rf"(?i)\b{label}\b[ \t]*(?:[:=]|is|was|of|on)?[ \t]*", text):
            near = candidates(kind, text[m.end() : m.end() + 40])
            if near and text[m.end() :].lstrip().startswith(near[0][:1]):
                found.append(near[0])
                break
    if kind:
        found += [c for c in candidates(kind, text) if c not in found]
    if rng.random() > quality:
        return found[1] if len(found) > 1 and rng.random() < 0.5 else None
    return found[0] if found else None


# ---------------------------------------------------------------- score (rubric)

TONES = {
    "friendly": "you your you'll love enjoy happy great welcome thanks easy perfect delight !",
    "positive": "love great excellent happy good amazing wonderful best enjoy",
    "enthusiastic": "love amazing incredible ! exciting best",
    "formal": "",
    "professional": "",
}


def parse_criteria(p: Prompt) -> list[str]:
    """Rubric lines from a "Rubric:" / "Criteria:" block, else any bullet in the instructions."""
    body = p.sections.get("rubric") or p.sections.get("criteria") or ""
    return bullets(body) or split_list(body) or bullets(p.instructions) or ["Clear and relevant"]


GENERIC_POINTS = re.compile(
    r"(?i)\b(?:every|all|each|the)\s+(?:of\s+the\s+)?(?:required|requested|listed|specified|"
    r"given|key|necessary)\s+(?:points?|items?|features?|requirements?|details?|facts?)\b"
)


def expand(criteria: list[str], p: Prompt) -> list[str]:
    """ "Mentions every required point" becomes one "Mentions X" line per point the task lists."""
    task = p.sections.get("task") or p.sections.get("requirements") or p.instructions
    points = must_mention(task) or bullets(p.sections.get("requirements", ""))
    out = []
    for c in criteria:
        out += [f"Mentions {x}" for x in points] if points and GENERIC_POINTS.search(c) else [c]
    return out


def score_one(criterion: str, text: str) -> tuple[float, str]:
    """One criterion's score in 0..1 and the feedback if it is not met."""
    n_words = len(text.split())
    most, least = word_limit(criterion)
    if most is not None:  # any overshoot scores below the 0.7 feedback line
        return (
            1.0 if n_words <= most else max(0.0, 0.6 - (n_words - most) / most),
            f"Use at most {most} words (the text has {n_words})",
        )
    if least is not None:
        return min(1.0, n_words / least), f"Use at least {least} words (the text has {n_words})"
    bag = set(stems(text))
    m = re.search(
        r"\b(?:mentions?|includes?|contains?|states?|names?|covers?|references?|lists?)\s+(.+)",
        criterion,
        re.I,
    )
    if m:  # "Mentions the price": the word, or a value of its kind ("$49" is a price)
        need = [w for w in words(m.group(1)) if w not in STOPWORDS]
        met = sum(
            1
            for w in need
            if hits([stem(w)], bag)
            or (field_kind(w) not in (None, "person", "number") and candidates(field_kind(w), text))
        )
        return met / max(len(need), 1), f"Mention {m.group(1).strip().rstrip('.')}"
    m = re.search(r"\b(?:no|avoid|does not mention|never)\s+(.+)", criterion, re.I)
    if m:
        return (
            0.0 if hits(stems(m.group(1)), bag) else 1.0
        ), f"Remove {m.group(1).strip().rstrip('.')}"
    tone = next((t for t in TONES if t in criterion.lower()), None)
    if tone in ("formal", "professional"):
        casual = len(re.findall(r"\w'\w|!|\b(?:hey|gonna|awesome|cool)\b", text, re.I))
        return max(0.0, 1 - 0.25 * casual), f"Use a {tone} tone"
    if tone:
        lexicon = set(TONES[tone].split())
        found = sum(1 for w in words(text) if w in lexicon) + text.count("!") * ("!" in lexicon)
        return min(1.0, found / 3), f"Use a {tone} tone"
    if re.search(r"\b(?:concise|brief|short)\b", criterion, re.I):
        return min(1.0, 60 / max(n_words, 1)), "Make it shorter"
    need = stems(criterion)
    return hits(need, bag) / max(len(set(need)), 1), f"Address: {criterion.rstrip('.')}"


def score(p: Prompt, criteria: list[str], quality: float, rng: random.Random) -> dict:
    """Grade the text against each rubric line: {"scores", "total", "feedback"}.

    A weak grader is noisy (noise grows with 1 - quality) and sometimes misses an unmet line.
    """
    text = p.payload("text", "draft", "response", "answer", "output", "summary", "description")
    scale = 5 if re.search(r"\b(?:1|0)\s*(?:-|to)\s*5\b|out of 5", p.instructions) else 1
    scores, feedback = {}, []
    for criterion in expand(criteria, p):
        value, advice = score_one(criterion, text)
        if value < 0.7 and rng.random() < (1 - quality) * 0.5:
            value = rng.uniform(0.7, 1.0)  # the weak grader did not notice
        value = min(1.0, max(0.0, value + rng.gauss(0, 0.3 * (1 - quality))))
        if value < 0.7:
            feedback.append(advice)
        scores[criterion.strip().rstrip(".")] = (
            round(value * scale) if scale == 5 else round(value, 2)
        )
    total = sum(scores.values()) / (scale * len(scores))
    return {"scores": scores, "total": round(total, 2), "feedback": feedback}


# ---------------------------------------------------------------- grounded

DONT_KNOW = "I don't know based on the provided context."


def grounded(p: Prompt, quality: float, rng: random.Random) -> str:
    """The context sentence(s) that best overlap the question, or "I don't know".

    Documents with ids are answered by ``from_documents`` instead, which also says which."""
    ctx = next(
        (p.sections[k] for k in ("context", "document", "documents", "passage") if k in p.sections),
        "",
    )
    question = (
        p.sections.get("question")
        or p.sections.get("query")
        or next((s for s in reversed(sentences(p.user)) if s.endswith("?")), p.user)
    )
    ctx = ctx or p.material
    ctx = ctx.split("Question:")[0] if "Question:" in ctx else ctx
    q = set(stems(question))
    sents = [s for s in sentences(ctx) if s.strip() != question.strip()]
    ranked = sorted(((hits(q, set(stems(s))), -i, s) for i, s in enumerate(sents)), reverse=True)
    if not ranked or ranked[0][0] < max(1.0, 0.25 * len(q)):  # too little in common
        out = DONT_KNOW
    else:
        best = ranked[1] if len(ranked) > 1 and rng.random() > quality else ranked[0]
        picked = [best]
        rest = q - set(stems(best[2]))  # a second sentence if it covers what the first missed
        extra = next(
            (r for r in ranked if r is not best and rest and hits(rest, set(stems(r[2])))), None
        )
        if extra and extra[0] > 0:
            picked.append(extra)
        out = " ".join(s for _, _, s in sorted(picked, key=lambda r: -r[1]))
    return out


# ---------------------------------------------------------------- answers that cite documents

# What a question asks for, and how a sentence that gives it reads ("when" wants a time).
WANTS = [
    (
        r"\b(?:when|how long|how soon|how quickly|until when|what time)\b",
        r"\b\d+(?:\s+to\s+\d+)?\s+(?:\w+\s+)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|"
        r"years?)\b|\b(?:at once|immediately|right away|next\s+\w+\s+day|next\s+\w+\s+date|"
        r"on the day)\b|\b\d{1,2}\s*(?:am|pm)\b",
    ),
    (r"\bhow (?:many|much)\b|\b(?:minimum|maximum|number|percent|price|cost|limit)\b", r"\d"),
    (r"\bwhere\b", r"\b(?:under|in|on|at|from)\s+(?:the\s+|your\s+)?[A-Z\w]+|\bthen\b"),
]
SENTENCES = r"\b(\d+|one|two|three|four|five|a single)\s+sentences?\b"


def sentence_cap(text: str) -> int | None:
    """How many sentences the prompt allows: ``sentence_cap("in at most two sentences") == 2``."""
    m = re.search(SENTENCES, text, re.I)
    if not m:
        return None
    word = m.group(1).lower()
    return {"one": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "five": 5}.get(word) or int(
        word
    )


def from_documents(p: Prompt, quality: float, rng: random.Random) -> tuple[str, list[str]]:
    """An answer drawn from the documents most relevant to the question, and the ids it used.

    Documents are ranked by the question's words they share (ties keep the prompt's order);
    the best one's sentences by shared words, plus one for giving what the question asks
    for (a time for "when", a number for "how many"). A weaker model sometimes takes a worse
    sentence (from the same or the next document), and cites worse: a wrong id added, or the
    right one missed.
    """
    question = (
        p.sections.get("question")
        or p.sections.get("query")
        or next((s for s in reversed(sentences(p.instructions)) if s.endswith("?")), p.instructions)
    )
    q = set(stems(question))
    wants = [w for ask, w in WANTS if re.search(ask, question, re.I)]
    docs = sorted(
        enumerate(p.docs), key=lambda d: (-hits(q, set(stems(f"{d[1].title} {d[1].text}"))), d[0])
    )
    best = hits(q, set(stems(f"{docs[0][1].title} {docs[0][1].text}")))
    if best < max(1.0, 0.25 * len(q)):  # too little in common
        return DONT_KNOW, []

    def ranked(doc) -> list[tuple[float, int, str]]:
        sents = sentences(doc.text)
        return sorted(
            (
                (hits(q, set(stems(x))) + 0.5 * any(re.search(w, x) for w in wants), -i, x)
                for i, x in enumerate(sents)
            ),
            reverse=True,
        )

    top = ranked(docs[0][1])
    picked = [(docs[0][0], top[0])]
    if rng.random() > quality:  # a plausible mistake: a worse sentence
        worse = [(docs[0][0], r) for r in top[1:2]] + [(i, ranked(d)[0]) for i, d in docs[1:2]]
        picked = [rng.choice(worse)] if worse else picked
    cap = sentence_cap(p.instructions) or 2
    home = next(d for i, d in docs if i == picked[0][0])
    first = picked[0][1][2]
    on = q | set(stems(first))  # a next sentence answers the question or goes on from the first
    rest = sorted(
        (
            (hits(on, set(stems(x))) + 0.5 * any(re.search(w, x) for w in wants), -i, x)
            for i, x in enumerate(sentences(home.text))
            if x != first
        ),
        reverse=True,
    )
    picked += [(picked[0][0], r) for r in rest[: cap - 1] if r[0] >= 1]
    text = " ".join(r[2] for _, r in sorted(picked, key=lambda x: (x[0], -x[1][1])))
    order = [i for i, _ in docs]
    used = sorted({i for i, _ in picked}, key=order.index)
    if rng.random() > quality:  # cites worse: one wrong id too, or the right one missed
        spare = [i for i in order if i not in used]
        if spare and rng.random() < 0.5:
            used.append(spare[0])
        elif spare:
            used = used[1:] or [spare[0]]
    return text, [p.docs[i].id for i in used]


# ---------------------------------------------------------------- keywords and picks


def keywords(text: str, k: int, quality: float, rng: random.Random) -> list[str]:
    """The text's ``k`` most salient words: the most frequent content words (by stem), then
    names (capitalised inside a sentence), then the longer, then the first seen.

    A weaker model (the quality roll fails) swaps its last keyword for a less salient one.
    """
    seen: dict[str, str] = {}
    count: Counter = Counter()
    named: set[str] = set()
    for sent in sentences(text):
        for i, w in enumerate(re.findall(r"[A-Za-z][\w'-]*", sent)):
            if w.lower() in STOPWORDS or len(w) < 3:
                continue
            s = stem(w.lower())
            seen.setdefault(s, w.lower())
            count[s] += 1
            if i and w[0].isupper():
                named.add(s)
    order = list(seen)
    ranked = sorted(order, key=lambda s: (-count[s], s not in named, -len(seen[s]), order.index(s)))
    found = ranked[:k]
    if found and len(ranked) > k and rng.random() > quality:
        found[-1] = ranked[rng.randrange(k, len(ranked))]
    return [seen[s] for s in found]


def asked(p: Prompt) -> str:
    """The question a prompt asks: a "Question:" section, a quoted question ("most relevant to
    the question: 'How long ...?'"), else its last sentence that ends in "?"."""
    quoted = re.findall(r"['\"“‘]([^'\"”’\n]+\?)['\"”’]", p.user)
    found = p.sections.get("question") or p.sections.get("query") or (quoted[-1] if quoted else "")
    return found or next((s for s in reversed(sentences(p.user)) if s.endswith("?")), p.request)


def relevance(question: str, choices: dict[str, str]) -> list[tuple[str, float]]:
    """Each choice's fit to the question, best first (ties keep the order): the share of its
    telling words (those not common to every choice) that the question has.

    >>> relevance("How long do batteries last?", {"1": "about pumps", "2": "about batteries"})
    [('2', 1.0), ('1', 0.0)]
    """
    q = set(stems(question))
    bags = {key: set(stems(text)) for key, text in choices.items()}
    common = set.intersection(*bags.values()) if len(bags) > 1 else set()
    out = []
    for key, bag in bags.items():
        own = bag - common or bag
        # a topic word brings its usual neighbours at half weight ("shipping": a parcel)
        near = set(stems(" ".join(LEXICON.get(w.lower(), "") for w in words(choices[key]))))
        fit = hits(q, own) + 0.5 * hits(q - own, near - common)
        out.append((key, min(1.0, fit / max(min(len(q), len(own)), 1))))
    return sorted(out, key=lambda kv: -kv[1])
