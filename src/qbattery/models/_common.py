"""Shared pieces of the built-in models."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np

from qbattery._checks import check_int, check_real
from qbattery.errors import InvalidInputError

__all__ = ["cached_model", "check_int", "check_real", "convention", "ground_product_state"]

P = ParamSpec("P")
R = TypeVar("R")


def dissipation(
    channels: dict[str, tuple[Any, Any, float | None]],
) -> tuple[list[Any], dict[int, float], dict[str, float]]:
    """Jumps, counted channels and recorded parameters from ``{name: (rate, L, ε)}``.

    Each channel with a non-zero rate γ (checked ≥ 0) contributes √γ L (``L`` one operator
    or a list of them, one per cell); ``ε`` (or ``None``) is the energy per counted
    quantum. Zero rates add nothing, not even a parameter, so a model with all rates 0
    is the closed model, bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> jumps, counted, params = dissipation({"decay": (0.25, np.eye(2), 1.0),
    ...                                       "dephasing": (0.0, np.eye(2), None)})
    >>> len(jumps), counted, params
    (1, {0: 1.0}, {'decay': 0.25})
    """
    jumps: list[Any] = []
    counted: dict[int, float] = {}
    params: dict[str, float] = {}
    for name, (rate, ops, energy) in channels.items():
        gamma = check_real(name, rate)
        if gamma < 0:
            raise InvalidInputError(
                f"`{name}` must be a rate ≥ 0, got {gamma}; pass {name}=0 for no dissipation"
            )
        if gamma == 0:
            continue
        params[name] = gamma
        for op in ops if isinstance(ops, list) else [ops]:
            if energy is not None:
                counted[len(jumps)] = energy
            jumps.append(np.sqrt(gamma) * op)
    return jumps, counted, params


def ground_product_state(n: int) -> np.ndarray:
    """|0⟩^⊗n as a ket of length 2^n."""
    psi = np.zeros(1 << n, dtype=complex)
    psi[0] = 1.0
    return psi


def convention(
    *, H0: str, HC: str, H: str, P0: str, state: str, fixed: str, **extra: str
) -> dict[str, str]:
    """The model's convention, stored in ``structure["convention"]`` (docs/conventions.md).

    Keys: ``H0`` (battery Hamiltonian, work observable), ``HC`` (charger), ``H`` (what
    drives the evolution, usually H0 + HC), ``P0`` (power observable and its
    normalisation), ``state`` (ρ0), ``fixed`` (what is held fixed as N grows), then any
    model-specific notes (e.g. ``remainder``). :meth:`qbattery.Battery.describe`
    prints them.

    Examples
    --------
    >>> convention(H0="a", HC="b", H="a + b", P0="−i[H0, HC]", state="|0⟩", fixed="Ω")["H"]
    'a + b'
    """
    out = {"H0": H0, "HC": HC, "H": H, "P0": P0, "state": state, "fixed as N grows": fixed}
    out.update(extra)
    return out


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
