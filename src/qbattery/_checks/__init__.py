"""Every input check and its message.

Message grammar: what is wrong, with the number, then how to fix it.
"""

from __future__ import annotations

from qbattery._checks.arrays import (
    check_density as check_density,
)
from qbattery._checks.arrays import (
    check_dimension as check_dimension,
)
from qbattery._checks.arrays import (
    check_finite as check_finite,
)
from qbattery._checks.arrays import (
    check_hermitian as check_hermitian,
)
from qbattery._checks.arrays import (
    check_ket as check_ket,
)
from qbattery._checks.arrays import (
    check_same_dim as check_same_dim,
)
from qbattery._checks.arrays import (
    check_square as check_square,
)
from qbattery._checks.arrays import (
    check_symbolic_hermitian as check_symbolic_hermitian,
)
from qbattery._checks.arrays import (
    is_diagonal as is_diagonal,
)
from qbattery._checks.arrays import (
    numeric_array as numeric_array,
)
from qbattery._checks.arrays import (
    state_array as state_array,
)
from qbattery._checks.times import (
    PHASE_LIMIT as PHASE_LIMIT,
)
from qbattery._checks.times import (
    check_phase_range as check_phase_range,
)
from qbattery._checks.times import (
    check_quadrature_panels as check_quadrature_panels,
)
from qbattery._checks.times import (
    check_time_window as check_time_window,
)
from qbattery._checks.times import (
    check_times as check_times,
)
from qbattery._checks.values import (
    DEFAULT_ATOL as DEFAULT_ATOL,
)
from qbattery._checks.values import (
    check_chi as check_chi,
)
from qbattery._checks.values import (
    check_counted as check_counted,
)
from qbattery._checks.values import (
    check_cumulant_order as check_cumulant_order,
)
from qbattery._checks.values import (
    check_distribution_kind as check_distribution_kind,
)
from qbattery._checks.values import (
    check_eigenbasis_key as check_eigenbasis_key,
)
from qbattery._checks.values import (
    check_flag as check_flag,
)
from qbattery._checks.values import (
    check_int as check_int,
)
from qbattery._checks.values import (
    check_jump_list as check_jump_list,
)
from qbattery._checks.values import (
    check_named_state as check_named_state,
)
from qbattery._checks.values import (
    check_observable as check_observable,
)
from qbattery._checks.values import (
    check_power as check_power,
)
from qbattery._checks.values import (
    check_real as check_real,
)
from qbattery._checks.values import (
    check_temperature as check_temperature,
)
from qbattery._checks.values import (
    check_tolerance as check_tolerance,
)
from qbattery._checks.values import (
    check_type as check_type,
)
from qbattery._memory import available_memory as available_memory  # re-exported
from qbattery._memory import check_memory as check_memory
from qbattery._memory import format_bytes as format_bytes
from qbattery._memory import format_dim as format_dim
