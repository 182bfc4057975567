"""The jax engine (issue 13) against the dense engine, its errors and its cache.

Runs on CPU JAX (the dev extra installs it); the GPU smoke test is skipped with a reason
when no GPU is visible.
"""

from __future__ import annotations

import builtins
import importlib.util

import numpy as np
import pytest

import qbattery as qb
from qbattery.engines import DenseEngine
from qbattery.engines.jax_engine import JaxEngine, gpu_visible
from qbattery.errors import EngineError, MemoryLimitError, QBatteryError
from qbattery.operators import PauliSum, ProductState

RTOL = 1e-10
TIMES = np.linspace(0.0, 3.0, 7)


def random_battery(seed: int, n: int, *, mixed: bool = False) -> qb.Battery:
    rng = np.random.default_rng(seed)

    def random_sum(m: int) -> PauliSum:
        terms = [(rng.normal(), "".join(rng.choice(list("IXYZ"), n))) for _ in range(m)]
        return PauliSum.from_terms(terms, n=n)

    H0 = PauliSum.single_site(n, "Z", -0.5) + PauliSum.nearest_neighbour(n, "Z", "Z", 0.3)
    HC = random_sum(6)
    if mixed:
        w = rng.random(2**n)
        return qb.Battery(H0, HC, np.diag(w / w.sum()))
    amp = rng.normal(size=(n, 2)) + 1j * rng.normal(size=(n, 2))
    return qb.Battery(H0, HC, ProductState(amp / np.linalg.norm(amp, axis=1, keepdims=True)))


