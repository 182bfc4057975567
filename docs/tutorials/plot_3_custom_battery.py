"""
Your own battery
================

The bounds of the paper hold for every closed battery, not only its models. Here we
build one ourselves — four qubits charged by a transverse drive plus a nearest-neighbour
exchange coupling — three ways (numpy, scipy.sparse, QuTiP), check that qbattery gives
the same numbers for each, and then start it from a thermal (mixed) state.
"""

# %%
# The operators from numpy
# ------------------------
# :math:`H_0 = -\frac{\omega_0}{2}\sum_j \sigma_z^{(j)}` is the battery; the charger is
# :math:`H_C = g\sum_j \sigma_x^{(j)} + J\sum_j (\sigma_x^{(j)}\sigma_x^{(j+1)} +
# \sigma_y^{(j)}\sigma_y^{(j+1)})`. Any Hermitian matrices will do.
from functools import reduce

import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg
import scipy.sparse as sp

import qbattery as qb

n, omega0, g, J = 4, 1.0, 0.6, 0.3
I2 = np.eye(2)
X = np.array([[0.0, 1.0], [1.0, 0.0]])
Y = np.array([[0.0, -1j], [1j, 0.0]])
Z = np.diag([1.0, -1.0])


def site(op, j):
    """``op`` on qubit ``j`` of ``n``, identity elsewhere."""
    return reduce(np.kron, [op if i == j else I2 for i in range(n)])


H0 = -omega0 / 2 * sum(site(Z, j) for j in range(n))
HC = g * sum(site(X, j) for j in range(n)) + J * sum(
    site(P, j) @ site(P, j + 1) for j in range(n - 1) for P in (X, Y)
)
psi0 = np.zeros(2**n)
psi0[0] = 1.0  # |0000>, the ground state of H0

battery = qb.Battery(H0, HC, psi0, name="xy-charger", params={"n": n, "g": g, "J": J})
print(battery)
t = np.linspace(0.0, 8.0, 161)
ds = qb.charge(battery, t)
print(ds.attrs["model"], ds.attrs["params"])

# %%
# The same battery from scipy.sparse and from QuTiP
# -------------------------------------------------
# Large operators are best built sparse; QuTiP users can pass ``Qobj`` directly
# (``pip install qbattery[qutip]``). The results agree to rounding.
import qutip  # noqa: E402 - imported where the tutorial needs it

H0_sparse = sp.csr_array(H0)
HC_sparse = sp.csr_array(HC)
ds_sparse = qb.charge(qb.Battery(H0_sparse, HC_sparse, psi0), t)

sx, sy, sz = qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()


def qsite(op, j):
    return qutip.tensor([op if i == j else qutip.qeye(2) for i in range(n)])


H0_q = -omega0 / 2 * sum(qsite(sz, j) for j in range(n))
HC_q = g * sum(qsite(sx, j) for j in range(n)) + J * sum(
    qsite(P, j) * qsite(P, j + 1) for j in range(n - 1) for P in (sx, sy)
)
psi0_q = qutip.basis([2] * n, [0] * n)
ds_qutip = qb.charge(qb.Battery(H0_q, HC_q, psi0_q), t)

for label, other in (("scipy.sparse", ds_sparse), ("QuTiP", ds_qutip)):
    worst = max(
        float(np.nanmax(np.abs(other[v] - ds[v]) / np.maximum(np.abs(ds[v]), 1e-300)))
        for v in ("work_mean", "work_var", "power_mean", "power_var", "work_bound")
        if np.isfinite(ds[v][1:]).any()
    )
    print(f"numpy vs {label}: max relative difference {worst:.1e}")
    assert worst < 1e-9

# %%
# The bounds hold for this battery too
# ------------------------------------
d = ds.isel(time=slice(1, None))
assert bool((d.work_nsr >= d.work_bound - 1e-9).all())
assert bool((d.power_nsr >= d.power_bound - 1e-9).all())
assert bool((d.nsr_product >= d.tradeoff_bound - 1e-9).all())

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
ax1.semilogy(t[1:], d.work_nsr, label="work NSR")
ax1.semilogy(t[1:], d.work_bound.where(d.work_bound > 0), ":", label="Eq. (5) bound")
ax1.semilogy(t[1:], d.power_nsr, label="power NSR")
ax1.set_ylim(1e-3, 1e3)
ax1.set_xlabel("time $t$")
ax1.legend(fontsize="small", loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
ax2.semilogy(t[1:], d.nsr_product, label="NSR product")
ax2.semilogy(t[1:], d.tradeoff_bound, ":", label="Eq. (6) bound")
ax2.set_xlabel("time $t$")
ax2.legend(fontsize="small", loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)

# %%
# A thermal start
# ---------------
# Any density matrix is a valid initial state. A Gibbs state of :math:`H_0` at inverse
# temperature :math:`\beta` starts the battery partly charged; the charging then
# delivers less work, and less reliably.
fig, ax = plt.subplots(figsize=(5.5, 3.4), layout="constrained")
for beta, color in ((np.inf, "C0"), (2.0, "C1"), (0.8, "C3")):
    if np.isinf(beta):
        state = psi0
    else:
        rho = scipy.linalg.expm(-beta * H0)
        state = rho / np.trace(rho)
    res = qb.charge(qb.Battery(H0, HC, state), t, bounds=False)
    print(f"β = {beta:g}: largest mean work {float(res.work_mean.max()):.3f}")
    ax.semilogy(t[1:], res.work_nsr[1:], color=color, label=f"β = {beta:g}")
    r = res.isel(time=slice(1, None))
    assert bool((r.nsr_product >= r.tradeoff_bound - 1e-9).all())
ax.set_xlabel("time $t$")
ax.set_ylabel("work NSR")
ax.set_ylim(1e-2, 1e3)
ax.legend(title="initial state", fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
