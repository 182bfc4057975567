"""Ising-like chains with s-body σ_x strings, Eq. (10) and App. F (s-site strings)."""

from __future__ import annotations

from functools import partial
from typing import Literal

import numpy as np

from qbattery._checks import check_flag, check_memory
from qbattery.battery import Battery
from qbattery.ergotropy import uniform_field_spectrum
from qbattery.errors import InvalidInputError
from qbattery.models._common import cached_model, check_int, check_real, convention
from qbattery.operators import PauliSum, ProductState

Variant = Literal["paper", "tfim"]
PowerMode = Literal["paper", "rate"]

#: above this dimension the extreme eigenvalues of a tfim chain come from Lanczos (eigsh)
DENSE_SPECTRUM_MAX = 1024
#: peak bytes per site of building the chain's PauliSums and product state (measured for
#: the k-body model, whose operators have the same size: 180 B/site)
BYTES_PER_SITE = 256
#: complex vectors of dimension 2^N that ARPACK's eigsh holds (ncv = 20 Lanczos vectors,
#: its work vectors and the product's temporaries)
EIGSH_VECTORS = 28


def _spectrum_bytes(N: int) -> float:
    """Memory of the extreme eigenvalues of a tfim chain: dense eigh or ARPACK eigsh."""
    d = 2.0**N
    return 16 * d * d * 2 if d <= DENSE_SPECTRUM_MAX else 16 * d * EIGSH_VECTORS


def ising_strings(N: int, s: int) -> list[list[int]]:
    """Sites of the s-site strings σ_x^(i)…σ_x^(i+s−1), i = 0…N−s (open chain)."""
    return [list(range(i, i + s)) for i in range(N - s + 1)]


def paper_extremes(N: int, s: int, Omega: float) -> tuple[float, float]:
    r"""Exact E_min, E_max of H^T = −Ω Σ_{i=0}^{N−s} σ_x^(i)…σ_x^(i+s−1) (paper reading).

    The strings commute and are diagonal in the σ_x basis, where string i takes the
    value Π_{j=i}^{i+s−1} x_j with x_j = ±1. All x_j = +1 makes every string +1; choosing
    x_0 … x_{s−2} = +1 and then each new x_{i+s−1} so that string i is −1 makes every
    string −1 (each window adds one free sign). Hence the spectrum of S = Σ strings
    spans exactly [−(N−s+1), N−s+1] and

    .. math:: E_{\min} = -|\Omega|(N-s+1), \qquad E_{\max} = |\Omega|(N-s+1).

    Examples
    --------
    >>> paper_extremes(10, 3, 1.0)
    (-8.0, 8.0)
    """
    width = abs(Omega) * (N - s + 1)
    return -width, width


def _extreme_eigenvalues(H: PauliSum) -> tuple[float, float]:
    """Smallest and largest eigenvalue: dense for d ≤ 1024, else Lanczos on the PauliSum."""
    if H.shape[0] <= DENSE_SPECTRUM_MAX:
        ev = np.linalg.eigvalsh(H.to_dense())
        return float(ev[0]), float(ev[-1])
    from scipy.sparse.linalg import eigsh

    ends = eigsh(H.to_linear_operator(), k=2, which="BE", return_eigenvectors=False, tol=1e-13)
    return float(np.min(ends)), float(np.max(ends))


