"""Miller's backward recurrence for J_0 … J_{n−1} against ``scipy.special.jv``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import jv

from qbattery.numerics.bessel import SERIES_BELOW, bessel_j_orders


def _ref(x: np.ndarray, n: int) -> np.ndarray:
    return np.asarray(jv(np.arange(n)[None, :], np.asarray(x)[:, None]))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 60.0), min_size=1, max_size=40),
    st.integers(1, 120),
)
def test_matches_scipy(xs: list[float], n: int) -> None:
    """Absolute agreement 1e-14 over x ∈ [0, 60] and up to 120 orders."""
    x = np.array(xs)
    assert np.max(np.abs(bessel_j_orders(x, n) - _ref(x, n))) < 1e-14


def test_series_and_recurrence_meet() -> None:
    """Both sides of the series threshold, tiny and zero arguments (relative 1e-13)."""
    x = np.array([0.0, 1e-300, 1e-12, SERIES_BELOW * 0.999, SERIES_BELOW * 1.001, 0.01])
    got, ref = bessel_j_orders(x, 30), _ref(x, 30)
    scale = np.where(ref == 0, 1.0, np.abs(ref))
    assert np.max(np.abs(got - ref) / scale) < 1e-13
    assert got[0].tolist() == [1.0] + [0.0] * 29


def test_large_spread_of_arguments() -> None:
    """Rescaling keeps small arguments finite when a large one sets the start order."""
    x = np.array([2e-3, 0.5, 100.0])
    got = bessel_j_orders(x, 140)
    assert np.all(np.isfinite(got))
    assert np.max(np.abs(got - _ref(x, 140))) < 1e-13


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="finite arguments x ≥ 0"):
        bessel_j_orders(np.array([-1.0]), 3)
    with pytest.raises(ValueError, match="finite arguments"):
        bessel_j_orders(np.array([np.nan]), 3)
