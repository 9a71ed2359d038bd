"""Which tool to call next, as a model in an agent loop decides it (chapter 00).

``shape`` asks which tool (on ``tool_choice`` auto or any); ``fill`` asks for the values to call
it with, and computes arithmetic with the same helpers. A tool is chosen by what the request means,
not by shared words alone: arithmetic (operators, or words like "times" and "plus") goes to math
tools one operation at a time, innermost first, each call using the results already returned;
a request naming a place goes to a tool about places (weather, time); a call written out,
``magic_function(3)``, goes to that tool. When every call the task needs has a result, there is
no next call and the answer is text.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass, field

from orchestra.sim.read import Prompt
from orchestra.sim.words import hits, stems

# What each arithmetic operation is called in tool names and descriptions.
OPS = {
    "add": "add addition sum plus",
    "sub": "subtract subtraction minus difference",
    "mul": "multiply multiplication product times",
    "div": "divide division quotient",
    "pow": "power exponent exponentiation",
}
AST_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
APPLY = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}
WORD_OPS = [  # words for operators, rewritten to symbols before parsing
    (r"\bmultiplied by\b|\btimes\b|\bx\b(?=\s*\d)", "*"),
    (r"\bdivided by\b", "/"),
    (r"\bplus\b|\badded to\b", "+"),
    (r"\bminus\b", "-"),
    (r"\bto the power of\b|\braised to\b", "**"),
]
CALC = "calculat math arithmetic expression evaluat comput"
PLACE_TOOLS = "weather forecast temperature climate time timezone city location"
NUM = r"-?\d+(?:\.\d+)?"


@dataclass
class Next:
    """The call to make next: which tool, and the values the request gives for it."""

    tool: dict
    values: list = field(default_factory=list)
    """Positional values (operands, or a written call's arguments), in order."""
    expression: str | None = None
    """The arithmetic to evaluate, for a calculator."""


def number(text: str) -> float | None:
    """The first number in a tool's result: ``number('{"result": 35}') == 35``."""
    m = re.search(NUM, text or "")
    if not m:
        return None
    value = float(m.group())
    return int(value) if value.is_integer() else value


def expression(request: str) -> str | None:
    """The arithmetic a request asks for, in symbols: "6 times 7" -> ``"6 * 7"``.

    Also reads "add 3 and 4, then multiply by 5" (each "then" applies to the result so far).
    """
    text = request.lower().replace("×", "*").replace("÷", "/")
    text = re.sub(r"\b(\d+)-(\d+)(?=\s+[a-z])", r"\1 to \2", text)  # "2-3 approaches": a range
    for pattern, symbol in WORD_OPS:
        text = re.sub(pattern, f" {symbol} ", text)
    steps = re.split(r",?\s*\bthen\b|;", text)
    expr = None
    for step in steps:
        nums = re.findall(NUM, step)
        m = re.search(r"[\d(][\d\s.+\-*/()]*[\d)]", step)
        if m and re.search(r"[+\-*/]", m.group()) and re.search(r"\d", m.group()):
            part = re.sub(r"\s+", " ", m.group()).strip()
        elif (
            w := re.search(r"\b(add|sum|subtract|multiply|divide|product|raise)\b", step)
        ) and nums:
            op = {"add": "+", "sum": "+", "subtract": "-", "multiply": "*", "product": "*"}.get(
                w.group(1), "/" if w.group(1) == "divide" else "**"
            )
            if expr is not None and len(nums) == 1:  # "then multiply by 5"
                expr = f"({expr}) {op} {nums[0]}"
                continue
            if w.group(1) == "subtract" and re.search(r"\bfrom\b", step) and len(nums) >= 2:
                nums = [nums[1], nums[0]]  # "subtract 3 from 10"
            part = f" {op} ".join(nums)
        else:
            continue
        expr = part if expr is None else f"({expr}) {part}" if part[0] in "+-*/" else part
    return expr


def operations(expr: str) -> list[tuple[str, list]]:
    """The expression's operations, innermost first; an operand is a number or ``("ref", i)``."""
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return []
    ops: list[tuple[str, list]] = []

    def walk(node):
        if isinstance(node, ast.BinOp) and type(node.op) in AST_OPS:
            left, right = walk(node.left), walk(node.right)
            if left is None or right is None:
                return None
            ops.append((AST_OPS[type(node.op)], [left, right]))
            return ("ref", len(ops) - 1)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = walk(node.operand)
            return -inner if isinstance(inner, (int, float)) else None
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        return None

    return ops if walk(tree) is not None else []


def evaluate(ops: list[tuple[str, list]], results: list) -> float | None:
    """The value of the last operation, using returned results where there are some."""
    values: list = []
    for i, (kind, args) in enumerate(ops):
        if i < len(results) and results[i] is not None:
            values.append(results[i])
            continue
        a, b = (values[x[1]] if isinstance(x, tuple) else x for x in args)
        try:
            values.append(APPLY[kind](a, b))
        except (ZeroDivisionError, OverflowError):
            return None
    if not values:
        return None
    v = values[-1]
    return int(v) if isinstance(v, float) and v.is_integer() else v


def describes(tool: dict, words: str) -> int:
    """How many of ``words`` (stems) the tool's name and description use."""
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", tool.get("name", "")).replace("_", " ")
    return hits(stems(words), set(stems(f"{name} {tool.get('description', '')}")))


def op_tool(tools: list[dict], kind: str) -> dict | None:
    """The tool that does one arithmetic operation, by its name first, then its description."""
    scored = [
        (describes({"name": t.get("name", "")}, OPS[kind]) * 2 + describes(t, OPS[kind]), t)
        for t in tools
    ]
    best = max(scored, key=lambda s: s[0], default=(0, None))
    return best[1] if best[0] >= 2 else None


def math_next(p: Prompt, tools: list[dict]) -> Next | None | bool:
    """The next arithmetic call; False when the request is not arithmetic or no tool does it."""
    expr = expression(p.request)
    ops = operations(expr) if expr else []
    if not ops:
        return False
    per_op = [op_tool(tools, kind) for kind, _ in ops]
    done = [c for c in p.calls if c.name in {t["name"] for t in tools}]
    if all(per_op):
        if len(done) >= len(ops):
            return None
        results = [number(c.result or "") for c in done]
        i = len(done)
        kind, args = ops[i]
        vals = [
            (
                results[a[1]]
                if a[1] < len(results) and results[a[1]] is not None
                else evaluate(ops[: a[1] + 1], results)
            )
            if isinstance(a, tuple)
            else a
            for a in args
        ]
        return Next(per_op[i], vals)
    calc = max(tools, key=lambda t: describes(t, CALC))
    if describes(calc, CALC) == 0:
        return False
    if any(c.name == calc["name"] for c in done):
        return None
    return Next(calc, [], expression=expr)


def written_call(p: Prompt, tools: list[dict]) -> Next | None:
    """A call written in the request, ``magic_function(3)``, to a tool of that name."""
    for t in tools:
        m = re.search(rf"\b{re.escape(t.get('name', ''))}\s*\(([^()]*)\)", p.request)
        if m:
            args = [a.strip().strip("'\"") for a in m.group(1).split(",") if a.strip()]
            values = [number(a) if re.fullmatch(NUM, a) else a for a in args]
            return Next(t, values)
    return None


def fits(tool: dict, p: Prompt) -> int:
    """How well a tool fits the request: shared words, and a place for a tool about places."""
    score = describes(tool, p.request)
    if describes(tool, PLACE_TOOLS) and re.search(
        r"\b(?:in|for|at|of)\s+[A-Z][a-z]+|\bweather\b|\btemperature\b", p.request
    ):
        score += 2
    return score


def next_call(p: Prompt, tools: list[dict], required: bool) -> Next | None:
    """The call the task needs next, or None when the answer is text (``required``: one must be made)."""
    written = written_call(p, tools)
    if written and not any(c.name == written.tool["name"] for c in p.calls):
        return written
    if written:
        return None
    math = math_next(p, tools)
    if math is not False:
        return math
    called = {c.name for c in p.calls}
    ranked = sorted(tools, key=lambda t: -fits(t, p))  # stable: the first tool wins ties
    for t in ranked:
        if t["name"] not in called and fits(t, p) >= 2:
            return Next(t)
    if required and not p.calls:
        return Next(ranked[0])
    return None
