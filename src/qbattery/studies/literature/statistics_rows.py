"""Literature rows on disorder, ergotropy and work statistics: Rossini, Andolina, TLH."""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import xarray as xr

import qbattery as qb
from qbattery._dataset import BATTERY_EFFICIENCY, MAX_AVERAGE_POWER, MAX_POWER, WORK_MEAN
from qbattery.optimal import optimal_charging
from qbattery.studies.literature.common import Check, fit_exponent


def rossini(quick: bool, *, seed: int = 0, sizes: list[int] | None = None) -> Check:
    """SYK battery: max power super-extensive for q = 4, not for the free q = 2."""
    if sizes is None:
        sizes = [4, 6, 8] if quick else [6, 8, 10, 12, 14]
    samples = 4 if quick else 12
    window = (0.0, 10.0)
    data: dict[str, tuple[tuple[str, str], np.ndarray]] = {}
    fits: dict[str, tuple[float, float]] = {}
    for q in (2, 4):
        for name in (MAX_AVERAGE_POWER, MAX_POWER):
            data[f"q{q}_{name}"] = (("N", "sample"), np.empty((len(sizes), samples)))
        for i, n in enumerate(sizes):
            for s, bat in enumerate(qb.models.syk_ensemble(n, samples, q, seed=seed)):
                opt = optimal_charging(bat, window, bounds=False, rtol=1e-6, points=101)
                for name in (MAX_AVERAGE_POWER, MAX_POWER):
                    data[f"q{q}_{name}"][1][i, s] = float(opt[name])
        for name in (MAX_AVERAGE_POWER, MAX_POWER):
            values = data[f"q{q}_{name}"][1]
            mean = values.mean(axis=1)
            sem = values.std(axis=1, ddof=1) / np.sqrt(samples)
            fits[f"q{q}_{name}"] = fit_exponent(np.asarray(sizes), mean, sem)
    ds = xr.Dataset(
        {k: xr.Variable(d, v) for k, (d, v) in data.items()},
        coords={"N": sizes, "sample": np.arange(samples)},
    )
    for key, (a, e) in fits.items():
        ds.attrs[f"exponent_{key}"] = a
        ds.attrs[f"exponent_{key}_err"] = e
    a4, e4 = fits[f"q4_{MAX_POWER}"]
    a2, e2 = fits[f"q2_{MAX_POWER}"]
    b4, f4 = fits[f"q4_{MAX_AVERAGE_POWER}"]
    b2, f2 = fits[f"q2_{MAX_AVERAGE_POWER}"]
    contrast, cerr = a4 - a2, float(np.hypot(e4, e2))
    holds = bool(a4 > 1 + 2 * e4 and contrast > 2 * cerr)
    return Check(
        key="rossini",
        paper="Rossini, Andolina, Rosa, Carrega, Polini, PRL 125, 236402 (2020)",
        claim="SYK battery: the maximum power grows super-extensively with N for q = 4 "
        "(quantum advantage), not for the non-interacting q = 2 (Fig. 2)",
        reading=f"syk(N, q) (quench from ⊗|+y⟩, σ² = J²(q/2)!(q/2−1)!/N^(q−1)), {samples} "
        f"disorder samples per N = {sizes[0]}–{sizes[-1]}, t ∈ (0, 10] (optima to 1e-6); "
        "exponents of the disorder means, fits weighted by their standard errors; "
        "measured up to N = 14 (krylov, about 15 s per sample there, 6.5 min in all): "
        "the q = 4 and q = 2 exponents coincide (1.45 ± 0.03 and 1.45 ± 0.06), so in "
        "this reading the contrast does not appear at the sizes exact engines reach; the "
        "free q = 2 exponent stays well above 1 because the quench from ⊗|+y⟩ is not "
        "Gaussian in the Jordan–Wigner fermions",
        ours=f"max ⟨P_t⟩: α(q=4) = {a4:.2f} ± {e4:.2f}, α(q=2) = {a2:.2f} ± {e2:.2f}, "
        f"contrast {contrast:.2f} ± {cerr:.2f}; max ⟨W_t⟩/t: α(q=4) = {b4:.2f} ± {f4:.2f}, "
        f"α(q=2) = {b2:.2f} ± {f2:.2f}",
        holds=holds,
        data=ds,
    )


