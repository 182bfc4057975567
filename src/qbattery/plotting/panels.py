"""Dataset panels: one variable against time, all 13 quantities of a Dataset, saving.

Every builder takes the axes to draw on (``None`` creates a new
:class:`matplotlib.figure.Figure` with constrained layout), draws, and returns a
:class:`Drawn` record of what it drew. Nothing here calls ``plt.show()`` or touches
pyplot state. On logarithmic axes values ≤ 0 cannot be drawn: they are left out (NaN).
"""

from __future__ import annotations

import textwrap
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from qbattery._dataset import (
    FIDELITY,
    NSR_PRODUCT,
    POWER_ANGLE,
    POWER_BOUND,
    POWER_MEAN,
    POWER_NSR,
    POWER_VAR,
    TIME,
    TRADEOFF_BOUND,
    VARIABLES,
    WORK_ANGLE,
    WORK_BOUND,
    WORK_MEAN,
    WORK_NSR,
    WORK_VAR,
)
from qbattery.plotting.style import (
    DASHED,
    DOTTED,
    FIG2_COLORS,
    SOLID,
    SYMBOLS,
    LineStyle,
    axis_label,
    check_axes,
    log_limits,
    new_axes,
    positive_only,
    time_limits,
)

LineKey = tuple[str, str, Hashable]


@dataclass
class Drawn:
    """What a builder drew.

    Attributes
    ----------
    figure : Figure
    axes : dict
        Panel name (``"a"``, ``"b"``, ..., or a variable name for
        :func:`plot_dataset`; ``"a:right"`` for a twin axis) → Axes.
    lines : dict
        (panel, variable, parameter value or ``None``) → Line2D; the line's y data are
        the variable's values (NaN where a log axis cannot show them).

    Examples
    --------
    The mean work of the single qubit, ⟨𝒲_t⟩ = ω0 sin²(Ω0t) (App. D), as drawn:

    >>> import numpy as np, qbattery as qb
    >>> fig = Figure()
    >>> ax = fig.add_subplot()
    >>> ds = qb.analytic.single_qubit(np.linspace(0.0, 1.5, 7))
    >>> drawn = Drawn(fig, {"a": ax})
    >>> drawn.lines[("a", "work_mean", None)] = plot_variable(ax, ds, "work_mean")[None]
    >>> y = drawn.line("a", "work_mean").get_ydata()
    >>> bool(np.allclose(y, np.sin(ds.time.values) ** 2))
    True
    """

    figure: Figure
    axes: dict[str, Axes] = field(default_factory=dict)
    lines: dict[LineKey, Line2D] = field(default_factory=dict)

    def line(self, panel: str, variable: str, value: Hashable = None) -> Line2D:
        """The line of ``variable`` (at parameter ``value``) in ``panel``."""
        return self.lines[(panel, variable, value)]


def plot_variable(
    ax: Axes,
    ds: xr.Dataset,
    name: str,
    *,
    dim: str | None = None,
    style: LineStyle = SOLID,
    colors: Sequence[str] = FIG2_COLORS,
    log: bool = False,
    linewidth: float = 1.6,
    label: bool = True,
) -> dict[Hashable, Line2D]:
    """Draw ``ds[name]`` against time: one line per value of ``dim`` (if given).

    Parameters
    ----------
    ax : Axes
    ds : Dataset
        With dimension ``time`` (and ``dim``).
    name : str
        The variable.
    dim : str, optional
        A parameter dimension (``"k"``, ``"s"``): one line per value, coloured in turn
        by ``colors``.
    style : str
        Matplotlib line style.
    log : bool
        Logarithmic y axis; values ≤ 0 become NaN (not drawn).
    label : bool
        Give each line a legend label (``dim = value``).

    Returns
    -------
    dict
        Parameter value (``None`` without ``dim``) → Line2D.

    Examples
    --------
    >>> import qbattery as qb
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> ds = qb.analytic.single_qubit([0.0, 0.5, 1.0])
    >>> line = plot_variable(ax, ds, "work_mean")[None]
    >>> bool((line.get_ydata() == ds.work_mean.values).all())
    True
    """
    drawn: dict[Hashable, Line2D] = {}
    values: list[Hashable] = [None] if dim is None else list(ds[dim].values.tolist())
    t = ds[TIME].values
    for i, value in enumerate(values):
        da = ds[name] if dim is None else ds[name].sel({dim: value})
        y = da.values
        if log:
            y = positive_only(y)
        text = None if not label or dim is None else f"{dim} = {value}"
        (line,) = ax.plot(
            t,
            y,
            linestyle=style,
            color=colors[i % len(colors)],
            linewidth=linewidth,
            label=text,
        )
        drawn[value] = line
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(axis_label(ds[TIME]))
    return drawn


