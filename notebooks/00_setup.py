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
#     refusals_shown: 5
#     test_parameters:
#       backend: anthropic
#       model: claude-sonnet-5-5
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
# realistic tokens, latency and cost. It refuses what the real API refuses, per model, with the
# API's status and message. It can also fail on purpose, which is what later chapters need.
#
# **Why a simulator?** You can run every notebook with no key, at no cost, in seconds, and get
# the same numbers every time (seeded). **When not to trust it:** its answers are plausible, not
# intelligent. Use it to learn orchestration (timing, failures, cost, concurrency), then switch
# `backend` to `"anthropic"` to see real model quality.
#
# This chapter makes the first call through the raw SDK and reads its answer block by block
# (today's models think before they answer), streams one, watches the SDK retry a 429 on its
# own, makes the same call through LangChain and LlamaIndex, shows what changed from the 4.5
# models to the 5.5 ones (the tokenizer, and the requests they now refuse), and turns the price
# table into a cost estimate.

# %% tags=["parameters"]
backend = "sim"  # "sim": offline simulator; "anthropic": real Claude (needs ANTHROPIC_API_KEY)
model = "claude-haiku-5-5"  # the model of sections 1 to 4
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
import warnings

import anthropic
import pandas as pd
from IPython.display import display

from orchestra import LLM, errors, prices, sim
from orchestra.prices import HAIKU, LEGACY_HAIKU, OPUS, SONNET, listing
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
#
# `max_tokens` is generous on purpose: today's models **think before they answer** (adaptive
# thinking, on by default), and the thinking tokens count in `max_tokens` and are billed as
# output. A budget sized for the answer alone can end with no answer at all.

# %%
client = anthropic.Anthropic()
ticket = "Classify this ticket into one of: billing, technical, account.\n" + (
    "Ticket: I was charged twice for my March invoice."
)
raw = client.messages.with_raw_response.create(
    model=model,
    max_tokens=1024,
    system="You are a support assistant.",
    messages=[{"role": "user", "content": ticket}],
)
message = raw.parse()
usage = message.usage
thought = getattr(usage.output_tokens_details, "thinking_tokens", 0) or 0
print("stop_reason:  ", message.stop_reason)
print(
    f"usage:         {usage.input_tokens} input tokens, {usage.output_tokens} output tokens "
    f"({thought} of them thinking)"
)
print("model-seconds:", raw.headers.get("orchestra-sim-model-seconds", "n/a (real Claude)"))

# %% [markdown]
# ### Reading the answer by block type
#
# `message.content` is a list of **blocks**. On a model that thinks, a `thinking` block comes
# *before* the `text` block. It carries a signature (which lets you send it back in a later
# turn) and the thinking's text, which the 5.5 models omit unless you ask for a summary
# (`thinking={"type": "adaptive", "display": "summarized"}`). Code written for the previous
# generation often read the answer as `message.content[0].text`: on today's models that is the
# thinking block, which has no `.text`. Read the answer by type instead.

# %%
blocks = pd.DataFrame(
    [
        {
            "block": i,
            "type": b.type,
            "characters": len(getattr(b, "text", None) or getattr(b, "thinking", "") or ""),
            "has .text": hasattr(b, "text"),
        }
        for i, b in enumerate(message.content)
    ]
).set_index("block")
answer = "".join(b.text for b in message.content if b.type == "text")
display(blocks)
print("answer:", answer)
if listing(model).thinks_by_default:
    assert message.content[0].type == "thinking" and not hasattr(message.content[0], "text")
    assert answer, "the model thought and answered: a text block follows the thinking"
    omitted = listing(model).display == "omitted"  # the prose above: no text unless asked
    assert (blocks.loc[0, "characters"] == 0) == omitted, blocks

# %% [markdown]
# Our own client, `orchestra.LLM`, does this for you: `reply.text` joins the text blocks,
# `reply.thinking` the thinking (here asked for as a summary), and `reply.thinking_tokens` says
# how many of the billed output tokens went to thinking. Every reply also carries its cost from
# the price table (section 6).

# %%
shown = {"type": "adaptive", "display": "summarized"} if listing(model).thinks_by_default else None
async with LLM(model, backend=backend) as llm:
    reply = await llm.ask(ticket, system="You are a support assistant.", thinking=shown)
