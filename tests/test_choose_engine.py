"""The pure ``choose_engine`` table and ``resolve``'s errors."""

from __future__ import annotations

import numpy as np
import pytest

import qbattery as qb
from qbattery.engines import DENSE_MAX_DIM, REGISTRY, choose_engine, resolve
from qbattery.errors import EngineError, MemoryLimitError
from tests.strategies import random_hermitian, random_ket

# ruff: noqa: E501  (the table reads best one case per line)

ALL = ("dense", "krylov", "structured")
GiB = 1024**3
KBODY = {"family": "kbody", "N": 12, "k": 3}
PAPER = {"family": "ising", "variant": "paper"}
TFIM = {"family": "ising", "variant": "tfim"}

# fmt: off
TABLE = [
    # dim, pure, structure, ntimes, free memory, available -> engine, words in the reason
    pytest.param(2**12, True, KBODY, 201, 16 * GiB, ALL, "structured", "exact structured", id="kbody-structured"),
    pytest.param(2**10, True, PAPER, 201, 16 * GiB, ALL, "structured", "'ising'", id="ising-paper-structured"),
    pytest.param(2**1_000_000, True, KBODY, 201, 16 * GiB, ALL, "structured", "kbody", id="kbody-N1e6-structured"),
    pytest.param(2**8, True, TFIM, 201, 16 * GiB, ALL, "dense", "≤ 1024", id="tfim-small-dense"),
    pytest.param(2**16, True, TFIM, 201, 16 * GiB, ALL, "krylov", "pure state", id="tfim-large-krylov"),
    pytest.param(64, True, {}, 10, 16 * GiB, ("dense", "krylov"), "dense", "eigendecomposition", id="custom-small"),
    pytest.param(DENSE_MAX_DIM, True, {}, 201, 16 * GiB, ("dense", "krylov"), "dense", "≤ 1024", id="at-limit"),
    pytest.param(DENSE_MAX_DIM + 1, True, {}, 201, 16 * GiB, ("dense", "krylov"), "krylov", "> 1024", id="above-limit"),
    pytest.param(2048, False, {}, 201, 16 * GiB, ("dense",), "dense", "≤ 8192", id="mixed-dense"),
    pytest.param(2**14, False, {}, 201, 1024 * GiB, ("dense",), "dense", "mixed state", id="mixed-large-fits"),
    pytest.param(2**14, True, {}, 201, 1024 * GiB, ("dense",), "dense", "no matrix-free", id="no-krylov"),
    pytest.param(1024, True, {}, 201, 100 * 1024**2, ("dense", "krylov"), "krylov", "pure state", id="dense-needs-too-much"),
    pytest.param(2**30, True, {}, 201, GiB, ("dense", "krylov"), "krylov", "no engine fits", id="nothing-fits-pure"),
    pytest.param(2**20, False, {}, 201, GiB, ("dense",), "dense", "no engine fits", id="nothing-fits-mixed"),
    pytest.param(2**20, True, KBODY, 201, 16 * GiB, ("dense", "krylov"), "krylov", "pure state", id="kbody-no-structured"),
    pytest.param(2**1_000_000, True, KBODY, 201, 16 * GiB, ("dense", "krylov"), "krylov", "2^1000000", id="huge-no-structured"),
]
# fmt: on


@pytest.mark.parametrize(
    ("dim", "pure", "structure", "ntimes", "free", "available", "expected", "words"), TABLE
)
def test_choose_engine_table(dim, pure, structure, ntimes, free, available, expected, words):
    name, reason = choose_engine(dim, pure, structure, ntimes, free, available=available)
    assert name == expected
    assert words in reason


def test_choose_engine_is_pure():
    args = (2**16, True, TFIM, 201, 16 * GiB, ALL)
    assert choose_engine(*args) == choose_engine(*args)


def test_auto_reason_goes_into_the_dataset(rng):
    bat = qb.Battery(random_hermitian(rng, 8), random_hermitian(rng, 8), random_ket(rng, 8))
    ds = qb.charge(bat, [0.0, 1.0], ergotropy=False)
    assert ds.attrs["engine"] == "dense"
    assert "exact eigendecomposition" in ds.attrs["engine_reason"]
    big = qb.models.ising(11, 2, variant="tfim")
    ds = qb.charge(big, [0.0, 0.5], bounds=False, ergotropy=False)
    assert ds.attrs["engine"] == "krylov"
    assert "matrix-free Krylov" in ds.attrs["engine_reason"]


def test_unknown_engine_lists_the_known_ones():
    with pytest.raises(
        EngineError, match=r"unknown engine 'fast'; choose one of \['auto', 'dense'"
    ):
        resolve(qb.models.single_qubit(), "fast", 3)


def test_wrong_engine_names_the_engines_that_can(rng):
    rho = np.diag([0.25, 0.25, 0.5, 0.0])
    bat = qb.Battery(random_hermitian(rng, 4), random_hermitian(rng, 4), rho)
    with pytest.raises(
        EngineError,
        match=r"engine 'krylov' cannot run this battery: .*use one of \['dense'(, 'jax')?(, 'open')?\]",
    ):
        resolve(bat, "krylov", 3)


def test_auto_skips_engines_that_cannot_run_the_battery(rng, monkeypatch):
    # a mixed state above the dense threshold still gets dense, never krylov
    monkeypatch.setattr("qbattery.engines.DENSE_MIXED_MAX_DIM", 4)
    rho = np.diag([0.5, 0.5, 0, 0, 0, 0, 0, 0]).astype(float)
    bat = qb.Battery(random_hermitian(rng, 8), random_hermitian(rng, 8), rho)
    cls, reason = resolve(bat, "auto", 3)
    assert cls.name == "dense"
    assert "mixed state" in reason


def test_memory_limit_fails_at_once_with_estimate_and_limit(monkeypatch):
    bat = qb.models.ising(12, 2, variant="tfim")
    monkeypatch.setenv("QBATTERY_MEMORY_LIMIT", str(50 * 1024**2))
    with pytest.raises(
        MemoryLimitError,
        match=r"engine 'dense' for dimension 4096 needs about 2\.\d+ GiB .* only 50 MiB is available",
    ):
        resolve(bat, "dense", 201)
    cls, _ = resolve(bat, "krylov", 201)  # the matrix-free engine fits
    assert cls.name == "krylov"


def test_astronomical_dimension_is_reported_as_a_power_of_two():
    bat = qb.models.kbody(10**6, 1000)
    assert bat.dim == 2**1_000_000
    with pytest.raises(
        MemoryLimitError, match=r"engine 'dense' for dimension 2\^1000000 needs about 2\^\d+ bytes"
    ):
        resolve(bat, "dense", 201)
    with pytest.raises(
        MemoryLimitError, match=r"engine 'krylov' for dimension 2\^1000000 needs about 2\^\d+ bytes"
    ):
        resolve(bat, "krylov", 201)
    if "structured" in REGISTRY:
        cls, reason = resolve(bat, "auto", 201)
        assert cls.name == "structured"
        assert "exact structured solution" in reason
    else:
        with pytest.raises(MemoryLimitError, match=r"dimension 2\^1000000"):
            resolve(bat, "auto", 201)
