"""Solver core for linear random-feature deterministic equivalents (private).

The model has ``L`` random layers; layer ``ℓ`` is either *isotropic* (width ``N_ℓ``, a traced
float) or *structured* (column spectrum ``s^{(ℓ)}``, width ``len(s^{(ℓ)})``). The static
``layout`` is a tuple of booleans, ``True`` for a structured layer. Every layer contributes a
factor ``B_ℓ = v_ℓ · n · κ_{F,ℓ}(n)`` to the master equation (THEORY §3.2)

    h(κ₂) := κ₂ · (1 − n/P) · Π_ℓ B_ℓ = λ,     n = n₁(κ₂) = Σ_k e_k/(e_k + κ₂),

with ``n κ_F = N − n`` for an isotropic layer.

Stable deficits (THEORY §5.6). Near the interpolation thresholds ``P − n`` and ``N_ℓ − n`` are
differences of nearly equal numbers. With κ₀ the ridgeless root (``n₁(κ₀) = m := min(P, N_ℓ)``
when ``rank Σ > m``, else ``κ₀ = 0``) and ``base = n₁(κ₀) = min(m, rank Σ)``, every deficit is
the sum of two non-negative parts,

    X − n = (X − base) + [n₁(κ₀) − n₁(κ₂)],
    n₁(κ₀) − n₁(κ₂) = (κ₂ − κ₀) Σ_k e_k / ((e_k + κ₀)(e_k + κ₂)),

computed without cancellation. The value is taken from this form and the derivative from the
direct form ``X − n₁(κ₂)`` (κ₀ does not depend on the parameters in the direct form), so
implicit derivatives are exact.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

from ._implicit import implicit_root, merge_stats, solve_increasing
from ._numerics import amplified

# --------------------------------------------------------------------------------------------
# Inner solve: κ_F(n) of a structured layer, Σ_j s_j/(s_j + κ_F) = n.
# --------------------------------------------------------------------------------------------


def _feature_log_equation(x, spectrum, n, deficit, use_n):
    """Increasing residual in x = log κ_F and its slope.

    With a_j = s_j/(s_j+κ) and b_j = κ/(s_j+κ): either ``log n − log Σa`` (well conditioned
    when n is small, κ large) or ``log Σb − log(N_F − n)`` (when n is close to the width). Both
    have slope ``Σab / Σa`` resp. ``Σab / Σb`` > 0.
    """
    kappa = jnp.exp(x)
    t = 1.0 / (spectrum + kappa)
    a = spectrum * t
    b = kappa * t
    sum_a = jnp.sum(a)
    sum_b = jnp.sum(b)
    c = jnp.sum(a * b)
    g = jnp.where(use_n, jnp.log(n) - jnp.log(sum_a), jnp.log(sum_b) - jnp.log(deficit))
    dg = jnp.where(use_n, c / sum_a, c / sum_b)
    return g, dg


def _solve_feature_kappa(spectrum, n, deficit):
    """κ_F(n) for a column spectrum ``s > 0`` with ``0 < n``, ``deficit = len(s) − n >= 0``."""
    dtype = spectrum.dtype
    eps = jnp.finfo(dtype).eps
    binding = deficit <= 0
    n_safe = jnp.where(n > 0, n, 1.0)
    d_safe = jnp.where(binding, 1.0, deficit)
    # Σ s/(s+κ) = n lies between N_F s_min/(s_min+κ) and N_F s_max/(s_max+κ), so
    # κ ∈ [s_min d/n, s_max d/n].
    log_ratio = jnp.log(d_safe) - jnp.log(n_safe)
    lo = jnp.log(jnp.min(spectrum)) + log_ratio
    hi = jnp.log(jnp.max(spectrum)) + log_ratio
    use_n = n_safe < d_safe
    x, stats = solve_increasing(
        _feature_log_equation,
        lo,
        hi,
        0.5 * (lo + hi),
        (spectrum, n_safe, d_safe, use_n),
        g_tol=8.0 * eps,
    )
    # A binding width has κ_F = 0 by definition: the guarded solve there is discarded.
    stats = stats._replace(converged=stats.converged | binding)
    return jnp.where(binding, jnp.zeros_like(x), jnp.exp(x)), stats


def _feature_residual(kappa, spectrum, n, deficit):
    """Tr[Σ_F(Σ_F + κ)⁻¹] − n and its slope −Σ s/(s+κ)² < 0; defined at κ = 0 (s > 0)."""
    del deficit
    t = 1.0 / (spectrum + kappa)
    return jnp.sum(spectrum * t) - n, -jnp.sum(spectrum * t * t)


# κ_F(s, n, deficit) and its RootStats, differentiated by the implicit function theorem.
feature_kappa = implicit_root(_solve_feature_kappa, _feature_residual)


# --------------------------------------------------------------------------------------------
# Per-point pieces shared by the solver, the implicit tangent and the error formulas.
# --------------------------------------------------------------------------------------------


def eig_fractions(eigvals, kappa):
    """r = e/(e+κ), s = κ/(e+κ), both 0 for e = 0 (null space)."""
    positive = eigvals > 0
    denom = jnp.where(positive, eigvals + kappa, 1.0)
    return jnp.where(positive, eigvals / denom, 0.0), jnp.where(positive, kappa / denom, 0.0)


def deficit_from_base(gap_to_base, stable_drop, direct):
    """Value ``gap_to_base + stable_drop`` (no cancellation), derivative of ``direct``."""
    return lax.stop_gradient(gap_to_base + stable_drop) + (direct - lax.stop_gradient(direct))


class Layers:
    """Per-layer factors at one κ₂ (plain container, built inside traced code)."""

    def __init__(self, log_b, b, c, num, den, deficit, converged):
        self.log_b = log_b  # log B_ℓ
        self.b = b  # B_ℓ = v_ℓ n κ_F
        self.c = c  # C_ℓ = B_ℓ · dlogS_ℓ (finite at a binding width)
        self.num = num  # dlogS_ℓ = num_ℓ / den_ℓ
        self.den = den
        self.deficit = deficit  # N_ℓ − n (stable value, exact derivative)
        self.converged = converged  # every inner κ_F solve converged


def layer_terms(layout, n, drop, base, widths, fvars, spectra):
    """B_ℓ, C_ℓ and dlogS_ℓ = num/den for each layer at n = n₁(κ₂).

    ``drop`` = n₁(κ₀) − n₁(κ₂) (stable, ≥ 0) and ``base`` = n₁(κ₀) give the deficits.
    """
    log_b, b, c, num, den, deficit = [], [], [], [], [], []
    converged = jnp.asarray(True)
    it = iter(spectra)
    for ell, structured in enumerate(layout):
        v = fvars[ell]
        if structured:
            spectrum = next(it)
            width = jnp.asarray(spectrum.shape[0], n.dtype)
            d = deficit_from_base(width - base, drop, width - n)
            kappa_f, stats = feature_kappa(spectrum, n, d)
            converged = converged & stats.converged
            t = 1.0 / (spectrum + kappa_f)
            a = spectrum * t
            n2f = jnp.sum(a * a)
            q = jnp.sum(spectrum * t * t)  # Σ s/(s+κ_F)²; n − n₂F = κ_F q
            safe_kf = jnp.where(kappa_f > 0, kappa_f, 1.0)
            log_b.append(jnp.log(v) + jnp.log(n) + jnp.log(safe_kf))
            b.append(v * n * kappa_f)
            c.append(v * n * n2f / q)
            num.append(n2f)
            den.append(kappa_f * q)
            deficit.append(d)
        else:
            width = widths[ell]
            d = deficit_from_base(width - base, drop, width - n)
            safe_d = jnp.where(d > 0, d, 1.0)
            log_b.append(jnp.log(v) + jnp.log(safe_d))
            b.append(v * d)
            c.append(v * n)
            num.append(n)
            den.append(d)
            deficit.append(d)
    return Layers(log_b, b, c, num, den, deficit, converged)


def prod(xs, one):
    out = one
    for x in xs:
        out = out * x
    return out


def prod_except(xs, skip, one):
    return prod([x for k, x in enumerate(xs) if k != skip], one)


def point_terms(layout, kappa2, kappa0, base, eigvals, num_samples, widths, fvars, spectra):
    """Everything at one κ₂ that the equation and the errors need (differentiable)."""
    r, s = eig_fractions(eigvals, kappa2)
    n = jnp.sum(r)
    nmn2 = jnp.sum(r * s)  # n − n₂ = Σ κe/(e+κ)², term by term
    r0, _ = eig_fractions(eigvals, kappa0)
    positive = eigvals > 0
    inv = jnp.where(positive, 1.0 / jnp.where(positive, eigvals + kappa2, 1.0), 0.0)
    drop = jnp.maximum(kappa2 - kappa0, 0.0) * jnp.sum(r0 * inv)
    drop = lax.stop_gradient(drop)
    base_s = lax.stop_gradient(base)
    def_p = deficit_from_base(num_samples - base_s, drop, num_samples - n)
    layers = layer_terms(layout, n, drop, base_s, widths, fvars, spectra)
    return r, s, n, nmn2, def_p, layers, drop


def refine_deficits(
    layout,
    kappa2,
    n,
    drop,
    base,
    def_p,
    layers,
    rank,
    num_samples,
    ridge,
    fnoise,
    widths,
    fvars,
    spectra,
):
    """Deficits at the solution with the binding one taken from the master equation.

    As λ → 0 below rank Σ the binding deficit D = m − n (m = min(P, N_ℓ)) vanishes while κ₂
    stays accurate to a few ulps; D formed from n (or from κ₂ − κ₀) then keeps only
    ``eps·m/D`` of relative accuracy. Without feature noise λ = h(κ₂) = κ₂ (P − n)/P Π B_ℓ, and
    each of the ``k ≥ 1`` factors of the binding sizes (every size equal to m) is proportional
    to D: P − n = D, B_ℓ = v_ℓ D for an isotropic layer, B_ℓ = v_ℓ n κ_F with
    κ_F = D/Σ_j s_j⁻¹ · (1 + O(D)) for a structured one. So ``D·(λ/h)^{1/k}``, with h formed
    from the first D, is D to the accuracy of κ₂ (to O(D) times the first error for a
    structured layer; k = 2 on a threshold P = N). At λ = 0, D = 0 exactly. Every deficit is
    then ``X − n = (X − m) + D``, without cancellation (values only: derivatives stay those of
    ``X − n``). Left as they are with feature noise and where rank Σ ≤ m. Returns
    ``(def_p, layers)``.
    """
    one = jnp.ones_like(kappa2)
    sizes = [num_samples] + [widths[ell] for ell in range(len(layout))]
    m = jnp.min(jnp.stack(sizes))
    binding = sum((x == m).astype(kappa2.dtype) for x in sizes)
    h = kappa2 * (def_p / num_samples) * prod(layers.b, one)
    old = (m - base) + drop
    common = (fnoise == 0) & (rank > m) & (binding > 0)
    ok = common & (ridge > 0) & (h > 0) & (old > 0)
    ratio = ridge / jnp.where(ok, h, 1.0)
    new = old * ratio ** (1.0 / jnp.maximum(binding, 1.0))
    new = jnp.where(ridge > 0, new, 0.0)
    use = ok | (common & (ridge == 0))
    refined = lax.stop_gradient(jnp.where(use, new, drop))
    base = lax.stop_gradient(jnp.where(use, m, base))
    def_p = deficit_from_base(num_samples - base, refined, num_samples - n)
    return def_p, layer_terms(layout, n, refined, base, widths, fvars, spectra)


def _ridgeless_log_equation(u, eigvals, m):
    """log m − log n₁(e^u), increasing in u = log κ, with slope (n₁ − n₂)/n₁."""
    r, s = eig_fractions(eigvals, jnp.exp(u))
    n = jnp.sum(r)
    return jnp.log(m) - jnp.log(n), jnp.sum(r * s) / n


def ridgeless_root(eigvals, m):
    """κ₀ with n₁(κ₀) = m when rank Σ > m, else 0, and its RootStats (value only).

    Bracket: n₁(κ) ≤ TrΣ/κ and n₁(κ) ≥ rank·e_min/(e_min + κ), so
    κ₀ ∈ [e_min (rank − m)/m, TrΣ/m].
    """
    dtype = eigvals.dtype
    eps = jnp.finfo(dtype).eps
    positive = eigvals > 0
    rank = jnp.sum(positive).astype(dtype)
    over = rank > m
    m_safe = jnp.where(over, m, 0.5 * rank)
    e_min = jnp.min(jnp.where(positive, eigvals, jnp.inf))
    lo = jnp.log(e_min) + jnp.log(rank - m_safe) - jnp.log(m_safe)
    hi = jnp.log(jnp.sum(eigvals)) - jnp.log(m_safe)
    u, stats = solve_increasing(
        _ridgeless_log_equation, lo, hi, 0.5 * (lo + hi), (eigvals, m_safe), g_tol=8.0 * eps
    )
    # Below the rank the root is 0 by definition: nothing was solved there.
    stats = stats._replace(converged=stats.converged | ~over)
    return jnp.where(over, jnp.exp(u), jnp.zeros_like(u)), stats


# --------------------------------------------------------------------------------------------
# The master equation and κ₂.
# --------------------------------------------------------------------------------------------


def noise_shift(fnoise, mu, last_deficit):
    """σ_ξ²/μ and the extra degrees of freedom δ = (σ_ξ²/μ)(N_L − n) of the noisy features.

    With additive feature noise the learner's feature covariance is ``C = FᵀΣF + σ_ξ² I`` and
    ``n_C := Tr[C(C + κ₁)⁻¹] = n + δ`` with ``μ = κ₁ + σ_ξ² = κ₂ Π_ℓ B_ℓ`` (module docstring of
    ``features``). ``μ > 0`` wherever it is used with ``σ_ξ² > 0``; the guard keeps σ_ξ² = 0
    (μ may be 0 at a binding width) exactly noise-free.
    """
    mu_safe = jnp.where(mu > 0, mu, 1.0)
    ratio = fnoise / mu_safe
    return ratio, ratio * last_deficit


def _log_master(
    u,
    eigvals,
    num_samples,
    ridge,
    fnoise,
    ridgeless,
    widths,
    fvars,
    spectra,
    kappa0,
    base,
    *,
    layout,
):
    """:func:`log_master_terms` with the spectral sums at κ₂ = e^u taken over the eigenvalues.

    The drop n₁(κ₀) − n₁(κ₂) = (κ₂ − κ₀) Σ e/((e+κ₀)(e+κ₂)) has its first factor from
    ``expm1(u − log κ₀)``, so it stays accurate as κ₂ → κ₀.
    """
    kappa2 = jnp.exp(u)
    r, s = eig_fractions(eigvals, kappa2)
    n = jnp.sum(r)
    nmn2 = jnp.sum(r * s)
    r0, _ = eig_fractions(eigvals, kappa0)
    positive = eigvals > 0
    inv = jnp.where(positive, 1.0 / jnp.where(positive, eigvals + kappa2, 1.0), 0.0)
    safe_k0 = jnp.where(kappa0 > 0, kappa0, 1.0)
    gap = jnp.where(kappa0 > 0, safe_k0 * jnp.expm1(u - jnp.log(safe_k0)), kappa2)
    drop = jnp.maximum(gap, 0.0) * jnp.sum(r0 * inv)
    return log_master_terms(
        u,
        n,
        nmn2,
        drop,
        base,
        num_samples,
        ridge,
        fnoise,
        ridgeless,
        widths,
        fvars,
        spectra,
        layout=layout,
    )


def log_master_terms(
    u,
    n,
    nmn2,
    drop,
    base,
    num_samples,
    ridge,
    fnoise,
    ridgeless,
    widths,
    fvars,
    spectra,
    *,
    layout,
):
    """Increasing residual in u = log κ₂ and its slope, from the data sums at κ₂.

    ``n = n₁(κ₂)``, ``nmn2 = n₁ − n₂`` and the deficits ``X − n = (X − base) + drop``.
    ``λ > 0``: log[κ₁(1 − n_C/P)] − log λ with κ₁ = μ − σ_ξ², n_C = n + δ (THEORY §3.2 when
    σ_ξ² = 0; the slope is then ≥ 1). ``ridgeless`` (λ = 0 with σ_ξ² > 0): min(log(μ/σ_ξ²),
    log(P/n_C)), whose root is the boundary κ₁ = 0 (N_L < P) or n_C = P (N_L > P).
    Outside the physical branch (κ₁ ≤ 0 or n_C ≥ P) the value is −big.
    """
    def_p = (num_samples - base) + drop
    layers = layer_terms(layout, n, drop, base, widths, fvars, spectra)
    log_mu = u + sum(layers.log_b)
    noisy = fnoise > 0
    ratio = jnp.where(noisy, fnoise * jnp.exp(-log_mu), 0.0)  # σ_ξ²/μ
    delta = ratio * layers.deficit[-1]
    def_c = def_p - delta
    rho = 1.0 - ratio  # κ₁/μ
    log_rho = jnp.log1p(-ratio)
    g = u + jnp.log(def_c) - jnp.log(num_samples) + sum(layers.log_b) + log_rho - jnp.log(ridge)
    sum_dlogs = sum(nu / de for nu, de in zip(layers.num, layers.den, strict=True))
    chi_m1 = (nmn2 / n) * sum_dlogs
    # d/du of log μ, log ρ and log(P − n_C): χ, (σ_ξ²/κ₁)χ and [ρ(n − n₂) + δχ]/(P − n_C).
    dg = 1.0 / rho + rho * nmn2 / def_c + chi_m1 / rho + delta * (1.0 + chi_m1) / def_c
    g_mu = log_mu - jnp.log(jnp.where(noisy, fnoise, 1.0))
    n_c = n + delta
    g_p = jnp.log(num_samples) - jnp.log(n_c)
    use_mu = g_mu < g_p
    g = jnp.where(ridgeless, jnp.minimum(g_mu, g_p), g)
    dg_p = (rho * nmn2 + delta * (1.0 + chi_m1)) / n_c
    dg = jnp.where(ridgeless, jnp.where(use_mu, 1.0 + chi_m1, dg_p), dg)
    # A deficit that rounds to 0 right at the lower bracket gives −inf: keep the iteration finite.
    big = jnp.asarray(jnp.finfo(u.dtype).max, u.dtype) ** 0.25
    g = jnp.where(jnp.isnan(g), -big, jnp.clip(g, -big, big))
    dg = jnp.where(jnp.isfinite(dg) & (dg > 0), dg, big)
    return g, dg


def _h_residual_and_slope(
    kappa2, eigvals, num_samples, ridge, fnoise, widths, fvars, spectra, kappa0, base, *, layout
):
    """(h(κ₂) − λ, ∂h/∂κ₂) over the eigenvalues: :func:`h_terms` of :func:`point_terms`."""
    _, _, n, nmn2, def_p, layers, _ = point_terms(
        layout, kappa2, kappa0, base, eigvals, num_samples, widths, fvars, spectra
    )
    return h_terms(kappa2, n, nmn2, def_p, layers, num_samples, ridge, fnoise)


def h_terms(kappa2, n, nmn2, def_p, layers, num_samples, ridge, fnoise):
    """(h(κ₂) − λ, ∂h/∂κ₂), product form (valid at λ = 0 too), from one set of layer terms.

    h = κ₁ (1 − n_C/P) = (κ₂ Π_ℓ B_ℓ − σ_ξ²)(P − n − δ)/P (THEORY §3.2 at σ_ξ² = 0).
    """
    one = jnp.ones_like(kappa2)
    pb = prod(layers.b, one)
    ratio, delta = noise_shift(fnoise, kappa2 * pb, layers.deficit[-1])
    def_c = def_p - delta
    a = def_c / num_samples
    value = kappa2 * a * pb - fnoise * a - ridge
    return value, h_prime(kappa2, n, nmn2, def_c, num_samples, layers, ratio, delta)


def h_prime(kappa2, n, nmn2, def_c, num_samples, layers, ratio, delta):
    """∂h/∂κ₂ = μ′(1 − n_C/P) + ρ²(n−n₂)/P·ΠB + ρδμ′/P, μ′ = ΠB + (n−n₂)/n·Σ_ℓ C_ℓ Π_{k≠ℓ}B_k.

    ρ = κ₁/μ = 1 − σ_ξ²/μ; every term is ≥ 0 on the physical branch.
    """
    one = jnp.ones_like(kappa2)
    a = def_c / num_samples
    pb = prod(layers.b, one)
    cross = sum(c * prod_except(layers.b, ell, one) for ell, c in enumerate(layers.c))
    rho = 1.0 - ratio
    mu_p = pb + nmn2 / n * cross
    return (
        a * pb
        + rho * rho * (nmn2 / num_samples * pb)
        + a * nmn2 / n * cross
        + rho * delta * mu_p / num_samples
    )


def kappa2_bracket(
    trace, num_samples, ridge, fnoise, widths, fvars, spectra, kappa0, *, layout, dtype
):
    """Bracket ``(lo, hi)`` of u = log κ₂ (κ₀ = 0 gives a valid, looser lower end).

    Lower bound: h ≤ μ ≤ κ₂ Π v_ℓ S_ℓ (S = N for isotropic, Σs structured), μ > σ_ξ² and
    κ₂ > κ₀. Upper bound: for κ₂ ≥ 2 TrΣ/m, n ≤ m/2, so 1 − n/P ≥ ½, N − n ≥ N/2 and
    n κ_F(n) ≥ s_min (N_F − n) ≥ s_min N_F/2; hence μ ≥ κ₂ Π v_ℓ S′_ℓ/2 with S′ = N or
    s_min N_F. Without feature noise h ≥ μ/2 ≥ λ at κ_hi = max(2 TrΣ/m, 2λ Π 2/(v_ℓ S′_ℓ)).
    With σ_ξ² > 0, μ ≥ max(8λ, 2σ_ξ², 4σ_ξ² N_L/P) gives κ₁ ≥ μ/2 and δ ≤ P/4, so
    h ≥ μ/8 ≥ λ (and the ridgeless residual is ≥ 0).
    """
    tiny = jnp.finfo(dtype).tiny
    positive_ridge = ridge > 0
    noisy = fnoise > 0
    lam = jnp.where(positive_ridge, ridge, 1.0)
    it = iter(spectra)
    log_vs, log_vs_low = [], []
    for ell, structured in enumerate(layout):
        if structured:
            spectrum = next(it)
            size = jnp.sum(spectrum)
            size_low = jnp.min(spectrum) * spectrum.shape[0]
        else:
            size = size_low = widths[ell]
        log_vs.append(jnp.log(fvars[ell]) + jnp.log(size))
        log_vs_low.append(jnp.log(fvars[ell]) + jnp.log(size_low) - jnp.log(2.0))
    lo_scale = jnp.where(positive_ridge, jnp.maximum(lam, fnoise), jnp.where(noisy, fnoise, 1.0))
    lo = jnp.maximum(jnp.log(lo_scale) - sum(log_vs), jnp.log(jnp.maximum(kappa0, tiny)))
    sizes = (
        [num_samples]
        + [jnp.asarray(next_spec.shape[0], dtype) for next_spec in spectra]
        + [widths[ell] for ell, st in enumerate(layout) if not st]
    )
    m = jnp.min(jnp.stack(sizes))
    log_hi_a = jnp.log(2.0 * trace) - jnp.log(m)
    lam0 = jnp.where(positive_ridge, ridge, 0.0)
    mu_hi = jnp.maximum(
        jnp.maximum(8.0 * lam0, 2.0 * fnoise), 4.0 * fnoise * widths[-1] / num_samples
    )
    log_mu_hi = jnp.where(noisy, jnp.log(jnp.where(noisy, mu_hi, 1.0)), jnp.log(2.0 * lam))
    log_hi_b = log_mu_hi - sum(log_vs_low)
    hi = jnp.maximum(jnp.maximum(log_hi_a, log_hi_b), lo + 1e-3)
    return lo, hi


def solve_master(fn, args, lo, hi, ridge, fnoise, kappa0, *, num_layers, max_steps):
    """κ₂ from the increasing log-residual ``fn(u, *args)`` on ``[lo, hi]``, and its RootStats.

    λ = 0 without feature noise: κ₂ = κ₀ by definition (nothing solved there).
    """
    eps = jnp.finfo(lo.dtype).eps
    u, stats = solve_increasing(
        fn, lo, hi, 0.5 * (lo + hi), args, g_tol=8.0 * (1 + num_layers) * eps, max_steps=max_steps
    )
    solved = (ridge > 0) | (fnoise > 0)
    stats = stats._replace(converged=stats.converged | ~solved)
    return jnp.where(solved, jnp.exp(u), kappa0), stats


def master_flags(ridge, fnoise):
    """``(λ for the log-residual, ridgeless)``: λ = 1 where it is 0 (unused there), and the
    ridgeless branch λ = 0 with σ_ξ² > 0."""
    positive_ridge = ridge > 0
    return jnp.where(positive_ridge, ridge, 1.0), (~positive_ridge) & (fnoise > 0)


def _solve_kappa2(
    eigvals, num_samples, ridge, fnoise, widths, fvars, spectra, kappa0, base, *, layout, max_steps
):
    lam, ridgeless = master_flags(ridge, fnoise)
    fn = functools.partial(_log_master, layout=layout)
    args = (eigvals, num_samples, lam, fnoise, ridgeless, widths, fvars, spectra, kappa0, base)
    lo, hi = kappa2_bracket(
        jnp.sum(eigvals),
        num_samples,
        ridge,
        fnoise,
        widths,
        fvars,
        spectra,
        kappa0,
        layout=layout,
        dtype=eigvals.dtype,
    )
    return solve_master(
        fn, args, lo, hi, ridge, fnoise, kappa0, num_layers=len(layout), max_steps=max_steps
    )


@functools.cache
def kappa2_root(layout: tuple, max_steps: int | None):
    """``θ ↦ (κ₂, RootStats)`` of the master equation for one layer layout (static).

    θ = (e, P, λ, σ_ξ², N_ℓ, v_ℓ, s^{(ℓ)}, κ₀, base); κ₀ and base enter only through
    stop_gradient values. κ₂ solves R = h(κ₂; θ) − λ = 0, differentiated by the implicit function
    theorem (``_implicit``) with ∂R/∂κ₂ = h′ the sum of non-negative terms of :func:`h_prime`
    (finite at λ = 0 on both the width- and the data-bound branch; 0 only at the interpolation
    threshold, where the tangent is set to 0). One forward-mode pass gives the residual's
    θ-derivative and, as its primal output, h′, so the layer terms (including any inner κ_F
    solve) are evaluated once.
    """
    return implicit_root(
        functools.partial(_solve_kappa2, layout=layout, max_steps=max_steps),
        functools.partial(_h_residual_and_slope, layout=layout),
    )


def master_stats(kappa2_stats, kappa0_stats, layers):
    """One RootStats for a random-feature point: κ₂'s steps and residual, converged if κ₂, κ₀
    and every inner κ_F solve at the final κ₂ converged."""
    stats = merge_stats(kappa2_stats, kappa0_stats)
    return stats._replace(converged=stats.converged & layers.converged)


# --------------------------------------------------------------------------------------------
# The errors at the solution (THEORY §3.3 and the feature-noise forms of ``features``).
# --------------------------------------------------------------------------------------------


def assemble(kappa2, n, nmn2, def_p, layers, bias, k2tf2, num_samples, ridge, noise_var, fnoise):
    """Every ``RFRisk`` field (a dict) from κ₂, the data sums at κ₂ and the layer terms.

    ``bias = κ₂² tf₁′ = Σ w̄²e s²`` and ``k2tf2 = κ₂ tf₂ = Σ w̄²e r s`` (r = e/(e+κ₂),
    s = κ₂/(e+κ₂)); ``def_p = P − n`` and the layer deficits in their stable forms.
    """
    one = jnp.ones_like(kappa2)
    df2 = n - nmn2
    # Feature noise (module docstring): μ = κ₂ Π B_ℓ = κ₁ + σ_ξ², ratio = σ_ξ²/μ, ρ = κ₁/μ,
    # δ = ratio (N_L − n), n_C = n + δ. Without noise ratio = δ = 0 and ρ = 1 exactly.
    mu = kappa2 * prod(layers.b, one)
    ratio, delta = noise_shift(fnoise, mu, layers.deficit[-1])
    def_c = def_p - delta  # P − n_C
    def_c = jnp.where(def_c < 0, 0.0, def_c)
    # At the solution λ = κ₁ (P − n_C)/P, and as λ → 0 one factor vanishes: κ₁ = μ − σ_ξ² when
    # N_L < P, P − n_C = (P − n) − δ when N_L > P. Each direct form loses digits by its
    # condition number, σ_ξ²/κ₁ = ratio/ρ resp. (P − n)/(P − n_C); the better conditioned one is
    # formed directly and the other taken from the master equation (values only: derivatives
    # stay those of the direct forms). Either way ρ = 1 − ratio where ratio ≤ ½ (no
    # cancellation), else ρ = λP/((P − n_C) μ).
    positive_ridge = ridge > 0
    noisy = fnoise > 0
    mu_safe = jnp.where(mu > 0, mu, 1.0)
    rho_direct = 1.0 - ratio
    cancel_c = noisy & positive_ridge & (def_c < 0.5 * def_p)
    c_from_equation = cancel_c & (def_p * jnp.maximum(rho_direct, 0.0) > ratio * def_c)
    ok_c = positive_ridge & (def_c > 0) & ~c_from_equation
    rho_eq = ridge * num_samples / (jnp.where(ok_c, def_c, 1.0) * mu_safe)
    low = ratio <= 0.5
    rho = jnp.where(low | ~ok_c, jnp.maximum(rho_direct, 0.0), rho_eq)
    # λ = 0 with feature noise: the ridgeless root lies on one boundary exactly, κ₁ = 0
    # (ρ = 0) or n_C = P, whichever of the two direct forms is the closer to 0.
    ridgeless = noisy & ~positive_ridge
    k1_zero = ridgeless & (rho * num_samples <= def_c)
    rho = rho + jax.lax.stop_gradient(jnp.where(k1_zero, 0.0, rho) - rho)
    om_rho = jnp.where(low, ratio, 1.0 - rho)
    kappa1 = mu * rho
    k1_safe = jnp.where(c_from_equation & (kappa1 > 0), kappa1, 1.0)
    from_equation = jnp.where(c_from_equation & (kappa1 > 0), ridge * num_samples / k1_safe, def_c)
    from_equation = jnp.where(ridgeless & ~k1_zero, 0.0, from_equation)
    def_c = def_c + jax.lax.stop_gradient(from_equation - def_c)
    # τ = 1/(1 + c Σ num_ℓ/den_ℓ), c = (n − n₂)/n, written over the common denominator Π den_ℓ
    # so that a binding width (den_ℓ = 0) gives τ = 0 exactly and smooth derivatives elsewhere.
    pden = prod(layers.den, one)
    cross = sum(
        nu * prod([d for k, d in enumerate(layers.den) if k != ell], one)
        for ell, nu in enumerate(layers.num)
    )
    c_cross = (nmn2 / n) * cross
    total = pden + c_cross
    ok_t = total > 0
    safe_total = jnp.where(ok_t, total, 1.0)
    tau = jnp.where(ok_t, pden / safe_total, 0.0)
    one_minus_tau = jnp.where(ok_t, c_cross / safe_total, 1.0)

    # γ₁ = Tr[C²(C+κ₁)⁻²]/P = [n − ρ²(n−n₂)τ + (1−ρ)δ]/P and, stably,
    # 1 − γ₁ = [(P − n_C) + ρ²(n−n₂)τ + ρδ]/P (THEORY §3.3 at ρ = 1, δ = 0).
    nmn2_e = rho * rho * nmn2
    gamma2 = df2 / num_samples
    gamma1 = (n - nmn2_e * tau + om_rho * delta) / num_samples
    omg2 = (def_p + nmn2) / num_samples  # 1 − γ₂, stable
    omg1 = (def_c + nmn2_e * tau + rho * delta) / num_samples  # 1 − γ₁, stable

    # Var_F = (1 − ρτ) κ₂ tf₂: the features' finite-width variance plus σ_ξ²‖E_X â‖².
    var_f = (one_minus_tau + om_rho * tau) * k2tf2
    var_x = amplified(bias * gamma2, omg2)
    var_xnoise = amplified(noise_var * gamma2, omg2)
    # γ₁/(1−γ₁) − γ₂/(1−γ₂) = (γ₁ − γ₂)/((1−γ₁)(1−γ₂)) with
    # γ₁ − γ₂ = [(n − n₂)(1 − ρ²τ) + (1 − ρ)δ]/P ≥ 0, 1 − ρ²τ = (1 − τ) + τ(1 − ρ)(1 + ρ).
    one_minus_tau_c = one_minus_tau + tau * om_rho * (1.0 + rho)
    g12_num = (nmn2 * one_minus_tau_c + om_rho * delta) / num_samples
    g12_den = omg1 * omg2
    var_xf = amplified(bias * g12_num, g12_den) + amplified(var_f * gamma1, omg1)
    var_xfnoise = amplified(noise_var * g12_num, g12_den)
    test = bias + var_x + var_f + var_xf + var_xnoise + var_xfnoise
    test_out = test + noise_var
    # E_tr = (1 − n_C/P)² E_out. For λ > 0, 1 − n_C/P = λ/κ₁ exactly (the master equation).
    # That form avoids P − n_C = (P − n) − δ where it cancels (δ close to P − n: feature noise
    # at P ≪ N_L), and is used only there: elsewhere, and always without feature noise, the
    # deficit is formed directly, since κ₁ = κ₂ Π B_ℓ itself loses digits when a width binds
    # (B_ℓ ∝ N_ℓ − n) at small λ.
    use_ratio = positive_ridge & (def_c < 0.5 * def_p) & (kappa1 > 0)
    safe_k1 = jnp.where(use_ratio, kappa1, 1.0)
    a = jnp.where(use_ratio, ridge / safe_k1, def_c / num_samples)
    nonzero = a > 0
    train = jnp.where(nonzero, jnp.where(nonzero, a, 0.0) ** 2 * test_out, 0.0)
    # S = κ₂/λ for λ > 0. At λ = 0 its limit: +inf when κ₂ = κ₀ > 0, else (κ₂ = 0, the rank of
    # Σ binds) 1/((1 − n/P) Π_ℓ B_ℓ) from the master equation.
    denom = a * prod(layers.b, one)
    ok_s = denom > 0
    s_limit = jnp.where(ok_s & (kappa2 <= 0), 1.0 / jnp.where(ok_s, denom, 1.0), jnp.inf)
    s_transform = jnp.where(positive_ridge, kappa2 / jnp.where(positive_ridge, ridge, 1.0), s_limit)
    return dict(
        kappa1=kappa1,
        kappa2=kappa2,
        tau=tau,
        gamma1=gamma1,
        gamma2=gamma2,
        df1=n,
        df2=df2,
        bias=bias,
        var_x=var_x,
        var_f=var_f,
        var_xf=var_xf,
        var_xnoise=var_xnoise,
        var_xfnoise=var_xfnoise,
        test=test,
        test_out=test_out,
        train=train,
        s_transform=s_transform,
    )
