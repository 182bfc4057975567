r"""Sector distributions of a counting observable and their Fisher information (Eq. B5).

The speed angle of Eq. (5) needs the Fisher information of p_m(t) = Tr[Π_mρ_t], the
probabilities of O_0's eigenspaces, with the exact derivatives ṗ_m and p̈_m. Here these
are carried as *jets*, arrays ``J`` of shape (3, S, nt) holding (p, ṗ, p̈) for S
eigenvalues (times last, so that the products below run over contiguous rows). The
distribution of a sum O_0 = O^(1) + O^(2) over independent subsystems (a product state
evolving under a product channel) is the convolution of the two distributions, with the
product rule for the derivatives:

.. math:: p = \sum_{a+b=v} p_a q_b,\quad \dot p = \sum \dot p_a q_b + p_a\dot q_b,\quad
   \ddot p = \sum \ddot p_a q_b + 2\dot p_a\dot q_b + p_a\ddot q_b.

:func:`fisher_terms` turns a jet into I_t (or t·I_t), with the limits where p_m = 0.
"""

from __future__ import annotations

import numpy as np

#: sums of eigenvalues closer than this (relative to the largest |value|) are one sector
SECTOR_RTOL = 1e-9
#: the largest 0/1 grouping matrix (entries) formed by :func:`convolve`
_DENSE_GROUPING = 2**16
_Grouping = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]
_GROUPINGS: dict[tuple[bytes, bytes], _Grouping] = {}


class TooManySectors(ValueError):
    """The distribution of a sum has more distinct values than the caller allows.

    Examples
    --------
    >>> coin = np.zeros((3, 2, 1)); coin[0] = 0.5
    >>> convolve(np.array([0.0, 1.0]), coin, np.array([0.0, 2.0]), coin, max_sectors=3)
    Traceback (most recent call last):
    ...
    qbattery.numerics.sectors.TooManySectors: the distribution has 4 distinct values (more than 3)
    """


def group_values(values: np.ndarray, *, rtol: float = SECTOR_RTOL) -> tuple[np.ndarray, np.ndarray]:
    """Sort ``values`` and group those within ``rtol`` × max|value| of their neighbour.

    Returns the order that sorts ``values`` and the start index of each group in it.

    Examples
    --------
    >>> order, starts = group_values(np.array([1.0, 0.0, 1.0 + 1e-12, 2.0]))
    >>> order.tolist(), starts.tolist()
    ([1, 0, 2, 3], [0, 1, 3])
    """
    order = np.argsort(values, kind="stable")
    v = values[order]
    scale = max(1.0, float(np.max(np.abs(v)))) if v.size else 1.0
    starts = np.concatenate(([0], np.flatnonzero(np.diff(v) > rtol * scale) + 1))
    return order, starts


