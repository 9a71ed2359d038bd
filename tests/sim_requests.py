"""A Messages API request for the simulator's brain, built in one line by the sim tests."""

import re

from orchestra.sim.api import Request


def request(messages, system=None, tools=None, tool_choice=None, json_schema=None) -> Request:
    """A checked request for ``messages`` (a string is one user turn); None means not sent."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    body = {"model": "claude-haiku-5-5", "max_tokens": 4096, "messages": messages}
    body |= {"system": system} if system is not None else {}
    body |= {"tools": tools} if tools is not None else {}
    body |= {"tool_choice": tool_choice} if tool_choice is not None else {}
    if json_schema is not None:
        body["output_format"] = {"type": "json_schema", "schema": json_schema}
    return Request.model_validate(body)


def tag(text: str | None, name: str) -> str | None:
    """The text of the first ``<name>`` element, stripped; None when there is none."""
    m = re.search(rf"(?s)<{name}>(.*?)</{name}>", text or "")
    return m.group(1).strip() if m else None


def tags(text: str | None, name: str) -> list[str]:
    """The text of every ``<name>`` element, stripped, in order."""
    return [t.strip() for t in re.findall(rf"(?s)<{name}>(.*?)</{name}>", text or "")]
