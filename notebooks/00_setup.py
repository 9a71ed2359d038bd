# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: orchestra,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (orchestra)
#     language: python
#     name: orchestra
#   orchestra:
#     test_parameters:
#       model: claude-sonnet-4-5
#       seed: 1
#       time_scale: 0.0
# ---

# %% [markdown]
# # 00 · Set-up: your first calls to Claude, offline
#
# Every chapter of Orchestra Lab runs against a **Claude simulator**: a real HTTP server on
# `127.0.0.1` that speaks Anthropic's Messages API. The official clients (the `anthropic` SDK,
# LangChain's `ChatAnthropic`, LlamaIndex's `Anthropic`) talk to it unchanged; only the base URL
# differs. It computes its answers from your prompt with small real algorithms (classification,
# extraction, summaries, rubric scoring, plans) and a per-model quality dial, and it charges
# realistic tokens, latency and cost. It can also fail on purpose, which is what later chapters need.
#
# **Why a simulator?** You can run every notebook with no key, at no cost, in seconds, and get
# the same numbers every time (seeded). **When not to trust it:** its answers are plausible, not
# intelligent. Use it to learn orchestration (timing, failures, cost, concurrency), then switch
# `backend` to `"anthropic"` to see real model quality.
#
# This chapter makes the first call through the raw SDK, streams one, watches the SDK retry a 429
# on its own, makes the same call through LangChain and LlamaIndex, and turns the price table into
# a cost estimate.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (needs ANTHROPIC_API_KEY)
model = "claude-haiku-4-5"
seed = 0  # the simulator's seed: same seed, same answers, same faults
time_scale = 0.01  # wall-clock seconds you wait per simulated second (0.01: a 2 s call, 20 ms)

# %% [markdown]
# ## Start the simulator
#
# `sim.start()` serves on a free port and points the environment (`ANTHROPIC_BASE_URL` and a
# placeholder key) at it, so every client created afterwards uses it. With `backend="anthropic"`
# nothing is started and the clients read your real key from the environment.

# %%
import time

import anthropic
import pandas as pd
from IPython.display import display

from orchestra import LLM, sim
from orchestra.viz import prose

simulator = sim.start(seed=seed, time_scale=time_scale) if backend == "sim" else None
print("backend:", backend, "| model:", model, "| seed:", seed)

# %% [markdown]
# ## 1. The first call, through the raw SDK
#
# A plain `anthropic.Anthropic()`: no argument says "simulator". The answer's `usage` is what you
# are billed for. The simulator adds one header of its own, `orchestra-sim-model-seconds`: the
# **model-seconds** it charged for the call (time to first token, plus the output tokens at the
# model's rate, with seeded jitter). That is the call's simulated latency, and every latency this
# kit reports offline is that number.

# %%
client = anthropic.Anthropic()
raw = client.messages.with_raw_response.create(
    model=model,
    max_tokens=200,
    temperature=0,
    system="You are a support assistant.",
    messages=[
        {
            "role": "user",
            "content": "Classify this ticket into one of: billing, technical, account.\n"
            "Ticket: I was charged twice for my March invoice.",
        }
    ],
)
message = raw.parse()
print("answer:       ", message.content[0].text)
print("stop_reason:  ", message.stop_reason)
print(
    "usage:        ",
    message.usage.input_tokens,
    "input tokens,",
    message.usage.output_tokens,
    "output tokens",
)
print("model-seconds:", raw.headers.get("orchestra-sim-model-seconds", "n/a (real Claude)"))

# %% [markdown]
# ### Simulated seconds and `time_scale`
#
# `time_scale` does not change how long a call *is*; it only sets how long you *wait* for it on the
# wall clock: model-seconds × `time_scale` (0 answers at once). Below, the same call at two
# scales: the simulator is reset in between (same seed, counting afresh), so it is the same call.

