"""Exact trigonometric polynomials Σ_m c_m e^{imτ} with rational coefficients.

The structured Ising engine writes every moment as such a polynomial in τ = 2gt (g the
coupling of the normalised evolution). The coefficients are exact fractions, so
polynomials that vanish to high order at τ = 0 (variances ∝ τ², τ⁴) are evaluated
there from their exact Taylor coefficients, without the cancellation of summing
O(1) terms to a tiny result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from math import factorial

import numpy as np

#: Taylor terms used where |τ|·max|m| ≤ 1 (remainder below 1/40! relative to Σ|c_m|)
_TAYLOR_TERMS = 40


class TrigPoly:
    """An exact trigonometric polynomial Σ_m c_m e^{imτ}, integer m, rational c_m.

    Examples
    --------
    >>> import numpy as np
    >>> p = TrigPoly({1: Fraction(1, 2), -1: Fraction(1, 2)}) - 1   # cos τ − 1
    >>> exact = -2 * np.sin(5e-7) ** 2                                # no cancellation
    >>> bool(abs(p(np.array([1e-6])).real[0] / exact - 1) < 1e-15)
    True
    """

    __slots__ = ("coef",)

    def __init__(self, coef: Mapping[int, Fraction | int] | None = None) -> None:
        self.coef: dict[int, Fraction] = {
            int(m): Fraction(c) for m, c in (coef or {}).items() if c != 0
        }

    @classmethod
    def total(cls, terms: Iterable[tuple[int, TrigPoly]]) -> TrigPoly:
        """Σ count × polynomial, exactly."""
        out: dict[int, Fraction] = {}
        for count, poly in terms:
            for m, c in poly.coef.items():
                out[m] = out.get(m, Fraction(0)) + count * c
        return cls(out)

    def __add__(self, other: TrigPoly | int | Fraction) -> TrigPoly:
        other = other if isinstance(other, TrigPoly) else TrigPoly({0: Fraction(other)})
        out = dict(self.coef)
        for m, c in other.coef.items():
            out[m] = out.get(m, Fraction(0)) + c
        return TrigPoly(out)

    def __neg__(self) -> TrigPoly:
        return TrigPoly({m: -c for m, c in self.coef.items()})

    def __sub__(self, other: TrigPoly | int | Fraction) -> TrigPoly:
        return self + (-other if isinstance(other, TrigPoly) else -Fraction(other))

    def __mul__(self, other: TrigPoly | int | Fraction) -> TrigPoly:
        if not isinstance(other, TrigPoly):
            return TrigPoly({m: c * other for m, c in self.coef.items()})
        out: dict[int, Fraction] = {}
        for m1, c1 in self.coef.items():
            for m2, c2 in other.coef.items():
                out[m1 + m2] = out.get(m1 + m2, Fraction(0)) + c1 * c2
        return TrigPoly(out)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrigPoly) and self.coef == other.coef

    def __hash__(self) -> int:  # pragma: no cover - not used as a key
        return hash(frozenset(self.coef.items()))

    def __repr__(self) -> str:
        terms = " + ".join(f"({c})e^{{i{m}τ}}" for m, c in sorted(self.coef.items()))
        return f"TrigPoly({terms or '0'})"

    @property
    def degree(self) -> int:
        """max |m| (0 for the zero polynomial)."""
        return max((abs(m) for m in self.coef), default=0)

    def __call__(self, tau: np.ndarray) -> np.ndarray:
        """Complex values at ``tau`` (any shape), accurate to rounding relative to the
        value itself near τ = 0 (exact Taylor coefficients) and to Σ|c_m| elsewhere."""
        tau = np.asarray(tau, dtype=float)
        out = np.zeros(tau.shape, dtype=complex)
        if not self.coef:
            return out
        M = self.degree
        small = np.abs(tau) * M <= 1.0
        if np.any(small):
            moments = [sum(c * m**n for m, c in self.coef.items()) for n in range(_TAYLOR_TERMS)]
            a = [float(mu / factorial(n)) for n, mu in enumerate(moments)]
            z = 1j * tau[small]
            acc = np.zeros(z.shape, dtype=complex)
            for coeff in reversed(a):  # Horner in iτ
                acc = acc * z + coeff
            out[small] = acc
        if not np.all(small):
            ms = np.array(sorted(self.coef), dtype=float)
            cs = np.array([float(self.coef[int(m)]) for m in ms])
            big = tau[~small]
            out[~small] = np.exp(1j * np.multiply.outer(big, ms)) @ cs
        return out
