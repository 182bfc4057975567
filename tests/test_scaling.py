"""qb.scaling: values against closed forms, fitted exponents against the predictions
(Eq. 8–9, App. E for kbody; the leading-order light-cone sums for the Ising chain),
against the dense engine at small N, the plot's data and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import qbattery as qb
from qbattery import cli
from qbattery.errors import InvalidInputError
from qbattery.studies.scaling import FITTED, fit_exponent, plot_scaling

KBODY_SIZES = [16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576]

#: τ* is found to time_rtol = 1e-10 relative; the NSRs there move ≈ 6.4× as fast as t
#: (|d ln cot²x / d ln x| = 4x*/sin 2x* at x*), so they are checked to 1e-9
AT_TAU_RTOL = {"work_nsr_at_tau": 1e-9, "power_nsr_at_tau": 1e-9}


def x_star() -> float:
    """Ω_k τ*: the root of d/dx (sin²x/x) = 0, i.e. tan x = 2x, by bisection (own route)."""
    lo, hi = 1.0, 1.5
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.tan(mid) < 2 * mid else (lo, mid)
    return (lo + hi) / 2


def kbody_exact(N: np.ndarray, k: np.ndarray, t: float, omega0: float, Omega0: float):
    """Eq. (8) with SPEC §2's remainder: 𝒩^W = (Q₂/N²)cot²φ, 𝒩^P = (Q₂/N²)tan²φ,
    peak power NΩ_kω0 = kω0Ω0 at φ = Ω_k t = π/4; ⟨W_t⟩/t = Nω0 sin²φ/t is maximal at
    φ = x* (tan x* = 2x*), so at τ* cot²φ = 1/(4x*²) and tan²φ = 4x*²."""
    n, r = np.divmod(N, k)
    Q2 = n * k**2 + r**2
    phi = k / N * Omega0 * t
    c = Q2 / N**2
    xs = x_star()
    return {
        "max_average_power": k * omega0 * Omega0 * np.sin(xs) ** 2 / xs + 0 * N,
        "average_power_time": xs / (k / N * Omega0),
        "work_nsr_at_tau": c / (2 * xs) ** 2,
        "power_nsr_at_tau": c * (2 * xs) ** 2,
        "work_nsr": c / np.tan(phi) ** 2,
        "power_nsr": c * np.tan(phi) ** 2,
        "nsr_product": c**2,
        "peak_power": k * omega0 * Omega0,
        "peak_power_time": np.pi / 4 / (k / N * Omega0),
    }


def test_kbody_fixed_k_values_and_exponents():
    ds = qb.scaling("kbody", KBODY_SIZES, k=4, time=1.0)
    assert ds.attrs["engine"] == "structured"
    N = ds["N"].values
    exact = kbody_exact(N, ds["k"].values, 1.0, 1.0, 1.0)
    for name, values in exact.items():
        tol = AT_TAU_RTOL.get(name, 1e-10)
        np.testing.assert_allclose(ds[name].values, values, rtol=tol, err_msg=name)
    # App. E: N^W ∝ N, N^P ∝ N^-3, product ∝ N^-2 (Eq. 9), peak power ∝ N^0 (E6)
    expected = {"work_nsr": 1.0, "power_nsr": -3.0, "nsr_product": -2.0, "peak_power": 0.0}
    for name, alpha in expected.items():
        assert ds.attrs[f"{name}_exponent_predicted"] == alpha
        # cot² x ≈ 1/x² only for N/k ≫ Ω0 t: the N = 16 point bends the fit by < 0.01
        assert abs(ds.attrs[f"{name}_exponent"] - alpha) < 0.01, name
    # at τ* the forms are exact at every N: average power ∝ N^0, both NSRs ∝ 1/N
    at_tau = {"max_average_power": 0.0, "work_nsr_at_tau": -1.0, "power_nsr_at_tau": -1.0}
    for name, alpha in at_tau.items():
        tol = AT_TAU_RTOL.get(name, 1e-10)
        np.testing.assert_allclose(ds[name].values, ds[f"predicted_{name}"].values, rtol=tol)
        assert ds.attrs[f"{name}_exponent_predicted"] == alpha
        assert abs(ds.attrs[f"{name}_exponent"] - alpha) < 1e-9, name
    tail = slice(4, None)  # N ≥ 4096: φ = kt/N ≤ 1e-3, E9/E10 hold to (2/3)φ² < 1e-6
    for name in ("work_nsr", "power_nsr", "nsr_product", "peak_power"):
        np.testing.assert_allclose(
            ds[name].values[tail], ds[f"predicted_{name}"].values[tail], rtol=1e-6
        )
    assert abs(fit_exponent(N[tail], ds.power_nsr.values[tail]) + 3) < 1e-6


def test_kbody_fixed_fraction():
    sizes = [8, 32, 128, 512, 2048, 8192]
    ds = qb.scaling("kbody", sizes, k_fraction=0.25, time=0.7, omega0=1.3, coupling=0.9)
    N = ds["N"].values
    np.testing.assert_array_equal(ds["k"].values, N // 4)
    exact = kbody_exact(N, N // 4, 0.7, 1.3, 0.9)
    for name, values in exact.items():
        tol = AT_TAU_RTOL.get(name, 1e-10)
        np.testing.assert_allclose(ds[name].values, values, rtol=tol, err_msg=name)
    # Eq. (8): with k/N fixed the NSRs and their product do not depend on N; power ∝ N
    expected = {"work_nsr": 0, "power_nsr": 0, "nsr_product": 0, "peak_power": 1}
    # ... and at τ*: average power ∝ N, NSRs flat
    expected |= {"max_average_power": 1, "work_nsr_at_tau": 0, "power_nsr_at_tau": 0}
    for name, alpha in expected.items():
        assert ds.attrs[f"{name}_exponent_predicted"] == alpha
        assert abs(ds.attrs[f"{name}_exponent"] - alpha) < 1e-9, name


def test_kbody_at_tau_with_a_remainder_block_against_dense():
    """N = 7, k = 3 (blocks 3, 3, 1: Q₂ = 19): the τ* columns against the closed forms
    and against the dense engine's own optimal_charging."""
    ds = qb.scaling("kbody", [5, 7], k=3, omega0=0.8, coupling=1.7)
    ref = qb.scaling("kbody", [5, 7], k=3, omega0=0.8, coupling=1.7, engine="dense")
    exact = kbody_exact(ds.N.values, np.array([3, 3]), 1.0, 0.8, 1.7)
    for name in ("max_average_power", "average_power_time", "work_nsr_at_tau", "power_nsr_at_tau"):
        tol = AT_TAU_RTOL.get(name, 1e-10)
        np.testing.assert_allclose(ds[name].values, exact[name], rtol=tol, err_msg=name)
        np.testing.assert_allclose(ref[name].values, exact[name], rtol=tol, err_msg=name)
        if name != "average_power_time":
            np.testing.assert_allclose(ds[f"predicted_{name}"].values, exact[name], rtol=1e-12)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_ising_leading_order_predictions(s):
    """Normalised chain at fixed t: 𝒩^W ≈ 4L/t², 𝒩^P ≈ 2(s−1)(2s−1)/(3sL), product
    ≈ 8(s−1)(2s−1)/(3st²), peak power → ω0√s((s−1)/s)^((s−1)/2); corrections O(1/L)."""
    sizes = [100, 200, 400, 800, 1600, 3200]
    ds = qb.scaling("ising", sizes, s=s, time=1.0)
    L = ds["N"].values - s + 1
    for name in ("work_nsr", "power_nsr", "nsr_product", "peak_power"):
        ratio = ds[name].values / ds[f"predicted_{name}"].values
        np.testing.assert_array_less(np.abs(ratio - 1), 30 * s / L, err_msg=name)
    for name, alpha in {"work_nsr": 1, "power_nsr": -1, "nsr_product": 0, "peak_power": 0}.items():
        assert ds.attrs[f"{name}_exponent_predicted"] == alpha
        assert abs(ds.attrs[f"{name}_exponent"] - alpha) < 0.01, name
    # no closed form at τ* for the chain: NaN predictions, never a made-up number
    for name in ("max_average_power", "work_nsr_at_tau", "power_nsr_at_tau"):
        assert np.all(np.isnan(ds[f"predicted_{name}"].values))
        assert np.isnan(ds.attrs[f"{name}_exponent_predicted"])
        assert np.all(np.isfinite(ds[name].values))