# %%
timing = []
if backend == "sim":
    for scale in (0.01, 0.05):
        simulator.configure(time_scale=scale)  # same seed, counting afresh
        t0 = time.perf_counter()
        r = client.messages.with_raw_response.create(
            model=model,
            max_tokens=60,
            temperature=0,
            messages=[{"role": "user", "content": "Say hello in five words."}],
        )
        charged = float(r.headers["orchestra-sim-model-seconds"])
        timing.append(
            {
                "time_scale": scale,
                "simulated s (charged)": charged,
                "expected wait (wall s)": charged * scale,
                "measured wait (wall s)": time.perf_counter() - t0,
            }
        )
    simulator.configure(time_scale=time_scale)  # back to this notebook's scale
    timing = pd.DataFrame(timing).set_index("time_scale")
    charged = timing["simulated s (charged)"]
    assert charged.nunique() == 1, "the same call was charged differently at two time scales"
    print(
        f"simulated latency at both scales: {charged.iloc[0]:.3f} s, what the simulator charged; "
        f"the wall-clock wait was {timing['expected wait (wall s)'].iloc[0] * 1000:.1f} ms at "
        f"0.01 and {timing['expected wait (wall s)'].iloc[1] * 1000:.1f} ms at 0.05"
    )

# %% tags=["nbval-ignore-output"]
timing.round(4) if backend == "sim" else "real Claude: only wall-clock time exists"

# %% [markdown]
# The measured wait (wall-clock, it varies run to run) is the expected one plus the HTTP round
# trip and the SDK's own work. That overhead is why the kit never divides wall-clock time by
# `time_scale` to get latency: at a small scale it would magnify milliseconds of overhead into
# seconds of "model time".
#
# ## 2. A streamed call
#
# Streaming sends the answer as server-sent events: `message_start`, then `content_block_delta`s
# carrying a few tokens each, then `message_stop`. Chat UIs show the first words sooner; the whole
# answer takes as long as before. Below, `|` separates the pieces as they arrived.

# %%
with client.messages.stream(
    model=model,
    max_tokens=120,
    temperature=0,
    messages=[
        {
            "role": "user",
            "content": "Summarize in one sentence: The Golden Gate Bridge opened in 1937. "
            "It was the longest suspension bridge in the world until 1964. "
            "About 112,000 vehicles cross it every day.",
        }
    ],
) as stream:
    pieces = list(stream.text_stream)
    final = stream.get_final_message()
print(" | ".join(pieces))
print(
    f"{len(pieces)} pieces, {final.usage.output_tokens} output tokens, stop_reason={final.stop_reason}"
)

# %% [markdown]
# ## 3. A 429 that the SDK retries by itself
#
# We stage a failure: the simulator will answer the first call whose prompt mentions
# "quarterly report" with **429 Too Many Requests**, with a `retry-after` header, as Anthropic does.
# The SDK retries 429, 529 and 5xx responses on its own (`max_retries=2` by default), waiting
# what `retry-after` says. You only see it in `retries_taken` and in the simulator's log.

# %%
if backend == "sim":
    simulator.configure(
        faults=sim.Faults(plan=[sim.Rule("rate_limit", match="quarterly report", nth=1)])
    )
raw = client.messages.with_raw_response.create(
    model=model,
    max_tokens=60,
    temperature=0,
    messages=[
        {
            "role": "user",
            "content": "Summarize in one sentence: The quarterly report shows "
            "revenue up 12% on last year. Costs rose 4%, mostly from new hires in support.",
        }
    ],
)
print("answer:", raw.parse().content[0].text)
print("retries the SDK took:", raw.retries_taken)
if backend == "sim":
    log = pd.DataFrame(list(simulator.log)[-2:])[["status", "fault", "retry_after_s"]]
    log.index = ["attempt 1", "attempt 2"]
    display(log)
    simulator.configure(faults=sim.Faults())  # back to a quiet simulator

