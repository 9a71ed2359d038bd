# ---
# jupyter:
#   kernelspec:
#     display_name: Python (orchestra)
#     language: python
#     name: orchestra
# ---

# %% [markdown]
# A tiny notebook for tests/test_sweep.py (not a chapter): it glues a few values computed from
# its parameters, and fails on purpose at the seed `fail_at`.

# %% tags=["parameters"]
seed = 0  # picks the pseudo-random value
scale = 1.0  # multiplies it
fail_at = -1  # the seed at which the run raises (-1: never)

# %%
import random  # noqa: E402 (a notebook imports in its cells)

import scrapbook as sb  # noqa: E402

if seed == fail_at:
    raise ValueError(f"asked to fail at seed {seed}")
value = round(random.Random(seed).random() * scale, 6)
sb.glue("value_usd", value)
sb.glue("doubled", 2 * value)
sb.glue("label", f"seed {seed}")
