r"""Fisher information of the Ising chain's W0 and P0 eigenspaces (Eq. B5), exactly.

In the window basis (see :mod:`.ising`) the state is ⊗_j(cos gt|0⟩ + i sin gt|1⟩), i.e.
window j is chosen with probability q = sin²gt, independently, and site i is flipped
iff an odd number of chosen windows covers it.

**Work.** The W0 eigenvalue is the number n of flipped spins. Its distribution p_n(q)
is a polynomial in q, computed by a transfer matrix over the last s − 1 window bits:
each step chooses window j (weight q or 1 − q) and fixes site j's flip. Run with the
complex weights q + ih and 1 − q − ih (complex step, h ≪ q(1 − q)), Re p_n = p_n and
Im p_n / h = ∂_q p_n to rounding, with no subtraction anywhere (all weights of p are
positive, so even 10⁻²⁰⁰ tails keep full relative accuracy). With q̇² = 4g²q(1 − q),

.. math:: I^W_t = 4g^2\, q(1-q) \sum_n \frac{(\partial_q p_n)^2}{p_n},

and at q = 0 and 1 its limits: 4g²L and 4g² × (windows whose removal from the full
set changes n).

**Power.** P0 maps the 2^L-dimensional window space onto itself, so its eigenspaces
there, from a dense eigendecomposition (small L), give I^P_t exactly.

**Angle.** Both informations depend on t only through q and |q̇| (the power one through
the complex conjugation P0 → −P0 of the window basis), so I_t has period π/|g| and is
symmetric about gt = π/2. θ_t is therefore integrated over one quarter period only.
I^W is smooth (analytic in q) and each evaluation is a transfer-matrix run, so it is
interpolated by adaptive piecewise Chebyshev polynomials from few exact evaluations;
I^P is cheap to evaluate but has sharp features where an eigenspace's probability
nearly vanishes, so it is used directly. √I/2 is then integrated adaptively.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft
import scipy.sparse as sp

from qbattery.engines.dense import eigenspaces
from qbattery.numerics.quadrature import speed_angle

#: relative size (to max I) of the last Chebyshev coefficients of a converged panel
_CHEB_RTOL = 1e-12
#: bytes of working memory for one chunk of the work transfer matrix
DP_CHUNK_BYTES = 64 * 1024**2
#: q values run together through the work transfer matrix (nearby, after sorting)
DP_CHUNK_Q = 32
#: flip counts whose probability stays below this for every q of a chunk are dropped;
#: their share of I^W is below TAIL_DROP·L²/(q(1−q)), far below rounding
TAIL_DROP = 1e-40


def popcount(x: np.ndarray) -> np.ndarray:
    """Number of set bits of non-negative integers (elementwise).

    Examples
    --------
    >>> popcount(np.array([0, 1, 6, 255])).tolist()
    [0, 1, 2, 8]
    """
    x = np.asarray(x, dtype=np.int64).copy()
    count = np.zeros(x.shape, dtype=np.int64)
    while np.any(x):
        count += x & 1
        x >>= 1
    return count


# ---- work: transfer matrix over window bits --------------------------------------------
def work_information(N: int, s: int, q: np.ndarray, qc: np.ndarray) -> np.ndarray:
    """K(q) = q(1 − q) Σ_n (∂_q p_n)²/p_n for 0 < q < 1 (I^W = 4g²K); ``qc`` = 1 − q.

    Nearby q are run together (sorted, chunks of :data:`DP_CHUNK_Q`), so the band of
    flip counts that carries probability stays narrow.

    Examples
    --------
    >>> import numpy as np
    >>> q = np.array([0.3])
    >>> work_information(4, 4, q, 1 - q)   # one window: n ∈ {0, 4}, a Bernoulli trial
    array([1.])
    """
    L = N - s + 1
    if s == 1:  # n = number of chosen windows itself: L Bernoulli trials
        return np.full(q.shape, float(L))
    states = 2 ** (s - 1)
    size = max(1, min(DP_CHUNK_Q, DP_CHUNK_BYTES // (2 * states * (N + 1) * 16)))
    order = np.argsort(q, kind="stable")
    out = np.empty(q.shape)
    for a in range(0, q.size, size):
        sel = order[a : a + size]
        out[sel] = _work_chunk(N, s, q[sel], qc[sel])
    return out


def _work_chunk(N: int, s: int, q: np.ndarray, qc: np.ndarray) -> np.ndarray:
    L, S = N - s + 1, 2 ** (s - 1)
    h = 1e-20 * np.minimum(q, qc)  # complex step, relative error (h/q)² ≈ 1e-40
    weight = {1: (q + 1j * h)[:, None], 0: (qc - 1j * h)[:, None]}
    state = np.arange(S)
    bit = state & 1  # bit 0 = the newest window; bit s−2 the oldest still needed
    low = state >> 1
    high = low | (1 << (s - 2))
    parity_low = (popcount(low) + bit) & 1  # site flip if the source is `low`
    keep = np.where(parity_low == 0, low, high)  # source with an even cover: no flip
    flip = np.where(parity_low == 0, high, low)
    P = np.zeros((S, q.size, N + 2), dtype=complex)
    new = np.zeros_like(P)
    P[0, :, 0] = 1.0
    lo, hi = 0, 0  # flip counts lo…hi carry probability (others are exactly 0)
    for j in range(L):
        for st in range(S):
            out = new[st, :, lo : hi + 2]
            out[:, :-1] = P[keep[st], :, lo : hi + 1]
            out[:, -1] = 0.0
            out[:, 1:] += P[flip[st], :, lo : hi + 1]
            out *= weight[int(bit[st])]
        P, new = new, P
        hi += 1
        if j % 4 == 3:  # drop edge counts whose probability is below TAIL_DROP for all q
            while hi > lo and np.max(np.abs(P[:, :, hi])) < TAIL_DROP:
                P[:, :, hi] = 0.0
                new[:, :, hi] = 0.0
                hi -= 1
            while lo < hi and np.max(np.abs(P[:, :, lo])) < TAIL_DROP:
                P[:, :, lo] = 0.0
                new[:, :, lo] = 0.0
                lo += 1
    # the last s − 1 sites are fixed by the final window bits
    extra = np.zeros(S, dtype=np.int64)
    for k in range(s - 1):
        extra += popcount(state & ((1 << (s - 1 - k)) - 1)) & 1
    p = np.zeros((q.size, N + 1), dtype=complex)
    for st in range(S):
        e = int(extra[st])
        p[:, e:] += P[st, :, : N + 1 - e]
    prob, dprob = p.real, p.imag / h[:, None]
    positive = prob > 0
    terms = np.where(positive, dprob**2 / np.where(positive, prob, 1.0), 0.0)
    return np.asarray(np.sum(terms, axis=1) * q * qc)


def work_information_full(N: int, s: int) -> float:
    """lim_{q→1} K(q): windows whose removal from the full set changes n.

    Examples
    --------
    >>> work_information_full(3, 2)   # full set flips sites 0 and 2; each removal keeps n
    0.0
    """
    L = N - s + 1
    i = np.arange(N)
    cover = np.minimum(i, L - 1) - np.maximum(0, i - s + 1) + 1
    star = cover % 2
    ones = np.concatenate(([0], np.cumsum(star)))
    j = np.arange(L)
    inside = ones[j + s] - ones[j]
    return float(np.count_nonzero(s != 2 * inside))


# ---- power: eigenspaces of P0 on the window space --------------------------------------
class PowerSpectrum:
    """Eigenspaces of P0 = −iκ Σ_i Z_{J_i} Σ_{j∈J_i} X_j on the 2^L window space.

    Two exact reductions make this real and half as large:

    * the diagonal unitary D|b⟩ = i^{|b|}|b⟩ (|b| the number of chosen windows) maps the
      state ⊗_j(cos θ|0⟩ + i sin θ|1⟩) to the real φ_θ(b) = cos^{L−|b|}θ sin^{|b|}θ and P0
      to the real symmetric D†P0D (each term changes |b| by ±1);
    * the chain's reflection (window j ↔ L−1−j) commutes with P0 and H and fixes the
      state, so only its symmetric subspace (about 2^(L−1) dimensions) is needed.

    Examples
    --------
    >>> spec = PowerSpectrum(3, 2, 1.0)   # L = 2 windows, 3 symmetric states
    >>> (spec.values / np.sqrt(8)).round(12).tolist()
    [-1.0, 0.0, 1.0]
    """

    def __init__(self, N: int, s: int, kappa: float) -> None:
        L = N - s + 1
        dim = 2**L
        b = np.arange(dim, dtype=np.int64)
        i = np.arange(N)
        lo, hi = np.maximum(0, i - s + 1), np.minimum(i, L - 1)
        P0 = np.zeros((dim, dim))
        for site in range(N):
            cover = sum(1 << j for j in range(int(lo[site]), int(hi[site]) + 1))
            for j in range(int(lo[site]), int(hi[site]) + 1):
                moved = b ^ (1 << j)
                sign = 1 - 2 * (popcount(moved & cover) & 1)
                # ⟨moved|D†(−iκ Z X_j)D|b⟩ = −iκ·sign·i^{|b|−|moved|}: −κ·sign if b_j = 0
                P0[moved, b] += kappa * sign * np.where(b & (1 << j), 1.0, -1.0)
        mirror = _reverse_bits(b, L)
        reps = b[b <= mirror]
        pair = mirror[reps]
        k = np.arange(reps.size)
        weight = np.where(reps == pair, 1.0, np.sqrt(0.5))
        V = sp.csr_array(  # isometry onto the reflection-symmetric subspace
            (
                np.r_[weight, weight[reps != pair]],
                (np.r_[reps, pair[reps != pair]], np.r_[k, k[reps != pair]]),
            ),
            shape=(dim, reps.size),
        )
        M = (V.T @ (V.T @ P0).T).T  # V† P0 V, dense
        vals, vecs = np.linalg.eigh((M + M.T) / 2)
        self.L = L
        self.V = V
        self.values = vals
        self.Qt = np.ascontiguousarray(vecs.T)
        self.starts = eigenspaces(vals)

    def information(self, theta: np.ndarray, g: float) -> np.ndarray:
        """I^P at gt = ``theta``: Σ_λ (dp_λ/dt)²/p_λ, dp/dt = 2 Im⟨ψ|Π_λ H|ψ⟩, H = −gΣX_j;
        where p_λ is at rounding level its limit 4‖Π_λHψ‖² (as the dense engine).

        In the rotated frame ψ = Dφ with φ real and D†HD|φ⟩ = iξ, ξ(b) = −g Σ_j ±φ(b ⊕ e_j)
        (+ where b_j = 0), so p = ‖Πφ‖², dp/dt = 2⟨φ|Π|ξ⟩ and the limit is 4‖Πξ‖²."""
        L, dim = self.L, 2**self.L
        b = np.arange(dim, dtype=np.int64)
        ones = popcount(b)
        p_floor = dim * 1e-26
        out = np.empty(theta.shape)
        chunk = max(1, (32 * 1024**2) // (dim * 8 * 4))
        for a in range(0, theta.size, chunk):
            th = theta[a : a + chunk]
            c, sn = np.cos(th), np.sin(th)
            phi = c[None, :] ** (L - ones[:, None]) * sn[None, :] ** ones[:, None]
            xi = np.zeros_like(phi)
            for j in range(L):
                sign = np.where(b & (1 << j), -1.0, 1.0)[:, None]
                xi += sign * phi[b ^ (1 << j)]
            xi *= -g
            amp = self.Qt @ (self.V.T @ phi)
            hamp = self.Qt @ (self.V.T @ xi)
            p = np.add.reduceat(amp**2, self.starts, axis=0)
            z = np.add.reduceat(amp * hamp, self.starts, axis=0)
            lim = np.add.reduceat(hamp**2, self.starts, axis=0)
            small = p <= p_floor
            terms = np.where(small, 4 * lim, (2 * z) ** 2 / np.where(small, 1.0, p))
            out[a : a + chunk] = np.sum(terms, axis=0)
        return out


def _reverse_bits(b: np.ndarray, L: int) -> np.ndarray:
    """The L-bit pattern of each b read backwards (window j ↔ L − 1 − j)."""
    out = np.zeros_like(b)
    for j in range(L):
        out |= ((b >> j) & 1) << (L - 1 - j)
    return out


# ---- angle over one quarter period ------------------------------------------------------
def _chebyshev_coefficients(values: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients from values at x_k = cos(πk/(n−1)), k = 0…n−1 (DCT-I)."""
    n = values.shape[-1]
    coef = scipy.fft.dct(values, type=1, axis=-1) / (n - 1)
    coef[..., 0] /= 2
    coef[..., -1] /= 2
    return np.asarray(coef)


