"""Deterministic equivalents of linear ridge regression.

Ridge minimises ``(1/P)‖y − Xw‖² + λ‖w‖²`` on ``P`` samples ``x ~ N(0, Σ)``, ``y = w̄ᵀx + ε``.
Averaged over the training set, the estimator behaves like a population ridge with a larger,
renormalised ridge ``κ`` solving (THEORY §2.3, form B)

    κ = λ + (κ/P) · Σ_k e_k / (e_k + κ).

Names in the API and the paper's symbols:

=================  ======  ==========================================================
argument / field   symbol  meaning
=================  ======  ==========================================================
``eigvals``        e_k     population covariance spectrum (Σ = diag(e))
``target_weights`` w̄_k     target weights in the eigenbasis of Σ
``num_samples``    P       number of training samples (a float: it is differentiable)
``ridge``          λ       ridge, ``>= 0``
``noise_var``      σ_ε²    label-noise variance
``kappa``          κ       renormalised ridge
``df1, df2``       n₁, n₂  unnormalised degrees of freedom Tr[Σ(Σ+κ)⁻¹], Tr[Σ²(Σ+κ)⁻²]
``gamma``          γ       n₂/P, the variance amplification
``bias``           Bias²   κ² w̄ᵀΣ(Σ+κ)⁻²w̄
``var_x``          Var_X   Bias²·γ/(1−γ)
``var_noise``      Var_Xε  σ_ε²·γ/(1−γ)
``test``           E_g     excess test error (no test-label noise) = Bias² + Var_X + Var_Xε
``test_out``       E_out   E_g + σ_ε² (test error against a noisy label)
``train``          E_tr    (1 − n₁/P)²·E_out
``s_transform``    S       κ/λ = 1/(1 − n₁/P), the S-transform value S_W(df) of the data
                           Wishart at df = n₁/N; E_out/E_tr = S² (THEORY §2.4, §2.6)
=================  ======  ==========================================================

Conventions: eigenvalues that are exactly zero form a null space (they add nothing to any
sum; the rank is the number of strictly positive eigenvalues). At ``λ = 0`` the solution is the
limit ``λ → 0⁺``: ``κ = 0`` when rank(Σ) ≤ P, else the positive root of ``n₁(κ₀) = P``. Where
the limit diverges (rank = P, the interpolation threshold) errors are ``+inf``, never NaN.

Spectra are zero-padded to a bucket length (:func:`jaxridge._batching.spectrum_bucket`: 64,
128, 192, 256, 384, …) before the compiled core, which is exact by the null-space convention: a
new N in the same bucket reuses the compiled program instead of recompiling.
"""

from __future__ import annotations

import dataclasses
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._batching import pad_spectrum
from .._validate import (
    as_float,
    check_converged,
    check_scalar,
    check_steps,
    check_vector,
    common_dtype,
    readable_errors,
)
from ._implicit import implicit_root, solve_increasing
from ._numerics import (
    amplified,
    as_blocks,
    fused_sums,
    kappa_log_bracket,
    ratio,
    spectrum_summary,
    stable_gaps,
)

__all__ = ["RidgeRisk", "effective_ridge", "ridge_risk"]


# --------------------------------------------------------------------------------------------
# The scalar equation and its root.
# --------------------------------------------------------------------------------------------


def _log_equation(u, eigvals, num_samples, ridge):
    """G(κ) = 1 − λ/κ − n₁(κ)/P in u = log κ, and dG/du = λ/κ + (n₁ − n₂)/P (THEORY §5.1).

    Both come from one reciprocal per eigenvalue; κ > 0 here, so zero eigenvalues are safe.
    ``eigvals`` are blocked (:func:`as_blocks`).
    """
    kappa = jnp.exp(u)
    t = 1.0 / (eigvals + kappa)
    et = eigvals * t
    n1, n1_minus_n2 = fused_sums(et, et * (kappa * t))
    a = ridge / kappa
    return 1.0 - a - n1 / num_samples, a + n1_minus_n2 / num_samples