def close(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """1e-10 relative to the curve's largest value; 1e-13 absolute for curves that are 0."""
    scale = float(np.max(np.abs(b)))
    assert np.max(np.abs(np.asarray(a) - b)) <= RTOL * scale + 1e-13, what


CASES = [
    pytest.param(lambda: qb.models.single_qubit(), id="single-qubit"),
    pytest.param(lambda: qb.models.kbody(6, 2), id="kbody-N6-k2-eigenbasis"),
    pytest.param(lambda: qb.models.ising(7, 2, variant="tfim", normalize=False), id="tfim-N7"),
    pytest.param(lambda: random_battery(3, 5), id="random-pauli-N5"),
    pytest.param(lambda: random_battery(4, 4, mixed=True), id="mixed-N4"),
]


@pytest.mark.parametrize("make", CASES)
def test_agrees_with_dense(make):
    bat = make()
    eng, ref = JaxEngine(bat), DenseEngine(bat)
    m, r = eng.moments(TIMES), ref.moments(TIMES)
    for which in ("work", "power"):
        a, b = m.observable(which), r.observable(which)
        close(a.mean, b.mean, f"{which} mean")
        close(a.second, b.second, f"{which} second")
        close(a.cross0, b.cross0, f"{which} cross0")
        assert abs(a.var0 - b.var0) <= RTOL * max(1.0, abs(b.var0))
        fisher = eng.fisher(np.array([0.0, 0.37, 2.9, 1.1]), which)  # any times, any order
        assert fisher is not None, eng.notes
        close(fisher, ref.fisher(np.array([0.0, 0.37, 2.9, 1.1]), which), f"{which} fisher")
        close(eng.angle(TIMES, which), ref.angle(TIMES, which), f"{which} angle")
    close(m.cross, r.cross, "cross")
    close(m.fidelity, r.fidelity, "fidelity")


def test_product_eigenbasis_runs_on_the_device():
    """The k-body P0's product basis (Eigenbasis.factors) is applied site by site in the
    scan, not by a host callback; its power Fisher information equals dense's."""
    bat = qb.models.kbody(7, 2)
    assert bat.eigenbases["power"].factors is not None
    eng, ref = JaxEngine(bat), DenseEngine(bat)
    assert eng._sector["power"]["kind"] == "factors"
    t = np.array([0.0, 0.21, 1.3, 2.6])
    close(eng.fisher(t, "power"), ref.fisher(t, "power"), "power fisher")
    close(eng.angle(TIMES, "power"), ref.angle(TIMES, "power"), "power angle")


def test_charge_dataset_matches_dense():
    bat = qb.models.ising(6, 2, variant="tfim", normalize=False)
    ds = qb.charge(bat, TIMES, engine="jax", ergotropy=False)
    ref = qb.charge(bat, TIMES, engine="dense", ergotropy=False)
    assert ds.attrs["engine"] == "jax"
    for var in ("work_mean", "work_var", "power_var", "fidelity", "work_angle", "power_angle"):
        close(ds[var].values, ref[var].values, var)


def test_compile_is_cached_for_the_same_structure():
    first = JaxEngine(qb.models.ising(5, 2, variant="tfim", normalize=False))
    first.moments(TIMES)
    again = JaxEngine(qb.models.ising(5, 2, variant="tfim", normalize=False))
    again.moments(TIMES)  # a new engine, the same structure: nothing compiled again
    assert again.stats["compile_time_s"] == 0.0
    assert first.stats["terms"] >= 2
    assert first.stats["device"].startswith(("cpu", "cuda", "gpu"))


def test_missing_extra_names_it(monkeypatch):
    real_import, real_find = builtins.__import__, importlib.util.find_spec

    def no_jax(name, *args, **kwargs):
        if name == "jax" or name.startswith("jax."):
            raise ImportError("No module named 'jax'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jax)
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "jax" else real_find(n, *a)
    )
    monkeypatch.delitem(__import__("sys").modules, "jax", raising=False)
    with pytest.raises(QBatteryError, match=r"pip install qbattery\[jax\]"):
        JaxEngine(qb.models.ising(4, 2, variant="tfim"))
    assert "pip install qbattery[jax]" in JaxEngine.supports(qb.models.ising(4, 2))


def test_memory_guard_refuses_before_allocating(monkeypatch):
    bat = qb.models.ising(8, 2, variant="tfim", normalize=False)
    monkeypatch.setenv("QBATTERY_MEMORY_LIMIT", "100000")
    with pytest.raises(MemoryLimitError, match=r"jax engine for dimension 256.*needs about"):
        JaxEngine(bat)


def test_not_a_pauli_battery_too_large():
    rng = np.random.default_rng(0)
    d = 2048
    H0 = np.diag(rng.normal(size=d))
    bat = qb.Battery(H0, H0 * 0, np.eye(d)[0])
    assert "PauliSum" in JaxEngine.supports(bat)
    with pytest.raises(EngineError, match="cannot run this battery"):
        JaxEngine(bat)


def test_power_fisher_without_eigenbasis_is_nan_with_note(monkeypatch):
    import qbattery.engines.jax_engine as je

    monkeypatch.setattr(je, "EIG_MAX_DIM", 16)
    bat = qb.models.ising(6, 2, variant="tfim", normalize=False)
    eng = JaxEngine(bat)
    assert eng.fisher(TIMES, "power") is None
    assert "eigenbases" in eng.notes["power_fisher"]
    assert eng.fisher(TIMES, "work") is not None


@pytest.mark.skipif(not gpu_visible(), reason="no GPU visible to JAX (CPU-only machine)")
def test_gpu_smoke():  # pragma: no cover - needs a GPU
    bat = qb.models.ising(10, 2, variant="tfim", normalize=False)
    eng = JaxEngine(bat)
    assert "cuda" in eng.stats["device"].lower() or "gpu" in eng.stats["device"].lower()
    m, r = eng.moments(TIMES), DenseEngine(bat).moments(TIMES)
    close(m.work.second, r.work.second, "work second on GPU")


@pytest.mark.parametrize(
    ("dim", "pure", "gpu", "names", "expected"),
    [
        (2**16, True, True, ("dense", "krylov", "jax"), "jax"),
        (2**12, False, True, ("dense", "jax"), "dense"),  # mixed: dense
        (2**8, True, True, ("dense", "krylov", "jax"), "dense"),
        (2**16, True, False, ("dense", "krylov", "jax"), "krylov"),
        (2**16, True, True, ("dense", "krylov"), "krylov"),  # jax not installed
        (2**16, True, "cpu", ("dense", "krylov", "jax"), "jax"),  # CPU, compact Paulis
        (2**14, True, "cpu", ("dense", "krylov", "jax"), "krylov"),  # below 2^15 on CPU
        (2**16, False, "cpu", ("dense", "jax"), "dense"),  # mixed: dense
    ],
)
def test_choose_engine_table(dim, pure, gpu, names, expected):
    from qbattery.engines import choose_engine

    name, reason = choose_engine(
        dim, pure, {}, 201, 2**40, available=names, gpu=gpu is True, jax_cpu=gpu == "cpu"
    )
    assert name == expected, reason
    if name == "jax":
        assert ("GPU" if gpu is True else "measured faster than Krylov") in reason


def test_jax_cpu_suits_compact_pauli_structures() -> None:
    from qbattery.engines import JAX_CPU_MAX_FLIPS_PER_QUBIT, jax_cpu_suits

    assert jax_cpu_suits(qb.models.ising(8, 2, variant="tfim"))
    assert not jax_cpu_suits(qb.models.heisenberg(3))  # a matrix
    n = 6  # every pair and triple of X flips: more patterns than the limit allows
    terms = [(1.0, {i: "X", j: "X"}) for i in range(n) for j in range(i + 1, n)]
    terms += [(1.0, {i: "X", j: "X", k: "X"}) for i in range(n) for j in range(i + 1, n)
              for k in range(j + 1, n)]  # fmt: skip
    assert len(terms) > JAX_CPU_MAX_FLIPS_PER_QUBIT * n
    ham = PauliSum.from_terms(terms, n=n)
    h0 = PauliSum.from_terms([(1.0, {i: "Z"}) for i in range(n)], n=n)
    assert not jax_cpu_suits(qb.Battery(h0, ham, np.eye(2**n)[0]))
    assert jax_cpu_suits(qb.Battery(h0, PauliSum.from_terms(terms[:4], n=n), np.eye(2**n)[0]))
