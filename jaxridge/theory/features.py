"""Deterministic equivalents of linear random-feature (LRF) models, shallow and deep.

Data ``x ~ N(0, Σ)`` in ℝ^D, labels ``y = w̄ᵀx + ε``. Fixed random weights ``F = F₁⋯F_L`` with
``F_ℓ ∈ ℝ^{N_{ℓ−1}×N_ℓ}`` (``N₀ = D``), entries ``(F_ℓ)_{ij} = √(v_ℓ s^{(ℓ)}_j) g_ij``. Ridge in
feature space, ``â = argmin (1/P)‖y − XFa‖² + λ‖a‖²``, effective weights ``ŵ = Fâ``. Averaged over
X, ε and F the risk is set by two renormalised ridges solving (THEORY §3.2)

    λ = κ₂ · (1 − n/P) · Π_ℓ v_ℓ n κ_{F,ℓ}(n),      n = Tr[Σ(Σ+κ₂)⁻¹],
    κ₁ = λ/(1 − n/P) = κ₂ Π_ℓ v_ℓ n κ_{F,ℓ}(n),

where ``κ_{F,ℓ}(n)`` solves ``Tr[Σ_{F,ℓ}(Σ_{F,ℓ} + κ_F)⁻¹] = n`` (``(N_ℓ − n)/n`` for an isotropic
layer). The errors and the fine-grained decomposition follow THEORY §3.3.

Names in the API and the paper's symbols:

===================  ========  ===============================================================
argument / field     symbol    meaning
===================  ========  ===============================================================
``eigvals``          e_k       data covariance spectrum (Σ = diag(e)), length D
``target_weights``   w̄_k       target weights in the eigenbasis of Σ
``num_features``     N         width (number of random features), a float
``widths``           N_ℓ       widths of the L layers of a deep model
``num_samples``      P         number of training samples, a float
``ridge``            λ         ridge, ``>= 0``
``noise_var``        σ_ε²      label-noise variance
``feature_var(s)``   v, v_ℓ    entry variance of the random weights (default 1/D)
``feature_eigvals``  s, s^(ℓ)  column spectrum diag(Σ_F) of the weights (default all ones)
``kappa1``           κ₁        data-side renormalised ridge λ/(1 − n/P)
``kappa2``           κ₂        feature-side renormalised ridge
``df1, df2``         n₁, n₂    Tr[Σ(Σ+κ₂)⁻¹], Tr[Σ²(Σ+κ₂)⁻²] (unnormalised)
``tau``              τ         1/χ, χ = d log κ₁/d log κ₂ = 1 + (n₁−n₂)/n₁ Σ_ℓ dlogS_ℓ
``gamma1, gamma2``   γ₁, γ₂    [n₁ − (n₁−n₂)τ]/P and n₂/P
``bias``             Bias²     κ₂² w̄ᵀΣ(Σ+κ₂)⁻²w̄
``var_x``            Var_X     variance over the data X (noise-free)
``var_f``            Var_F     variance over the features F: (1−τ) κ₂ w̄ᵀΣ²(Σ+κ₂)⁻²w̄
``var_xf``           Var_XF    X–F interaction (noise-free)
``var_xnoise``       Var_Xε    label-noise variance surviving the F-average
``var_xfnoise``      Var_XFε   remaining label-noise variance
``test``             E_g       excess test error, the sum of the six terms above
``test_out``         E_out     E_g + σ_ε²
``train``            E_tr      (1 − n₁/P)² E_out = (λ/κ₁)² E_out
``s_transform``      S         κ₂/λ = S_W(df)·Π_ℓ S_{F_ℓF_ℓᵀ}(df), the product of the
                               S-transforms of every random matrix (THEORY §3.2); the data
                               part alone is κ₁/λ
===================  ========  ===============================================================

Conventions:

* ``feature_eigvals`` fixes the width: a structured layer has ``N = len(feature_eigvals)``
  (entries must be > 0). Then ``num_features`` may be ``None``; if given it must equal that
  length. Without ``feature_eigvals`` the layer is isotropic and ``num_features`` is a traced,
  differentiable float.
* ``feature_var`` defaults to ``1/D`` in every layer, as in the paper's theory. The
  normalisation ``v_ℓ = 1/N_{ℓ−1}`` of the authors' deep simulations is obtained by passing
  ``feature_vars = 1/[D, N₁, …, N_{L−1}]`` explicitly.
* At ``λ = 0`` the solution is the limit λ → 0⁺: κ₂ = κ₀ with ``n₁(κ₀) = min(P, N_ℓ)`` when that
  is below rank Σ (else κ₀ = 0). When a width binds, τ = 0 exactly (THEORY §5.4). At an
  interpolation threshold (the binding width equals P) the errors are ``+inf``, never NaN.
* Eigenvalues exactly 0 form a null space of Σ (at least one must be positive). The data
  spectrum (``eigvals``, ``target_weights``) is therefore zero-padded to a bucket length (64,
  128, 192, 256, 384, …) before the compiled core, so a new D in the same bucket reuses the
  compiled program; D itself (the default ``feature_var``) is the caller's length.
  ``feature_eigvals`` are never padded: their length is the width.

Feature noise (``feature_noise_var`` = σ_ξ², Gaussian-equivalence proxy of a nonlinear random
feature model): the learner sees ``z = Fᵀx + ξ``, ``ξ ~ N(0, σ_ξ² I_N)`` fresh for every
training and test sample (deep: on the last layer's N_L features), and ``E_g`` is the excess
error of ``zᵀâ`` on a fresh test point, ``‖Fâ − w̄‖²_Σ + σ_ξ²‖â‖²``. Given F this is ridge
regression on features of covariance ``C = FᵀΣF + σ_ξ² I``, and ``C + κ₁ = FᵀΣF + μ`` with
``μ = κ₁ + σ_ξ²``, so the noise-free F-side relation holds at ridge μ:

    μ = κ₂ Π_ℓ B_ℓ(n),   n_C = Tr[C(C+κ₁)⁻¹] = n + δ,   δ = (σ_ξ²/μ)(N_L − n),
    λ = κ₁(1 − n_C/P),   ρ = κ₁/μ,
    1 − γ₁ = λ/κ₁ + [ρ²(n − n₂)τ + ρδ]/P,   Var_F = (1 − ρτ) κ₂ tf₂,

with τ, Bias², Var_X, Var_Xε unchanged in form (evaluated at the new κ₂), E_g =
[κ₂² tf₁′ + (1 − ρτ) κ₂ tf₂ + σ_ε² γ₁]/(1 − γ₁) and E_tr = (1 − n_C/P)² E_out. For one
isotropic layer δ = σ_ξ²/(vκ₂) and these equal THEORY §3.4's rule "n₁ → n₁ + σ_ξ²/(vκ₂)
(σ_ξ²/κ₂ in df = n₁/D with v = 1/D) in the master equation, κ₁, dlogS, χ and γ₁, n₂
unchanged"; for structured or deep weights that rule does not hold and δ above is used. The
``kappa1`` field is the data-side κ₁ (what GCV measures), ``df1`` stays n₁(κ₂) (the Monte-Carlo
df̂ estimates n_C = P(1 − λ/κ₁)). With σ_ξ² > 0 the noisy features have full rank N_L, so the
ridgeless limit is κ₁ = 0 when N_L < P and n_C = P when N_L > P.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._batching import pad_spectrum
from .._validate import (
    as_float,
    check,
    check_converged,
    check_real,
    check_scalar,
    check_spectrum,
    check_steps,
    check_vector,
    common_dtype,
    readable_errors,
)
from ._features_solve import (
    assemble,
    kappa2_root,
    master_stats,
    point_terms,
    refine_deficits,
    ridgeless_root,
)
from .linear import with_stats

__all__ = ["RFRisk", "deep_rf_risk", "rf_risk"]


class RFRisk(eqx.Module):
    """Deterministic-equivalent quantities of a (deep) linear random-feature model at one point.

    Every field is a scalar array (a batch under ``vmap``); symbols in the module docstring.
    ``bias + var_x + var_f + var_xf + var_xnoise + var_xfnoise == test``, each term ``>= 0``.
    """

    kappa1: Array
    kappa2: Array
    tau: Array
    gamma1: Array
    gamma2: Array
    df1: Array
    df2: Array
    bias: Array
    var_x: Array
    var_f: Array
    var_xf: Array
    var_xnoise: Array
    var_xfnoise: Array
    test: Array
    test_out: Array
    train: Array
    s_transform: Array
    converged: Array | None = None
    num_steps: Array | None = None
    residual: Array | None = None


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def _risk(
    layout,
    max_steps,
    throw,
    what,
    eigvals,
    target_weights,
    num_samples,
    ridge,
    noise_var,
    fnoise,
    widths,
    fvars,
    spectra,
):
    """All outputs at one point; arguments already validated and in one dtype."""
    # Ridgeless root κ₀ (n₁(κ₀) = m = min(P, N_ℓ)) and base = n₁(κ₀) = min(m, rank Σ): they
    # bracket the root and make the deficits P − n, N_ℓ − n cancellation-free. Only their
    # values are used (derivatives come from the direct forms), hence stop_gradient.
    # (For a structured layer widths[ℓ] equals len(s^{(ℓ)}), checked by the caller; using it
    # here keeps that check attached to the computation under jit.)
    sizes = [num_samples] + [widths[ell] for ell in range(len(layout))]
    m = jax.lax.stop_gradient(jnp.min(jnp.stack(sizes)))
    rank = jnp.sum(eigvals > 0).astype(eigvals.dtype)
    e_sg = jax.lax.stop_gradient(eigvals)
    kappa0, kappa0_stats = ridgeless_root(e_sg, m)
    base = jnp.minimum(m, rank)

    kappa2, kappa2_stats = kappa2_root(layout, max_steps)(
        eigvals, num_samples, ridge, fnoise, widths, fvars, spectra, kappa0, base
    )
    r, s, n, nmn2, def_p, layers, drop = point_terms(
        layout, kappa2, kappa0, base, eigvals, num_samples, widths, fvars, spectra
    )
    def_p, layers = refine_deficits(
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
    )
    stats = master_stats(kappa2_stats, kappa0_stats, layers)
    # Every field derives from κ₂, so a convergence check attached to it cannot be dropped.
    kappa2 = check_converged(kappa2, stats.converged, what, throw)
    w2e = target_weights**2 * eigvals
    bias = jnp.sum(w2e * s * s)  # κ₂² tf₁′
    k2tf2 = jnp.sum(w2e * r * s)  # κ₂ tf₂
    out = RFRisk(
        **assemble(
            kappa2, n, nmn2, def_p, layers, bias, k2tf2, num_samples, ridge, noise_var, fnoise
        )
    )
    return out if throw else with_stats(out, stats)


def _check_spectrum(spectrum, name, dtype):
    spectrum = check_vector(as_float(spectrum, dtype, name), name)
    return check(spectrum, spectrum <= 0, name, "must be > 0 (got a non-positive entry)")


@readable_errors
def rf_risk(
    eigvals: Float[ArrayLike, " d"],
    target_weights: Float[ArrayLike, " d"],
    num_features: ArrayLike | None,
    num_samples: ArrayLike,
    ridge: ArrayLike,
    noise_var: ArrayLike = 0.0,
    *,
    feature_var: ArrayLike | None = None,
    feature_eigvals: Float[ArrayLike, " n"] | None = None,
    feature_noise_var: ArrayLike = 0.0,
    throw: bool = True,
    max_steps: int | None = None,
) -> RFRisk:
    """Test, train and fine-grained bias–variance errors of linear random features.

    Solves the master equation ``λ = κ₂(1 − n/P) v n κ_F(n)`` (THEORY §3.2) by safeguarded Newton
    in ``log κ₂`` and evaluates THEORY §3.3. Differentiable in every float argument by the
    implicit function theorem (forward, reverse, higher order); jit- and vmap-able. The data
    spectrum is zero-padded to a bucket length (module docstring), so a new D in the same bucket
    reuses the compiled program.

    Args:
        eigvals: data eigenvalues ``e_k >= 0``, shape ``(D,)``.
        target_weights: ``w̄_k``, shape ``(D,)``.
        num_features: width ``N > 0`` (a float). With ``feature_eigvals`` it may be ``None``
            and otherwise must equal ``len(feature_eigvals)``.
        num_samples: ``P > 0``.
        ridge: ``λ >= 0`` (``0`` gives the ridgeless limit).
        noise_var: ``σ_ε² >= 0``.
        feature_var: entry variance ``v > 0`` of F (default ``1/D``).
        feature_eigvals: column spectrum ``s > 0`` of F, shape ``(N,)`` (default isotropic).
        feature_noise_var: ``σ_ξ² >= 0``, variance of i.i.d. noise added to every feature of
            every sample (train and test), ``z = Fᵀx + ξ``; see "Feature noise" in the module
            docstring. ``0`` is the noise-free model exactly.
        throw: raise ``RuntimeError`` if a solve does not converge (the default). With
            ``throw=False`` nothing is raised and the result carries ``converged``,
            ``num_steps`` and ``residual`` of the master equation (``converged`` also covers
            the ridgeless root κ₀ and every inner κ_F solve) instead.
        max_steps: iteration cap of the master-equation solve (static int); default from the
            dtype, enough for any bracket.

    Returns:
        An :class:`RFRisk`.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxridge import spectra, theory
        >>> e, w = spectra.power_law(1000, alpha=1.5, r=0.6)
        >>> out = theory.rf_risk(e, w, 500.0, 700.0, 1e-2, noise_var=0.04)
        >>> widths = jnp.geomspace(100.0, 5000.0, 8)
        >>> curve = jax.vmap(theory.rf_risk, (None, None, 0, None, None))(e, w, widths, 700.0, 1e-2)
        >>> curve.test.shape
        (8,)
    """
    widths, fv, spectra_ = shallow_layer(num_features, feature_var, feature_eigvals)
    return _deep(
        eigvals,
        target_weights,
        widths,
        num_samples,
        ridge,
        noise_var,
        fv,
        spectra_,
        feature_noise_var,
        names=("num_features", "feature_var", "feature_eigvals"),
        throw=throw,
        max_steps=max_steps,
    )


def shallow_layer(num_features, feature_var, feature_eigvals):
    """``(widths, feature_vars, feature_eigvals)`` of the one-layer model, as ``deep_model`` takes
    them, from :func:`rf_risk`'s arguments (checked here)."""
    if feature_eigvals is not None:
        feature_eigvals = check_real(feature_eigvals, "feature_eigvals")
    if num_features is not None:
        num_features = check_real(num_features, "num_features")
    if feature_var is not None:
        feature_var = check_real(feature_var, "feature_var")
    spectra_ = None if feature_eigvals is None else [feature_eigvals]
    if feature_eigvals is not None:
        if np.ndim(feature_eigvals) != 1:
            raise ValueError(
                "jaxridge: argument `feature_eigvals` must be a 1-D array, got shape "
                f"{np.shape(feature_eigvals)}"
            )
        if num_features is None:
            num_features = float(np.shape(feature_eigvals)[0])
    elif num_features is None:
        raise ValueError(
            "jaxridge: argument `num_features` is required when `feature_eigvals` is None"
        )
    if np.ndim(num_features) != 0:
        raise ValueError(
            f"jaxridge: argument `num_features` must be a scalar, got shape "
            f"{np.shape(num_features)}; use jax.vmap to evaluate a grid"
        )
    if feature_var is not None and np.ndim(feature_var) != 0:
        raise ValueError("jaxridge: argument `feature_var` must be a scalar")
    fv = None if feature_var is None else jnp.reshape(jnp.asarray(feature_var), (1,))
    widths = jnp.reshape(jnp.asarray(num_features), (1,))
    return widths, fv, spectra_


