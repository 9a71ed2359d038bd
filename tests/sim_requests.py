"""A Messages API request for the simulator's brain, built in one line by the sim tests."""

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
