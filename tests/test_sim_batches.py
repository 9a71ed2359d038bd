"""The Message Batches API in the simulator (``orchestra.sim.batches``), through the SDK."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import anthropic
import httpx
import pytest

from orchestra.prices import usage_cost_usd
from orchestra.sim import Faults, Limits, batches

HAIKU = "claude-haiku-5-5"
HOURS = 3600.0


@pytest.fixture
def server(_server):
    """The session's simulator at time_scale 0.001: an hour of model time is 3.6 wall seconds,
    so a batch stays in progress until a test moves the clock on (``advance``)."""
    yield _server.configure(time_scale=0.001, faults=Faults(), limits=Limits())
    _server.configure(time_scale=0.0)


@pytest.fixture
def client(server, request):
    key = request.node.name  # a key per test: each sees only its own batches
    return anthropic.Anthropic(base_url=server.url, api_key=key, max_retries=0)


def params(text: str, **kw) -> dict:
    return {
        "model": HAIKU,
        "max_tokens": 200,
        "messages": [{"role": "user", "content": f"Summarize: {text}"}],
        **kw,
    }


def requests(n: int = 3) -> list[dict]:
    return [
        {"custom_id": f"doc-{i}", "params": params(f"Document {i} says item {i} shipped late.")}
        for i in range(n)
    ]


def finish(server, client, batch_id: str):
    """Let the batch run to its end in model time, then read it."""
    server.advance(25 * HOURS)
    return client.messages.batches.retrieve(batch_id)


def test_create_retrieve_and_results_through_the_sdk(server, client):
    batch = client.messages.batches.create(requests=requests(12))
    assert batch.id.startswith("msgbatch_") and batch.type == "message_batch"
    assert batch.processing_status == "in_progress" and batch.results_url is None
    assert batch.request_counts.processing == 12 and batch.request_counts.succeeded == 0
    with pytest.raises(anthropic.AnthropicError, match="finished processing"):
        client.messages.batches.results(batch.id)
    done = finish(server, client, batch.id)
    assert done.processing_status == "ended" and done.request_counts.succeeded == 12
    assert done.results_url.endswith(f"/v1/messages/batches/{batch.id}/results")
    results = list(client.messages.batches.results(batch.id))
    assert sorted(r.custom_id for r in results) == sorted(f"doc-{i}" for i in range(12))
    assert [r.custom_id for r in results] != [f"doc-{i}" for i in range(12)]  # in finishing order
    assert all(r.result.type == "succeeded" and r.result.message.content for r in results)


def test_a_batch_takes_minutes_to_hours_of_model_time(server, client):
    made = [client.messages.batches.create(requests=requests(3)) for _ in range(5)]
    server.advance(25 * HOURS)
    spans = [
        (b.ended_at - b.created_at).total_seconds()
        for b in (client.messages.batches.retrieve(m.id) for m in made)
    ]
    assert all(60 < s < 24 * HOURS for s in spans) and len(set(spans)) == 5  # seeded waits
    assert made[0].expires_at - made[0].created_at == timedelta(hours=24)


def test_a_request_the_messages_api_refuses_is_errored_with_its_error(server, client):
    bad = params("x", temperature=0.5)  # the 5.x models refuse a temperature other than 1
    with pytest.raises(anthropic.BadRequestError) as direct:
        client.messages.create(**bad)
    batch = client.messages.batches.create(
        requests=[*requests(2), {"custom_id": "bad", "params": bad}]
    )
    assert finish(server, client, batch.id).request_counts.errored == 1
    (errored,) = [r for r in client.messages.batches.results(batch.id) if r.custom_id == "bad"]
    assert errored.result.type == "errored"
    assert errored.result.error.error.type == "invalid_request_error"
    assert errored.result.error.error.message == direct.value.body["error"]["message"]


def test_cancel_stops_what_has_not_started(server, client):
    batch = client.messages.batches.create(requests=requests(4))
    canceling = client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at
    done = finish(server, client, batch.id)
    assert done.processing_status == "ended" and done.request_counts.canceled == 4
    assert {r.result.type for r in client.messages.batches.results(batch.id)} == {"canceled"}


def test_requests_not_done_within_24_hours_expire(server, client, monkeypatch):
    monkeypatch.setattr(batches, "QUEUE_S", 100 * HOURS)  # a queue far longer than a day
    batch = client.messages.batches.create(requests=requests(2))
    done = finish(server, client, batch.id)
    assert done.request_counts.expired == 2
    assert (done.ended_at - done.created_at).total_seconds() == 24 * HOURS
    assert {r.result.type for r in client.messages.batches.results(batch.id)} == {"expired"}


def test_at_time_scale_0_a_batch_has_ended_when_created(server, client):
    server.configure(time_scale=0.0)
    batch = client.messages.batches.create(requests=requests(2))
    assert batch.processing_status == "ended" and batch.request_counts.succeeded == 2


def test_list_is_newest_first_paged_and_per_key(server, client):
    made = [client.messages.batches.create(requests=requests(1)).id for _ in range(3)]
    assert [b.id for b in client.messages.batches.list()] == made[::-1]
    first = client.messages.batches.list(limit=2)
    assert [b.id for b in first.data] == made[:0:-1] and first.has_more
    assert [b.id for b in client.messages.batches.list(limit=2, after_id=made[1])] == made[:1]
    other = anthropic.Anthropic(base_url=server.url, api_key="someone-else", max_retries=0)
    assert list(other.messages.batches.list()) == []
    with pytest.raises(anthropic.NotFoundError):
        other.messages.batches.retrieve(made[0])


def test_a_batch_is_billed_at_half_price(server, client):
    batch = client.messages.batches.create(requests=requests(1))
    finish(server, client, batch.id)
    (r,) = client.messages.batches.results(batch.id)
    usage = r.result.message.usage
    assert usage.service_tier == "batch"
    assert usage_cost_usd(HAIKU, usage, batch=True) == pytest.approx(
        usage_cost_usd(HAIKU, usage) / 2
    )


def test_prompt_caching_applies_inside_a_batch(server, client):
    policy = "Refund policy. " + " ".join(f"Rule {i}: {i % 30 + 1} days." for i in range(150))
    cached = [{"type": "text", "text": policy, "cache_control": {"type": "ephemeral"}}]
    reqs = [
        {"custom_id": f"q{i}", "params": params(f"order {i} is late.", system=cached)}
        for i in range(batches.LANES + 4)
    ]
    batch = client.messages.batches.create(requests=reqs)
    finish(server, client, batch.id)
    usage = {r.custom_id: r.result.message.usage for r in client.messages.batches.results(batch.id)}
    # the first LANES run side by side and all write; the rest start later and read
    first = [usage[f"q{i}"] for i in range(batches.LANES)]
    rest = [usage[f"q{i}"] for i in range(batches.LANES, batches.LANES + 4)]
    assert all(
        u.cache_creation_input_tokens > 512 and u.cache_read_input_tokens == 0 for u in first
    )
    assert all(u.cache_read_input_tokens > 512 and u.cache_creation_input_tokens == 0 for u in rest)


def test_a_malformed_create_is_refused_whole(server, client):
    dup = [*requests(1), *requests(1)]
    with pytest.raises(anthropic.BadRequestError, match="custom_id"):
        client.messages.batches.create(requests=dup)
    with pytest.raises(anthropic.BadRequestError, match="requests"):
        client.messages.batches.create(requests=[])
    with pytest.raises(anthropic.BadRequestError, match="custom_id"):
        client.messages.batches.create(requests=[{"custom_id": "a b", "params": params("x")}])


def test_delete_only_after_the_end(server, client):
    batch = client.messages.batches.create(requests=requests(1))
    with pytest.raises(anthropic.BadRequestError, match="cancel it first"):
        client.messages.batches.delete(batch.id)
    finish(server, client, batch.id)
    assert client.messages.batches.delete(batch.id).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(batch.id)


def test_results_of_an_unfinished_batch_are_a_404_in_the_api_s_shape(server, client):
    batch = client.messages.batches.create(requests=requests(1))
    r = httpx.get(
        f"{server.url}/v1/messages/batches/{batch.id}/results",
        headers={"x-api-key": client.api_key, "anthropic-version": "2023-06-01"},
    )
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"


def test_the_log_gets_a_line_per_answered_request_when_the_batch_ends(server, client):
    done = client.messages.batches.create(requests=requests(3))
    stopped = client.messages.batches.create(requests=requests(2))
    client.messages.batches.cancel(stopped.id)
    assert not [e for e in server.log if e.get("batch")]  # nothing before the end
    finish(server, client, done.id)  # both end: 25 hours later
    lines = [e for e in server.log if e.get("batch")]
    assert [e["batch"] for e in lines] == [done.id] * 3  # the canceled ones cost nothing
    billed = sum(usage_cost_usd(e["model"], e, batch=True) for e in lines)
    paid = sum(
        usage_cost_usd(HAIKU, r.result.message.usage, batch=True)
        for r in client.messages.batches.results(done.id)
    )
    assert billed == pytest.approx(paid) and billed > 0


def test_the_async_sdk_polls_and_reads_results_too(server, client):
    async def run() -> tuple[str, list[str]]:
        async with anthropic.AsyncAnthropic(
            base_url=server.url, api_key=client.api_key, max_retries=0
        ) as aclient:
            batch = await aclient.messages.batches.create(requests=requests(3))
            server.advance(25 * HOURS)
            done = await aclient.messages.batches.retrieve(batch.id)
            ids = [r.custom_id async for r in await aclient.messages.batches.results(batch.id)]
            return done.processing_status, ids

    status, ids = asyncio.run(run())
    assert status == "ended" and sorted(ids) == ["doc-0", "doc-1", "doc-2"]