def _solve(eigvals, num_samples, ridge, *, max_steps):
    """κ by safeguarded Newton on G in log κ, inside the bracket of THEORY §2.3/§5.3."""
    eigvals = jax.lax.stop_gradient(eigvals)
    rank, trace, smallest = spectrum_summary(eigvals)
    blocks = as_blocks(eigvals)
    eps = jnp.finfo(blocks.dtype).eps
    lo, hi, zero_branch = kappa_log_bracket(rank, trace, smallest, num_samples, ridge)
    # Double-where: the κ = 0 branch is discarded below, but it must still be solvable.
    lam = jnp.where(zero_branch, 1.0, ridge)
    u, stats = solve_increasing(
        _log_equation,
        lo,
        hi,
        0.5 * (lo + hi),
        (blocks, num_samples, lam),
        # G is O(1) and its evaluation noise a few eps: below 32 eps Newton only dithers.
        g_tol=32.0 * eps,
        max_steps=max_steps,
    )
    kappa = jnp.exp(u)
    return jnp.where(zero_branch, jnp.zeros_like(kappa), kappa), stats


def _residual(kappa, eigvals, num_samples, ridge):
    """F(κ) = κ − λ − (1/P) Σ κ e_k/(e_k + κ) (form B), defined at κ = 0 too, and ∂F/∂κ = 1 − γ.

    1 − γ comes from the cancellation-free sums of THEORY §5.6 (term by term positive).
    """
    denom = eigvals + kappa
    safe = jnp.where(denom > 0, denom, 1.0)
    value = kappa - ridge - jnp.sum(kappa * ratio(eigvals, safe)) / num_samples
    blocks = as_blocks(eigvals)
    _, _, n1_minus_n2, _ = _spectral_sums(blocks, jnp.zeros_like(blocks), kappa)
    rank, _, _ = spectrum_summary(eigvals)
    _, one_minus_gamma = stable_gaps(rank, num_samples, ridge, kappa, n1_minus_n2)
    return value, one_minus_gamma


@functools.cache
def _kappa_root(max_steps: int | None):
    """``(e, P, λ) ↦ (κ, RootStats)``, differentiated by the implicit function theorem
    (THEORY §5.5): dκ = −(∂F/∂θ · dθ)/(1 − γ), θ = (e, P, λ). One per step cap (static)."""
    return implicit_root(functools.partial(_solve, max_steps=max_steps), _residual)


def _kappa(eigvals, num_samples, ridge, max_steps=None):
    return _kappa_root(max_steps)(eigvals, num_samples, ridge)


def _spectral_sums(eigvals, target_weights, kappa):
    """n₁, n₂, n₁ − n₂ and Bias² = κ² w̄ᵀΣ(Σ+κ)⁻²w̄ at κ ≥ 0, in one pass (blocked inputs).

    Term by term with r = e/(e+κ) and s = κ/(e+κ): n₁ = Σr, n₂ = Σr², n₁ − n₂ = Σrs (every term
    positive, THEORY §5.6), Bias² = Σ w̄² e s² (no κ² overflow). Zero eigenvalues give 0 even at
    κ = 0 (double-where).
    """
    positive = eigvals > 0
    denom = jnp.where(positive, eigvals + kappa, 1.0)
    r = jnp.where(positive, ratio(eigvals, denom), 0.0)
    s = jnp.where(positive, ratio(kappa, denom), 0.0)
    return fused_sums(r, r * r, r * s, target_weights**2 * eigvals * s * s)


def _prepare(eigvals, num_samples, ridge, *extra):
    dtype = common_dtype(eigvals, num_samples, ridge, *extra)
    eigvals = check_vector(as_float(eigvals, dtype, "eigvals"), "eigvals", nonnegative=True)
    num_samples = check_scalar(
        as_float(num_samples, dtype, "num_samples"), "num_samples", positive=True
    )
    ridge = check_scalar(as_float(ridge, dtype, "ridge"), "ridge", nonnegative=True)
    return dtype, eigvals, num_samples, ridge


