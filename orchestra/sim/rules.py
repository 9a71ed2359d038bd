"""What each model refuses, in the API's words (chapter 00).

``check`` reads a parsed request against its model's ``prices.Listing`` and raises
``api.ApiError`` (a 400 ``invalid_request_error``) for what that model refuses: sampling
parameters and assistant prefill on the 5.x models, thinking types and effort values a model
does not take, forced tool use on Sonnet and Opus 5.5, the old computer-use tools, and replayed
thinking blocks whose text or earlier history was edited. Otherwise it returns the request's
``Settings``: how it thinks, with the model's defaults filled in.

    >>> from orchestra.prices import listing
    >>> req = Request(model="claude-opus-5-5", max_tokens=100, temperature=0.2,
    ...               messages=[{"role": "user", "content": "Hi"}])
    >>> check(req, listing(req.model), seed=0)
    Traceback (most recent call last):
    ...
    orchestra.sim.api.ApiError: `temperature` is deprecated for this model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestra.prices import EFFORTS, Listing
from orchestra.sim import signatures
from orchestra.sim.api import ApiError, Request, Thinking

DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
OLD_COMPUTER_USE = ("computer_20250124", "computer_20251124")
NEW_COMPUTER_USE = "computer_toolset_20260801"
MIN_BUDGET = 1024
OFF_UP_TO = "high"
"""The highest effort at which a model that thinks by default may have its thinking turned off
(``disabled`` on Haiku 5.5, ``between_tools`` on Sonnet 5.5)."""


@dataclass(frozen=True)
class Settings:
    """How one request thinks, the model's defaults filled in."""

    thinking: Literal["adaptive", "enabled", "between_tools", "off"]
    """``adaptive`` (effort and the task decide how much), ``enabled`` (up to ``budget``),
    ``between_tools`` (only after a tool result) or ``off``."""
    effort: str | None
    """The effort in force (sent, or the model's default); None on a model without effort."""
    display: str
    """``summarized`` or ``omitted``: whether the thinking text comes back."""
    budget: int | None = None
    """``enabled`` only: ``thinking.budget_tokens``."""


def bad(message: str) -> ApiError:
    return ApiError(400, message)


def check(req: Request, model: Listing, seed: int) -> Settings:
    """The request's ``Settings``, or the ``ApiError`` the model answers it with."""
    sampling(req, model)
    if not model.prefill and req.messages[-1].role == "assistant":
        raise bad("Prefilling assistant messages is not supported for this model.")
    s = thinking(req, model)
    choice = req.tool_choice.type if req.tool_choice else "auto"
    if choice in ("any", "tool"):
        if not model.forced_tools:
            raise bad('tool_choice: type "tool" and "any" are not supported for this model.')
        if s.thinking == "enabled":
            raise bad("Thinking may not be enabled when tool_choice forces tool use.")
    for i, tool in enumerate(req.tools or []):
        if tool.type in OLD_COMPUTER_USE and not model.legacy_computer_use:
            raise bad(
                f"tools.{i}.type: '{tool.type}' is not supported for this model. "
                f"Use '{NEW_COMPUTER_USE}'."
            )
    replayed(req, model, seed)
    return s


def sampling(req: Request, model: Listing) -> None:
    """Temperature 1 (the default) passes everywhere; the 5.x models refuse any other value and
    any ``top_p`` or ``top_k``; the 4.5 generation refuses ``temperature`` with ``top_p``."""
    sent = req.model_fields_set
    if not model.sampling:
        if "temperature" in sent and req.temperature != 1:
            raise bad("`temperature` is deprecated for this model.")
        for name in ("top_p", "top_k"):
            if getattr(req, name) is not None:
                raise bad(f"`{name}` is deprecated for this model.")
    elif "temperature" in sent and req.top_p is not None:
        raise bad(
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
        )


def thinking(req: Request, model: Listing) -> Settings:
    """The thinking type and effort, checked against what the model takes."""
    asked = req.thinking.type if req.thinking else model.thinking[0]
    if asked not in model.thinking:
        if model.thinks_by_default:
            turn_off = ' Use "thinking.type.between_tools" to turn off up-front thinking.'
            raise bad(
                f'"thinking.type.{asked}" is not supported for this model.'
                + (turn_off if asked == "disabled" and "between_tools" in model.thinking else "")
                + ' Use "thinking.type.adaptive" and "output_config.effort" to control thinking'
                " behavior."
            )
        raise bad(f"{asked} thinking is not supported on this model")
    effort = req.effort
    if effort is not None and not model.efforts:
        raise bad("This model does not support the effort parameter.")
    if effort is not None and effort not in model.efforts:
        allowed = ", ".join(f"'{e}'" for e in model.efforts)
        raise bad(
            f"output_config.effort: '{effort}' is not supported for this model; use {allowed}"
        )
    effort = effort or model.default_effort
    off = asked in ("disabled", "between_tools")
    if off and model.thinks_by_default and EFFORTS.index(effort) > EFFORTS.index(OFF_UP_TO):
        how = "thinking is disabled" if asked == "disabled" else 'thinking.type is "between_tools"'
        raise bad(
            f"output_config.effort '{effort}' is not supported when {how} on this model. "
            f"Use effort '{OFF_UP_TO}' or below, or enable thinking."
        )
    budget = None
    if asked == "enabled":
        budget = req.thinking.budget_tokens
        if budget is None:
            raise bad("thinking.enabled.budget_tokens: Field required")
        if budget < MIN_BUDGET:
            raise bad(
                f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}"
            )
        if budget >= req.max_tokens:
            raise bad(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
                f"documentation at {DOCS}#max-tokens-and-context-window-size"
            )
        if "temperature" in req.model_fields_set and req.temperature != 1:
            raise bad(
                "`temperature` may only be set to 1 when thinking is enabled. Please consult our "
                f"documentation at {DOCS}#important-considerations-when-using-extended-thinking"
            )
    display = (req.thinking.display if req.thinking else None) or model.display
    mode = "off" if asked == "disabled" else asked
    return Settings(mode, effort, display, budget)


def replayed(req: Request, model: Listing, seed: int) -> None:
    """Each thinking block sent back must carry this model's signature of its text and, on a
    model that binds thinking to its transcript, of the history before it."""
    for i, m in enumerate(req.messages):
        for j, b in enumerate(m.content):
            if not isinstance(b, Thinking):
                continue
            before = signatures.prefix(req, i, j)
            verdict = signatures.check(seed, req.model, b.thinking, before, b.signature)
            where = f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
            if verdict == "edited":
                raise bad(where)
            if verdict == "moved" and model.bound_thinking:
                raise bad(
                    f"{where}. The block is bound to a different conversation. Remove the block, "
                    'or set `thinking.block_binding.prefix_mismatch_behavior` to "drop_block".'
                )
