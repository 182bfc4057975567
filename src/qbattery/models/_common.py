"""Shared pieces of the built-in models."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np

from qbattery._checks import check_int, check_real
from qbattery.errors import InvalidInputError

__all__ = ["cached_model", "check_int", "check_real", "ground_product_state"]

P = ParamSpec("P")
R = TypeVar("R")


def ground_product_state(n: int) -> np.ndarray:
    """|0⟩^⊗n as a ket of length 2^n."""
    psi = np.zeros(1 << n, dtype=complex)
    psi[0] = 1.0
    return psi


def cached_model(func: Callable[P, R]) -> Callable[P, R]:
    """Cache a model builder on its *bound* arguments (defaults applied).

    ``kbody(6, 1)``, ``kbody(N=6, k=1)`` and ``kbody(6, 1, 1.0, 1.0)`` return the same
    immutable Battery (plain ``lru_cache`` keys on how the call was spelled).
    """
    signature = inspect.signature(func)
    cache: dict[tuple[Any, ...], R] = {}

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidInputError(f"{func.__name__}(): {exc}") from exc
        bound.apply_defaults()
        key = tuple(bound.arguments.items())
        try:
            hash(key)
        except TypeError:
            return func(*args, **kwargs)
        if key not in cache:
            if len(cache) >= 64:
                cache.pop(next(iter(cache)))
            cache[key] = func(*args, **kwargs)
        return cache[key]

    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper
