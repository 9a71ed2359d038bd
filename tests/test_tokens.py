"""Tests for orchestra.tokens: pieces join back, counts agree, truncation is a prefix."""

import re
import time

from orchestra.tokens import count_tokens, tokenize, truncate

SAMPLES = [
    "",
    " ",
    "Hello, worldwide!",
    "  two  spaces\tand a tab\n\nnew lines ",
    "Émile paid €1,299.00 on 2025-03-03 (ref #A-17).",
    "a" * 13,
    "  trailing   ",
]


def test_pieces_join_back_exactly():
    for text in SAMPLES:
        assert "".join(tokenize(text)) == text


def test_long_words_are_cut_into_four_character_chunks():
    assert tokenize("internationalization") == ["inte", "rnat", "iona", "liza", "tion"]
    assert tokenize(" Hello") == [" Hell", "o"]  # leading whitespace stays with the first chunk


def test_count_matches_an_independent_formula():
    # Independent reference: ceil(len/4) per word + one per punctuation mark + trailing space.
    for text in SAMPLES:
        expected = sum(-(-len(w) // 4) for w in re.findall(r"\w+", text))
        expected += len(re.findall(r"[^\w\s]", text)) + (1 if text[-1:].isspace() else 0)
        assert count_tokens(text) == len(tokenize(text)) == expected


def test_about_one_token_per_four_characters_of_prose():
    prose = "The quick brown fox jumps over the lazy dog near the riverbank today. " * 20
    assert 0.2 < count_tokens(prose) / len(prose) < 0.35


def test_truncate_is_the_prefix_of_the_first_n_tokens():
    text = "Hello, worldwide! How are you?"
    for n in range(0, count_tokens(text) + 2):
        assert truncate(text, n) == "".join(tokenize(text)[:n])
    assert truncate(text, -1) == ""


def test_count_is_fast_on_a_large_prompt():
    big = "Some ordinary words, with punctuation. " * 25_000  # ~1 MB
    started = time.perf_counter()
    count_tokens(big)
    assert time.perf_counter() - started < 0.5