def _efficiency_at_max_energy(bat: qb.Battery, t_end: float, points: int) -> tuple[float, float]:
    """(time of maximum stored energy on a grid, battery ergotropy / energy there)."""
    grid = np.linspace(0.0, t_end, points)[1:]
    work = qb.charge(bat, grid, bounds=False, ergotropy=False)[WORK_MEAN].values
    t = float(grid[int(np.argmax(work))])
    ds = qb.charge(bat, [t], bounds=False, ergotropy=True)
    return t, float(ds[BATTERY_EFFICIENCY].values[0])


def _tc_window(n_photons: float) -> float:
    """Time window holding the first energy maximum of tavis_cummings (λ = 0.1):
    1.5 half Rabi periods π/(λ√n̄)."""
    return 1.5 * np.pi / (0.1 * np.sqrt(n_photons))


def andolina(quick: bool) -> Check:
    """Cells' ergotropy below their energy; with a Fock charger the ratio rises to 1 with N;
    a coherent charger, compared at equal mean photon number and with more photons."""
    sizes = [2, 4, 8, 16] if quick else [2, 4, 8, 16, 32, 64, 128]
    dicke_sizes = [2, 4] if quick else [2, 4, 8]
    photons = [2, 8, 32] if quick else [2, 8, 32, 128]  # coherent charger, N = 2
    points = 201 if quick else 801
    tc = [
        _efficiency_at_max_energy(qb.models.tavis_cummings(n), _tc_window(n), points) for n in sizes
    ]
    coh = [
        _efficiency_at_max_energy(
            qb.models.tavis_cummings(n, charger="coherent"), _tc_window(n), points
        )
        for n in sizes
    ]
    more = [
        _efficiency_at_max_energy(
            qb.models.tavis_cummings(2, nbar, charger="coherent"), _tc_window(nbar), points
        )
        for nbar in photons
    ]
    dk = [
        _efficiency_at_max_energy(bat, float(bat.structure["valid_until"]), points)
        for bat in (qb.models.dicke(n) for n in dicke_sizes)
    ]
    ds = xr.Dataset(
        {
            "tc_efficiency": ("N", [e for _, e in tc]),
            "tc_time": ("N", [t for t, _ in tc]),
            "tc_coherent_efficiency": ("N", [e for _, e in coh]),
            "tc_coherent_time": ("N", [t for t, _ in coh]),
            "coherent_N2_efficiency": ("n_photons", [e for _, e in more]),
            "dicke_efficiency": ("N_dicke", [e for _, e in dk]),
            "dicke_time": ("N_dicke", [t for t, _ in dk]),
        },
        coords={"N": sizes, "N_dicke": dicke_sizes, "n_photons": photons},
    )
    eff = ds["tc_efficiency"].values
    ceff = ds["tc_coherent_efficiency"].values
    scan = ds["coherent_N2_efficiency"].values
    every = np.concatenate([eff, ceff, scan, ds["dicke_efficiency"].values])
    below = bool(np.all(every <= 1 + 1e-9))
    rising = bool(np.all(np.diff(eff[1:]) > 0))  # from N = 4 on: N = 2 → 4 dips
    classical = bool(np.all(np.diff(scan) > 0) and scan[-1] > scan[0])
    better = [n for n, f, c in zip(sizes, eff, ceff, strict=True) if c > f]
    return Check(
        key="andolina",
        paper="Andolina et al., PRL 122, 047702 (2019)",
        claim="the cells' ergotropy (charger traced out) is below their energy; for the "
        "Tavis–Cummings/Dicke battery with a Fock charger the ratio rises towards 1 as N "
        "grows (Fig. 2); preparing the charger in a coherent state mitigates the "
        "correlation-induced loss",
        reading="battery_efficiency = ergotropy of the cells' reduced state / ⟨W_t⟩ at the "
        "time of maximum stored energy (grid); tavis_cummings(N) and dicke(N), n_photons = N, "
        "λ = 0.1; the ratio dips from N = 2 to 4 and rises from N = 4 on (checked there). "
        "Coherent charger (charger='coherent', n̄ = |α|²): at equal n̄ = N it beats the Fock "
        "charger only at some N (listed), so 'mitigates' is read as the coherent ratio "
        f"rising to 1 as n̄ grows at fixed N = 2 (n̄ = {photons}: the charger turns into a "
        "classical drive and the cells stay nearly pure; checked)",
        ours=f"TC Fock N = {sizes}: {np.round(eff, 3).tolist()}; TC coherent n̄ = N: "
        f"{np.round(ceff, 3).tolist()} (above Fock at N = {better}); coherent N = 2, "
        f"n̄ = {photons}: {np.round(scan, 3).tolist()}; Dicke N = {dicke_sizes}: "
        f"{np.round(ds['dicke_efficiency'].values, 3).tolist()}",
        holds=below and rising and classical,
        data=ds,
    )


