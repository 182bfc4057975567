r"""Open charging over decay rates: the NSRs, their bounds and the speed angle θ_t.

:func:`decay_scan` charges the single qubit of App. D (H = Ω0σ_x) while it decays to
its ground state at several rates γ (``single_qubit(decay=γ)``, :doc:`/open`) and
stacks :func:`qbattery.charge` along ``decay``, with the steady-state angles θ_∞ as
variables. :func:`plot_decay_scan` draws the gallery figure: above the critical rate
γ_c ≈ 0.662 the work angle saturates below π/2, so the work bound cot²θ_t − f (Eq. 5)
stays non-trivial forever, whereas closed charging (γ = 0) makes it trivial at the
first full charge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from qbattery import models
from qbattery._dataset import (
    POWER_ANGLE,
    POWER_BOUND,
    POWER_NSR,
    STEADY_ATTRS,
    TIME,
    WORK_ANGLE,
    WORK_BOUND,
    WORK_MEAN,
    WORK_NSR,
)
from qbattery.charge import charge
from qbattery.errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

#: the gallery's decay rates: closed, below, near and above the critical rate γ_c ≈ 0.662
DECAY_RATES = (0.0, 0.3, 0.6, 1.0, 2.0)
#: variables kept per rate
SCAN_VARIABLES = (WORK_MEAN, WORK_NSR, WORK_BOUND, POWER_NSR, POWER_BOUND, WORK_ANGLE, POWER_ANGLE)
DECAY = "decay"
#: the steady-state angles θ^W_∞, θ^P_∞ (attributes of an open charge(), named in the schema)
ANGLES_INF = tuple(name for name in STEADY_ATTRS if name.endswith("_angle_inf"))


def decay_scan(
    rates: Sequence[float] = DECAY_RATES,
    times: Any = None,
    *,
    omega0: float = 1.0,
    Omega0: float = 1.0,
) -> xr.Dataset:
    r"""NSRs, bounds and speed angles of ``single_qubit(decay=γ)`` for each rate γ.

    Parameters
    ----------
    rates : sequence of float
        Decay rates γ ≥ 0 (0: the closed qubit of App. D).
    times : array_like, optional
        Times (default 241 on [0, 12]).
    omega0, Omega0 : float
        As in :func:`qbattery.models.single_qubit`.

    Returns
    -------
    xarray.Dataset
        :data:`SCAN_VARIABLES` on (``decay``, ``time``) and ``work_angle_inf``,
        ``power_angle_inf`` on ``decay`` (θ_∞; NaN for γ = 0, which never relaxes).

    Examples
    --------
    >>> import numpy as np
    >>> ds = decay_scan([0.0, 1.0], np.linspace(0, 4, 9))
    >>> ds.work_nsr.dims, bool(ds.work_angle_inf.sel(decay=1.0) < np.pi / 2)
    (('decay', 'time'), True)
    """
    grid = np.linspace(0.0, 12.0, 241) if times is None else np.asarray(times, dtype=float)
    gammas = [float(g) for g in rates]
    if not gammas or len(set(gammas)) != len(gammas):
        raise InvalidInputError(f"`rates` must be distinct decay rates, got {list(rates)!r}")
    rows, limits = [], []
    for g in gammas:
        ds = charge(
            models.single_qubit(omega0, Omega0, decay=g), grid, ergotropy=False, progress=False
        )
        rows.append(ds[list(SCAN_VARIABLES)].drop_attrs())
        limits.append([float(ds.attrs.get(name, np.nan)) for name in ANGLES_INF])
    out = xr.concat(rows, dim=xr.DataArray(gammas, dims=DECAY, name=DECAY))
    out[DECAY].attrs = {"long_name": "decay rate γ", "units": "energy"}
    for name, column in zip(ANGLES_INF, np.asarray(limits).T, strict=True):
        out[name] = ((DECAY,), column, {"long_name": STEADY_ATTRS[name]})
    out.attrs.update({"model": "single_qubit", "omega0": omega0, "Omega0": Omega0})
    return out


def plot_decay_scan(ds: xr.Dataset, axes: Sequence[Axes] | None = None) -> dict[str, Line2D]:
    """Three panels: work NSR and its bound, power NSR and its bound, and θ^W_t with
    θ^W_∞ and π/2; one colour per decay rate. Returns the lines by name
    (``"work_nsr_0.3"``, ``"work_bound_0.3"``, ``"work_angle_0.3"``, …).

    Examples
    --------
    >>> import numpy as np
    >>> lines = plot_decay_scan(decay_scan([0.0, 1.0], np.linspace(0, 4, 9)))
    >>> sorted(lines)[:2]
    ['power_bound_0', 'power_bound_1']
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, ax_arr = plt.subplots(1, 3, figsize=(14, 3.8), layout="constrained")
        axes = list(ax_arr)
    if len(axes) != 3:
        raise InvalidInputError(f"plot_decay_scan needs 3 axes, got {len(axes)}")
    t = ds[TIME].values
    lines: dict[str, Line2D] = {}
    for i, g in enumerate(ds[DECAY].values):
        row = ds.sel({DECAY: g})
        color = f"C{i}"
        key = f"{g:g}"
        for ax, nsr, bound in ((axes[0], WORK_NSR, WORK_BOUND), (axes[1], POWER_NSR, POWER_BOUND)):
            (lines[f"{nsr}_{key}"],) = ax.semilogy(t, row[nsr].values, "-", color=color,
                                                  label=f"γ = {key}")  # fmt: skip
            # cot²(π/2) is 4e-33 in floating point: a bound below 1e-12 is trivial
            values = row[bound].values
            bound_values = np.where(values > 1e-12, values, np.nan)
            (lines[f"{bound}_{key}"],) = ax.semilogy(t, bound_values, "--", color=color)
        (lines[f"{WORK_ANGLE}_{key}"],) = axes[2].plot(
            t, row[WORK_ANGLE].values, "-", color=color, label=f"γ = {key}"
        )
        if np.isfinite(row["work_angle_inf"].values):
            axes[2].axhline(float(row["work_angle_inf"]), color=color, ls=":", lw=1)
    axes[2].axhline(np.pi / 2, color="k", ls="--", lw=1, label="π/2")
    axes[2].set_ylim(0.0, 3.6)  # the closed angle grows without limit
    for ax in axes[:2]:
        ax.set_ylim(1e-4, 1e5)
    titles = (
        "work NSR (solid) ≥ bound (dashed, where non-trivial)",
        "power NSR (solid) ≥ bound (dashed, where non-trivial)",
        "work speed angle θ^W_t (dotted: θ^W_∞)",
    )
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xlabel("charging time t")
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=8)
    axes[2].legend(fontsize=8, loc="lower right")
    axes[0].figure.suptitle(
        "decaying qubit (single_qubit(decay=γ)): above γ_c ≈ 0.662 the work bound stays "
        "non-trivial",
        fontsize=11,
    )
    return lines


__all__ = ["DECAY_RATES", "SCAN_VARIABLES", "decay_scan", "plot_decay_scan"]
