"""Cumulants from moments: the recursion κ_n = μ_n − Σ C(n−1, k−1) κ_k μ_{n−k}.

A numerical kernel (exact combinatorics, no physics): :mod:`qbattery.distribution`
turns an engine's counting moments into the cumulants of Eq. (A2) with it, and the
structured k-body engine its blocks'.
"""

from __future__ import annotations

from math import comb
from typing import Any

import numpy as np


def cumulants_from_moments(moments: np.ndarray, center: Any = 0.0) -> np.ndarray:
    r"""Cumulants κ_1…κ_n from moments about ``center`` (array of shape (n, ...)).

    κ_n = μ_n − Σ_{k=1}^{n−1} C(n−1, k−1) κ_k μ_{n−k} for moments μ_n about the center,
    then κ_1 is shifted back by ``center`` (higher cumulants are shift invariant).

    Examples
    --------
    Poisson(1) has moments 1, 2, 5 and every cumulant equal to 1:

    >>> import numpy as np
    >>> cumulants_from_moments(np.array([[1.0], [2.0], [5.0]])).ravel().tolist()
    [1.0, 1.0, 1.0]
    """
    mu = np.asarray(moments, dtype=float)
    kappa = np.zeros_like(mu)
    for n in range(1, mu.shape[0] + 1):
        acc = mu[n - 1].copy()
        for k in range(1, n):
            acc -= comb(n - 1, k - 1) * kappa[k - 1] * mu[n - k - 1]
        kappa[n - 1] = acc
    kappa[0] = kappa[0] + center
    return kappa


__all__ = ["cumulants_from_moments"]
