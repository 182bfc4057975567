r"""Full counting statistics of work and power: distributions, Z(χ, t) and cumulants (Eq. A2).

The paper uses only the first two derivatives of the generating function

.. math:: Z(\chi, t) = \ln \mathrm{Tr}\left(e^{-i\chi O_0/2} e^{i\chi O_t}
          e^{-i\chi O_0/2} \rho_0\right) \qquad (A2)

This module gives all of it. With O_0 = Σ_i o_i Π_i (eigenspace projectors),

.. math:: e^{Z(\chi, t)} = \sum_{ijk} e^{i\chi\,(o_j - (o_i + o_k)/2)}\,
          \mathrm{Tr}\left(\Pi_j U_t \Pi_k \rho_0 \Pi_i U_t^\dagger\right),

so the Fourier transform of e^Z is a set of weights on the values o_j − (o_i + o_k)/2.

* If ρ0 commutes with O_0 (e.g. the ground or a thermal state of H0 for work), only
  i = k survives: the weights are the **two-point-measurement probabilities** of
  𝒪_t = o_j − o_k (measure O_0, evolve, measure O_0 again).
* Otherwise (e.g. power from |0⟩^⊗N, which is not an eigenstate of P_0) the weights
  form a real **quasi-distribution** (the (i, k) and (k, i) terms are complex conjugates
  at the same value); some weights can be negative. Its moments are still the
  derivatives of Z, so its first two cumulants are the paper's mean and variance.

Everything goes through an engine (``engine="auto"`` uses the first engine that has
full counting statistics; today the dense engine).
"""

from __future__ import annotations

import json
from math import comb
from typing import Any

import numpy as np
import xarray as xr

from qbattery import _checks
from qbattery._dataset import MAX_CUMULANTS
from qbattery._typing import TimesLike
from qbattery.battery import Battery
from qbattery.engines.base import OBSERVABLES, Engine, Moments, Observable
from qbattery.errors import EngineError, InvalidInputError

_UNITS = {"work": "energy", "power": "energy/time"}
_SYMBOL = {"work": "W", "power": "P"}


def _check_observable(observable: str) -> Observable:
    if observable not in OBSERVABLES:
        raise InvalidInputError(
            f"`observable` must be 'work' or 'power', got {observable!r}; "
            "pass observable='work' (W_0 = H0) or observable='power' (P_0 = −i[H0, HC])"
        )
    return "work" if observable == "work" else "power"


def _fcs_engine(battery: Battery, engine: str, ntimes: int) -> tuple[Engine, str]:
    """The engine that computes the distribution: ``auto`` skips engines without FCS."""
    from qbattery.charge import get_engine
    from qbattery.engines import REGISTRY

    if not isinstance(battery, Battery):
        raise InvalidInputError(
            f"`battery` must be a qbattery.Battery, got {type(battery).__name__}; "
            "build one with qb.Battery(H0, HC, state) or qb.models.*"
        )
    eng, reason = get_engine(battery, engine, ntimes)
    has_fcs = type(eng).counting_distribution is not Engine.counting_distribution
    if not has_fcs and engine == "auto":
        able = [
            n
            for n, c in REGISTRY.items()
            if c.counting_distribution is not Engine.counting_distribution
        ]
        if not able:  # pragma: no cover - the dense engine is always registered
            raise EngineError("no registered engine has full counting statistics")
        eng, _ = get_engine(battery, able[0], ntimes)
        reason = f"{able[0]!r} is the first engine with full counting statistics"
    elif not has_fcs:
        raise EngineError(
            f"engine {engine!r} has no full counting statistics; use engine='dense' "
            "(or engine='auto')"
        )
    return eng, reason


