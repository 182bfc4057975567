"""The designer: exact kbody optimum against brute force, sweep designs, plots.

Independent routes: the closed-form optimum (design.py, from c_k = S₂/N²) is checked
against a brute-force search over a fine time grid of ``qb.analytic.kbody`` for every
k, and its figures of merit against the dense engine (``qb.charge``, 1e-9). A sweep
design is checked against a search written out here with ``qb.charge`` point by point.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import qbattery as qb
from qbattery.errors import InvalidInputError
from qbattery.studies.design import InfeasibleTargetError, pareto_front


def brute_force_kbody(
    N: int,
    a: float | None,
    b: float | None,
    tmax: float | None,
    *,
    omega0: float = 1.0,
    Omega0: float = 1.0,
    num: int = 20001,
    objective: str = "power_mean",
) -> tuple[int, float, float, float]:
    """(k, t, power, dt) maximising ⟨𝒫_t⟩ (or ⟨𝒲_t⟩/t, computed here from work_mean)
    over a fine grid of each k's half-period."""
    best = (0, math.nan, -math.inf, math.nan)
    for k in range(1, N + 1):
        span = math.pi / 2 / (k * Omega0 / N)
        if tmax is not None:
            span = min(span, tmax)
        t = np.linspace(0.0, span, num)[1:]
        ds = qb.analytic.kbody(t, N, k, omega0, Omega0, ergotropy=False)
        values = ds.power_mean.values
        if objective == "average_power":
            values = ds.work_mean.values / t
        ok = values > 0
        if a is not None:
            ok &= ds.power_nsr.values <= a
        if b is not None:
            ok &= ds.work_nsr.values <= b
        if not ok.any():
            continue
        power = np.where(ok, values, -np.inf)
        i = int(np.argmax(power))
        if power[i] > best[2]:
            best = (k, float(t[i]), float(power[i]), float(t[1] - t[0]))
    return best


CASES = [
    pytest.param(12, 0.1, 0.5, None, {}, id="N12-divisible"),
    pytest.param(10, 0.2, 0.3, None, {}, id="N10-remainders"),
    pytest.param(9, 0.3, None, None, {"Omega0": 2.0}, id="N9-power-target-only"),
    pytest.param(8, None, 0.2, None, {"omega0": 0.5}, id="N8-work-target-only"),
    pytest.param(10, 0.5, 0.5, 3.0, {}, id="N10-max-time"),
    pytest.param(7, None, None, None, {}, id="N7-no-target"),
]


@pytest.mark.parametrize(("N", "a", "b", "tmax", "params"), CASES)
def test_kbody_design_matches_brute_force(
    N: int, a: float | None, b: float | None, tmax: float | None, params: dict
) -> None:
    d = qb.design(N, max_power_nsr=a, max_work_nsr=b, max_time=tmax, params=params)
    k, t, power, dt = brute_force_kbody(N, a, b, tmax, **params)
    assert d.method == "closed form"
    assert d.value == k
    assert abs(d.time - t) <= 2 * dt
    assert power <= d.power_mean * (1 + 1e-12)  # no grid point beats the exact optimum
    assert d.power_mean - power <= 1e-3 * d.power_mean
    if a is not None:
        assert d.power_nsr <= a
    if b is not None:
        assert d.work_nsr <= b
    if tmax is not None:
        assert d.time <= tmax


@pytest.mark.parametrize(("N", "a", "b", "tmax", "params"), CASES)
def test_kbody_average_power_design_matches_brute_force(
    N: int, a: float | None, b: float | None, tmax: float | None, params: dict
) -> None:
    """objective="average_power": the exact optimum (x = Ω_kt clipped towards x*, tan x* =
    2x*) against a brute-force search of ⟨𝒲_t⟩/t over a fine grid, and against the dense
    engine's ⟨𝒲_t⟩ divided by t."""
    d = qb.design(
        N, max_power_nsr=a, max_work_nsr=b, max_time=tmax, params=params,
        objective="average_power",
    )  # fmt: skip
    k, t, avg, dt = brute_force_kbody(N, a, b, tmax, **params, objective="average_power")
    assert d.objective == "average_power"
    assert d.value == k
    assert abs(d.time - t) <= 2 * dt
    assert avg <= d.average_power * (1 + 1e-12)  # no grid point beats the exact optimum
    assert d.average_power - avg <= 1e-3 * d.average_power  # grid step at a target edge
    for limit, got in ((a, d.power_nsr), (b, d.work_nsr), (tmax, d.time)):
        assert limit is None or got <= limit
    ds = qb.charge(qb.models.kbody(N, d.value, **params), [d.time], "dense", bounds=False)
    np.testing.assert_allclose(d.average_power, ds.work_mean.values[0] / d.time, rtol=1e-10)