def convolve(
    va: np.ndarray,
    ja: np.ndarray,
    vb: np.ndarray,
    jb: np.ndarray,
    *,
    max_sectors: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Values and jet of the sum of two independent observables (module docstring).

    Parameters
    ----------
    va, vb : ndarray, shape (Sa,), (Sb,)
        Distinct eigenvalues of the two observables.
    ja, jb : ndarray, shape (3, Sa, nt), (3, Sb, nt)
        Their jets (p, ṗ, p̈).
    max_sectors : int, optional
        Raise :class:`TooManySectors` if the sum has more distinct values.

    Examples
    --------
    Two fair coins with values 0 and 1: the sum is binomial (1/4, 1/2, 1/4).

    >>> coin = np.zeros((3, 2, 1)); coin[0] = 0.5
    >>> v, j = convolve(np.array([0.0, 1.0]), coin, np.array([0.0, 1.0]), coin)
    >>> v.tolist(), j[0, :, 0].tolist()
    ([0.0, 1.0, 2.0], [0.25, 0.5, 0.25])
    """
    values, order, starts, group = _grouping(np.asarray(va, float), np.asarray(vb, float))
    if max_sectors is not None and starts.size > max_sectors:
        raise TooManySectors(
            f"the distribution has {starts.size} distinct values (more than {max_sectors})"
        )
    # p·q and its first two derivatives (product rule), each (Sa·Sb, nt), then summed
    # over each run of equal values in sorted order
    p, dp, ddp = (ja[i][:, None, :] for i in range(3))
    q, dq, ddq = (jb[i][None, :, :] for i in range(3))
    nt = ja.shape[2]
    prod = np.empty((3, order.size, nt), dtype=np.result_type(ja, jb))
    prod[0] = (p * q).reshape(-1, nt)
    prod[1] = (dp * q + p * dq).reshape(-1, nt)
    prod[2] = (ddp * q + 2 * dp * dq + p * ddq).reshape(-1, nt)
    if group is not None:
        return values, group @ prod
    return values, np.add.reduceat(prod[:, order, :], starts, axis=1)


def _grouping(va: np.ndarray, vb: np.ndarray) -> _Grouping:
    """The distinct sums of ``va`` and ``vb``, the order and run starts that group the
    pairs (:func:`group_values`), and the 0/1 grouping matrix while it is small (one BLAS
    product; else ``None``: reduceat, linear in Sa·Sb). Kept for the next call with the
    same values (a quadrature calls :func:`convolve` on the same values every round)."""
    key = (va.tobytes(), vb.tobytes())
    hit = _GROUPINGS.get(key)
    if hit is None:
        sums = (va[:, None] + vb[None, :]).ravel()
        order, starts = group_values(sums)
        group = None
        if starts.size * sums.size <= _DENSE_GROUPING:
            group = np.zeros((starts.size, sums.size))
            runs = np.diff(np.append(starts, sums.size))
            group[np.repeat(np.arange(starts.size), runs), order] = 1.0
        if len(_GROUPINGS) >= 64:
            _GROUPINGS.clear()
        hit = _GROUPINGS[key] = (sums[order][starts], order, starts, group)
    return hit


def convolve_power(
    values: np.ndarray, jet: np.ndarray, n: int, *, max_sectors: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Values and jet of the sum of ``n`` ≥ 1 independent copies (binary powers).

    Examples
    --------
    >>> coin = np.zeros((3, 2, 1)); coin[0] = 0.5
    >>> v, j = convolve_power(np.array([0.0, 1.0]), coin, 3)
    >>> v.tolist(), (8 * j[0, :, 0]).tolist()
    ([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 3.0, 1.0])
    """
    if n < 1:
        raise ValueError(f"n must be ≥ 1, got {n}")
    result: tuple[np.ndarray, np.ndarray] | None = None
    base = (values, jet)
    while n:
        if n & 1:
            result = base if result is None else convolve(*result, *base, max_sectors=max_sectors)
        n >>= 1
        if n:
            base = convolve(*base, *base, max_sectors=max_sectors)
    assert result is not None
    return result


def fisher_terms(
    times: np.ndarray, jet: np.ndarray, floor: np.ndarray | float, *, scaled: bool
) -> np.ndarray:
    """Fisher information I_t = Σ_m ṗ_m²/p_m (Eq. B5), or t·I_t with ``scaled``.

    Where p_m is at or below ``floor`` (rounding), the limits are used: a quadratic zero
    gives ṗ²/p → 2p̈, a sector fed from empty at t = 0 (p ≈ ṗt) gives ṗ²/p ≈ ṗ/t; so
    t·I_m ≈ max(2p̈t, ṗ) covers both. ``scaled`` stays finite at t = 0.

    Parameters
    ----------
    times : ndarray, shape (nt,)
    jet : ndarray, shape (3, S, nt)
        (p, ṗ, p̈) of the S sectors.
    floor : float or ndarray broadcastable to (S, nt)
        p_m at or below it counts as zero.

    Examples
    --------
    A qubit's work sectors under Rabi driving, p = (cos²t, sin²t): I_t = 4.

    >>> t = np.array([0.3, 1.0])
    >>> c, s = np.cos(t), np.sin(t)
    >>> jet = np.array([[c**2, s**2], [-2 * s * c, 2 * s * c],
    ...                 [-2 * np.cos(2 * t), 2 * np.cos(2 * t)]])
    >>> fisher_terms(t, jet, 1e-14, scaled=False).round(12).tolist()
    [4.0, 4.0]
    """
    times = np.asarray(times, dtype=float).ravel()
    p, dp, ddp = jet
    if p.shape[0] <= 1:
        return np.zeros(times.shape)
    small = p <= floor
    t = times[None, :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        regular = dp**2 / np.where(small, 1.0, p)
        near = np.maximum(2 * np.maximum(ddp, 0.0) * t, np.maximum(dp, 0.0))
        if scaled:
            terms = np.where(small, near, regular * t)
        else:
            terms = np.where(small, near / t, regular)
            terms = np.where(small & (t == 0.0) & (dp <= 1e-9), 2 * np.maximum(ddp, 0.0), terms)
    return np.asarray(np.sum(terms, axis=0))


__all__ = [
    "SECTOR_RTOL",
    "TooManySectors",
    "convolve",
    "convolve_power",
    "fisher_terms",
    "group_values",
]