@readable_errors
def effective_ridge(
    eigvals: Float[ArrayLike, " n"],
    num_samples: ArrayLike,
    ridge: ArrayLike,
    *,
    throw: bool = True,
    max_steps: int | None = None,
) -> Float[Array, ""]:
    """The renormalised ridge κ of linear ridge regression.

    Solves ``κ = λ + (κ/P) Σ_k e_k/(e_k + κ)`` (THEORY §2.3) by safeguarded Newton in ``log κ``
    inside the bracket ``[max(λ, κ₀), λ + TrΣ/P]``. Differentiable in every argument by the
    implicit function theorem (forward, reverse and higher order); jit- and vmap-able. The
    spectrum is zero-padded to a bucket length (module docstring), so a new N in the same
    bucket reuses the compiled program.

    Args:
        eigvals: population eigenvalues ``e_k >= 0``, shape ``(N,)``.
        num_samples: ``P > 0`` (a float; non-integer values interpolate).
        ridge: ``λ >= 0``. At ``λ = 0`` returns the ridgeless limit: ``0`` when
            rank(Σ) ≤ P, else the root of ``n₁(κ₀) = P``.
        throw: raise ``ValueError`` when the solve does not converge (the default). With
            ``throw=False`` the last iterate is returned unchecked; use :func:`ridge_risk`
            with ``throw=False`` for per-point ``converged`` flags.
        max_steps: iteration cap (static int); default from the dtype, enough for any bracket.

    Returns:
        κ, a scalar of the inputs' floating dtype.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge.theory import effective_ridge
        >>> k = effective_ridge(jnp.ones(1000), 500.0, 0.1)   # 1.18442887...
    """
    _, eigvals, num_samples, ridge = _prepare(eigvals, num_samples, ridge)
    max_steps = check_steps(max_steps)
    (eigvals,) = pad_spectrum(eigvals)
    kappa, stats = _effective_ridge_jit(eigvals, num_samples, ridge, max_steps)
    return check_converged(kappa, stats.converged, "effective_ridge", throw)


# Compiled cores: eager calls hit JAX's compile cache (keyed on shapes and dtypes) instead of
# re-tracing the solver loop op by op; inside a user's jit they are simply inlined.
_effective_ridge_jit = jax.jit(_kappa, static_argnums=3)


class RidgeRisk(eqx.Module):
    """Deterministic-equivalent quantities of ridge regression at one (P, λ) point.

    Every field is a scalar array (or a batch of them under ``vmap``); see the module docstring
    for the symbols. ``df1``/``df2`` are unnormalised traces (divide by N for the paper's df).
    """

    kappa: Array
    df1: Array
    df2: Array
    gamma: Array
    bias: Array
    var_x: Array
    var_noise: Array
    test: Array
    test_out: Array
    train: Array
    s_transform: Array
    converged: Array | None = None
    num_steps: Array | None = None
    residual: Array | None = None


