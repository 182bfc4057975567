"""Sachdev–Ye–Kitaev (SYK) battery with Gaussian random couplings, and disorder averages."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

from qbattery._typing import TimesLike
from qbattery.battery import Battery
from qbattery.errors import InvalidInputError
from qbattery.models._common import cached_model, check_int, check_real, convention
from qbattery.models._literature import (
    check_qubits,
    product_ket,
    real_if_possible,
    site_operator,
    strict_parameters,
)

#: largest number of fermions (qubits) built as sparse matrices here
MAX_QUBITS = 16
#: the summary statistics of :func:`disorder_average`
STATISTICS = ("mean", "std", "sem", "min", "max")


def jordan_wigner(N: int) -> list[sp.csr_array]:
    r"""Annihilators c_i = (Π_{j<i} σ_z^{(j)}) |0⟩⟨1|_i of N complex fermions.

    Site i is occupied in |1⟩ (σ_z = −1), so n_i = (1 − σ_z^{(i)})/2.

    Examples
    --------
    >>> import numpy as np
    >>> c = jordan_wigner(3)
    >>> anti = (c[0] @ c[2].conj().T + c[2].conj().T @ c[0]).toarray()
    >>> bool(np.allclose(anti, 0)), bool(np.allclose((c[1] @ c[1]).toarray(), 0))
    (True, True)
    """
    lower = sp.csr_array(np.array([[0, 1], [0, 0]], dtype=complex))
    out = []
    for i in range(N):
        op = sp.identity(1, format="csr", dtype=complex)
        for j in range(N):
            if j < i:
                factor = sp.csr_array(np.diag([1.0, -1.0]).astype(complex))
            elif j == i:
                factor = lower
            else:
                factor = sp.identity(2, format="csr", dtype=complex)
            op = sp.kron(op, factor, format="csr")
        out.append(sp.csr_array(op))
    return out


def syk_couplings(
    N: int, q: int = 4, J: float = 1.0, seed: int = 0
) -> dict[tuple[tuple[int, ...], tuple[int, ...]], complex]:
    r"""The random couplings J_{I,K} of the complex SYK-q model, reproducible from ``seed``.

    I and K run over ordered index sets i_1 < … < i_{q/2}; J_{K,I} = J_{I,K}^* (so the
    Hamiltonian is Hermitian); for I ≠ K the real and imaginary parts are independent
    Gaussians with ⟨|J_{I,K}|²⟩ = σ², for I = K J_{I,I} is real with variance σ², where
    σ² = J² (q/2)! (q/2 − 1)! / N^{q−1} (the normalisation of Gu, Kitaev, Sachdev,
    Tarnopolsky, JHEP 2020, 157). Drawn with ``numpy.random.default_rng(seed)`` in the
    order of :func:`itertools.combinations`.

    Examples
    --------
    >>> c = syk_couplings(4, 4, seed=1)
    >>> len(c), c[((0, 1), (2, 3))] == c[((2, 3), (0, 1))].conjugate()
    (36, True)
    """
    m = q // 2
    sigma = J * np.sqrt(factorial(m) * factorial(m - 1) / N ** (q - 1))
    rng = np.random.default_rng(seed)
    sets = list(combinations(range(N), m))
    out: dict[tuple[tuple[int, ...], tuple[int, ...]], complex] = {}
    for a, I in enumerate(sets):
        out[(I, I)] = complex(sigma * rng.normal())
        for K in sets[a + 1 :]:
            z = sigma * (rng.normal() + 1j * rng.normal()) / np.sqrt(2)
            out[(I, K)] = complex(z)
            out[(K, I)] = complex(np.conj(z))
    return out


def syk_hamiltonian(N: int, q: int = 4, J: float = 1.0, seed: int = 0) -> sp.csr_array:
    r"""H_SYK = Σ_{I,K} J_{I,K} c_I^† c_K with c_I^† = c_{i_1}^† ⋯ c_{i_{q/2}}^†.

    c_K = (c_K^†)^† = c_{k_{q/2}} ⋯ c_{k_1}; it conserves the fermion number.
    """
    c = jordan_wigner(N)
    m = q // 2
    sets = list(combinations(range(N), m))
    create: dict[tuple[int, ...], sp.csr_array] = {}
    for I in sets:
        op = sp.identity(1 << N, format="csr", dtype=complex)
        for i in I:
            op = op @ c[i].conj().T
        create[I] = sp.csr_array(op)
    couplings = syk_couplings(N, q, J, seed)
    H = sp.csr_array((1 << N, 1 << N), dtype=complex)
    for I in sets:
        row = sp.csr_array((1 << N, 1 << N), dtype=complex)
        for K in sets:
            row = row + couplings[(I, K)] * create[K].conj().T
        H = H + create[I] @ row
    return sp.csr_array(H)


@strict_parameters
@cached_model
def syk(
    N: int,
    q: int = 4,
    J: float = 1.0,
    omega0: float = 1.0,
    *,
    seed: int = 0,
) -> Battery:
    r"""SYK quantum battery: N cells quenched from a transverse field to complex SYK-q.

    After Rossini, Andolina, Rosa, Carrega and Polini, *Quantum advantage in the
    charging process of Sachdev-Ye-Kitaev batteries*, Phys. Rev. Lett. **125**, 236402
    (2020): the N two-level cells, mapped to complex fermions by Jordan–Wigner
    (``jordan_wigner``), start in the ground state of a field transverse to the
    conserved fermion number, and charging switches the field off and the all-to-all
    random SYK-q interaction on:

    .. math:: H_0 = -\frac{\omega_0}{2}\sum_i \sigma_y^{(i)},\quad
       H_C = H_{\rm SYK} - H_0,\quad
       H_{\rm SYK} = \sum_{I,K} J_{I,K}\, c_I^\dagger c_K,

    so H = H0 + HC = H_SYK (a sudden quench), P0 = −i[H0, H_SYK], and |ψ0⟩ = ⊗|+y⟩
    (σ_y = +1 on every site). With σ_z in H0 the battery would commute with H_SYK and
    never charge. Couplings: ``syk_couplings`` (Gaussian, reproducible from
    ``seed``; q = 2 is the non-interacting SYK-2 that Rossini et al. contrast with
    q = 4). Conventions (field direction and sign, coupling normalisation) are this
    package's; they rescale energies and times but not NSRs at matching times.

    Parameters
    ----------
    N : int
        Number of cells (complex fermions), q/2 ≤ N ≤ 16.
    q : int
        Even interaction order ≥ 2 (q/2 creation and q/2 annihilation operators).
    J : float
        Coupling scale.
    omega0 : float
        Cell splitting of the battery field.
    seed : int
        Seed of the couplings. Use :func:`syk_ensemble` and :func:`disorder_average`
        for averages over realisations.

    Examples
    --------
    >>> import qbattery as qb
    >>> a, b = qb.models.syk(4, seed=3), qb.models.syk(4, seed=3)
    >>> a is b, bool(abs(a.H - qb.models.syk(4, seed=4).H).max() > 0)
    (True, True)
    """
    N = check_int("N", N, 2)
    q = check_int("q", q, 2)
    if q % 2:
        raise InvalidInputError(f"`q` must be even (q/2 creators and annihilators), got {q}")
    if q // 2 > N:
        raise InvalidInputError(f"SYK-{q} needs N ≥ q/2 = {q // 2} fermions, got N = {N}")
    check_qubits(N, MAX_QUBITS, "syk")
    J = check_real("J", J)
    omega0 = check_real("omega0", omega0)
    seed = check_int("seed", seed, 0)
    d = 1 << N
    H0 = sp.csr_array((d, d), dtype=complex)
    for i in range(N):
        H0 = H0 - (omega0 / 2) * site_operator(N, i, "Y")
    Hsyk = syk_hamiltonian(N, q, J, seed)
    plus_y = np.array([1.0, 1.0j], dtype=complex) / np.sqrt(2)
    return Battery(
        real_if_possible(sp.csr_array(H0)),
        sp.csr_array(Hsyk - H0),
        product_ket(N, plus_y),
        name="syk",
        params={"N": N, "q": q, "J": J, "omega0": omega0, "seed": seed},
        H=real_if_possible(Hsyk),
        structure={
            "H0_initial": -(omega0 / 2) * N,
            "convention": convention(
                H0="−(ω0/2) Σ σ_y",
                HC="H_SYK − H0",
                H="H0 + HC = H_SYK (a sudden quench: no H0 during charging)",
                P0="−i[H0, H_SYK] (unnormalised)",
                state="⊗|+y⟩ (ground state of H0)",
                fixed="J and the coupling variance of syk_couplings (see its docstring)",
            ),
        },
    )


def syk_ensemble(
    N: int,
    samples: int,
    q: int = 4,
    J: float = 1.0,
    omega0: float = 1.0,
    *,
    seed: int = 0,
) -> list[Battery]:
    """``samples`` SYK batteries with independent couplings, reproducible from ``seed``.

    Sample seeds come from ``numpy.random.SeedSequence(seed).spawn(samples)`` and are
    recorded in each battery's parameters.

    Examples
    --------
    >>> import qbattery as qb
    >>> [b.params["seed"] for b in qb.models.syk_ensemble(4, 2, seed=7)] == [
    ...     b.params["seed"] for b in qb.models.syk_ensemble(4, 2, seed=7)]
    True
    """
    samples = check_int("samples", samples, 1)
    children = np.random.SeedSequence(check_int("seed", seed, 0)).spawn(samples)
    seeds = [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]
    return [syk(N, q, J, omega0, seed=s) for s in seeds]


def disorder_average(
    batteries: Sequence[Battery],
    times: TimesLike,
    *,
    samples: bool = False,
    **charge_options: Any,
) -> xr.Dataset:
    r"""Every quantity of :func:`qbattery.charge` averaged over disorder realisations.

    Each battery is charged separately (same times and options) and the results are
    stacked along a ``sample`` dimension; the summary has a ``statistic`` dimension
    with the mean, standard deviation, standard error of the mean (std/√n), minimum and
    maximum over samples of every variable (NaNs, e.g. an NSR at t = 0, are skipped).
    Note that the mean of per-sample NSRs is not the NSR of the mean work.

    Parameters
    ----------
    batteries : sequence of Battery
        E.g. :func:`syk_ensemble`.
    times : array_like
    samples : bool
        Return the per-sample Dataset (dims ``sample``, ``time``) instead of the summary.
    **charge_options
        Passed to :func:`qbattery.charge` (``engine``, ``bounds``, ``cumulants``, …).

    Examples
    --------
    >>> import qbattery as qb
    >>> avg = qb.models.disorder_average(qb.models.syk_ensemble(4, 3), [0.5], bounds=False)
    >>> avg.work_mean.dims, avg.statistic.values[:2].tolist(), avg.attrs["samples"]
    (('statistic', 'time'), ['mean', 'std'], 3)
    """
    from qbattery.charge import charge

    if len(batteries) == 0:
        raise InvalidInputError("`batteries` is empty; pass e.g. qb.models.syk_ensemble(N, 10)")
    runs = [charge(b, times, **charge_options) for b in batteries]
    seeds = [b.params.get("seed", i) for i, b in enumerate(batteries)]
    stacked = xr.concat(runs, dim="sample", combine_attrs="drop_conflicts")
    stacked = stacked.assign_coords(sample=("sample", np.arange(len(runs))))
    stacked.attrs["sample_seeds"] = str(seeds)
    stacked.attrs["samples"] = len(runs)
    if samples:
        return stacked
    n = len(runs)
    with np.errstate(invalid="ignore", divide="ignore"):
        parts = [
            stacked.mean("sample", keep_attrs=True),
            stacked.std("sample", ddof=1 if n > 1 else 0, keep_attrs=True),
            stacked.std("sample", ddof=1 if n > 1 else 0, keep_attrs=True) / np.sqrt(n),
            stacked.min("sample", keep_attrs=True),
            stacked.max("sample", keep_attrs=True),
        ]
    summary = xr.concat(parts, dim="statistic", combine_attrs="override")
    summary = summary.assign_coords(statistic=("statistic", list(STATISTICS)))
    for name in summary.data_vars:
        summary[name].attrs = dict(runs[0][name].attrs)
    summary.attrs = dict(stacked.attrs)
    return summary