# %% [markdown]
# `retry_after_s` is in wall-clock seconds: the wait the simulator asks for, in simulated seconds,
# times `time_scale` (the `retry-after-ms` header the SDK reads says the same).
# Chapter 07 turns this into a taxonomy: which errors to retry (429, 529, 5xx, timeouts), which
# never (400, 401, 404), and what to do when retrying is not enough.
#
# ## 4. The same call through LangChain and LlamaIndex
#
# Both official integrations wrap the same SDK. We point them at the simulator by base URL only;
# nothing is mocked. At `temperature=0` the simulator answers the same prompt the same way,
# whoever sends it.

# %%
from langchain_anthropic import ChatAnthropic
from llama_index.llms.anthropic import Anthropic as LlamaAnthropic

prompt = (
    "Extract the following fields as JSON: name, email, company.\n"
    "Text: Hi, this is Dana Whitfield from Northwind Traders; reach me at dana@northwind.example."
)
base_url = simulator.url if simulator else None  # None: the real API

sdk = client.messages.create(
    model=model, max_tokens=200, temperature=0, messages=[{"role": "user", "content": prompt}]
)
lc = ChatAnthropic(model=model, temperature=0, max_tokens=200, base_url=base_url).invoke(prompt)
li = LlamaAnthropic(model=model, temperature=0, max_tokens=200, base_url=base_url).complete(prompt)

pd.DataFrame(
    [
        {
            "client": "anthropic SDK",
            "answer": sdk.content[0].text,
            "input tokens": sdk.usage.input_tokens,
            "output tokens": sdk.usage.output_tokens,
        },
        {
            "client": "LangChain ChatAnthropic",
            "answer": lc.content,
            "input tokens": lc.usage_metadata["input_tokens"],
            "output tokens": lc.usage_metadata["output_tokens"],
        },
        {
            "client": "LlamaIndex Anthropic",
            "answer": li.text,
            "input tokens": li.raw["usage"].input_tokens,
            "output tokens": li.raw["usage"].output_tokens,
        },
    ]
).set_index("client")

# %% [markdown]
# ## 5. What it costs: the price table
#
# One table in `orchestra/sim/models.py` prices every call in the kit, simulated or real. Prices
# are USD per million tokens, as Anthropic listed them on the date shown; check them before you
# quote a number. The simulator also gives each model a speed and a quality (its own dials, chosen
# to keep the families in order, not measured).

# %%
prices = pd.DataFrame(
    [
        {
            "model": p.id,
            "input $/MTok": p.input_usd_per_mtok,
            "output $/MTok": p.output_usd_per_mtok,
            "sim time to first token (model-s)": p.ttft_s,
            "sim output tokens/s": p.tokens_per_s,
            "sim quality": p.quality,
        }
        for p in sim.MODELS.values()
    ]
).set_index("model")
ratio = prices["output $/MTok"] / prices["input $/MTok"]
assert ratio.nunique() == 1, "output/input price ratio differs by model: fix the interview angle"
print("prices as of", sim.PRICES_DATE, f"| output costs {ratio.iloc[0]:g}x input on every model")
prices

# %% [markdown]
# ### A cost example
#
# The task: summarize 10,000 support tickets, one call each. We send five (simulated) calls per
# model, average their tokens, cost and model-seconds, and scale up. (One call would do for
# tokens; latency varies from call to call, so it needs a few.) Our own client, `orchestra.LLM`, does
# the bookkeeping: every reply carries its tokens, its cost from the price table, and its latency.

