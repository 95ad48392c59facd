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
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._validate import as_float, check_scalar, check_vector, common_dtype, readable_errors
from ._implicit import implicit_tangent, solve_increasing

__all__ = ["RidgeRisk", "effective_ridge", "ridge_risk"]


# --------------------------------------------------------------------------------------------
# The scalar equation.
# --------------------------------------------------------------------------------------------


def _log_equation(u, eigvals, num_samples, ridge):
    """G(κ) = 1 − λ/κ − n₁(κ)/P in u = log κ, and dG/du = λ/κ + (n₁ − n₂)/P (THEORY §5.1).

    Both come from one reciprocal per eigenvalue; κ > 0 here, so zero eigenvalues are safe.
    """
    kappa = jnp.exp(u)
    t = 1.0 / (eigvals + kappa)
    et = eigvals * t
    n1, n1_minus_n2 = fused_sums(et, et * (kappa * t))
    a = ridge / kappa
    return 1.0 - a - n1 / num_samples, a + n1_minus_n2 / num_samples


BLOCK = 64


def as_blocks(x):
    """Lay a 1-D spectrum out as ``(ceil(N/64), 64)``, zero-padded (zeros add nothing to sums).

    Done once per call, outside the solver loop, so that :func:`fused_sums` can reduce blocks.
    """
    n = x.shape[-1]
    return jnp.pad(x, (0, (-n) % BLOCK)).reshape(-1, BLOCK)


def fused_sums(*terms):
    """Full sums of several same-shaped arrays with ONE variadic reduction over the last axis.

    XLA does not fuse sibling reductions that share an expensive producer (the reciprocal
    1/(e+κ)); it materialises it, which costs ~15x under vmap. A variadic reduce keeps every sum
    in a single pass over the spectrum — but it accumulates sequentially (0.8 % error over 10⁶
    float32 terms), so terms come in blocks (:func:`as_blocks`): sequential within a block of 64,
    then a tree sum (``jnp.sum``) over blocks.
    """
    zeros = tuple(jnp.zeros((), t.dtype) for t in terms)
    partial = jax.lax.reduce(
        terms,
        zeros,
        lambda a, b: tuple(x + y for x, y in zip(a, b, strict=True)),
        (terms[0].ndim - 1,),
    )
    return tuple(jnp.sum(p) for p in partial)


# Sums are linear: their tangent is the sum of the tangents. This replaces JAX's rule for the
# variadic reduce, which fails on symbolic-zero tangents (e.g. grad in target_weights alone).
fused_sums = jax.custom_jvp(fused_sums)
fused_sums.defjvp(
    lambda primals, tangents: (fused_sums(*primals), tuple(jnp.sum(t) for t in tangents))
)


@jax.custom_jvp
def ratio(x, y):
    """x / y whose derivative never forms y⁻².

    JAX differentiates x/y as dx/y − x·dy·y⁻²; for eigenvalues below ~1e-19 in float32, y²
    underflows and the κ = 0 branch (x = 0) gives 0·inf = NaN. Here d(x/y) = (dx − (x/y)·dy)/y.
    """
    return x / y


@ratio.defjvp
def _ratio_jvp(primals, tangents):
    x, y = primals
    dx, dy = tangents
    q = ratio(x, y)
    return q, ratio(dx - q * dy, y)


def _residual(kappa, eigvals, num_samples, ridge):
    """F(κ) = κ − λ − (1/P) Σ κ e_k/(e_k + κ) (form B); defined at κ = 0 too.

    ∂F/∂κ = 1 − γ. The implicit tangent differentiates this in (e, P, λ) at fixed κ.
    """
    denom = eigvals + kappa
    safe = jnp.where(denom > 0, denom, 1.0)
    return kappa - ridge - jnp.sum(kappa * ratio(eigvals, safe)) / num_samples


def _spectrum_summary(eigvals):
    positive = eigvals > 0
    rank = jnp.sum(positive).astype(eigvals.dtype)
    trace = jnp.sum(eigvals)
    smallest = jnp.min(jnp.where(positive, eigvals, jnp.inf))
    return rank, trace, smallest


