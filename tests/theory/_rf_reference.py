"""Independent float64 NumPy/SciPy reference for the linear random-feature theory.

Direct transcription of THEORY §3.2–3.3 with per-point ``scipy.optimize.brentq`` root finding
(master equation in log κ₂, inner equation for κ_F in log κ_F) and the naive formulas of the
decomposition table (Var_XF as Signal − Bias² − Var_X − Var_F). Positive ridge only.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq


def _kappa_f(spectrum, n):
    """Solve Σ s/(s+κ) = n for κ (structured layer)."""
    d = spectrum.size - n
    lo = np.log(spectrum.min() * d / n) - 1.0
    hi = np.log(spectrum.max() * d / n) + 1.0
    lk = brentq(
        lambda x: np.sum(spectrum / (spectrum + np.exp(x))) - n,
        lo,
        hi,
        xtol=1e-14,
        rtol=1e-15,
        maxiter=500,
    )
    return np.exp(lk)


def rf_reference(eigvals, target_weights, num_samples, ridge, noise_var, layers):
    """``layers``: list of ``(v, width_or_spectrum)`` (float width = isotropic layer)."""
    e = np.asarray(eigvals, np.float64)
    w = np.asarray(target_weights, np.float64)
    e, w = e[e > 0], w[np.asarray(eigvals) > 0]
    p = float(num_samples)
    lam = float(ridge)
    layers = [(float(v), np.asarray(x, np.float64) if np.ndim(x) else float(x)) for v, x in layers]

    def n1(k):
        return np.sum(e / (e + k))

    def width(x):
        return x.size if np.ndim(x) else x

    m = min([p] + [width(x) for _, x in layers])
    if e.size > m:
        k0 = np.exp(brentq(lambda u: n1(np.exp(u)) - m, -80.0, 80.0, xtol=1e-15, rtol=1e-15))
    else:
        k0 = 0.0

    def factor(v, x, n):
        if np.ndim(x):
            return v * n * _kappa_f(x, n)
        return v * (x - n)

    def log_h(u):
        k = np.exp(u)
        n = n1(k)
        out = u + np.log(1.0 - n / p) - np.log(lam)
        for v, x in layers:
            out += np.log(factor(v, x, n))
        return out

    lo = np.log(k0) + 1e-9 if k0 > 0 else -80.0
    hi = lo + 1.0
    while log_h(hi) <= 0:
        hi += 2.0 * (hi - lo)
    u = brentq(log_h, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=500)
    k2 = np.exp(u)
    n = n1(k2)
    n2 = np.sum(e**2 / (e + k2) ** 2)
    dlogs = 0.0
    for _, x in layers:
        if np.ndim(x):
            kf = _kappa_f(x, n)
            n2f = np.sum(x**2 / (x + kf) ** 2)
            dlogs += n2f / (n - n2f)
        else:
            dlogs += n / (x - n)
    chi = 1.0 + (n - n2) / n * dlogs
    tau = 1.0 / chi
    g1 = (n - (n - n2) * tau) / p
    g2 = n2 / p
    tf1p = np.sum(w**2 * e / (e + k2) ** 2)
    tf2 = np.sum(w**2 * e**2 / (e + k2) ** 2)
    bias = k2**2 * tf1p
    test = (k2**2 * tf1p + (1 - tau) * k2 * tf2 + noise_var * g1) / (1 - g1)
    var_x = bias * g2 / (1 - g2)
    var_f = (1 - tau) * k2 * tf2
    signal = (bias + var_f) / (1 - g1)
    return dict(
        kappa1=lam / (1 - n / p),
        kappa2=k2,
        tau=tau,
        gamma1=g1,
        gamma2=g2,
        df1=n,
        df2=n2,
        bias=bias,
        var_x=var_x,
        var_f=var_f,
        var_xf=signal - bias - var_x - var_f,
        var_xnoise=noise_var * g2 / (1 - g2),
        var_xfnoise=noise_var * (g1 / (1 - g1) - g2 / (1 - g2)),
        test=test,
        test_out=test + noise_var,
        train=(1 - n / p) ** 2 * (test + noise_var),
    )
