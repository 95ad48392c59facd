"""Monte Carlo for linear random-feature models, with the fine-grained decomposition.

For each of ``n_X`` data seeds (X, ε) and ``n_F`` feature seeds F, ridge is fitted in feature
space, ``â = argmin (1/P)‖y − XFa‖² + λ‖a‖²``, and read back as effective weights ``ŵ = Fâ``
in ℝ^D. One symmetric eigendecomposition per (X, F) draw — of the smaller of ``ZZᵀ/P`` (P × P)
and ``ZᵀZ/P`` (N × N), ``Z = XF`` — serves every λ (THEORY §2.1, §5.7).

The grid of fits ``f_ij`` (noise-free labels) and of their noise parts ``f_ij − f_ij^clean``
(the same noise draws ε_i) is split with the unbiased two-way random-effects ANOVA of
THEORY §5.8 in the Σ-norm, which estimates Bias², Var_X, Var_F, Var_XF, Var_Xε and Var_XFε
without the O(1/n_seeds) bias of a plug-in estimate.

Feature noise (``feature_noise_var`` = σ_ξ²): the training features are ``Z = XF + Ξ`` with Ξ
fresh for every (X, F) pair (deep: noise on the last layer), and ``test`` is the error on a
fresh test point whose features carry fresh noise, ``‖Σ^{1/2}(ŵ − w̄)‖² + σ_ξ²‖â‖²``, which is
the E_g of :func:`jaxridge.theory.rf_risk`. The ANOVA extends by giving each feature draw its
own test-noise coordinates (the nonlinear part of independent random features is
uncorrelated), see ``_anova_feature_noise``: σ_ξ²‖â‖² splits into Var_F and Var_XF (and
Var_XFε), Bias² and Var_X are unchanged, Ξ counts as part of the (X, F) interaction.

Names in the API and the paper's symbols:

=====================  ========  ==============================================================
argument / field       symbol    meaning
=====================  ========  ==============================================================
``eigvals``            e_k       data covariance spectrum (Σ = diag(e)), length D
``target_weights``     w̄_k       target weights in the eigenbasis of Σ
``num_features``       N         width (a Python int: it fixes shapes)
``widths``             N_ℓ       layer widths of a deep model (Python ints)
``num_samples``        P         number of training samples (a Python int)
``ridges``             λ         ridges, ``>= 0`` (λ = 0: minimum-norm fit)
``noise_var``          σ_ε²      label-noise variance
``feature_var(s)``     v, v_ℓ    entry variance of F (default 1/D in every layer)
``feature_eigvals``    s         column spectrum of F, (F)_ij = √(v s_j) g_ij
``kappa1``             κ̂₁        λ/(1 − df̂/P) = P/Tr[(ZZᵀ/P + λ)⁻¹] (mean over fits)
``df1``                df̂        Tr[Ẑ(Ẑ + λ)⁻¹], Ẑ = ZᵀZ/P (mean over fits)
``bias`` … ``var_xfnoise``       two-way ANOVA estimates (THEORY §3.3 table)
``test``, ``test_out`` E_g       mean of (ŵ − w̄)ᵀΣ(ŵ − w̄) over fits; + σ_ε²
``train``              E_tr      mean of (1/P)‖y − Zâ‖²
``gcv``                Ê_g       mean of E_tr/(1 − df̂/P)² − σ_ε²
=====================  ========  ==============================================================
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._validate import (
    as_float,
    check,
    check_count,
    check_fits_memory,
    check_key,
    check_scalar,
    check_sizes,
    check_spectrum,
    check_vector,
    common_dtype,
    is_concrete,
    readable_errors,
)

__all__ = ["RFEmpiricalRisk", "deep_rf_ridge_risk", "rf_ridge_risk"]

_HI = lax.Precision.HIGHEST


class RFEmpiricalRisk(eqx.Module):
    """Monte-Carlo estimates over a ridge grid; every field has shape ``(len(ridges),)``."""

    kappa1: Array
    df1: Array
    bias: Array
    var_x: Array
    var_f: Array
    var_xf: Array
    var_xnoise: Array
    var_xfnoise: Array
    test: Array
    test_out: Array
    train: Array
    gcv: Array


def _length(x) -> int:
    """The length of a 1-D input before it is validated (1 for anything else)."""
    try:
        shape = np.shape(x)
    except (TypeError, ValueError):
        return 1
    return int(shape[0]) if len(shape) == 1 else 1


def _mm(a, b):
    return jnp.matmul(a, b, precision=_HI)


def _draw_features(key, scales, dims):
    """F = F₁⋯F_L with (F_ℓ)_ij = scale_ℓ,j g_ij, scale = √(v_ℓ s^{(ℓ)}) (D × N_L)."""
    dtype = scales[0].dtype
    out = None
    for ell, (scale, (rows, cols)) in enumerate(zip(scales, dims, strict=True)):
        layer = (
            jax.random.normal(jax.random.fold_in(key, ell), (rows, cols), dtype) * scale[None, :]
        )
        out = layer if out is None else _mm(out, layer)
    return out


def _fit_path(x, y_clean, noise, features, ridges, sqrt_e, target, feature_noise, feature_std):
    """Σ^{1/2}(ŵ − w̄) for the clean and noisy labels, plus train error and df̂, for all λ.

    With ``feature_noise`` (P × N, already scaled by σ_ξ, or ``None``) the training features
    are ``Z = XF + Ξ`` and σ_ξ â is returned too (clean and noisy labels), for all λ.
    """
    p = x.shape[0]
    n = features.shape[1]
    dtype = x.dtype
    z = _mm(x, features)  # P × N
    if feature_noise is not None:
        z = z + feature_noise
    labels = jnp.stack([y_clean, y_clean + noise], axis=1)  # P × 2
    eps = jnp.finfo(dtype).eps
    if p <= n:
        g, u = jnp.linalg.eigh(_mm(z, z.T) / p)
        c = _mm(u.T, labels)  # P × 2
        # â = Zᵀ U (g+λ)⁻¹ Uᵀ y / P, ŵ = F â
        zu = _mm(z.T, u)  # N × P
        m = _mm(features, zu) / p  # D × P
        za = zu / p
        size = p
    else:
        g, v = jnp.linalg.eigh(_mm(z.T, z) / p)
        c = _mm(v.T, _mm(z.T, labels)) / p  # N × 2
        m = _mm(features, v)  # D × N
        za = v  # â = V (g+λ)⁻¹ Vᵀ Zᵀ y / P
        zv = _mm(z, v)  # P × N
        size = n
    g = jnp.maximum(g, 0.0)
    cutoff = size * eps * jnp.max(g)

    def one(lam):
        denom = g + lam
        ok = denom > cutoff
        inv = jnp.where(ok, 1.0 / jnp.where(ok, denom, 1.0), 0.0)
        coef = c * inv[:, None]
        w_hat = _mm(m, coef)  # D × 2
        diff = sqrt_e[:, None] * (w_hat - target[:, None])
        if p <= n:
            resid = _mm(u, c * (1.0 - g * inv)[:, None])
        else:
            resid = labels - _mm(zv, coef)
        train = jnp.sum(resid[:, 1] ** 2) / p
        df = jnp.sum(g * inv)
        if feature_noise is None:
            return diff[:, 0], diff[:, 1], train, df
        a_hat = feature_std * _mm(za, coef)  # σ_ξ â, N × 2
        return diff[:, 0], diff[:, 1], train, df, a_hat[:, 0], a_hat[:, 1]

    return jax.vmap(one)(ridges)


def _anova(f, target_gap):
    """Unbiased two-way random-effects split of f_ij (n_X, n_F, K, D) in the plain norm.

    ``target_gap``: ``(K, D)`` vector subtracted from the grand mean for the bias (0 for the
    noise parts, whose bias is not reported).
    """
    n_x, n_f = f.shape[0], f.shape[1]
    m = jnp.mean(f, axis=(0, 1))
    a = jnp.mean(f, axis=1)
    b = jnp.mean(f, axis=0)
    resid = f - a[:, None] - b[None, :] + m[None, None]
    var_xf = jnp.sum(resid**2, axis=(0, 1, 3)) / ((n_x - 1) * (n_f - 1))
    var_x = jnp.sum((a - m[None]) ** 2, axis=(0, 2)) / (n_x - 1) - var_xf / n_f
    var_f = jnp.sum((b - m[None]) ** 2, axis=(0, 2)) / (n_f - 1) - var_xf / n_x
    bias = (
        jnp.sum((m - target_gap) ** 2, axis=-1) - var_x / n_x - var_f / n_f - var_xf / (n_x * n_f)
    )
    return bias, var_x, var_f, var_xf


def _anova_feature_noise(u):
    """ANOVA contributions of the test-noise part σ_ξ â_ij of the fits (n_X, n_F, K, N).

    The test-time noise ξ of a fit with features F_j is independent of that of any other draw
    F_k (as the nonlinear part of a random feature is, across independent weights), so σ_ξ â_ij
    lives in a coordinate block of its own for each j. The two-way ANOVA of THEORY §5.8 on
    vectors with that block structure reduces to (S_e = Σ_ij ‖u_ij − ū_j‖², ū_j = mean_i u_ij)
    Var_XF += S_e/(n_F(n_X−1)), Var_F += mean_j ‖ū_j‖² − S_e/(n_F n_X(n_X−1)), and 0 for
    Bias² and Var_X; both are unbiased for σ_ξ² E‖â − E_X â‖² and σ_ξ² E_F‖E_X â‖².
    """
    n_x, n_f = u.shape[0], u.shape[1]
    u_bar = jnp.mean(u, axis=0)  # (n_F, K, N)
    s_e = jnp.sum((u - u_bar[None]) ** 2, axis=(0, 1, 3))
    var_xf = s_e / (n_f * (n_x - 1))
    var_f = jnp.mean(jnp.sum(u_bar**2, axis=-1), axis=0) - s_e / (n_f * n_x * (n_x - 1))
    return var_f, var_xf


@functools.partial(
    jax.jit,
    static_argnames=(
        "num_samples",
        "dims",
        "num_data_seeds",
        "num_feature_seeds",
        "with_feature_noise",
    ),
)
# Counts its traces, no limit (tests: `eqx.debug.get_num_traces(_monte_carlo)`).
@eqx.debug.assert_max_traces(max_traces=None)
def _monte_carlo(
    key,
    eigvals,
    target_weights,
    ridges,
    noise_var,
    scales,
    feature_noise_var,
    *,
    num_samples,
    dims,
    num_data_seeds,
    num_feature_seeds,
    with_feature_noise,
):
    dtype = eigvals.dtype
    d = eigvals.shape[0]
    sqrt_e = jnp.sqrt(eigvals)
    key_x, key_f = jax.random.split(key)
    keys_x = jax.vmap(jax.random.fold_in, (None, 0))(key_x, jnp.arange(num_data_seeds))
    keys_f = jax.vmap(jax.random.fold_in, (None, 0))(key_f, jnp.arange(num_feature_seeds))
    noise_std = jnp.sqrt(noise_var)
    feature_std = jnp.sqrt(feature_noise_var)
    width = dims[-1][1]

    def per_x(kx):
        k1, k2 = jax.random.split(kx)
        x = jax.random.normal(k1, (num_samples, d), dtype) * sqrt_e[None, :]
        y_clean = jnp.sum(x * target_weights[None, :], axis=1)
        noise = noise_std * jax.random.normal(k2, (num_samples,), dtype)
        # Training feature noise Ξ is fresh for every (X, F) pair, like the nonlinear part of
        # a random feature, which depends on both.
        k3 = jax.random.fold_in(kx, 2)

        def per_f(kf, j):
            features = _draw_features(kf, scales, dims)
            xi = None
            if with_feature_noise:
                shape = (num_samples, width)
                xi = feature_std * jax.random.normal(jax.random.fold_in(k3, j), shape, dtype)
            return _fit_path(
                x, y_clean, noise, features, ridges, sqrt_e, target_weights, xi, feature_std
            )

        return jax.vmap(per_f)(keys_f, jnp.arange(num_feature_seeds))

    # lax.map over data seeds bounds memory (one X at a time, all F draws batched).
    fits = lax.map(per_x, keys_x)  # (n_X, n_F, K, D), (n_X, n_F, K) [, (n_X, n_F, K, N)]
    clean, noisy, train, df = fits[:4]
    num_ridges = ridges.shape[0]
    target0 = jnp.zeros((num_ridges, d), dtype)
    bias, var_x, var_f, var_xf = _anova(clean, target0)
    _, var_xnoise, _, var_xfnoise = _anova(noisy - clean, target0)
    test = jnp.mean(jnp.sum(noisy**2, axis=-1), axis=(0, 1))
    if with_feature_noise:
        # E_g of a fresh test point whose features carry fresh noise: ‖ŵ − w̄‖²_Σ + σ_ξ²‖â‖².
        a_clean, a_noisy = fits[4], fits[5]
        test = test + jnp.mean(jnp.sum(a_noisy**2, axis=-1), axis=(0, 1))
        extra_f, extra_xf = _anova_feature_noise(a_clean)
        var_f = var_f + extra_f
        var_xf = var_xf + extra_xf
        _, extra_xfnoise = _anova_feature_noise(a_noisy - a_clean)
        var_xfnoise = var_xfnoise + extra_xfnoise
    one_minus = 1.0 - df / num_samples
    ok = one_minus > 0
    safe = jnp.where(ok, one_minus, 1.0)
    gcv = jnp.where(ok, train / safe**2, jnp.inf) - noise_var
    kappa1 = jnp.where(ok, ridges[None, None, :] / safe, 0.0)
    return RFEmpiricalRisk(
        kappa1=jnp.mean(kappa1, axis=(0, 1)),
        df1=jnp.mean(df, axis=(0, 1)),
        bias=bias,
        var_x=var_x,
        var_f=var_f,
        var_xf=var_xf,
        var_xnoise=var_xnoise,
        var_xfnoise=var_xfnoise,
        test=test,
        test_out=test + noise_var,
        train=jnp.mean(train, axis=(0, 1)),
        gcv=jnp.mean(gcv, axis=(0, 1)),
    )


def _run(
    key,
    eigvals,
    target_weights,
    widths,
    num_samples,
    ridges,
    noise_var,
    num_data_seeds,
    num_feature_seeds,
    fvars,
    spectra,
    feature_noise_var,
    *,
    names,
):
    w_name, v_name, s_name = names
    key = check_key(key)
    num_samples = check_count(num_samples, "num_samples")
    num_data_seeds = check_count(num_data_seeds, "num_data_seeds", 2)
    num_feature_seeds = check_count(num_feature_seeds, "num_feature_seeds", 2)
    widths = tuple(
        check_count(
            wd, w_name if len(widths) == 1 and w_name == "num_features" else f"{w_name}[{k}]"
        )
        for k, wd in enumerate(widths)
    )
    present = [sp for sp in spectra if sp is not None]
    d = _length(eigvals)
    # One data seed holds X (P × D), each layer's features of the P samples and its weights.
    layer_in = (d, *widths[:-1])
    elements = num_samples * (d + sum(widths)) + sum(
        a * b for a, b in zip(layer_in, widths, strict=True)
    )
    check_fits_memory(
        8 * elements,
        "num_samples"
        if num_samples * d >= max(a * b for a, b in zip(layer_in, widths, strict=True))
        else w_name,
        "one data seed",
    )
    dtype = common_dtype(
        eigvals,
        target_weights,
        ridges,
        noise_var,
        feature_noise_var,
        *([] if fvars is None else [fvars]),
        *present,
    )
    eigvals, target_weights = check_spectrum(eigvals, target_weights, dtype)
    d = eigvals.shape[0]
    ridges = as_float(ridges, dtype, "ridges")
    if ridges.ndim == 0:
        ridges = ridges[None]
    ridges = check_vector(ridges, "ridges", nonnegative=True)
    noise_var = check_scalar(as_float(noise_var, dtype, "noise_var"), "noise_var", nonnegative=True)
    feature_noise_var = check_scalar(
        as_float(feature_noise_var, dtype, "feature_noise_var"),
        "feature_noise_var",
        nonnegative=True,
    )
    # A concrete 0 (a literal or an array holding 0: the same program) compiles the noise-free
    # program; a traced value draws the noise (σ_ξ² = 0 there gives the same numbers).
    with_feature_noise = not (is_concrete(feature_noise_var) and float(feature_noise_var) == 0.0)
    if fvars is None:
        fvars = jnp.full((len(widths),), 1.0 / d, dtype)
    else:
        fvars = as_float(fvars, dtype, v_name)
        if fvars.ndim == 0:
            fvars = fvars[None]
        fvars = check_vector(fvars, v_name, length=len(widths))
        fvars = check(fvars, fvars <= 0, v_name, "must be > 0")
    scales = []
    for ell, (wd, sp) in enumerate(zip(widths, spectra, strict=True)):
        name = s_name if w_name == "num_features" else f"{s_name}[{ell}]"
        if sp is None:
            sp = jnp.ones((wd,), dtype)
        else:
            sp = check_vector(as_float(sp, dtype, name), name, length=wd)
            sp = check(sp, sp <= 0, name, "must be > 0")
        scales.append(jnp.sqrt(fvars[ell] * sp))
    dims = tuple(zip((d,) + widths[:-1], widths, strict=True))
    return _monte_carlo(
        key,
        eigvals,
        target_weights,
        ridges,
        noise_var,
        tuple(scales),
        feature_noise_var,
        num_samples=num_samples,
        dims=dims,
        num_data_seeds=num_data_seeds,
        num_feature_seeds=num_feature_seeds,
        with_feature_noise=with_feature_noise,
    )


@readable_errors
def rf_ridge_risk(
    key: PRNGKeyArray,
    eigvals: Float[ArrayLike, " d"],
    target_weights: Float[ArrayLike, " d"],
    num_features: int,
    num_samples: int,
    ridges: Float[ArrayLike, " k"],
    noise_var: ArrayLike = 0.0,
    *,
    num_data_seeds: int = 4,
    num_feature_seeds: int = 4,
    feature_var: ArrayLike | None = None,
    feature_eigvals: Float[ArrayLike, " n"] | None = None,
    feature_noise_var: ArrayLike = 0.0,
) -> RFEmpiricalRisk:
    """Monte-Carlo errors of linear random features over an (X seeds × F seeds) grid.

    Data ``X = Z·diag(√e)`` (P × D), ``y = Xw̄ + σξ``; weights ``F_ij = √(v s_j) g_ij`` (D × N).
    Seed ``i`` of the data and ``j`` of the features come from ``fold_in`` of two halves of
    ``key``, so a seed's draw does not depend on how many seeds are requested.

    Args:
        key: a JAX PRNG key.
        eigvals: data eigenvalues ``e_k >= 0``, shape ``(D,)``.
        target_weights: ``w̄_k``, shape ``(D,)``.
        num_features: N (Python int).
        num_samples: P (Python int).
        ridges: ridges ``λ >= 0``, shape ``(K,)`` (one eigendecomposition serves all of them).
        noise_var: ``σ_ε² >= 0``.
        num_data_seeds: ``n_X >= 2`` draws of (X, ε).
        num_feature_seeds: ``n_F >= 2`` draws of F.
        feature_var: ``v > 0`` (default ``1/D``).
        feature_eigvals: column spectrum ``s > 0`` of length N (default ones).
        feature_noise_var: ``σ_ξ² >= 0``: i.i.d. ``N(0, σ_ξ²)`` noise added to every training
            feature, ``Z = XF + Ξ``, fresh for each (X, F) pair; the test error includes the
            noise of a fresh test point's features (module docstring, "Feature noise").

    Returns:
        An :class:`RFEmpiricalRisk` whose fields have shape ``(K,)``; the decomposition terms
        are unbiased estimates of those of :func:`jaxridge.theory.rf_risk` (individual
        estimates may be slightly negative when a term is near 0).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxridge import empirical, spectra
        >>> e, w = spectra.power_law(300, alpha=1.5, r=0.6)
        >>> mc = empirical.rf_ridge_risk(jax.random.key(0), e, w, 200, 150,
        ...                              jnp.array([1e-3, 1e-2]), noise_var=0.04)
        >>> mc.test.shape
        (2,)
    """
    return _run(
        key,
        eigvals,
        target_weights,
        (num_features,),
        num_samples,
        ridges,
        noise_var,
        num_data_seeds,
        num_feature_seeds,
        feature_var,
        [feature_eigvals],
        feature_noise_var,
        names=("num_features", "feature_var", "feature_eigvals"),
    )


@readable_errors
def deep_rf_ridge_risk(
    key: PRNGKeyArray,
    eigvals: Float[ArrayLike, " d"],
    target_weights: Float[ArrayLike, " d"],
    widths: Sequence[int],
    num_samples: int,
    ridges: Float[ArrayLike, " k"],
    noise_var: ArrayLike = 0.0,
    *,
    num_data_seeds: int = 4,
    num_feature_seeds: int = 4,
    feature_vars: Float[ArrayLike, " L"] | None = None,
    feature_eigvals: Sequence[Float[ArrayLike, " n"] | None] | None = None,
    feature_noise_var: ArrayLike = 0.0,
) -> RFEmpiricalRisk:
    """Monte Carlo of a deep linear random-feature model ``F = F₁⋯F_L``.

    Layer ℓ is ``N_{ℓ−1} × N_ℓ`` (``N₀ = D``) with entries ``√(v_ℓ s^{(ℓ)}_j) g_ij``. The default
    ``v_ℓ = 1/D`` matches :func:`jaxridge.theory.deep_rf_risk`'s default; pass
    ``feature_vars = 1/[D, N₁, …]`` for the ``1/N_{ℓ−1}`` normalisation (same in both).

    Args:
        key: a JAX PRNG key.
        eigvals: data eigenvalues, shape ``(D,)``.
        target_weights: ``w̄_k``, shape ``(D,)``.
        widths: ``(N₁, …, N_L)`` Python ints.
        num_samples: P (Python int).
        ridges: ridges ``λ >= 0``, shape ``(K,)``.
        noise_var: ``σ_ε² >= 0``.
        num_data_seeds: ``n_X >= 2``.
        num_feature_seeds: ``n_F >= 2`` (a feature seed draws every layer).
        feature_vars: ``v_ℓ > 0``, shape ``(L,)`` (default ``1/D`` each).
        feature_eigvals: ``None`` or a length-L sequence of ``None``/column spectra.
        feature_noise_var: ``σ_ξ² >= 0``, noise added to the last layer's features (as in
            :func:`rf_ridge_risk`).

    Returns:
        An :class:`RFEmpiricalRisk`.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxridge import empirical, spectra
        >>> e, w = spectra.power_law(300, alpha=1.5, r=0.6)
        >>> mc = empirical.deep_rf_ridge_risk(jax.random.key(0), e, w, (250, 200), 150,
        ...                                   jnp.array([1e-3]))
    """
    widths = tuple(int(wd) for wd in check_sizes(widths, "widths"))
    spectra = [None] * len(widths) if feature_eigvals is None else list(feature_eigvals)
    if len(spectra) != len(widths):
        raise ValueError(
            f"jaxridge: argument `feature_eigvals` must have one entry per layer ({len(widths)})"
        )
    return _run(
        key,
        eigvals,
        target_weights,
        widths,
        num_samples,
        ridges,
        noise_var,
        num_data_seeds,
        num_feature_seeds,
        feature_vars,
        spectra,
        feature_noise_var,
        names=("widths", "feature_vars", "feature_eigvals"),
    )