def test_average_power_without_targets_is_collective_at_x_star() -> None:
    """No targets: k = N at Ω_Nτ* = x*, where d/dt(⟨𝒲_t⟩/t) = 0 makes ⟨𝒫_τ*⟩ = ⟨𝒲_τ*⟩/τ*."""
    d = qb.design(7, params={"omega0": 2.0, "Omega0": 0.5}, objective="average_power")
    x = 1.1655611852072113  # tan x = 2x, by bisection in test_scaling.x_star
    assert d.value == 7
    np.testing.assert_allclose(d.time, x / 0.5, rtol=1e-12)
    np.testing.assert_allclose(d.average_power, 7 * 2.0 * 0.5 * np.sin(x) ** 2 / x, rtol=1e-12)
    np.testing.assert_allclose(d.power_mean, d.average_power, rtol=1e-12)
    assert "highest average power <W_t>/t (closed form): k = 7" in d.summary()


DENSE_CASES = [  # small N: the dense engine is the independent reference
    pytest.param(8, 0.3, 0.5, None, {}, id="N8-remainder"),
    pytest.param(7, 0.3, 0.6, None, {"Omega0": 2.0}, id="N7-remainders"),
    pytest.param(6, None, 0.2, 2.0, {"omega0": 0.5}, id="N6-max-time"),
]


@pytest.mark.parametrize(("N", "a", "b", "tmax", "params"), DENSE_CASES)
def test_design_figures_of_merit_match_the_dense_engine(
    N: int, a: float | None, b: float | None, tmax: float | None, params: dict
) -> None:
    d = qb.design(N, max_power_nsr=a, max_work_nsr=b, max_time=tmax, params=params)
    assert d.value is not None
    if N in (7, 8):
        assert N % d.value != 0  # the remainder block (SPEC §2) is exercised
    ds = qb.charge(qb.models.kbody(N, d.value, **params), [d.time], "dense", bounds=False)
    for name in ("power_mean", "power_nsr", "work_mean", "work_nsr"):
        np.testing.assert_allclose(getattr(d, name), ds[name].values[0], rtol=1e-9, err_msg=name)


def test_collective_charging_wins_without_targets() -> None:
    d = qb.design(7, params={"omega0": 2.0, "Omega0": 0.5})
    assert d.value == 7
    np.testing.assert_allclose(d.time, math.pi / 4 / 0.5, rtol=1e-12)  # Ω_N t = π/4
    np.testing.assert_allclose(d.power_mean, 7 * 2.0 * 0.5, rtol=1e-12)  # N Ω_k ω0


