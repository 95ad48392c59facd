"""Deterministic equivalent of ridge regression with correlated training samples (THEORY §9).

Training rows are correlated across samples: ``X = K^{1/2} Z Σ^{1/2}`` (P × N), with ``K`` the
P × P sample–sample covariance (positive definite, eigenvalues ``k_μ``), and the label noise is
either correlated like the samples (``noise="correlated"``: ε = σ K^{1/2} ξ, noise covariance
C = K) or i.i.d. (``noise="iid"``: C = I). The test point is independent of the training set.

Three unknowns — κ (the Σ-side renormalised ridge), κ̃ (the K-side one) and a shared degrees of
freedom n — solve (THEORY §9.2)

    n₁^Σ(κ) = Σ_k e_k/(e_k + κ) = n,   n₁^K(κ̃) = w Σ_μ k_μ/(k_μ + κ̃) = n,   κ κ̃ n = λ P,

where ``w = P/M`` weighs the ``M`` positive eigenvalues given for K (zero entries are padding;
``w = 1`` when ``M = P``: the exact spectrum of a finite K; otherwise a normalised spectrum, e.g.
a fine sample of the symbol of an infinite Toeplitz K). For K = I this is §2.3: κ̃ = (P − n)/n
and κ = λ + κ n/P.

The solve (derived for jaxridge). Eliminating κ̃ = λP/(κ n) leaves one scalar equation in
``u = log κ``,

    G(u) = log n₁^K(λP/(κ n₁^Σ(κ))) − log n₁^Σ(κ) = 0.

Both terms increase with u (κ n₁^Σ(κ) increases, so κ̃ decreases), and at the root
``dG/du = (1 − r_Σ) + r_Σ (1 − r_K) = 1 − γ`` with ``r_Σ = n₂^Σ/n``, ``r_K = n₂^K/n``: positive,
and summed term by term without cancellation. The bracket: each term of n₁^K lies between
``k_min/(k_min + κ̃)`` and ``k_max/(k_max + κ̃)``, so ``κ(P − n) ∈ [λP/k_max, λP/k_min]``;
``κ(P − n₁^Σ(κ))`` increases wherever ``n₁^Σ ≤ P`` (its slope is ``P − n₂^Σ``), so κ lies
between the linear-ridge κ of ridges ``λ/k_max`` and ``λ/k_min`` — inside the linear brackets
of THEORY §5.3 at those ridges. No nested solve is needed for λ > 0.

λ = 0 (the limit λ → 0⁺): rank Σ > P gives κ̃ = 0, n = P and κ from n₁^Σ(κ) = P (the same
equation G = 0, with κ̃ = 0); rank Σ < P gives κ = 0, n = rank Σ and κ̃ from n₁^K(κ̃) = rank Σ
(:func:`kappa_from_df`, in ``log κ̃`` inside ``[k_min, k_max]·(P − n)/n``); rank Σ = P is the
interpolation threshold (errors +inf with noise).

Errors (THEORY §9.3), every difference written as a sum of positive terms:

* ``Bias² = κ² Σ w̄² e/(e + κ)²``, ``Var_X = Bias² γ/(1 − γ)``, ``γ = r_Σ r_K``;
* ``T_C = Tr[C K (K + κ̃)⁻²]`` (C = K: n₂^K; C = I: w Σ k/(k + κ̃)²),
  ``Var_Xε = σ² n₂^Σ T_C/(n² (1 − γ))``; ``E_g = Bias² + Var_X + Var_Xε``, ``E_out = E_g + σ²``;
* ``E_tr = Bias²/(1 − γ) · Tr[κ̃² K (K + κ̃)⁻²]/P + (σ²/P)·[(1 − r_Σ) A + r_Σ (1 − r_K) B]/(1 − γ)``
  with ``B = Tr[C κ̃ (K + κ̃)⁻¹]`` and ``A = B − κ̃ T_C = Tr[C κ̃² (K + κ̃)⁻²]`` — THEORY's
  ``B − (1 − r_Σ) κ̃ T_C/(1 − γ)`` over a common denominator.

Gradients: both roots are built by the implicit-root factory (``_implicit``), so every float
argument (spectra, P, λ, σ²) has exact implicit derivatives.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._validate import (
    as_float,
    check,
    check_choice,
    check_converged,
    check_scalar,
    check_spectrum,
    check_steps,
    check_vector,
    common_dtype,
    readable_errors,
)
from ._implicit import implicit_root, merge_stats, solve_increasing
from ._numerics import (
    amplified,
    as_blocks,
    fused_sums,
    kappa_log_bracket,
    ratio,
    spectrum_summary,
)
from .linear import with_stats

__all__ = [
    "CorrelatedRidgeRisk",
    "CorrelatedTestPoint",
    "correlated_ridge_risk",
    "correlated_test_point",
    "kappa_from_df",
]

NOISE_MODELS = ("correlated", "iid")


class CorrelatedRidgeRisk(eqx.Module):
    """Deterministic-equivalent quantities of ridge regression with correlated samples.

    Fields as in :class:`jaxridge.theory.RidgeRisk` (same meaning, THEORY §9.3), plus
    ``kappa_samples`` (κ̃, the sample-side renormalised ridge). ``df1``/``df2`` are the
    Σ-side n = n₁^Σ(κ) and n₂^Σ(κ); ``gamma`` is γ = r_Σ r_K.
    """

    kappa: Array
    kappa_samples: Array
    df1: Array
    df2: Array
    gamma: Array
    bias: Array
    var_x: Array
    var_noise: Array
    test: Array
    test_out: Array
    train: Array
    converged: Array | None = None
    num_steps: Array | None = None
    residual: Array | None = None


# --------------------------------------------------------------------------------------------
# Sums on either side.
# --------------------------------------------------------------------------------------------


def _sigma_sums(eigvals, target_weights, kappa):
    """n₁, n₂, n₁ − n₂ and Bias² at κ ≥ 0 (blocked inputs; zero eigenvalues add nothing)."""
    positive = eigvals > 0
    denom = jnp.where(positive, eigvals + kappa, 1.0)
    r = jnp.where(positive, ratio(eigvals, denom), 0.0)
    s = jnp.where(positive, ratio(kappa, denom), 0.0)
    return fused_sums(r, r * r, r * s, target_weights**2 * eigvals * s * s)


def _sample_sums(sample_eigvals, kappa_samples, weight):
    """Sums over the spectrum of K at κ̃ ≥ 0 (k > 0), each times ``weight`` = P/M:
    n₁^K, n₂^K, n₁^K − n₂^K, and the traces Σ k s², Σ s, Σ s², Σ k/(k + κ̃)², Σ k s
    with r = k/(k + κ̃), s = κ̃/(k + κ̃)."""
    k = sample_eigvals
    positive = k > 0  # zero padding of the blocks adds nothing, even at κ̃ = 0
    denom = jnp.where(positive, k + kappa_samples, 1.0)
    r = jnp.where(positive, ratio(k, denom), 0.0)
    s = jnp.where(positive, ratio(kappa_samples, denom), 0.0)
    sums = fused_sums(r, r * r, r * s, k * s * s, s, s * s, ratio(r, denom), k * s)
    return tuple(weight * x for x in sums)


# --------------------------------------------------------------------------------------------
# The main root: log κ for λ > 0, and for λ = 0 with rank Σ > P.
# --------------------------------------------------------------------------------------------


def _log_equation(u, eigvals, sample_eigvals, weight, num_samples, ridge):
    """G(u) and dG/du (module docstring); blocked spectra, κ = e^u > 0."""
    kappa = jnp.exp(u)
    t = 1.0 / (eigvals + kappa)
    et = eigvals * t
    n, n1_minus_n2 = fused_sums(et, et * (kappa * t))
    kt = ridge * num_samples / (kappa * n)
    denom = sample_eigvals + kt
    rk = jnp.where(sample_eigvals > 0, sample_eigvals / jnp.where(denom > 0, denom, 1.0), 0.0)
    nk, nk_minus_n2k = fused_sums(rk, rk * ratio(kt, jnp.where(denom > 0, denom, 1.0)))
    nk, nk_minus_n2k = weight * nk, weight * nk_minus_n2k
    one_minus_r = n1_minus_n2 / n
    r_sigma = 1.0 - one_minus_r
    return jnp.log(nk) - jnp.log(n), one_minus_r + r_sigma * nk_minus_n2k / nk


def _sample_weight(sample_eigvals, num_samples):
    """``w = P/M`` with M the number of positive entries (zero entries are padding)."""
    return num_samples / jnp.sum(sample_eigvals > 0).astype(sample_eigvals.dtype)


def _bracket(eigvals, sample_eigvals, num_samples, ridge):
    rank, trace, smallest = spectrum_summary(eigvals)
    _, _, k_min = spectrum_summary(sample_eigvals)
    k_max = jnp.max(sample_eigvals)
    lo, _, _ = kappa_log_bracket(rank, trace, smallest, num_samples, ridge / k_max)
    _, hi, _ = kappa_log_bracket(rank, trace, smallest, num_samples, ridge / k_min)
    return lo, jnp.maximum(hi, lo)


def _solve_kappa(eigvals, sample_eigvals, num_samples, ridge, *, max_steps):
    eigvals, sample_eigvals = jax.lax.stop_gradient((eigvals, sample_eigvals))
    weight = _sample_weight(sample_eigvals, num_samples)
    lo, hi = _bracket(eigvals, sample_eigvals, num_samples, ridge)
    eps = jnp.finfo(lo.dtype).eps
    u, stats = solve_increasing(
        _log_equation,
        lo,
        hi,
        0.5 * (lo + hi),
        (as_blocks(eigvals), as_blocks(sample_eigvals), weight, num_samples, ridge),
        # G is a difference of O(1) logarithms of sums: a few eps of evaluation noise.
        g_tol=32.0 * eps,
        max_steps=max_steps,
    )
    return jnp.exp(u), stats


def _kappa_residual(kappa, eigvals, sample_eigvals, num_samples, ridge):
    """G at κ and dG/dκ = (1 − γ)/κ (the root is returned as κ = e^u > 0)."""
    weight = _sample_weight(sample_eigvals, num_samples)
    blocks = (as_blocks(eigvals), as_blocks(sample_eigvals))
    value, slope = _log_equation(jnp.log(kappa), *blocks, weight, num_samples, ridge)
    return value, slope / kappa


@functools.cache
def _kappa_root(max_steps):
    return implicit_root(functools.partial(_solve_kappa, max_steps=max_steps), _kappa_residual)


# --------------------------------------------------------------------------------------------
# The ridge of a given df: Σ_k e_k/(e_k + κ) = df (the sample side at λ = 0, CorrGCV's κ̃̂).
# --------------------------------------------------------------------------------------------


def _df_log_equation(v, eigvals, df):
    """H(v) = log df − log n₁(e^v), increasing, and dH/dv = (n₁ − n₂)/n₁ (blocked spectrum)."""
    kappa = jnp.exp(v)
    t = 1.0 / (eigvals + kappa)
    r = eigvals * t
    n1, n1_minus_n2 = fused_sums(r, r * (kappa * t))
    return jnp.log(df) - jnp.log(n1), n1_minus_n2 / n1


def _solve_df(eigvals, df, *, max_steps):
    """κ in log κ inside [e_min, e_max]·(rank − df)/df: each term of n₁ lies between
    e_min/(e_min + κ) and e_max/(e_max + κ) (positive eigenvalues). Needs 0 < df < rank."""
    eigvals = jax.lax.stop_gradient(eigvals)
    rank, _, smallest = spectrum_summary(eigvals)
    gap = jnp.log((rank - df) / df)
    lo = jnp.log(smallest) + gap
    hi = jnp.log(jnp.max(eigvals)) + gap
    eps = jnp.finfo(lo.dtype).eps
    v, stats = solve_increasing(
        _df_log_equation,
        lo,
        jnp.maximum(hi, lo),
        0.5 * (lo + hi),
        (as_blocks(eigvals), df),
        g_tol=32.0 * eps,
        max_steps=max_steps,
    )
    return jnp.exp(v), stats


def _df_residual(kappa, eigvals, df):
    """F(κ) = df − n₁(κ), increasing; dF/dκ = Σ e/(e + κ)² (zero eigenvalues add nothing)."""
    positive = eigvals > 0
    denom = jnp.where(positive, eigvals + kappa, 1.0)
    r = jnp.where(positive, ratio(eigvals, denom), 0.0)
    return df - jnp.sum(r), jnp.sum(ratio(r, denom))


@functools.cache
def _df_root(max_steps):
    return implicit_root(functools.partial(_solve_df, max_steps=max_steps), _df_residual)


@readable_errors
def kappa_from_df(
    eigvals: Float[ArrayLike, " n"],
    df: ArrayLike,
    *,
    throw: bool = True,
    max_steps: int | None = None,
) -> Float[Array, ""]:
    """The ridge κ ≥ 0 whose degrees of freedom ``n₁(κ) = Σ_k e_k/(e_k + κ)`` equal ``df``.

    The inverse of the df (THEORY §9.2, §9.5): the sample-side κ̃ of a correlation spectrum
    from a df, e.g. CorrGCV's κ̃̂ from the empirical df̂. ``df`` equal to the rank (the number of
    positive eigenvalues) gives 0. Safeguarded Newton in log κ inside
    ``[e_min, e_max]·(rank − df)/df``; implicit gradients in ``eigvals`` and ``df``.

    Args:
        eigvals: ``e_k >= 0`` with at least one > 0, shape ``(M,)``.
        df: ``0 < df <= rank``.
        throw: raise ``RuntimeError`` if the solve does not converge (default); with
            ``throw=False`` the last iterate is returned unchecked.
        max_steps: iteration cap (static int); default from the dtype.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge.theory import kappa_from_df
        >>> k = kappa_from_df(jnp.ones(100), 25.0)   # 100/(1 + κ) = 25: κ = 3
    """
    dtype = common_dtype(eigvals, df)
    eigvals = check_vector(as_float(eigvals, dtype, "eigvals"), "eigvals", nonnegative=True)
    eigvals = check(eigvals, ~jnp.any(eigvals > 0), "eigvals", "must have a positive entry")
    df = check_scalar(as_float(df, dtype, "df"), "df", positive=True)
    rank, _, _ = spectrum_summary(eigvals)
    df = check(df, df > rank, "df", "must not exceed the rank (the number of eigenvalues > 0)")
    max_steps = check_steps(max_steps)
    kappa, converged = _kappa_from_df_jit(eigvals, df, max_steps)
    return check_converged(kappa, converged, "kappa_from_df", throw)


@functools.partial(jax.jit, static_argnums=2)
def _kappa_from_df_jit(eigvals, df, max_steps):
    rank, _, _ = spectrum_summary(eigvals)
    full = df >= rank
    kappa, stats = _df_root(max_steps)(eigvals, jnp.where(full, 0.5 * rank, df))
    return jnp.where(full, jnp.zeros_like(kappa), kappa), stats.converged


# --------------------------------------------------------------------------------------------
# Public entry point.
# --------------------------------------------------------------------------------------------


@readable_errors
def correlated_ridge_risk(
    eigvals: Float[ArrayLike, " n"],
    target_weights: Float[ArrayLike, " n"],
    sample_eigvals: Float[ArrayLike, " m"],
    num_samples: ArrayLike,
    ridge: ArrayLike,
    noise_var: ArrayLike = 0.0,
    *,
    noise: str = "correlated",
    throw: bool = True,
    max_steps: int | None = None,
) -> CorrelatedRidgeRisk:
    """Test, train and bias–variance errors of ridge regression on correlated samples.

    The deterministic equivalent of THEORY §9 (module docstring): training rows with
    sample–sample covariance K, an independent test point. ``K = I`` (``sample_eigvals`` all
    ones) gives :func:`jaxridge.theory.ridge_risk` to rounding.

    Args:
        eigvals: population eigenvalues ``e_k >= 0`` of Σ (at least one > 0), shape ``(N,)``.
        target_weights: ``w̄_k``, shape ``(N,)``.
        sample_eigvals: eigenvalues ``k_μ > 0`` of K, shape ``(M,)``. With ``M = P`` they are
            the exact spectrum of a finite K; with ``M ≠ P`` a normalised spectrum (each weighs
            P/M), e.g. the symbol of an infinite Toeplitz K on a fine grid. Zero entries are
            padding and are not counted in M, so spectra of different P can be stacked into
            one array (zero-padded to the largest P) and vmapped over a learning curve with
            one compiled program.
            ``jaxridge.spectra`` does not rescale them: the normalisation of K is the caller's
            (a stationary correlation has ``k`` averaging to 1).
        num_samples: ``P > 0`` (a float; differentiable).
        ridge: ``λ >= 0``; ``λ = 0`` is the limit ``λ → 0⁺``.
        noise_var: ``σ² >= 0``, the variance of each label's noise.
        noise: ``"correlated"`` (noise covariance σ²K, correlated like the samples) or
            ``"iid"`` (σ²I).
        throw: raise ``RuntimeError`` if a solve does not converge (the default). With
            ``throw=False`` the result carries ``converged``, ``num_steps`` and ``residual``.
        max_steps: iteration cap (static int); default from the dtype.

    Returns:
        A :class:`CorrelatedRidgeRisk`. At the interpolation threshold (λ = 0, rank Σ = P)
        ``test`` is ``+inf`` when there is noise, and ``train`` is 0.

    Example:
        >>> import jax.numpy as jnp, numpy as np
        >>> from scipy.linalg import toeplitz
        >>> from jaxridge import spectra, theory
        >>> e, w = spectra.isotropic(400)
        >>> k = np.linalg.eigvalsh(toeplitz(0.9 ** np.arange(800)))   # AR(1), P = 800
        >>> risk = theory.correlated_ridge_risk(e, w, k, 800.0, 0.1, 0.25)
        >>> round(float(risk.test), 6)                                  # doctest: +SKIP
        0.349461
    """
    dtype = common_dtype(eigvals, target_weights, sample_eigvals, num_samples, ridge, noise_var)
    eigvals, target_weights = check_spectrum(eigvals, target_weights, dtype, positive_entry=True)
    sample_eigvals = check_vector(
        as_float(sample_eigvals, dtype, "sample_eigvals"), "sample_eigvals"
    )
    sample_eigvals = check(
        sample_eigvals,
        (sample_eigvals < 0) | ~jnp.any(sample_eigvals > 0),
        "sample_eigvals",
        "must be >= 0 with an entry > 0 (the eigenvalues of a positive-definite sample "
        "covariance K; zero entries are padding)",
    )
    num_samples = check_scalar(
        as_float(num_samples, dtype, "num_samples"), "num_samples", positive=True
    )
    ridge = check_scalar(as_float(ridge, dtype, "ridge"), "ridge", nonnegative=True)
    noise_var = check_scalar(as_float(noise_var, dtype, "noise_var"), "noise_var", nonnegative=True)
    check_choice(noise, "noise", NOISE_MODELS)
    max_steps = check_steps(max_steps)
    return _correlated_jit(
        eigvals,
        target_weights,
        sample_eigvals,
        num_samples,
        ridge,
        noise_var,
        noise == "correlated",
        max_steps,
        bool(throw),
    )


@functools.partial(jax.jit, static_argnums=(6, 7, 8))
def _correlated_jit(
    eigvals,
    target_weights,
    sample_eigvals,
    num_samples,
    ridge,
    noise_var,
    noise_k,
    max_steps,
    throw,
):
    rank, _, _ = spectrum_summary(eigvals)
    weight = _sample_weight(sample_eigvals, num_samples)
    # Branches (module docstring): κ = 0 at λ = 0 with rank Σ <= P; κ̃ = 0 at λ = 0 with
    # rank Σ >= P; both at the threshold. Each root is solved on substitute inputs where it is
    # not used (double-where: finite values and zero tangents on the discarded side).
    ridgeless = ridge == 0
    kappa_zero = ridgeless & (rank <= num_samples)
    samples_zero = ridgeless & (rank >= num_samples)
    lam = jnp.where(kappa_zero, jnp.ones_like(ridge), ridge)
    kappa_main, main_stats = _kappa_root(max_steps)(eigvals, sample_eigvals, num_samples, lam)
    # n₁^K = (P/M) Σ k/(k + κ̃) = rank Σ: the ridge of df = rank Σ·M/P on K's eigenvalues.
    m = num_samples / weight
    target = jnp.where(
        kappa_zero & ~samples_zero, rank * m / num_samples, jnp.full_like(rank, m / 2)
    )
    kt_zero_branch, sample_stats = _df_root(max_steps)(sample_eigvals, target)
    stats = merge_stats(main_stats, sample_stats)
    kappa = jnp.where(kappa_zero, jnp.zeros_like(kappa_main), kappa_main)
    kappa = check_converged(kappa, stats.converged, "correlated_ridge_risk", throw)

    e_blocks, w_blocks = as_blocks(eigvals), as_blocks(target_weights)
    n, n2, n1_minus_n2, bias = _sigma_sums(e_blocks, w_blocks, kappa)
    # κ̃ = λP/(κ n) for λ > 0 (exact where the root is); the λ = 0 branches as above.
    positive = ~ridgeless
    kt_main = ridge * num_samples / jnp.where(positive, kappa * n, 1.0)
    kappa_samples = jnp.where(
        samples_zero,
        jnp.zeros_like(kappa),
        jnp.where(kappa_zero, kt_zero_branch, kt_main),
    )
    (nk, n2k, nk_minus_n2k, trace_ks2, trace_s, trace_s2, trace_k_r2, trace_ks) = _sample_sums(
        as_blocks(sample_eigvals), kappa_samples, weight
    )

    one_minus_r_sigma = n1_minus_n2 / n
    r_sigma = n2 / n
    one_minus_r_k = nk_minus_n2k / nk
    r_k = n2k / nk
    gamma = r_sigma * r_k
    one_minus_gamma = one_minus_r_sigma + r_sigma * one_minus_r_k
    # C = K or C = I: T_C = Tr[C K (K + κ̃)⁻²], B = Tr[C κ̃ (K + κ̃)⁻¹], A = Tr[C κ̃² (K + κ̃)⁻²].
    t_c = n2k if noise_k else trace_k_r2
    b_c = trace_ks if noise_k else trace_s
    a_c = trace_ks2 if noise_k else trace_s2

    var_x = amplified(bias * gamma, one_minus_gamma)
    var_noise = amplified(noise_var * n2 * t_c / (n * n), one_minus_gamma)
    test = bias + var_x + var_noise
    test_out = test + noise_var
    signal = amplified(bias, one_minus_gamma) * trace_ks2 / num_samples
    noise_train = amplified(
        noise_var * (one_minus_r_sigma * a_c + r_sigma * one_minus_r_k * b_c), one_minus_gamma
    )
    # At the threshold B = A = 0 (κ̃ = 0): the training error is 0 as in ridge_risk.
    train = signal + jnp.where(samples_zero, 0.0, noise_train / num_samples)
    out = CorrelatedRidgeRisk(
        kappa=kappa,
        kappa_samples=kappa_samples,
        df1=n,
        df2=n2,
        gamma=gamma,
        bias=bias,
        var_x=var_x,
        var_noise=var_noise,
        test=test,
        test_out=test_out,
        train=train,
    )
    return out if throw else with_stats(out, stats)


# --------------------------------------------------------------------------------------------
# A test point correlated with the training window (THEORY §9.5).
# --------------------------------------------------------------------------------------------


class CorrelatedTestPoint(eqx.Module):
    """Errors at a test point correlated with the training samples (THEORY §9.5).

    ========  ===================================================================================
    field     meaning
    ========  ===================================================================================
    factor    c = 1 − kᵀ(K + 2κ̃)(K + κ̃)⁻²k  (``ρ_c ≤ c ≤ 1``, ρ_c = 1 − kᵀK⁻¹k; 1 for k = 0)
    test      E_g(τ), noise-free test label: ``c·E_g + σ² kᵀC(K + κ̃)⁻²k``
    test_out  E_out(τ), noisy test label: ``c·E_out`` (noise ∝ K) or
              ``c·E_g + σ²(1 + kᵀ(K + κ̃)⁻²k)`` (i.i.d. noise)
    ========  ===================================================================================
    """

    factor: Array
    test: Array
    test_out: Array


@readable_errors
def correlated_test_point(
    sample_cov: Float[ArrayLike, "p p"],
    cross_cov: Float[ArrayLike, " p"],
    kappa_samples: ArrayLike,
    test: ArrayLike,
    noise_var: ArrayLike = 0.0,
    *,
    noise: str = "correlated",
) -> CorrelatedTestPoint:
    """Test error at a point correlated with the training window (THEORY §9.5).

    The test point's covariates have correlation ``k_μ`` with training sample μ (the same
    feature covariance Σ: ``Cov(x*, x_μ) = k_μ Σ``), e.g. the next step of a stationary
    series: for AR(1) at lag τ after the window, ``k_μ = ρ^{P − μ + τ}`` (μ = 1…P). Its
    label noise has the samples' correlation (``noise="correlated"``: ``Cov(ε*, ε_μ) =
    σ² k_μ``) or is independent (``"iid"``). Only the average over training sets is predicted:
    the risk at one point next to the window does not concentrate.

    Args:
        sample_cov: the P × P sample covariance K of the training rows (positive definite;
            its symmetric part is used).
        cross_cov: ``k``, shape ``(P,)``, with ``kᵀK⁻¹k < 1`` (the joint covariance of the
            window and the test point is positive definite).
        kappa_samples: κ̃ of the same problem (``correlated_ridge_risk(...).kappa_samples``).
        test: its E_g for an independent test point (``correlated_ridge_risk(...).test``).
        noise_var: σ².
        noise: ``"correlated"`` or ``"iid"``, as in :func:`correlated_ridge_risk`.

    Returns:
        A :class:`CorrelatedTestPoint`. Differentiable in every float argument.

    Example:
        >>> import numpy as np
        >>> from jaxridge import spectra, theory
        >>> e, w = spectra.isotropic(100)
        >>> m = spectra.correlation_matrix("ar1", 206, 0.9)     # window of 200, lag τ = 5
        >>> K, k = m[:200, :200], m[:200, -1]
        >>> risk = theory.correlated_ridge_risk(e, w, np.linalg.eigvalsh(K), 200.0, 1e-2, 0.25)
        >>> point = theory.correlated_test_point(K, k, risk.kappa_samples, risk.test, 0.25)
    """
    dtype = common_dtype(sample_cov, cross_cov, kappa_samples, test, noise_var)
    k_matrix = as_float(sample_cov, dtype, "sample_cov")
    if k_matrix.ndim != 2 or k_matrix.shape[0] != k_matrix.shape[1]:
        raise ValueError(
            f"jaxridge: argument `sample_cov` must be a square matrix, got shape {k_matrix.shape}"
        )
    p = k_matrix.shape[0]
    k_matrix = check(k_matrix, ~jnp.isfinite(k_matrix), "sample_cov", "contains NaN or inf")
    cross = check_vector(as_float(cross_cov, dtype, "cross_cov"), "cross_cov", length=p)
    kt = check_scalar(
        as_float(kappa_samples, dtype, "kappa_samples"), "kappa_samples", nonnegative=True
    )
    test = check_scalar(as_float(test, dtype, "test"), "test", nonnegative=True)
    noise_var = check_scalar(as_float(noise_var, dtype, "noise_var"), "noise_var", nonnegative=True)
    check_choice(noise, "noise", NOISE_MODELS)
    out, rho = _test_point_jit(k_matrix, cross, kt, test, noise_var, noise == "correlated")
    bad = ~(rho < 1) | ~jnp.all(jnp.isfinite(out.factor))
    factor = check(
        out.factor,
        bad,
        "cross_cov",
        "must satisfy kᵀK⁻¹k < 1 with K positive definite (a valid joint covariance)",
    )
    return CorrelatedTestPoint(factor=factor, test=out.test, test_out=out.test_out)


@functools.partial(jax.jit, static_argnums=5)
def _test_point_jit(k_matrix, cross, kt, test, noise_var, noise_k):
    # v = (K + κ̃)⁻¹k; kᵀ(K + κ̃)⁻²k = vᵀv, kᵀK(K + κ̃)⁻²k = vᵀKv, and
    # c = 1 − kᵀ(K + 2κ̃)(K + κ̃)⁻²k = 1 − vᵀKv − 2κ̃ vᵀv (no K⁻¹).
    hi = jax.lax.Precision.HIGHEST
    k_matrix = 0.5 * (k_matrix + k_matrix.T)  # the symmetric part (exact for a symmetric K)
    eye = jnp.eye(k_matrix.shape[0], dtype=k_matrix.dtype)
    factor = jax.scipy.linalg.cho_factor(k_matrix + kt * eye, lower=True)
    v = jax.scipy.linalg.cho_solve(factor, cross)
    q0 = jnp.sum(v * v)
    q1 = jnp.sum(v * jnp.matmul(k_matrix, v, precision=hi))
    c = 1.0 - q1 - 2.0 * kt * q0
    # ρ_c = kᵀK⁻¹k, for the validity check only.
    rho = jnp.sum(cross * jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(k_matrix), cross))
    label = q1 if noise_k else q0
    test_tau = c * test + noise_var * label
    test_out = c * (test + noise_var) if noise_k else c * test + noise_var * (1.0 + q0)
    return CorrelatedTestPoint(factor=c, test=test_tau, test_out=test_out), rho
