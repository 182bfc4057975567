"""The paper's Figs. 1-3 (k-body and Ising-like charging), drawn from Datasets.

Each builder takes the axes to draw on (``None``: a new figure) and returns a
:class:`~qbattery.plotting.Drawn` record of what it drew. On logarithmic axes (NSRs,
their product) values ≤ 0 are left out (NaN), which is where an Eq. (5) bound is
trivial (cot²θ − f ≤ 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from qbattery._dataset import (
    FIDELITY,
    NSR_PRODUCT,
    POWER_BOUND,
    POWER_MEAN,
    POWER_NSR,
    POWER_VAR,
    TRADEOFF_BOUND,
    WORK_BOUND,
    WORK_MEAN,
    WORK_NSR,
    WORK_VAR,
)
from qbattery.plotting.panels import Drawn, plot_variable
from qbattery.plotting.style import (
    DASHDOT,
    DASHED,
    DOTTED,
    FIG1_COLORS,
    FIG2_COLORS,
    SOLID,
    SYMBOLS,
    LineStyle,
    axis_label,
    check_axes,
    log_limits,
    param_title,
    tag_panel,
    time_limits,
)


def _panel_label(ds: xr.Dataset, names: Sequence[str], styles: Sequence[LineStyle]) -> str:
    words = {SOLID: "solid", DASHED: "dashed", DOTTED: "dotted", DASHDOT: "dash-dot"}
    if len(names) == 1:
        return axis_label(ds[names[0]])
    return "\n".join(
        f"{axis_label(ds[n], width=200)} ({words[s]})" for n, s in zip(names, styles, strict=True)
    )


def _legend(
    drawn: Drawn,
    created: bool,
    ds: xr.Dataset,
    dim: str,
    colors: Sequence[str],
    styles: Sequence[tuple[LineStyle, str]],
) -> None:
    """One legend for the figure: a colour per parameter value, then the line styles.

    Below the panels when the builder created the figure, else in the first panel.
    """
    handles = [
        Line2D([], [], color=colors[i % len(colors)], linestyle=SOLID, lw=1.6, label=f"{dim} = {v}")
        for i, v in enumerate(ds[dim].values.tolist())
    ]
    handles += [Line2D([], [], color="0.25", linestyle=s, lw=1.3, label=t) for s, t in styles]
    if created:
        drawn.figure.legend(
            handles=handles, loc="outside lower center", ncols=len(handles), frameon=False
        )
    else:
        next(iter(drawn.axes.values())).legend(handles=handles, fontsize="small", frameon=False)


def figure1(ds: xr.Dataset, axes: Sequence[Axes] | None = None, *, bounds: bool = True) -> Drawn:
    """The paper's Fig. 1: k-body charging at fixed N for several k (dimension ``k``).

    (a) ⟨𝒲_t⟩ solid, ⟨𝒫_t⟩ dashed; (b) (Δ𝒲_t)² solid, (Δ𝒫_t)² dashed; (c) the NSRs
    𝒩^W solid and 𝒩^P dashed on a log scale, with the Eq. (5) bounds dotted (work) and
    dash-dotted (power) where they are positive.

    Parameters
    ----------
    ds : Dataset
        ``qb.charge`` results concatenated along ``k`` (``xr.concat(..., dim="k")``).
    axes : sequence of 3 Axes, optional
        Where to draw; a new 12×4 in figure by default.
    bounds : bool
        Draw the Eq. (5) bounds in panel (c).

    Returns
    -------
    Drawn
        Lines keyed ``(panel, variable, k)``.

    Examples
    --------
    >>> import numpy as np, xarray as xr, qbattery as qb
    >>> t = np.linspace(0, 4, 41)
    >>> ds = xr.concat([qb.analytic.kbody(t, 4, k) for k in (1, 2)], dim="k")
    >>> ds = ds.assign_coords(k=[1, 2])
    >>> drawn = figure1(ds)
    >>> y = drawn.line("c", "power_nsr", 2).get_ydata()
    >>> bool(np.allclose(y[1:], ds.power_nsr.sel(k=2)[1:]))
    True
    """
    work = ", ".join(SYMBOLS[n] for n in (WORK_MEAN, WORK_VAR, WORK_NSR))
    power = ", ".join(SYMBOLS[n] for n in (POWER_MEAN, POWER_VAR, POWER_NSR))
    styles = [(SOLID, f"work: {work}"), (DASHED, f"power: {power}")]
    if bounds:
        styles += [(DOTTED, SYMBOLS[WORK_BOUND]), (DASHDOT, SYMBOLS[POWER_BOUND])]
    return _three_panel(
        ds,
        "k",
        FIG1_COLORS,
        axes,
        panels={
            "a": [(WORK_MEAN, SOLID), (POWER_MEAN, DASHED)],
            "b": [(WORK_VAR, SOLID), (POWER_VAR, DASHED)],
            "c": [(WORK_NSR, SOLID), (POWER_NSR, DASHED)]
            + ([(WORK_BOUND, DOTTED), (POWER_BOUND, DASHDOT)] if bounds else []),
        },
        log={"c"},
        title="k-body charging (Eq. 7): " + param_title(ds, ("N", "omega0", "Omega0")),
        styles=styles,
    )


def figure2(ds: xr.Dataset, axes: Sequence[Axes] | None = None, *, bounds: bool = True) -> Drawn:
    """The paper's Fig. 2: Ising-like charging for several s (dimension ``s``).

    (a) ⟨𝒫_t⟩ solid (left axis) and 𝒩^P dashed (right axis, log); (b) ⟨𝒲_t⟩ solid and
    𝒩^W dashed likewise; (c) the product 𝒩^W𝒩^P solid (log) with the trade-off bound
    of Eq. (6) dotted.

    Parameters
    ----------
    ds : Dataset
        ``qb.charge`` results concatenated along ``s``.
    axes : sequence of 3 Axes, optional
        Where to draw (twin axes are added for the NSRs of (a) and (b)).
    bounds : bool
        Draw the trade-off bound in panel (c).

    Returns
    -------
    Drawn
        Lines keyed ``(panel, variable, s)``; the NSR axes are ``"a:right"``,
        ``"b:right"``.

    Examples
    --------
    >>> import numpy as np, xarray as xr, qbattery as qb
    >>> t = np.linspace(0.2, 2.0, 10)
    >>> ds = xr.concat([qb.charge(qb.models.ising(4, s), t) for s in (2, 3)], dim="s")
    >>> ds = ds.assign_coords(s=[2, 3])
    >>> drawn = figure2(ds)
    >>> sorted(drawn.axes)
    ['a', 'a:right', 'b', 'b:right', 'c']
    >>> y = drawn.line("c", "nsr_product", 3).get_ydata()
    >>> bool(np.allclose(y, ds.nsr_product.sel(s=3)))
    True
    >>> bool((ds.nsr_product >= ds.tradeoff_bound * (1 - 1e-9)).all())  # Eq. (6)
    True
    """
    created = axes is None
    axs = check_axes(axes, 3, (12.0, 4.0))
    drawn = Drawn(axs[0].figure)  # type: ignore[arg-type]
    colors = FIG2_COLORS
    for letter, ax, mean, nsr in (
        ("a", axs[0], POWER_MEAN, POWER_NSR),
        ("b", axs[1], WORK_MEAN, WORK_NSR),
    ):
        right = ax.twinx()
        for value, line in plot_variable(ax, ds, mean, dim="s", colors=colors).items():
            drawn.lines[(letter, mean, value)] = line
        for value, line in plot_variable(
            right, ds, nsr, dim="s", style=DASHED, colors=colors, log=True, label=False
        ).items():
            drawn.lines[(letter, nsr, value)] = line
        ax.set_ylabel(axis_label(ds[mean]) + " (solid)")
        right.set_ylabel(axis_label(ds[nsr]) + " (dashed)")
        log_limits(right, [ds[nsr].values])
        drawn.axes[letter] = ax
        drawn.axes[f"{letter}:right"] = right
        tag_panel(ax, letter)
    ax = axs[2]
    for value, line in plot_variable(ax, ds, NSR_PRODUCT, dim="s", log=True).items():
        drawn.lines[("c", NSR_PRODUCT, value)] = line
    if bounds:
        for value, line in plot_variable(
            ax, ds, TRADEOFF_BOUND, dim="s", style=DOTTED, log=True, label=False,
            linewidth=1.3,
        ).items():  # fmt: skip
            drawn.lines[("c", TRADEOFF_BOUND, value)] = line
    ax.set_ylabel(axis_label(ds[NSR_PRODUCT]))
    log_limits(ax, [ds[n].values for n in (NSR_PRODUCT, TRADEOFF_BOUND) if n in ds])
    drawn.axes["c"] = ax
    tag_panel(ax, "c")
    styles = [
        (SOLID, f"{SYMBOLS[POWER_MEAN]} (a), {SYMBOLS[WORK_MEAN]} (b), "
                f"{SYMBOLS[NSR_PRODUCT]} (c)"),
        (DASHED, f"{SYMBOLS[POWER_NSR]} (a), {SYMBOLS[WORK_NSR]} (b)"),
    ]  # fmt: skip
    if bounds:
        styles.append((DOTTED, "Eq. (6) trade-off bound (c)"))
    _legend(drawn, created, ds, "s", colors, styles)
    time_limits(axs, ds)
    if created:
        title = param_title(ds, ("N", "omega0", "Omega", "variant"))
        drawn.figure.suptitle(f"Ising-like s-body charging (Eq. 10): {title}", fontsize="medium")
    return drawn


def figure3(ds: xr.Dataset, axes: Sequence[Axes] | None = None) -> Drawn:
    """The paper's Fig. 3 (App. F): (a) (Δ𝒲_t)², (b) (Δ𝒫_t)², (c) fidelity F_t, per s.

    Parameters
    ----------
    ds : Dataset
        ``qb.charge`` results concatenated along ``s``.
    axes : sequence of 3 Axes, optional

    Returns
    -------
    Drawn
        Lines keyed ``(panel, variable, s)``.

    Examples
    --------
    >>> import numpy as np, xarray as xr, qbattery as qb
    >>> t = np.linspace(0.0, 2.0, 11)
    >>> runs = [qb.charge(qb.models.ising(4, s), t, bounds=False) for s in (2, 3)]
    >>> ds = xr.concat(runs, dim="s").assign_coords(s=[2, 3])
    >>> drawn = figure3(ds)
    >>> sorted(drawn.axes), len(drawn.lines)
    (['a', 'b', 'c'], 6)
    >>> fidelity = drawn.line("c", "fidelity", 2).get_ydata()
    >>> float(fidelity[0]), bool(np.allclose(fidelity, ds.fidelity.sel(s=2)))
    (1.0, True)
    """
    return _three_panel(
        ds,
        "s",
        FIG2_COLORS,
        axes,
        panels={
            "a": [(WORK_VAR, SOLID)],
            "b": [(POWER_VAR, SOLID)],
            "c": [(FIDELITY, SOLID)],
        },
        log=set(),
        title="Ising-like s-body charging (Eq. 10): "
        + param_title(ds, ("N", "omega0", "Omega", "variant")),
        styles=[],
    )


def _three_panel(
    ds: xr.Dataset,
    dim: str,
    colors: Sequence[str],
    axes: Sequence[Axes] | None,
    *,
    panels: dict[str, list[tuple[str, LineStyle]]],
    log: set[str],
    title: str,
    styles: Sequence[tuple[LineStyle, str]],
) -> Drawn:
    created = axes is None
    axs = check_axes(axes, len(panels), (12.0, 4.0))
    drawn = Drawn(axs[0].figure)  # type: ignore[arg-type]
    for ax, (letter, entries) in zip(axs, panels.items(), strict=True):
        for name, style in entries:
            width = 1.2 if style in (DOTTED, DASHDOT) else 1.6
            lines = plot_variable(
                ax, ds, name, dim=dim, style=style, colors=colors, log=letter in log,
                linewidth=width,
            )  # fmt: skip
            for value, line in lines.items():
                drawn.lines[(letter, name, value)] = line
        shown = [(n, s) for n, s in entries if s in (SOLID, DASHED)]
        ax.set_ylabel(
            _panel_label(ds, [n for n, _ in shown], [s for _, s in shown]),
            fontsize="small" if len(shown) > 1 else None,
        )
        if letter in log:
            log_limits(ax, [ds[n].values for n, _ in shown])
        drawn.axes[letter] = ax
        tag_panel(ax, letter)
    _legend(drawn, created, ds, dim, colors, styles)
    time_limits(axs, ds)
    if created and title:
        drawn.figure.suptitle(title, fontsize="medium")
    return drawn
