r"""Gallery: the literature models' power and its reliability against the number of cells.

For each model of :mod:`qbattery.models` beyond the paper (Dicke, Tavis–Cummings,
Heisenberg/XXZ, SYK) and each number of cells N, :func:`power_scaling` finds the time
t* of maximum mean power ⟨𝒫_t⟩ within the model's charging window, and records there
the power, its variance and NSR (Eq. 2–4), the Eq. (5) power bound, the stored work and
its NSR, and the ergotropy. :func:`plot_power_scaling` draws power and NSR against N
with the paper's k-body scaling for comparison (Eq. 8–9 at Ω_k t* = π/4:
⟨𝒫⟩_max = kΩ0ω0, so ∝ N for collective and ∝ N⁰ for parallel charging, and
𝒩^P = k/N, so 1 and 1/N). :func:`plot_distribution` draws a work or power
(quasi-)distribution over time (:func:`qbattery.distribution`).

Everything goes through ``qb.charge`` and ``qb.distribution``: no separate physics.
``qbattery gallery --out DIR`` writes the figures (PNG, PDF), their data (NetCDF) and the
fitted exponents (CSV).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import pi, sqrt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from qbattery import models
from qbattery._dataset import (
    CELLS,
    ERGOTROPY,
    NSR_PRODUCT,
    POWER_BOUND,
    POWER_MEAN,
    POWER_NSR,
    POWER_VAR,
    SAMPLE,
    T_STAR,
    T_STAR_ATTRS,
    TRADEOFF_BOUND,
    WORK_BOUND,
    WORK_MEAN,
    WORK_NSR,
    WORK_VAR,
    build_table,
)
from qbattery.battery import Battery
from qbattery.charge import charge
from qbattery.distribution import distribution
from qbattery.engines import get_engine
from qbattery.errors import InvalidInputError
from qbattery.plotting import plot_distribution
from qbattery.studies.open_gallery import decay_scan, plot_decay_scan
from qbattery.studies.scaling import fit_exponent as _fit_exponent
from qbattery.studies.scaling import peak_power

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

#: points of the coarse grid on which t* is bracketed before refinement
COARSE_POINTS = 257
#: variables recorded at t*
RECORDED = (
    POWER_MEAN,
    POWER_VAR,
    POWER_NSR,
    POWER_BOUND,
    WORK_MEAN,
    WORK_VAR,
    WORK_NSR,
    WORK_BOUND,
    NSR_PRODUCT,
    TRADEOFF_BOUND,
    ERGOTROPY,
)


@dataclass(frozen=True)
class GallerySpec:
    """How the gallery builds one model family.

    Attributes
    ----------
    build : callable
        N, seed → Battery.
    window : callable
        N → end of the charging window searched for t*.
    sizes, quick_sizes : tuple of int
        Numbers of cells for the full and the quick gallery.
    params : dict
        The fixed model parameters (recorded in the data).
    samples : int
        Disorder realisations per N (1 for clean models).

    Examples
    --------
    Parallel charging (k = 1) as a gallery model: the power peaks at Ω_k t* = π/4 with
    ⟨𝒫⟩_max = kΩ0ω0 = 1 for every N (E6), and there 𝒩^P = k/N = 1/N (Eq. 8).

    >>> import numpy as np, qbattery as qb
    >>> SPECS["parallel"] = GallerySpec(
    ...     build=lambda N, seed: qb.models.kbody(N, 1), window=lambda N: N * np.pi / 2,
    ...     sizes=(1, 2, 4), quick_sizes=(1, 2), params={"k": 1})
    >>> ds = power_scaling("parallel", [1, 2, 4])
    >>> del SPECS["parallel"]  # leave the gallery as it was
    >>> bool(np.allclose(ds.t_star[:, 0], [np.pi / 4, np.pi / 2, np.pi], atol=1e-7))
    True
    >>> ds.power_mean[:, 0].round(9).values.tolist()
    [1.0, 1.0, 1.0]
    >>> bool(np.allclose(ds.power_nsr[:, 0], [1.0, 0.5, 0.25], atol=1e-9))
    True
    """

    build: Callable[[int, int], Battery]
    window: Callable[[int], float]
    sizes: tuple[int, ...]
    quick_sizes: tuple[int, ...]
    params: dict[str, Any]
    samples: int = 1


#: cavity models in the gallery: λ, with ω_a = ω_c = 1 and n_photons = N
_COUPLING = 0.05
_CAVITY: dict[str, Any] = {"coupling": _COUPLING, "omega_a": 1.0, "omega_c": 1.0}


def _cavity_window(N: int) -> float:
    # first power maximum ≈ (0.2 … 0.25) π/(λ√N) in the rotating-wave limit (docs/beyond.md)
    return 0.6 * pi / (_COUPLING * sqrt(N))


SPECS: dict[str, GallerySpec] = {
    "tavis_cummings": GallerySpec(
        build=lambda N, seed: models.tavis_cummings(N, coupling=_COUPLING),
        window=_cavity_window,
        sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        quick_sizes=(1, 2, 4, 8),
        params={**_CAVITY, "n_photons": "N"},
    ),
    "dicke": GallerySpec(
        build=lambda N, seed: models.dicke(N, coupling=_COUPLING, t_max=_cavity_window(N)),
        window=_cavity_window,
        sizes=(1, 2, 3, 4, 6, 8, 12, 16),
        quick_sizes=(1, 2, 3),
        params={**_CAVITY, "n_photons": "N"},
    ),
    "heisenberg": GallerySpec(
        build=lambda N, seed: models.heisenberg(N, J=-1.0, Delta=2.0),
        window=lambda N: pi / 2,
        sizes=(2, 3, 4, 5, 6, 7, 8, 9, 10),
        quick_sizes=(2, 3, 4),
        params={"J": -1.0, "Delta": 2.0, "omega0": 1.0, "Omega": 1.0},
    ),
    "syk": GallerySpec(
        build=lambda N, seed: models.syk(N, seed=seed),
        window=lambda N: 4.0,
        sizes=(4, 5, 6, 7, 8, 9, 10),
        quick_sizes=(4, 5),
        params={"q": 4, "J": 1.0, "omega0": 1.0},
        samples=8,
    ),
}


def time_of_max_power(battery: Battery, t_end: float, *, points: int = COARSE_POINTS) -> float:
    r"""t* = argmax of ⟨𝒫_t⟩ on [0, t_end]: a grid, then a bounded scalar refinement.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> t = time_of_max_power(qb.models.kbody(4, 2), 3.0)   # Ω_k t* = π/4, Ω_k = 1/2
    >>> bool(abs(t - np.pi / 2) < 1e-7)
    True
    """
    engine, _ = get_engine(battery, "auto", points)
    return peak_power(engine, t_end, points=points, xatol=1e-10)[1]


def power_scaling(
    model: str,
    sizes: Sequence[int] | None = None,
    *,
    samples: int | None = None,
    seed: int = 0,
    quick: bool = False,
) -> xr.Dataset:
    r"""Power, its NSR and bound, work and ergotropy at t* against the number of cells.

    Parameters
    ----------
    model : {"dicke", "tavis_cummings", "heisenberg", "syk"}
    sizes : sequence of int, optional
        Numbers of cells (default: the model's gallery sizes, fewer with ``quick``).
    samples : int, optional
        Disorder realisations per N (SYK; default 8); seeds from
        ``numpy.random.SeedSequence(seed)``.

    Returns
    -------
    xarray.Dataset
        Dims ``N`` and ``sample``: ``t_star`` and the :data:`RECORDED` variables at t*,
        with their usual attributes; model parameters in the attributes.

    Examples
    --------
    >>> ds = power_scaling("tavis_cummings", [1, 2])
    >>> ds.power_mean.dims, bool(ds.power_mean[1, 0] > ds.power_mean[0, 0])
    (('N', 'sample'), True)
    """
    if model not in SPECS:
        raise InvalidInputError(f"unknown gallery model {model!r}; choose one of {sorted(SPECS)}")
    spec = SPECS[model]
    ns = tuple(sizes) if sizes is not None else (spec.quick_sizes if quick else spec.sizes)
    nsamp = spec.samples if samples is None else int(samples)
    if nsamp < 1:
        raise InvalidInputError(f"`samples` must be ≥ 1, got {samples}")
    seeds = [
        int(c.generate_state(1, dtype=np.uint32)[0])
        for c in np.random.SeedSequence(seed).spawn(nsamp)
    ]
    data = {name: np.full((len(ns), nsamp), np.nan) for name in (T_STAR, *RECORDED)}
    attrs: dict[str, dict[str, Any]] = {}
    for a, N in enumerate(ns):
        for b, s in enumerate(seeds):
            bat = spec.build(int(N), s)
            t_star = time_of_max_power(bat, spec.window(int(N)))
            ds = charge(bat, [t_star])
            data[T_STAR][a, b] = t_star
            for name in RECORDED:
                data[name][a, b] = float(ds[name].values[0])
                attrs.setdefault(name, dict(ds[name].attrs))
    attrs[T_STAR] = dict(T_STAR_ATTRS)
    return build_table(
        {name: ((CELLS, SAMPLE), values, attrs.get(name, {})) for name, values in data.items()},
        {
            CELLS: ((CELLS,), np.asarray(ns, dtype=int), {}),
            SAMPLE: ((SAMPLE,), np.arange(nsamp), {}),
        },
        {
            "model": model,
            "params": str(spec.params),
            "sample_seeds": str(seeds if nsamp > 1 else []),
            T_STAR: "argmax of <P_t> on the model's charging window",
        },
    )


def fit_exponent(N: Any, values: Any) -> float:
    """Least-squares slope of log|values| against log N (NaN with fewer than 2 points).

    Examples
    --------
    >>> fit_exponent([1, 2, 4], [3.0, 6.0, 12.0])
    1.0
    """
    return round(_fit_exponent(np.asarray(N, dtype=float), np.asarray(values, dtype=float)), 12)


def plot_power_scaling(ds: xr.Dataset, axes: Sequence[Axes] | None = None) -> dict[str, Line2D]:
    r"""Two panels: ⟨𝒫⟩ at t* and 𝒩^P at t* (with the Eq. 5 bound) against N.

    The paper's k-body scaling is drawn for comparison: power ∝ N (collective, k = N)
    and ∝ N⁰ (parallel), both through the model's first point, and NSR = k/N: 1
    (collective) and 1/N (parallel). Disorder-averaged models show mean ± std.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`power_scaling`.
    axes : sequence of 2 Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    dict
        Label → drawn line (for tests and styling).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from matplotlib.figure import Figure
    >>> N = np.array([1, 2, 4])
    >>> ds = xr.Dataset(
    ...     {"power_mean": (("N", "sample"), 2.0 * N[:, None]),
    ...      "power_nsr": (("N", "sample"), 1.0 / N[:, None]),
    ...      "power_bound": (("N", "sample"), 0.5 / N[:, None])},
    ...     coords={"N": N, "sample": [0]}, attrs={"model": "toy"})
    >>> drawn = plot_power_scaling(ds, Figure().subplots(1, 2))
    >>> "toy: ⟨P⟩ at t* (∝ N^1.00)" in drawn
    True
    >>> drawn["k-body collective ∝ N"].get_ydata().tolist()  # through the first point
    [2.0, 4.0, 8.0]
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    if axes is None:
        _, new = plt.subplots(1, 2, figsize=(9.0, 3.6), layout="constrained")
        axes = list(new)
    ax_p, ax_n = axes[0], axes[1]
    N = ds.N.values.astype(float)
    drawn: dict[str, Line2D] = {}

    def series(ax: Axes, name: str, label: str, shown: str, **style: Any) -> None:
        values = ds[name].values
        mean = np.nanmean(values, axis=1)
        if not np.any(mean > 0):  # nothing to draw on a log axis: say so in the legend
            shown += r" ($\leq 0$ at $t^*$: trivial)"
        if values.shape[1] > 1:
            std = np.nanstd(values, axis=1, ddof=1)
            ax.fill_between(N, mean - std, mean + std, alpha=0.2, color=style.get("color"))
        (drawn[label],) = ax.plot(N, mean, label=shown, **style)

    model = ds.attrs.get("model", "")
    power = np.nanmean(ds.power_mean.values, axis=1)
    slope = fit_exponent(N, power)
    label = f"{model}: ⟨P⟩ at t* (∝ N^{slope:.2f})"
    shown = rf"{model}: $\langle\mathcal{{P}}\rangle$ at $t^*$ ($\propto N^{{{slope:.2f}}}$)"
    series(ax_p, POWER_MEAN, label, shown, marker="o", color="C0")
    (drawn["k-body collective ∝ N"],) = ax_p.plot(
        N, power[0] * N / N[0], "--", color="0.3", label=r"k-body collective $\propto N$"
    )
    (drawn["k-body parallel ∝ N⁰"],) = ax_p.plot(
        N, power[0] * np.ones_like(N), ":", color="0.3", label=r"k-body parallel $\propto N^0$"
    )
    ax_p.set_xscale("log")
    ax_p.set_yscale("log")
    ax_p.set_xlabel("number of cells N")
    ax_p.set_ylabel(r"mean power $\langle\mathcal{P}\rangle$ at $t^*$ [energy/time]")
    ax_p.legend(fontsize="small")

    nsr_slope = fit_exponent(N, np.nanmean(ds.power_nsr.values, axis=1))
    label = f"{model}: NSR of power (∝ N^{nsr_slope:.2f})"
    shown = rf"{model}: NSR of power ($\propto N^{{{nsr_slope:.2f}}}$)"
    series(ax_n, POWER_NSR, label, shown, marker="o", color="C1")
    series(
        ax_n,
        POWER_BOUND,
        "Eq. (5) bound",
        "Eq. (5) bound",
        marker=".",
        color="C2",
        linestyle="-.",
    )
    (drawn["k-body collective: 1"],) = ax_n.plot(
        N, np.ones_like(N), "--", color="0.3", label="k-body collective: 1"
    )
    (drawn["k-body parallel: 1/N"],) = ax_n.plot(
        N, 1 / N, ":", color="0.3", label="k-body parallel: 1/N"
    )
    ax_n.set_xscale("log")
    ax_n.set_yscale("log")
    ax_n.set_xlabel("number of cells N")
    ax_n.set_ylabel(r"$\mathcal{N}^\mathcal{P}$ at $t^*$")
    ax_n.legend(fontsize="small")
    for ax in (ax_p, ax_n):
        ax.set_xticks(N, [str(int(n)) for n in N])
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax_p.set_title(f"{model}: power at its maximum")
    ax_n.set_title(f"{model}: reliability of power")
    return drawn


def _save_figure(fig: Any, root: Path, stem: str) -> list[Path]:
    """Write ``fig`` as ``<stem>.png`` and ``.pdf`` in ``root``, close it; return the paths."""
    import matplotlib.pyplot as plt

    paths = [root / f"{stem}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path, dpi=150)
    plt.close(fig)
    return paths


def run_gallery(
    out: str | Path,
    *,
    models_: Sequence[str] | None = None,
    quick: bool = False,
    progress: bool | None = None,
) -> list[Path]:
    """Write every gallery figure (PNG, PDF), its data (NetCDF) and ``exponents.csv``:
    the power scaling of each model, the work/power distribution of a Tavis–Cummings
    battery over time, and open charging over decay rates (``open_decay``,
    :func:`~qbattery.studies.open_gallery.decay_scan`).

    Parameters
    ----------
    out : path
        Output directory (created if missing).
    models_ : sequence of str, optional
        Gallery models (keys of ``SPECS``); default all.
    quick : bool
        The models' ``quick_sizes`` and a shorter distribution run.
    progress : bool or None
        Progress bar: ``None`` on a terminal only, ``False`` never.

    Returns
    -------
    list of Path
        The paths written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = run_gallery(tmp, models_=["heisenberg"], quick=True, progress=False)
    ...     with xr.open_dataset(Path(tmp) / "gallery_heisenberg.nc") as ds:
    ...         sizes = ds.N.values.tolist()
    ...     rows = (Path(tmp) / "exponents.csv").read_text().splitlines()
    >>> print(*sorted(p.name for p in paths), sep="\\n")
    distribution_tavis_cummings.nc
    distribution_tavis_cummings.pdf
    distribution_tavis_cummings.png
    exponents.csv
    gallery_heisenberg.nc
    gallery_heisenberg.pdf
    gallery_heisenberg.png
    open_decay.nc
    open_decay.pdf
    open_decay.png
    >>> sizes, rows[1].split(",")[:2]  # the quick sizes of the Heisenberg chain
    ([2, 3, 4], ['heisenberg', '2-4'])
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from qbattery._progress import task

    names = list(SPECS) if models_ is None else list(models_)
    for name in names:
        if name not in SPECS:
            raise InvalidInputError(f"unknown gallery model {name!r}; choose from {sorted(SPECS)}")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = []
    with task("gallery", len(names) + 2, enabled=progress) as bar:
        for name in names:
            ds = power_scaling(name, quick=quick)
            path = root / f"gallery_{name}.nc"
            ds.to_netcdf(path)
            written.append(path)
            fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), layout="constrained")
            plot_power_scaling(ds, axes)
            written += _save_figure(fig, root, f"gallery_{name}")
            N = ds.N.values
            rows.append(
                {
                    "model": name,
                    "N": f"{N.min()}-{N.max()}",
                    "power_exponent": fit_exponent(N, ds.power_mean.mean(SAMPLE)),
                    "power_nsr_exponent": fit_exponent(N, ds.power_nsr.mean(SAMPLE)),
                    "kbody_collective_power_exponent": 1.0,
                    "kbody_parallel_power_exponent": 0.0,
                }
            )
            bar.advance()
        # the work (and power) distribution over time
        bat = models.tavis_cummings(4 if quick else 8, coupling=_COUPLING)
        times = np.linspace(0.0, _cavity_window(bat.params["N"]) * 2.5, 60 if quick else 160)
        fig, axes = plt.subplots(1, 2, figsize=(11.0, 3.8), layout="constrained")
        dists = []
        for ax, which in zip(axes, ("work", "power"), strict=True):
            da = distribution(bat, times, which)
            plot_distribution(da, ax)
            dists.append(da)
        written += _save_figure(fig, root, "distribution_tavis_cummings")
        path = root / "distribution_tavis_cummings.nc"
        # separate value dimensions: work and power take different values
        separate = {d.name: d.rename(value=f"{d.attrs['observable']}_value") for d in dists}
        xr.Dataset(separate).to_netcdf(path)
        written.append(path)
        bar.advance()
        # open charging over decay rates: NSRs, bounds and the saturating angle (issue 16)
        scan = decay_scan(times=np.linspace(0.0, 12.0, 121 if quick else 241))
        scan.to_netcdf(root / "open_decay.nc")
        written.append(root / "open_decay.nc")
        fig, axes = plt.subplots(1, 3, figsize=(14.0, 3.8), layout="constrained")
        plot_decay_scan(scan, axes)
        written += _save_figure(fig, root, "open_decay")
        bar.advance()
    csv_path = root / "exponents.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["model"])
        writer.writeheader()
        writer.writerows(rows)
    written.append(csv_path)
    return written