class PiecewiseChebyshev:
    """Adaptive Chebyshev interpolant of a smooth f on [a, b].

    Each panel doubles its Chebyshev–Lobatto grid (33, 65, … points, reusing every value)
    until its last three coefficients are below ``rtol`` × max|f|; a panel that still
    fails at ``max_points`` is halved. All new points of a round are passed to ``f`` in
    one call.

    Examples
    --------
    >>> import numpy as np
    >>> f = PiecewiseChebyshev(np.exp, 0.0, 2.0)
    >>> bool(abs(f(np.array([1.3]))[0] - np.exp(1.3)) < 1e-13), f.evaluations
    (True, 33)
    """

    def __init__(
        self,
        f: Callable[[np.ndarray], np.ndarray],
        a: float,
        b: float,
        *,
        rtol: float = _CHEB_RTOL,
        first_points: int = 33,
        max_points: int = 257,
        max_panels: int = 64,
    ) -> None:
        # panel: (lo, hi, values at cos(πk/(n−1)) mapped to [lo, hi]); values None = new
        pending: list[tuple[float, float, np.ndarray | None]] = [(a, b, None)]
        done: list[tuple[float, float, np.ndarray]] = []
        scale = 0.0
        self.evaluations = 0
        while pending:
            requests = []
            for lo, hi, vals in pending:
                n = first_points if vals is None else 2 * vals.size - 1
                k = np.arange(n) if vals is None else np.arange(1, n, 2)
                x = np.cos(np.pi * k / (n - 1))
                requests.append((lo + hi) / 2 + (hi - lo) / 2 * x)
            new = np.asarray(f(np.concatenate(requests)), dtype=float)
            self.evaluations += new.size
            scale = max(scale, float(np.max(np.abs(new))))
            nxt: list[tuple[float, float, np.ndarray | None]] = []
            start = 0
            for (lo, hi, vals), req in zip(pending, requests, strict=True):
                got, start = new[start : start + req.size], start + req.size
                if vals is None:
                    full = got
                else:
                    full = np.empty(2 * vals.size - 1)
                    full[0::2], full[1::2] = vals, got
                coef = _chebyshev_coefficients(full)
                converged = np.max(np.abs(coef[-3:])) <= rtol * scale
                crowded = len(done) + len(nxt) + len(pending) >= max_panels
                if converged or (full.size >= max_points and crowded):
                    done.append((lo, hi, coef))
                elif full.size < max_points:
                    nxt.append((lo, hi, full))
                else:
                    mid = (lo + hi) / 2
                    nxt += [(lo, mid, None), (mid, hi, None)]
            pending = nxt
        done.sort(key=lambda p: p[0])
        self.edges = np.array([p[1] for p in done])
        self.panels = done

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        idx = np.clip(np.searchsorted(self.edges, x, side="left"), 0, len(self.panels) - 1)
        out = np.empty(x.shape)
        for k in np.unique(idx):
            lo, hi, coef = self.panels[k]
            sel = idx == k
            u = np.clip(2 * (x[sel] - lo) / (hi - lo) - 1, -1.0, 1.0)
            out[sel] = np.polynomial.chebyshev.chebval(u, coef)
        return out