# %%
tickets = [
    "I ordered a standing desk on May 2. The delivery was promised for May 9 but nothing arrived. "
    "Support told me twice it was on its way. I need it before my new job starts on May 20.",
    "My invoice for April shows two charges of $49. I only have one subscription. "
    "Please refund the second charge and tell me why it happened.",
    "The mobile app crashes every time I open the settings page. I reinstalled it twice. "
    "It started after the last update on Monday.",
    "I changed my email address last week but the newsletter still goes to the old one. "
    "How do I update it everywhere?",
    "The blender arrived with a cracked jug. The box looked fine. "
    "Can you send a replacement jug, or should I return the whole blender?",
]
rows = []
for m in sim.MODELS:
    async with LLM(m, backend=backend, max_tokens=100) as llm:
        replies = [await llm.ask(f"Summarize in one sentence: {t}") for t in tickets]
    n = len(replies)
    rows.append(
        {
            "model": m,
            "input tokens": sum(r.input_tokens for r in replies) / n,
            "output tokens": sum(r.output_tokens for r in replies) / n,
            "cost per call ($)": sum(r.cost_usd for r in replies) / n,
            "cost per 10k calls ($)": sum(r.cost_usd for r in replies) / n * 10_000,
            # simulated seconds offline; on real Claude, what we measured (wall-clock)
            "latency (s)": sum(r.model_s if backend == "sim" else r.latency_s for r in replies) / n,
        }
    )
costs = pd.DataFrame(rows).set_index("model")
costs.round(
    {
        "input tokens": 1,
        "output tokens": 1,
        "cost per call ($)": 6,
        "cost per 10k calls ($)": 2,
        "latency (s)": 2,
    }
)

# %%
import matplotlib.pyplot as plt

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), dpi=100)
names = [m.replace("claude-", "") for m in costs.index]
left.bar(names, costs["cost per 10k calls ($)"], color=["tab:green", "tab:blue", "tab:purple"])
left.set_ylabel("cost of 10,000 calls (USD)")
left.set_title("Cost: 10,000 one-sentence summaries")
unit = "simulated" if backend == "sim" else "wall-clock"
right.bar(names, costs["latency (s)"], color=["tab:green", "tab:blue", "tab:purple"])
right.set_ylabel(f"mean latency per call ({unit} s)")
right.set_title(f"Latency per call, mean of 5 ({unit})")
for ax in (left, right):
    ax.set_xlabel("model")
fig.tight_layout()

# %%
cost, latency = costs["cost per 10k calls ($)"], costs["latency (s)"]
cheap, dear, slow = cost.idxmin(), cost.idxmax(), latency.idxmax()
prose(
    f"Read the two charts together: {dear} costs {cost[dear] / cost[cheap]:.0f}× what {cheap} "
    f"costs for the same summaries (${cost[dear]:,.2f} vs ${cost[cheap]:,.2f} per 10,000 calls)"
    + (
        f", and it is also the slowest ({latency[slow]:.2f} vs {latency[cheap]:.2f} {unit} "
        f"seconds per call)."
        if dear == slow
        else f"; the slowest is {slow} ({latency[slow]:.2f} {unit} seconds per call)."
    )
)

# %% [markdown]
# Most workflows in this kit route cheap, frequent work to Haiku and reserve Opus for the few calls
# where quality pays (chapter 03 measures exactly that).
#
# Latency here is **simulated seconds** (`model_s`): the model-seconds the simulator charged each
# call, which is what the call would take on the modelled service. `time_scale` only decided how
# long the notebook waited for it on the wall clock (model-seconds × `time_scale`).
#
# ## Interview angle
#
# - *"How would you test an LLM pipeline without paying for calls or getting flaky results?"*
#   Point the official client at a deterministic fake by base URL (not a mock of your own code),
#   seed everything, and stage failures explicitly; keep one small suite against the real API.
# - *"What is in the price of a call?"* Input tokens plus output tokens, at different rates (output
#   costs 5x input on every Claude tier); the system prompt and tool schemas are input tokens too.
# - *"Streaming or not?"* Streaming improves time to first token, not total latency or cost; it
#   complicates retries (a stream can fail midway) and structured output.
# - *"What happens on a 429?"* The SDK retries with backoff and honours `retry-after`; you still
#   need a shared limiter when you fan out (chapter 02) and a policy when retries run out (chapter 07).

# %%
if simulator:
    simulator.stop()
