"""Flat storage of Pauli strings and their exact algebra (sums, products, commutators).

A sum Σ_t c_t P_t is stored as flat arrays, one entry per non-identity site of each
string (:class:`Terms`), so that sums over 10⁶ sites stay cheap; products and
commutators are computed on the strings, vectorised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qbattery.errors import InvalidInputError
from qbattery.operators.bits import CODE, LETTERS

# σ_a σ_b = i^{PHASE[a, b]} σ_{a ^ b} with codes I=0, X=1, Y=2, Z=3
PHASE = np.array(
    [[0, 0, 0, 0], [0, 0, 1, 3], [0, 3, 0, 1], [0, 1, 3, 0]],
    dtype=np.int64,
)


@dataclass(frozen=True)
class Terms:
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

    def scaled(self, c: complex) -> Terms:
        """The same strings with every coefficient times ``c``."""
        return Terms(self.coef * c, self.ptr, self.site, self.code)

    def conj(self) -> Terms:
        """The same strings with conjugated coefficients (the adjoint)."""
        return Terms(self.coef.conj(), self.ptr, self.site, self.code)


def matrix_coef(t: Terms) -> np.ndarray:
    """c_t (−i)^{n_Y}: the coefficient of string t as a flip and a sign pattern.

    P_t v[a] = (−i)^{n_Y} (−1)^{popcount(a & z)} v[a ⊕ x] for its masks x, z and its
    number n_Y of letters Y.
    """
    ny = np.bincount(t.owner(), weights=(t.code == 2), minlength=t.size).astype(np.int64)
    return t.coef * (-1j) ** (ny % 4)


def empty_terms() -> Terms:
    return Terms(
        np.zeros(0, complex), np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8)
    )


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each pair, vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, np.int64) - offsets, lengths) + np.arange(total)


def concat(parts: Sequence[Terms]) -> Terms:
    if not parts:
        return empty_terms()
    shifts = np.cumsum([0] + [p.site.size for p in parts[:-1]])
    ptr = np.concatenate([[0]] + [p.ptr[1:] + s for p, s in zip(parts, shifts, strict=True)])
    return Terms(
        np.concatenate([p.coef for p in parts], dtype=complex),
        ptr.astype(np.int64, copy=False),
        np.concatenate([p.site for p in parts], dtype=np.int64),
        np.concatenate([p.code for p in parts], dtype=np.int8),
    )


def take(t: Terms, idx: np.ndarray, coef: np.ndarray | None = None) -> Terms:
    lengths = t.lengths()[idx]
    entries = ranges(t.ptr[idx], lengths)
    return Terms(
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


def _group_strings(t: Terms) -> tuple[np.ndarray, np.ndarray]:
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
        a = ranges(t.ptr[dup], lengths[dup])
        b = ranges(t.ptr[rep[dup]], lengths[dup])
        if np.any(t.site[a] != t.site[b]) or np.any(t.code[a] != t.code[b]):  # pragma: no cover
            return _group_strings_exact(t)  # a 128-bit hash collision
    # relabel in order of first occurrence
    rank = np.empty(first.size, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[label], np.sort(first)


def _group_strings_exact(t: Terms) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
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


def simplify_terms(t: Terms, atol: float) -> Terms:
    label, first = _group_strings(t)
    if first.size == 0:
        return t
    re = np.bincount(label, weights=t.coef.real, minlength=first.size)
    im = np.bincount(label, weights=t.coef.imag, minlength=first.size)
    coef = re + 1j * im
    keep = np.abs(coef) > atol
    return take(t, first[keep], coef[keep])


def _product(a: Terms, ia: np.ndarray, b: Terms, ib: np.ndarray, scale: complex) -> Terms:
    """Terms scale · c_a c_b P_a P_b for the pairs (ia[p], ib[p])."""
    npair = ia.size
    if npair == 0:
        return empty_terms()
    la, lb = a.lengths()[ia], b.lengths()[ib]
    ea, eb = ranges(a.ptr[ia], la), ranges(b.ptr[ib], lb)
    pid = np.concatenate([np.repeat(np.arange(npair), la), np.repeat(np.arange(npair), lb)])
    site = np.concatenate([a.site[ea], b.site[eb]])
    code = np.concatenate([a.code[ea], b.code[eb]]).astype(np.int64)
    src = np.concatenate([np.zeros(ea.size, np.int8), np.ones(eb.size, np.int8)])
    order = np.lexsort((src, site, pid))
    pid, site, code = pid[order], site[order], code[order]
    same = np.flatnonzero((pid[1:] == pid[:-1]) & (site[1:] == site[:-1]))
    exponent = np.zeros(npair, np.int64)
    np.add.at(exponent, pid[same], PHASE[code[same], code[same + 1]])
    code[same] = code[same] ^ code[same + 1]
    keep = np.ones(pid.size, bool)
    keep[same + 1] = False
    keep &= code != 0
    pid, site, code = pid[keep], site[keep], code[keep]
    lengths = np.bincount(pid, minlength=npair)
    coef = scale * a.coef[ia] * b.coef[ib] * (1j ** (exponent % 4))
    return Terms(
        coef.astype(complex),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        site.astype(np.int64),
        code.astype(np.int8),
    )


def commutator_terms(a: Terms, b: Terms) -> Terms:
    """[A, B] = Σ over anticommuting string pairs of 2 c_a c_b P_a P_b (sparse join)."""
    if a.size == 0 or b.size == 0:
        return empty_terms()
    owner_a, owner_b = a.owner(), b.owner()
    order_b = np.argsort(b.site, kind="stable")
    sb = b.site[order_b]
    lo = np.searchsorted(sb, a.site, "left")
    cnt = np.searchsorted(sb, a.site, "right") - lo
    ea = np.repeat(np.arange(a.site.size), cnt)
    eb = order_b[ranges(lo, cnt)]
    differ = a.code[ea] != b.code[eb]
    pairs = owner_a[ea[differ]] * b.size + owner_b[eb[differ]]
    upairs, counts = np.unique(pairs, return_counts=True)
    anti = upairs[counts % 2 == 1]
    return _product(a, anti // b.size, b, anti % b.size, 2.0)


def parse_string(spec: Any, n: int) -> tuple[list[int], list[int]]:
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
        if letter not in CODE:
            raise InvalidInputError(f"unknown Pauli letter {letter!r}; use one of I, X, Y, Z")
        if not 0 <= site < n:
            raise InvalidInputError(f"site {site} is outside a chain of {n} qubits (0…{n - 1})")
        if letter != "I":
            sites.append(site)
            codes.append(CODE[letter])
    return sites, codes


def parse_terms(terms: Iterable[tuple[complex, Any]], n: int) -> Terms:
    """Terms of ``(coefficient, string)`` pairs, each string as in :func:`parse_string`."""
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
        s, k = parse_string(spec, n)
        coefs.append(c)
        sites.extend(s)
        codes.extend(k)
        ptr.append(len(sites))
    return Terms(
        np.asarray(coefs, complex).reshape(-1),
        np.asarray(ptr, np.int64),
        np.asarray(sites, np.int64),
        np.asarray(codes, np.int8),
    )


def term_list(t: Terms) -> list[tuple[complex, dict[int, str]]]:
    """The terms as ``(coefficient, {site: letter})`` pairs."""
    out = []
    for i in range(t.size):
        sl = slice(t.ptr[i], t.ptr[i + 1])
        out.append(
            (
                complex(t.coef[i]),
                {int(s): LETTERS[c] for s, c in zip(t.site[sl], t.code[sl], strict=True)},
            )
        )
    return out


def term_label(t: Terms, i: int, n: int) -> str:
    """String ``i`` as letters (``"XZI"``, n ≤ 12) or as site-labelled letters (``"X0 Z1"``)."""
    sl = slice(t.ptr[i], t.ptr[i + 1])
    if n <= 12:
        letters = ["I"] * n
        for s, c in zip(t.site[sl], t.code[sl], strict=True):
            letters[s] = LETTERS[c]
        return "".join(letters)
    body = " ".join(f"{LETTERS[c]}{s}" for s, c in zip(t.site[sl], t.code[sl], strict=True))
    return body or "I"


def format_coef(c: complex) -> str:
    if c.imag == 0:
        return f"{c.real:g}"
    if c.real == 0:
        return f"{c.imag:g}j"
    return f"({c.real:g}{c.imag:+g}j)"


def check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidInputError(f"`n` (number of qubits) must be a positive integer, got {n!r}")
    return int(n)


def letter_code(letter: str) -> int:
    code = CODE.get(str(letter).upper())
    if code is None or code == 0:
        raise InvalidInputError(f"unknown Pauli letter {letter!r}; use one of X, Y, Z")
    return code


# ---- named sums (the PauliSum constructors) ------------------------------------------
def identity_terms(coeff: complex) -> Terms:
    """``coeff`` · I (one string without letters)."""
    return Terms(
        np.array([coeff], complex), np.zeros(2, np.int64), np.zeros(0, np.int64),
        np.zeros(0, np.int8),
    )  # fmt: skip


def site_terms(
    n: int, letter: str, coeff: complex, sites: Sequence[int] | np.ndarray | None
) -> Terms:
    """Σ_j coeff σ^(j) over ``sites`` (default all) of ``n`` qubits."""
    code = letter_code(letter)
    s = np.arange(n, dtype=np.int64) if sites is None else np.asarray(sites, np.int64)
    if s.size and (s.min() < 0 or s.max() >= n):
        raise InvalidInputError(f"sites must lie in 0…{n - 1}, got {s.min()}…{s.max()}")
    return Terms(
        np.full(s.size, coeff, complex),
        np.arange(s.size + 1, dtype=np.int64),
        s,
        np.full(s.size, code, np.int8),
    )


def string_terms(n: int, blocks: Iterable[Sequence[int]], letter: str, coeff: complex) -> Terms:
    """One string coeff ⊗_{j∈block} σ^(j) per block of sites."""
    code = letter_code(letter)
    rows = [np.unique(np.asarray(b, np.int64)) for b in blocks]
    for b in rows:
        if b.size and (b[0] < 0 or b[-1] >= n):
            raise InvalidInputError(f"sites must lie in 0…{n - 1}, got block {b.tolist()}")
    lengths = np.array([b.size for b in rows], np.int64)
    site = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    return Terms(
        np.full(len(rows), coeff, complex),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        site.astype(np.int64),
        np.full(site.size, code, np.int8),
    )


def block_terms(n: int, k: int, letter: str, coeff: complex) -> Terms:
    """Strings over consecutive blocks of ``k`` sites (the last one may be shorter)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise InvalidInputError(f"block size `k` must be an integer in 1…{n}, got {k!r}")
    code = letter_code(letter)
    starts = np.arange(0, n, int(k), dtype=np.int64)
    ptr = np.append(starts, n).astype(np.int64)
    return Terms(
        np.full(starts.size, coeff, complex),
        ptr,
        np.arange(n, dtype=np.int64),
        np.full(n, code, np.int8),
    )


def sliding_terms(n: int, s: int, letter: str, coeff: complex, *, periodic: bool) -> Terms:
    """s-site strings starting at every site of an open (or periodic) chain."""
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 1 <= s <= n:
        raise InvalidInputError(f"string length `s` must be an integer in 1…{n}, got {s!r}")
    code = letter_code(letter)
    count = n if periodic else n - s + 1
    sites = np.sort((np.arange(count)[:, None] + np.arange(s)[None, :]) % n, axis=1)
    return Terms(
        np.full(count, coeff, complex),
        np.arange(0, count * s + 1, s, dtype=np.int64),
        sites.ravel().astype(np.int64),
        np.full(count * s, code, np.int8),
    )