@readable_errors
def deep_rf_risk(
    eigvals: Float[ArrayLike, " d"],
    target_weights: Float[ArrayLike, " d"],
    widths: Float[ArrayLike, " L"],
    num_samples: ArrayLike,
    ridge: ArrayLike,
    noise_var: ArrayLike = 0.0,
    *,
    feature_vars: Float[ArrayLike, " L"] | None = None,
    feature_eigvals: Sequence[Float[ArrayLike, " n"] | None] | None = None,
    feature_noise_var: ArrayLike = 0.0,
    throw: bool = True,
    max_steps: int | None = None,
) -> RFRisk:
    """Errors of a deep linear random-feature model ``F = F₁⋯F_L`` (THEORY §3.2–3.3).

    The master equation gains one factor ``v_ℓ n κ_{F,ℓ}(n)`` per layer (the S-transform of
    each ``F_ℓF_ℓᵀ``); the error formulas are those of :func:`rf_risk` with
    ``χ = 1 + ((n₁−n₂)/n₁) Σ_ℓ dlogS_ℓ``. As there, the data spectrum is zero-padded to a
    bucket length, so a new D in the same bucket reuses the compiled program.

    Args:
        eigvals: data eigenvalues ``e_k >= 0``, shape ``(D,)``.
        target_weights: ``w̄_k``, shape ``(D,)``.
        widths: ``N_ℓ > 0``, shape ``(L,)`` (traced floats). For a structured layer the entry
            must equal ``len(feature_eigvals[ℓ])``.
        num_samples: ``P > 0``.
        ridge: ``λ >= 0``.
        noise_var: ``σ_ε² >= 0``.
        feature_vars: ``v_ℓ > 0``, shape ``(L,)``; default ``1/D`` for every layer (the paper's
            theory). The simulation normalisation ``v_ℓ = 1/N_{ℓ−1}`` must be passed explicitly.
        feature_eigvals: ``None`` (all isotropic) or a length-``L`` sequence whose entries are
            ``None`` (isotropic layer) or a column spectrum ``s^{(ℓ)} > 0``.
        feature_noise_var: ``σ_ξ² >= 0``, variance of i.i.d. noise added to the *last* layer's
            features, ``z = (F₁⋯F_L)ᵀx + ξ`` with ``ξ ∈ ℝ^{N_L}`` (module docstring).
        throw, max_steps: as in :func:`rf_risk` (per-point ``converged``, ``num_steps``,
            ``residual`` with ``throw=False``).

    Returns:
        An :class:`RFRisk`.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge import spectra, theory
        >>> e, w = spectra.power_law(1000, alpha=1.5, r=0.6)
        >>> out = theory.deep_rf_risk(e, w, jnp.array([800.0, 600.0]), 400.0, 1e-3)
    """
    return _deep(
        eigvals,
        target_weights,
        widths,
        num_samples,
        ridge,
        noise_var,
        feature_vars,
        feature_eigvals,
        feature_noise_var,
        names=("widths", "feature_vars", "feature_eigvals"),
        throw=throw,
        max_steps=max_steps,
    )


