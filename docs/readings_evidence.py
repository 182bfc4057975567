"""Numbers behind docs/readings.md: each reading and erratum of the paper, computed.

Run ``python docs/readings_evidence.py`` (N = 12 and 10 as in the paper's figures; a few
minutes with the dense engine) or ``--quick`` (N ≤ 8, seconds; tests/test_analytic.py
runs this). Every number printed is also checked here; a failed check exits 1.
Independent operators are built with explicit Kronecker products (numpy.kron), not
with qbattery's operator builders.
"""

from __future__ import annotations

import argparse
import math
import sys
from functools import reduce

import numpy as np

import qbattery as qb
from qbattery import analytic

I2 = np.eye(2)
SX = np.array([[0.0, 1.0], [1.0, 0.0]])
SY = np.array([[0.0, -1j], [1j, 0.0]])
SZ = np.diag([1.0, -1.0])
FAILED: list[str] = []


def check(ok: bool, what: str) -> None:
    """Record a failed check (printed at the end, exit code 1)."""
    if not ok:
        FAILED.append(what)
        print(f"    CHECK FAILED: {what}")


def kron_string(n: int, ops: dict[int, np.ndarray]) -> np.ndarray:
    """⊗_j ops.get(j, 1) on n qubits, site 0 leftmost."""
    return reduce(np.kron, [ops.get(j, I2) for j in range(n)])


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def sign_of_p0() -> None:
    print("\n## Sign of P0 (App. D vs E1)")
    w, W = 1.3, 0.7
    p0 = qb.models.single_qubit(w, W).dense("P0")
    dev_d1 = np.max(np.abs(p0 - (-W * w * SY)))
    print(f"single_qubit(ω0={w}, Ω0={W}): max|P0 − (−Ω0ω0σy)| = {dev_d1:.1e}  (D1)")
    check(dev_d1 < 1e-15, "P0 = −Ω0ω0σy (D1)")
    N, k = 4, 2
    Ok = k / N
    e1 = sum(
        Ok * 1.0 * kron_string(N, {b * k + l: SY, **{b * k + i: SX for i in range(k) if i != l}})
        for b in range(N // k)
        for l in range(k)
    )
    p0 = qb.models.kbody(N, k).dense("P0")
    print(
        f"kbody({N}, {k}): max|P0 − E1| = {np.max(np.abs(p0 - e1)):.3g}, "
        f"max|P0 + E1| = {np.max(np.abs(p0 + e1)):.1e}: E1 has the opposite sign"
    )
    check(np.max(np.abs(p0 + e1)) < 1e-15, "P0 = −(E1)")
    t = np.array([0.3, 1.0]) / Ok
    ds = qb.charge(qb.models.kbody(N, k), t, engine="dense")
    exact = N * Ok * np.sin(2 * Ok * t)
    print(
        f"dense ⟨𝒫_t⟩ at Ω_k t = 0.3, 1.0: {ds.power_mean.values.round(6).tolist()}; "
        f"E6 N Ω_k ω0 sin 2Ω_k t = {exact.round(6).tolist()} (positive while charging)"
    )
    check(bool(np.allclose(ds.power_mean, exact, rtol=1e-10)), "E6 with D1's sign")


def fig1_caption(N: int) -> None:
    print(f"\n## Fig. 1 caption (ΔP)², N = {N}, ω0 = Ω0 = 1, t = 1")
    ks = [k for k in (2, 3, 4) if N % k == 0]
    t = np.array([1.0])
    for k in ks:
        Ok = k / N
        ds = qb.charge(qb.models.kbody(N, k), t, engine="dense", bounds=False, ergotropy=False)
        dense = float(ds.power_var[0])
        main = 4 * k**3 / N * math.sin(Ok) ** 4
        caption = 4 * N * k**3 * math.sin(Ok) ** 4
        print(f"| {k} | {dense:.10g} | {main:.10g} | {caption:.10g} | {caption / dense:.6g} |")
        check(rel(dense, main) < 1e-10, f"main text / E7 (ΔP)² at N={N}, k={k}")
        check(abs(caption / dense - N**2) < 1e-8 * N**2, "caption off by N²")
    print("columns: k | dense | 4k³β²sin⁴(Ω_k t)/N (main text, E7) | caption 4Nk³β²sin⁴ | ratio")


def eq9_product(N: int) -> None:
    print(f"\n## Eq. (9) product, N = {N}, t = 0.7 (dense)")
    for k in (k for k in (1, 2, 3, 4, N) if N % k == 0):
        ds = qb.charge(qb.models.kbody(N, k), [0.7], engine="dense", bounds=False, ergotropy=False)
        prod = float(ds.nsr_product[0])
        print(f"| {k} | {prod:.15g} | {k**2 / N**2:.15g} | {float(ds.tradeoff_bound[0]):.15g} |")
        check(rel(prod, k**2 / N**2) < 1e-10, f"Eq. 9 at N={N}, k={k}")
    print("columns: k | dense 𝒩^W𝒩^P | k²/N² | dense trade-off bound (Eq. 6)")


def eq10_strings(N: int) -> None:
    print(f"\n## Eq. (10) string length, ising(N = {N}, s), Ω = 1")
    for s in (2, 3, 4):
        bat = qb.models.ising(N, s, normalize=False)
        ht = bat.dense("H0") + bat.dense("HC")
        s_sites = sum(kron_string(N, dict.fromkeys(range(i, i + s), SX)) for i in range(N - s + 1))
        s_minus = sum(
            kron_string(N, dict.fromkeys(range(i + 1, i + s), SX)) for i in range(N - s + 1)
        )
        d_s = np.max(np.abs(ht + s_sites))
        d_m = np.max(np.abs(ht + s_minus))
        print(
            f"| {s} | {N - s + 1} | {d_s:.1e} | {d_m:.3g} |",
        )
        check(d_s == 0.0, f"s-site strings for s={s}")
    print(
        "columns: s | strings (i = 1…N−s+1) | max|H^T + Σ s-site strings| | "
        "max|H^T + Σ (s−1)-site strings| (the literal ⊗_{j=1}^{s−1})"
    )


def ising_cancellation(N: int) -> None:
    print(f"\n## Ising H^T = H0 + HC (paper variant), N = {N}, s = 2, ω0 = 2")
    bat = qb.models.ising(N, 2, normalize=False)
    h0, ht = bat.dense("H0"), bat.dense("H0") + bat.dense("HC")
    xx = sum(kron_string(N, {i: SX, i + 1: SX}) for i in range(N - 1))
    zfield = sum(kron_string(N, {i: SZ}) for i in range(N))
    comm = np.max(np.abs(ht @ xx - xx @ ht))
    print(
        f"max|H^T + Σσxσx| = {np.max(np.abs(ht + xx)):.1e} (no σz term left); "
        f"max|[H^T, Σσxσx]| = {comm:.1e}; max|[H^T, Σσz]| = "
        f"{np.max(np.abs(ht @ zfield - zfield @ ht)):.3g}"
    )
    check(np.max(np.abs(ht + xx)) == 0.0, "σz field cancels")
    tfim = qb.models.ising(N, 2, variant="tfim", normalize=False)
    ht2 = tfim.dense("H0") + tfim.dense("HC")
    print(f"variant='tfim': max|H^T − (H0 − Σσxσx)| = {np.max(np.abs(ht2 - (h0 - xx))):.1e}")
    check(np.max(np.abs(ht2 - (h0 - xx))) == 0.0, "tfim variant")


def power_normalisation(N: int) -> None:
    print(f"\n## Ising power normalisation, N = {N}, s = 2, ω0 = 2, Ω = 1")
    paper = qb.models.ising(N, 2)
    rate = qb.models.ising(N, 2, power="rate")
    e_min, e_max = paper.structure["E_min"], paper.structure["E_max"]
    norm = max(abs(e_min), abs(e_max))
    print(
        f"E_min = {e_min:.12g}, E_max = {e_max:.12g}, ‖H^T‖ = {norm:.12g}, "
        f"(E_max − E_min)/‖H^T‖ = {(e_max - e_min) / norm:.12g}"
    )
    t = np.array([0.5, 1.5, 2.5])
    h = 1e-5
    dp = qb.charge(paper, t, engine="dense", bounds=False, ergotropy=False)
    dr = qb.charge(rate, t, engine="dense", bounds=False, ergotropy=False)
    fd = qb.charge(
        rate, np.sort(np.concatenate([t - h, t + h])), engine="dense", bounds=False, ergotropy=False
    )
    w = fd.work_mean.values
    dwdt = (w[1::2] - w[0::2]) / (2 * h)
    for i, ti in enumerate(t):
        print(
            f"| {ti} | {float(dp.power_mean[i]):.10f} | {float(dr.power_mean[i]):.10f} | "
            f"{dwdt[i]:.10f} | {float(dp.power_mean[i] / dr.power_mean[i]):.12g} | "
            f"{float(dp.power_nsr[i]):.10g} | {float(dr.power_nsr[i]):.10g} |"
        )
    print(
        "columns: t | ⟨𝒫⟩ paper (HC/‖H^T‖) | ⟨𝒫⟩ rate (H_norm) | d⟨𝒲⟩/dt (central "
        "difference, h = 1e-5) | ratio | 𝒩^P paper | 𝒩^P rate"
    )
    check(bool(np.allclose(dp.power_mean / dr.power_mean, 2.0, rtol=1e-10)), "factor 2")
    check(bool(np.allclose(dr.power_mean, dwdt, rtol=1e-7)), "rate = d<W>/dt")
    check(bool(np.allclose(dp.power_nsr, dr.power_nsr, rtol=1e-10)), "NSR independent")


def remainder(N: int, k: int) -> None:
    n, r = divmod(N, k)
    s2 = n * k**2 + r**2
    print(f"\n## App. E remainder reading, N = {N}, k = {k} (n = {n}, r = {r}), ω0 = Ω0 = 1")
    Ok = k / N
    x = np.array([0.3, 0.7, 1.2])
    ds = qb.charge(qb.models.kbody(N, k), x / Ok, engine="dense", fisher=True, ergotropy=False)
    for i, xi in enumerate(x):
        row = {
            "⟨W⟩": (ds.work_mean[i], N * math.sin(xi) ** 2),
            "(ΔW)²": (ds.work_var[i], s2 / 4 * math.sin(2 * xi) ** 2),
            "⟨P⟩": (ds.power_mean[i], N * Ok * math.sin(2 * xi)),
            "(ΔP)²": (ds.power_var[i], 4 * s2 * Ok**2 * math.sin(xi) ** 4),
        }
        cells = " | ".join(f"{float(a):.10g} ({float(b):.10g})" for a, b in row.values())
        print(f"| {xi} | {cells} |")
        for name, (a, b) in row.items():
            check(rel(float(a), b) < 1e-10, f"remainder {name} at x={xi}")
    print("columns: Ω_k t | dense (remainder-block formula) for ⟨W⟩, (ΔW)², ⟨P⟩, (ΔP)²")
    exact = (s2 / N**2) ** 2
    e12 = (s2 / (n * k) ** 2) ** 2
    prod = float(ds.nsr_product[0])
    print(
        f"𝒩^W𝒩^P: dense {prod:.12g}, exact (S₂/N²)² = {exact:.12g}, "
        f"E12 (S₂/(nk)²)² = {e12:.12g}, k²/N² = {k**2 / N**2:.6g}"
    )
    check(rel(prod, exact) < 1e-10, "remainder product")
    tb = ds.tradeoff_bound.values
    print(
        f"trade-off bound (Eq. 6) at the three times: {tb.round(12).tolist()}; "
        f"max|1 − bound/product| = {np.max(np.abs(1 - tb / ds.nsr_product.values)):.1e} "
        "(saturated)"
    )
    check(bool(np.allclose(tb, ds.nsr_product, rtol=1e-10)), "remainder trade-off saturated")
    m = n + 1
    print(
        f"Fisher I^W: dense {float(ds.work_fisher[0]):.12g}, 4Ω_k²⌈N/k⌉ = {4 * Ok**2 * m:.12g}, "
        f"4Ω_k² N/k = {4 * Ok**2 * N / k:.12g}; I^P: dense {float(ds.power_fisher[0]):.12g}"
    )
    check(rel(float(ds.work_fisher[0]), 4 * Ok**2 * m) < 1e-10, "remainder I^W")
    check(rel(float(ds.power_fisher[0]), 4 * Ok**2 * m) < 1e-10, "remainder I^P")
    print(
        f"work angle at Ω_k t = {x.tolist()}: dense {ds.work_angle.values.round(12).tolist()}, "
        f"Ω_k t √⌈N/k⌉ = {(x * math.sqrt(m)).round(12).tolist()}"
    )
    check(bool(np.allclose(ds.work_angle, x * math.sqrt(m), rtol=1e-10)), "remainder θ^W")
    print(
        f"bounds: work {ds.work_bound.values.round(6).tolist()} ≤ 𝒩^W "
        f"{ds.work_nsr.values.round(6).tolist()}; power {ds.power_bound.values.round(6).tolist()}"
        f" ≤ 𝒩^P {ds.power_nsr.values.round(6).tolist()}"
    )


def single_qubit_saturation() -> None:
    print("\n## Single qubit: where the power bound saturates (ω0 = Ω0 = 1, x = Ω0 t)")
    x = np.array([0.3, 0.6, 0.7, 0.85, 1.0, 1.2, 1.5, 1.7, 2.0, 2.6])
    ds = qb.charge(qb.models.single_qubit(), x, engine="dense", ergotropy=False)
    paper_f = 4 / np.tan(2 * x) / np.sin(2 * x)
    for i, xi in enumerate(x):
        print(
            f"| {xi} | {float(ds.power_nsr[i]):.8g} | {float(ds.power_bound[i]):.8g} | "
            f"{float(ds.power_f[i]):.8g} | {paper_f[i]:.8g} | {float(ds.work_nsr[i]):.8g} | "
            f"{float(ds.work_bound[i]):.8g} |"
        )
    print(
        "columns: Ω0 t | 𝒩^P = tan² | power bound | f(P0,P_t) (ΔP ≥ 0) | App. D f | 𝒩^W | "
        "work bound"
    )
    early = x < np.pi / 4
    check(
        bool(np.allclose(ds.power_bound[early], ds.power_nsr[early], rtol=1e-10)),
        "saturated before π/4",
    )
    mid = (x > np.pi / 4) & (x < np.pi / 2)
    check(
        bool(np.allclose(ds.power_bound[mid], 1 / np.tan(x[mid]) ** 2, rtol=1e-10)),
        "cot² between π/4 and π/2",
    )


def kbody_bounds(N: int, k: int) -> None:
    print(f"\n## k-body bounds, N = {N}, k = {k} (m = {N // k} blocks), ω0 = Ω0 = 1")
    Ok = k / N
    x = np.array([0.05, 0.2, 0.4, 0.6, 0.7])
    ds = qb.charge(qb.models.kbody(N, k), x / Ok, engine="dense", ergotropy=False)
    for i, xi in enumerate(x):
        print(
            f"| {xi} | {float(ds.work_angle[i]):.6g} | {float(ds.work_nsr[i]):.8g} | "
            f"{float(ds.work_bound[i]):.8g} | {float(ds.power_nsr[i]):.8g} | "
            f"{float(ds.power_bound[i]):.8g} |"
        )
    print("columns: Ω_k t | θ = Ω_k t √(N/k) | 𝒩^W | work bound | 𝒩^P | power bound")
    a = analytic.kbody(x / Ok, N, k)
    check(bool(np.allclose(a.power_bound, ds.power_bound, rtol=1e-10)), "power bound closed form")
    limit = -2 / 3 * (1 - k / N)
    print(f"small-t limit of the power bound: −(2/3)(1 − k/N) = {limit:.8g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="N ≤ 8: seconds, for the tests")
    args = parser.parse_args(argv)
    big = 8 if args.quick else 12
    mid = 6 if args.quick else 10
    sign_of_p0()
    fig1_caption(big)
    eq9_product(big)
    eq10_strings(6)
    ising_cancellation(6)
    power_normalisation(mid)
    if args.quick:
        remainder(6, 4)
    else:
        remainder(10, 4)
    single_qubit_saturation()
    kbody_bounds(big, 2 if args.quick else 3)
    if FAILED:
        print(f"\n{len(FAILED)} checks failed: {FAILED}", file=sys.stderr)
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
