"""Figure builders: the paper's Figs. 1-3 and a figure of all 13 quantities of a Dataset.

Every builder takes the axes to draw on (``None`` creates a new
:class:`matplotlib.figure.Figure` with constrained layout), draws, and returns a
:class:`Drawn` record of what it drew: the figure, its axes by panel and every line by
(panel, variable, parameter value). Nothing here calls ``plt.show()`` or touches pyplot
state. Axis labels come from the variables' ``long_name`` and ``units`` attributes
(``qbattery._dataset``).

On logarithmic axes (NSRs, their product) values ≤ 0 cannot be drawn: they are left out
(NaN), which is where an Eq. (5) bound is trivial (cot²θ − f ≤ 0).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from qbattery._dataset import VARIABLES

#: colours of Fig. 1 (k = 2, 3, 4: purple, red, blue as in the paper's caption)
FIG1_COLORS: tuple[str, ...] = ("tab:purple", "tab:red", "tab:blue", "tab:green", "tab:olive")
#: colours of Figs. 2-3 (s = 2, 3, 4: blue, orange, green as in the paper's caption)
FIG2_COLORS: tuple[str, ...] = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")

#: symbols for legends (axis labels come from the Dataset attributes)
SYMBOLS: dict[str, str] = {
    "work_mean": r"$\langle\mathcal{W}_t\rangle$",
    "power_mean": r"$\langle\mathcal{P}_t\rangle$",
    "work_var": r"$(\Delta\mathcal{W}_t)^2$",
    "power_var": r"$(\Delta\mathcal{P}_t)^2$",
    "work_nsr": r"$\mathcal{N}^{\mathcal{W}}_t$",
    "power_nsr": r"$\mathcal{N}^{\mathcal{P}}_t$",
    "nsr_product": r"$\mathcal{N}^{\mathcal{W}}_t\mathcal{N}^{\mathcal{P}}_t$",
    "tradeoff_bound": "Eq. (6) bound",
    "work_angle": r"$\theta^{\mathcal{W}}_t$",
    "power_angle": r"$\theta^{\mathcal{P}}_t$",
    "work_bound": r"Eq. (5) bound on $\mathcal{N}^{\mathcal{W}}_t$",
    "power_bound": r"Eq. (5) bound on $\mathcal{N}^{\mathcal{P}}_t$",
    "fidelity": r"$F_t$",
}

#: line styles: the quantity itself, the second quantity of a panel, bounds
LineStyle = Literal["-", "--", ":", "-."]
# the alias's docstring (help(), doctest); the API page shows the comment above
LineStyle.__doc__ = """Matplotlib line styles of the builders (a type alias).

Solid (``SOLID``) for the quantity itself, dashed (``DASHED``) for the second quantity
of a panel, dotted (``DOTTED``) and dash-dotted (``DASHDOT``) for the Eq. (5) and
Eq. (6) bounds.