def _is_zero_branch(rank, num_samples, ridge):
    """λ = 0 and rank(Σ) ≤ P: the ridgeless solution has κ = 0 (THEORY §5.4)."""
    return (ridge == 0) & (rank <= num_samples)


def _solve(eigvals, num_samples, ridge):
    """κ by safeguarded Newton on G in log κ, inside the bracket of THEORY §2.3/§5.3."""
    eigvals = as_blocks(eigvals)
    dtype = eigvals.dtype
    tiny = jnp.finfo(dtype).tiny
    eps = jnp.finfo(dtype).eps
    rank, trace, smallest = _spectrum_summary(eigvals)
    zero_branch = _is_zero_branch(rank, num_samples, ridge)
    # Double-where: the κ = 0 branch is discarded below, but it must still be solvable.
    lam = jnp.where(zero_branch, 1.0, ridge)
    # Lower bound: κ ≥ max(λ, κ₀), and n₁(κ) ≥ rank·e_min/(e_min+κ) gives
    # κ₀ ≥ e_min (rank − P)/P when rank > P.
    smallest = jnp.where(jnp.isfinite(smallest), smallest, 1.0)
    kappa_lo = jnp.maximum(lam, smallest * jnp.maximum(rank - num_samples, 0.0) / num_samples)
    # Upper bound: κ ≤ λ + TrΣ/P, and κ ≤ λ/(1 − rank/P) when rank < P.
    kappa_hi = lam + trace / num_samples
    under = rank < num_samples
    kappa_hi_under = lam / jnp.where(under, 1.0 - rank / num_samples, 1.0)
    kappa_hi = jnp.where(under & (kappa_hi_under < kappa_hi), kappa_hi_under, kappa_hi)
    lo = jnp.log(jnp.maximum(kappa_lo, tiny))
    hi = jnp.log(jnp.maximum(kappa_hi, tiny))
    hi = jnp.maximum(hi, lo)
    u, _, _ = solve_increasing(
        _log_equation,
        lo,
        hi,
        0.5 * (lo + hi),
        (eigvals, num_samples, lam),
        # G is O(1) and its evaluation noise a few eps: below 32 eps Newton only dithers.
        g_tol=32.0 * eps,
    )
    kappa = jnp.exp(u)
    return jnp.where(zero_branch, jnp.zeros_like(kappa), kappa)


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


def _stable_gaps(rank, num_samples, ridge, kappa, n1_minus_n2):
    """a = 1 − n₁/P and 1 − γ = a + (n₁ − n₂)/P without cancellation (THEORY §5.6).

    a = λ/κ for λ > 0; a = 0 for λ = 0, κ > 0; a = 1 − rank/P on the κ = 0 branch.
    """
    zero_branch = _is_zero_branch(rank, num_samples, ridge)
    safe_kappa = jnp.where(kappa > 0, kappa, 1.0)
    a = jnp.where(zero_branch, 1.0 - rank / num_samples, ridge / safe_kappa)
    return a, a + n1_minus_n2 / num_samples


@jax.custom_jvp
def _kappa(eigvals, num_samples, ridge):
    return _solve(jax.lax.stop_gradient(eigvals), num_samples, ridge)


