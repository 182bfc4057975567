"""Krylov engine vs a QuTiP ``sesolve`` script: ``ising(N, 2, variant="tfim")``, 201 times.

Both sides run in fresh subprocesses, one after the other, on the same machine; peak
memory is the subprocess's peak resident set size (``resource.getrusage``, includes
the interpreter and imports, ~150 MiB). Times exclude building the model (shared: the
same ``qb.models.ising`` object, incl. its Lanczos E_min/E_max) and, for QuTiP, the
conversion of H, W0 and P0 to sparse matrices (favourable to QuTiP).

* krylov: ``qb.charge(bat, times, engine="krylov", ergotropy=False)``: means,
  variances, NSRs, their product, the trade-off bound, fidelity, the work speed angle
  and work bound (power bound NaN with a note beyond d = 1024).
* qutip: ``qutip.SESolver`` (Adams, atol = rtol = ``QUTIP_TOL``) on the block-diagonal
  I₃⊗H with initial state (ψ0, W0ψ0, P0ψ0)/norm, stepped through the times; at each time
  the means and variances of work and power from the three kets (two sparse products).

``max_rel_dev`` is max |krylov − qutip| / max |qutip| over the four curves (means and
variances). ``accuracy`` rows compare both with the dense engine at small N.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
T_MAX, NT = 20.0, 201
QUTIP_TOL = 1e-12
BUDGET_S = 60.0


def _times() -> np.ndarray:
    return np.linspace(0.0, T_MAX, NT)


def _curves_krylov(N: int) -> tuple[dict, np.ndarray]:
    import qbattery as qb

    bat = qb.models.ising(N, 2, variant="tfim")
    qb.charge(qb.models.ising(4, 2, variant="tfim"), [0.0, 1.0], engine="krylov")  # imports
    t0 = time.perf_counter()
    ds = qb.charge(bat, _times(), engine="krylov", ergotropy=False)
    elapsed = time.perf_counter() - t0
    curves = np.array([ds[v].values for v in ("work_mean", "work_var", "power_mean", "power_var")])
    assert np.all(np.isfinite(ds.work_bound.values[1:])), "work bound missing"
    return {"seconds": elapsed}, curves


def _curves_qutip(N: int) -> tuple[dict, np.ndarray]:
    import qutip
    import scipy.sparse as sp

    import qbattery as qb

    bat = qb.models.ising(N, 2, variant="tfim")
    d = bat.dim
    H, W, P = bat.H.to_sparse(), bat.H0.to_sparse(), bat.P0.to_sparse()
    psi0 = np.zeros(d, complex)
    psi0[0] = 1.0
    t0 = time.perf_counter()
    Hb = qutip.Qobj(sp.block_diag([H, H, H], format="csr"))
    v0 = np.concatenate([psi0, W @ psi0, P @ psi0])
    nrm = np.linalg.norm(v0)
    opts = {"atol": QUTIP_TOL, "rtol": QUTIP_TOL, "nsteps": 10**8, "method": "adams"}
    solver = qutip.SESolver(Hb, options=opts)
    solver.start(qutip.Qobj(v0 / nrm), 0.0)
    out = np.zeros((4, NT))
    for i, t in enumerate(_times()):
        v = (solver.step(t).full().ravel() if t > 0 else v0 / nrm) * nrm
        psi, phw, php = v[:d], v[d : 2 * d], v[2 * d :]
        dw, dp = W @ psi - phw, P @ psi - php
        out[0, i] = np.vdot(psi, dw).real
        out[1, i] = np.vdot(dw, dw).real - out[0, i] ** 2
        out[2, i] = np.vdot(psi, dp).real
        out[3, i] = np.vdot(dp, dp).real - out[2, i] ** 2
    return {"seconds": time.perf_counter() - t0}, out


def _curves_dense(N: int) -> tuple[dict, np.ndarray]:
    import qbattery as qb

    bat = qb.models.ising(N, 2, variant="tfim")
    ds = qb.charge(bat, _times(), engine="dense", bounds=False, ergotropy=False)
    curves = np.array([ds[v].values for v in ("work_mean", "work_var", "power_mean", "power_var")])
    return {}, curves


def _worker(method: str, N: int, out: str) -> None:
    import resource

    fn = {"krylov": _curves_krylov, "qutip": _curves_qutip, "dense": _curves_dense}[method]
    info, curves = fn(N)
    info["peak_MiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    np.save(out, curves)
    print(json.dumps(info))


def _run(method: str, N: int, timeout: float = 3600) -> tuple[dict, np.ndarray]:
    out = f"/tmp/qb_bench_{method}_{N}.npy"
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", method, str(N), out],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1]), np.load(out)


def _dev(a: np.ndarray, b: np.ndarray) -> float:
    return float(max(np.max(np.abs(x - y)) / np.max(np.abs(y)) for x, y in zip(a, b, strict=True)))


def _exponent(ns: list[int], secs: list[float]) -> float:
    """c in time ∝ 2^(c N) (least squares on log2 time)."""
    if len(ns) < 2:
        return float("nan")
    return float(np.polyfit(ns, np.log2(secs), 1)[0])


def run(quick: bool) -> tuple[str, list[dict]]:
    sizes = [10, 12] if quick else [14, 16, 18]
    rows: list[dict] = []
    kry_n, kry_s, qt_n, qt_s = [], [], [], []
    for N in sizes:
        ki, kc = _run("krylov", N)
        qi, qc = _run("qutip", N)
        kry_n.append(N)
        kry_s.append(ki["seconds"])
        qt_n.append(N)
        qt_s.append(qi["seconds"])
        rows.append(
            {
                "N": N,
                "krylov_s": ki["seconds"],
                "qutip_s": qi["seconds"],
                "speedup": qi["seconds"] / ki["seconds"],
                "krylov_peak_MiB": ki["peak_MiB"],
                "qutip_peak_MiB": qi["peak_MiB"],
                "max_rel_dev": _dev(kc, qc),
            }
        )
    # accuracy of both against the exact dense engine at a size dense handles
    n_acc = 8 if quick else 10
    _, dc = _run("dense", n_acc)
    _, kc = _run("krylov", n_acc)
    _, qc = _run("qutip", n_acc)
    rows.append(
        {
            "N": f"{n_acc}: vs dense",
            "krylov_s": "",
            "qutip_s": "",
            "speedup": "",
            "krylov_peak_MiB": "",
            "qutip_peak_MiB": "",
            "max_rel_dev": f"krylov {_dev(kc, dc):.1e}, qutip {_dev(qc, dc):.1e}",
        }
    )
    largest = max(n for n, s in zip(kry_n, kry_s, strict=True) if s <= BUDGET_S) if kry_s else 0
    if not quick:
        N = sizes[-1] + 2
        while True:  # how far the Krylov engine gets in BUDGET_S
            info, _ = _run("krylov", N)
            kry_n.append(N)
            kry_s.append(info["seconds"])
            rows.append(
                {
                    "N": N,
                    "krylov_s": info["seconds"],
                    "qutip_s": "",
                    "speedup": "",
                    "krylov_peak_MiB": info["peak_MiB"],
                    "qutip_peak_MiB": "",
                    "max_rel_dev": "",
                }
            )
            if info["seconds"] > BUDGET_S or N >= 24:
                break
            largest = N
            N += 2
    qt_largest = max((n for n, s in zip(qt_n, qt_s, strict=True) if s <= BUDGET_S), default=0)
    rows.append(
        {
            "N": "fit: time ∝ 2^(cN)",
            "krylov_s": f"c = {_exponent(kry_n, kry_s):.2f}",
            "qutip_s": f"c = {_exponent(qt_n, qt_s):.2f}",
            "speedup": "",
            "krylov_peak_MiB": "",
            "qutip_peak_MiB": "",
            "max_rel_dev": "",
        }
    )
    rows.append(
        {
            "N": f"largest N in {BUDGET_S:.0f} s",
            "krylov_s": str(largest),
            "qutip_s": f"{qt_largest} (of {qt_n})",
            "speedup": "",
            "krylov_peak_MiB": "",
            "qutip_peak_MiB": "",
            "max_rel_dev": "",
        }
    )
    title = (
        f"Krylov engine vs QuTiP sesolve (tol {QUTIP_TOL:g}): ising(N, 2, tfim), {NT} times "
        f"in [0, {T_MAX:g}]; peak = subprocess max RSS"
    )
    return title, rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.path.insert(0, str(HERE))
        from run import print_table

        print_table(*run("--quick" in sys.argv))
