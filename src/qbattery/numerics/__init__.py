"""Numerical kernels shared by engines and models (no physics, no engines).

:mod:`~qbattery.numerics.lanczos` (Lanczos propagation of kets with dense output),
:mod:`~qbattery.numerics.quadrature` (the adaptive θ quadrature of Eq. 5),
:mod:`~qbattery.numerics.cumulants` (cumulants from moments) and
:mod:`~qbattery.numerics.kbody` (the k-body block constants n, r and S₂).
"""

from qbattery.numerics.cumulants import cumulants_from_moments
from qbattery.numerics.kbody import block_count, block_sum_squares, kbody_blocks
from qbattery.numerics.lanczos import LanczosPropagator, single_blas_thread
from qbattery.numerics.quadrature import speed_angle

__all__ = [
    "LanczosPropagator",
    "block_count",
    "block_sum_squares",
    "cumulants_from_moments",
    "kbody_blocks",
    "single_blas_thread",
    "speed_angle",
]
