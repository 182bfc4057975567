r"""Exact k-body charging (Eq. 7, App. E) from independent two-level blocks.

The N spins form n = ⌊N/k⌋ blocks of k spins and, when r = N − nk > 0, one block of r
spins (the :ref:`remainder block <readings-remainder>`), each driven by its own σ_x string
with the same Ω_k = (k/N)Ω0. Every block stays in span{|0^m⟩, |1^m⟩} (m its size), an
effective qubit with

.. math:: W_0^{(m)} = -\tfrac{m\omega_0}{2}\sigma_z,\quad
   P_0^{(m)} = -m\omega_0\Omega_k\,\sigma_y,\quad H^{(m)} = \Omega_k\sigma_x

(P0 restricted to the block's invariant subspace). With φ = Ω_k t the Heisenberg
picture gives, per block (App. E, E2 and E5 with App. D's sign of P0, see :doc:`/readings`),

.. math:: \mathcal W^{(m)}_t = \tfrac{m\omega_0}{2}\,[2\sin^2\!\varphi\,\sigma_z
   - \sin 2\varphi\,\sigma_y],\qquad
   \mathcal P^{(m)}_t = m\omega_0\Omega_k\,[\sin 2\varphi\,\sigma_z
   + 2\sin^2\!\varphi\,\sigma_y].

The state is a product over blocks, so means add, variances add, and cross terms of
different blocks factorise; with Σ_j m_j = N and Q₂ = Σ_j m_j² = nk² + r²:
⟨𝒲⟩ = Nω0 sin²φ, (Δ𝒲)² = Q₂(ω0²/4) sin²2φ, ⟨𝒫⟩ = NΩ_kω0 sin 2φ,
(Δ𝒫)² = 4Q₂Ω_k²ω0² sin⁴φ (Eq. 8, E3–E7 and, for r > 0, the
:ref:`remainder block <readings-remainder>`).

Fisher information (Eq. B5): the eigenvalues of W0 (excited spins, k·a + r·b) and of
P0 (k(2a − n) ± r) label the block configurations injectively (0 < r < k), and the
blocks are independent Bernoulli trials, so I = Σ_blocks I_block. A block's work
outcome has p = sin²φ, its power outcome (σ_y eigenvalue) p = (1 + sin 2φ)/2; both
give I_block = ṗ²/(p(1 − p)) = 4Ω_k². Hence I^W = I^P = 4Ω_k²B with B the number of
blocks, and θ_t = |Ω_k| t √B (for N/k integer, cot²θ_t = cot²(Ω_k t √(N/k)); see
:ref:`readings <readings-fisher>`).

Cumulants of all orders (Eq. A2): ρ0, U_t and O_0 = Σ_j O_0^{(j)} all factorise over
the blocks, so e^{Z(χ, t)} is a product over blocks and Z(χ, t) = Σ_j Z_j(χ, t): every
cumulant is the sum of the blocks' cumulants, κ_n = ⌊N/k⌋ κ_n^{(k)} + κ_n^{(r)}. A
block's Z_j involves only its invariant two-level subspace, where it is the single
qubit of App. D with ω0 → mω0 and Ω0 → Ω_k (the operators above); its cumulants come
from the dense engine's generating function (``DenseEngine.counting_moments``) on
that two-level battery (:func:`block_battery`), so there is one implementation of
Eq. (A2) and the structured cost does not depend on N.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from qbattery.battery import Battery
from qbattery.engines.base import Moments, Observable, ObservableMoments
from qbattery.numerics.cumulants import cumulants_from_moments
from qbattery.numerics.kbody import block_count, block_sum_squares, kbody_blocks

if TYPE_CHECKING:
    from qbattery.engines.dense import DenseEngine


def block_battery(m: int, omega0: float, Omega_k: float) -> Battery:
    r"""One k-body block of m spins on its invariant subspace span{|0^m⟩, |1^m⟩}.

    The single qubit of App. D with ω0 → mω0 and Ω0 → Ω_k: W_0 = −(mω0/2)σ_z,
    H = Ω_kσ_x, P_0 = −mω0Ω_kσ_y, from |0⟩ (the block operators of the module
    docstring). Its Z(χ, t) (Eq. A2) equals that of the m-spin block, whose state never
    leaves this subspace and whose W_0, P_0 and H leave it invariant.

    Examples
    --------
    >>> bat = block_battery(3, 1.0, 0.25)
    >>> bat.dim, bat.params["omega0"], bat.params["Omega0"]
    (2, 3.0, 0.25)
    """
    w, Om = float(m * omega0), float(Omega_k)
    H0 = -(w / 2) * np.diag([1.0, -1.0])
    return Battery(
        H0,
        Om * np.array([[0.0, 1.0], [1.0, 0.0]]) - H0,
        np.array([1.0, 0.0], dtype=complex),
        name="single_qubit",
        params={"omega0": w, "Omega0": Om},
        structure={"family": "kbody", "N": 1, "k": 1, "omega0": w, "Omega0": Om},
    )


class KBodySolver:
    """Closed-form moments of ``kbody(N, k, omega0, Omega0)`` (also ``single_qubit``).

    Examples
    --------
    >>> import numpy as np
    >>> s = KBodySolver({"family": "kbody", "N": 12, "k": 5, "omega0": 1.0, "Omega0": 1.0})
    >>> s.blocks, s.q2   # two blocks of 5 and one of 2: 25 + 25 + 4
    (3, 54)
    >>> m = s.moments(np.array([1.0]))
    >>> bool(np.isclose(m.work.mean[0], 12 * np.sin(5 / 12) ** 2))
    True
    """

    def __init__(self, structure: Mapping[str, Any]) -> None:
        self.N = int(structure["N"])
        self.k = int(structure["k"])
        self.omega0 = float(structure["omega0"])
        self.Omega0 = float(structure["Omega0"])
        self.Omega_k = self.k / self.N * self.Omega0
        #: number of blocks and Σ_j m_j² (exact integers)
        self.blocks = block_count(self.N, self.k)
        self.q2 = block_sum_squares(self.N, self.k)
        self.notes: dict[str, str] = {}
        self._block_engines: dict[int, DenseEngine] = {}

    def block_sizes(self) -> list[tuple[int, int]]:
        """Distinct block sizes m and how many blocks have them: [(k, ⌊N/k⌋), (r, 1)]."""
        n, r = kbody_blocks(self.N, self.k)
        return [(m, count) for m, count in ((self.k, n), (r, 1)) if m and count]

    def _block_engine(self, m: int) -> DenseEngine:
        if m not in self._block_engines:
            from qbattery.engines.dense import DenseEngine

            bat = block_battery(m, self.omega0, self.Omega_k)
            self._block_engines[m] = DenseEngine(bat)
        return self._block_engines[m]

    def block_cumulants(
        self, m: int, times: np.ndarray, which: Observable, order: int
    ) -> np.ndarray:
        """Cumulants κ_1…κ_order (order, nt) of one block of m spins (Eq. A2).

        The dense engine's cumulants of the block's two-level battery, from its moments
        about the block's exact mean (:func:`qbattery.numerics.cumulants_from_moments`).
        """
        t = np.asarray(times, dtype=float)
        eng = self._block_engine(m)
        center = eng.moments(t).observable(which).mean
        raw = eng.counting_moments(t, which, order, center=center)
        assert raw is not None  # the dense engine has full counting statistics
        return cumulants_from_moments(raw, center=center)

    def cumulants(self, times: np.ndarray, which: Observable, order: int) -> np.ndarray:
        """κ_1…κ_order (order, nt) of 𝒪_t: Σ over distinct block sizes of count × κ_block.

        Z(χ, t) is a sum over independent blocks (module docstring), so the cost is one
        two-level dense problem per distinct block size, whatever N.

        Examples
        --------
        Work cumulants of 5 blocks of 2 spins are 5 × those of one block (Bernoulli
        with p = sin²(Ω_k t) on {0, 2ω0}): κ_2 = 5 · 4p(1 − p).

        >>> import numpy as np
        >>> s = KBodySolver({"family": "kbody", "N": 10, "k": 2, "omega0": 1.0, "Omega0": 1.0})
        >>> kappa = s.cumulants(np.array([1.0]), "work", 4)
        >>> p = np.sin(0.2) ** 2
        >>> bool(np.isclose(kappa[1, 0], 5 * 4 * p * (1 - p), rtol=1e-12))
        True
        """
        t = np.asarray(times, dtype=float)
        total = np.zeros((order, t.size))
        for m, count in self.block_sizes():
            total += count * self.block_cumulants(m, t, which, order)
        return total

    def moments(self, times: np.ndarray) -> Moments:
        """Exact raw moments (sums over blocks in closed form, no loop over blocks)."""
        t = np.asarray(times, dtype=float)
        w0, Om, N, Q2 = self.omega0, self.Omega_k, self.N, float(self.q2)
        phi = Om * t
        s1 = np.sin(phi) ** 2
        s2 = np.sin(2 * phi)
        # work: 𝒲 = Σ_j (m_jω0/2)[2s1 σz − s2 σy]; |0⟩ is an eigenstate of W0
        work_mean = N * w0 * s1
        work_var = Q2 * (w0 / 2) ** 2 * s2**2
        # power: 𝒫 = Σ_j m_jω0Ω[s2 σz + 2s1 σy], P0 = −Σ_j m_jω0Ω σy
        b2 = Q2 * (w0 * Om) ** 2  # Σ_j b_j², b_j = m_jω0Ω
        power_mean = N * w0 * Om * s2
        power_var = 4 * b2 * s1**2
        power_cross0 = -2 * b2 * s1 + 0j  # Σ_j ⟨(−b_jσy)(2b_j s1 σy)⟩
        # ⟨𝒫𝒲⟩: blocks j ≠ l factorise; same block: α_Pα_W + β_Pβ_W
        cov_pw = Q2 * (w0 / 2) * (w0 * Om) * (2 * s1) * (-s2)
        cross = power_mean * work_mean + cov_pw + 0j
        with np.errstate(divide="ignore"):
            fidelity = np.exp(self.blocks * np.log1p(-s1))  # Π_j cos²φ
        zeros = np.zeros(t.size, dtype=complex)
        work = ObservableMoments.from_variance(work_mean, work_var, zeros, 0.0)
        power = ObservableMoments.from_variance(power_mean, power_var, power_cross0, float(b2))
        return Moments(
            times=t,
            work=work,
            power=power,
            cross=cross,
            fidelity=np.minimum(fidelity, 1.0),
            notes=dict(self.notes),
        )

    def _rate(self) -> float:
        """Fisher information per unit time², 4Ω_k² × blocks (0 if W0 = P0 = 0)."""
        if self.omega0 == 0.0:  # W0 = P0 = 0: a single eigenspace, nothing to learn
            return 0.0
        return 4 * self.Omega_k**2 * self.blocks

    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray:
        """I^W_t = I^P_t = 4Ω_k² × (number of blocks), constant in time (Eq. B5)."""
        return np.full(np.shape(times), self._rate())

    def angle(self, times: np.ndarray, which: Observable) -> np.ndarray:
        """θ_t = |Ω_k| t √blocks (Eq. 5 with a constant Fisher information)."""
        return np.sqrt(self._rate()) / 2 * np.asarray(times, dtype=float)
