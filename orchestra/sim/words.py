"""Word-level helpers for the simulator's brain: words, stems, sentences, key terms, and the
cues several stages read (answer sets, counts, citation keys) (chapter 00)."""

from __future__ import annotations

import re
from collections import Counter

# ---------------------------------------------------------------- shared helpers: words

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because
been before being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers him his how i if in into is it its itself just
me more most my no nor not now of off on once only or other our out over own same she should so
some such than that the their them then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your yours
please i'm it's don't can't get got let make like one tell know want need explain give show
help describe thanks hi hello""".split()
)


def words(text: str) -> list[str]:
    """Lower-case words and numbers: ``words("It's 2 AM!")`` -> ``["it's", "2", "am"]``."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def stem(word: str) -> str:
    """Crude suffix stripping so word forms meet: ``stem("charges") == stem("charged")``."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in "lsz":  # shipping -> shipp -> ship
                word = word[:-1]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def stems(text: str) -> list[str]:
    """Stems of the content words: ``stems("The invoices were wrong")`` -> ``["invoic", "wrong"]``."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def hits(query: list[str] | set[str], bag: set[str]) -> int:
    """How many query stems are in ``bag``; a long stem also meets its extensions (refund~refundable)."""
    return sum(
        1
        for q in set(query)
        if q in bag
        or (len(q) >= 5 and any(b.startswith(q) or q.startswith(b) for b in bag if len(b) >= 5))
    )


def sentences(text: str) -> list[str]:
    """Sentences and bullet lines of a text: ``sentences("A b. C d!")`` -> ``["A b.", "C d!"]``."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip(" -*•\t") for p in parts if len(p.strip(" -*•\t")) > 1]


def split_list(text: str) -> list[str]:
    """Items of an inline list: ``split_list("a, b and c.")`` -> ``["a", "b", "c"]``."""
    items = re.split(r",|;|\|| or | and |/", text.strip().rstrip("."))
    return [i.strip(" '\"`*.") for i in items if i.strip(" '\"`*.")]


def bullets(text: str) -> list[str]:
    """The items of bulleted or numbered lines: ``"- a\\n2. b"`` -> ``["a", "b"]``."""
    return re.findall(r"(?m)^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$", text)


def key_terms(text: str, k: int = 3) -> list[str]:
    """The most frequent content words, first-seen first on ties: the prompt's main nouns."""
    counts = Counter(
        w for w in words(text) if w not in STOPWORDS and len(w) > 2 and not w.isdigit()
    )
    return [w for w, _ in counts.most_common(k)]


def word_limit(text: str) -> tuple[int | None, int | None]:
    """(at most, at least) a word count from phrases like "under 80 words", "at least 20 words"."""
    most = re.search(
        r"(?:at most|under|no more than|fewer than|less than|max(?:imum)?(?: of)?|"
        r"up to|within|in)\s+(\d+)\s+words",
        text,
        re.I,
    )
    least = re.search(
        r"(?:at least|more than|minimum(?: of)?|no fewer than)\s+(\d+)\s+words", text, re.I
    )
    return (int(most.group(1)) if most else None, int(least.group(1)) if least else None)


def must_mention(text: str) -> list[str]:
    """The points a brief requires: ``must_mention("It must mention: a, b and c.")`` -> a, b, c."""
    m = re.search(
        r"\b(?:must|should|to)\s+(?:mention|include|cover|contain)\s*:?\s*([^\n]+?)(?:\.\s|\.?$|\n)",
        text,
        re.I | re.M,
    )
    return split_list(m.group(1)) if m else []


# ---------------------------------------------------------------- cues the stages share

COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
COUNTS |= {"eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3}
POSITIVE = re.compile(
    r"(?i)^(?:pass|passed|approve[d]?|accept(?:ed)?|yes|y|true|good|correct|"
    r"lgtm|ok|done|complete|valid|ship|ready|a)$"
)
"""An answer that approves: the passing one of a set of verdicts."""
# A key, tag or slot that asks which documents were used.
# Not any "_id": "order_id" is a field to extract, not a citation.
CITES = re.compile(
    r"(?i)source|citation|\bcite|reference|\brefs?\b|^ids?$|indices|passages|documents|\bdocs\b|"
    r"(?:doc|document|passage|chunk|article|evidence)s?_?(?:ids?|index|numbers?)\b"
)


CAPS_SET = re.compile(
    r"\b([A-Z][A-Z_]{1,})(?:\s*(?:,|/|\|)\s*(?:or\s+)?([A-Z][A-Z_]{1,}))+(?:\s*,?\s*or\s+([A-Z][A-Z_]{1,}))?\b"
    r"|\b([A-Z][A-Z_]{1,})\s+or\s+([A-Z][A-Z_]{1,})\b"
)


def caps_set(text: str) -> list[str]:
    """A set of ALL-CAPS answers written as a list: "PASS, NEEDS_IMPROVEMENT, or FAIL"."""
    m = CAPS_SET.search(text)
    if not m:
        return []
    items = re.findall(r"[A-Z][A-Z_]{1,}", m.group())
    items = [i for i in items if i not in ("OR", "AND", "JSON", "XML", "API", "ID", "URL")]
    return list(dict.fromkeys(items)) if len(set(items)) >= 2 else []
