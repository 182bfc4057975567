"""Figures of sweeps and designs: heat maps over (k or s, t) and Pareto fronts.

Every function takes ``ax=None`` (a new figure) or an Axes, and returns what it drew;
none calls ``plt.show()``. Save with ``fig.savefig("out.png")`` or ``"out.pdf"``.

The design figures draw any object with the attributes of :class:`DesignLike` (a
:class:`qbattery.Design`): this module sits below the studies and never imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import xarray as xr

from qbattery._dataset import (
    AVERAGE_POWER,
    NSR_PRODUCT,
    POWER_MEAN,
    POWER_NSR,
    TIME,
    WORK_MEAN,
    WORK_NSR,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import QuadMesh
    from matplotlib.figure import Figure

#: axis labels of the figures of merit
LABELS = {
    POWER_MEAN: r"mean power $\langle\mathcal{P}_t\rangle$",
    POWER_NSR: r"power NSR $\mathcal{N}^P_t$",
    WORK_MEAN: r"mean work $\langle\mathcal{W}_t\rangle$",
    WORK_NSR: r"work NSR $\mathcal{N}^W_t$",
    NSR_PRODUCT: r"NSR product $\mathcal{N}^W_t\mathcal{N}^P_t$",
    AVERAGE_POWER: r"average power $\langle\mathcal{W}_t\rangle/t$",
}
#: which design target limits which NSR
_TARGET_OF = {POWER_NSR: "max_power_nsr", WORK_NSR: "max_work_nsr"}


class DesignLike(Protocol):
    """What the design figures read from a design (:class:`qbattery.Design` has it all).

    Examples
    --------
    >>> import qbattery as qb
    >>> d = qb.design(N=8, max_power_nsr=0.5, max_time=2.0)
    >>> all(hasattr(d, name) for name in ("family", "N", "time", "power_nsr", "table"))
    True
    """

    @property
    def family(self) -> str: ...

    @property
    def parameter(self) -> str: ...

    @property
    def N(self) -> int: ...

    @property
    def value(self) -> int | None: ...

    @property
    def time(self) -> float: ...

    @property
    def power_mean(self) -> float: ...

    @property
    def power_nsr(self) -> float: ...

    @property
    def average_power(self) -> float: ...

    @property
    def objective(self) -> str: ...

    @property
    def work_nsr(self) -> float: ...

    @property
    def feasible(self) -> bool: ...

    @property
    def targets(self) -> dict[str, float | None]: ...

    @property
    def table(self) -> xr.Dataset: ...

    def summary(self) -> str:
        """The answer as a few lines of text."""
        ...  # pragma: no cover

    def pareto(self, nsr: str = ..., *, constrained: bool = ...) -> xr.Dataset:
        """The Pareto front of the table (maximal power for minimal ``nsr``)."""
        ...  # pragma: no cover

    def feasible_points(self) -> xr.DataArray:
        """Boolean mask of the table's points that meet every target."""
        ...  # pragma: no cover


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(layout="constrained")
    return new


def _label(data: xr.DataArray) -> str:
    name = str(data.name)
    return LABELS.get(name, str(data.attrs.get("long_name", name)))


def heatmap(
    data: xr.DataArray,
    *,
    ax: Axes | None = None,
    log: bool | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
) -> QuadMesh:
    """Heat map of a variable on (parameter, time): time across, the parameter up.

    Parameters
    ----------
    data : xarray.DataArray, dims (parameter, "time")
        E.g. ``qb.sweep(...).power_nsr.sel(N=10)`` or ``design.table.work_nsr``.
    log : bool, optional
        Logarithmic colour scale; default for NSRs (names containing ``nsr``).
        Non-positive and non-finite values are left blank.

    Returns
    -------
    matplotlib.collections.QuadMesh
        Its array holds the plotted values (masked where blank).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.ones((2, 3)), dims=("k", "time"),
    ...                   coords={"k": [1, 2], "time": [0.1, 0.2, 0.3]}, name="power_nsr")
    >>> heatmap(da).get_array().shape
    (2, 3)
    """
    if data.ndim != 2 or TIME not in data.dims:
        raise ValueError(
            f"heatmap needs a 2-D variable on (parameter, time), got dims {data.dims}; "
            "select the other grid axes first, e.g. ds.power_nsr.sel(N=10)"
        )
    from matplotlib.colors import LogNorm

    ax = _axes(ax)
    (param,) = [d for d in data.dims if d != TIME]
    values = np.asarray(data.transpose(param, TIME).values, dtype=float)
    use_log = ("nsr" in str(data.name)) if log is None else log
    bad = ~np.isfinite(values) | ((values <= 0) if use_log else False)
    masked = np.ma.masked_array(values, mask=bad)
    norm = None
    if use_log and masked.count():
        # NSRs diverge where a mean vanishes: scale colours to the bulk of the values
        lo, hi = np.percentile(np.log10(masked.compressed()), [2.0, 98.0])
        norm = LogNorm(vmin=10.0**lo, vmax=10.0 ** max(hi, lo + 1e-3), clip=False)
    mesh = ax.pcolormesh(
        np.asarray(data[TIME].values),
        np.asarray(data[param].values),
        masked,
        shading="nearest",
        cmap=cmap,
        norm=norm,
    )
    ax.set_xlabel("charging time t")
    ax.set_ylabel(str(param))
    ax.set_title(_label(data))
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, extend="both" if norm is not None else "neither")
    return mesh