def distribution(
    battery: Battery,
    times: TimesLike,
    observable: str = "work",
    *,
    engine: str = "auto",
    trim: float = 1e-14,
) -> xr.DataArray:
    r"""Two-point-measurement (quasi-)distribution of work 𝒲_t or power 𝒫_t (Eq. A2).

    The Fourier transform of e^{Z(χ, t)} (module docstring): weights q(v, t) on the
    values v = o_j − (o_i + o_k)/2 of the counting observable O_0's eigenvalues o.

    **A true distribution only when ρ0 commutes with O_0** (attribute ``commuting``
    is 1): then q(v, t) is the probability that two projective measurements of O_0,
    at 0 and at t, differ by v. Otherwise it is a quasi-distribution: real, summing to
    one, with the paper's mean and variance as its first two cumulants, but possibly
    negative somewhere (attribute ``min_weight``).

    Parameters
    ----------
    battery : Battery
    times : array_like, shape (nt,)
        Finite, non-negative, strictly increasing times.
    observable : {"work", "power"}
        W_0 = H0 or P_0 (the battery's power operator).
    engine : str
        ``"auto"`` uses the first registered engine with full counting statistics.
    trim : float
        Values whose weight is at most ``trim`` in magnitude at every requested time
        are dropped (e.g. energy decreases from the ground state).

    Returns
    -------
    xarray.DataArray, dims ("time", "value")
        Weights q(v, t); each row sums to one. Attributes: ``long_name``, ``units``,
        ``eq``, ``observable``, ``commuting``, ``min_weight``, model, parameters, engine.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> p = qb.distribution(qb.models.single_qubit(), [np.pi / 4], "work")
    >>> p.value.values.tolist(), p.values.round(12).tolist()
    ([0.0, 1.0], [[0.5, 0.5]])
    """
    which = _check_observable(observable)
    t = _checks.check_times(times)
    _checks.check_time_window(battery.structure, t)
    eng, reason = _fcs_engine(battery, engine, t.size)
    result = eng.counting_distribution(t, which)
    if result is None:  # pragma: no cover - _fcs_engine guarantees support
        raise EngineError(eng.notes.get(f"{which}_distribution", "no distribution"))
    values, q, commuting = result
    keep = np.max(np.abs(q), axis=0) > trim
    values, q = values[keep], q[:, keep]
    sym = _SYMBOL[which]
    kind = "probability" if commuting else "quasi-probability"
    attrs: dict[str, Any] = {
        "long_name": f"two-point-measurement {kind} of {sym}_t − {sym}_0",
        "units": "1",
        "eq": "(A2)",
        "observable": which,
        "commuting": int(commuting),
        "min_weight": float(q.min()) if q.size else 0.0,
        "model": battery.name,
        "params": json.dumps(dict(battery.params), default=str, sort_keys=True),
        "engine": eng.name,
        "engine_reason": reason,
    }
    coords = {
        "time": xr.Variable(("time",), t, attrs={"long_name": "time t", "units": "1/energy"}),
        "value": xr.Variable(
            ("value",),
            values,
            attrs={"long_name": f"value of {sym}_t − {sym}_0", "units": _UNITS[which]},
        ),
    }
    return xr.DataArray(
        q, dims=("time", "value"), coords=coords, name=f"{which}_distribution", attrs=attrs
    )


def generating_function(
    battery: Battery,
    chi: Any,
    times: TimesLike,
    observable: str = "work",
    *,
    engine: str = "auto",
) -> xr.DataArray:
    r"""Z(χ, t) of Eq. (A2), from the spectral (quasi-)distribution.

    Z = ln Σ_v q(v, t) e^{iχv}, principal branch of the complex logarithm (Z is
    defined up to 2πi; derivatives at χ = 0 do not depend on the branch).

    Parameters
    ----------
    chi : array_like, shape (nχ,)
        Counting fields (real).
    times, observable, engine
        As for :func:`distribution`.

    Returns
    -------
    xarray.DataArray, complex, dims ("time", "chi")

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> Z = qb.generating_function(qb.models.single_qubit(), [0.0, 0.1], [0.5])
    >>> bool(abs(complex(Z.sel(chi=0.0)[0])) < 1e-14)  # Z(0, t) = ln Tr ρ0 = 0
    True
    """
    x = np.atleast_1d(np.asarray(chi, dtype=float))
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise InvalidInputError(
            f"`chi` must be a 1-D array of finite real numbers, got shape {x.shape}"
        )
    p = distribution(battery, times, observable, engine=engine, trim=0.0)
    G = p.values @ np.exp(1j * np.outer(p.value.values, x))
    attrs = {k: v for k, v in p.attrs.items() if k not in ("long_name", "units")}
    attrs.update(long_name="cumulant generating function Z(χ, t)", units="1")
    return xr.DataArray(
        np.log(G),
        dims=("time", "chi"),
        coords={"time": p.time, "chi": ("chi", x, {"long_name": "counting field χ"})},
        name=f"{p.attrs['observable']}_generating_function",
        attrs=attrs,
    )


