"""Voting: the same question asked N times, the answers aggregated (chapter 02).

Parallelization has two forms. *Sectioning* splits a task into independent pieces
(``mapreduce``); *voting* runs the same task several times and combines the answers, to buy
accuracy or confidence with calls. The voters differ by sampling (one prompt asked N times,
``sampled``: self-consistency) or by construction (different prompts or models, ``panel``);
they run at once, so N votes take about as long as the slowest one.

    >>> voters = sampled(haiku, prompt, n=5)
    >>> verdict = await vote(voters, choices=["billing", "technical"], rule="majority")
    >>> verdict.label, verdict.reason, verdict.votes    # label None: escalate

Today's models take no temperature: each call is a sample at the model's own sampling, so N
copies of one request are N samples (the simulator gives the k-th answered copy its k-th
sample, so a seeded run gets the same SET of votes whatever order the calls arrive in; which
voter got which sample follows the arrival order, so read ``verdict.votes`` as a multiset).

Three rules. ``majority``: a label wins with more than half of all N votes. ``consensus``: every
vote must name the same label. An int k: a label wins with at least k of the N votes (k more
than half of N), the dial between the two. Verdicts fail closed: a vote that is missing (the call failed)
or malformed (not exactly one of the choices) counts against every label, and a tie or a split
decides nothing; the verdict's ``label`` is then None and the item goes to a person or a
stronger model. So ``verdict.label == "pass"`` holds only when the voters really said so.

Voting fixes errors that are independent (a sampled slip); it cannot fix errors the voters
share (the same misleading cue read the same way by every sample of one model).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from orchestra import clock
from orchestra.errors import ConfigError
from orchestra.fanout import Slots, fan_out

__all__ = [
    "Rule",
    "Verdict",
    "Voter",
    "parse_label",
    "aggregate",
    "sampled",
    "panel",
    "vote",
]

Rule = Literal["majority", "consensus"] | int
Voter = Callable[[], Awaitable[Any]]
"""One vote: an async call returning text, or a reply with ``.text`` (and ``.cost_usd``)."""


@dataclass
class Verdict:
    """What N votes decided, and why."""

    label: str | None
    """The winning label; None when nothing was decided (escalate)."""
    rule: Rule
    reason: str
    """``majority``, ``unanimous`` or ``k of N`` when decided; ``tie``, ``no majority``,
    ``split``, ``fewer than k agree`` or ``missing or malformed vote`` when not."""
    votes: list[str | None]
    """Each voter's label, in voter order; None for a missing or malformed vote."""
    costs: list[float]
    """Each voter's cost in USD, as its reply reported (0.0 when it has none)."""

    @property
    def escalated(self) -> bool:
        """Nothing was decided: a person or a stronger model must look."""
        return self.label is None

    def passed(self, label: str = "pass") -> bool:
        """Whether the verdict is ``label``; a tie, a bad or a missing vote never is."""
        return self.label == label


def parse_label(text: str | None, choices: Sequence[str]) -> str | None:
    """The choice the text names, or None if it is not exactly one of them (malformed).

    >>> labels = ["billing", "technical"]
    >>> parse_label(" Billing.", labels), parse_label("billing or technical", labels)
    ('billing', None)
    """
    said = (text or "").strip().strip("'\"`.").strip().lower()
    return next((c for c in choices if c.lower() == said), None)


def aggregate(votes: Sequence[str | None], rule: Rule) -> tuple[str | None, str]:
    """(label, reason) for a list of votes under ``rule``; None votes count against every label.

    >>> aggregate(["a", "a", None], "majority"), aggregate(["a", "a", None], "consensus")
    (('a', 'majority'), (None, 'missing or malformed vote'))
    >>> aggregate(["a", "a", "a", "b"], 3), aggregate(["a", "a", "b", "b"], 3)
    (('a', '3 of 4'), (None, 'fewer than 3 agree'))
    """
    counts = Counter(v for v in votes if v is not None).most_common()
    if isinstance(rule, int) and not isinstance(rule, bool):
        if not 2 * rule > len(votes) or rule > len(votes):
            raise ConfigError(
                f"rule={rule} of {len(votes)} votes: k must be more than half of N (else two "
                f"labels could both win) and at most N"
            )
        if counts and counts[0][1] >= rule:
            return counts[0][0], f"{rule} of {len(votes)}"
        return None, f"fewer than {rule} agree"
    if rule not in ("majority", "consensus"):
        raise ConfigError(f"rule must be 'majority', 'consensus' or an int k, not {rule!r}")
    if rule == "consensus":
        if not votes or len(counts) == 0 or None in votes:
            return None, "missing or malformed vote"
        return (counts[0][0], "unanimous") if len(counts) == 1 else (None, "split")
    if counts and counts[0][1] * 2 > len(votes):  # more than half of all N, missing included
        return counts[0][0], "majority"
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None, "tie"
    return None, "no majority"


def sampled(llm: Any, prompt: str, n: int, *, max_tokens: int | None = None) -> list[Voter]:
    """N voters asking one prompt, each call a sample at the model's own sampling.

    On a model that still takes a temperature, set one on the client (``LLM(temperature=1)``);
    at temperature 0 the N votes would be one vote N times.

        >>> sampled(haiku, prompt, n=5)
    """
    return [_asker(llm, prompt, max_tokens) for _ in range(n)]


def panel(askers: Sequence[tuple[Any, str]], *, max_tokens: int | None = None) -> list[Voter]:
    """One voter per (llm, prompt) pair: different models, efforts or phrasings.

    >>> panel([(haiku, prompt), (sonnet, prompt), (haiku.with_(effort="high"), reworded)])
    """
    return [_asker(llm, prompt, max_tokens) for llm, prompt in askers]


def _asker(llm: Any, prompt: str, max_tokens: int | None) -> Voter:
    async def ask() -> Any:
        return await llm.ask(prompt, max_tokens=max_tokens)

    return ask


async def vote(
    voters: Sequence[Voter],
    *,
    choices: Sequence[str],
    rule: Rule = "majority",
    concurrency: int | None = None,
) -> Verdict:
    """Run every voter at once (at most ``concurrency``), parse each vote, aggregate by ``rule``.

    A voter that raises is a missing vote, not an error: the verdict fails closed instead.

        >>> verdict = await vote(sampled(haiku, prompt, n=3), choices=labels, rule="consensus")
    """
    if not voters:
        raise ConfigError("vote needs at least one voter")
    t0 = clock.now()

    async def one(i: int, voter: Voter) -> tuple[Any, float]:
        return await clock.forked(voter, t0)  # each voter on its own copy of the clock

    slots = concurrency or len(voters)
    done = await fan_out(one, voters, limit=Slots(slots))
    # the join: the votes laid out on their slots in simulated time (all at once: the slowest)
    clock.join([0.0 if isinstance(d, BaseException) else d[1] for d in done], slots, t0)
    outs = [d if isinstance(d, BaseException) else d[0] for d in done]
    votes: list[str | None] = []
    costs: list[float] = []
    for out in outs:
        if isinstance(out, BaseException):
            if not isinstance(out, Exception):
                raise out  # a cancellation or an interrupt is not a vote
            votes.append(None)
            costs.append(0.0)
            continue
        votes.append(parse_label(out if isinstance(out, str) else out.text, choices))
        costs.append(float(getattr(out, "cost_usd", 0.0) or 0.0))
    label, reason = aggregate(votes, rule)
    return Verdict(label, rule, reason, votes, costs)
