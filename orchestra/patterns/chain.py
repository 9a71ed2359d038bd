"""Sequential chain: extract -> validate -> format, with typed contracts between steps (chapter 01).

Each step hands the next one a pydantic model, the contract the next step may rely on::

    text --extract--> Extracted --validate--> Product --format--> listing (str)

``Extracted`` is what the model said: any field may be null, because a model can miss one.
``Product`` is what ``format`` may rely on: a name, a positive price, a category. ``validate``
turns one into the other or raises pydantic's ``ValidationError``; the run then stops with
status ``aborted``, the partial state (``extracted`` set, ``product`` None) and a reason that
names the field.

Two policies, for two kinds of failure:

- ``retry``: the extract call failed (a 529, or the tool answer lost a field:
  ``OutputFormatError``). Send it again.
- ``repairs=N``: the answer arrived but breaks the contract. ``validate`` gets a fallback,
  ``repair``, that asks again with the validator's complaint in the prompt, at most N times.
  The prompt changes, so the answer can (a retry also goes through ``ctx.llm(llm)``, so a
  policy's ``escalate`` can raise the effort or the model). No repair can invent a
  price the text does not give: that run still aborts, and that is the right outcome.

    >>> wf = product_chain(LLM("claude-haiku-5-5"), repairs=1)
    >>> result = await wf.run(ChainState(text=blurb))
    >>> result.status, result.state.listing, result.reason
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from orchestra.errors import OutputFormatError
from orchestra.policies import Retry
from orchestra.steps import Context, step
from orchestra.workflow import Workflow

__all__ = [
    "CATEGORIES",
    "Extracted",
    "Product",
    "ChainState",
    "extract_prompt",
    "validate",
    "problems",
    "format_listing",
    "product_chain",
]

Category = Literal["audio", "lighting", "kitchen", "fitness", "office"]
CATEGORIES = {
    "audio": "headphones, earbuds, speaker, microphone, sound, music",
    "lighting": "lamp, light, LED, brightness, bulb",
    "kitchen": "coffee, cooking, blender, fryer, food",
    "fitness": "workout, gym, yoga, cardio, strength, training",
    "office": "desk, chair, monitor, workday, ergonomic",
}


class Extracted(BaseModel):
    """The fields found in a product blurb; null when the text does not say."""

    product: str | None
    """The product's name, e.g. "Aurora X2"."""
    price_usd: float | None
    category: Category | None
    weight_kg: float | None
    warranty_years: int | None


class Product(BaseModel):
    """A product fit to list: what ``format`` may rely on."""

    product: str = Field(min_length=1)
    price_usd: float = Field(gt=0)
    category: Category
    weight_kg: float | None = None
    warranty_years: int | None = None


class ChainState(BaseModel):
    """What flows through the chain; each step fills one field."""

    text: str
    extracted: Extracted | None = None
    product: Product | None = None
    listing: str | None = None


def extract_prompt(text: str, complaint: str | None = None) -> str:
    """The extraction prompt; a repair adds the validator's complaint before the text."""
    cats = "\n".join(f"- {name}: {words}" for name, words in CATEGORIES.items())
    fix = (
        (
            f"A previous answer was rejected ({complaint}). Read the text again; use null "
            f"only if the text truly does not say.\n"
        )
        if complaint
        else ""
    )
    return (
        f"Extract the following fields as JSON: product, price_usd, category, weight_kg, "
        f"warranty_years.\n{fix}Categories:\n{cats}\nText: {text}"
    )


def validate(extracted: Extracted) -> Product:
    """``Extracted`` -> ``Product``, or pydantic's ``ValidationError`` naming the broken fields."""
    return Product.model_validate(extracted.model_dump())


def problems(exc: ValidationError) -> str:
    """A ValidationError in one short line: ``"price_usd: Input should be a valid number"``."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def format_listing(p: Product) -> str:
    """One catalogue line from a validated product (it reads only guaranteed fields or checks)."""
    extras = [
        f"{p.weight_kg:g} kg" if p.weight_kg else None,
        f"{p.warranty_years}-year warranty" if p.warranty_years else None,
    ]
    return " | ".join([p.product, p.category, f"${p.price_usd:,.2f}", *filter(None, extras)])


def product_chain(
    llm, *, repairs: int = 0, retry: Retry | None = Retry(max_attempts=3, base_delay=0.01, seed=0)
) -> Workflow:
    """The extract -> validate -> format chain on ``llm``; ``repairs`` bounds the repair asks.

    >>> result = await product_chain(llm, repairs=1).run(ChainState(text=blurb))
    """

    @step(retry=retry)
    async def extract(state: ChainState, ctx: Context) -> dict:
        reply = await ctx.llm(llm).ask(extract_prompt(state.text), schema=Extracted)
        return {"extracted": reply.data}

    @step(
        retry=Retry(
            max_attempts=max(repairs, 1),
            base_delay=0.01,
            seed=0,
            retry_on=lambda e: isinstance(e, (ValidationError, OutputFormatError)),
        )
    )
    async def repair(state: ChainState, ctx: Context) -> dict:
        try:
            validate(state.extracted)
            complaint = None
        except ValidationError as exc:
            complaint = problems(exc)
        reply = await ctx.llm(llm).ask(extract_prompt(state.text, complaint), schema=Extracted)
        return {"extracted": reply.data, "product": validate(reply.data)}

    @step(name="validate", fallback=repair if repairs else None)
    async def check(state: ChainState) -> dict:
        return {"product": validate(state.extracted)}

    @step(name="format")
    async def fmt(state: ChainState) -> dict:
        return {"listing": format_listing(state.product)}

    return Workflow("product_chain", state=ChainState, steps=[extract, check, fmt])
