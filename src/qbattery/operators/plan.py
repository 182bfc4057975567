"""The matrix-free product of a Pauli sum: bit masks, sign patterns and numpy views."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from qbattery.operators.bits import parity_sign
from qbattery.operators.terms import Terms, matrix_coef

#: elements per row of a cache-resident chunk in the matrix-free product
_CHUNK_ELEMENTS = 1 << 14


def _axes(
    nbits: int, involved: int, xm: int
) -> tuple[list[int], list[int | None], tuple[slice, ...]]:
    """View of ``nbits`` index bits: one axis per involved bit, runs of others merged."""
    shape: list[int] = []
    axis_bit: list[int | None] = []
    run = 0
    for pos in range(nbits - 1, -1, -1):
        if (involved >> pos) & 1:
            if run:
                shape.append(1 << run)
                axis_bit.append(None)
                run = 0
            shape.append(2)
            axis_bit.append(pos)
        else:
            run += 1
    if run or not shape:
        shape.append(1 << run)
        axis_bit.append(None)
    flips = tuple(
        slice(None, None, -1) if (p is not None and (xm >> p) & 1) else slice(None)
        for p in axis_bit
    )
    return shape, axis_bit, flips


def _signs(axis_bit: list[int | None], zm: int, dshape: list[int]) -> Any:
    """(−1)^{popcount(a & zm)} as a broadcast array over the view's axes (1.0 if zm = 0)."""
    if zm == 0:
        return 1.0
    out = np.ones(dshape)
    for ax, p in enumerate(axis_bit):
        if p is not None and (zm >> p) & 1:
            shape = [2 if a == ax else 1 for a in range(len(dshape))]
            out = out * np.array([1.0, -1.0]).reshape(shape)
    return out


def string_masks(n: int, t: Terms) -> tuple[np.ndarray, np.ndarray]:
    """(flip mask x, sign mask z) of every string: X, Y flip its bit; Y, Z sign it."""
    owner = t.owner()
    bit = np.left_shift(np.int64(1), (n - 1 - t.site).astype(np.int64))
    x = np.zeros(t.size, np.int64)
    z = np.zeros(t.size, np.int64)
    np.bitwise_or.at(x, owner, np.where((t.code == 1) | (t.code == 2), bit, 0))
    np.bitwise_or.at(z, owner, np.where((t.code == 2) | (t.code == 3), bit, 0))
    return x, z


class _Layout:
    """The groups of a plan for chunks of 2^c elements (index a = q·2^c + a_lo)."""

    def __init__(self, plan: Plan, c: int) -> None:
        self.c = c
        self.size = 1 << c
        self.nchunks = 1 << (plan.n - c)
        lo = self.size - 1
        #: scalar factor -> [(x_hi, shape, flips)] (pure flips: summed, then scaled once)
        self.scalar: dict[Any, list[tuple[int, tuple[int, ...], tuple[slice, ...]]]] = {}
        #: [(x_hi, shape, flips, const factor or None, [(coef, z_hi, low signs)])]
        self.general: list[tuple[int, tuple[int, ...], tuple[slice, ...], Any, list[Any]]] = []
        for xm, coef, z in plan.groups:
            x_hi, x_lo = xm >> c, xm & lo
            z_lo = [int(zz) & lo for zz in z]
            z_hi = [int(zz) >> c for zz in z]
            involved = x_lo
            for zz in z_lo:
                involved |= zz
            shape, axis_bit, flips = _axes(c, involved, x_lo)
            dshape = [2 if (p is not None and (involved >> p) & 1) else 1 for p in axis_bit]
            if not any(z_lo) and not any(z_hi):
                f = complex(coef.sum()) if not plan.real else float(coef.sum())
                self.scalar.setdefault(f, []).append((x_hi, tuple(shape), flips))
                continue
            terms = [
                (cc, zh, _signs(axis_bit, zl, dshape))
                for cc, zh, zl in zip(coef, z_hi, z_lo, strict=True)
            ]
            const = None
            if not any(z_hi):
                const = sum(cc * sg for cc, _, sg in terms)
            self.general.append((x_hi, tuple(shape), flips, const, terms))


