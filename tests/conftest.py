"""Shared fixtures: one simulator for the session, reset to quiet defaults for every test."""

from __future__ import annotations

import gc
import inspect

import pytest

from orchestra import sim as simulator

# langchain's standard suite runs in its own environment (`make conformance`), not in this run.
collect_ignore = ["conformance"]


@pytest.fixture(autouse=True)
def _collect_after_async_tests(request):
    """After an async test, collect its leftovers outside any event loop (see ``sim`` below).

    Without this, an HTTP client a test left behind is collected inside whichever later test's
    loop runs next, tries to close itself on the loop it used, which is closed, and that test
    fails: which one depends on the order the workers run tests in.
    """
    yield
    if inspect.iscoroutinefunction(getattr(request, "function", None)):
        gc.collect()


@pytest.fixture
def anyio_backend():
    """Async tests (``pytest.mark.anyio``) run on asyncio."""
    return "asyncio"


@pytest.fixture(scope="session")
def _server():
    s = simulator.start(seed=0, time_scale=0.0)
    yield s
    s.stop()


@pytest.fixture
def sim(_server):
    """The session's simulator, with no faults, no limits and time_scale 0."""
    _server.configure(time_scale=0.0, faults=simulator.Faults(), limits=simulator.Limits())
    _server.use()
    yield _server
    _server.configure(time_scale=0.0, faults=simulator.Faults(), limits=simulator.Limits())
    # Collect this test's HTTP clients now, outside any event loop: some clients close
    # themselves on whatever loop is running when they are collected, and inside a later
    # test's loop that fails, since the loop they used is gone.
    gc.collect()