def test_impossible_target_raises_with_the_best_values() -> None:
    N, a, b = 10, 0.05, 0.1
    with pytest.raises(
        InfeasibleTargetError,
        match=r"no protocol \(k, t\) of kbody with N = 10 meets power NSR ≤ 0.05 and work "
        r"NSR ≤ 0.1",
    ) as info:
        qb.design(N, max_power_nsr=a, max_work_nsr=b)
    message = str(info.value)
    assert "1/N² = 0.01" in message
    best = info.value.design.best
    assert info.value.design.feasible is False
    # exact: with 𝒩^W ≤ b the lowest 𝒩^P is c²/b at k = 1 (c = 1/N), and vice versa
    low_p, low_w, closest = best["lowest_power_nsr"], best["lowest_work_nsr"], best["closest"]
    assert low_p is not None
    assert low_w is not None
    assert closest is not None
    assert low_p["k"] == 1
    assert low_w["k"] == 1
    np.testing.assert_allclose(low_p["power_nsr"], 1 / (N**2 * b), rtol=1e-12)
    np.testing.assert_allclose(low_p["work_nsr"], b, rtol=1e-12)
    np.testing.assert_allclose(low_w["work_nsr"], 1 / (N**2 * a), rtol=1e-12)
    np.testing.assert_allclose(low_w["power_nsr"], a, rtol=1e-12)
    # the smallest max(𝒩^P/a, 𝒩^W/b) is 1/(N √(ab)), where both ratios are equal
    np.testing.assert_allclose(closest["power_nsr"] / a, 1 / (N * math.sqrt(a * b)), rtol=1e-12)
    np.testing.assert_allclose(closest["work_nsr"] / b, 1 / (N * math.sqrt(a * b)), rtol=1e-12)
    assert f"power NSR {low_p['power_nsr']:.4g}" in message


def test_time_limit_can_make_a_target_impossible() -> None:
    with pytest.raises(InfeasibleTargetError, match=r"meets work NSR ≤ 0.5 and t ≤ 0.1"):
        qb.design(6, max_work_nsr=0.5, max_time=0.1)


def test_sweep_design_matches_a_search_with_charge() -> None:
    N, a, b = 4, 0.5, 5.0
    times = np.linspace(0.05, 3.0, 60)
    d = qb.design(N, "ising", max_power_nsr=a, max_work_nsr=b, times=times)
    assert d.method == "sweep"
    best = (None, math.nan, -math.inf)
    for s in range(1, N + 1):
        ds = qb.charge(qb.models.ising(N, s), times, bounds=False)
        ok = (ds.power_mean > 0) & (ds.power_nsr <= a) & (ds.work_nsr <= b)
        power = np.where(ok, ds.power_mean, -np.inf)
        i = int(np.argmax(power))
        if power[i] > best[2]:
            best = (s, float(times[i]), float(power[i]))
    assert d.value == best[0]
    assert d.time == best[1]
    np.testing.assert_allclose(d.power_mean, best[2], rtol=1e-10)


def test_impossible_sweep_design_reports_the_best_grid_values() -> None:
    N, a, b = 4, 1e-6, 5.0
    times = np.linspace(0.05, 3.0, 60)
    with pytest.raises(InfeasibleTargetError, match=r"of ising with N = 4 meets power NSR") as info:
        qb.design(N, "ising", max_power_nsr=a, max_work_nsr=b, times=times)
    best = info.value.design.best["lowest_power_nsr"]
    assert best is not None
    lowest = (math.inf, 0, 0.0)
    for s in range(1, N + 1):
        ds = qb.charge(qb.models.ising(N, s), times, bounds=False)
        ok = (ds.power_mean > 0) & (ds.work_nsr <= b)
        noise = np.where(ok, ds.power_nsr, np.inf)
        i = int(np.argmin(noise))
        if noise[i] < lowest[0]:
            lowest = (float(noise[i]), s, float(times[i]))
    np.testing.assert_allclose(best["power_nsr"], lowest[0], rtol=1e-10)
    assert (best["s"], best["time"]) == (lowest[1], lowest[2])
    assert best["power_nsr"] > a


def test_kbody_sweep_design_agrees_with_the_closed_form() -> None:
    N = 6
    exact = qb.design(N, max_power_nsr=0.3, max_work_nsr=0.4)
    times = np.linspace(0.0, 10.0, 401)[1:]
    grid = qb.design(N, max_power_nsr=0.3, max_work_nsr=0.4, times=times, method="sweep")
    assert grid.value == exact.value
    assert abs(grid.time - exact.time) <= times[1] - times[0]
    assert grid.power_mean <= exact.power_mean * (1 + 1e-12)


