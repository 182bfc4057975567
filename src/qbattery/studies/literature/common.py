"""Shared pieces of the literature checks: the row record and a log-log exponent fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

#: verdicts of a row
HOLDS, FAILS = "holds", "does not hold"


@dataclass(frozen=True)
class Check:
    """One row of the literature table.

    Attributes
    ----------
    key : str
        Short name (file names ``literature_<key>.nc`` and ``.png``).
    paper, claim : str
        The reference and its claim, with the quantity the paper plots.
    reading : str
        How we read it (normalisation, which power, sizes).
    ours : str
        Our numbers.
    holds : bool
        Whether the claim holds for our numbers.
    data : xarray.Dataset
        The numbers behind the row (written as NetCDF).

    Examples
    --------
    >>> import xarray as xr
    >>> row = Check("demo", "A. Author", "P grows", "as written", "P = 2", True, xr.Dataset())
    >>> row.verdict
    'holds'
    """

    key: str
    paper: str
    claim: str
    reading: str
    ours: str
    holds: bool
    data: xr.Dataset

    @property
    def verdict(self) -> str:
        """``"holds"`` or ``"does not hold"``."""
        return HOLDS if self.holds else FAILS


def fit_exponent(
    sizes: np.ndarray, values: np.ndarray, errors: np.ndarray | None = None
) -> tuple[float, float]:
    """Exponent α of values ∝ sizes^α by a (weighted) least-squares log-log fit, and its error.

    The error is the fit's standard error (residual scatter, or the given standard errors
    of the values propagated to log space when they dominate).

    Examples
    --------
    >>> a, s = fit_exponent(np.array([2.0, 4.0, 8.0]), np.array([1.0, 2.83, 8.0]))
    >>> round(a, 2), s < 0.01
    (1.5, True)
    """
    x, y = np.log(np.asarray(sizes, float)), np.log(np.asarray(values, float))
    if errors is None:
        w = np.ones_like(x)
    else:
        rel = np.maximum(np.asarray(errors, float) / np.asarray(values, float), 1e-12)
        w = 1 / rel
    design = np.stack([x, np.ones_like(x)], axis=1) * w[:, None]
    coef, *_ = np.linalg.lstsq(design, y * w, rcond=None)
    resid = (y - (coef[0] * x + coef[1])) * w
    dof = max(x.size - 2, 1)
    cov = np.linalg.inv(design.T @ design)
    scale = float(resid @ resid / dof)
    if errors is not None:
        scale = max(scale, 1.0)  # never below the propagated standard errors
    return float(coef[0]), float(np.sqrt(cov[0, 0] * scale))