def quarter_period_angle(
    information: Callable[[np.ndarray], np.ndarray],
    g: float,
    times: np.ndarray,
    *,
    interpolate: bool = True,
) -> np.ndarray:
    """θ_t = ∫_0^t √I/2 (Eq. 5) for I(t) = F(|g|t) with F π-periodic, even about π/2.

    ``information(x)`` gives I at x = |g|t ∈ [0, π/2]. √I/2 is integrated there
    adaptively (:func:`qbattery.numerics.quadrature.speed_angle`) and continued: θ over each further
    quarter period adds the same total, mirrored. With ``interpolate`` (for costly,
    smooth I) the integrand comes from a :class:`PiecewiseChebyshev` interpolant of I
    built from few exact evaluations; without it, from ``information`` itself.

    Examples
    --------
    >>> import numpy as np
    >>> quarter_period_angle(lambda x: 4.0 + 0 * x, 0.5, np.array([1.0, 10.0]))
    array([ 1., 10.])
    """
    G = abs(g)
    half_pi = np.pi / 2
    x = G * np.asarray(times, dtype=float)
    k = np.floor(x / half_pi)
    r = np.clip(x - k * half_pi, 0.0, half_pi)
    odd = (k % 2) == 1
    red = np.where(odd, half_pi - r, r)
    integrand = PiecewiseChebyshev(information, 0.0, half_pi) if interpolate else information
    grid, inverse = np.unique(np.append(red, half_pi), return_inverse=True)
    phi = speed_angle(integrand, grid) / G  # ∫ √I/2 dt = ∫ √I/2 dx / |g|
    total = phi[-1]
    phi_red = phi[inverse[:-1]]
    return np.asarray(k * total + np.where(odd, total - phi_red, phi_red))
