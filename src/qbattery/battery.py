"""The battery: H0, HC and the initial state, converted and checked once."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from qbattery import _checks
from qbattery._optional import is_qobj
from qbattery._typing import Operator, OperatorLike, StateLike
from qbattery.eigenbasis import Eigenbasis
from qbattery.operators.apply import is_lazy

#: dimension above which a ``qutip.Qobj`` operator is kept sparse instead of dense
_QOBJ_DENSE_MAX = 4096


#: how to build a battery, the default advice of :func:`check_battery`
BUILD_BATTERY = "qb.Battery(H0, HC, state) or qb.models.*"


def check_battery(obj: object, build: str | None = BUILD_BATTERY) -> Battery:
    """Return ``obj`` if it is a :class:`Battery`, else raise (the one Battery type check).

    ``build`` names how to build one (``None``: no advice).

    Examples
    --------
    >>> from qbattery.errors import InvalidInputError
    >>> try:
    ...     check_battery("kbody", build="qb.models.kbody(N, k)")
    ... except InvalidInputError as err:
    ...     print(err)
    `battery` must be a qbattery.Battery, got str; build one with qb.models.kbody(N, k)
    """
    fix = None if build is None else f"build one with {build}"
    _checks.check_type("battery", obj, Battery, "qbattery.Battery", fix)
    return cast(Battery, obj)


def within_window(battery: Battery, times: np.ndarray) -> Battery:
    """The battery to use at ``times``: itself, or a truncated model rebuilt for them.

    A model checked only up to a time (``structure["valid_until"]``, e.g. the Dicke
    battery's Fock cutoff) that knows how to rebuild itself (``structure["rebuild"]``)
    is rebuilt with its window ending at the last time, with its truncation checked
    again; without a rebuild, later times are refused.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> bat = qb.models.dicke(2, coupling=0.2, t_max=5.0)
    >>> longer = within_window(bat, np.array([0.0, 20.0]))
    >>> longer.params["t_max"], longer.params["n_max"] >= bat.params["n_max"]
    (20.0, True)
    >>> within_window(bat, np.array([1.0])) is bat
    True
    """
    limit = battery.structure.get("valid_until")
    rebuild = battery.structure.get("rebuild")
    if (
        limit is not None
        and rebuild is not None
        and np.size(times)
        and float(times[-1]) > float(limit) * (1 + 1e-12)
    ):
        return cast(Battery, rebuild(float(times[-1])))
    _checks.check_time_window(battery.structure, times)
    return battery


def as_operator(name: str, operator: OperatorLike) -> Operator:
    """Convert numpy / scipy.sparse / ``qutip.Qobj`` / PauliSum input to an operator."""
    op: Any = operator
    if is_lazy(op):
        return op
    if is_qobj(op):
        op = op.data_as("csr_matrix") if op.shape[0] > _QOBJ_DENSE_MAX else op.full()
    if sp.issparse(op):
        return sp.csr_array(op, dtype=np.result_type(op.dtype, np.float64))
    arr = _checks.numeric_array(name, op)
    return np.asarray(arr, dtype=np.result_type(arr.dtype, np.float64))


def as_state(given: StateLike) -> np.ndarray | Any:
    """Convert a ket (``(d,)``, ``(d, 1)``) or density matrix (``(d, d)``) to an array."""
    state: Any = given
    if is_lazy(state):
        return state
    if is_qobj(state):
        state = state.full()
    if sp.issparse(state):
        state = state.toarray()
    return _checks.state_array(state)


def _op_check(name: str, op: Operator, atol: float) -> int:
    if is_lazy(op):
        d = _checks.check_square(name, op)
        dev = float(op.hermitian_deviation()) if hasattr(op, "hermitian_deviation") else 0.0
        scale = max(1.0, float(getattr(op, "max_abs", lambda: 1.0)()))
        _checks.check_symbolic_hermitian(name, dev, atol * scale)
        return d
    d = _checks.check_square(name, op)
    _checks.check_finite(name, op)
    _checks.check_hermitian(name, op, atol=atol)
    return d


def commutator_power(H0: Operator, HC: Operator) -> Operator:
    """P0 = −i[H0, HC] (Sec. II, Eq. A6), for arrays, sparse arrays or PauliSums."""
    if is_lazy(H0) and hasattr(H0, "commutator"):
        return -1j * H0.commutator(HC)  # type: ignore[arg-type]
    if sp.issparse(H0) or sp.issparse(HC):
        a = sp.csr_array(H0)
        b = sp.csr_array(HC)
        return sp.csr_array(-1j * (a @ b - b @ a))
    return np.asarray(-1j * (H0 @ HC - HC @ H0))


def add_operators(a: Operator, b: Operator) -> Operator:
    """a + b for any mix of arrays, sparse arrays and PauliSums."""
    if is_lazy(a) or is_lazy(b):
        return a + b
    if sp.issparse(a) and sp.issparse(b):
        return sp.csr_array(a + b)
    return np.asarray(to_dense(a) + to_dense(b))


def to_dense(op: Any) -> np.ndarray:
    """Dense ndarray of an operator or state."""
    if is_lazy(op):
        return np.asarray(op.to_dense())
    if sp.issparse(op):
        return np.asarray(op.toarray())
    return np.asarray(op)


def _check_eigenbases(
    given: Mapping[str, Eigenbasis] | None, ops: Mapping[str, tuple[str, Operator]], d: int
) -> dict[str, Eigenbasis]:
    """Validate ``eigenbases``: known keys, Eigenbasis values of dimension d, correct."""
    if given is None:
        return {}
    _checks.check_type("eigenbases", given, Mapping, "mapping like {'power': Eigenbasis(...)}")
    bases = dict(given)
    for key, basis in bases.items():
        _checks.check_eigenbasis_key(key, tuple(ops))
        _checks.check_type(f"eigenbases[{key!r}]", basis, Eigenbasis, "qbattery.Eigenbasis")
        _checks.check_same_dim(f"eigenbases[{key!r}]", basis.dim, d)
        name, op = ops[key]
        basis.check(op, name)
    return bases


def _check_jumps(jumps: object, d: int) -> tuple[Operator, ...]:
    """Convert and check jump operators: square, dimension d, finite (not Hermitian)."""
    if jumps is None:
        return ()
    out = []
    for k, given in enumerate(_checks.check_jump_list(jumps)):
        name = f"jumps[{k}]"
        op = as_operator(name, given)
        _checks.check_same_dim(name, _checks.check_square(name, op), d)
        if not is_lazy(op):
            _checks.check_finite(name, op)
        out.append(op)
    return tuple(out)


class Battery:
    """A quantum battery: battery and charging Hamiltonians, initial state, optional jumps.

    Parameters
    ----------
    H0 : array_like, scipy.sparse, qutip.Qobj or PauliSum, shape (d, d)
        Battery Hamiltonian H_0^B, the work counting observable W_0 (Sec. II).
    HC : same types, shape (d, d)
        Charging Hamiltonian H_t^C (time independent during charging).
    state : ket, shape (d,) or (d, 1), or density matrix, shape (d, d)
        Initial state ρ0.
    name : str, optional
        Model name recorded in results (default ``"custom"``).
    params : mapping, optional
        Model parameters recorded in results.
    H : operator, optional
        Evolution Hamiltonian; default H0 + HC (Eq. 1). The Ising model passes its
        normalised H (see :doc:`/readings`).
    P0 : operator, optional
        Power counting observable; default −i[H0, HC] (Sec. II).
    structure : mapping, optional
        Hints for structured engines (set by the built-in models).
    eigenbases : mapping, optional
        ``{"work": Eigenbasis, "power": Eigenbasis}`` (either or both): the eigenbasis of
        W0 = H0 or P0 for the Fisher-information bounds (Eq. 5), so that no engine has to
        diagonalise it. Needed by the Krylov engine when O0 is not diagonal in the
        computational basis and d > 1024; used by the dense engine too (it skips the
        O(d³) eigendecomposition). Each basis is checked against its operator on random
        vectors (:meth:`~qbattery.Eigenbasis.check`).
    jumps : list of operators, optional
        Lindblad jump operators L_k with their rates included (e.g. √γ σ−), same input
        types as H0; checked square, of dimension d and finite (not Hermitian). An open
        battery (non-empty ``jumps``) is run by the open engine (:doc:`/open`).
    counted : mapping, optional
        ``{jump index: energy per quantum}``: channels whose quanta are counted (heat
        Q = Σ_k ε_k N_k, e.g. photons leaving a cavity).
    hermitian_atol, state_atol : float
        Tolerances of the Hermiticity and state checks.

    Raises
    ------
    InvalidInputError
        For non-square, mismatched, non-Hermitian, non-finite operators, an unnormalised
        ket, or a density matrix that is not Hermitian, positive semidefinite, trace one.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> sz = np.diag([1.0, -1.0]); sx = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> bat = qb.Battery(-0.5 * sz, sx + 0.5 * sz, np.array([1.0, 0.0]))
    >>> bat.dim, bat.is_pure
    (2, True)
    """

    H0: Operator
    HC: Operator
    H: Operator
    P0: Operator
    state: Any
    dim: int
    is_pure: bool
    name: str
    params: Mapping[str, Any]
    structure: Mapping[str, Any]
    eigenbases: Mapping[str, Eigenbasis]
    jumps: tuple[Operator, ...]
    counted: Mapping[int, float]

    __slots__ = (
        "H",
        "H0",
        "HC",
        "P0",
        "__weakref__",
        "_frozen",
        "counted",
        "dim",
        "eigenbases",
        "is_pure",
        "jumps",
        "name",
        "params",
        "state",
        "structure",
    )

    def __init__(
        self,
        H0: OperatorLike,
        HC: OperatorLike,
        state: StateLike,
        *,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
        H: OperatorLike | None = None,
        P0: OperatorLike | None = None,
        structure: Mapping[str, Any] | None = None,
        eigenbases: Mapping[str, Eigenbasis] | None = None,
        jumps: list[OperatorLike] | tuple[OperatorLike, ...] | None = None,
        counted: Mapping[int, float] | None = None,
        hermitian_atol: float = _checks.DEFAULT_ATOL,
        state_atol: float = _checks.DEFAULT_ATOL,
    ) -> None:
        h0 = as_operator("H0", H0)
        hc = as_operator("HC", HC)
        d = _op_check("H0", h0, hermitian_atol)
        _checks.check_same_dim("HC", _op_check("HC", hc, hermitian_atol), d)
        h = add_operators(h0, hc) if H is None else as_operator("H", H)
        if H is not None:
            _checks.check_same_dim("H", _op_check("H", h, hermitian_atol), d)
        p0 = commutator_power(h0, hc) if P0 is None else as_operator("P0", P0)
        if P0 is not None:
            _checks.check_same_dim("P0", _op_check("P0", p0, hermitian_atol), d)
        st = as_state(state)
        if is_lazy(st):
            _checks.check_same_dim("state", int(st.shape[0]), d)
            pure = bool(getattr(st, "is_pure", True))
        else:
            _checks.check_same_dim("state", int(st.shape[0]), d)
            if st.ndim == 1:
                _checks.check_ket(st, atol=state_atol)
                pure = True
            else:
                evals = _checks.check_density(st, atol=state_atol)
                pure = bool(np.sum(evals > state_atol) == 1)
        bases = _check_eigenbases(eigenbases, {"work": ("H0", h0), "power": ("P0", p0)}, d)
        set_ = object.__setattr__
        set_(self, "H0", h0)
        set_(self, "HC", hc)
        set_(self, "H", h)
        set_(self, "P0", p0)
        set_(self, "state", st)
        set_(self, "dim", d)
        set_(self, "is_pure", pure)
        set_(self, "name", name or "custom")
        set_(self, "params", MappingProxyType(dict(params or {})))
        set_(self, "structure", MappingProxyType(dict(structure or {})))
        set_(self, "eigenbases", MappingProxyType(bases))
        set_(self, "jumps", _check_jumps(jumps, d))
        set_(self, "counted", MappingProxyType(_checks.check_counted(counted, len(self.jumps))))
        set_(self, "_frozen", True)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Battery is immutable; cannot set {key!r}")

    def __repr__(self) -> str:
        kind = "pure" if self.is_pure else "mixed"
        if self.jumps:
            kind += f", {len(self.jumps)} jumps"
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        d = self.dim
        dim = f"2^{d.bit_length() - 1}" if d > 2**64 and d & (d - 1) == 0 else str(d)
        conv = self.structure.get("convention", {})
        drive = f"; H = {conv['H']}" if "H" in conv else ""
        return f"Battery({self.name}{', ' if params else ''}{params}; dim={dim}, {kind}{drive})"

    def describe(self) -> str:
        """The battery's convention, one line each (docs/conventions.md).

        H0, HC, H (what drives the evolution), P0 and its normalisation, the initial state
        and what the model holds fixed as N grows, as recorded by the built-in models in
        ``structure["convention"]`` (plus model notes such as a k-body remainder block).
        A state set by :func:`qbattery.with_state` replaces the model's.

        Examples
        --------
        >>> import qbattery as qb
        >>> print(qb.models.kbody(5, 2).describe().splitlines()[-1][18:])
        a block of 1 cell(s) with the same Ω_k makes ‖H‖ = 3·kΩ0/N = 1.2, not Ω0 = 1
        """
        conv = dict(self.structure.get("convention", {}))
        if not conv:
            conv = {
                "H0": "as given",
                "HC": "as given",
                "H": "as given, else H0 + HC (Eq. 1)",
                "P0": "as given, else −i[H0, HC]",
                "state": "as given",
            }
        if "state" in self.params:
            conv["state"] = str(self.params["state"])
        width = max(len(k) for k in conv)
        head = repr(self)
        cut = head.find("; H = ")
        lines = [head if cut < 0 else head[:cut] + ")"]
        lines += [f"{k + ':':<{width + 1}} {v}" for k, v in conv.items()]
        return "\n".join(lines)

    @property
    def is_open(self) -> bool:
        """Whether the battery has jump operators (Lindblad charging)."""
        return bool(self.jumps)

    @property
    def is_ket(self) -> bool:
        """Whether the initial state was given as a ket."""
        return not is_lazy(self.state) and self.state.ndim == 1

    def ensemble(self, *, tol: float = 1e-14) -> tuple[np.ndarray, np.ndarray]:
        """Decompose ``ρ0 = Σ_k λ_k |φ_k⟩⟨φ_k|`` (λ_k > tol).

        Returns
        -------
        weights : ndarray, shape (r,)
        vectors : ndarray, shape (d, r)
        """
        st = to_dense(self.state) if is_lazy(self.state) else self.state
        if st.ndim == 1:
            return np.ones(1), st.reshape(-1, 1).astype(complex)
        if _checks.is_diagonal(st):  # a diagonal ρ0 (Gibbs state of a diagonal H0)
            evals = np.real(np.diagonal(st))
            keep = evals > tol
            idx = np.flatnonzero(keep)
            vecs = np.zeros((st.shape[0], idx.size), dtype=complex)
            vecs[idx, np.arange(idx.size)] = 1.0
            w = evals[keep]
            return w / w.sum(), vecs
        rho = (st + st.conj().T) / 2
        evals, evecs = np.linalg.eigh(rho)
        keep = evals > tol
        w = evals[keep]
        return w / w.sum(), evecs[:, keep]

    def dense(self, which: str) -> np.ndarray:
        """Dense matrix of ``"H0"``, ``"HC"``, ``"H"`` or ``"P0"``."""
        return to_dense(getattr(self, which))
