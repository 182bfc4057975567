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

``distribution(..., kind="tpm")`` gives the two-point-measurement distribution in
every case: the first measurement of O_0 dephases ρ0 into Σ_i Π_i ρ0 Π_i (degenerate
eigenvalues grouped into one eigenspace), and the FCS of that dephased state is the TPM
distribution (Talkner, Lutz and Hänggi, PRE 75, 050102 (2007)). The two kinds agree
exactly when ρ0 commutes with O_0; with coherences between O_0's eigenspaces the TPM
mean is Tr(ρ_deph O_t) − Tr(ρ_deph O_0), not the paper's ⟨O_t⟩ − ⟨O_0⟩ (docs/beyond.md).

Everything goes through an engine (``engine="auto"`` uses the first engine that has
full counting statistics; today the dense engine).
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import numpy as np
import xarray as xr

from qbattery import _checks
from qbattery._dataset import (
    CHI,
    MAX_CUMULANTS,
    OBSERVABLE_SYMBOLS,
    OBSERVABLE_UNITS,
    TIME,
    VALUE,
    distribution_name,
    time_coordinate,
    var_name,
)
from qbattery._typing import TimesLike
from qbattery.battery import Battery, check_battery, to_dense, within_window
from qbattery.engines import REGISTRY, get_engine
from qbattery.engines.base import Engine
from qbattery.engines.dense import eigenspaces
from qbattery.errors import EngineError
from qbattery.moments import OBSERVABLES, Moments, Observable
from qbattery.numerics.cumulants import cumulants_from_moments
from qbattery.statistics import variance

__all__ = [
    "counting_cumulants",
    "cumulant_variables",
    "cumulants_from_moments",
    "dephased",
    "distribution",
    "generating_function",
]


def _fcs_engine(battery: Battery, engine: str, ntimes: int) -> tuple[Engine, str]:
    """The engine that computes the distribution: ``auto`` skips engines without FCS."""
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


def _density(battery: Battery) -> np.ndarray:
    """ρ0 as a dense d×d complex matrix."""
    rho = np.asarray(to_dense(battery.state), dtype=complex)
    return np.outer(rho, rho.conj()) if rho.ndim == 1 else rho


def dephased(battery: Battery, observable: str = "work") -> Battery:
    r"""The battery with ρ0 replaced by Σ_i Π_i ρ0 Π_i, dephased in O_0's eigenspaces.

    O_0 = H0 for work, P0 for power; eigenvalues equal within the engines' degeneracy
    tolerance (``qbattery.engines.dense.eigenspaces``) form one eigenspace Π_i.
    This is the state after the first projective measurement of O_0, averaged over its
    outcomes: the FCS of the dephased battery is the two-point-measurement distribution.
    H0, HC, H, P0, name and parameters are kept (``params["state"]`` becomes
    ``"dephased in H0"`` or ``"dephased in P0"``); structure hints are dropped.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> bat = qb.Battery(np.diag([0.0, 1.0]), np.zeros((2, 2)), np.ones(2) / np.sqrt(2))
    >>> dephased(bat).state.real.round(12).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """
    which = _checks.check_observable(observable)
    battery = check_battery(battery)
    O0 = battery.dense("H0" if which == "work" else "P0")
    vals, vecs = np.linalg.eigh((O0 + O0.conj().T) / 2)
    starts = np.append(eigenspaces(vals), vals.size)
    coeff = vecs.conj().T @ _density(battery) @ vecs  # ρ0 in O_0's eigenbasis
    mask = np.zeros(coeff.shape, dtype=bool)
    for a, b in pairwise(starts):
        mask[a:b, a:b] = True
    rho_d = vecs @ np.where(mask, coeff, 0.0) @ vecs.conj().T
    params = dict(battery.params)
    params["state"] = f"dephased in {'H0' if which == 'work' else 'P0'}"
    return Battery(
        battery.H0,
        battery.HC,
        (rho_d + rho_d.conj().T) / 2,
        name=battery.name,
        params=params,
        H=battery.H,
        P0=battery.P0,
        eigenbases=battery.eigenbases,
    )