def cumulants_from_moments(moments: np.ndarray, center: Any = 0.0) -> np.ndarray:
    r"""Cumulants κ_1…κ_n from moments about ``center`` (array of shape (n, ...)).

    κ_n = μ_n − Σ_{k=1}^{n−1} C(n−1, k−1) κ_k μ_{n−k} for moments μ_n about the center,
    then κ_1 is shifted back by ``center`` (higher cumulants are shift invariant).

    Examples
    --------
    Poisson(1) has moments 1, 2, 5 and every cumulant equal to 1:

    >>> import numpy as np
    >>> cumulants_from_moments(np.array([[1.0], [2.0], [5.0]])).ravel().tolist()
    [1.0, 1.0, 1.0]
    """
    mu = np.asarray(moments, dtype=float)
    kappa = np.zeros_like(mu)
    for n in range(1, mu.shape[0] + 1):
        acc = mu[n - 1].copy()
        for k in range(1, n):
            acc -= comb(n - 1, k - 1) * kappa[k - 1] * mu[n - k - 1]
        kappa[n - 1] = acc
    kappa[0] = kappa[0] + center
    return kappa


def check_order(cumulants: Any) -> int:
    """Validate the ``cumulants`` keyword of :func:`qbattery.charge`.

    Returns the order as an ``int``; raises :class:`~qbattery.errors.InvalidInputError`
    for a non-integer or an order outside 0 … ``MAX_CUMULANTS``.

    Examples
    --------
    >>> check_order(np.int64(4))
    4
    >>> try:
    ...     check_order(2.5)
    ... except InvalidInputError as err:
    ...     print(err)
    `cumulants` must be an integer, got 2.5
    """
    if isinstance(cumulants, bool) or not isinstance(cumulants, (int, np.integer)):
        raise InvalidInputError(f"`cumulants` must be an integer, got {cumulants!r}")
    if not 0 <= int(cumulants) <= MAX_CUMULANTS:
        raise InvalidInputError(
            f"`cumulants` must be between 0 and {MAX_CUMULANTS}, got {cumulants}; "
            f"higher cumulants lose all digits to cancellation"
        )
    return int(cumulants)


def cumulant_variables(
    eng: Engine, moments: Moments, order: int, notes: dict[str, str]
) -> dict[str, np.ndarray]:
    """The ``{work,power}_cumulant_n``, ``_skewness`` and ``_kurtosis`` variables.

    Moments are taken about the engine's exact mean (less cancellation); an engine
    without full counting statistics gives κ_1, κ_2 from its mean and variance and NaN
    above, with the reason in ``notes``.

    Examples
    --------
    The work of the single qubit of App. D is 0 or ω0 with probabilities cos²(Ω0t),
    sin²(Ω0t) (measure H0, evolve, measure again): a Bernoulli variable with
    p = sin²(Ω0t), so κ_1 = p, κ_2 = p(1 − p) (App. D) and κ_3 = p(1 − p)(1 − 2p).

    >>> import qbattery as qb
    >>> from qbattery.engines import DenseEngine
    >>> eng = DenseEngine(qb.models.single_qubit())
    >>> t = np.array([0.3, 1.2])
    >>> out = cumulant_variables(eng, eng.moments(t), 3, {})
    >>> sorted(name for name in out if name.startswith("work"))
    ['work_cumulant_1', 'work_cumulant_2', 'work_cumulant_3', 'work_skewness']
    >>> p = np.sin(t) ** 2
    >>> bool(np.allclose(out["work_cumulant_3"], p * (1 - p) * (1 - 2 * p), atol=1e-12))
    True
    """
    from qbattery.statistics import variance

    out: dict[str, np.ndarray] = {}
    t = moments.times
    for which in OBSERVABLES:
        m = moments.observable(which)
        kappa = eng.counting_cumulants(t, which, order, center=m.mean)
        if kappa is None:
            kappa = np.full((order, t.size), np.nan)
            kappa[0] = m.mean
            if order >= 2:
                kappa[1] = variance(m)
            why = eng.notes.get(f"{which}_cumulants", f"engine {eng.name!r} has no cumulants")
            for n in range(3, order + 1):
                notes[f"{which}_cumulant_{n}"] = why
            for name in ("skewness", "kurtosis"):
                notes[f"{which}_{name}"] = why
        for n in range(1, order + 1):
            out[f"{which}_cumulant_{n}"] = kappa[n - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            if order >= 3:
                out[f"{which}_skewness"] = kappa[2] / kappa[1] ** 1.5
            if order >= 4:
                out[f"{which}_kurtosis"] = kappa[3] / kappa[1] ** 2
    return out
