"""Symbolic spin operators: :class:`PauliSum`, :class:`ProductState` and sparse builders.

Site ``j`` (0-based) is the ``j``-th tensor factor from the left, i.e. bit ``n − 1 − j``
of the computational-basis index (the order of ``numpy.kron`` and ``qutip.tensor``);
|0⟩ is the σ_z = +1 state.

A :class:`PauliSum` stores Σ_t c_t P_t, P_t a tensor product of I, X, Y, Z, as flat
arrays (one entry per non-identity site), so that sums over 10⁶ sites stay cheap. It
never forms a matrix unless asked: products such as commutators are computed on the
Pauli strings, lazily, and :meth:`PauliSum.apply` multiplies 2^n vectors with bit tricks
(a flip mask and a sign pattern per string, numpy views, no sparse matrix).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from qbattery import _checks
from qbattery.errors import InvalidInputError

_MAX_SPARSE_QUBITS = 24
#: largest number of qubits for a matrix-free product (bit masks in int64, memory)
MAX_MATVEC_QUBITS = 40
_LETTERS = "IXYZ"
_CODE = {"I": 0, "X": 1, "Y": 2, "Z": 3}
# σ_a σ_b = i^{_PHASE[a, b]} σ_{a ^ b} with codes I=0, X=1, Y=2, Z=3
_PHASE = np.array(
    [[0, 0, 0, 0], [0, 0, 1, 3], [0, 3, 0, 1], [0, 1, 3, 0]],
    dtype=np.int64,
)


# ---- sparse builders kept for callers that want scipy.sparse matrices ------------------
def _masks(n: int, ops: Mapping[int, str]) -> tuple[int, int, int]:
    """(flip mask, phase mask, number of Y) of a Pauli string {site: 'X'|'Y'|'Z'|'I'}."""
    flip = phase = ny = 0
    for site, p in ops.items():
        if not 0 <= site < n:
            raise InvalidInputError(f"site {site} is outside a chain of {n} qubits (0…{n - 1})")
        bit = 1 << (n - 1 - site)
        p = p.upper()
        if p == "X":
            flip |= bit
        elif p == "Z":
            phase |= bit
        elif p == "Y":
            flip |= bit
            phase |= bit
            ny += 1
        elif p != "I":
            raise InvalidInputError(f"unknown Pauli letter {p!r}; use one of I, X, Y, Z")
    return flip, phase, ny


def _parity_sign(x: np.ndarray) -> np.ndarray:
    """(−1)**popcount(x) for an array of non-negative int64, as int64."""
    if hasattr(np, "bitwise_count"):  # numpy ≥ 2.0
        return 1 - 2 * (np.bitwise_count(x).astype(np.int64) & 1)
    x = x.copy()  # pragma: no cover - numpy < 2
    parity = np.zeros(x.shape, dtype=np.int64)  # pragma: no cover
    while np.any(x):  # pragma: no cover
        parity ^= x & 1
        x >>= 1
    return 1 - 2 * parity  # pragma: no cover


_popcount_parity = _parity_sign


def pauli_string_sparse(n: int, ops: Mapping[int, str]) -> sp.csr_array:
    """Sparse matrix of the Pauli string ⊗_j ops[j] on ``n`` qubits (identity elsewhere).

    Examples
    --------
    >>> pauli_string_sparse(2, {0: "X"}).toarray().real.astype(int).tolist()
    [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]
    """
    if n > _MAX_SPARSE_QUBITS:
        raise InvalidInputError(
            f"a sparse matrix on {n} qubits has 2^{n} rows; use n ≤ {_MAX_SPARSE_QUBITS} "
            "or a PauliSum with a matrix-free engine"
        )
    flip, phase, ny = _masks(n, ops)
    b = np.arange(1 << n, dtype=np.int64)
    data: np.ndarray = (1j**ny) * _parity_sign(b & phase)
    if ny % 2 == 0:
        data = np.asarray(data.real)
    return sp.csr_array((data, (b ^ flip, b)), shape=(1 << n, 1 << n))


def sum_z(n: int) -> sp.csr_array:
    """Σ_j σ_z^(j) on ``n`` qubits (diagonal, scipy.sparse).

    Examples
    --------
    >>> sum_z(2).diagonal().tolist()
    [2.0, 0.0, 0.0, -2.0]
    """
    b = np.arange(1 << n, dtype=np.int64)
    ones = np.zeros(b.shape, dtype=np.int64)
    for j in range(n):
        ones += (b >> j) & 1
    return sp.csr_array(sp.diags_array((n - 2 * ones).astype(float)))


def x_string_sum(n: int, blocks: list[list[int]]) -> sp.csr_array:
    """Σ_blocks ⊗_{j∈block} σ_x^(j) on ``n`` qubits (scipy.sparse).

    Examples
    --------
    >>> x_string_sum(2, [[0, 1]]).toarray().real.astype(int).tolist()
    [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]]
    """
    total = sp.csr_array((1 << n, 1 << n), dtype=float)
    for block in blocks:
        total = total + pauli_string_sparse(n, dict.fromkeys(block, "X"))
    return sp.csr_array(total)


# ---- flat storage of Pauli strings -----------------------------------------------------
@dataclass(frozen=True)
class _Terms:
    """Σ_t coef[t] P_t; the entries of term t are ``ptr[t]:ptr[t+1]`` of ``site``/``code``.

    Within a term the sites are strictly increasing and no code is 0 (identity).
    """

    coef: np.ndarray  # (m,) complex128
    ptr: np.ndarray  # (m + 1,) int64
    site: np.ndarray  # (nnz,) int64
    code: np.ndarray  # (nnz,) int8: 1 = X, 2 = Y, 3 = Z

    @property
    def size(self) -> int:
        return int(self.coef.size)

    def lengths(self) -> np.ndarray:
        return np.diff(self.ptr)

    def owner(self) -> np.ndarray:
        """Term index of every entry."""
        return np.repeat(np.arange(self.size, dtype=np.int64), self.lengths())


def _empty_terms() -> _Terms:
    return _Terms(
        np.zeros(0, complex), np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8)
    )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each pair, vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, np.int64) - offsets, lengths) + np.arange(total)


def _concat(parts: Sequence[_Terms]) -> _Terms:
    if not parts:
        return _empty_terms()
    shifts = np.cumsum([0] + [p.site.size for p in parts[:-1]])
    ptr = np.concatenate([[0]] + [p.ptr[1:] + s for p, s in zip(parts, shifts, strict=True)])
    return _Terms(
        np.concatenate([p.coef for p in parts], dtype=complex),
        ptr.astype(np.int64, copy=False),
        np.concatenate([p.site for p in parts], dtype=np.int64),
        np.concatenate([p.code for p in parts], dtype=np.int8),
    )


def _take(t: _Terms, idx: np.ndarray, coef: np.ndarray | None = None) -> _Terms:
    lengths = t.lengths()[idx]
    entries = _ranges(t.ptr[idx], lengths)
    return _Terms(
        t.coef[idx] if coef is None else coef,
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        t.site[entries],
        t.code[entries],
    )


def _mix64(x: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64 finaliser (wrapping uint64 arithmetic)."""
    z = x.astype(np.uint64) + np.uint64(seed)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _group_strings(t: _Terms) -> tuple[np.ndarray, np.ndarray]:
    """Group equal Pauli strings: (label per term, first term of each label).

    Labels follow first occurrence. Strings are hashed (two 64-bit order-independent
    hashes plus the length), then every group is verified entry by entry, so the
    grouping is exact.
    """
    m = t.size
    if m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = t.site * 4 + t.code
    keys = []
    for seed in (0x9E3779B97F4A7C15, 0x2545F4914F6CDD1D):
        cs = np.concatenate([[np.uint64(0)], np.cumsum(_mix64(key, seed), dtype=np.uint64)])
        keys.append(cs[t.ptr[1:]] - cs[t.ptr[:-1]])
    lengths = t.lengths()
    order = np.lexsort((keys[1], keys[0], lengths))
    k0, k1, ln = keys[0][order], keys[1][order], lengths[order]
    new = np.ones(m, bool)
    new[1:] = (k0[1:] != k0[:-1]) | (k1[1:] != k1[:-1]) | (ln[1:] != ln[:-1])
    group_sorted = np.cumsum(new) - 1
    label = np.empty(m, np.int64)
    label[order] = group_sorted
    first = np.full(int(group_sorted[-1]) + 1, m, np.int64)
    np.minimum.at(first, label, np.arange(m))
    rep = first[label]
    dup = np.flatnonzero(rep != np.arange(m))
    if dup.size:
        a = _ranges(t.ptr[dup], lengths[dup])
        b = _ranges(t.ptr[rep[dup]], lengths[dup])
        if np.any(t.site[a] != t.site[b]) or np.any(t.code[a] != t.code[b]):  # pragma: no cover
            return _group_strings_exact(t)  # a 128-bit hash collision
    # relabel in order of first occurrence
    rank = np.empty(first.size, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[label], np.sort(first)


def _group_strings_exact(t: _Terms) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    seen: dict[bytes, int] = {}
    label = np.empty(t.size, np.int64)
    first: list[int] = []
    for i in range(t.size):
        sl = slice(t.ptr[i], t.ptr[i + 1])
        k = t.site[sl].tobytes() + b"|" + t.code[sl].tobytes()
        if k not in seen:
            seen[k] = len(first)
            first.append(i)
        label[i] = seen[k]
    return label, np.asarray(first, np.int64)


def _simplify(t: _Terms, atol: float) -> _Terms:
    label, first = _group_strings(t)
    if first.size == 0:
        return t
    re = np.bincount(label, weights=t.coef.real, minlength=first.size)
    im = np.bincount(label, weights=t.coef.imag, minlength=first.size)
    coef = re + 1j * im
    keep = np.abs(coef) > atol
    return _take(t, first[keep], coef[keep])


def _product(a: _Terms, ia: np.ndarray, b: _Terms, ib: np.ndarray, scale: complex) -> _Terms:
    """Terms scale · c_a c_b P_a P_b for the pairs (ia[p], ib[p])."""
    npair = ia.size
    if npair == 0:
        return _empty_terms()
    la, lb = a.lengths()[ia], b.lengths()[ib]
    ea, eb = _ranges(a.ptr[ia], la), _ranges(b.ptr[ib], lb)
    pid = np.concatenate([np.repeat(np.arange(npair), la), np.repeat(np.arange(npair), lb)])
    site = np.concatenate([a.site[ea], b.site[eb]])
    code = np.concatenate([a.code[ea], b.code[eb]]).astype(np.int64)
    src = np.concatenate([np.zeros(ea.size, np.int8), np.ones(eb.size, np.int8)])
    order = np.lexsort((src, site, pid))
    pid, site, code = pid[order], site[order], code[order]
    same = np.flatnonzero((pid[1:] == pid[:-1]) & (site[1:] == site[:-1]))
    exponent = np.zeros(npair, np.int64)
    np.add.at(exponent, pid[same], _PHASE[code[same], code[same + 1]])
    code[same] = code[same] ^ code[same + 1]
    keep = np.ones(pid.size, bool)
    keep[same + 1] = False
    keep &= code != 0
    pid, site, code = pid[keep], site[keep], code[keep]
    lengths = np.bincount(pid, minlength=npair)
    coef = scale * a.coef[ia] * b.coef[ib] * (1j ** (exponent % 4))
    return _Terms(
        coef.astype(complex),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        site.astype(np.int64),
        code.astype(np.int8),
    )


def _commutator(a: _Terms, b: _Terms) -> _Terms:
    """[A, B] = Σ over anticommuting string pairs of 2 c_a c_b P_a P_b (sparse join)."""
    if a.size == 0 or b.size == 0:
        return _empty_terms()
    owner_a, owner_b = a.owner(), b.owner()
    order_b = np.argsort(b.site, kind="stable")
    sb = b.site[order_b]
    lo = np.searchsorted(sb, a.site, "left")
    cnt = np.searchsorted(sb, a.site, "right") - lo
    ea = np.repeat(np.arange(a.site.size), cnt)
    eb = order_b[_ranges(lo, cnt)]
    differ = a.code[ea] != b.code[eb]
    pairs = owner_a[ea[differ]] * b.size + owner_b[eb[differ]]
    upairs, counts = np.unique(pairs, return_counts=True)
    anti = upairs[counts % 2 == 1]
    return _product(a, anti // b.size, b, anti % b.size, 2.0)


def _parse_string(spec: Any, n: int) -> tuple[list[int], list[int]]:
    """Sites and codes of one Pauli string given as "XIZ" or {site: letter}."""
    if isinstance(spec, str):
        letters = spec.replace(" ", "").upper()
        if len(letters) != n:
            raise InvalidInputError(
                f"Pauli string {spec!r} has {len(letters)} letters but n = {n}; "
                "write one of I, X, Y, Z per site or pass {site: letter}"
            )
        items = list(enumerate(letters))
    elif isinstance(spec, Mapping):
        items = sorted((int(k), str(v).upper()) for k, v in spec.items())
    else:
        raise InvalidInputError(
            f"a Pauli string must be a str like 'XXI' or a dict {{site: letter}}, "
            f"got {type(spec).__name__}"
        )
    sites, codes = [], []
    for site, letter in items:
        if letter not in _CODE:
            raise InvalidInputError(f"unknown Pauli letter {letter!r}; use one of I, X, Y, Z")
        if not 0 <= site < n:
            raise InvalidInputError(f"site {site} is outside a chain of {n} qubits (0…{n - 1})")
        if letter != "I":
            sites.append(site)
            codes.append(_CODE[letter])
    return sites, codes


def _fmt_coef(c: complex) -> str:
    if c.imag == 0:
        return f"{c.real:g}"
    if c.real == 0:
        return f"{c.imag:g}j"
    return f"({c.real:g}{c.imag:+g}j)"


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidInputError(f"`n` (number of qubits) must be a positive integer, got {n!r}")
    return int(n)


def _letter_code(letter: str) -> int:
    code = _CODE.get(str(letter).upper())
    if code is None or code == 0:
        raise InvalidInputError(f"unknown Pauli letter {letter!r}; use one of X, Y, Z")
    return code


# ---- the matrix-free product --------------------------------------------------------
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


class _Layout:
    """The groups of a plan for chunks of 2^c elements (index a = q·2^c + a_lo)."""

    def __init__(self, plan: _Plan, c: int) -> None:
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


class _Plan:
    """Precomputed action of a PauliSum on (…, 2^n) arrays.

    For a string with flip mask x, sign mask z and n_Y letters Y,
    (P v)[a] = (−i)^{n_Y} (−1)^{popcount(a & z)} v[a ⊕ x]. Strings are grouped by x;
    a group acts as out += D_x ⊙ v[a ⊕ x]. The index space is cut into cache-sized
    chunks of 2^c entries: the high bits of x pick the source chunk, the low bits are
    reversals of axes of a view of the chunk (one axis per involved bit, runs of other
    bits merged), and D_x is a small broadcast array times a sign per chunk. No index
    arrays, no matrix.
    """

    def __init__(self, n: int, t: _Terms) -> None:
        self.n = n
        self.dim = 1 << n
        owner = t.owner()
        bit = np.left_shift(np.int64(1), (n - 1 - t.site).astype(np.int64))
        xbit = np.where((t.code == 1) | (t.code == 2), bit, 0)
        zbit = np.where((t.code == 2) | (t.code == 3), bit, 0)
        x = np.zeros(t.size, np.int64)
        z = np.zeros(t.size, np.int64)
        np.bitwise_or.at(x, owner, xbit)
        np.bitwise_or.at(z, owner, zbit)
        ny = np.bincount(owner, weights=(t.code == 2), minlength=t.size).astype(np.int64)
        coef = t.coef * (-1j) ** (ny % 4)
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
                out += c * _parity_sign(b & zm)
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


# ---- the public classes ---------------------------------------------------------------
class PauliSum:
    r"""Symbolic sum of Pauli strings with complex coefficients on ``n`` qubits.

    .. math:: A = \sum_t c_t \bigotimes_{j=0}^{n-1} \sigma^{(j)}_{t},
              \quad \sigma \in \{I, X, Y, Z\}

    Site ``j`` is the ``j``-th tensor factor from the left (``qutip.tensor`` order).
    Operations (``+``, ``−``, scalar ``*`` and ``/``, :meth:`commutator`,
    :meth:`adjoint`) are exact on the strings and lazy: a result is computed when first
    needed and then cached, so a battery of 10⁶ sites can be described without ever
    expanding it. ``A + 2`` adds 2·I (the ``qutip`` convention).

    Parameters
    ----------
    n : int
        Number of qubits.
    terms : iterable of (coefficient, string), optional
        As in :meth:`from_terms`.

    Examples
    --------
    >>> import numpy as np
    >>> from qbattery.operators import PauliSum
    >>> A = PauliSum.from_terms([(1.0, "XXI"), (0.5, {0: "Z"})], n=3)
    >>> A
    PauliSum(n=3, 2 terms: 1*XXI + 0.5*ZII)
    >>> B = PauliSum.single_site(3, "Z")
    >>> C = A.commutator(B)                       # exact, on the strings
    >>> bool(np.allclose(C.to_dense(), A.to_dense() @ B.to_dense() - B.to_dense() @ A.to_dense()))
    True
    >>> psi = np.zeros(8); psi[0] = 1.0
    >>> bool(np.allclose(A @ psi, A.to_dense() @ psi))   # matrix-free product
    True
    """

    __array_ufunc__ = None  # numpy defers to our operators (2.0 * A, -1j * A, …)

    def __init__(self, n: int, terms: Iterable[tuple[complex, Any]] | None = None) -> None:
        self.n = _check_n(n)
        self._terms: _Terms | None = None
        self._thunk: Callable[[], _Terms] | None = None
        self._simple = False
        self._plan_cache: _Plan | None = None
        if terms is None:
            self._terms = _empty_terms()
            self._simple = True
        else:
            self._terms = self._parse(terms)

    # ---- construction ----------------------------------------------------------------
    def _parse(self, terms: Iterable[tuple[complex, Any]]) -> _Terms:
        coefs: list[complex] = []
        ptr = [0]
        sites: list[int] = []
        codes: list[int] = []
        for item in terms:
            try:
                coef, spec = item
                c = complex(coef)
            except (TypeError, ValueError) as exc:
                raise InvalidInputError(
                    f"each term must be (coefficient, string), got {item!r}; "
                    "e.g. (0.5, 'XZI') or (0.5, {0: 'X'})"
                ) from exc
            if not np.isfinite(c):
                raise InvalidInputError(f"coefficient {coef!r} is not finite; pass a number")
            s, k = _parse_string(spec, self.n)
            coefs.append(c)
            sites.extend(s)
            codes.extend(k)
            ptr.append(len(sites))
        return _Terms(
            np.asarray(coefs, complex).reshape(-1),
            np.asarray(ptr, np.int64),
            np.asarray(sites, np.int64),
            np.asarray(codes, np.int8),
        )

    @classmethod
    def from_terms(cls, terms: Iterable[tuple[complex, Any]], n: int) -> PauliSum:
        """Build Σ c_t P_t from ``(c_t, P_t)`` pairs.

        Each P_t is a string of ``n`` letters from ``IXYZ`` (site 0 first) or a mapping
        ``{site: letter}`` (other sites identity).

        Examples
        --------
        >>> PauliSum.from_terms([(2.0, {1: "Y"})], n=2).to_dense().tolist()
        [[0j, -2j, 0j, 0j], [2j, 0j, 0j, 0j], [0j, 0j, 0j, -2j], [0j, 0j, 2j, 0j]]
        """
        return cls(n, terms)

    @classmethod
    def _from_arrays(cls, n: int, t: _Terms, *, simple: bool = False) -> PauliSum:
        obj = cls.__new__(cls)
        obj.n = n
        obj._terms = t
        obj._thunk = None
        obj._simple = simple
        obj._plan_cache = None
        return obj

    @classmethod
    def _lazy(cls, n: int, thunk: Callable[[], _Terms]) -> PauliSum:
        obj = cls._from_arrays(n, _empty_terms())
        obj._terms = None
        obj._thunk = thunk
        return obj

    @classmethod
    def identity(cls, n: int, coeff: complex = 1.0) -> PauliSum:
        """``coeff`` · I on ``n`` qubits."""
        n = _check_n(n)
        t = _Terms(
            np.array([coeff], complex), np.zeros(2, np.int64), np.zeros(0, np.int64),
            np.zeros(0, np.int8),
        )  # fmt: skip
        return cls._from_arrays(n, t)

    @classmethod
    def single_site(
        cls,
        n: int,
        letter: str = "Z",
        coeff: complex = 1.0,
        sites: Sequence[int] | np.ndarray | None = None,
    ) -> PauliSum:
        """Σ_j coeff σ^(j) over ``sites`` (default all), e.g. Σ_j σ_z^(j).

        Examples
        --------
        >>> PauliSum.single_site(2, "Z").to_dense().real.diagonal().tolist()
        [2.0, 0.0, 0.0, -2.0]
        """
        n = _check_n(n)
        code = _letter_code(letter)
        s = np.arange(n, dtype=np.int64) if sites is None else np.asarray(sites, np.int64)
        if s.size and (s.min() < 0 or s.max() >= n):
            raise InvalidInputError(f"sites must lie in 0…{n - 1}, got {s.min()}…{s.max()}")
        t = _Terms(
            np.full(s.size, coeff, complex),
            np.arange(s.size + 1, dtype=np.int64),
            s,
            np.full(s.size, code, np.int8),
        )
        return cls._from_arrays(n, t)

    @classmethod
    def strings(
        cls, n: int, blocks: Iterable[Sequence[int]], letter: str = "X", coeff: complex = 1.0
    ) -> PauliSum:
        """Σ_blocks coeff ⊗_{j∈block} σ^(j): one string per block of sites.

        Examples
        --------
        >>> PauliSum.strings(4, [[0, 1], [2, 3]], "X")
        PauliSum(n=4, 2 terms: 1*XXII + 1*IIXX)
        """
        n = _check_n(n)
        code = _letter_code(letter)
        rows = [np.unique(np.asarray(b, np.int64)) for b in blocks]
        for b in rows:
            if b.size and (b[0] < 0 or b[-1] >= n):
                raise InvalidInputError(f"sites must lie in 0…{n - 1}, got block {b.tolist()}")
        lengths = np.array([b.size for b in rows], np.int64)
        site = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        t = _Terms(
            np.full(len(rows), coeff, complex),
            np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            site.astype(np.int64),
            np.full(site.size, code, np.int8),
        )
        return cls._from_arrays(n, t)

    @classmethod
    def blocks(cls, n: int, k: int, letter: str = "X", coeff: complex = 1.0) -> PauliSum:
        """Σ_j coeff ⊗_{i∈B_j} σ^(i) over consecutive blocks of ``k`` sites.

        ⌊n/k⌋ blocks of k sites, then one block of the remaining n mod k sites (the
        k-body model, Eq. 7). Vectorised: fine for n = 10⁶.

        Examples
        --------
        >>> PauliSum.blocks(5, 2)
        PauliSum(n=5, 3 terms: 1*XXIII + 1*IIXXI + 1*IIIIX)
        """
        n = _check_n(n)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
            raise InvalidInputError(f"block size `k` must be an integer in 1…{n}, got {k!r}")
        code = _letter_code(letter)
        starts = np.arange(0, n, int(k), dtype=np.int64)
        ptr = np.append(starts, n).astype(np.int64)
        t = _Terms(
            np.full(starts.size, coeff, complex),
            ptr,
            np.arange(n, dtype=np.int64),
            np.full(n, code, np.int8),
        )
        return cls._from_arrays(n, t)

    @classmethod
    def sliding(
        cls, n: int, s: int, letter: str = "X", coeff: complex = 1.0, *, periodic: bool = False
    ) -> PauliSum:
        """Σ_i coeff σ^(i) σ^(i+1) … σ^(i+s−1): s-site strings on a chain.

        Open chain: i = 0…n−s; ``periodic=True``: i = 0…n−1 with sites mod n.
        ``s = 2`` gives nearest-neighbour couplings.

        Examples
        --------
        >>> PauliSum.sliding(3, 2, "X")
        PauliSum(n=3, 2 terms: 1*XXI + 1*IXX)
        """
        n = _check_n(n)
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 1 <= s <= n:
            raise InvalidInputError(f"string length `s` must be an integer in 1…{n}, got {s!r}")
        code = _letter_code(letter)
        count = n if periodic else n - s + 1
        sites = np.sort((np.arange(count)[:, None] + np.arange(s)[None, :]) % n, axis=1)
        t = _Terms(
            np.full(count, coeff, complex),
            np.arange(0, count * s + 1, s, dtype=np.int64),
            sites.ravel().astype(np.int64),
            np.full(count * s, code, np.int8),
        )
        return cls._from_arrays(n, t)

    @classmethod
    def nearest_neighbour(
        cls,
        n: int,
        a: str = "X",
        b: str = "X",
        coeff: complex = 1.0,
        *,
        periodic: bool = False,
    ) -> PauliSum:
        """Σ_i coeff σ_a^(i) σ_b^(i+1), e.g. the XX or ZZ couplings of a chain.

        Examples
        --------
        >>> PauliSum.nearest_neighbour(3, "Z", "X")
        PauliSum(n=3, 2 terms: 1*ZXI + 1*IZX)
        """
        n = _check_n(n)
        count = n if periodic else n - 1
        if count < 1 or (periodic and n < 3):
            raise InvalidInputError(
                f"nearest-neighbour couplings need n ≥ 2 (≥ 3 periodic), got {n}"
            )
        return cls(
            n,
            ((coeff, {i: a, (i + 1) % n: b}) for i in range(count)),
        )

    # ---- storage ---------------------------------------------------------------------
    @property
    def _data(self) -> _Terms:
        if self._terms is None:
            assert self._thunk is not None
            self._terms = self._thunk()
            self._thunk = None
        return self._terms

    def _simplified(self) -> _Terms:
        if not self._simple:
            self._terms = _simplify(self._data, 0.0)
            self._simple = True
            self._plan_cache = None
        return self._data

    def simplify(self, atol: float = 0.0) -> PauliSum:
        """Combine equal strings and drop terms with |c| ≤ ``atol`` (exact zeros by default).

        Examples
        --------
        >>> A = PauliSum.from_terms([(1.0, "XI"), (2.0, "XI"), (1.0, "ZZ"), (-1.0, "ZZ")], n=2)
        >>> A.simplify()
        PauliSum(n=2, 1 terms: 3*XI)
        """
        return PauliSum._from_arrays(self.n, _simplify(self._data, float(atol)), simple=True)

    @property
    def num_terms(self) -> int:
        """Number of stored strings (after simplification if it was done)."""
        return self._data.size

    def __len__(self) -> int:
        return self.num_terms

    def to_list(self) -> list[tuple[complex, dict[int, str]]]:
        """The terms as ``(coefficient, {site: letter})`` pairs."""
        t = self._data
        out = []
        for i in range(t.size):
            sl = slice(t.ptr[i], t.ptr[i + 1])
            out.append(
                (
                    complex(t.coef[i]),
                    {int(s): _LETTERS[c] for s, c in zip(t.site[sl], t.code[sl], strict=True)},
                )
            )
        return out

    def _label(self, i: int) -> str:
        t = self._data
        sl = slice(t.ptr[i], t.ptr[i + 1])
        if self.n <= 12:
            letters = ["I"] * self.n
            for s, c in zip(t.site[sl], t.code[sl], strict=True):
                letters[s] = _LETTERS[c]
            return "".join(letters)
        body = " ".join(f"{_LETTERS[c]}{s}" for s, c in zip(t.site[sl], t.code[sl], strict=True))
        return body or "I"

    def __repr__(self) -> str:
        if self._terms is None and self.n > 64:
            return f"PauliSum(n={self.n}, not yet evaluated)"
        m = self.num_terms
        shown = " + ".join(
            f"{_fmt_coef(self._data.coef[i])}*{self._label(i)}" for i in range(min(m, 4))
        )
        more = " + …" if m > 4 else ""
        return f"PauliSum(n={self.n}, {m} terms: {shown or '0'}{more})"

    # ---- algebra ---------------------------------------------------------------------
    def _coerce(self, other: Any, what: str) -> PauliSum:
        if isinstance(other, PauliSum):
            if other.n != self.n:
                raise InvalidInputError(
                    f"cannot {what} PauliSums on {self.n} and {other.n} qubits; "
                    "both must act on the same number of qubits"
                )
            return other
        if isinstance(other, Number) and not isinstance(other, bool):
            return PauliSum.identity(self.n, complex(other))  # type: ignore[call-overload]
        raise TypeError(f"cannot {what} a PauliSum and a {type(other).__name__}")

    def __add__(self, other: Any) -> PauliSum:
        try:
            o = self._coerce(other, "add")
        except TypeError:
            return NotImplemented
        return PauliSum._lazy(self.n, lambda: _concat([self._data, o._data]))

    __radd__ = __add__

    def __neg__(self) -> PauliSum:
        return self * -1.0

    def __sub__(self, other: Any) -> PauliSum:
        try:
            o = self._coerce(other, "subtract")
        except TypeError:
            return NotImplemented
        return self + (-o)

    def __rsub__(self, other: Any) -> PauliSum:
        return (-self) + other

    def __mul__(self, other: Any) -> PauliSum:
        if isinstance(other, bool) or not isinstance(other, (Number, np.number)):
            return NotImplemented
        c = complex(other)  # type: ignore[arg-type]

        def thunk() -> _Terms:
            t = self._data
            return _Terms(t.coef * c, t.ptr, t.site, t.code)

        out = PauliSum._lazy(self.n, thunk)
        out._simple = self._simple and c != 0
        return out

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> PauliSum:
        if isinstance(other, bool) or not isinstance(other, (Number, np.number)):
            return NotImplemented
        return self * (1.0 / complex(other))  # type: ignore[arg-type]

    def commutator(self, other: PauliSum) -> PauliSum:
        """[A, B] = AB − BA, exactly on the strings (only overlapping strings are paired).

        Examples
        --------
        >>> X = PauliSum.from_terms([(1, "X")], n=1); Y = PauliSum.from_terms([(1, "Y")], n=1)
        >>> X.commutator(Y)                       # [X, Y] = 2iZ
        PauliSum(n=1, 1 terms: 2j*Z)
        """
        o = self._coerce(other, "take the commutator of")
        return PauliSum._lazy(
            self.n, lambda: _simplify(_commutator(self._simplified(), o._simplified()), 0.0)
        )

    def adjoint(self) -> PauliSum:
        """A† (every Pauli string is Hermitian: conjugate the coefficients)."""

        def thunk() -> _Terms:
            t = self._data
            return _Terms(t.coef.conj(), t.ptr, t.site, t.code)

        return PauliSum._lazy(self.n, thunk)

    dag = adjoint

    # ---- properties ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """(2^n, 2^n)."""
        d = 1 << self.n
        return (d, d)

    @property
    def dtype(self) -> np.dtype:
        """float64 if the matrix is real, else complex128."""
        return np.dtype(np.float64 if self._plan_real() else np.complex128)

    def _plan_real(self) -> bool:
        t = self._simplified()
        ny = np.bincount(t.owner(), weights=(t.code == 2), minlength=t.size).astype(np.int64)
        return bool(np.all((t.coef * (-1j) ** (ny % 4)).imag == 0))

    def hermitian_deviation(self) -> float:
        """An upper bound on max|A − A†|: 2 Σ|Im c_t| over the combined strings.

        It is 0 exactly for a Hermitian sum. Real coefficients are recognised without
        combining strings (cheap for 10⁶ terms).
        """
        t = self._data
        if not np.any(t.coef.imag):
            return 0.0
        return float(2 * np.sum(np.abs(self._simplified().coef.imag)))

    def is_hermitian(self, atol: float = _checks.DEFAULT_ATOL) -> bool:
        """Whether :meth:`hermitian_deviation` ≤ ``atol`` · max(1, :meth:`max_abs`)."""
        return self.hermitian_deviation() <= atol * max(1.0, self.max_abs())

    def max_abs(self) -> float:
        """An upper bound on max|A_ij|: Σ_t |c_t| (a scale for tolerances)."""
        return float(np.sum(np.abs(self._data.coef)))

    def is_diagonal(self) -> bool:
        """Whether A is diagonal in the computational basis (only I and Z letters)."""
        t = self._simplified()
        return not bool(np.any((t.code == 1) | (t.code == 2)))

    def _require_matvec(self, what: str) -> None:
        if self.n > MAX_MATVEC_QUBITS:
            raise InvalidInputError(
                f"{what} acts on 2^{self.n} amplitudes; that needs n ≤ {MAX_MATVEC_QUBITS}. "
                "Use a structured engine for larger systems"
            )

    def diagonal(self) -> np.ndarray:
        """The diagonal of A in the computational basis, shape (2^n,)."""
        self._require_matvec("the diagonal")
        _checks.check_memory(f"the diagonal of a PauliSum on {self.n} qubits", 16 * 2**self.n)
        diag = self._plan().diag
        if diag is None:
            return np.zeros(1 << self.n)
        return diag.copy()

    # ---- conversions -----------------------------------------------------------------
    def _plan(self) -> _Plan:
        if self._plan_cache is None:
            self._require_matvec("a matrix-free product")
            self._plan_cache = _Plan(self.n, self._simplified())
        return self._plan_cache

    def apply(self, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """A v for v of shape (…, 2^n) (batch axes first), matrix-free.

        Examples
        --------
        >>> A = PauliSum.sliding(3, 2, "X") + PauliSum.single_site(3, "Z", 0.5)
        >>> v = np.arange(16.0).reshape(2, 8)
        >>> bool(np.allclose(A.apply(v), v @ A.to_dense().T))
        True
        """
        self._require_matvec("a matrix-free product")
        v = np.asarray(v)
        if v.shape[-1] != 1 << self.n:
            raise InvalidInputError(
                f"vector has {v.shape[-1]} entries but the PauliSum acts on 2^{self.n}"
            )
        return self._plan().apply(v, out=out)

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """A v for v of shape (2^n,) or (2^n, k) (scipy convention), matrix-free."""
        v = np.asarray(v)
        if v.ndim == 1:
            return self.apply(v)
        return self.apply(np.ascontiguousarray(v.T)).T

    def __matmul__(self, other: Any) -> Any:
        if isinstance(other, PauliSum):
            return NotImplemented
        return self.matvec(other)

    def to_linear_operator(self) -> LinearOperator:
        """A ``scipy.sparse.linalg.LinearOperator`` using the matrix-free product."""
        self._require_matvec("a LinearOperator")
        return LinearOperator(
            self.shape,
            matvec=self.apply,
            rmatvec=lambda v: self.adjoint().apply(v),
            matmat=self.matvec,
            dtype=self.dtype,
        )

    def to_sparse(self) -> sp.csr_array:
        """The matrix as ``scipy.sparse.csr_array`` (n ≤ 24)."""
        if self.n > _MAX_SPARSE_QUBITS:
            raise InvalidInputError(
                f"a sparse matrix on {self.n} qubits has 2^{self.n} rows; use n ≤ "
                f"{_MAX_SPARSE_QUBITS} or the matrix-free PauliSum.apply"
            )
        plan = self._plan()
        d = plan.dim
        a = np.arange(d, dtype=np.int64)
        rows, cols, vals = [], [], []
        if plan.diag is not None:
            rows.append(a)
            cols.append(a)
            vals.append(plan.diag)
        t = self._simplified()
        # rebuild per-flip-group diagonals D_x as full vectors
        owner = t.owner()
        bit = np.left_shift(np.int64(1), (self.n - 1 - t.site).astype(np.int64))
        x = np.zeros(t.size, np.int64)
        z = np.zeros(t.size, np.int64)
        np.bitwise_or.at(x, owner, np.where((t.code == 1) | (t.code == 2), bit, 0))
        np.bitwise_or.at(z, owner, np.where((t.code == 2) | (t.code == 3), bit, 0))
        ny = np.bincount(owner, weights=(t.code == 2), minlength=t.size).astype(np.int64)
        coef = t.coef * (-1j) ** (ny % 4)
        for xm in np.unique(x[x != 0]):
            sel = np.flatnonzero(x == xm)
            D = np.zeros(d, complex)
            for i in sel:
                D += coef[i] * _parity_sign(a & z[i])
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

    def to_dense(self) -> np.ndarray:
        """The matrix as a dense ndarray (checked against the free memory)."""
        d = 1 << min(self.n, 62)
        _checks.check_memory(f"a dense {d}×{d} matrix of a PauliSum", 16.0 * d * d)
        return np.asarray(self.to_sparse().toarray())

    def to_qobj(self) -> Any:
        """The operator as a ``qutip.Qobj`` with dims [[2]*n, [2]*n] (needs qutip)."""
        from qbattery._optional import require

        qutip = require("qutip")
        return qutip.Qobj(self.to_sparse(), dims=[[2] * self.n, [2] * self.n])


class ProductState:
    r"""A product ket ⊗_j (a_j|0⟩ + b_j|1⟩) stored per site, never as a 2^n vector.

    Parameters
    ----------
    amplitudes : array_like, shape (n, 2)
        Row j holds (a_j, b_j) for site j; every row must have norm 1.

    Examples
    --------
    >>> from qbattery.operators import ProductState
    >>> psi = ProductState.zeros(3)
    >>> psi.shape, psi.is_pure, psi.to_dense()[:2].tolist()
    ((8,), True, [(1+0j), 0j])
    >>> ProductState.zeros(10**6).shape[0] == 2 ** 10**6
    True
    """

    is_pure = True
    ndim = 1

    def __init__(self, amplitudes: Any, *, atol: float = _checks.DEFAULT_ATOL) -> None:
        amp = np.asarray(amplitudes, dtype=complex)
        if amp.ndim != 2 or amp.shape[1] != 2 or amp.shape[0] < 1:
            raise InvalidInputError(
                f"`amplitudes` must have shape (n, 2), one (a_j, b_j) row per site, got {amp.shape}"
            )
        _checks.check_finite("amplitudes", amp)
        norms = np.sum(np.abs(amp) ** 2, axis=1)
        bad = np.flatnonzero(np.abs(norms - 1) > atol)
        if bad.size:
            raise InvalidInputError(
                f"site {int(bad[0])} of the product state has norm² {norms[bad[0]]:.12g}; "
                "normalise every row (a_j, b_j) to |a_j|² + |b_j|² = 1"
            )
        self.amplitudes = amp
        self.n = int(amp.shape[0])

    @classmethod
    def zeros(cls, n: int) -> ProductState:
        """|0…0⟩ on ``n`` qubits."""
        n = _check_n(n)
        obj = cls.__new__(cls)  # normalised by construction: skip the checks
        obj.amplitudes = np.zeros((n, 2), complex)
        obj.amplitudes[:, 0] = 1.0
        obj.n = n
        return obj

    @property
    def shape(self) -> tuple[int]:
        """(2^n,)."""
        return (1 << self.n,)

    @property
    def site_amplitudes(self) -> np.ndarray:
        """The (n, 2) per-site amplitudes (a read-only view)."""
        view = self.amplitudes.view()
        view.flags.writeable = False
        return view

    def to_dense(self) -> np.ndarray:
        """The 2^n ket (site 0 most significant), checked against the free memory."""
        if self.n > 62:
            raise InvalidInputError(f"a ket on {self.n} qubits cannot be stored; use n ≤ 40")
        _checks.check_memory(f"a ket on {self.n} qubits", 16.0 * 2**self.n)
        out = np.ones(1, complex)
        for row in self.amplitudes:
            out = np.outer(out, row).ravel()
        return out

    def __repr__(self) -> str:
        return f"ProductState(n={self.n})"