def _deep(
    eigvals,
    target_weights,
    widths,
    num_samples,
    ridge,
    noise_var,
    fvars,
    spectra,
    feature_noise_var,
    *,
    names,
    throw,
    max_steps,
):
    model = deep_model(
        eigvals,
        target_weights,
        widths,
        fvars,
        spectra,
        feature_noise_var,
        names,
        (num_samples, ridge, noise_var),
    )
    num_samples = check_scalar(
        as_float(num_samples, model.dtype, "num_samples"), "num_samples", positive=True
    )
    ridge = check_scalar(as_float(ridge, model.dtype, "ridge"), "ridge", nonnegative=True)
    noise_var = check_scalar(
        as_float(noise_var, model.dtype, "noise_var"), "noise_var", nonnegative=True
    )
    return _risk(
        model.layout,
        check_steps(max_steps),
        bool(throw),
        "rf_risk" if names[0] == "num_features" else "deep_rf_risk",
        model.eigvals,
        model.target_weights,
        num_samples,
        ridge,
        noise_var,
        model.feature_noise_var,
        model.widths,
        model.feature_vars,
        model.feature_eigvals,
    )


class DeepModel(NamedTuple):
    """A validated random-feature model: everything but the grid variables (P, λ, σ_ε²)."""

    layout: tuple
    dtype: object
    eigvals: Array  # zero-padded to the spectrum bucket
    target_weights: Array
    feature_noise_var: Array
    widths: Array
    feature_vars: Array
    feature_eigvals: tuple