def distribution(
    battery: Battery,
    times: TimesLike,
    observable: str = "work",
    *,
    kind: str = "fcs",
    engine: str = "auto",
    trim: float = 1e-14,
) -> xr.DataArray:
    r"""Counting (quasi-)distribution of work 𝒲_t or power 𝒫_t: FCS (Eq. A2) or TPM.

    ``kind="fcs"`` (default): the Fourier transform of e^{Z(χ, t)} (module docstring),
    weights q(v, t) on the values v = o_j − (o_i + o_k)/2 of the counting observable
    O_0's eigenvalues o. Its first two cumulants are the paper's mean and variance.
    **A true distribution only when ρ0 commutes with O_0** (attribute ``commuting``
    is 1): then q(v, t) is the probability that two projective measurements of O_0,
    at 0 and at t, differ by v. Otherwise it is a quasi-distribution: real, summing to
    one, but possibly negative somewhere (attribute ``min_weight``).

    ``kind="tpm"``: the two-point-measurement distribution, always a probability
    distribution: ρ0 is first dephased in O_0's eigenspaces (:func:`dephased`, the
    effect of the first measurement), then its FCS is taken. Equal to ``"fcs"`` when ρ0
    commutes with O_0; otherwise its mean and variance are those of the dephased state,
    not the paper's (they can differ a lot: coherences carry work; docs/beyond.md).

    Parameters
    ----------
    battery : Battery
    times : array_like, shape (nt,)
        Finite, non-negative, strictly increasing times.
    observable : {"work", "power"}
        W_0 = H0 or P_0 (the battery's power operator).
    kind : {"fcs", "tpm"}
        Full counting statistics of Eq. (A2) (default) or two projective measurements.
    engine : str
        ``"auto"`` uses the first registered engine with full counting statistics.
    trim : float
        Values whose weight is at most ``trim`` in magnitude at every requested time
        are dropped (e.g. energy decreases from the ground state).

    Returns
    -------
    xarray.DataArray, dims ("time", "value")
        Weights q(v, t); each row sums to one. Attributes: ``long_name``, ``units``,
        ``eq``, ``observable``, ``kind``, ``commuting`` (of the original ρ0 with O_0),
        ``min_weight``, model, parameters, engine.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> p = qb.distribution(qb.models.single_qubit(), [np.pi / 4], "work")
    >>> p.value.values.tolist(), p.values.round(12).tolist()
    ([0.0, 1.0], [[0.5, 0.5]])

    Power from |0⟩ (not an eigenstate of P0): a quasi-distribution for FCS, a
    probability distribution for TPM.

    >>> bat = qb.models.single_qubit()
    >>> float(qb.distribution(bat, [1.0], "power").min()) < 0
    True
    >>> float(qb.distribution(bat, [1.0], "power", kind="tpm").min()) >= 0
    True
    """
    which = _checks.check_observable(observable)
    how = _checks.check_distribution_kind(kind)
    trim = _checks.check_tolerance("trim", trim)
    t = _checks.check_times(times)
    battery = check_battery(battery)
    battery = within_window(battery, t)
    original = battery
    if how == "tpm":
        battery = dephased(battery, which)
    eng, reason = _fcs_engine(battery, engine, t.size)
    result = eng.counting_distribution(t, which)
    if result is None:  # pragma: no cover - _fcs_engine guarantees support
        raise EngineError(eng.notes.get(distribution_name(which), "no distribution"))
    values, q, commuting = result
    if how == "tpm":
        commuting = _commutes(original, battery)
    keep = np.max(np.abs(q), axis=0) > trim
    values, q = values[keep], q[:, keep]
    sym = OBSERVABLE_SYMBOLS[which]
    if how == "tpm":
        title = "two-point-measurement probability"
    elif commuting:
        title = "full-counting-statistics (= two-point-measurement) probability"
    else:
        title = "full-counting-statistics quasi-probability"
    attrs: dict[str, Any] = {
        "long_name": f"{title} of {sym}_t − {sym}_0",
        "units": "1",
        "eq": "(A2)" if how == "fcs" else "(A2) of the dephased ρ0",
        "observable": which,
        "kind": how,
        "commuting": int(commuting),
        "min_weight": float(q.min()) if q.size else 0.0,
        "model": original.name,
        "params": json.dumps(dict(original.params), default=str, sort_keys=True),
        "engine": eng.name,
        "engine_reason": reason,
    }
    coords = {
        TIME: time_coordinate(t),
        VALUE: xr.Variable(
            (VALUE,),
            values,
            attrs={"long_name": f"value of {sym}_t − {sym}_0", "units": OBSERVABLE_UNITS[which]},
        ),
    }
    return xr.DataArray(
        q, dims=(TIME, VALUE), coords=coords, name=distribution_name(which), attrs=attrs
    )