def test_ising_scaling_matches_dense_engine():
    kwargs = {"s": 2, "time": 1.3}
    ds = qb.scaling("ising", [4, 5, 6, 7], **kwargs)
    ref = qb.scaling("ising", [4, 5, 6, 7], engine="dense", **kwargs)
    assert ref.attrs["engine"] == "dense"
    more = ("work_mean", "power_mean", "work_var", "power_var", "average_power_time")
    for name in (*FITTED, *more):
        np.testing.assert_allclose(ds[name].values, ref[name].values, rtol=1e-9, err_msg=name)


def test_peak_power_time_is_a_maximum():
    ds = qb.scaling("ising", [20, 40], s=3)
    rows = zip(ds.N.values, ds.peak_power_time.values, ds.peak_power.values, strict=True)
    for N, t_peak, peak in rows:
        bat = qb.models.ising(int(N), 3)
        around = qb.charge(bat, t_peak + np.array([-1e-3, 0.0, 1e-3]) * t_peak, bounds=False)
        assert around.power_mean.values[1] == pytest.approx(peak, rel=1e-12)
        assert np.all(around.power_mean.values[[0, 2]] < peak)


def test_plot_scaling_draws_the_dataset(tmp_path):
    import matplotlib.pyplot as plt

    ds = qb.scaling("kbody", [16, 64, 256, 1024], k=2)
    lines = plot_scaling(ds)
    for name in FITTED:
        np.testing.assert_array_equal(lines[name].get_xdata(), ds.N.values)
        np.testing.assert_allclose(lines[name].get_ydata(), np.abs(ds[name].values))
        np.testing.assert_allclose(
            lines[f"predicted_{name}"].get_ydata(), np.abs(ds[f"predicted_{name}"].values)
        )
    plt.close("all")
    with pytest.raises(InvalidInputError, match="needs 7 axes, got 2"):
        plot_scaling(ds, axes=plt.subplots(1, 2)[1])
    plt.close("all")


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("kbody", [16]), {"k": 2}, "at least two integers"),
        (("kbody", [16, 8]), {"k": 2}, "strictly increasing"),
        (("kbody", [0, 8]), {"k": 2}, "must be ≥ 1"),
        (("kbody", [4.5, 8]), {"k": 2}, "at least two integers"),
        (("spin", [4, 8]), {"k": 2}, "`family` must be 'kbody' or 'ising'"),
        (("kbody", [4, 8]), {}, "exactly one of `k`"),
        (("kbody", [4, 8]), {"k": 2, "k_fraction": 0.5}, "exactly one of `k`"),
        (("kbody", [4, 8]), {"k_fraction": 1.5}, r"`k_fraction` must be in \(0, 1\]"),
        (("kbody", [4, 8]), {"k": 5}, "k = 5 is outside 1…N = 4"),
        (("ising", [4, 8]), {}, "ising scaling needs `s`"),
        (("ising", [4, 8]), {"s": 5}, "s = 5 exceeds N = 4"),
        (("kbody", [4, 8]), {"k": 2, "time": 0.0}, "`time` must be a positive"),
    ],
)
def test_bad_input(args, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        qb.scaling(*args, **kwargs)


def test_cli_scaling_writes_files(tmp_path, capsys):
    code = cli.main(["scaling", "kbody", "--sizes", "16,64,256", "--k", "4", "-o", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "power_nsr" in out
    assert "-3" in out
    assert "max_average_power" in out
    assert "power_nsr_at_tau" in out
    for name in ("scaling.nc", "scaling.png", "scaling.pdf"):
        assert (tmp_path / name).stat().st_size > 0
    ds = xr.open_dataset(tmp_path / "scaling.nc")
    np.testing.assert_array_equal(ds.N.values, [16, 64, 256])
    ds.close()


def test_cli_scaling_bad_input_is_one_line(capsys):
    assert cli.main(["scaling", "ising", "--sizes", "8,x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--sizes takes comma-separated integers" in err
