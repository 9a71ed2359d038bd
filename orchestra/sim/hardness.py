"""Correlated errors: some items are hard for every sample of a model (chapters 00 and 02).

A real model's mistakes are not coin flips drawn afresh per sample: on a hard question most
samples go wrong the same way, so a majority vote removes noise but not the hard items.
Self-consistency (Wang et al. 2022, "Self-Consistency Improves Chain of Thought Reasoning in
Language Models", arXiv 2203.11171) gains +10 to +18 points on GSM8K with 40 sampled paths, far
less than independent samples at 56% accuracy would give, and the curve flattens after about
ten samples; across models, Kim et al. 2025 ("Correlated Errors in Large Language Models",
ICML 2025, arXiv 2506.07962) find that two models agree on 60% of the items both get wrong
(a third would be chance on four options), more so the more accurate the models.

The simulator's assumption is a threshold model. Each item (the prompt's text, whatever the
model, effort or sample) has a latent hardness ``z ~ N(0, 1)``, drawn from the seed and the
item's content. One sample of a model whose error rate is ``e`` goes wrong when
``sqrt(RHO) * z + sqrt(1 - RHO) * eps > t``, with ``eps ~ N(0, 1)`` fresh per sample and
``t = Phi^-1(1 - e)``, so the item's error rate is

    e_item = Phi((sqrt(RHO) * z - t) / sqrt(1 - RHO))

Its mean over items is ``e`` exactly: a model's single-sample accuracy is what it was. ``RHO``
is the correlation between two samples' latent errors on one item. At ``RHO = 0.5`` and
``e = 0.2``, a fifth of the items carries 57% of the errors, an item in the hardest tenth is
wrong in most samples, and seven votes lift accuracy from 80% to 86% (independent samples
would give 97%); 41 votes give 88%, a self-consistency-sized gain. A stronger model or more
effort lowers ``e`` and so raises ``t``: the same hard item crosses it less often.

    >>> round(error(0.2, 0.0), 3) < 0.2 < round(error(0.2, 2.0), 3)
    True
"""

from __future__ import annotations

import hashlib
import math
import random
from statistics import NormalDist

RHO = 0.5
"""Correlation of two samples' latent errors on one item (see the module docstring)."""
STANDARD = NormalDist()


def of(seed: int, content: str) -> float:
    """The item's latent hardness ``z`` (a standard normal draw) from the seed and its text."""
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    u = random.Random(f"{seed}|hardness|{digest}").random()
    return STANDARD.inv_cdf(min(max(u, 1e-9), 1 - 1e-9))


def error(rate: float, z: float) -> float:
    """One item's error rate, for a model whose mean error rate is ``rate``."""
    if rate <= 0 or rate >= 1:
        return min(1.0, max(0.0, rate))
    t = STANDARD.inv_cdf(1 - rate)
    return STANDARD.cdf((math.sqrt(RHO) * z - t) / math.sqrt(1 - RHO))


def quality(base: float, z: float) -> float:
    """The quality dial on one item: ``1 - error(1 - base, z)``."""
    return 1 - error(1 - base, z)