#: the 3×3 layout of :func:`plot_dataset` (all 13 :ref:`variables <variables-table>`)
DATASET_PANELS: tuple[tuple[str, ...], ...] = (
    (WORK_MEAN,),
    (POWER_MEAN,),
    (FIDELITY,),
    (WORK_VAR,),
    (POWER_VAR,),
    (WORK_ANGLE, POWER_ANGLE),
    (WORK_NSR, WORK_BOUND),
    (POWER_NSR, POWER_BOUND),
    (NSR_PRODUCT, TRADEOFF_BOUND),
)
_LOG_VARIABLES = frozenset({WORK_NSR, POWER_NSR, NSR_PRODUCT})


def plot_dataset(ds: xr.Dataset, axes: Sequence[Axes] | None = None) -> Drawn:
    """All 13 quantities of a ``qb.charge`` Dataset on a 3×3 grid (``qbattery run``).

    Rows: means and fidelity; variances and speed angles θ^W (solid), θ^P (dashed);
    NSRs with their Eq. (5) bounds (dotted) and the NSR product with the Eq. (6)
    trade-off bound (dotted), on log scales. Each panel's y label is its (first)
    variable's ``long_name [units]``; two-line panels have a legend. A variable that is
    NaN throughout (e.g. bounds not computed) is drawn as an empty line, and its note is
    shown in the panel.

    Parameters
    ----------
    ds : Dataset
        Dimension ``time`` only.
    axes : sequence of 9 Axes, optional

    Returns
    -------
    Drawn
        Panels keyed by their first variable; lines keyed ``(panel, variable, None)``.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> ds = qb.charge(qb.models.single_qubit(), np.linspace(0, 1.5, 31))
    >>> drawn = plot_dataset(ds)
    >>> len(drawn.lines)
    13
    >>> y = drawn.line("work_nsr", "work_bound").get_ydata()
    >>> bool(np.allclose(y[1:], ds.work_bound.values[1:]))  # saturated: cot²(t)
    True
    """
    missing = [name for name in VARIABLES if name not in ds]
    if missing:
        raise ValueError(f"dataset lacks {missing}; pass a Dataset from qb.charge")
    if axes is None:
        axs = new_axes(3, 3, size=(12.0, 9.0))
    else:
        axs = check_axes(axes, len(DATASET_PANELS), (12.0, 9.0))
    drawn = Drawn(axs[0].figure)  # type: ignore[arg-type]
    for ax, names in zip(axs, DATASET_PANELS, strict=True):
        panel = names[0]
        log = panel in _LOG_VARIABLES
        styles = [SOLID, DOTTED] if log else [SOLID, DASHED]
        for name, style in zip(names, styles[: len(names)], strict=True):
            (line,) = plot_variable(ax, ds, name, style=style, colors=("k",), log=log).values()
            drawn.lines[(panel, name, None)] = line
            note = ds[name].attrs.get("note")
            if note and not np.isfinite(ds[name].values).any():
                ax.text(0.5, 0.5, f"{name}: {note}", transform=ax.transAxes, ha="center",
                        va="center", fontsize="x-small", wrap=True)  # fmt: skip
        ax.set_ylabel(axis_label(ds[panel], width=40), fontsize="small")
        if len(names) > 1:
            ax.legend(
                handles=[drawn.lines[(panel, n, None)] for n in names],
                labels=[SYMBOLS.get(n, n) for n in names],
                fontsize="small",
                frameon=False,
            )
        if log:
            log_limits(ax, [ds[n].values for n in names])
        drawn.axes[panel] = ax
    time_limits(axs, ds)
    if axes is None:
        params = ", ".join(f"{k[6:]}={v}" for k, v in ds.attrs.items() if k.startswith("param_"))
        title = f"{ds.attrs.get('model', '')} ({params}); engine {ds.attrs.get('engine', '?')}"
        drawn.figure.suptitle("\n".join(textwrap.wrap(title, 140)), fontsize="medium")
    return drawn


