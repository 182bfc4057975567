"""Engine registry, the pure ``choose_engine`` heuristic, ``resolve`` and ``get_engine``.

Engines register themselves in :data:`REGISTRY`; :func:`resolve` turns a name (or
``"auto"``) into an engine class for a battery, raising a clear error when the engine
cannot run it or the size will not fit in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbattery import _checks
from qbattery.battery import Battery
from qbattery.engines.base import Engine, Moments, ObservableMoments
from qbattery.engines.cache import clear_engine_cache, prepared_engine
from qbattery.engines.dense import DenseEngine, dense_bytes
from qbattery.engines.jax_engine import JaxEngine, gpu_visible
from qbattery.engines.krylov import M_MIN, KrylovEngine
from qbattery.engines.open_blocks import OpenBlocksEngine
from qbattery.engines.open_engine import OpenEngine
from qbattery.engines.structured import StructuredEngine
from qbattery.errors import EngineError

#: name -> engine class; every registered engine is run by the contract tests
REGISTRY: dict[str, type[Engine]] = {}


def register(cls: type[Engine]) -> type[Engine]:
    """Add an engine class to :data:`REGISTRY` (usable as a decorator).

    The class is registered under its ``name``; it
    becomes a valid ``engine=`` of :func:`qbattery.charge` and a candidate of
    ``engine="auto"``.

    Examples
    --------
    >>> import qbattery as qb
    >>> @register
    ... class DenseCopy(DenseEngine):
    ...     name = "dense-copy"
    >>> resolve(qb.models.single_qubit(), "dense-copy", 3) == (DenseCopy, "requested")
    True
    >>> del REGISTRY["dense-copy"]  # leave the registry as it was
    """
    REGISTRY[cls.name] = cls
    return cls


register(DenseEngine)
register(KrylovEngine)
register(StructuredEngine)
register(JaxEngine)
register(OpenEngine)
register(OpenBlocksEngine)

#: for pure states the dense eigendecomposition is chosen up to this dimension; above it
#: the Krylov engine is faster (measured: benchmarks/bench_krylov.py, docs/engines.md)
DENSE_MAX_DIM = 1024
#: for mixed states (dense is the only general engine) up to this dimension by default
DENSE_MIXED_MAX_DIM = 8192
#: with a GPU visible, the jax engine is chosen from this dimension on (issue 13)
JAX_GPU_MIN_DIM = 2**12
#: on CPU only, from this dimension on, for a compact Pauli structure (below): measured
#: with benchmarks/jax_cpu.py on 2 cores, ising(N, 2, "tfim"), the jax engine's first
#: call (JAX start-up and compilation included) against the Krylov engine: 7.6 s vs 7.6 s
#: at d = 2^14, 13 s vs 24 s at 2^16, 47 s vs 108 s at 2^18
JAX_CPU_MIN_DIM: int | None = 2**15
#: compact: H has at most this many distinct bit-flip patterns per qubit (the fused
#: kernel gathers once per pattern; the TFIM and XXZ chains have one)
JAX_CPU_MAX_FLIPS_PER_QUBIT = 4


def jax_cpu_suits(battery: Battery) -> bool:
    """Whether ``battery``'s H is a :class:`~qbattery.PauliSum` with a compact flip structure
    (at most :data:`JAX_CPU_MAX_FLIPS_PER_QUBIT` × n distinct bit-flip patterns).

    Examples
    --------
    >>> import qbattery as qb
    >>> jax_cpu_suits(qb.models.ising(6, 2, variant="tfim"))
    True
    >>> jax_cpu_suits(qb.models.heisenberg(3))  # a matrix, not a PauliSum
    False
    """
    from qbattery.operators import PauliSum

    H = battery.H
    if not isinstance(H, PauliSum):
        return False
    flips = {
        frozenset(site for site, letter in ops.items() if letter in "XY") for _, ops in H.to_list()
    }
    n = max(1, int(battery.dim).bit_length() - 1)
    return len(flips - {frozenset()}) <= JAX_CPU_MAX_FLIPS_PER_QUBIT * n


def _jax_cpu_candidate(battery: Battery, able: tuple[str, ...]) -> bool:
    """``jax_cpu`` for :func:`choose_engine`, asking :func:`jax_cpu_suits` (which reads
    every Pauli string of H) only where its answer can matter: jax can run the battery,
    the structured engine cannot (it is preferred), and d ≥ :data:`JAX_CPU_MIN_DIM`."""
    return (
        "jax" in able
        and "structured" not in able
        and JAX_CPU_MIN_DIM is not None
        and battery.dim >= JAX_CPU_MIN_DIM
        and jax_cpu_suits(battery)
    )


def krylov_bytes(dim: int) -> int:
    """Memory of the Krylov engine with its smallest basis (8 vectors per ket)."""
    return int(16 * dim * (3 * (M_MIN + 1) + 14 + 3))


def _dim_text(dim: int) -> str:
    return _checks.format_dim(int(dim))


def choose_engine(
    dim: int,
    is_pure: bool,
    structure: Mapping[str, Any],
    ntimes: int,
    free_mem: int,
    available: tuple[str, ...] | None = None,
    gpu: bool = False,
    is_open: bool = False,
    jax_cpu: bool = False,
) -> tuple[str, str]:
    """Pick the fastest exact engine; return ``(name, reason)``.

    A pure function of the battery's dimension, purity and structure, whether it is
    open (``is_open``: it has jump operators; then ``open-blocks`` for the k-body models
    with per-cell dissipation, else ``open``), the number of
    times and the free memory (bytes); ``available`` (default: every registered engine)
    lists the engines that can run the battery (:func:`resolve` passes those whose
    ``supports`` accepts it); ``gpu``: a GPU is visible to JAX; ``jax_cpu``: the battery
    suits the jax engine on CPU (``jax_cpu_suits``). The order of preference:

    1. ``structured`` for the models it solves exactly (k-body; Ising in the paper's
       reading): independent of the dimension;
    2. ``jax`` for a pure state from :data:`JAX_GPU_MIN_DIM` with a GPU visible, or
       from :data:`JAX_CPU_MIN_DIM` on CPU when ``jax_cpu``, if its memory estimate fits;
    3. ``dense`` for a pure state up to :data:`DENSE_MAX_DIM`, for a mixed state up to
       :data:`DENSE_MIXED_MAX_DIM`, if it fits in ``free_mem``;
    4. ``krylov`` for a pure state if its basis fits;
    5. ``dense`` if it fits at all;
    6. otherwise the engine that needs the least memory, so that :func:`resolve` fails
       at once with its estimate and the limit.

    Examples
    --------
    >>> choose_engine(16, True, {}, 10, 2**30, available=("dense", "krylov"))
    ('dense', 'dimension 16 ≤ 1024: exact eigendecomposition')
    >>> choose_engine(2**16, True, {}, 201, 2**33, available=("dense", "krylov"))[0]
    'krylov'
    """
    names = tuple(REGISTRY) if available is None else tuple(available)
    if is_open and "open-blocks" in names and structure.get("family") == "kbody":
        return "open-blocks", (
            "open k-body model with per-cell dissipation: independent blocks (open-blocks)"
        )
    if is_open and "open" in names:
        return "open", "the battery has jump operators (Lindblad charging): open engine"
    closed = tuple(n for n in names if not n.startswith("open"))
    names = closed or names  # a closed battery: the closed engines are faster
    family = structure.get("family")
    if (
        "structured" in names
        and family in ("kbody", "ising")
        and (family == "kbody" or structure.get("variant", "paper") == "paper")
    ):
        return "structured", f"model family {family!r} has an exact structured solution"
    dtext = _dim_text(dim)
    dense_mem = dense_bytes(dim, ntimes)
    krylov_ok = "krylov" in names and is_pure
    krylov_mem = krylov_bytes(dim)
    dense_ok = "dense" in names
    limit = DENSE_MAX_DIM if is_pure else DENSE_MIXED_MAX_DIM
    jax_min = JAX_GPU_MIN_DIM if gpu else (JAX_CPU_MIN_DIM if jax_cpu else None)
    if "jax" in names and jax_min is not None and dim >= jax_min and is_pure:
        where = "a GPU is visible" if gpu else "CPU, measured faster than Krylov"
        if JaxEngine.memory_estimate_dim(dim, is_pure) <= free_mem:
            return "jax", f"dimension {dtext} ≥ {jax_min} and {where}: JAX Chebyshev engine"
    if dense_ok and dim <= limit and dense_mem <= free_mem:
        return "dense", f"dimension {dtext} ≤ {limit}: exact eigendecomposition"
    if krylov_ok and krylov_mem <= free_mem:
        return "krylov", f"dimension {dtext} > {limit} and a pure state: matrix-free Krylov"
    if dense_ok and dense_mem <= free_mem:
        why = "mixed state" if not is_pure else "no matrix-free engine available"
        return "dense", f"dimension {dtext}, {why}: dense eigendecomposition (fits in memory)"
    candidates = [(n, m) for n, m in (("krylov", krylov_mem), ("dense", dense_mem))]
    candidates = [(n, m) for n, m in candidates if n in names and (n != "krylov" or is_pure)]
    if not candidates:
        return names[0], f"dimension {dtext}: only {names[0]!r} can run this battery"
    name = min(candidates, key=lambda c: c[1])[0]
    return name, f"dimension {dtext}: no engine fits in memory ({name!r} needs the least)"


def resolve(battery: Battery, engine: str, ntimes: int) -> tuple[type[Engine], str]:
    """Engine class and the reason it was chosen; raise if it cannot run ``battery``.

    Raises
    ------
    EngineError
        For an unknown name, or an engine that cannot run the battery (the message
        names the engines that can).
    MemoryLimitError
        If the engine's memory estimate exceeds the available memory (the message gives
        both; ``QBATTERY_MEMORY_LIMIT`` caps the available memory).

    Examples
    --------
    >>> import qbattery as qb
    >>> cls, why = resolve(qb.models.heisenberg(4), "auto", 10)
    >>> cls is DenseEngine, why
    (True, 'dimension 16 ≤ 1024: exact eigendecomposition')
    >>> resolve(qb.models.kbody(4, 2), "auto", 10)[0].name
    'structured'
    >>> try:
    ...     resolve(qb.models.kbody(4, 2), "fast", 10)
    ... except EngineError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    unknown engine 'fast'; choose one of ['auto', 'dense', 'jax', ..., 'structured']
    """
    if engine == "auto":
        able = tuple(n for n, c in REGISTRY.items() if c.refuses(battery) is None)
        if not able:
            raise EngineError("no registered engine can run this battery")
        name, reason = choose_engine(
            battery.dim,
            battery.is_pure,
            battery.structure,
            ntimes,
            _checks.available_memory(),
            available=able,
            gpu="jax" in able and gpu_visible(),
            is_open=battery.is_open,
            jax_cpu=_jax_cpu_candidate(battery, able),
        )
    else:
        if engine not in REGISTRY:
            raise EngineError(
                f"unknown engine {engine!r}; choose one of {['auto', *sorted(REGISTRY)]}"
            )
        name, reason = engine, "requested"
    cls = REGISTRY[name]
    why_not = cls.refuses(battery)
    if why_not is not None and battery.is_open and not cls.open_systems:
        raise EngineError(why_not)
    if why_not is not None:
        raise EngineError(
            f"engine {name!r} cannot run this battery: {why_not}; "
            f"{_alternatives(battery, ntimes, name)}"
        )
    needed = cls.memory_estimate(battery, ntimes)
    what = f"engine {name!r} for dimension {_dim_text(battery.dim)}"
    if needed > _checks.available_memory():
        _checks.check_memory(what, needed, fix=_alternatives(battery, ntimes, name))
    return cls, reason


def _alternatives(battery: Battery, ntimes: int, refused: str) -> str:
    """Advice naming only the registered engines that can run ``battery`` and fit in memory.

    Each engine's ``supports`` and ``memory_estimate`` are asked; none fitting, the advice
    is a smaller system or fewer times.
    """
    avail = _checks.available_memory()
    fits = [
        n
        for n, c in sorted(REGISTRY.items())
        if n != refused
        and c.refuses(battery) is None
        and c.memory_estimate(battery, ntimes) <= avail
    ]
    if not fits:
        return "no registered engine can run it in memory: use a smaller system or fewer times"
    return f"use one of {fits}"


def get_engine(battery: Battery, engine: str = "auto", ntimes: int = 1) -> tuple[Engine, str]:
    """The prepared engine instance for ``battery`` (cached per battery) and the reason.

    :func:`resolve` picks the class; the instance is built once per battery and kept
    until :func:`clear_engine_cache` (see :mod:`qbattery.engines.cache`).

    Examples
    --------
    >>> import qbattery as qb
    >>> bat = qb.models.heisenberg(3)
    >>> eng, why = get_engine(bat)
    >>> eng.name, why, get_engine(bat)[0] is eng
    ('dense', 'dimension 8 ≤ 1024: exact eigendecomposition', True)
    """
    cls, reason = resolve(battery, engine, ntimes)
    return prepared_engine(battery, cls), reason


__all__ = [
    "REGISTRY",
    "DenseEngine",
    "Engine",
    "JaxEngine",
    "KrylovEngine",
    "Moments",
    "ObservableMoments",
    "OpenBlocksEngine",
    "OpenEngine",
    "choose_engine",
    "clear_engine_cache",
    "get_engine",
    "register",
    "resolve",
]
