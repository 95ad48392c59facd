"""Independent float64 NumPy/SciPy reference for the linear random-feature theory.

Direct transcription of THEORY §3.2–3.3 with per-point ``scipy.optimize.brentq`` root finding
(master equation in log κ₂, inner equation for κ_F in log κ_F) and the naive formulas of the
decomposition table (Var_XF as Signal − Bias² − Var_X − Var_F). Positive ridge only.

Feature noise (σ_ξ² > 0) two ways: ``rf_reference`` conditions on F and treats the model as
ridge regression on features of covariance C = FᵀΣF + σ_ξ² I, with the F-average written
through μ = κ₁ + σ_ξ² (the noise-free F-side relation at ridge μ); ``rf_substitution_reference``
transcribes THEORY §3.4's rule (n₁ → n₁ + σ_ξ²/(vκ₂) wherever n₁ appears) for one isotropic
layer.
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


def rf_reference(eigvals, target_weights, num_samples, ridge, noise_var, layers, feature_noise=0.0):
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

    sx = float(feature_noise)
    n_last = width(layers[-1][1])

    def mu_of(k, n):
        return k * np.prod([factor(v, x, n) for v, x in layers])

    def n_c(k):
        # Tr[C(C+κ₁)⁻¹] = N_L − κ₁ Tr[(FᵀΣF + μ)⁻¹], Tr[(FᵀΣF + μ)⁻¹] ≃ (N_L − n)/μ.
        n = n1(k)
        mu = mu_of(k, n)
        return N_L_minus(n) * (1.0 - (mu - sx) / mu) + n, mu

    def N_L_minus(n):
        return n_last - n

    def log_h(u):
        k = np.exp(u)
        nc, mu = n_c(k)
        if mu <= sx or nc >= p:
            return -1e3
        return np.log(mu - sx) + np.log(1.0 - nc / p) - np.log(lam)

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
    # Ridge regression on C given F: κ₁ = μ − σ_ξ², n_C = Tr[C(C+κ₁)⁻¹] = n + σ_ξ²(N_L − n)/μ,
    # n_C − Tr[C²(C+κ₁)⁻²] = −κ₁ dn_C/dκ₁ by finite differences of n_C along κ₂ (dμ/dκ₂ from
    # the same relation), and the population-ridge error w̄ᵀΣw̄ − T − κ₁‖a‖² with T ≃ w̄ᵀΣw̄ −
    # κ₂ tf₁(κ₂), ‖a‖² = −dT/dμ.
    nc, mu = n_c(k2)
    k1 = mu - sx
    h = 1e-6 * k2
    nc_p, mu_p = n_c(k2 + h)
    nc_m, mu_m = n_c(k2 - h)
    dnc_dk1 = (nc_p - nc_m) / (mu_p - mu_m)
    g1 = (nc + k1 * dnc_dk1) / p
    g2 = n2 / p
    tf1 = np.sum(w**2 * e / (e + k2))
    tf1p = np.sum(w**2 * e / (e + k2) ** 2)
    tf2 = np.sum(w**2 * e**2 / (e + k2) ** 2)
    dmu_dk2 = (mu_p - mu_m) / (2 * h)
    a_norm2 = tf2 / dmu_dk2
    bias = k2**2 * tf1p
    q = k2 * tf1 - k1 * a_norm2
    test = (q + noise_var * g1) / (1 - g1)
    var_x = bias * g2 / (1 - g2)
    var_f = q - bias
    signal = q / (1 - g1)
    return dict(
        kappa1=lam / (1 - nc / p),
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
        train=(1 - nc / p) ** 2 * (test + noise_var),
    )


def rf_substitution_reference(eigvals, target_weights, num_samples, ridge, noise_var, width, v, sx):
    """THEORY §3.4 rule for one isotropic layer: n₁ → n′ = n₁ + σ_ξ²/(vκ₂), n₂ unchanged, in the
    master equation, κ₁, dlogS, χ and γ₁ (E_g, E_tr, κ₁, τ, γ₁ only)."""
    e = np.asarray(eigvals, np.float64)
    w = np.asarray(target_weights, np.float64)
    p, lam, nw = float(num_samples), float(ridge), float(width)

    def nprime(k):
        return np.sum(e / (e + k)) + sx / (v * k)

    def log_h(u):
        k = np.exp(u)
        m = nprime(k)
        if m >= min(p, nw):
            return -1e3
        return u + np.log(1 - m / p) + np.log(v * (nw - m)) - np.log(lam)

    lo, hi = -80.0, 0.0
    while log_h(hi) <= 0:
        hi += 5.0
    k2 = np.exp(brentq(log_h, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=500))
    m = nprime(k2)
    n2 = np.sum(e**2 / (e + k2) ** 2)
    dlogs = m / (nw - m)
    tau = 1.0 / (1.0 + (m - n2) / m * dlogs)
    g1 = (m - (m - n2) * tau) / p
    tf1p = np.sum(w**2 * e / (e + k2) ** 2)
    tf2 = np.sum(w**2 * e**2 / (e + k2) ** 2)
    test = (k2**2 * tf1p + (1 - tau) * k2 * tf2 + noise_var * g1) / (1 - g1)
    return dict(
        kappa1=lam / (1 - m / p),
        kappa2=k2,
        gamma1=g1,
        test=test,
        train=(1 - m / p) ** 2 * (test + noise_var),
        tau_eff=tau,
    )


def rf_substitution_mp(
    eigvals, target_weights, num_samples, ridge, noise_var, width, v, sx, dps=40
):
    """``rf_substitution_reference`` in extended precision (mpmath, ``dps`` digits), λ > 0.

    The same transcription of THEORY §3.4's rule for one isotropic layer, evaluated with every
    sum, difference and root in ``dps``-digit arithmetic, so that its E_tr = (1 − n′/P)² E_out
    carries no cancellation at any P (the reference for ``train`` at P ≪ N). Returns floats.
    """
    import mpmath

    with mpmath.workdps(dps):
        e = [mpmath.mpf(float(x)) for x in np.asarray(eigvals, np.float64)]
        w2 = [mpmath.mpf(float(x)) ** 2 for x in np.asarray(target_weights, np.float64)]
        p, lam, nw = (mpmath.mpf(float(x)) for x in (num_samples, ridge, width))
        noise, v, sx = (mpmath.mpf(float(x)) for x in (noise_var, v, sx))

        def nprime(k):
            return mpmath.fsum(x / (x + k) for x in e) + sx / (v * k)

        def log_h(u):
            k = mpmath.exp(u)
            m = nprime(k)
            if m >= min(p, nw):
                return mpmath.mpf(-1000)
            return u + mpmath.log(1 - m / p) + mpmath.log(v * (nw - m)) - mpmath.log(lam)

        # log h is increasing (slope ≥ 1) in u = log κ₂ where it is defined: bisect into the
        # root's neighbourhood, then the secant method to full precision.
        lo, hi = mpmath.mpf(-80), mpmath.mpf(0)
        while log_h(hi) <= 0:
            hi += 5
        for _ in range(60):
            mid = (lo + hi) / 2
            if log_h(mid) > 0:
                hi = mid
            else:
                lo = mid
        u = mpmath.findroot(
            log_h, (lo, hi), solver="secant", tol=mpmath.mpf(10) ** (2 - 2 * dps), verify=False
        )
        k2 = mpmath.exp(u)
        m = nprime(k2)
        n2 = mpmath.fsum(x**2 / (x + k2) ** 2 for x in e)
        tau = 1 / (1 + (m - n2) / m * (m / (nw - m)))
        g1 = (m - (m - n2) * tau) / p
        tf1p = mpmath.fsum(a * x / (x + k2) ** 2 for a, x in zip(w2, e, strict=True))
        tf2 = mpmath.fsum(a * x**2 / (x + k2) ** 2 for a, x in zip(w2, e, strict=True))
        test = (k2**2 * tf1p + (1 - tau) * k2 * tf2 + noise * g1) / (1 - g1)
        out = dict(
            kappa1=lam / (1 - m / p),
            kappa2=k2,
            test=test,
            train=(1 - m / p) ** 2 * (test + noise),
        )
        return {name: float(value) for name, value in out.items()}
