"""Argument checks shared by the library: every failure is a ValueError naming the argument,
the value it got and what is allowed, so a UI can show it as it is."""
from __future__ import annotations

import math
from collections.abc import Iterable

MAX_QUOTED = 60  # characters of a value quoted in a message: a 900 kB cell is not repeated whole


def fail(name: str, value, allowed: str) -> None:
    shown = repr(value)
    if len(shown) > MAX_QUOTED:
        shown = shown[:MAX_QUOTED - 1] + "…"
    raise ValueError(f"{name}={shown} is not allowed: {allowed}")


def _finite(name: str, value, allowed: str) -> float:
    """value as a finite float (bools refused: True is not a number a user meant)."""
    if isinstance(value, bool):
        fail(name, value, allowed)
    try:
        x = float(value)
    except (TypeError, ValueError):
        fail(name, value, allowed)
    if not math.isfinite(x):
        fail(name, value, allowed)
    return x


def check_number(name: str, value, lo: float, hi: float, *, lo_open: bool = False,
                 hi_open: bool = False) -> float:
    """A finite real number in [lo, hi] (ends open when asked)."""
    lb, rb = "(" if lo_open else "[", ")" if hi_open else "]"
    allowed = f"must be a finite number in {lb}{lo}, {hi}{rb}"
    x = _finite(name, value, allowed)
    if x < lo or x > hi or (lo_open and x == lo) or (hi_open and x == hi):
        fail(name, value, allowed)
    return x


def check_int(name: str, value, lo: int, hi: int) -> int:
    """An integer in [lo, hi]; floats with an integer value are accepted."""
    allowed = f"must be an integer in [{lo}, {hi}]"
    x = _finite(name, value, allowed)
    if x != int(x) or not lo <= x <= hi:
        fail(name, value, allowed)
    return int(x)


def check_choice(name: str, value, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if value not in choices:
        fail(name, value, "must be one of " + ", ".join(repr(c) for c in choices))
    return value