def deep_model(
    eigvals, target_weights, widths, fvars, spectra, feature_noise_var, names, grid_args
):
    """Check the model arguments (named by ``names`` = (widths, vars, spectra) argument names).

    ``grid_args`` (P, λ, σ_ε² as the caller passed them) join the common dtype; they are checked
    by the caller.
    """
    w_name, v_name, s_name = names
    widths = check_real(widths, w_name)
    if np.ndim(widths) != 1 or np.shape(widths)[0] < 1:
        raise ValueError(
            f"jaxridge: argument `{w_name}` must be a non-empty 1-D array, got shape "
            f"{np.shape(widths)}"
        )
    num_layers = np.shape(widths)[0]
    if spectra is None:
        spectra = [None] * num_layers
    spectra = list(spectra)
    if len(spectra) != num_layers:
        raise ValueError(
            f"jaxridge: argument `{s_name}` must have one entry per layer ({num_layers}), "
            f"got {len(spectra)}"
        )
    layout = tuple(sp is not None for sp in spectra)
    present = [sp for sp in spectra if sp is not None]
    dtype = common_dtype(
        *grid_args,
        eigvals,
        target_weights,
        widths,
        feature_noise_var,
        *([] if fvars is None else [fvars]),
        *present,
    )
    eigvals, target_weights = check_spectrum(eigvals, target_weights, dtype, positive_entry=True)
    feature_noise_var = check_scalar(
        as_float(feature_noise_var, dtype, "feature_noise_var"),
        "feature_noise_var",
        nonnegative=True,
    )
    widths = check_vector(as_float(widths, dtype, w_name), w_name)
    widths = check(widths, widths <= 0, w_name, "must be > 0")
    checked = []
    for ell, sp in enumerate(spectra):
        if sp is None:
            continue
        name = s_name if num_layers == 1 and w_name == "num_features" else f"{s_name}[{ell}]"
        sp = _check_spectrum(sp, name, dtype)
        if w_name == "num_features":
            message = f"must equal len({name}) = {sp.shape[0]} (or be None)"
        else:
            message = f"entry {ell} must equal len({name}) = {sp.shape[0]}"
        widths = check(widths, widths[ell] != sp.shape[0], w_name, message)
        checked.append(sp)
    if fvars is None:
        # D is the caller's length (taken before the padding below).
        fvars = jnp.full((num_layers,), 1.0 / eigvals.shape[0], dtype)
    else:
        fvars = check_vector(as_float(fvars, dtype, v_name), v_name, length=num_layers)
        fvars = check(fvars, fvars <= 0, v_name, "must be > 0")
    eigvals, target_weights = pad_spectrum(eigvals, target_weights)
    return DeepModel(
        layout,
        dtype,
        eigvals,
        target_weights,
        feature_noise_var,
        widths,
        fvars,
        tuple(checked),
    )
