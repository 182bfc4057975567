"""Figures: the paper's Figs. 1-3, Dataset panels, and heat maps and Pareto fronts of
sweeps and designs.

Every builder takes the axes to draw on (``None`` creates a new
:class:`matplotlib.figure.Figure` with constrained layout), draws, and returns what it
drew (a :class:`Drawn` record for the paper's figures and Dataset panels). Nothing here
calls ``plt.show()``. Axis labels come from the variables' ``long_name`` and ``units``
attributes (``qbattery._dataset``).

On logarithmic axes (NSRs, their product) values ≤ 0 cannot be drawn: they are left out
(NaN), which is where an Eq. (5) bound is trivial (cot²θ − f ≤ 0).

The rooms: :mod:`~qbattery.plotting.style` (colours, symbols, labels),
:mod:`~qbattery.plotting.panels` (one variable, all 13 quantities, saving),
:mod:`~qbattery.plotting.paper` (Figs. 1-3) and :mod:`~qbattery.plotting.sweep_figures`
(sweeps and designs). Plotting sits below the studies: it never imports them.
"""

from __future__ import annotations

from qbattery.plotting.panels import (
    DATASET_PANELS,
    Drawn,
    LineKey,
    plot_dataset,
    plot_distribution,
    plot_variable,
    save,
    save_dataset_figure,
)
from qbattery.plotting.paper import figure1, figure2, figure3
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
)
from qbattery.plotting.sweep_figures import (
    LABELS,
    DesignLike,
    design_figure,
    design_heatmap,
    heatmap,
    pareto,
    sweep_figure,
)

#: doctest collects functions and classes only: run the alias's example too
__test__ = {"LineStyle": LineStyle.__doc__}

__all__ = [
    "DASHDOT",
    "DASHED",
    "DATASET_PANELS",
    "DOTTED",
    "FIG1_COLORS",
    "FIG2_COLORS",
    "LABELS",
    "SOLID",
    "SYMBOLS",
    "DesignLike",
    "Drawn",
    "LineKey",
    "LineStyle",
    "axis_label",
    "design_figure",
    "design_heatmap",
    "figure1",
    "figure2",
    "figure3",
    "heatmap",
    "pareto",
    "plot_dataset",
    "plot_distribution",
    "plot_variable",
    "save",
    "save_dataset_figure",
    "sweep_figure",
]