def test_sweep_design_of_average_power_matches_a_search_with_charge() -> None:
    N, a = 4, 0.5
    times = np.linspace(0.05, 3.0, 60)
    d = qb.design(N, "ising", max_power_nsr=a, times=times, objective="average_power")
    best = (None, math.nan, -math.inf)
    for s in range(1, N + 1):
        ds = qb.charge(qb.models.ising(N, s), times, bounds=False)
        avg = ds.work_mean.values / times
        ok = (avg > 0) & (ds.power_nsr.values <= a)
        score = np.where(ok, avg, -np.inf)
        i = int(np.argmax(score))
        if score[i] > best[2]:
            best = (s, float(times[i]), float(score[i]))
    assert (d.value, d.time) == best[:2]
    np.testing.assert_allclose(d.average_power, best[2], rtol=1e-10)
    front = d.pareto("power_nsr")
    assert "average_power" in front
    assert float(front.average_power.max()) >= d.average_power


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"family": "heisenberg"}, r"unknown family 'heisenberg'", id="family"),
        pytest.param({"max_power_nsr": -1}, r"`max_power_nsr` must be positive", id="target"),
        pytest.param({"values": [0, 2]}, r"`k` must be ≥ 1 and ≤ 6, got 0", id="values"),
        pytest.param({"values": []}, r"`values` of k is empty", id="no-values"),
        pytest.param({"family": "ising"}, r"a sweep design of 'ising' needs `times`", id="times"),
        pytest.param({"params": {"N": 3}}, r"give N as the argument", id="N-in-params"),
        pytest.param({"params": {"Omega": 1}}, r"unknown kbody parameters \['Omega'\]", id="par"),
        pytest.param({"params": {"Omega0": -1}}, r"needs omega0 > 0 and Omega0 > 0", id="sign"),
        pytest.param(
            {"family": "ising", "method": "closed form"}, r"no closed form for", id="closed"
        ),
        pytest.param({"method": "guess"}, r"unknown method 'guess'", id="method"),
        pytest.param({"objective": "power"}, r"unknown objective 'power'", id="objective"),
    ],
)
def test_design_input_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        qb.design(6, **kwargs)


def test_pareto_front_is_the_non_dominated_set(rng: np.random.Generator) -> None:
    import xarray as xr

    power = rng.uniform(-1, 3, size=(5, 40))
    noise = rng.uniform(0, 2, size=(5, 40))
    table = xr.Dataset(
        {"power_mean": (("k", "time"), power), "power_nsr": (("k", "time"), noise)},
        coords={"k": np.arange(1, 6), "time": np.linspace(0.1, 4, 40)},
    )
    front = pareto_front(table, "power_nsr", parameter="k")
    on = set(zip(front.k.values.tolist(), front.time.values.tolist(), strict=True))
    for i in range(5):
        for j in range(40):
            if power[i, j] <= 0:
                continue
            dominated = np.any(
                (power >= power[i, j]) & (noise < noise[i, j])
                | (power > power[i, j]) & (noise <= noise[i, j])
            )
            assert ((i + 1, table.time.values[j]) in on) == (not dominated)


# --------------------------------------------------------------------------- plots


def test_design_figure_draws_the_table_front_and_choice() -> None:
    from qbattery.plotting import design_heatmap, pareto

    d = qb.design(8, max_power_nsr=0.2, max_work_nsr=0.5)
    drawn = design_heatmap(d, "power_nsr")
    values = d.table.power_nsr.transpose("k", "time").values
    mesh = drawn["mesh"].get_array()
    finite = np.isfinite(values) & (values > 0)
    np.testing.assert_array_equal(mesh.mask, ~finite)
    np.testing.assert_array_equal(mesh.data[finite], values[finite])
    np.testing.assert_array_equal(drawn["marker"].get_xydata(), [[d.time, d.value]])
    assert drawn["feasible"] is not None

    parts = pareto(d, "power_nsr")
    front = d.pareto("power_nsr")
    np.testing.assert_array_equal(
        parts["front"].get_xydata(), np.column_stack([front.power_nsr, front.power_mean])
    )
    np.testing.assert_array_equal(parts["marker"].get_xydata(), [[d.power_nsr, d.power_mean]])
    np.testing.assert_array_equal(parts["target"].get_xdata(), [0.2, 0.2])
    held = parts["constrained"].get_xydata()
    # no feasible grid point beats the exact optimum, and the grid comes close to it
    feasible = held[held[:, 0] <= 0.2]
    assert feasible[:, 1].max() <= d.power_mean * (1 + 1e-12)
    assert feasible[:, 1].max() >= 0.99 * d.power_mean


