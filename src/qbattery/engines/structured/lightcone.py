"""Light-cone sums of the Ising chain in window variables (see :mod:`.ising`).

L = N − s + 1 windows w_j = σ_x^(j)…σ_x^(j+s−1) are independent uniform ±1 variables
in |0…0⟩; site i is covered by the windows J_i = [lo_i, hi_i]. A pair of sites (i, l)
enters a moment through a = Σ_{J_i∖J_l} w, b = Σ_{J_i∩J_l} w and c = Σ_{J_l∖J_i} w
(independent binomial sums), so each pair class (|J_i∖J_l|, |J_i∩J_l|, |J_l∖J_i|)
gives one exact :class:`~.trigpoly.TrigPoly` in τ = 2gt.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import comb

import numpy as np

from qbattery.engines.structured.trigpoly import TrigPoly

# f(x) as (frequency multiplier r, power p, coefficient): Σ coeff · x^p · e^{iτ r x}
_FUNCS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "A": ((1, 0, 1), (0, 0, -1)),  # e^{iτx} − 1        (work,  σ_z(t) − σ_z)
    "B": ((1, 1, 1), (0, 1, -1)),  # x(e^{iτx} − 1)     (power, 𝒫_t)
    "D": ((0, 1, 1),),  # x                  (power, P_0)
}


def _binomial(n: int) -> list[tuple[int, int]]:
    """Values n − 2k of a sum of n independent ±1 and their weights C(n, k) (÷ 2^n)."""
    return [(n - 2 * k, comb(n, k)) for k in range(n + 1)]


@lru_cache(maxsize=4096)
def mean_poly(F: str, n: int) -> TrigPoly:
    """E[F(x)] for x a sum of n independent uniform ±1 variables."""
    out: dict[int, int] = {}
    for x, wx in _binomial(n):
        for r, p, c in _FUNCS[F]:
            val = wx * c * x**p
            if val:
                out[r * x] = out.get(r * x, 0) + val
    return TrigPoly({m: Fraction(v, 2**n) for m, v in out.items()})


@lru_cache(maxsize=4096)
def pair_poly(F: str, G: str, na: int, nb: int, nc: int) -> TrigPoly:
    """E[F(a − b) G(b + c)] for independent sums a, b, c of na, nb, nc spins."""
    out: dict[int, int] = {}
    for a, wa in _binomial(na):
        for b, wb in _binomial(nb):
            for c, wc in _binomial(nc):
                w = wa * wb * wc
                x, y = a - b, b + c
                for r1, p1, c1 in _FUNCS[F]:
                    fx = c1 * x**p1
                    if not fx:
                        continue
                    for r2, p2, c2 in _FUNCS[G]:
                        val = w * fx * c2 * y**p2
                        if val:
                            m = r1 * x + r2 * y
                            out[m] = out.get(m, 0) + val
    den = 2 ** (na + nb + nc)
    return TrigPoly({m: Fraction(v, den) for m, v in out.items()})


@lru_cache(maxsize=4096)
def cov_poly(F: str, G: str, na: int, nb: int, nc: int) -> TrigPoly:
    """E[F(a − b)G(b + c)] − E[F(a − b)] E[G(b + c)] (the connected part of a pair)."""
    return pair_poly(F, G, na, nb, nc) - mean_poly(F, na + nb) * mean_poly(G, nb + nc)


def window_ranges(N: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last window covering each site: J_i = [lo_i, hi_i], windows 0…N−s.

    Examples
    --------
    >>> [a.tolist() for a in window_ranges(5, 3)]
    [[0, 0, 0, 1, 2], [0, 1, 2, 2, 2]]
    """
    L = N - s + 1
    i = np.arange(N)
    return np.maximum(0, i - s + 1), np.minimum(i, L - 1)


def pair_classes(N: int, s: int) -> dict[tuple[int, int, int], int]:
    """Ordered pairs (i, l) with overlapping J_i, J_l counted by (|J_i∖J_l|, |J_i∩J_l|,
    |J_l∖J_i|) (exact integer counts; O(N s) work).

    Examples
    --------
    >>> sorted(pair_classes(3, 2).items())
    [((0, 1, 0), 2), ((0, 1, 1), 2), ((0, 2, 0), 1), ((1, 1, 0), 2)]
    """
    lo, hi = window_ranges(N, s)
    size = hi - lo + 1
    S = int(size.max()) + 1
    counts = np.zeros(S**3, dtype=np.int64)
    for d in range(-(s - 1), s):
        i = np.arange(max(0, -d), min(N, N - d))
        l = i + d
        nb = np.minimum(hi[i], hi[l]) - np.maximum(lo[i], lo[l]) + 1
        keep = nb > 0
        i, l, nb = i[keep], l[keep], nb[keep]
        key = ((size[i] - nb) * S + nb) * S + (size[l] - nb)
        counts += np.bincount(key, minlength=S**3)
    out = {}
    for key in np.flatnonzero(counts):
        na, rest = divmod(int(key), S * S)
        nb, nc = divmod(rest, S)
        out[(na, nb, nc)] = int(counts[key])
    return out
