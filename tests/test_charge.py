"""qb.charge: Dataset schema and attributes, times validation, NetCDF round trip."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import qbattery as qb
from qbattery._dataset import VARIABLES, dataset_params
from qbattery.errors import EngineError, InvalidInputError, MemoryLimitError


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return qb.charge(qb.models.kbody(4, 2), np.linspace(0, 2, 9))


def test_schema(ds):
    for name in VARIABLES:
        var = ds[name]
        assert var.dims == ("time",)
        assert var.dtype == np.float64
        assert {"long_name", "units", "eq"} <= set(var.attrs), name
    assert ds.attrs["model"] == "kbody"
    assert ds.attrs["engine"] in qb.engines.REGISTRY
    assert ds.attrs["engine_reason"]
    assert ds.attrs["qbattery_version"] == qb.__version__
    assert ds.attrs["wall_time_s"] > 0
    assert dataset_params(ds) == {"N": 4, "k": 2, "omega0": 1.0, "Omega0": 1.0, "scheme": "hybrid"}
    assert ds.attrs["param_k"] == 2


def test_netcdf_round_trip(ds, tmp_path):
    path = tmp_path / "out.nc"
    ds.to_netcdf(path)
    back = xr.load_dataset(path)
    xr.testing.assert_identical(ds, back)


@pytest.mark.parametrize(
    ("times", "match"),
    [
        pytest.param([0.0, -1.0], "must be non-negative, but the smallest is -1", id="negative"),
        pytest.param([0.0, 2.0, 1.0], r"strictly increasing, but times\[2\] = 1", id="unsorted"),
        pytest.param([0.0, 1.0, 1.0], "strictly increasing", id="repeated"),
        pytest.param([0.0, np.nan], "NaN or infinite", id="nan"),
        pytest.param([0.0, np.inf], "NaN or infinite", id="inf"),
        pytest.param([], "`times` is empty", id="empty"),
        pytest.param([[0.0, 1.0]], "must be 1-D", id="2d"),
        pytest.param(["a"], "array of real numbers", id="strings"),
    ],
)
def test_bad_times(times, match):
    with pytest.raises(InvalidInputError, match=match):
        qb.charge(qb.models.single_qubit(), times)


def test_scalar_time_and_zero():
    ds = qb.charge(qb.models.single_qubit(), 0.0)
    assert ds.sizes["time"] == 1


def test_unknown_engine():
    with pytest.raises(EngineError, match="unknown engine 'gpu'; choose one of"):
        qb.charge(qb.models.single_qubit(), [1.0], engine="gpu")


def test_memory_limit(monkeypatch):
    monkeypatch.setenv("QBATTERY_MEMORY_LIMIT", "1000")
    with pytest.raises(MemoryLimitError, match=r"needs about .* but only 1e\+03 B"):
        qb.charge(qb.models.kbody(4, 2), [1.0], engine="dense")


def test_memory_limit_before_any_allocation(monkeypatch):
    """A dimension that cannot fit fails at once with the estimate (no eigendecomposition)."""
    from qbattery.engines.dense import DenseEngine

    class Huge:
        dim = 2**20

    need = DenseEngine.memory_estimate(Huge(), 201)  # type: ignore[arg-type]
    assert need > 10 * 2**40  # ~ 10 d² complex numbers: 176 TiB
    with pytest.raises(MemoryLimitError, match="TiB"):
        qb._checks.check_memory("dense", need)


def test_bounds_false_gives_nan_with_note():
    ds = qb.charge(qb.models.single_qubit(), [0.5], bounds=False)
    assert np.isnan(ds.work_bound.values).all()
    assert "not requested" in ds.work_bound.attrs["note"]
