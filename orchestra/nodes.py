"""Nodes: what a workflow is made of, and the one protocol every kind follows (chapters 01-04).

A workflow is a sequence of nodes. A node is a step, a sub-workflow, or a composite made by
``parallel``, ``map_each``, ``branch``, ``loop`` or ``approval``. Each kind carries its own
behaviour behind ``Node``, so the engine never asks what kind a node is:

- ``bind(scope)``: check the definition when the workflow is built (state fields, merge rules,
  loop bounds) and return the node ready to run, step names in routes resolved. Pure: it
  returns a new node rather than changing this one. Raises a named ``DefinitionError``.
- ``may_write()``: the state fields it may change (None: a step did not declare them).
- ``named()``: the nodes a branch route may name, found in this node and below.
- ``describe()``: its shape as text, hashed into the workflow's fingerprint.
- ``missing(key, done)``: the keys of its parts that did not complete.
- ``run_node(run, state, key, parent)``: run on ``state`` at ``key``, return the next state.

    >>> scope = Scope(Doc, "docs", "docs", (), named_in([extract]))
    >>> seq = bind_sequence([extract, parallel(tag, score)], scope)
    >>> state = await run_sequence(seq, run, state, prefix="", parent=None)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from orchestra.errors import CycleError, DefinitionError, UnknownStepError, hide_from_learners
from orchestra.run import Run, Stop

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "Node",
    "Scope",
    "as_nodes",
    "bind_sequence",
    "writes_of",
    "named_in",
    "describe_all",
    "missing_in",
    "run_sequence",
]


@runtime_checkable
class Node(Protocol):
    """What every kind of node does; subclass it to get the defaults of the optional parts."""

    name: str

    def bind(self, scope: Scope) -> Node:
        """This node checked against the workflow, ready to run (a new node if anything changed)."""
        ...

    def may_write(self) -> set[str] | None:
        """The state fields this node may change; None when a step did not declare them."""
        ...

    def named(self) -> dict[str, Node]:
        """Nodes a branch route may name, in this node and below (by default none)."""
        return {}

    def describe(self) -> str:
        """The node's shape as text, for the workflow's fingerprint."""
        ...

    def missing(self, key: str, done: set[str]) -> list[str]:
        """Keys under ``key`` that did not complete (by default the node's own key)."""
        return [key]

    async def run_node(self, run: Run, state: BaseModel, key: str, parent: int | None) -> BaseModel:
        """Run on ``state`` as the node at ``key``; return the next state."""
        ...


@dataclass(frozen=True)
class Scope:
    """Where a node sits while its workflow is built: for checks and their messages."""

    state: type[BaseModel]
    """The state class the workflow carries."""
    workflow: str
    """The name of the workflow being built."""
    where: str
    """The path to the node, e.g. ``triage > route[bug]``, for error messages."""
    ancestors: tuple[Any, ...]
    """The workflows that contain this node, outermost first (to refuse cycles)."""
    names: dict[str, Node]
    """Steps and sub-workflows by name, for branch routes that name one."""

    def inside(self, label: str, workflow: Any = None) -> Scope:
        """The scope one level down; ``workflow`` when entering a sub-workflow."""
        ancestors = self.ancestors + (workflow,) if workflow is not None else self.ancestors
        return replace(self, where=f"{self.where} > {label}", ancestors=ancestors)

    def resolve(self, route: str, value: Any) -> Node:
        """The node a branch route names, or a named error that says how to fix the name."""
        if any(route == getattr(a, "name", None) for a in self.ancestors):
            raise CycleError(
                f"branch route {value!r} in {self.where} leads back to workflow {route!r}, "
                f"which contains it: a cycle. Repeat work with loop(..., max_iterations=N)"
            )
        if route not in self.names:
            raise UnknownStepError(
                f"branch route {value!r} in {self.where} names step {route!r}, but workflow "
                f"{self.workflow!r} defines no step of that name (known: "
                f"{sorted(self.names)}); fix the name or pass the step"
            )
        return self.names[route]


def as_nodes(x: Any) -> tuple:
    """A node or a list of nodes, as a tuple (one branch, route or loop body)."""
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _node(x: Any, where: str) -> Node:
    if isinstance(x, Node):
        return x
    if inspect.iscoroutinefunction(x):
        raise DefinitionError(
            f"{x.__name__!r} in {where} is a plain async function; decorate it with @step"
        )
    raise DefinitionError(
        f"{x!r} in {where} is not a step; use a @step function, a Workflow, "
        f"parallel(), map_each(), branch() or loop()"
    )


def bind_sequence(items: Iterable[Any], scope: Scope) -> tuple[Node, ...]:
    """Check and bind a sequence of nodes; raises a named error for anything that is not one."""
    return tuple(_node(x, scope.where).bind(scope) for x in items)


def writes_of(nodes: Iterable[Node]) -> set[str] | None:
    """The fields a sequence may change; None if any node did not declare them."""
    out: set[str] = set()
    for node in nodes:
        w = node.may_write()
        if w is None:
            return None
        out |= w
    return out


def named_in(items: Iterable[Any]) -> dict[str, Node]:
    """Every node a route may name in a sequence, the first of each name winning."""
    names: dict[str, Node] = {}
    for x in items:
        if isinstance(x, Node):
            for name, node in x.named().items():
                names.setdefault(name, node)
    return names


def describe_all(nodes: Iterable[Node]) -> str:
    """A sequence's shape as text."""
    return ",".join(n.describe() for n in nodes)


def missing_in(nodes: tuple[Node, ...], prefix: str, done: set[str]) -> list[str]:
    """Keys of the nodes of a sequence that did not complete."""
    out: list[str] = []
    for i, node in enumerate(nodes):
        key = f"{prefix}{i:02d}.{node.name}"
        if key not in done:
            out += node.missing(key, done)
    return out


async def run_sequence(
    nodes: tuple[Node, ...], run: Run, state: BaseModel, prefix: str, parent: int | None
) -> BaseModel:
    """Run nodes one after another, each on the state the previous one returned."""
    # out of a learner's traceback in IPython, kept in pytest's (errors.hide_from_learners)
    __tracebackhide__ = hide_from_learners
    for i, node in enumerate(nodes):
        key = f"{prefix}{i:02d}.{node.name}"
        try:
            state = await node.run_node(run, state, key, parent)
        except Stop as stop:
            if stop.state is not None:
                raise
            raise stop.with_state(state) from None  # the partial state: before this node
        run.done.add(key)
    return state