def _mark(ax: Axes, design: DesignLike, x: float, y: float) -> Any:
    label = f"chosen: {design.parameter} = {design.value}, t = {design.time:.3g}"
    (star,) = ax.plot(
        [x], [y], marker="*", markersize=14, color="red", markeredgecolor="white",
        linestyle="none", label=label,
    )  # fmt: skip
    return star


def design_heatmap(design: DesignLike, name: str, *, ax: Axes | None = None) -> dict[str, Any]:
    """Heat map of one figure of merit of a design, with the feasible region and choice.

    Returns a dict with the ``mesh``, the ``feasible`` region's outline (a contour set,
    None if no point or every point is feasible) and the chosen point's ``marker``
    (None if infeasible).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> from matplotlib.figure import Figure
    >>> d = qb.design(6, max_power_nsr=0.2, max_work_nsr=0.5)
    >>> drawn = design_heatmap(d, "power_nsr", ax=Figure().add_subplot())
    >>> drawn["mesh"].get_array().shape == d.table.power_nsr.shape  # (k, t)
    True
    >>> drawn["feasible"] is not None
    True
    >>> bool(np.allclose(drawn["marker"].get_xydata(), [[d.time, d.value]]))
    True
    """
    ax = _axes(ax)
    data = design.table[name]
    mesh = heatmap(data, ax=ax)
    inside = design.feasible_points().transpose(design.parameter, TIME)
    outline = None
    rows = data[design.parameter].values
    if rows.size > 1 and 0 < int(inside.sum()) < inside.size:
        outline = ax.contour(
            data[TIME].values,
            rows,
            inside.values.astype(float),
            levels=[0.5],
            colors="white",
            linestyles="--",
        )
    marker = None
    if design.feasible:
        marker = _mark(ax, design, design.time, float(design.value or 0))
    return {"mesh": mesh, "feasible": outline, "marker": marker}


