"""Ising-like chains with s-body σ_x strings, Eq. (10) and App. F (SPEC §2 readings)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import scipy.sparse as sp

from qbattery.battery import Battery
from qbattery.errors import InvalidInputError
from qbattery.models._common import check_int, check_real, ground_product_state
from qbattery.operators import sum_z, x_string_sum

Variant = Literal["paper", "tfim"]
PowerMode = Literal["paper", "rate"]


def ising_strings(N: int, s: int) -> list[list[int]]:
    """Sites of the s-site strings σ_x^(i)…σ_x^(i+s−1), i = 0…N−s (open chain)."""
    return [list(range(i, i + s)) for i in range(N - s + 1)]


def _extreme_eigenvalues(H: sp.csr_array) -> tuple[float, float]:
    if H.shape[0] <= 4096:
        ev = np.linalg.eigvalsh(H.toarray())
        return float(ev[0]), float(ev[-1])
    from scipy.sparse.linalg import eigsh

    lo = eigsh(H, k=1, which="SA", return_eigenvectors=False, tol=1e-13)[0]
    hi = eigsh(H, k=1, which="LA", return_eigenvectors=False, tol=1e-13)[0]
    return float(lo), float(hi)


@lru_cache(maxsize=64)
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

    H0 = −(ω0/2)Σσ_z; S = Σ_{i=1}^{N−s+1} σ_x^(i)…σ_x^(i+s−1) (SPEC §2: s-site strings).

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
    if variant not in ("paper", "tfim"):
        raise InvalidInputError(f"`variant` must be 'paper' or 'tfim', got {variant!r}")
    if power not in ("paper", "rate"):
        raise InvalidInputError(f"`power` must be 'paper' or 'rate', got {power!r}")
    H0 = -(omega0 / 2) * sum_z(N)
    S = x_string_sum(N, ising_strings(N, s))
    HC = -Omega * S if variant == "tfim" else -Omega * S - H0
    HT = sp.csr_array(H0 + HC)
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
        e_min, e_max = _extreme_eigenvalues(HT)
        width = e_max - e_min
        if width <= 0:
            raise InvalidInputError(f"H^T of ising({N}, {s}) has a single eigenvalue")
        H = sp.csr_array((HT - e_min * sp.eye_array(HT.shape[0])) / width)
        norm = max(abs(e_min), abs(e_max))
        P_scale = 1.0 / norm if power == "paper" else 1.0 / width
    P0 = sp.csr_array(-1j * P_scale * (H0 @ HC - HC @ H0))
    return Battery(
        H0,
        HC,
        ground_product_state(N),
        name="ising",
        params=params,
        H=H,
        P0=P0,
        structure={**params, "family": "ising", "E_min": e_min, "E_max": e_max},
    )
