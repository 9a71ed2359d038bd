"""The simulator as the official SDK and a raw HTTP client see it."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time

import anthropic
import httpx
import pytest

from orchestra import sim as simulator
from orchestra.sim import Faults, Limits, Rule

HAIKU = "claude-haiku-4-5"
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def ask(client, content="Summarize: The cat sat on the mat. It was warm.", **kw):
    kw.setdefault("model", HAIKU)
    kw.setdefault("max_tokens", 200)
    kw.setdefault("temperature", 0)
    return client.messages.create(messages=[{"role": "user", "content": content}], **kw)


@pytest.fixture
def client(sim):
    return anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)


def test_message_shape_and_usage(client):
    m = ask(client, system="You are terse.")
    assert m.type == "message" and m.role == "assistant" and m.model == HAIKU
    assert m.content[0].type == "text" and m.content[0].text
    assert m.stop_reason == "end_turn"
    assert m.usage.input_tokens > 5 and m.usage.output_tokens >= 1


def test_count_tokens_matches_billed_input(client):
    messages = [{"role": "user", "content": "Plan the steps to bake bread and sell it."}]
    counted = client.messages.count_tokens(model=HAIKU, messages=messages, system="Be brief.")
    billed = client.messages.create(
        model=HAIKU, max_tokens=50, messages=messages, system="Be brief."
    )
    assert counted.input_tokens == billed.usage.input_tokens


def test_multi_turn_conversation(client):
    m = client.messages.create(
        model=HAIKU,
        max_tokens=100,
        messages=[
            {"role": "user", "content": "My order number is 4411."},
            {"role": "assistant", "content": "Thanks, noted."},
            {"role": "user", "content": [{"type": "text", "text": "What happens next?"}]},
        ],
    )
    assert m.content[0].text


def test_max_tokens_cuts_the_answer(client):
    full = ask(client, "Tell me about the history of the bicycle in Europe.", max_tokens=400)
    cut = ask(client, "Tell me about the history of the bicycle in Europe.", max_tokens=3)
    assert full.usage.output_tokens > 3
    assert cut.stop_reason == "max_tokens" and cut.usage.output_tokens == 3
    assert full.content[0].text.startswith(cut.content[0].text.strip()[:5])


def test_stop_sequence_ends_the_answer(client):
    full = ask(client, "Tell me about the history of the bicycle in Europe.").content[0].text
    word = full.split()[3]
    m = ask(client, "Tell me about the history of the bicycle in Europe.", stop_sequences=[word])
    assert m.stop_reason == "stop_sequence" and m.stop_sequence == word
    assert word not in m.content[0].text


def test_streaming_gives_the_same_answer_as_a_plain_call(client):
    plain = ask(client).content[0].text
    with client.messages.stream(
        model=HAIKU,
        max_tokens=200,
        temperature=0,
        messages=[{"role": "user", "content": "Summarize: The cat sat on the mat. It was warm."}],
    ) as s:
        pieces = list(s.text_stream)
        final = s.get_final_message()
    assert len(pieces) >= 1 and "".join(pieces) == plain == final.content[0].text
    assert final.usage.output_tokens == ask(client).usage.output_tokens


def test_stream_event_order(sim):
    body = {
        "model": HAIKU,
        "max_tokens": 100,
        "stream": True,
        "messages": [{"role": "user", "content": "Hello there, how are you today?"}],
    }
    r = httpx.post(f"{sim.url}/v1/messages", headers=HEADERS, json=body)
    names = [line[7:] for line in r.text.splitlines() if line.startswith("event: ")]
    assert r.headers["content-type"].startswith("text/event-stream")
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert (
        names.index("content_block_start")
        < names.index("content_block_delta")
        < names.index("content_block_stop")
    )


def test_forced_tool_returns_tool_use(client):
    tool = {
        "name": "record",
        "description": "Record the ticket's category.",
        "input_schema": {
            "type": "object",
            "required": ["category"],
            "properties": {
                "category": {"type": "string", "enum": ["billing", "technical", "account"]}
            },
        },
    }
    m = ask(
        client,
        "Classify this ticket: I was charged twice for my invoice, please refund.",
        tools=[tool],
        tool_choice={"type": "tool", "name": "record"},
    )
    block = m.content[0]
    assert m.stop_reason == "tool_use" and block.type == "tool_use" and block.name == "record"
    assert block.input["category"] in {"billing", "technical", "account"}


def test_same_seed_same_answers_other_seed_differs():
    prompts = [f"Write a short note about topic number {i} and its benefits." for i in range(12)]

    def answers(seed):
        with simulator.Simulator(seed=seed).start() as s:
            c = anthropic.Anthropic(base_url=s.url, api_key="k", max_retries=0)
            return [ask(c, p, temperature=1.0).content[0].text for p in prompts]

    assert answers(7) == answers(7)
    assert answers(7) != answers(8)


# -- errors -------------------------------------------------------------------------------------
def error_of(r: httpx.Response) -> dict:
    body = r.json()
    assert body["type"] == "error" and set(body["error"]) == {"type", "message"}
    return body["error"]


@pytest.mark.parametrize(
    "raw, wanted",
    [
        (b"{not json", "Invalid JSON"),
        (b'{"model": "claude-haiku-4-5", "max_tokens": 10}', "messages: Field required"),
        (
            b'{"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "x"}]}',
            "max_tokens: Field required",
        ),
        (
            b'{"model": "claude-haiku-4-5", "max_tokens": 10, "messages": [{"role": "robot", "content": "x"}]}',
            "role",
        ),
        (
            b'{"model": "claude-haiku-4-5", "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]}',
            "max_tokens",
        ),
        (
            b'{"model": "claude-haiku-4-5", "max_tokens": 9, "messages": [{"role": "user", "content": "x"}],'
            b' "output_format": {"type": "xml"}}',
            "output_format",
        ),
    ],
)
def test_malformed_bodies_get_400(sim, raw, wanted):
    r = httpx.post(f"{sim.url}/v1/messages", headers=HEADERS, content=raw)
    assert r.status_code == 400
    err = error_of(r)
    assert err["type"] == "invalid_request_error" and wanted in err["message"]


def test_missing_key_is_401(sim):
    r = httpx.post(
        f"{sim.url}/v1/messages",
        headers={"content-type": "application/json"},
        json={"model": HAIKU, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
    )
    assert r.status_code == 401 and error_of(r)["type"] == "authentication_error"


def test_unknown_model_is_404(client):
    with pytest.raises(anthropic.NotFoundError) as info:
        ask(client, model="claude-imaginary-9")
    assert "claude-imaginary-9" in str(info.value)


def test_oversize_request_is_413():
    with simulator.Simulator(max_request_bytes=2000).start() as s:
        r = httpx.post(
            f"{s.url}/v1/messages",
            headers=HEADERS,
            json={
                "model": HAIKU,
                "max_tokens": 5,
                "messages": [{"role": "user", "content": "x" * 5000}],
            },
        )
        assert r.status_code == 413 and error_of(r)["type"] == "request_too_large"
        assert (
            httpx.post(
                f"{s.url}/v1/messages",
                headers=HEADERS,
                json={
                    "model": HAIKU,
                    "max_tokens": 5,
                    "messages": [{"role": "user", "content": "hi"}],
                },
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    "kind, status, error_type, sdk_error",
    [
        ("overloaded", 529, "overloaded_error", anthropic.APIStatusError),
        ("server_error", 500, "api_error", anthropic.InternalServerError),
        ("rate_limit", 429, "rate_limit_error", anthropic.RateLimitError),
    ],
)
def test_scripted_fault_hits_exactly_the_nth_matching_call(
    sim, client, kind, status, error_type, sdk_error
):
    sim.configure(faults=Faults(plan=[Rule(kind, match="invoice", nth=3)]))
    outcomes = []
    for i in range(5):
        for topic in ("invoice", "weather"):
            try:
                ask(client, f"Question {i} about the {topic}.")
                outcomes.append((topic, "ok"))
            except sdk_error as exc:
                assert exc.status_code == status and exc.body["error"]["type"] == error_type
                assert "retry-after" in exc.response.headers
                outcomes.append((topic, status))
    assert outcomes.count(("invoice", status)) == 1 and outcomes[4] == ("invoice", status)
    assert all(o == "ok" for t, o in outcomes if t == "weather")


def test_sdk_retries_a_scripted_529_by_itself(sim):
    sim.configure(faults=Faults(plan=[Rule("overloaded", nth=1)]))
    c = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=2)
    raw = c.messages.with_raw_response.create(
        model=HAIKU, max_tokens=20, messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.retries_taken == 1 and raw.parse().content[0].text


def test_fault_rates_are_seeded_and_close_to_the_dial():
    def failures(seed):
        s = simulator.Simulator(seed=seed, faults=Faults(overloaded=0.25)).start()
        c = anthropic.Anthropic(base_url=s.url, api_key="k", max_retries=0)
        out = []
        for i in range(300):
            try:
                ask(c, f"Note {i}", max_tokens=5)
            except anthropic.APIStatusError:
                out.append(i)
        s.stop()
        return out

    a = failures(3)
    assert a == failures(3) and a != failures(4)
    assert 0.17 < len(a) / 300 < 0.33


def test_hang_until_client_timeout_then_keeps_serving(sim):
    sim.configure(faults=Faults(plan=[Rule("hang", nth=1)]))
    c = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0, timeout=0.3)
    t = time.perf_counter()
    with pytest.raises(anthropic.APITimeoutError):
        ask(c)
    assert 0.25 < time.perf_counter() - t < 2
    assert ask(c).content[0].text


def test_truncate_fault_stops_early(sim, client):
    text = "Tell me about the history of the bicycle in Europe."
    full = ask(client, text)
    sim.configure(faults=Faults(truncate=1.0))
    cut = ask(client, text)
    assert cut.stop_reason == "max_tokens" and cut.usage.output_tokens < full.usage.output_tokens


def test_bad_json_fault_breaks_json_answers(sim, client):
    prompt = (
        "Extract the following fields as JSON: name, email.\n"
        "Text: Hi, I am Ada Lovelace, write to ada@example.com."
    )
    assert set(json.loads(ask(client, prompt).content[0].text)) == {"name", "email"}
    sim.configure(faults=Faults(bad_json=1.0))
    with pytest.raises(json.JSONDecodeError):
        json.loads(ask(client, prompt).content[0].text)


def test_bad_fault_settings_are_named_errors():
    from orchestra.errors import SimulatorError

    with pytest.raises(SimulatorError, match="sum to at most 1"):
        Faults(overloaded=0.8, rate_limit=0.5)
    with pytest.raises(SimulatorError, match="unknown fault kind"):
        Rule("explode")
    with pytest.raises(SimulatorError, match="not a valid regex"):
        Rule("overloaded", match="(")


# -- rate limits --------------------------------------------------------------------------------
def test_requests_per_minute_enforced_with_headers(sim, client):
    # a minute is 3 s: seven quick calls in a row outrun the refill even on a loaded machine
    sim.configure(time_scale=0.05, limits=Limits(requests_per_minute=5))
    ok, limited = 0, None
    for i in range(7):
        try:
            ask(client, f"Ping {i}", max_tokens=5)
            ok += 1
        except anthropic.RateLimitError as exc:
            limited = exc
    assert ok == 5 and limited is not None
    h = limited.response.headers
    assert h["anthropic-ratelimit-requests-limit"] == "5"
    assert h["anthropic-ratelimit-requests-remaining"] == "0"
    assert 0 < float(h["retry-after-ms"]) <= 610  # one request refills in 0.6 s
    time.sleep(float(h["retry-after-ms"]) / 1000 + 0.01)
    assert ask(client, "Ping again", max_tokens=5).content


def test_sdk_rides_out_rate_limits_with_retry_after(sim):
    # one request per 600 ms: slower than a request takes even on a loaded machine
    sim.configure(time_scale=0.05, limits=Limits(requests_per_minute=5))
    c = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=5)
    retries = [
        c.messages.with_raw_response.create(
            model=HAIKU, max_tokens=5, messages=[{"role": "user", "content": f"Ping {i}"}]
        ).retries_taken
        for i in range(9)
    ]
    assert retries[:5] == [0] * 5 and all(r >= 1 for r in retries[5:])


def test_token_limits_are_enforced(sim, client):
    sim.configure(time_scale=0.01, limits=Limits(input_tokens_per_minute=300))
    long = "word " * 120
    ask(client, long, max_tokens=5)
    ask(client, long, max_tokens=5)
    with pytest.raises(anthropic.RateLimitError) as info:
        ask(client, long, max_tokens=5)
    assert info.value.response.headers["anthropic-ratelimit-input-tokens-limit"] == "300"


# -- latency ------------------------------------------------------------------------------------
def test_latency_follows_model_profiles_and_time_scale(sim):
    sim.configure(time_scale=0.02)
    c = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
    seconds = {}
    for model in ("claude-haiku-4-5", "claude-opus-4-5"):
        t = time.perf_counter()
        raw = c.messages.with_raw_response.create(
            model=model,
            max_tokens=300,
            temperature=0,
            messages=[{"role": "user", "content": "Tell me about the history of the bicycle."}],
        )
        wall = time.perf_counter() - t
        model_s = float(raw.headers["orchestra-sim-model-seconds"])
        assert wall >= model_s * 0.02 * 0.95
        seconds[model] = model_s
    assert seconds["claude-haiku-4-5"] < seconds["claude-opus-4-5"]


# -- robustness ---------------------------------------------------------------------------------
def mutate(rng: random.Random) -> bytes:
    """A random broken variant of a valid request body."""
    body = {
        "model": HAIKU,
        "max_tokens": 20,
        "messages": [{"role": "user", "content": "hi"}],
        "system": "s",
        "temperature": 0.5,
        "stop_sequences": ["x"],
        "tools": [],
        "stream": False,
    }
    junk = [None, 0, -1, 2.5, "", "x", [], {}, [1], {"a": 1}, True, "\u0000", 10**20]
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(sorted(body) + ["extra"])
        action = rng.random()
        if action < 0.3:
            body.pop(key, None)
        elif action < 0.8:
            body[key] = rng.choice(junk)
        elif isinstance(body.get("messages"), list) and body["messages"]:
            body["messages"][0] = rng.choice(
                [
                    {"role": "user"},
                    {"content": "x"},
                    "x",
                    {"role": "user", "content": [{"type": 1}]},
                    {"role": "user", "content": [{"type": "text"}]},
                ]
            )
    raw = json.dumps(body).encode()
    if rng.random() < 0.15:
        cut = rng.randrange(len(raw))
        raw = raw[:cut] + bytes([rng.randrange(256)]) + raw[cut + 1 :]
    return raw


def test_a_thousand_fuzzed_bodies_leave_the_server_serving(sim):
    rng = random.Random(1234)
    statuses = set()
    with httpx.Client(base_url=sim.url, headers=HEADERS) as http:
        for _ in range(1000):
            r = http.post("/v1/messages", content=mutate(rng))
            statuses.add(r.status_code)
            if r.status_code != 200:
                error_of(r)
        ok = http.post(
            "/v1/messages",
            json={"model": HAIKU, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]},
        )
    assert statuses <= {200, 400, 404} and 400 in statuses
    assert ok.status_code == 200


def test_cli_serves_standalone():
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestra", "sim", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = line.split(" at ")[1].split()[0]
        c = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)
        assert ask(c).content[0].text
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0


def test_string_and_text_block_content_get_the_same_answer(client):
    prompt = "Write a product description for the Aero kettle. It must mention: price, capacity, warranty"
    as_string = ask(client, prompt)
    as_blocks = client.messages.create(
        model=HAIKU,
        max_tokens=200,
        temperature=0,
        messages=[{"role": "user", "content": [{"type": "text", "text": prompt}]}],
    )
    assert as_blocks.content[0].text == as_string.content[0].text


def test_a_stream_s_first_text_waits_for_the_thinking_even_when_it_is_not_shown():
    from orchestra.sim.app import pauses

    events = [
        ("content_block_start", {"content_block": {"type": "thinking", "thinking": ""}}),
        ("content_block_delta", {"delta": {"type": "signature_delta", "signature": "abc"}}),
        ("content_block_delta", {"delta": {"type": "text_delta", "text": "Hello there"}}),
        ("content_block_delta", {"delta": {"type": "text_delta", "text": "Hello there"}}),
    ]
    usage = {"output_tokens": 100, "output_tokens_details": {"thinking_tokens": 80}}
    waits = pauses(events, usage, 10.0)
    assert waits == pytest.approx([8.0, 1.0, 1.0])  # the signature carries the thinking's time
    assert pauses(events, {}, 9.0) == pytest.approx([3.0, 3.0, 3.0])  # no usage: evenly
