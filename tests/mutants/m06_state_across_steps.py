"""Wrong solutions to exercise 06 (a context budget that pins facts, a merge rule); see the package doc."""

from mutants import Mutant

KEEP = """
if tokens(render(notes)) <= budget_tokens:
    return list(notes)
pins = [n for n in notes if n.split(":", 1)[0] in pinned]
others = [n for n in notes if n not in pins]
room = max(1, budget_tokens - tokens(render(pins)))
folded, _ = await fit(llm, others, budget_tokens=room, keep_last=1, max_words=20, count=tokens)
return pins + folded
"""

MUTANTS = [
    # task 1: the budget
    Mutant(
        "the budget as it was: everything folded, nothing pinned",
        0,
        """
folded, _ = await fit(llm, notes, budget_tokens=budget_tokens, keep_last=1, max_words=20, count=tokens)
return folded
""",
        caught_by=0,
    ),
    Mutant(
        "no budget at all: the notes come back unchanged",
        0,
        "return list(notes)\n",
        caught_by=0,
    ),
    Mutant(
        "truncation instead of a summary: pinned notes and the last one, the rest dropped",
        0,
        """
if tokens(render(notes)) <= budget_tokens:
    return list(notes)
return [n for n in notes if n.split(":", 1)[0] in pinned] + notes[-1:]
""",
        caught_by=0,
    ),
    Mutant(
        "pinned notes kept, but after the summary instead of first",
        0,
        """
if tokens(render(notes)) <= budget_tokens:
    return list(notes)
pins = [n for n in notes if n.split(":", 1)[0] in pinned]
others = [n for n in notes if n not in pins]
room = max(1, budget_tokens - tokens(render(pins)))
folded, _ = await fit(llm, others, budget_tokens=room, keep_last=1, max_words=20, count=tokens)
return folded[:-1] + pins + folded[-1:]
""",
        caught_by=0,
    ),
    Mutant(
        "the whole budget given to fit, the pinned notes not counted",
        0,
        """
if tokens(render(notes)) <= budget_tokens:
    return list(notes)
pins = [n for n in notes if n.split(":", 1)[0] in pinned]
others = [n for n in notes if n not in pins]
folded, _ = await fit(llm, others, budget_tokens=budget_tokens, keep_last=1, max_words=20, count=tokens)
return pins + folded
""",
        caught_by=0,
    ),
    Mutant(
        "the pins read from the notebook's PINNED, not the argument",
        0,
        KEEP.replace("in pinned]", "in PINNED]"),
        caught_by=0,
    ),
    Mutant(
        "the budget read from the notebook's budget_tokens, not the argument",
        0,
        KEEP.replace("<= budget_tokens:", "<= globals()['budget_tokens']:"),
        caught_by=0,
    ),
    Mutant(
        "notes exactly at the budget are folded (< for <=)",
        0,
        KEEP.replace("<= budget_tokens:", "< budget_tokens:"),
        caught_by=0,
    ),
    Mutant(
        "pinned by prefix: 'Category note: ...' is pinned too",
        0,
        KEEP.replace('n.split(":", 1)[0] in pinned', "n.startswith(pinned)"),
        caught_by=0,
    ),
    Mutant(
        "the caller's notes sorted pins-first in place",
        0,
        """
        if tokens(render(notes)) <= budget_tokens:
            return list(notes)
        notes.sort(key=lambda n: n.split(":", 1)[0] not in pinned)
        pins = [n for n in notes if n.split(":", 1)[0] in pinned]
        others = notes[len(pins) :]
        room = max(1, budget_tokens - tokens(render(pins)))
        folded, _ = await fit(llm, others, budget_tokens=room, keep_last=1, max_words=20, count=tokens)
        return pins + folded
        """,
        caught_by=0,
    ),
    Mutant(
        "nothing pinned, nothing done: over the budget with no pin, the notes come back whole",
        0,
        KEEP.replace(
            "others = [n for n in notes if n not in pins]\n",
            "if not pins:\n    return list(notes)\nothers = [n for n in notes if n not in pins]\n",
        ),
        caught_by=0,
    ),
    # task 2: the merge rule
    Mutant(
        "operator.add: every branch's copy of the old tags appended again",
        1,
        "def merge_tags(old, new):\n    return old + new\n",
        caught_by=2,
    ),
    Mutant(
        "last writer wins: the lost update",
        1,
        "def merge_tags(old, new):\n    return new\n",
        caught_by=2,
    ),
    Mutant(
        "new tags appended once, but in the order the branches finish",
        1,
        "def merge_tags(old, new):\n    return old + [t for t in new if t not in old]\n",
        caught_by=2,
    ),
    Mutant(
        "sorted, but duplicates kept",
        1,
        "def merge_tags(old, new):\n    return sorted(old + [t for t in new if t not in old or t == 'vip'])\n",
        caught_by=2,
    ),
]
MUTANTS += [
    Mutant(
        "the old list extended in place",
        1,
        "def merge_tags(old, new):\n    old.extend(t for t in new if t not in old)\n    return sorted(old)\n",
        caught_by=2,
    ),
]

SAYS = {
    "the pins read from the notebook's PINNED, not the argument": "pinned=('Headline',)",
    "the budget read from the notebook's budget_tokens, not the argument": "over the budget of",
    "notes exactly at the budget are folded (< for <=)": "within the budget of",
    "pinned by prefix: 'Category note: ...' is pinned too": "the part before its first ':'",
    "the caller's notes sorted pins-first in place": "changed the caller's list",
    "nothing pinned, nothing done: over the budget with no pin, the notes come back whole": (
        "over the budget of"
    ),
    "the old list extended in place": "changed its inputs",
}
