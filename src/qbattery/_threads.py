"""BLAS thread limits with threadpoolctl, its thread pools inspected once per process.

``threadpoolctl.threadpool_limits`` inspects every loaded library each time it is
entered (about 5 ms), a large share of a 13–20 ms sweep point; one
``ThreadpoolController`` made at the first use serves every later limit.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

from threadpoolctl import ThreadpoolController


@functools.cache
def _controller() -> ThreadpoolController:
    """The process's thread pools, inspected at the first use (after numpy and scipy load
    their BLAS: qbattery imports both)."""
    return ThreadpoolController()


def blas_threads(limit: int) -> AbstractContextManager[Any]:
    """A context in which BLAS libraries use at most ``limit`` threads.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> with blas_threads(1):
    ...     {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} <= {1}
    True
    """
    return _controller().limit(limits=limit, user_api="blas")


__all__ = ["blas_threads"]