def test_figures_save_as_png_and_pdf(tmp_path) -> None:
    from qbattery.plotting import design_figure, sweep_figure

    times = np.linspace(0.05, 8.0, 80)
    fig = design_figure(qb.design(6, max_power_nsr=0.2, max_work_nsr=0.5, times=times))
    fig.savefig(tmp_path / "design.png")
    fig.savefig(tmp_path / "design.pdf")
    assert (tmp_path / "design.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "design.pdf").read_bytes()[:4] == b"%PDF"
    ds = qb.sweep("kbody", {"k": [1, 2, 3]}, np.linspace(0.1, 3, 7), params={"N": 3},
                  client="serial", bounds=False)  # fmt: skip
    fig = sweep_figure(ds)
    mesh = fig.axes[0].collections[0].get_array()
    np.testing.assert_array_equal(mesh.data, ds.power_mean.transpose("k", "time").values)


def test_heatmap_needs_two_dimensions() -> None:
    from qbattery.plotting import heatmap

    ds = qb.sweep("kbody", {"N": [2, 3], "k": [1, 2]}, [0.5, 1.0], client="serial", bounds=False)
    with pytest.raises(ValueError, match=r"select the other grid axes first"):
        heatmap(ds.power_nsr)


# --------------------------------------------------------------------------- command line


def test_cli_design_prints_the_answer_and_draws_it(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbattery.cli import main

    figure = tmp_path / "d.pdf"
    args = ["design", "12", "--max-power-nsr", "0.1", "--max-work-nsr", "0.5", "-f", str(figure)]
    assert main(args) == 0
    out = capsys.readouterr().out
    d = qb.design(12, max_power_nsr=0.1, max_work_nsr=0.5)
    assert f"k = 2, t = {d.time:.6g}" in out
    assert f"mean power  <P_t> = {d.power_mean:.6g}" in out
    assert figure.read_bytes()[:4] == b"%PDF"


def test_cli_design_impossible_target_exits_1_with_best_values(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbattery.cli import main

    args = ["design", "10", "--max-power-nsr", "0.05", "--max-work-nsr", "0.1", "--no-figure"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "no protocol (k, t) of kbody with N = 10 meets" in out
    assert "lowest power NSR meeting the work target: k = 1, t = 7.854: power NSR 0.1," in out
    assert "lowest work NSR meeting the power target: k = 1, t = 6.155: power NSR 0.05, " in out


def test_cli_design_input_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from qbattery.cli import main

    assert main(["design", "10", "--family", "ising", "--no-figure"]) == 2
    assert "give --max-time" in capsys.readouterr().err
    assert main(["design", "10", "--values", "1,x", "--no-figure"]) == 2
    assert "--values takes integers like 1,2,3" in capsys.readouterr().err
    assert main(["design", "10", "-p", "omega0", "--no-figure"]) == 2
    assert "--param takes NAME=VALUE, got 'omega0'" in capsys.readouterr().err
    assert main(["design", "10", "--objective", "avg", "--no-figure"]) == 2
    assert "--objective 'avg' is unknown" in capsys.readouterr().err


def test_cli_design_average_power(capsys: pytest.CaptureFixture[str]) -> None:
    from qbattery.cli import main

    args = ["design", "12", "--max-power-nsr", "0.3", "--objective", "average_power"]
    assert main([*args, "--no-figure"]) == 0
    out = capsys.readouterr().out
    d = qb.design(12, max_power_nsr=0.3, objective="average_power")
    assert f"highest average power <W_t>/t (closed form): k = {d.value}, t = {d.time:.6g}" in out
    assert f"avg power <W_t>/t = {d.average_power:.6g}" in out