def pareto(design: DesignLike, nsr: str = POWER_NSR, *, ax: Axes | None = None) -> dict[str, Any]:
    """Pareto front of the design's objective (mean or average power) against an NSR,
    with the target and the chosen point.

    All positive-power points of the design's table are drawn faintly; the front
    (:meth:`Design.pareto`) as a line, and the front of the points that meet the other
    targets; the target NSR as a dashed line; the chosen protocol as a star.

    Returns
    -------
    dict
        ``points`` (PathCollection), ``front`` (Line2D: x = NSR, y = power),
        ``constrained`` (the front of points meeting the other targets, on which the
        chosen protocol lies; None without other targets), ``target`` (Line2D or None),
        ``marker`` (Line2D or None).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> from matplotlib.figure import Figure
    >>> d = qb.design(6, max_power_nsr=0.2, max_work_nsr=0.5)
    >>> drawn = pareto(d, "power_nsr", ax=Figure().add_subplot())
    >>> nsr, power = drawn["front"].get_data()
    >>> bool(np.all(np.diff(power) < 0) and np.all(np.diff(nsr) < 0))  # power for NSR
    True
    >>> list(drawn["target"].get_xdata())
    [0.2, 0.2]
    >>> bool(np.allclose(drawn["marker"].get_xydata(), [[d.power_nsr, d.power_mean]]))
    True
    """
    ax = _axes(ax)
    table = design.table
    power = np.asarray(table[design.objective].values).ravel()
    noise = np.asarray(table[nsr].values).ravel()
    ok = np.isfinite(power) & np.isfinite(noise) & (power > 0) & (noise > 0)
    points = ax.scatter(noise[ok], power[ok], s=4, color="0.75", label="all (k, t)")
    front = design.pareto(nsr)
    (line,) = ax.plot(
        front[nsr].values, front[design.objective].values, "-", color="C0",
        label="Pareto front",
    )  # fmt: skip
    other = {POWER_NSR: WORK_NSR, WORK_NSR: POWER_NSR}[nsr]
    limits = [
        f"{LABELS[other].split(' $')[0]} ≤ {design.targets[_TARGET_OF[other]]:g}"
        if design.targets[_TARGET_OF[other]] is not None
        else "",
        f"t ≤ {design.targets['max_time']:g}" if design.targets["max_time"] is not None else "",
    ]
    limits = [text for text in limits if text]
    constrained_line = None
    shown = [np.asarray(front[nsr].values)]
    if design.feasible:
        shown.append(np.array([getattr(design, nsr)]))
    if limits:
        held = design.pareto(nsr, constrained=True)
        shown.append(np.asarray(held[nsr].values))
        (constrained_line,) = ax.plot(
            held[nsr].values, held[design.objective].values, "-o", markersize=3, color="C1",
            label="front with " + ", ".join(limits),
        )  # fmt: skip
    ax.set_xscale("log")
    target = design.targets.get(_TARGET_OF[nsr])
    # the fronts, the choice and the target; the cloud's extremes are t → 0 or zeros
    drawn = np.concatenate(shown)
    drawn = drawn[np.isfinite(drawn) & (drawn > 0)]
    if drawn.size:
        lo = float(drawn.min()) / 3
        hi = max(float(drawn.max()), target or 0.0) * 3
        ax.set_xlim(max(lo, hi * 1e-12), hi)
    ax.set_xlabel(LABELS[nsr])
    ax.set_ylabel(LABELS[design.objective])
    target_line = None
    if target is not None:
        target_line = ax.axvline(target, color="k", linestyle="--", label=f"target {target:g}")
    marker = None
    if design.feasible:
        marker = _mark(ax, design, getattr(design, nsr), getattr(design, design.objective))
    ax.legend(loc="best", fontsize="small")
    return {
        "points": points,
        "front": line,
        "constrained": constrained_line,
        "target": target_line,
        "marker": marker,
    }


def design_figure(design: DesignLike) -> Figure:
    """The designer's figure: heat maps of power and both NSRs, and both Pareto fronts.

    Examples
    --------
    >>> import qbattery as qb
    >>> fig = design_figure(qb.design(6, max_power_nsr=0.2, max_work_nsr=0.5))
    >>> len(fig.axes) >= 5
    True
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), layout="constrained")
    for ax, name in zip(axes[0], (design.objective, POWER_NSR, WORK_NSR), strict=True):
        design_heatmap(design, name, ax=ax)
    pareto(design, POWER_NSR, ax=axes[1, 0])
    pareto(design, WORK_NSR, ax=axes[1, 1])
    axes[1, 2].axis("off")
    axes[1, 2].text(0.0, 1.0, design.summary(), va="top", family="monospace", fontsize=9)
    goal = "most powerful" if design.objective == POWER_MEAN else "highest average power"
    fig.suptitle(f"{design.family} battery, N = {design.N}: {goal} protocol")
    return fig


def sweep_figure(
    ds: xr.Dataset, names: tuple[str, ...] = (POWER_MEAN, POWER_NSR, WORK_NSR)
) -> Figure:
    """Heat maps of several variables of a 2-D slice of a sweep (parameter, time).

    Examples
    --------
    >>> import qbattery as qb, numpy as np
    >>> ds = qb.sweep("kbody", {"k": [1, 2, 4]}, np.linspace(0.1, 2, 5),
    ...               params={"N": 4}, client="serial", bounds=False)
    >>> len(sweep_figure(ds).axes)  # three panels and their colour bars
    6
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), layout="constrained")
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        heatmap(ds[name], ax=ax)
    return fig
