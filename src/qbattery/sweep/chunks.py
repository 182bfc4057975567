"""How a sweep's grid is cut into tasks: blocks of points sized from a measured point.

A *block* is a hyper-rectangle of grid points, cut from the last grid axis first. It is
both one task (one call of :func:`~qbattery.sweep.worker.evaluate_chunk`) and one chunk
of every data variable of the store, so a finished task is one region write per
variable and no two tasks share a chunk. The ``status`` variable (the points'
completion records) is chunked alike and written after the data.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

#: wanted duration of one task (s): the ~0.1 s per-task overhead of Dask and of a
#: store write is then ≲ 10 % of the work
TARGET_TASK_S = 1.0
#: at least this many tasks per worker (load balance at the end of a sweep)
TASKS_PER_WORKER = 3
#: a sweep estimated to need less than this (s) runs in-process: a LocalCluster takes
#: ~2 s to start, and two workers save at most half the work
SERIAL_BELOW_S = 3.0


def points_per_task(seconds: float, todo: int, workers: int) -> int:
    """Points in one task: enough for :data:`TARGET_TASK_S`, few enough for balance.

    Examples
    --------
    >>> points_per_task(0.37, 216, 2)  # ~1.1 s tasks
    3
    >>> points_per_task(0.013, 210, 2)  # 77 points would be 1 s, but 6 tasks balance
    35
    >>> points_per_task(5.0, 10, 4)
    1
    """
    wanted = math.ceil(TARGET_TASK_S / max(seconds, 1e-6))
    balanced = math.ceil(todo / max(1, TASKS_PER_WORKER * workers))
    return max(1, min(wanted, balanced))


def block_shape(shape: tuple[int, ...], points: int) -> tuple[int, ...]:
    """A block of at most ``points`` grid points (≥ 1), filled from the last axis.

    Examples
    --------
    >>> block_shape((2, 9, 12), 3), block_shape((2, 9, 12), 30), block_shape((4,), 10)
    ((1, 1, 3), (1, 2, 12), (4,))
    """
    out = [1] * len(shape)
    room = max(1, points)
    for axis in reversed(range(len(shape))):
        out[axis] = max(1, min(shape[axis], room))
        if out[axis] < shape[axis]:
            break
        room //= shape[axis]
    return tuple(out)


def blocks(shape: tuple[int, ...], block: tuple[int, ...]) -> Iterator[tuple[slice, ...]]:
    """The blocks tiling a grid of ``shape``, in C order (the last ones may be smaller).

    Examples
    --------
    >>> [tuple((s.start, s.stop) for s in b) for b in blocks((3,), (2,))]
    [((0, 2),), ((2, 3),)]
    """
    starts = [range(0, n, b) for n, b in zip(shape, block, strict=True)]
    for corner in itertools.product(*starts):
        yield tuple(slice(c, min(c + b, n)) for c, b, n in zip(corner, block, shape, strict=True))


def block_indices(region: tuple[slice, ...]) -> list[tuple[int, ...]]:
    """The grid indices of a block, in C order.

    Examples
    --------
    >>> block_indices((slice(0, 2), slice(1, 3)))
    [(0, 1), (0, 2), (1, 1), (1, 2)]
    """
    return list(itertools.product(*(range(s.start, s.stop) for s in region)))


def balanced_block(shape: tuple[int, ...], points: int, workers: int) -> tuple[int, ...]:
    """:func:`block_shape` for up to ``points`` points, shrunk to no less than a third where that
    shortens the last round: the block minimising (rounds of blocks over ``workers``) ×
    (points per block).

    Examples
    --------
    >>> block_shape((1, 7, 30), 35), balanced_block((1, 7, 30), 35, 2)
    ((1, 1, 30), (1, 1, 15))
    """
    if workers <= 1:
        return block_shape(shape, points)
    best: tuple[int, int, tuple[int, ...]] | None = None
    for p in range(max(1, points), max(1, points // 3) - 1, -1):
        block = block_shape(shape, p)
        count = math.prod(-(-n // b) for n, b in zip(shape, block, strict=True))
        span = -(-count // max(1, workers)) * math.prod(block)
        if best is None or span < best[0]:
            best = (span, -math.prod(block), block)
    assert best is not None
    return best[2]