@_kappa.defjvp
def _kappa_jvp(primals, tangents):
    # κ solves F(κ, θ) = 0 with θ = (e, P, λ) and ∂F/∂κ = 1 − γ > 0, so by the implicit
    # function theorem dκ = −(∂F/∂θ · dθ)/(1 − γ) (THEORY §5.5). κ is recomputed through
    # `_kappa` itself so that differentiating this rule again (second order) uses it too.
    eigvals, num_samples, ridge = primals
    kappa = _kappa(eigvals, num_samples, ridge)
    blocks = as_blocks(eigvals)
    _, _, n1_minus_n2, _ = _spectral_sums(blocks, jnp.zeros_like(blocks), kappa)
    rank, _, _ = _spectrum_summary(eigvals)
    _, one_minus_gamma = _stable_gaps(rank, num_samples, ridge, kappa, n1_minus_n2)
    d_kappa = implicit_tangent(_residual, kappa, one_minus_gamma, primals, tangents)
    return kappa, d_kappa


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
    eigvals: Float[ArrayLike, " n"], num_samples: ArrayLike, ridge: ArrayLike
) -> Float[Array, ""]:
    """The renormalised ridge κ of linear ridge regression.

    Solves ``κ = λ + (κ/P) Σ_k e_k/(e_k + κ)`` (THEORY §2.3) by safeguarded Newton in ``log κ``
    inside the bracket ``[max(λ, κ₀), λ + TrΣ/P]``. Differentiable in every argument by the
    implicit function theorem (forward, reverse and higher order); jit- and vmap-able.

    Args:
        eigvals: population eigenvalues ``e_k >= 0``, shape ``(N,)``.
        num_samples: ``P > 0`` (a float; non-integer values interpolate).
        ridge: ``λ >= 0``. At ``λ = 0`` returns the ridgeless limit: ``0`` when
            rank(Σ) ≤ P, else the root of ``n₁(κ₀) = P``.

    Returns:
        κ, a scalar of the inputs' floating dtype.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge.theory import effective_ridge
        >>> k = effective_ridge(jnp.ones(1000), 500.0, 0.1)   # 1.18442887...
    """
    _, eigvals, num_samples, ridge = _prepare(eigvals, num_samples, ridge)
    return _effective_ridge_jit(eigvals, num_samples, ridge)


# Compiled cores: eager calls hit JAX's compile cache (keyed on shapes and dtypes) instead of
# re-tracing the solver loop op by op; inside a user's jit they are simply inlined.
_effective_ridge_jit = jax.jit(_kappa)


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


def _amplified(numerator, one_minus_gamma):
    """numerator/(1 − γ), +inf at the threshold (0 when the numerator is exactly 0)."""
    ok = one_minus_gamma > 0
    safe = jnp.where(ok, one_minus_gamma, 1.0)
    return jnp.where(ok, numerator / safe, jnp.where(numerator > 0, jnp.inf, 0.0))


@readable_errors
def ridge_risk(
    eigvals: Float[ArrayLike, " n"],
    target_weights: Float[ArrayLike, " n"],
    num_samples: ArrayLike,
    ridge: ArrayLike,
    noise_var: ArrayLike = 0.0,
) -> RidgeRisk:
    """Test, train and bias–variance errors of ridge regression (THEORY §2.5–2.6).

    ``E_g = (κ² w̄ᵀΣ(Σ+κ)⁻²w̄ + σ²γ)/(1 − γ)``, ``E_out = E_g + σ²``,
    ``E_tr = (1 − n₁/P)² E_out``, with ``1 − γ`` and ``1 − n₁/P`` evaluated in the
    cancellation-free forms of THEORY §5.6.

    Args:
        eigvals: population eigenvalues ``e_k >= 0``, shape ``(N,)``.
        target_weights: ``w̄_k``, shape ``(N,)``.
        num_samples: ``P > 0``.
        ridge: ``λ >= 0``.
        noise_var: ``σ_ε² >= 0``.

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
    return _ridge_risk_jit(eigvals, target_weights, num_samples, ridge, noise_var)


@jax.jit
def _ridge_risk_jit(eigvals, target_weights, num_samples, ridge, noise_var):
    kappa = _kappa(eigvals, num_samples, ridge)
    df1, df2, n1_minus_n2, bias = _spectral_sums(
        as_blocks(eigvals), as_blocks(target_weights), kappa
    )
    rank, _, _ = _spectrum_summary(eigvals)
    return _assemble(kappa, df1, df2, n1_minus_n2, bias, rank, num_samples, ridge, noise_var)


def _assemble(kappa, df1, df2, n1_minus_n2, bias, rank, num_samples, ridge, noise_var):
    """Every error of THEORY §2.5–2.6 from κ and the spectral sums at κ (stable forms, §5.6)."""
    a, one_minus_gamma = _stable_gaps(rank, num_samples, ridge, kappa, n1_minus_n2)
    gamma = df2 / num_samples
    var_x = _amplified(bias * gamma, one_minus_gamma)
    var_noise = _amplified(noise_var * gamma, one_minus_gamma)
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
