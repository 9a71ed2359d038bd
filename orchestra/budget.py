"""Budgets: a cost or token ceiling for one run (chapter 04).

The engine adds up the cost and tokens of every LLM call a run makes (calls replayed from a
checkpoint included: they were paid for) and checks the budget before each step starts. A
run that has reached its ceiling stops cleanly: status ``aborted``, the partial state, and a
reason that names the budget. A step already running is not interrupted, so a run can end
slightly above its ceiling, by at most the steps that were in flight. Costs are what the calls
were billed: cache writes above the input price, cache reads at a tenth of it, batch requests
at half price (chapter 12).

    >>> result = await wf.run(state, budget=Budget(max_cost_usd=0.05))
    >>> result.status, result.reason
    ('aborted', 'budget reached before step 04.polish: spent $0.0512 of $0.05 ...')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from orchestra.errors import BudgetExceededError

__all__ = ["Budget"]


@dataclass(frozen=True)
class Budget:
    """Ceilings for one run; None means no ceiling."""

    max_cost_usd: float | None = None
    """Stop once the run's LLM calls have cost this many US dollars."""
    max_tokens: int | None = None
    """Stop once the run's LLM calls have used this many tokens: prompt (uncached, written to
    and read from the prompt cache) plus output. Cached tokens are cheaper, so a cost ceiling
    lets a cached run go further; a token ceiling counts every token the model read."""

    def check(self, cost_usd: float, tokens: int, *, before: str = "the next step") -> None:
        """Raise ``BudgetExceededError`` if spending has reached a ceiling.

        >>> Budget(max_tokens=100).check(0.0, 120)   # raises BudgetExceededError
        """
        if self.max_cost_usd is not None and math.isnan(cost_usd):
            raise BudgetExceededError(
                f"budget cannot be enforced before {before}: a model without a price in "
                f"orchestra.prices was used, so the cost is unknown; add its price to the table "
                f"or budget by max_tokens instead",
                spent=cost_usd,
                limit=self.max_cost_usd,
                unit="usd",
            )
        if self.max_cost_usd is not None and cost_usd >= self.max_cost_usd:
            raise BudgetExceededError(
                f"budget reached before {before}: spent ${cost_usd:.4f} of "
                f"${self.max_cost_usd}; raise max_cost_usd or use cheaper models, then resume",
                spent=cost_usd,
                limit=self.max_cost_usd,
                unit="usd",
            )
        if self.max_tokens is not None and tokens >= self.max_tokens:
            raise BudgetExceededError(
                f"budget reached before {before}: spent {tokens} of {self.max_tokens} tokens; "
                f"raise max_tokens or shorten prompts, then resume",
                spent=tokens,
                limit=self.max_tokens,
                unit="tokens",
            )

    def to_dict(self) -> dict:
        """Plain JSON for the checkpoint store."""
        return asdict(self)