class Plan:
    """Precomputed action of a PauliSum on (…, 2^n) arrays.

    For a string with flip mask x, sign mask z and n_Y letters Y,
    (P v)[a] = (−i)^{n_Y} (−1)^{popcount(a & z)} v[a ⊕ x]. Strings are grouped by x;
    a group acts as out += D_x ⊙ v[a ⊕ x]. The index space is cut into cache-sized
    chunks of 2^c entries: the high bits of x pick the source chunk, the low bits are
    reversals of axes of a view of the chunk (one axis per involved bit, runs of other
    bits merged), and D_x is a small broadcast array times a sign per chunk. No index
    arrays, no matrix.
    """

    def __init__(self, n: int, t: Terms) -> None:
        self.n = n
        self.dim = 1 << n
        x, z = string_masks(n, t)
        coef = matrix_coef(t)
        self.real = bool(np.all(coef.imag == 0))
        if self.real:
            coef = coef.real
        self.diag: np.ndarray | None = None
        on_diag = x == 0
        if np.any(on_diag):
            self.diag = self._diagonal(coef[on_diag], z[on_diag])
        self.groups = [(int(xm), coef[x == xm], z[x == xm]) for xm in np.unique(x[~on_diag])]
        self._layouts: dict[int, _Layout] = {}

    def _diagonal(self, coef: np.ndarray, z: np.ndarray) -> np.ndarray:
        b = np.arange(self.dim, dtype=np.int64)
        out = np.zeros(self.dim, dtype=coef.dtype)
        for c, zm in zip(coef, z, strict=True):
            if zm == 0:
                out += c
            else:
                out += c * parity_sign(b & zm)
        return out

    def layout(self, rows: int) -> _Layout:
        """Groups for chunks sized so that ``rows`` chunk rows stay in cache."""
        per_row = max(1 << 8, _CHUNK_ELEMENTS // max(1, rows))
        c = min(self.n, max(0, int(per_row).bit_length() - 1))
        if c not in self._layouts:
            self._layouts[c] = _Layout(self, c)
        return self._layouts[c]

    def apply(self, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """out = A v for v of shape (…, 2^n)."""
        batch = v.shape[:-1]
        rows = int(np.prod(batch)) if batch else 1
        dtype = np.result_type(v.dtype, np.float64 if self.real else np.complex128)
        if out is None:
            out = np.empty(v.shape, dtype=dtype)
        lay = self.layout(rows)
        size = lay.size
        tmp = np.empty((*batch, size), dtype=dtype)
        every = (slice(None),) * len(batch)
        for q in range(lay.nchunks):
            here = slice(q * size, (q + 1) * size)
            oq = out[..., here]
            if self.diag is not None:
                np.multiply(v[..., here], self.diag[here], out=oq)
            else:
                oq[...] = 0
            for factor, members in lay.scalar.items():
                for i, (x_hi, shape, flips) in enumerate(members):
                    src = (q ^ x_hi) * size
                    vv = v[..., src : src + size].reshape(batch + shape)[every + flips]
                    tv = tmp.reshape(batch + shape)
                    if i == 0:
                        np.copyto(tv, vv)
                    else:
                        np.add(tv, vv, out=tv)
                if factor != 1:
                    np.multiply(tmp, factor, out=tmp)
                oq += tmp
            for x_hi, shape, flips, const, terms in lay.general:
                if const is None:
                    const = sum(
                        (-cc if bin(q & zh).count("1") & 1 else cc) * sg for cc, zh, sg in terms
                    )
                src = (q ^ x_hi) * size
                vv = v[..., src : src + size].reshape(batch + shape)[every + flips]
                tv = tmp.reshape(batch + shape)
                np.multiply(vv, const, out=tv)
                oq += tmp
        return out


def sparse_matrix(plan: Plan, t: Terms) -> sp.csr_array:
    """The matrix of the simplified terms ``t`` of ``plan`` as a ``csr_array``.

    One diagonal per flip mask x: D_x[a] = Σ c (−1)^{popcount(a & z)} at (a ⊕ x, a).
    """
    d = plan.dim
    a = np.arange(d, dtype=np.int64)
    rows, cols, vals = [], [], []
    if plan.diag is not None:
        rows.append(a)
        cols.append(a)
        vals.append(plan.diag)
    # rebuild per-flip-group diagonals D_x as full vectors
    x, z = string_masks(plan.n, t)
    coef = matrix_coef(t)
    for xm in np.unique(x[x != 0]):
        sel = np.flatnonzero(x == xm)
        D = np.zeros(d, complex)
        for i in sel:
            D += coef[i] * parity_sign(a & z[i])
        rows.append(a)
        cols.append(a ^ xm)
        vals.append(D)
    if not rows:
        return sp.csr_array((d, d), dtype=float)
    data = np.concatenate(vals)
    if plan.real:
        data = data.real
    m = sp.csr_array((data, (np.concatenate(rows), np.concatenate(cols))), shape=(d, d))
    m.sum_duplicates()
    m.eliminate_zeros()
    return m