def save(drawn: Drawn, path: str | Path, *, formats: Sequence[str] | None = None) -> list[Path]:
    """Save a figure: to ``path`` as is, or to ``path`` with each suffix of ``formats``.

    Returns the written paths.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> drawn = Drawn(Figure(figsize=(2.0, 2.0)))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = save(drawn, pathlib.Path(tmp) / "figs" / "fig1", formats=("png", "pdf"))
    ...     heads = [p.read_bytes()[:4] for p in paths]
    >>> [p.name for p in paths], heads
    (['fig1.png', 'fig1.pdf'], [b'\\x89PNG', b'%PDF'])
    """
    path = Path(path)
    targets = [path] if formats is None else [path.with_suffix(f".{f}") for f in formats]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        drawn.figure.savefig(target, dpi=200)
    return targets


def save_dataset_figure(ds: xr.Dataset, path: str | Path) -> Path:
    """Draw :func:`plot_dataset` and save it to ``path`` (format from the suffix).

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np, qbattery as qb
    >>> ds = qb.charge(qb.models.single_qubit(), np.linspace(0.0, 1.5, 7))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_dataset_figure(ds, pathlib.Path(tmp) / "qubit.png")
    ...     head = path.read_bytes()[:4]
    >>> path.name, head
    ('qubit.png', b'\\x89PNG')
    """
    return save(plot_dataset(ds), path)[0]


def plot_distribution(da: xr.DataArray, ax: Axes | None = None, *, bins: int = 60) -> QuadMesh:
    r"""Heat map of a work or power (quasi-)distribution q(v, t) over time.

    A diverging colour map centred on 0 shows negative quasi-probabilities (power from a
    state that does not commute with P_0) in blue. With more than ``bins`` distinct
    values (typical for power), the weights are summed into ``bins`` equal-width bins
    so that the mass stays visible; the binned sums are what is drawn.

    Parameters
    ----------
    da : xarray.DataArray, dims ("time", value)
        From :func:`qbattery.distribution` (drawn by ``qbattery gallery``).
    ax : Axes, optional
        Where to draw; a new figure by default.
    bins : int
        Largest number of value columns drawn as they are.

    Returns
    -------
    matplotlib.collections.QuadMesh
        Its array holds the plotted weights (time × value bin).

    Examples
    --------
    The single qubit of App. D stores ω0 = 1 with probability sin²(Ω0t), else nothing:

    >>> import numpy as np, qbattery as qb
    >>> from matplotlib.figure import Figure
    >>> t = np.linspace(0.0, 1.5, 7)
    >>> mesh = plot_distribution(qb.distribution(qb.models.single_qubit(), t),
    ...                          Figure().add_subplot())
    >>> weights = np.asarray(mesh.get_array()).reshape(2, t.size)  # values 0, 1 by time
    >>> bool(np.allclose(weights[1], np.sin(t) ** 2, atol=1e-12))
    True
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.8), layout="constrained")
    value_dim = da.dims[1]  # "value" (or e.g. "work_value" in a saved gallery file)
    coord = da[value_dim]
    values, q = coord.values, np.nan_to_num(da.values)
    if values.size > bins:
        edges = np.linspace(values.min(), values.max(), bins + 1)
        which = np.clip(np.digitize(values, edges) - 1, 0, bins - 1)
        onehot = np.zeros((values.size, bins))
        onehot[np.arange(values.size), which] = 1.0
        values, q = (edges[:-1] + edges[1:]) / 2, q @ onehot
    vmax = float(np.max(np.abs(q))) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-vmax, vmax=vmax)
    mesh = ax.pcolormesh(da.time.values, values, q.T, shading="nearest", cmap="RdBu_r", norm=norm)
    kind = "probability" if da.attrs.get("commuting", 1) else "quasi-probability"
    binned_label = f"{kind} per bin" if coord.size > bins else kind
    ax.figure.colorbar(mesh, ax=ax, label=binned_label)
    ax.set_xlabel("time t")
    ax.set_ylabel(axis_label(coord))
    ax.set_title(f"{da.attrs.get('model', '')}: {da.attrs.get('observable', '')} distribution")
    return mesh