def _commutes(battery: Battery, dephased_battery: Battery) -> bool:
    """Whether dephasing left ρ0 unchanged (to 1e-12): ρ0 commutes with O_0."""
    rho, rho_d = _density(battery), _density(dephased_battery)
    return bool(np.max(np.abs(rho - rho_d)) <= 1e-12 * max(1.0, float(np.max(np.abs(rho)))))


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
    x = _checks.check_chi(chi)
    p = distribution(battery, times, observable, engine=engine, trim=0.0)
    G = p.values @ np.exp(1j * np.outer(p.value.values, x))
    attrs = {k: v for k, v in p.attrs.items() if k not in ("long_name", "units")}
    attrs.update(long_name="cumulant generating function Z(χ, t)", units="1")
    return xr.DataArray(
        np.log(G),
        dims=(TIME, CHI),
        coords={TIME: p.time, CHI: (CHI, x, {"long_name": "counting field χ"})},
        name=distribution_name(p.attrs["observable"], "generating_function"),
        attrs=attrs,
    )


def check_order(cumulants: Any) -> int:
    """Validate the ``cumulants`` keyword of :func:`qbattery.charge` (0 … ``MAX_CUMULANTS``).

    See :func:`qbattery._checks.check_cumulant_order`.

    Examples
    --------
    >>> check_order(np.int64(4))
    4
    """
    return _checks.check_cumulant_order(cumulants, MAX_CUMULANTS)


def counting_cumulants(
    eng: Engine,
    times: np.ndarray,
    which: Observable,
    order: int,
    *,
    center: np.ndarray | None = None,
) -> np.ndarray | None:
    """Cumulants κ_1…κ_order (order, nt) of 𝒪_t (Eq. A2) from an engine, or ``None``.

    The engine's own cumulants if it has them (:meth:`Engine.counting_cumulants`, e.g.
    the structured k-body engine's block sums), else its counting moments about
    ``center`` (pass the mean: central moments keep the conversion well conditioned)
    turned into cumulants. ``None`` when the engine has neither (reason in its notes).

    Examples
    --------
    The single qubit's work is 0 or ω0 with p = sin²(Ω0t) (App. D): κ_3 = p(1 − p)(1 − 2p).

    >>> import qbattery as qb
    >>> from qbattery.engines import DenseEngine
    >>> eng = DenseEngine(qb.models.single_qubit())
    >>> t = np.array([0.4])
    >>> kappa = counting_cumulants(eng, t, "work", 3, center=eng.moments(t).work.mean)
    >>> p = np.sin(0.4) ** 2
    >>> bool(np.isclose(kappa[2, 0], p * (1 - p) * (1 - 2 * p), rtol=1e-12))
    True
    """
    if type(eng).counting_cumulants is not Engine.counting_cumulants:
        return eng.counting_cumulants(times, which, order, center=center)
    raw = eng.counting_moments(times, which, order, center=center)
    if raw is None:
        return None
    return cumulants_from_moments(raw, center=0.0 if center is None else center)


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
    out: dict[str, np.ndarray] = {}
    t = moments.times
    for which in OBSERVABLES:
        m = moments.observable(which)
        kappa = counting_cumulants(eng, t, which, order, center=m.mean)
        if kappa is None:
            kappa = np.full((order, t.size), np.nan)
            kappa[0] = m.mean
            if order >= 2:
                kappa[1] = variance(m)
            why = eng.notes.get(f"{which}_cumulants", f"engine {eng.name!r} has no cumulants")
            for n in range(3, order + 1):
                notes[var_name(which, f"cumulant_{n}")] = why
            for name in ("skewness", "kurtosis"):
                notes[var_name(which, name)] = why
        for n in range(1, order + 1):
            out[var_name(which, f"cumulant_{n}")] = kappa[n - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            if order >= 3:
                out[var_name(which, "skewness")] = kappa[2] / kappa[1] ** 1.5
            if order >= 4:
                out[var_name(which, "kurtosis")] = kappa[3] / kappa[1] ** 2
    return out