print("answer:         ", reply.text)
print("output tokens:  ", reply.output_tokens, f"(thinking: {reply.thinking_tokens})")
print("thinking shown: ", (reply.thinking[:100] + "...") if reply.thinking else "(none)")
print(f"cost:            ${reply.cost_usd:.6f}")
assert reply.thinking_tokens <= reply.output_tokens

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
            max_tokens=1024,
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
# Streaming sends the answer as server-sent events: `message_start`, then a `content_block_start`,
# `content_block_delta`s and a `content_block_stop` per block, then `message_stop`. The thinking
# block streams first: its text as `thinking_delta`s when it is shown (not by default on the 5.5
# models), then one `signature_delta`; the answer follows as `text_delta`s. Chat UIs show the first words sooner; the whole answer takes as long as before,
# and the first *answer* word waits for the thinking. Below, `|` separates the text pieces as
# they arrived.

# %%
deltas, pieces = {}, []
with client.messages.stream(
    model=model,
    max_tokens=1024,
    messages=[
        {
            "role": "user",
            "content": "Summarize in one sentence: The Golden Gate Bridge opened in 1937. "
            "It was the longest suspension bridge in the world until 1964. "
            "About 112,000 vehicles cross it every day.",
        }
    ],
) as stream:
    for event in stream:
        if event.type == "content_block_delta":
            deltas[event.delta.type] = deltas.get(event.delta.type, 0) + 1
            if event.delta.type == "text_delta":
                pieces.append(event.delta.text)
    final = stream.get_final_message()
print(" | ".join(pieces))
print("deltas by type:", deltas)
print(
    f"{final.usage.output_tokens} output tokens "
    f"({getattr(final.usage.output_tokens_details, 'thinking_tokens', 0)} thinking), "
    f"stop_reason={final.stop_reason}"
)

# %% [markdown]
# ## 3. A 429 that the SDK retries by itself
#
# We stage a failure: the simulator will answer the first call whose prompt mentions
# "quarterly report" with **429 Too Many Requests**, with a `retry-after` header, as Anthropic does.
# The SDK retries 429, 529 and 5xx responses on its own (`max_retries=2` by default), waiting
# what `retry-after` says. You only see it in `retries_taken` and in the simulator's log. (On
# real Claude nothing can be staged: the call below is a plain one.)

# %%
if backend == "sim":
    simulator.configure(
        faults=sim.Faults(plan=[sim.Rule("rate_limit", match="quarterly report", nth=1)])
    )
raw = client.messages.with_raw_response.create(
    model=model,
    max_tokens=1024,
    messages=[
        {
            "role": "user",
            "content": "Summarize in one sentence: The quarterly report shows "
            "revenue up 12% on last year. Costs rose 4%, mostly from new hires in support.",
        }
    ],
)
print("answer:", "".join(b.text for b in raw.parse().content if b.type == "text"))
print("retries the SDK took:", raw.retries_taken)
if backend == "sim":
    log = pd.DataFrame(list(simulator.log)[-2:])[["status", "fault", "retry_after_s"]]
    log.index = ["attempt 1", "attempt 2"]
    display(log)
    simulator.configure(faults=sim.Faults())  # back to a quiet simulator
else:
    print("real Claude: a 429 cannot be staged, so this was a plain call (no simulator log)")

# %% [markdown]
# `retry_after_s` is in wall-clock seconds: the wait the simulator asks for, in simulated seconds,
# times `time_scale` (the `retry-after-ms` header the SDK reads says the same).
# Chapter 07 turns this into a taxonomy: which errors to retry (429, 529, 5xx, timeouts), which
# never (400, 401, 404), and what to do when retrying is not enough.
#
# ## 4. The same call through LangChain and LlamaIndex
#
# Both official integrations wrap the same SDK. We point them at the simulator by base URL only;
# nothing is mocked, and none of the three sets a temperature (section 5 shows why). Each reads
# the answer by block type: LangChain's `.text` and LlamaIndex's `.text` join the text blocks,
# leaving the thinking out.

# %%
from langchain_anthropic import ChatAnthropic
from llama_index.llms.anthropic import Anthropic as LlamaAnthropic

prompt = (
    "Extract the following fields as JSON: name, email, company.\n"
    "Text: Hi, this is Dana Whitfield from Northwind Traders; reach me at dana@northwind.example."
)
base_url = simulator.url if simulator else None  # None: the real API