Examples
--------
>>> from typing import get_args
>>> get_args(LineStyle) == (SOLID, DASHED, DOTTED, DASHDOT)
True
>>> import qbattery as qb
>>> from matplotlib.figure import Figure
>>> ds = qb.analytic.single_qubit([0.5, 1.0])
>>> line = plot_variable(Figure().add_subplot(), ds, "work_bound", style=DOTTED)[None]
>>> line.get_linestyle()
':'
"""
SOLID: LineStyle = "-"
DASHED: LineStyle = "--"
DOTTED: LineStyle = ":"
DASHDOT: LineStyle = "-."
#: doctest collects functions and classes only: run the alias's example too
__test__ = {"LineStyle": LineStyle.__doc__}

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


#: the symbols of the variables' long names, typeset as mathtext (no spaces inside, so
#: that wrapping never splits a formula)
_MATH = (
    ("|<ψ_0|ψ_t>|^2", r"$|\langle\psi_0|\psi_t\rangle|^2$"),
    ("sqrt(I^W)", r"$\sqrt{I^\mathcal{W}}$"),
    ("sqrt(I^P)", r"$\sqrt{I^\mathcal{P}}$"),
    ("f(W_0, W_t)", r"$f(W_0,\mathcal{W}_t)$"),
    ("f(P_0, P_t)", r"$f(P_0,\mathcal{P}_t)$"),
    ("cot²θ^W_t", r"$\cot^2\theta^\mathcal{W}_t$"),
    ("cot²θ^P_t", r"$\cot^2\theta^\mathcal{P}_t$"),
    ("<W_t>", r"$\langle\mathcal{W}_t\rangle$"),
    ("<P_t>", r"$\langle\mathcal{P}_t\rangle$"),
    ("(ΔW_t)^2", r"$(\Delta\mathcal{W}_t)^2$"),
    ("(ΔP_t)^2", r"$(\Delta\mathcal{P}_t)^2$"),
    ("N^W_t", r"$\mathcal{N}^\mathcal{W}_t$"),
    ("N^P_t", r"$\mathcal{N}^\mathcal{P}_t$"),
    ("θ^W_t", r"$\theta^\mathcal{W}_t$"),
    ("θ^P_t", r"$\theta^\mathcal{P}_t$"),
    ("I^W_t", r"$I^\mathcal{W}_t$"),
    ("I^P_t", r"$I^\mathcal{P}_t$"),
    ("F_t", r"$F_t$"),
    ("W_t − W_0", r"$W_t-W_0$"),
    ("P_t − P_0", r"$P_t-P_0$"),
)


def _pretty(text: str) -> str:
    for a, b in _MATH:
        text = text.replace(a, b)
    parts = re.split(r"(\$[^$]*\$)", text)  # odd entries: formulas, left alone
    for i in range(0, len(parts), 2):
        for a, b in (("<", "⟨"), (">", "⟩"), ("^2", "²")):
            parts[i] = parts[i].replace(a, b)
    return "".join(parts)


def _wrap(text: str, width: int) -> str:
    """Wrap at ``width`` visible characters, never inside a formula."""
    formulas = re.findall(r"\$[^$]*\$", text)
    # each formula stands in as a run of one private-use character, about as wide as it
    # renders (its letters without backslash commands and braces)
    keys = []
    for i, f in enumerate(formulas):
        visible = len(re.sub(r"\\[a-zA-Z]+|[{}$_^]", "", f)) or 1
        keys.append(chr(0xE000 + i) * visible)
        text = text.replace(f, keys[-1], 1)
    out = "\n".join(textwrap.wrap(text, width)) or text
    for key, f in zip(keys, formulas, strict=True):
        out = out.replace(key, f, 1)
    return out


def axis_label(da: xr.DataArray, *, width: int = 48) -> str:
    """``long_name [units]`` of a variable (no brackets for dimensionless units "1").

    The symbols of the long names are typeset as mathtext (``<W_t>`` → ⟨𝒲_t⟩,
    ``N^P_t`` → 𝒩^𝒫_t, as in the paper), other brackets and squares as Unicode
    (``energy^2`` → energy²), and the label is wrapped at ``width`` characters.

    Examples
    --------
    >>> import qbattery as qb
    >>> ds = qb.analytic.single_qubit([0.5])
    >>> print(axis_label(ds.work_mean))
    mean work $\\langle\\mathcal{W}_t\\rangle$ [energy]
    >>> print(axis_label(ds.work_nsr))
    noise-to-signal ratio of work $\\mathcal{N}^\\mathcal{W}_t$
    """
    name = str(da.attrs.get("long_name", da.name))
    units = str(da.attrs.get("units", ""))
    text = name if units in ("", "1") else f"{name} [{units}]"
    return _wrap(_pretty(text), width)


def _panel_label(ds: xr.Dataset, names: Sequence[str], styles: Sequence[LineStyle]) -> str:
    words = {SOLID: "solid", DASHED: "dashed", DOTTED: "dotted", DASHDOT: "dash-dot"}
    if len(names) == 1:
        return axis_label(ds[names[0]])
    return "\n".join(
        f"{axis_label(ds[n], width=200)} ({words[s]})" for n, s in zip(names, styles, strict=True)
    )


def _new_axes(ncols: int, nrows: int = 1, *, size: tuple[float, float]) -> list[Axes]:
    fig = Figure(figsize=size, layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    return [ax for row in grid for ax in row]


def _check_axes(axes: Sequence[Axes] | None, n: int, size: tuple[float, float]) -> list[Axes]:
    if axes is None:
        return _new_axes(n, size=size)
    axes = list(axes)
    if len(axes) != n:
        raise ValueError(f"this figure has {n} panels; pass {n} axes, got {len(axes)}")
    return axes


def _positive(values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=float).copy()
    out[~(out > 0)] = np.nan
    return out


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
    t = ds["time"].values
    for i, value in enumerate(values):
        da = ds[name] if dim is None else ds[name].sel({dim: value})
        y = da.values
        if log:
            y = _positive(y)
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
    ax.set_xlabel(axis_label(ds["time"]))
    return drawn


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


def _tag(ax: Axes, letter: str) -> None:
    ax.set_title(f"({letter})", loc="left", fontweight="bold", fontsize="medium")


def _log_limits(ax: Axes, arrays: Sequence[np.ndarray], *, decades: float = 7.0) -> None:
    """Fit a log axis to the data, at most ``decades`` decades (poles are unbounded)."""
    vals = np.concatenate([np.ravel(a) for a in arrays])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if not vals.size:
        return
    lo, hi = np.percentile(vals, [1.0, 97.0])
    hi = max(hi, lo * 10)
    lo = max(lo, hi / 10**decades)
    ax.set_ylim(lo / 2, hi * 2)


def _time_limits(axes: Sequence[Axes], ds: xr.Dataset) -> None:
    t = ds["time"].values
    for ax in axes:
        ax.set_xlim(float(t[0]), float(t[-1]))


_PARAM_SYMBOLS = {"N": "N", "omega0": "ω0", "Omega0": "Ω0", "Omega": "Ω", "variant": "variant"}


def _param_title(ds: xr.Dataset, keys: Sequence[str]) -> str:
    parts = []
    for key in keys:
        value = ds.attrs.get(f"param_{key}")
        if value is not None:
            text = f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)
            parts.append(f"{_PARAM_SYMBOLS.get(key, key)} = {text}")
    return ", ".join(parts)


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
    work = ", ".join(SYMBOLS[n] for n in ("work_mean", "work_var", "work_nsr"))
    power = ", ".join(SYMBOLS[n] for n in ("power_mean", "power_var", "power_nsr"))
    styles = [(SOLID, f"work: {work}"), (DASHED, f"power: {power}")]
    if bounds:
        styles += [(DOTTED, SYMBOLS["work_bound"]), (DASHDOT, SYMBOLS["power_bound"])]
    return _three_panel(
        ds,
        "k",
        FIG1_COLORS,
        axes,
        panels={
            "a": [("work_mean", SOLID), ("power_mean", DASHED)],
            "b": [("work_var", SOLID), ("power_var", DASHED)],
            "c": [("work_nsr", SOLID), ("power_nsr", DASHED)]
            + ([("work_bound", DOTTED), ("power_bound", DASHDOT)] if bounds else []),
        },
        log={"c"},
        title="k-body charging (Eq. 7): " + _param_title(ds, ("N", "omega0", "Omega0")),
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
    axs = _check_axes(axes, 3, (12.0, 4.0))
    drawn = Drawn(axs[0].figure)  # type: ignore[arg-type]
    colors = FIG2_COLORS
    for letter, ax, mean, nsr in (
        ("a", axs[0], "power_mean", "power_nsr"),
        ("b", axs[1], "work_mean", "work_nsr"),
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
        _log_limits(right, [ds[nsr].values])
        drawn.axes[letter] = ax
        drawn.axes[f"{letter}:right"] = right
        _tag(ax, letter)
    ax = axs[2]
    for value, line in plot_variable(ax, ds, "nsr_product", dim="s", log=True).items():
        drawn.lines[("c", "nsr_product", value)] = line
    if bounds:
        for value, line in plot_variable(
            ax, ds, "tradeoff_bound", dim="s", style=DOTTED, log=True, label=False,
            linewidth=1.3,
        ).items():  # fmt: skip
            drawn.lines[("c", "tradeoff_bound", value)] = line
    ax.set_ylabel(axis_label(ds["nsr_product"]))
    _log_limits(ax, [ds[n].values for n in ("nsr_product", "tradeoff_bound") if n in ds])
    drawn.axes["c"] = ax
    _tag(ax, "c")
    styles = [
        (SOLID, f"{SYMBOLS['power_mean']} (a), {SYMBOLS['work_mean']} (b), "
                f"{SYMBOLS['nsr_product']} (c)"),
        (DASHED, f"{SYMBOLS['power_nsr']} (a), {SYMBOLS['work_nsr']} (b)"),
    ]  # fmt: skip
    if bounds:
        styles.append((DOTTED, "Eq. (6) trade-off bound (c)"))
    _legend(drawn, created, ds, "s", colors, styles)
    _time_limits(axs, ds)
    if created:
        title = _param_title(ds, ("N", "omega0", "Omega", "variant"))
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
            "a": [("work_var", SOLID)],
            "b": [("power_var", SOLID)],
            "c": [("fidelity", SOLID)],
        },
        log=set(),
        title="Ising-like s-body charging (Eq. 10): "
        + _param_title(ds, ("N", "omega0", "Omega", "variant")),
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
    axs = _check_axes(axes, len(panels), (12.0, 4.0))
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
            _log_limits(ax, [ds[n].values for n, _ in shown])
        drawn.axes[letter] = ax
        _tag(ax, letter)
    _legend(drawn, created, ds, dim, colors, styles)
    _time_limits(axs, ds)
    if created and title:
        drawn.figure.suptitle(title, fontsize="medium")
    return drawn


#: the 3×3 layout of :func:`plot_dataset` (all 13 variables of SPEC §5)
DATASET_PANELS: tuple[tuple[str, ...], ...] = (
    ("work_mean",),
    ("power_mean",),
    ("fidelity",),
    ("work_var",),
    ("power_var",),
    ("work_angle", "power_angle"),
    ("work_nsr", "work_bound"),
    ("power_nsr", "power_bound"),
    ("nsr_product", "tradeoff_bound"),
)
_LOG_VARIABLES = frozenset({"work_nsr", "power_nsr", "nsr_product"})


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
        axs = _new_axes(3, 3, size=(12.0, 9.0))
    else:
        axs = _check_axes(axes, len(DATASET_PANELS), (12.0, 9.0))
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
            _log_limits(ax, [ds[n].values for n in names])
        drawn.axes[panel] = ax
    _time_limits(axs, ds)
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
