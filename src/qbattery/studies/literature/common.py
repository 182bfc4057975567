"""Shared pieces of the literature checks: the row record and the log-log exponent fit.

The fit is :func:`qbattery.studies.scaling.fit_exponent_error` (one home), re-exported
here as ``fit_exponent``.
"""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from qbattery.studies.scaling import fit_exponent_error as fit_exponent

__all__ = ["FAILS", "HOLDS", "Check", "fit_exponent"]

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