@readable_errors
def ridge_risk(
    eigvals: Float[ArrayLike, " n"],
    target_weights: Float[ArrayLike, " n"],
    num_samples: ArrayLike,
    ridge: ArrayLike,
    noise_var: ArrayLike = 0.0,
    *,
    throw: bool = True,
    max_steps: int | None = None,
) -> RidgeRisk:
    """Test, train and bias–variance errors of ridge regression (THEORY §2.5–2.6).

    ``E_g = (κ² w̄ᵀΣ(Σ+κ)⁻²w̄ + σ²γ)/(1 − γ)``, ``E_out = E_g + σ²``,
    ``E_tr = (1 − n₁/P)² E_out``, with ``1 − γ`` and ``1 − n₁/P`` evaluated in the
    cancellation-free forms of THEORY §5.6. The spectrum is zero-padded to a bucket length
    (module docstring), so a new N in the same bucket reuses the compiled program.

    Args:
        eigvals: population eigenvalues ``e_k >= 0``, shape ``(N,)``.
        target_weights: ``w̄_k``, shape ``(N,)``.
        num_samples: ``P > 0``.
        ridge: ``λ >= 0``.
        noise_var: ``σ_ε² >= 0``.
        throw: raise ``ValueError`` if the κ solve does not converge (the default). With
            ``throw=False`` nothing is raised and the result carries ``converged``,
            ``num_steps`` and ``residual`` (per point under ``vmap``) instead.
        max_steps: iteration cap (static int); default from the dtype, enough for any bracket.

    Returns:
        A :class:`RidgeRisk`. At the interpolation threshold (λ = 0, rank(Σ) = P) ``test`` is
        ``+inf`` when there is noise, and ``train`` is 0.

    Example:
        >>> import jax
        >>> from jaxridge import spectra, theory
        >>> e, w = spectra.power_law(2000, alpha=1.5, r=0.4)
        >>> curve = jax.vmap(theory.ridge_risk, (None, None, 0, None))(
        ...     e, w, jax.numpy.array([10.0, 100.0, 1000.0]), 1e-4)
        >>> curve.test.shape
        (3,)
    """
    dtype, eigvals, num_samples, ridge = _prepare(
        eigvals, num_samples, ridge, target_weights, noise_var
    )
    target_weights = check_vector(
        as_float(target_weights, dtype, "target_weights"), "target_weights", length=eigvals.shape[0]
    )
    noise_var = check_scalar(as_float(noise_var, dtype, "noise_var"), "noise_var", nonnegative=True)
    max_steps = check_steps(max_steps)
    eigvals, target_weights = pad_spectrum(eigvals, target_weights)
    return _ridge_risk_jit(
        eigvals, target_weights, num_samples, ridge, noise_var, max_steps, bool(throw)
    )


@functools.partial(jax.jit, static_argnums=(5, 6))
def _ridge_risk_jit(eigvals, target_weights, num_samples, ridge, noise_var, max_steps, throw):
    kappa, stats = _kappa(eigvals, num_samples, ridge, max_steps)
    # Every field derives from κ, so a convergence check attached to it cannot be dropped.
    kappa = check_converged(kappa, stats.converged, "ridge_risk", throw)
    df1, df2, n1_minus_n2, bias = _spectral_sums(
        as_blocks(eigvals), as_blocks(target_weights), kappa
    )
    rank, _, _ = spectrum_summary(eigvals)
    out = assemble(kappa, df1, df2, n1_minus_n2, bias, rank, num_samples, ridge, noise_var)
    return out if throw else with_stats(out, stats)


def with_stats(out, stats):
    """``out`` carrying the solver's :class:`RootStats` as its status fields (``throw=False``)."""
    return dataclasses.replace(
        out, converged=stats.converged, num_steps=stats.num_steps, residual=stats.residual
    )


def assemble(kappa, df1, df2, n1_minus_n2, bias, rank, num_samples, ridge, noise_var):
    """Every error of THEORY §2.5–2.6 from κ and the spectral sums at κ (stable forms, §5.6)."""
    a, one_minus_gamma = stable_gaps(rank, num_samples, ridge, kappa, n1_minus_n2)
    gamma = df2 / num_samples
    var_x = amplified(bias * gamma, one_minus_gamma)
    var_noise = amplified(noise_var * gamma, one_minus_gamma)
    test = bias + var_x + var_noise
    test_out = test + noise_var
    # E_tr = a² E_out; at a = 0 (interpolation) the limit is 0 even where E_out = inf.
    nonzero = a > 0
    train = jnp.where(nonzero, jnp.where(nonzero, a, 0.0) ** 2 * test_out, 0.0)
    # S = κ/λ for λ > 0; at λ = 0 its limit 1/a: P/(P − rank) on the κ = 0 branch, +inf when
    # κ = κ₀ > 0 (the interpolator) or at the threshold.
    positive = ridge > 0
    s_transform = jnp.where(
        positive,
        kappa / jnp.where(positive, ridge, 1.0),
        jnp.where(nonzero, 1.0 / jnp.where(nonzero, a, 1.0), jnp.inf),
    )
    return RidgeRisk(
        kappa=kappa,
        df1=df1,
        df2=df2,
        gamma=gamma,
        bias=bias,
        var_x=var_x,
        var_noise=var_noise,
        test=test,
        test_out=test_out,
        train=train,
        s_transform=s_transform,
    )