def _random_hermitian(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    return (a + a.conj().T) / 2


def _direct_tpm(H0: np.ndarray, HC: np.ndarray, rho: np.ndarray, t: float) -> dict[float, float]:
    """Two projective measurements of H0, at 0 and t: {E_m − E_n: Σ p_n |⟨m|U|n⟩|²}."""
    energies, vecs = la.eigh(H0)
    U = la.expm(-1j * (H0 + HC) * t)
    amp = np.abs(vecs.conj().T @ U @ vecs) ** 2  # [m, n]
    pops = np.real(np.einsum("in,ij,jn->n", vecs.conj(), rho, vecs))
    out: dict[float, float] = {}
    for m in range(energies.size):
        for n in range(energies.size):
            key = round(float(energies[m] - energies[n]), 9)
            out[key] = out.get(key, 0.0) + float(pops[n] * amp[m, n])
    return out


def _nearest(values: dict[float, float], v: float) -> float:
    return min(values, key=lambda k: abs(k - v))


def talkner_lutz_hanggi(quick: bool, *, seed: int = 1) -> Check:
    """TPM work statistics equal our distribution for states diagonal in H0."""
    rng = np.random.default_rng(seed)
    trials = 3 if quick else 10
    times = [0.3, 1.1, 2.7]
    worst, coherent_gap = 0.0, 0.0
    for _ in range(trials):
        d = int(rng.integers(3, 6))
        H0, HC = _random_hermitian(rng, d), _random_hermitian(rng, d)
        _, vecs = la.eigh(H0)
        pops = rng.dirichlet(np.ones(d))
        rho = (vecs * pops) @ vecs.conj().T
        q = qb.distribution(qb.Battery(H0, HC, rho), times, "work", trim=0.0)
        for i, t in enumerate(times):
            direct = _direct_tpm(H0, HC, rho, t)
            ours = dict.fromkeys(direct, 0.0)
            for v, w in zip(q.value.values, q.values[i], strict=True):
                key = _nearest(direct, float(v))
                if abs(key - v) < 1e-7:
                    ours[key] += float(w)
                else:
                    worst = max(worst, abs(float(w)))
            worst = max(worst, max(abs(ours[k] - direct[k]) for k in direct))
        # with coherences, the FCS quasi-distribution is not TPM: compare the means
        psi = rng.normal(size=d) + 1j * rng.normal(size=d)
        psi /= np.linalg.norm(psi)
        pure = np.outer(psi, psi.conj())
        fcs = qb.distribution(qb.Battery(H0, HC, pure), [times[0]], "work")
        fcs_mean = float(np.sum(fcs.value.values * fcs.values[0]))
        tpm_mean = sum(k * p for k, p in _direct_tpm(H0, HC, pure, times[0]).items())
        coherent_gap = max(coherent_gap, abs(fcs_mean - tpm_mean))
    ds = xr.Dataset(
        attrs={"max_abs_difference": worst, "coherent_mean_gap": coherent_gap, "trials": trials}
    )
    return Check(
        key="talkner_lutz_hanggi",
        paper="Talkner, Lutz, Hänggi, PRE 75, 050102 (2007)",
        claim="work is not an observable: its statistics come from two projective energy "
        "measurements (TPM), whose characteristic function is Eq. (A2)'s for ρ0 diagonal "
        "in H0",
        reading=f"{trials} random batteries (d = 3–5, Gaussian H0, HC), ρ0 diagonal in H0 "
        "with random populations; qb.distribution vs Σ p_n |⟨m|U_t|n⟩|² at E_m − E_n, "
        f"t = {times}; for a random pure state the FCS mean differs from TPM's",
        ours=f"max |q − p_TPM| = {worst:.1e}; coherent start: |mean_FCS − mean_TPM| up to "
        f"{coherent_gap:.3f}",
        holds=bool(worst < 1e-10),
        data=ds,
    )
