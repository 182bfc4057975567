r"""Block constants of the k-body model (Eq. 7): the one place they are computed.

N spins form n = ⌊N/k⌋ blocks of k spins and, when r = N − nk > 0, one block of r spins.
Sums over blocks of the squared block sizes, S₂ = Σ_j m_j² = nk² + r², set the variances
of the k-body model (Eq. 8, E3–E7).
"""

from __future__ import annotations


def kbody_blocks(N: int, k: int) -> tuple[int, int]:
    """(n, r): ⌊N/k⌋ full blocks of k spins and the r = N − nk spins of the last block.

    Works elementwise on integer arrays too (``numpy.divmod`` semantics).

    Examples
    --------
    >>> kbody_blocks(12, 5)
    (2, 2)
    """
    n, r = divmod(N, k)
    return n, r


def block_count(N: int, k: int) -> int:
    """Number of blocks: ⌊N/k⌋, plus one when k does not divide N.

    Examples
    --------
    >>> block_count(12, 5), block_count(12, 4)
    (3, 3)
    """
    n, r = kbody_blocks(N, k)
    return n + (1 if r else 0)


def block_sum_squares(N: int, k: int) -> int:
    """S₂ = Σ_j m_j² = nk² + r² over the blocks (exact for Python ints).

    Examples
    --------
    >>> block_sum_squares(12, 5)   # 25 + 25 + 4
    54
    """
    n, r = kbody_blocks(N, k)
    return n * k**2 + r**2
