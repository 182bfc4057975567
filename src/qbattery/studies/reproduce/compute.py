"""Computing every Dataset of ``qbattery reproduce`` (numerics and closed forms)."""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr

from qbattery import _progress, analytic, models
from qbattery._dataset import (
    ORDER_K,
    ORDER_S,
)
from qbattery.charge import charge
from qbattery.studies.reproduce.settings import PAPER, Settings


def concat_runs(datasets: Sequence[xr.Dataset], dim: str, values: Sequence[int]) -> xr.Dataset:
    """Stack runs along a new dimension ``dim`` (``"k"`` or ``"s"``) with ``values``.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> t = np.linspace(0, 1, 3)
    >>> runs = [qb.charge(qb.models.kbody(4, k), t) for k in (1, 2)]
    >>> ds = concat_runs(runs, "k", [1, 2])
    >>> ds.work_mean.dims, ds.k.attrs["long_name"]
    (('k', 'time'), 'interaction order k')
    """
    out = xr.concat(
        list(datasets), dim=dim, combine_attrs="drop_conflicts", coords="minimal"
    ).assign_coords({dim: list(values)})
    out[dim].attrs = {
        "long_name": {ORDER_K: "interaction order k", ORDER_S: "string length s"}[dim]
    }
    return out


def compute(
    settings: Settings = PAPER, *, engine: str = "dense", progress: bool | None = None
) -> dict[str, xr.Dataset]:
    """Compute every Dataset of the report.

    Returns
    -------
    dict
        ``"qubit"`` and ``"qubit_closed"`` (App. D), ``"fig1"`` and ``"fig1_closed"``
        (dimension ``k``), ``"fig2"`` (dimension ``s``); numerics from
        :func:`qbattery.charge` with ``engine``, closed forms from
        :mod:`qbattery.analytic`.

    Examples
    --------
    The numerics of Fig. 1 agree with the closed forms of Eq. (8), (E3)-(E7):

    >>> import numpy as np
    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> data = compute(tiny, progress=False)
    >>> sorted(data)
    ['fig1', 'fig1_closed', 'fig2', 'qubit', 'qubit_closed']
    >>> data["fig1"].work_var.dims, data["fig2"].s.values.tolist()
    (('k', 'time'), [2, 3])
    >>> bool(np.allclose(data["fig1"].work_var, data["fig1_closed"].work_var, atol=1e-12))
    True
    """
    s = settings
    jobs = 1 + len(s.fig1_k) + len(s.fig2_s)
    with _progress.task("qbattery reproduce", jobs, enabled=progress) as bar:
        t_q = s.times(s.qubit_tmax)
        qubit = charge(models.single_qubit(s.qubit_omega0, s.qubit_Omega0), t_q, engine=engine)
        bar.advance()
        t1 = s.times(s.fig1_tmax)
        fig1 = []
        for k in s.fig1_k:
            bat = models.kbody(s.fig1_N, k, s.fig1_omega0, s.fig1_Omega0)
            fig1.append(charge(bat, t1, engine=engine))
            bar.advance()
        t2 = s.times(s.fig2_tmax)
        fig2 = []
        for value in s.fig2_s:
            bat = models.ising(s.fig2_N, value, s.fig2_omega0, s.fig2_Omega)
            fig2.append(charge(bat, t2, engine=engine))
            bar.advance()
    closed1 = [analytic.kbody(t1, s.fig1_N, k, s.fig1_omega0, s.fig1_Omega0) for k in s.fig1_k]
    return {
        "qubit": qubit,
        "qubit_closed": analytic.single_qubit(t_q, s.qubit_omega0, s.qubit_Omega0),
        "fig1": concat_runs(fig1, ORDER_K, s.fig1_k),
        "fig1_closed": concat_runs(closed1, ORDER_K, s.fig1_k),
        "fig2": concat_runs(fig2, ORDER_S, s.fig2_s),
    }
