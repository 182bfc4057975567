r"""Open k-body batteries with per-cell dissipation, from independent blocks (issue 16).

``kbody(N, k, decay=γ, dephasing=γ_φ)`` splits into n = ⌊N/k⌋ blocks of k cells and a
remainder block of r cells; each block has its own σ_x string, and every jump
(√γ σ−^(i), √(γ_φ/2) σ_z^(i)) acts on one cell. So the Liouvillian is a sum of block
generators, Λ_t = ⊗_b Λ_t^(b), the state |0…0⟩ is a product, and H0, P0 = −i[H0, HC]
and 𝓛†(H0) are sums of block operators. A block is a battery of 2^m states (dissipation
leaves the span of |0^m⟩, |1^m⟩ that closed charging keeps), run by the general
:class:`~qbattery.engines.OpenEngine`; the whole battery follows exactly:

* Eq. (A2) for system plus environment factorises over blocks (each jump has its own
  environment), so the generating functions multiply and cumulants add: means,
  variances, cross0 = Tr(ρ0 δO_0 𝒪_t) and Var(O_0) are sums over blocks, and
  ⟨𝒫_t𝒲_t⟩ = Σ_b cov_b(𝒫, 𝒲) + ⟨𝒫_t⟩⟨𝒲_t⟩;
* heat and injected work (decay channels counted) likewise: means and variances add;
* Uhlmann fidelity is multiplicative on products;
* the sector distribution of O_0 = Σ_b O_0^(b) is the convolution of the blocks'
  distributions, with exact derivatives by the product rule
  (:mod:`qbattery.numerics.sectors`), so the Fisher information (B5) and θ_t (Eq. 5)
  come out exactly, not as a sum of block informations (different block configurations
  share a total);
* the spectrum of ρ_t is the set of products of the blocks' spectra, and H0's levels
  the sums of theirs (ergotropy), also for the steady state ρ_ss = ⊗_b ρ_ss^(b); θ_∞ is
  integrated to 80 relaxation times of the slowest block.

The cost is that of one block per distinct size plus the convolutions, whatever N.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from qbattery._checks import format_dim
from qbattery._dataset import var_name
from qbattery.battery import Battery
from qbattery.engines.base import Engine, Moments, Observable, ObservableMoments
from qbattery.engines.open_engine import OpenEngine, steady_angle
from qbattery.errors import EngineError
from qbattery.numerics.kbody import kbody_blocks
from qbattery.numerics.quadrature import speed_angle
from qbattery.numerics.sectors import TooManySectors, convolve, convolve_power, fisher_terms
from qbattery.operators import PauliSum, ProductState, cell_operator

#: the largest block (cells) run by the open engine: its generator is 4^m × 4^m
BLOCK_MAX_CELLS = 6
#: the most distinct values of a sector distribution (else θ is NaN with a note)
MAX_SECTORS = 20_000
#: the largest dimension whose spectrum (ergotropy) is formed as products
SPECTRUM_MAX_DIM = 2**16
_RATES = ("decay", "dephasing")
_KEYS = ("N", "k", "omega0", "Omega0")


def block_battery(m: int, omega0: float, Omega_k: float, rates: dict[str, float]) -> Battery:
    """One block of m cells with its σ_x string and per-cell jumps (module docstring).

    The same operators as ``qb.models.kbody(m, m, omega0, Omega_k, **rates)``, built
    here because engines sit below the models (``docs/architecture.md``).

    Examples
    --------
    >>> bat = block_battery(2, 1.0, 0.5, {"decay": 0.1})
    >>> bat.dim, len(bat.jumps), dict(bat.counted)
    (4, 2, {0: 1.0, 1: 1.0})
    """
    H0 = PauliSum.single_site(m, "Z", -(omega0 / 2))
    HC = PauliSum.blocks(m, m, "X", Omega_k) - H0
    jumps: list[Any] = []
    counted: dict[int, float] = {}
    for name, which, energy in (("decay", "lower", omega0), ("dephasing", "z", None)):
        gamma = float(rates.get(name, 0.0))
        if gamma == 0.0:
            continue
        for i in range(m):
            if energy is not None:
                counted[len(jumps)] = energy
            jumps.append(np.sqrt(gamma) * cell_operator(m, i, which))
    return Battery(H0, HC, ProductState.zeros(m), name="kbody_block", jumps=jumps, counted=counted)


class OpenBlocksEngine(Engine):
    """Exact open k-body charging with per-cell decay and dephasing, block by block.

    Parameters
    ----------
    battery : Battery
        ``qb.models.kbody(N, k, ..., decay=, dephasing=)`` (or ``single_qubit``/
        ``parallel`` with dissipation): its ``structure`` and rates define the blocks.
    power : {"drive", "net"}
        P_0 = −i[H0, HC] or 𝓛†(H0), as for :class:`~qbattery.engines.OpenEngine`.

    Examples
    --------
    Eight decaying cells in pairs agree with the general open engine (d = 256):

    >>> import numpy as np, qbattery as qb
    >>> bat = qb.models.kbody(4, 2, decay=0.1)
    >>> t = np.array([0.5, 2.0])
    >>> a = OpenBlocksEngine(bat).moments(t).work.second
    >>> b = qb.engines.OpenEngine(bat).moments(t).work.second
    >>> bool(np.allclose(a, b, rtol=1e-10, atol=0))
    True
    """

    name = "open-blocks"
    open_systems = True

    def __init__(self, battery: Battery, *, power: Literal["drive", "net"] = "drive") -> None:
        super().__init__(battery)
        why = self.supports(battery)
        if why is not None:
            raise EngineError(f"engine 'open-blocks' cannot run this battery: {why}")
        st = battery.structure
        N, k = int(st["N"]), int(st["k"])
        omega0 = float(st["omega0"])
        Omega_k = k / N * float(st["Omega0"])
        rates = {r: float(battery.params.get(r, 0.0)) for r in _RATES}
        n, r = kbody_blocks(N, k)
        #: (block engine, number of identical blocks) per distinct block size
        self.parts = [
            (OpenEngine(block_battery(m, omega0, Omega_k, rates), power=power), count)
            for m, count in ((k, n), (r, 1))
            if m and count
        ]
        self.dim = battery.dim

    # ---- engine contract --------------------------------------------------------------
    @classmethod
    def supports(cls, battery: Battery) -> str | None:
        """``None`` for an open ``kbody`` (or ``single_qubit``) model battery with
        per-cell ``decay``/``dephasing`` and blocks of at most ``BLOCK_MAX_CELLS`` cells."""
        st = battery.structure
        if not battery.is_open:
            return "the battery is closed (no jumps); the structured engine solves it"
        if st.get("family") != "kbody" or any(key not in st for key in _KEYS):
            return (
                "only open k-body model batteries (qb.models.kbody/single_qubit with decay= "
                "or dephasing=) split into independent blocks"
            )
        N, k = int(st["N"]), int(st["k"])
        channels = sum(1 for r in _RATES if battery.params.get(r, 0.0))
        extra = set(battery.params) - {*_KEYS, "scheme", *_RATES}
        if extra or len(battery.jumps) != channels * N or not battery.is_pure:
            return "the battery's jumps or state differ from the model's per-cell dissipation"
        if min(k, N) > BLOCK_MAX_CELLS:
            return (
                f"blocks of k = {k} cells (> {BLOCK_MAX_CELLS}) have a 4^k-dimensional "
                "generator; use engine='open'"
            )
        return None

    @classmethod
    def memory_estimate(cls, battery: Battery, ntimes: int) -> int:
        """Blocks' dense generators, jets of the sector distributions and spectra."""
        k = min(int(battery.structure.get("k", 1)), BLOCK_MAX_CELLS)
        block = 6 * 16 * 16 ** (2 * k)
        spectra = 8 * min(battery.dim, SPECTRUM_MAX_DIM) * max(ntimes, 1)
        return int(2 * block + spectra + 3 * 8 * MAX_SECTORS * max(ntimes, 1))

    def moments(self, times: np.ndarray) -> Moments:
        """Raw moments: sums of the blocks' cumulants (module docstring)."""
        t = np.asarray(times, dtype=float)
        zero = np.zeros(t.size)
        acc: dict[str, list[Any]] = {
            w: [zero, zero, zero.astype(complex), 0.0] for w in ("work", "power")
        }
        cov = zero.astype(complex)
        log_fid = zero.copy()
        for eng, count in self.parts:
            m = eng.moments(t)
            for which, a in acc.items():
                o = m.observable(which)  # type: ignore[arg-type]
                a[0] = a[0] + count * o.mean
                a[1] = a[1] + count * (o.second - o.mean**2)
                a[2] = a[2] + count * o.cross0
                a[3] = a[3] + count * o.var0
            cov = cov + count * (m.cross - m.power.mean * m.work.mean)
            with np.errstate(divide="ignore"):
                log_fid = log_fid + count * np.log(m.fidelity)
        obs = {w: ObservableMoments.from_variance(*a) for w, a in acc.items()}
        return Moments(
            times=t,
            work=obs["work"],
            power=obs["power"],
            cross=cov + obs["power"].mean * obs["work"].mean,
            fidelity=np.minimum(np.exp(log_fid), 1.0),
            notes=dict(self.notes),
        )

    # ---- Fisher information and speed angle (Eq. B5, 5) -------------------------------
    def _fisher_terms(self, times: np.ndarray, which: Observable, scaled: bool) -> np.ndarray:
        t = np.asarray(times, dtype=float).ravel()
        total: tuple[np.ndarray, np.ndarray] | None = None
        floor = np.zeros((1, t.size))
        for eng, count in self.parts:
            values, jet, fl = eng.sector_jets(t, which)
            part = convolve_power(values, jet, count, max_sectors=MAX_SECTORS)
            total = part if total is None else convolve(*total, *part, max_sectors=MAX_SECTORS)
            floor = floor + count * fl
        assert total is not None
        return fisher_terms(t, total[1], floor, scaled=scaled)

    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """Fisher information (B5) of O_0's eigenspaces: the convolved block
        distributions; ``None`` (with a note) beyond ``MAX_SECTORS`` distinct values."""
        try:
            return self._fisher_terms(times, which, scaled=False)
        except TooManySectors as err:
            self.notes[var_name(which, "fisher")] = f"{err}; use engine='open' (small N)"
            return None

    def angle(
        self, times: np.ndarray, which: Observable, *, floor: float = 1e-13
    ) -> np.ndarray | None:
        """θ_t (Eq. 5), integrated in u = √t as by :meth:`OpenEngine.angle`."""
        times = np.asarray(times, dtype=float)

        def in_u(u: np.ndarray) -> np.ndarray:
            return 4.0 * self._fisher_terms(np.asarray(u) ** 2, which, scaled=True)

        try:
            return speed_angle(in_u, np.sqrt(times), floor=floor)
        except TooManySectors as err:
            self.notes[var_name(which, "fisher")] = f"{err}; use engine='open' (small N)"
            return None

    # ---- steady state ------------------------------------------------------------------
    def relaxation_rate(self) -> float:
        """The slowest block's spectral gap."""
        return min(eng.relaxation_rate() for eng, _ in self.parts)

    def steady_moments(self, which: Observable) -> ObservableMoments:
        """t → ∞ moments: the blocks' steady means and variances, summed."""
        mean, var, var0 = 0.0, 0.0, 0.0
        for eng, count in self.parts:
            m = eng.steady_moments(which)
            mean += count * float(m.mean[0])
            var += count * float(m.second[0] - m.mean[0] ** 2)
            var0 += count * float(m.var0)
        return ObservableMoments.from_variance(
            np.array([mean]), np.array([var]), np.zeros(1, complex), var0
        )

    def steady_angle(self, which: Observable) -> float:
        """θ_∞ (Eq. 5), see :func:`~qbattery.engines.open_engine.steady_angle`."""
        return steady_angle(self, which)

    # ---- spectra for the ergotropy -----------------------------------------------------
    def _check_spectrum(self) -> None:
        if self.dim > SPECTRUM_MAX_DIM:
            raise EngineError(
                f"the ergotropy needs the spectrum of ρ, {format_dim(self.dim)} values "
                f"(more than {SPECTRUM_MAX_DIM}); it is computed up to N = "
                f"{SPECTRUM_MAX_DIM.bit_length() - 1} cells"
            )

    def _product(self, factors: list[np.ndarray], combine: Any) -> np.ndarray:
        """Combine per-block arrays (…, d_b) over all blocks by outer ``combine``."""
        out: np.ndarray | None = None
        for (_, count), f in zip(self.parts, factors, strict=True):
            for _ in range(count):
                out = (
                    f
                    if out is None
                    else combine(out[..., :, None], f[..., None, :]).reshape(*f.shape[:-1], -1)
                )
        assert out is not None
        return out

    def energy_levels(self) -> np.ndarray:
        """Eigenvalues of H0: sums of the blocks' levels."""
        self._check_spectrum()
        return self._product([eng.energy_levels() for eng, _ in self.parts], np.add)

    def initial_energy(self) -> float:
        """Tr[H0ρ0], summed over blocks."""
        return float(sum(count * eng.initial_energy() for eng, count in self.parts))

    def populations(self, times: np.ndarray) -> np.ndarray:
        """Eigenvalues of ρ_t = ⊗_b ρ_t^(b): products of the blocks', shape (nt, d)."""
        self._check_spectrum()
        return self._product([eng.populations(times) for eng, _ in self.parts], np.multiply)

    def steady_populations(self) -> np.ndarray:
        """Eigenvalues of ρ_ss = ⊗_b ρ_ss^(b)."""
        self._check_spectrum()
        return self._product([eng.steady_populations() for eng, _ in self.parts], np.multiply)

    # ---- counted channels: heat and injected work -------------------------------------
    def heat_moments(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """Means and second moments of Q and W = ΔE + Q: block cumulants summed."""
        keys = ("heat", "injected_work")
        zero = np.zeros(np.asarray(times).size)
        mean, var = dict.fromkeys(keys, zero), dict.fromkeys(keys, zero)
        for eng, count in self.parts:
            raw = eng.heat_moments(times)
            for key in keys:
                m = raw[f"{key}_mean"]
                mean[key] = mean[key] + count * m
                var[key] = var[key] + count * (raw[f"{key}_second"] - m**2)
        out = {f"{key}_mean": mean[key] for key in keys}
        out.update({f"{key}_second": var[key] + mean[key] ** 2 for key in keys})
        return out

    def generating_function(self, times: np.ndarray, s: float) -> np.ndarray:
        """⟨e^{s(ΔE + Q)}⟩: the product of the blocks' generating functions."""
        out = np.ones(np.asarray(times).size)
        for eng, count in self.parts:
            out = out * eng.generating_function(times, s) ** count
        return out

    def counting_rates(self) -> tuple[float, float]:
        """Long-time rates κ₁/t, κ₂/t of Q: sums over blocks."""
        rates = [(count, eng.counting_rates()) for eng, count in self.parts]
        return (
            float(sum(c * k[0] for c, k in rates)),
            float(sum(c * k[1] for c, k in rates)),
        )


__all__ = ["BLOCK_MAX_CELLS", "OpenBlocksEngine", "block_battery"]