@cached_model
def ising(
    N: int,
    s: int,
    omega0: float = 2.0,
    Omega: float = 1.0,
    *,
    variant: Variant = "paper",
    power: PowerMode = "paper",
    normalize: bool = True,
) -> Battery:
    r"""Ising-like chain of N qubits with s-site σ_x strings (Eq. 10, App. F).

    H0 = −(ω0/2)Σσ_z; S = Σ_{i=1}^{N−s+1} σ_x^(i)…σ_x^(i+s−1) (s-site strings, :doc:`/readings`).

    * ``variant="paper"``: HC = −Ω S − H0, so H^T = H0 + HC = −Ω S (as the paper writes;
      the σ_z field cancels).
    * ``variant="tfim"``: HC = −Ω S, H^T = H0 − Ω S (a genuine transverse-field model).

    With ``normalize=True`` (the paper) the evolution uses
    H_norm = (H^T − E_min)/(E_max − E_min). The power counting operator is
    P0 = −i[H0, HC/‖H^T‖] for ``power="paper"`` and P0 = −i[H0, H_norm] (the exact rate
    of energy change) for ``power="rate"``; NSRs do not depend on this choice.

    Examples
    --------
    >>> from qbattery.models import ising
    >>> ising(4, 2).params["variant"]
    'paper'
    """
    N = check_int("N", N, 2)
    s = check_int("s", s, 1, N)
    omega0 = check_real("omega0", omega0)
    Omega = check_real("Omega", Omega)
    normalize = check_flag("normalize", normalize)
    if variant not in ("paper", "tfim"):
        raise InvalidInputError(f"`variant` must be 'paper' or 'tfim', got {variant!r}")
    if power not in ("paper", "rate"):
        raise InvalidInputError(f"`power` must be 'paper' or 'rate', got {power!r}")
    check_memory(f"ising(N={N}, s={s})", BYTES_PER_SITE * N, fix="use fewer sites")
    if variant == "tfim" and normalize:
        check_memory(
            f"the extreme eigenvalues of ising(N={N}, s={s}, variant='tfim') for "
            "normalize=True (ARPACK eigsh)",
            _spectrum_bytes(N),
            fix="use fewer sites, or normalize=False",
        )
    H0 = PauliSum.single_site(N, "Z", -(omega0 / 2))
    S = PauliSum.sliding(N, s, "X")
    HC = -Omega * S if variant == "tfim" else -Omega * S - H0
    HT = (H0 + HC).simplify()  # paper: the σ_z fields cancel exactly, HT = −Ω S
    params = {
        "N": N,
        "s": s,
        "omega0": omega0,
        "Omega": Omega,
        "variant": variant,
        "power": power,
        "normalize": normalize,
    }
    if not normalize:
        H, P_scale, e_min, e_max = HT, 1.0, float("nan"), float("nan")
    else:
        if variant == "paper":
            e_min, e_max = paper_extremes(N, s, Omega)
        else:
            e_min, e_max = _extreme_eigenvalues(HT)
        width = e_max - e_min
        if width <= 0:
            raise InvalidInputError(f"H^T of ising({N}, {s}) has a single eigenvalue")
        H = (HT - e_min) / width
        norm = max(abs(e_min), abs(e_max))
        P_scale = 1.0 / norm if power == "paper" else 1.0 / width
    P0 = -1j * P_scale * H0.commutator(HC)
    return Battery(
        H0,
        HC,
        ProductState.zeros(N),
        name="ising",
        params=params,
        H=H,
        P0=P0,
        structure={
            **params,
            "family": "ising",
            "E_min": e_min,
            "E_max": e_max,
            "H0_initial": -(omega0 / 2) * N,  # ⟨0…0|H0|0…0⟩
            "H0_spectrum": partial(uniform_field_spectrum, N, omega0),  # for ergotropy
            "convention": convention(
                H0="−(ω0/2) Σ σ_z",
                HC="−Ω S − H0 (paper)" if variant == "paper" else "−Ω S (tfim)",
                H=("(H^T − E_min)/(E_max − E_min), H^T = H0 + HC" if normalize else "H0 + HC")
                + (" = −Ω S before normalising" if variant == "paper" else ""),
                P0="−i[H0, HC]/‖H^T‖ (power='paper')"
                if power == "paper"
                else "−i[H0, H_norm] (power='rate')",
                state="|0⟩^⊗N (ground state of H0)",
                fixed="Ω per string; with normalize=True the spectrum of H spans [0, 1]",
            ),
        },
    )
