r"""Ergotropy, passive-state energy and charging efficiency over time.

The ergotropy of a state ρ for a Hamiltonian H0 (Allahverdyan, Balian, Nieuwenhuizen,
EPL 67, 565 (2004)) is the most work a unitary can extract:

.. math:: \mathcal{E}(\rho) = \mathrm{Tr}(\rho H_0)
          - \sum_k r_k^{\downarrow}\,\epsilon_k^{\uparrow},

with ρ's eigenvalues r↓ in decreasing and H0's eigenvalues ε↑ in increasing order
(the second term is the energy of the passive state). Charging is unitary, so ρ_t has
the spectrum of ρ0 and the passive energy is constant; with the stored energy
⟨𝒲_t⟩ = ⟨H0⟩_t − ⟨H0⟩_0 (Eq. 2)

.. math:: \mathcal{E}_t = \langle H_0\rangle_0 + \langle\mathcal{W}_t\rangle - E_{\rm passive}.

This is engine-agnostic: it needs ⟨𝒲_t⟩ (every engine), ⟨H0⟩_0, H0's spectrum and ρ0's
eigenvalues. The last three come from the battery (dense algebra up to
:data:`DENSE_SPECTRUM_MAX`) or from hints in ``battery.structure``:

* ``"H0_spectrum"``: ``(levels, multiplicities)`` or a callable returning them (the
  k-body models: −(ω0/2)(N − 2m) with multiplicity C(N, m));
* ``"H0_initial"``: ⟨H0⟩ in ρ0.

For a battery coupled to a charger (Dicke, Tavis–Cummings) the global ergotropy counts
energy that the cavity holds in correlations; ``battery.structure["subsystem"]``
(set by those models) makes :func:`ergotropy_variables` also report the ergotropy of the
battery's reduced state (``battery_ergotropy``), from the engine's evolved states.

The charging efficiency is ergotropy / stored energy, ℰ_t / ⟨𝒲_t⟩ (NaN where both are 0).
For a passive ρ0 (ground or thermal state) the global ergotropy equals the stored energy,
so the global efficiency is 1; the battery efficiency of a charger model is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from qbattery._dataset import (
    BATTERY_EFFICIENCY,
    BATTERY_ERGOTROPY,
    CHARGING_EFFICIENCY,
    ERGOTROPY,
    PASSIVE_ENERGY,
)
from qbattery.battery import Battery, to_dense
from qbattery.engines.base import Engine, Moments
from qbattery.errors import InvalidInputError
from qbattery.operators import is_lazy

#: largest dimension for which H0's spectrum is computed by dense diagonalisation
DENSE_SPECTRUM_MAX = 4096
#: below this dimension dense diagonalisation is used even when only E_min is needed
SMALL_DIM = 512
#: relative tolerance under which ρ0 is treated as passive (ergotropy exactly 0)
PASSIVE_RTOL = 1e-12
#: tolerance of the Lanczos (eigsh) ground energy of a large H0 for pure states
LANCZOS_TOL = 1e-14


def passive_energy(populations: Any, levels: Any, multiplicities: Any | None = None) -> float:
    r"""Energy Σ_k r_k↓ ε_k↑ of the passive state with the given populations.

    Parameters
    ----------
    populations : array_like, shape (r,)
        Eigenvalues of ρ (zeros may be omitted).
    levels : array_like, shape (L,)
        Distinct or repeated eigenvalues of H0, any order.
    multiplicities : array_like, shape (L,), optional
        How often each level occurs (floats allowed, e.g. huge binomials as inf).

    Examples
    --------
    >>> passive_energy([0.7, 0.3], [1.0, -1.0, 0.0])
    -0.7
    >>> passive_energy([0.5, 0.25, 0.25], [-1.0, 1.0], [2, 2])
    -0.5
    """
    return float(
        passive_energies(np.asarray(populations, dtype=float)[None], levels, multiplicities)[0]
    )


def passive_energies(
    populations: np.ndarray, levels: Any, multiplicities: Any | None = None
) -> np.ndarray:
    r""":func:`passive_energy` of each row of ``populations`` (shape (nt, r)) at once.

    Examples
    --------
    >>> passive_energies(np.array([[0.75, 0.25], [0.5, 0.5]]), [1.0, -1.0]).tolist()
    [-0.5, 0.0]
    """
    p = np.sort(np.asarray(populations, dtype=float), axis=1)[:, ::-1]
    lv = np.asarray(levels, dtype=float)
    mult = np.ones(lv.size) if multiplicities is None else np.asarray(multiplicities, float)
    order = np.argsort(lv, kind="stable")
    lv, mult = lv[order], mult[order]
    cum = np.cumsum(mult)
    if p.shape[1] > cum[-1]:
        raise InvalidInputError(
            f"{p.shape[1]} populations but H0 has only {cum[-1]:.0f} levels; the state and "
            "H0 must act on the same space"
        )
    idx = np.searchsorted(cum, np.arange(p.shape[1]), side="right")
    return np.asarray(p @ lv[idx])


def ergotropy(rho: Any, H0: Any) -> float:
    r"""Ergotropy Tr(ρH0) − Σ r↓ε↑ of a ket or density matrix (dense reference).

    Examples
    --------
    >>> import numpy as np
    >>> ergotropy(np.array([0.0, 1.0]), np.diag([-0.5, 0.5]))
    1.0
    """
    H = to_dense(H0)
    st = np.asarray(rho, dtype=complex)
    if st.ndim == 1:
        energy = float(np.real(st.conj() @ H @ st))
        pops = np.array([1.0])
    else:
        energy = float(np.real(np.trace(st @ H)))
        pops = np.linalg.eigvalsh((st + st.conj().T) / 2)
    return energy - passive_energy(np.clip(pops, 0.0, None), np.linalg.eigvalsh(H))


def _hint_spectrum(structure: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    hint = structure.get("H0_spectrum")
    if hint is None:
        return None
    levels, mult = hint() if callable(hint) else hint
    return np.asarray(levels, dtype=float), np.asarray(mult, dtype=float)


def h0_spectrum(battery: Battery, eng: Engine | None = None) -> tuple[np.ndarray, np.ndarray] | str:
    """(levels, multiplicities) of H0, or the reason they are not available.

    In order: the structure hint; the engine's cached spectrum; the diagonal of a
    diagonal H0; for a pure state only the ground energy (dense below
    :data:`SMALL_DIM`, else Lanczos); for a mixed state dense diagonalisation up to
    :data:`DENSE_SPECTRUM_MAX`.

    Examples
    --------
    >>> import qbattery as qb
    >>> levels, mult = h0_spectrum(qb.models.kbody(4, 2))   # the binomial hint
    >>> levels.tolist(), mult.tolist()
    ([-2.0, -1.0, 0.0, 1.0, 2.0], [1.0, 4.0, 6.0, 4.0, 1.0])
    """
    hint = _hint_spectrum(battery.structure)
    if hint is not None:
        return hint
    if eng is not None:
        values = eng.observable_spectrum("work")
        if values is not None:
            return np.asarray(values, dtype=float), np.ones(len(values))
    H0 = battery.H0
    if sp.issparse(H0):
        offdiag = sp.coo_array(H0)
        if not np.any(offdiag.data[offdiag.row != offdiag.col]):
            return np.real(sp.csr_array(H0).diagonal()), np.ones(battery.dim)
    if battery.dim <= SMALL_DIM or (not battery.is_pure and battery.dim <= DENSE_SPECTRUM_MAX):
        return np.linalg.eigvalsh(battery.dense("H0")), np.ones(battery.dim)
    if battery.is_pure:
        # a pure state's passive state is H0's ground state: Lanczos for E_min only
        op = H0.to_linear_operator() if hasattr(H0, "to_linear_operator") else H0
        from scipy.sparse.linalg import eigsh

        e_min = eigsh(op, k=1, which="SA", tol=LANCZOS_TOL, return_eigenvectors=False)
        return np.array([float(np.real(e_min[0]))]), np.ones(1)
    return (
        f"H0 of dimension {battery.dim} > {DENSE_SPECTRUM_MAX} is not diagonal, the state "
        "is mixed and the battery gives no structure['H0_spectrum'] hint"
    )


def initial_energy(battery: Battery) -> float | str:
    """⟨H0⟩ in ρ0, or the reason it is not available.

    From the ``structure["H0_initial"]`` hint if the battery has one, else from the
    state and H0 (dense up to :data:`DENSE_SPECTRUM_MAX`, matrix-free above).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> initial_energy(qb.models.single_qubit())  # ⟨0|H0|0⟩, H0 = −(ω0/2)σ_z
    -0.5
    >>> initial_energy(qb.models.kbody(4, 2))  # −Nω0/2 in |0⟩^⊗N
    -2.0
    >>> initial_energy(qb.thermal(qb.models.single_qubit(), np.inf))  # Tr H0 / d
    0.0
    """
    hint = battery.structure.get("H0_initial")
    if hint is not None:
        return float(hint)
    if is_lazy(battery.state) or is_lazy(battery.H0):
        if battery.dim > 2**22:
            return (
                f"⟨H0⟩_0 of a symbolic battery of dimension {battery.dim} needs a "
                "structure['H0_initial'] hint"
            )
        st = to_dense(battery.state)
        H0: Any = to_dense(battery.H0) if battery.dim <= DENSE_SPECTRUM_MAX else battery.H0
    else:
        st, H0 = battery.state, battery.H0
    if st.ndim == 1:
        return float(np.real(np.vdot(st, H0 @ st)))
    return float(np.real(np.sum(np.asarray(H0 @ st).diagonal())))


def _populations(battery: Battery) -> np.ndarray:
    if battery.is_pure:
        return np.ones(1)
    weights, _ = battery.ensemble()
    return np.asarray(weights)


def ergotropy_variables(
    battery: Battery, eng: Engine, moments: Moments, notes: dict[str, str]
) -> dict[str, np.ndarray]:
    """``ergotropy``, ``passive_energy``, ``charging_efficiency`` (and, for charger
    models, ``battery_ergotropy``, ``battery_efficiency``) at the moments' times.

    A quantity that cannot be computed is NaN, with the reason in ``notes``.

    Examples
    --------
    The single qubit starts in the ground state (passive): its ergotropy is the stored
    energy ⟨𝒲_t⟩ = ω0 sin²(Ω0 t) (App. D), so the charging efficiency is 1.

    >>> import qbattery as qb
    >>> from qbattery.engines import DenseEngine
    >>> bat = qb.models.single_qubit()
    >>> eng = DenseEngine(bat)
    >>> t = np.array([0.5, 1.0])
    >>> out = ergotropy_variables(bat, eng, eng.moments(t), {})
    >>> sorted(out)
    ['charging_efficiency', 'ergotropy', 'passive_energy']
    >>> bool(np.allclose(out["ergotropy"], np.sin(t) ** 2, rtol=1e-12))
    True
    >>> out["passive_energy"].tolist(), out["charging_efficiency"].round(12).tolist()
    ([-0.5, -0.5], [1.0, 1.0])
    """
    nt = moments.times.size
    stored = moments.work.mean
    out: dict[str, np.ndarray] = {}
    spectrum = h0_spectrum(battery, eng)
    e0 = initial_energy(battery)
    if isinstance(spectrum, str) or isinstance(e0, str):
        why = spectrum if isinstance(spectrum, str) else str(e0)
        for name in (ERGOTROPY, PASSIVE_ENERGY, CHARGING_EFFICIENCY):
            out[name] = np.full(nt, np.nan)
            notes[name] = why
    else:
        levels, mult = spectrum
        passive = passive_energy(_populations(battery), levels, mult)
        initial = e0 - passive
        scale = max(1.0, float(np.max(np.abs(levels))))
        if abs(initial) <= PASSIVE_RTOL * scale:
            initial = 0.0
        ergo = initial + stored
        out[ERGOTROPY] = ergo
        out[PASSIVE_ENERGY] = np.full(nt, passive)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[CHARGING_EFFICIENCY] = ergo / stored
    sub = battery.structure.get("subsystem")
    if sub is not None:
        local = battery_ergotropy(eng, moments.times, sub)
        if local is None:
            why = f"engine {eng.name!r} does not give evolved states for the reduced state"
            for name in (BATTERY_ERGOTROPY, BATTERY_EFFICIENCY):
                out[name] = np.full(nt, np.nan)
                notes[name] = why
        else:
            out[BATTERY_ERGOTROPY] = local
            with np.errstate(divide="ignore", invalid="ignore"):
                out[BATTERY_EFFICIENCY] = local / stored
    return out


def battery_ergotropy(
    eng: Engine, times: np.ndarray, subsystem: Mapping[str, Any]
) -> np.ndarray | None:
    r"""Ergotropy of the battery's reduced state ρ_B(t) = Tr_charger ρ_t.

    ``subsystem`` (from the model's structure) holds ``shape = (d_charger, d_battery)``,
    ``embed`` (the index of each basis state of the model's space in the flattened
    charger ⊗ battery grid), ``energies`` (H_B on the battery factor's basis, which must
    be diagonal there) and ``levels`` = (levels, multiplicities) of H_B on the battery's
    full Hilbert space (e.g. all 2^N spin states, not only the symmetric ones: the
    ergotropy allows any unitary on the battery).

    Returns ``None`` if the engine gives no evolved states.

    Examples
    --------
    One cell and one resonant photon (Tavis–Cummings, ω_a = ω_c = 1, coupling λ): the
    cell is excited with probability p = sin²(λt) (vacuum Rabi oscillation) and its
    reduced state is diag(1 − p, p), whose ergotropy is ω_a max(0, 2p − 1) =
    max(0, −cos 2λt): less than the stored energy ω_a p, the rest being correlations
    with the cavity.

    >>> import qbattery as qb
    >>> from qbattery.engines import DenseEngine
    >>> bat = qb.models.tavis_cummings(1, coupling=0.5)
    >>> t = np.array([0.5, 1.0, 2.5, 3.0])
    >>> local = battery_ergotropy(DenseEngine(bat), t, bat.structure["subsystem"])
    >>> bool(np.allclose(local, np.maximum(0.0, -np.cos(2 * 0.5 * t)), atol=1e-12))
    True
    """
    get = getattr(eng, "evolved_states", None)
    if get is None:
        return None
    weights, states = get(times)  # (r,), (nt, d, r)
    dc, db = subsystem["shape"]
    embed = np.asarray(subsystem["embed"])
    energies = np.asarray(subsystem["energies"], dtype=float)
    levels, mult = subsystem["levels"]
    out = np.empty(times.size)
    for n in range(times.size):
        grid = np.zeros((dc * db, states.shape[2]), dtype=complex)
        grid[embed] = states[n] * np.sqrt(weights)[None, :]
        psi = grid.reshape(dc, db, -1)
        rho_b = np.einsum("cbk,cek->be", psi, psi.conj(), optimize=True)
        energy = float(np.real(np.sum(np.diag(rho_b) * energies)))
        pops = np.clip(np.linalg.eigvalsh((rho_b + rho_b.conj().T) / 2), 0.0, None)
        out[n] = energy - passive_energy(pops, levels, mult)
    return out


def uniform_field_spectrum(N: int, omega0: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Spectrum of H0 = −(ω0/2) Σ_i σ_z^{(i)} on N qubits: levels and multiplicities.

    Levels −(ω0/2)(N − 2m), m = 0…N, with multiplicity C(N, m) (a float; ``inf`` where
    it overflows, which :func:`passive_energy` handles). A ``structure["H0_spectrum"]``
    hint for the k-body models at any N.

    Examples
    --------
    >>> levels, mult = uniform_field_spectrum(3, 2.0)
    >>> levels.tolist(), mult.tolist()
    ([-3.0, -1.0, 1.0, 3.0], [1.0, 3.0, 3.0, 1.0])
    """
    from scipy.special import comb

    m = np.arange(N + 1)
    order = -1.0 if omega0 < 0 else 1.0  # increasing levels
    levels = (omega0 / 2) * (2 * m - N) * order  # (no −0.0 at m = N/2)
    mult = comb(N, m, exact=False)
    return np.asarray(levels, dtype=float), np.asarray(mult, dtype=float)