sdk = client.messages.create(
    model=model, max_tokens=1024, messages=[{"role": "user", "content": prompt}]
)
lc = ChatAnthropic(model=model, max_tokens=1024, base_url=base_url).invoke(prompt)
li = LlamaAnthropic(model=model, max_tokens=1024, base_url=base_url).complete(prompt)

clients = pd.DataFrame(
    [
        {
            "client": "anthropic SDK",
            "answer": "".join(b.text for b in sdk.content if b.type == "text"),
            "input tokens": sdk.usage.input_tokens,
            "output tokens": sdk.usage.output_tokens,
        },
        {
            "client": "LangChain ChatAnthropic",
            "answer": lc.text,
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
clients

# %%
agree = clients["answer"].nunique() == 1
same_prompt = clients["input tokens"].nunique() == 1
prose(
    f"The three answers are {'the same' if agree else 'not all the same'}: on today's models "
    f"every call is a fresh sample (there is no temperature 0 to pin it), so agreement is the "
    f"task's, not the client's. The prompts cost "
    + (
        f"the same {clients['input tokens'].iloc[0]} input tokens through all three."
        if same_prompt
        else "different input tokens: "
        + ", ".join(f"{c} {n}" for c, n in clients["input tokens"].items())
        + " (each client writes the same message into its own request)."
    )
)

# %% [markdown]
# ## 5. What changed from the 4.5 models to the 5.5 ones
#
# `claude-haiku-4-5` is still served, so the same requests can be sent to it and to today's
# models. Four differences a migration meets at once.
#
# ### A new tokenizer
#
# The 5.x models count text with a new tokenizer. The API's `count_tokens` endpoint (free, no
# answer generated) counts a prompt as a given model will bill it. The same five support tickets,
# counted on both Haikus:

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


def counted(m, text):
    """Input tokens of a one-message request, as model ``m`` counts them."""
    return client.messages.count_tokens(
        model=m, messages=[{"role": "user", "content": text}]
    ).input_tokens


tokens = pd.DataFrame(
    {m: [counted(m, t) for t in tickets] for m in (LEGACY_HAIKU, HAIKU)},
    index=pd.Index(range(1, len(tickets) + 1), name="ticket"),
)
tokens["ratio"] = (tokens[HAIKU] / tokens[LEGACY_HAIKU]).round(3)
ratio = tokens[HAIKU].sum() / tokens[LEGACY_HAIKU].sum()
expected = listing(HAIKU).tokens_per_old_token / listing(LEGACY_HAIKU).tokens_per_old_token
assert abs(ratio / expected - 1) < 0.1, (ratio, expected)  # the ~30% the interview angle cites
per_text = (tokens[HAIKU].sum() * prices.price(HAIKU).input_usd_per_mtok) / (
    tokens[LEGACY_HAIKU].sum() * prices.price(LEGACY_HAIKU).input_usd_per_mtok
)
display(tokens)
prose(
    f"Counted: the same {len(tickets)} tickets are {tokens[HAIKU].sum()} tokens on {HAIKU} and "
    f"{tokens[LEGACY_HAIKU].sum()} on {LEGACY_HAIKU}, {ratio:.2f}× as many. A per-token price "
    f"is therefore not a per-text price: {HAIKU}'s input costs "
    f"{prices.price(LEGACY_HAIKU).input_usd_per_mtok / prices.price(HAIKU).input_usd_per_mtok:g}× "
    f"less per token, and {1 / per_text:.1f}× less for these texts. Token limits shrink the same "
    f"way: a prompt that fitted a budget before may not now."
)

# %% [markdown]
# ### Requests the 5.5 models refuse
#
# The same request, with one field that the 4.5 generation took, sent through the raw SDK to
# each model. **`temperature`**: the 5.x models sample at their own setting and refuse any other
# value (a 400); to trade quality against cost you set **effort** instead
# (`output_config.effort`: `low` to `max`). **An assistant prefill** (the messages end with an
# assistant turn for the model to continue, a trick for forcing a format): refused too; ask for
# structured output instead. **A retired model**: `claude-sonnet-4-5` was retired on the date the
# price table gives; the API answers 404.


# %%
def attempt(m, **changes):
    """Send one small request to model ``m``; what came back: accepted, or the error."""
    request = dict(
        model=m,
        max_tokens=1024,
        messages=[{"role": "user", "content": "Name a colour of the sky, as JSON."}],
    )
    request.update(changes)
    try:
        msg = client.with_options(max_retries=0).messages.create(**request)
    except anthropic.APIStatusError as exc:
        said = exc.body.get("error", {}).get("message") if isinstance(exc.body, dict) else exc
        return {"outcome": f"HTTP {exc.status_code}", "what came back": said}
    text = "".join(b.text for b in msg.content if b.type == "text")
    return {"outcome": "accepted", "what came back": text[:60]}


PREFILL = [
    {"role": "user", "content": "Name a colour of the sky, as JSON."},
    {"role": "assistant", "content": '{"colour": "'},
]
RETIRED = "claude-sonnet-4-5"
cases = [
    *[(m, "temperature=0", {"temperature": 0}) for m in (LEGACY_HAIKU, HAIKU, SONNET, OPUS)],
    *[(m, "assistant prefill", {"messages": PREFILL}) for m in (LEGACY_HAIKU, HAIKU)],
    (RETIRED, "a plain request", {}),
]
refusals = pd.DataFrame(
    [{"model": m, "request": what, **attempt(m, **changes)} for m, what, changes in cases]
).set_index(["model", "request"])
refusals

# %%
outcome = refusals["outcome"]
assert outcome[(LEGACY_HAIKU, "temperature=0")] == "accepted"
assert all(outcome[(m, "temperature=0")] == "HTTP 400" for m in (HAIKU, SONNET, OPUS))
assert outcome[(LEGACY_HAIKU, "assistant prefill")] == "accepted"
assert outcome[(HAIKU, "assistant prefill")] == "HTTP 400"
assert outcome[(RETIRED, "a plain request")] == "HTTP 404"

# %% [markdown]
# `orchestra.LLM` knows the table: it refuses a retired model **before** any request, with an
# error that names the replacement, and it does not send a temperature to a model that refuses
# one (it warns once instead). A framework that passes your settings through as written
# (LangChain's `ChatAnthropic(temperature=0)`) gets the 400; chapter 07 shows what each
# framework's retry policy then does with it.

# %%
try:
    LLM(RETIRED, backend=backend)
except errors.ConfigError as exc:
    print("ConfigError:", exc)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    async with LLM(HAIKU, backend=backend, temperature=0) as llm:
        hot = await llm.ask("Name a colour of the sky, as JSON.")
print("warning:    ", *[str(w.message) for w in caught])
print("answered:   ", hot.text)

# %% [markdown]
# ## 6. What it costs: the price table
#
# One table, `orchestra/prices.py`, prices every call in the kit, simulated or real, and says
# what each model accepts. Prices are USD per million tokens, as Anthropic listed them on the
# date shown; check them before you quote a number. Haiku 5.5 has a second tier: a prompt of
# more than 100K tokens is billed at the higher prices, for all its tokens. The simulator also
# gives each served model a speed and a quality (its own dials, chosen to keep the families in
# order, not measured).

# %%
rows = []
for m in prices.CATALOG.values():
    p, profile = m.price, sim.MODELS.get(m.id)
    rows.append(
        {
            "model": m.id,
            "status": m.status + (f" ({m.until})" if m.until else ""),
            "input $/MTok": p.input_usd_per_mtok,
            "output $/MTok": p.output_usd_per_mtok,
            "long prompt above (tokens)": p.long_above or pd.NA,
            "input $/MTok, long": p.long_input_usd_per_mtok,
            "output $/MTok, long": p.long_output_usd_per_mtok,
            "thinks by default": m.thinks_by_default,
            "default effort": m.default_effort,
            "takes temperature": m.sampling,
            "takes prefill": m.prefill,
            "sim output tokens/s": profile.tokens_per_s if profile else None,
            "sim quality": profile.quality if profile else None,
        }
    )
price_table = pd.DataFrame(rows).set_index("model")
price_table["long prompt above (tokens)"] = price_table["long prompt above (tokens)"].astype(
    "Int64"
)
served = price_table[~price_table["status"].str.startswith("retired")]
out_in = pd.concat(
    [
        served["output $/MTok"] / served["input $/MTok"],
        (served["output $/MTok, long"] / served["input $/MTok, long"]).dropna(),
    ]
)
assert out_in.nunique() == 1, "output/input price ratio differs by model: fix the interview angle"
print("prices as of", prices.PRICES_DATE, f"| output costs {out_in.iloc[0]:g}x input everywhere")
price_table

# %% [markdown]
# The ratios the later chapters build on, computed from the table (output tokens, where thinking
# is billed too):

# %%
per_output = served["output $/MTok"] / served.loc[HAIKU, "output $/MTok"]
ratios = pd.DataFrame({f"output token, in {HAIKU} output tokens": per_output})
display(ratios)
prose(
    f"One {OPUS} output token costs {per_output[OPUS]:g} {HAIKU} output tokens; a {SONNET} one "
    f"{per_output[SONNET]:g}; even the previous Haiku's ({LEGACY_HAIKU}) costs "
    f"{per_output[LEGACY_HAIKU]:g}. So {per_output[OPUS]:g} Haiku 5.5 calls cost about what one "
    f"Opus 5.5 call of the same length costs: self-consistency votes, cheap planners and graders "
    f"(chapters 02 to 05) are measured against that."
)

# %% [markdown]
# ### Haiku 5.5's long-prompt tier
#
# A call's cost is `input × input price + output × output price`, but which prices depends on
# the prompt's size. One token over the line re-prices the whole call:

# %%
import matplotlib.pyplot as plt

line = prices.price(HAIKU).long_above
below, above = prices.cost_usd(HAIKU, line, 1_000), prices.cost_usd(HAIKU, line + 1, 1_000)
sizes = sorted({*range(10_000, 200_001, 2_500), line, line + 1})  # both sides of the line
fig, ax = plt.subplots(figsize=(8, 3.4), dpi=100)
for m, style in ((HAIKU, "-"), (LEGACY_HAIKU, "--"), (SONNET, ":")):
    ax.plot(
        [s / 1000 for s in sizes],
        [prices.cost_usd(m, s, 1_000) for s in sizes],
        style,
        label=m,
    )
ax.set_xlabel("prompt size (thousand input tokens, as each model counts them)")
ax.set_ylabel("cost of one call (USD)")
ax.set_yscale("log")
ax.set_title("Cost of one call with 1,000 output tokens, by prompt size")
ax.legend(fontsize=8)
fig.tight_layout()
prose(
    f"At {line:,} input tokens and 1,000 output tokens a {HAIKU} call costs ${below:.4f}; at "
    f"{line + 1:,} it costs ${above:.4f}, {above / below:.1f}× as much. Above the line it is "
    f"still {prices.cost_usd(LEGACY_HAIKU, line + 1, 1_000) / above:.1f}× cheaper than "
    f"{LEGACY_HAIKU} per token (mind the new tokenizer's extra tokens), and "
    f"{prices.cost_usd(SONNET, line + 1, 1_000) / above:.1f}× cheaper than {SONNET}. Keep prompts "
    f"for the cheap model under the line when you can: split a long document (chapter 02)."
)

# %% [markdown]
# ### A cost example
#
# The task: summarize 10,000 support tickets, one call each. We send the five tickets above to
# each of today's models and to Haiku 4.5 (the contrast), average their tokens, cost and
# model-seconds, and scale up. (One call would do for tokens; latency varies from call to
# call, so it needs a few.) `orchestra.LLM` does the bookkeeping: every reply carries its
# tokens (thinking included), its cost from the price table, and its latency.

# %%
compared = [HAIKU, SONNET, OPUS, LEGACY_HAIKU]
rows = []
for m in compared:
    async with LLM(m, backend=backend) as llm:
        replies = [await llm.ask(f"Summarize in one sentence: {t}") for t in tickets]
    n = len(replies)
    rows.append(
        {
            "model": m,
            "input tokens": sum(r.input_tokens for r in replies) / n,
            "output tokens": sum(r.output_tokens for r in replies) / n,
            "of which thinking": sum(r.thinking_tokens for r in replies) / n,
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
        "of which thinking": 1,
        "cost per call ($)": 6,
        "cost per 10k calls ($)": 2,
        "latency (s)": 2,
    }
)

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6), dpi=100)
names = [m.replace("claude-", "") for m in costs.index]
colours = ["tab:green", "tab:blue", "tab:purple", "tab:gray"]
left.bar(names, costs["cost per 10k calls ($)"], color=colours)
left.set_ylabel("cost of 10,000 calls (USD, log scale)")
left.set_yscale("log")
left.set_title("Cost: 10,000 one-sentence summaries")
unit = "simulated" if backend == "sim" else "wall-clock"
right.bar(names, costs["latency (s)"], color=colours)
right.set_ylabel(f"mean latency per call ({unit} s)")
right.set_title(f"Latency per call, mean of {len(tickets)} ({unit})")
for ax in (left, right):
    ax.set_xlabel("model")
fig.tight_layout()

# %%
cost, latency = costs["cost per 10k calls ($)"], costs["latency (s)"]
today = costs.loc[[HAIKU, SONNET, OPUS]]
cheap, dear = today["cost per 10k calls ($)"].idxmin(), today["cost per 10k calls ($)"].idxmax()
slow = today["latency (s)"].idxmax()
thinking_share = costs["of which thinking"] / costs["output tokens"]
prose(
    f"Read the two charts together: {dear} costs {cost[dear] / cost[cheap]:.0f}× what {cheap} "
    f"costs for the same summaries (${cost[dear]:,.2f} vs ${cost[cheap]:,.2f} per 10,000 calls)"
    + (
        f", and it is also the slowest of today's models ({latency[slow]:.2f} vs "
        f"{latency[cheap]:.2f} {unit} seconds per call)."
        if dear == slow
        else f"; the slowest of today's models is {slow} ({latency[slow]:.2f} {unit} seconds "
        f"per call)."
    )
    + f" The previous Haiku costs {cost[LEGACY_HAIKU] / cost[HAIKU]:.1f}× what {HAIKU} does, "
    f"not {per_output[LEGACY_HAIKU]:g}×: {HAIKU} wrote "
    f"{costs.loc[HAIKU, 'output tokens'] / costs.loc[LEGACY_HAIKU, 'output tokens']:.1f}× as "
    f"many output tokens. "
    f"Thinking was {thinking_share[HAIKU]:.0%} of {HAIKU}'s output tokens here, and it is "
    f"billed: a one-sentence summary pays for the reasoning behind it."
)

# %% [markdown]
# Most workflows in this kit route cheap, frequent work to Haiku and reserve Opus for the few calls
# where quality pays (chapter 03 measures exactly that); effort is the second dial, on any model
# (chapter 04 measures it).
#
# Latency here is **simulated seconds** (`model_s`): the model-seconds the simulator charged each
# call, which is what the call would take on the modelled service. `time_scale` only decided how
# long the notebook waited for it on the wall clock (model-seconds × `time_scale`). On real
# Claude (`backend="anthropic"`) it is the wall-clock latency each call was measured at.
#
# ## Interview angle
#
# - *"How would you test an LLM pipeline without paying for calls or getting flaky results?"*
#   Point the official client at a deterministic fake by base URL (not a mock of your own code),
#   seed everything, and stage failures explicitly; keep one small suite against the real API.
# - *"What is in the price of a call?"* Input tokens plus output tokens, at different rates (output
#   costs 5x input on every Claude tier, asserted above); thinking tokens are output tokens; the
#   system prompt and tool schemas are input tokens too; and on Haiku 5.5 the prompt's size picks
#   the tier.
# - *"You are moving a pipeline from the 4.5 models to 5.5. What breaks?"* Requests that set
#   `temperature` or prefill the assistant's turn (400s), code that reads `content[0]` as the
#   answer (a thinking block comes first), `max_tokens` sized for the answer alone (thinking
#   counts in it), token budgets (the new tokenizer counts about 30% more, measured above), and
#   any call to a retired model (404). Reproducibility no longer comes from temperature 0: pin
#   the prompt and the model, and evaluate on sets, not single answers.
# - *"Streaming or not?"* Streaming improves time to first token, not total latency or cost; on a
#   thinking model the first answer token still waits for the thinking; it complicates retries (a
#   stream can fail midway) and structured output.
# - *"What happens on a 429?"* The SDK retries with backoff and honours `retry-after`; you still
#   need a shared limiter when you fan out (chapter 02) and a policy when retries run out (chapter 07).

# %%
if simulator:
    simulator.stop()
