"""Type aliases for what the public API accepts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

if TYPE_CHECKING:
    from qbattery.operators import PauliSum

#: An operator: dense array, scipy.sparse matrix/array, ``qutip.Qobj`` or :class:`PauliSum`.
OperatorLike = Union[npt.ArrayLike, sp.spmatrix, sp.sparray, "PauliSum", Any]
#: A state: ket (shape ``(d,)`` or ``(d, 1)``), density matrix ``(d, d)``, or ``qutip.Qobj``.
StateLike = Union[npt.ArrayLike, "PauliSum", Any]
#: Times: a 1-D array-like of finite, non-negative, strictly increasing floats.
TimesLike = npt.ArrayLike
#: An operator after conversion.
Operator = Union[np.ndarray, sp.csr_array, "PauliSum"]
