"""Batch products of any operator: the one way engines, models and bases apply one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

#: v ↦ op v for v of shape (b, d) (batch first)
Apply = Callable[[np.ndarray], np.ndarray]


def is_lazy(obj: Any) -> bool:
    """A symbolic operator/state (e.g. :class:`~qbattery.PauliSum`), not an array.

    Examples
    --------
    >>> import numpy as np
    >>> from qbattery.operators import PauliSum
    >>> is_lazy(PauliSum.single_site(2, "Z")), is_lazy(np.eye(4))
    (True, False)
    """
    return hasattr(obj, "to_dense") and hasattr(obj, "shape") and not isinstance(obj, np.ndarray)


def applier(op: Any) -> Apply:
    """A function v ↦ (op v) for v of shape (b, d) (batch first).

    ``op`` is a symbolic operator with a batch ``apply`` (e.g. a PauliSum), a
    scipy.sparse matrix or an array.

    Examples
    --------
    >>> import numpy as np
    >>> apply = applier(np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> apply(np.array([[1.0, 2.0]])).tolist()
    [[2.0, 1.0]]
    """
    if is_lazy(op) and hasattr(op, "apply"):
        return op.apply  # type: ignore[no-any-return,unused-ignore]
    if sp.issparse(op):
        csr = sp.csr_array(op)
        return lambda v: np.asarray((csr @ v.T).T)
    arr = np.asarray(op)
    return lambda v: np.asarray(v @ arr.T)
