"""Plot style: colours, legend symbols, line styles and axis labels from Dataset attributes.

Axis labels come from the variables' ``long_name`` and ``units`` attributes
(``qbattery._dataset``); the helpers here lay out panels and fit log axes for the
figure builders of :mod:`qbattery.plotting`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import Literal

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

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
    WORK_ANGLE,
    WORK_BOUND,
    WORK_MEAN,
    WORK_NSR,
    WORK_VAR,
)

#: colours of Fig. 1 (k = 2, 3, 4: purple, red, blue as in the paper's caption)
FIG1_COLORS: tuple[str, ...] = ("tab:purple", "tab:red", "tab:blue", "tab:green", "tab:olive")
#: colours of Figs. 2-3 (s = 2, 3, 4: blue, orange, green as in the paper's caption)
FIG2_COLORS: tuple[str, ...] = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")

#: symbols for legends (axis labels come from the Dataset attributes)
SYMBOLS: dict[str, str] = {
    WORK_MEAN: r"$\langle\mathcal{W}_t\rangle$",
    POWER_MEAN: r"$\langle\mathcal{P}_t\rangle$",
    WORK_VAR: r"$(\Delta\mathcal{W}_t)^2$",
    POWER_VAR: r"$(\Delta\mathcal{P}_t)^2$",
    WORK_NSR: r"$\mathcal{N}^{\mathcal{W}}_t$",
    POWER_NSR: r"$\mathcal{N}^{\mathcal{P}}_t$",
    NSR_PRODUCT: r"$\mathcal{N}^{\mathcal{W}}_t\mathcal{N}^{\mathcal{P}}_t$",
    TRADEOFF_BOUND: "Eq. (6) bound",
    WORK_ANGLE: r"$\theta^{\mathcal{W}}_t$",
    POWER_ANGLE: r"$\theta^{\mathcal{P}}_t$",
    WORK_BOUND: r"Eq. (5) bound on $\mathcal{N}^{\mathcal{W}}_t$",
    POWER_BOUND: r"Eq. (5) bound on $\mathcal{N}^{\mathcal{P}}_t$",
    FIDELITY: r"$F_t$",
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


def new_axes(ncols: int, nrows: int = 1, *, size: tuple[float, float]) -> list[Axes]:
    """A new constrained-layout figure of ``nrows`` × ``ncols`` panels; its axes, row by row."""
    fig = Figure(figsize=size, layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    return [ax for row in grid for ax in row]


def check_axes(axes: Sequence[Axes] | None, n: int, size: tuple[float, float]) -> list[Axes]:
    """The ``n`` axes to draw on: ``axes`` (checked) or those of a new figure of ``size``."""
    if axes is None:
        return new_axes(n, size=size)
    axes = list(axes)
    if len(axes) != n:
        raise ValueError(f"this figure has {n} panels; pass {n} axes, got {len(axes)}")
    return axes


def positive_only(values: np.ndarray) -> np.ndarray:
    """A float copy of ``values`` with values ≤ 0 (and NaN) set to NaN, for log axes."""
    out = np.asarray(values, dtype=float).copy()
    out[~(out > 0)] = np.nan
    return out


def tag_panel(ax: Axes, letter: str) -> None:
    """Write the panel letter ``(a)``, ``(b)``, ... at the top left of ``ax``."""
    ax.set_title(f"({letter})", loc="left", fontweight="bold", fontsize="medium")


def log_limits(ax: Axes, arrays: Sequence[np.ndarray], *, decades: float = 7.0) -> None:
    """Fit a log axis to the data, at most ``decades`` decades (poles are unbounded)."""
    vals = np.concatenate([np.ravel(a) for a in arrays])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if not vals.size:
        return
    lo, hi = np.percentile(vals, [1.0, 97.0])
    hi = max(hi, lo * 10)
    lo = max(lo, hi / 10**decades)
    ax.set_ylim(lo / 2, hi * 2)


def time_limits(axes: Sequence[Axes], ds: xr.Dataset) -> None:
    """Let every axis span the Dataset's times."""
    t = ds[TIME].values
    for ax in axes:
        ax.set_xlim(float(t[0]), float(t[-1]))


_PARAM_SYMBOLS = {"N": "N", "omega0": "ω0", "Omega0": "Ω0", "Omega": "Ω", "variant": "variant"}


def param_title(ds: xr.Dataset, keys: Sequence[str]) -> str:
    """``N = 12, ω0 = 1, ...``: the model parameters ``keys`` recorded in ``ds``."""
    parts = []
    for key in keys:
        value = ds.attrs.get(f"param_{key}")
        if value is not None:
            text = f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)
            parts.append(f"{_PARAM_SYMBOLS.get(key, key)} = {text}")
    return ", ".join(parts)
