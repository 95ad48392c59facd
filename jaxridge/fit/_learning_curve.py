"""The learning-curve fit: restarts under ``vmap``, Adam (optax) then Levenberg–Marquardt,
Gauss–Newton standard errors; the model it fits is in :mod:`._model`."""

from __future__ import annotations

import math
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, ArrayLike, Float

from .._validate import common_dtype, readable_errors
from ._inputs import array_like, as_points
from ._model import MODELS, Residuals, assemble, model_errors, prepare_model
from ._optim import (
    TRANSFORMS,
    adam_phase,
    gauss_newton_covariance,
    lm_phase,
    to_natural,
    to_unconstrained,
)

_DEFAULT_OPTIMIZER = optax.adam(0.05)


class FitResult(eqx.Module):
    """Result of :func:`fit_learning_curve`.

    Attributes:
        params: fitted parameters, name → scalar (``alpha``, ``r``, ``noise_var``, …).
        stderr: Gauss–Newton standard error of each fitted parameter, name → scalar.
        covariance: their covariance matrix, in the order of ``names``.
        names: the fitted parameter names.
        fixed: the values held fixed (scalars, or arrays with one entry per point).
        loss: final loss (weighted mean squared log residual) of the chosen restart.
        loss_history: the chosen restart's loss at every Adam step, then its best loss so
            far at every Levenberg–Marquardt step (length ``steps + refine_steps``; once the
            polish has converged and stopped, its remaining entries repeat the final loss).
        restart_losses: final loss of every restart.
        curve: fitted model errors at ``num_samples``.
        model: ``"linear"`` or ``"random_features"``.
        converged: whether the chosen restart's Levenberg–Marquardt polish met its stopping
            rule (a step that moved no parameter by more than √eps, a zero loss, or no
            decrease left at working precision) within ``refine_steps``; False for
            ``refine_steps=0``.
        num_refine_steps: the Levenberg–Marquardt steps that restart took.
    """

    params: dict
    stderr: dict
    covariance: Array
    names: tuple = eqx.field(static=True)
    fixed: dict
    loss: Array
    loss_history: Array
    restart_losses: Array
    curve: Array
    model: str = eqx.field(static=True)
    converged: Array
    num_refine_steps: Array


@eqx.filter_jit
def _fit_kernel(u0, fixed_scalars, data, static):
    names, model, spectrum_len, masked, steps, refine_steps, optimizer = static
    scale = jnp.sum(data["sqrt_weights"] ** 2)
    fn = Residuals(names, model, spectrum_len, masked)
    args = (fixed_scalars, data)

    def run(u_start):
        u, hist_adam = adam_phase(fn, u_start, args, scale, optimizer, steps)
        u, value, hist_lm, res, jac, num, ok = lm_phase(fn, u, args, scale, refine_steps)
        return u, value, jnp.concatenate([hist_adam, hist_lm]), res, jac, num, ok

    us, values, histories, ress, jacs, nums, oks = jax.vmap(run)(u0)
    values = jnp.where(jnp.isfinite(values), values, jnp.inf)
    best = jnp.argmin(values)
    u = us[best]
    cov = gauss_newton_covariance(ress[best], jacs[best], names, u)
    params = assemble(names, u, fixed_scalars, data)
    curve = model_errors(params, data, model=model, spectrum_len=spectrum_len, masked=masked)
    return u, cov, values[best], histories[best], values, curve, nums[best], oks[best]


@readable_errors
def fit_learning_curve(
    num_samples: Float[ArrayLike, " n"],
    errors: Float[ArrayLike, " n"],
    *,
    model: str = "linear",
    init: Mapping[str, float] | None = None,
    fixed: Mapping[str, ArrayLike] | None = None,
    weights: Float[ArrayLike, " n"] | None = None,
    steps: int = 50,
    optimizer: optax.GradientTransformation = _DEFAULT_OPTIMIZER,
    num_restarts: int = 4,
    refine_steps: int = 40,
    restart_scale: float = 1.0,
    key: Array | None = None,
) -> FitResult:
    """Fit (α, r, σ², …) so that the deterministic-equivalent curve matches measured errors.

    Minimises ``Σᵢ wᵢ (log model(Pᵢ) − log errorsᵢ)² / Σᵢ wᵢ`` over the free parameters, by
    differentiating through the implicit solvers (see the module docstring for the model,
    the parametrisation and the conventions).

    Args:
        num_samples: training-set sizes P of the measured points, shape ``(n,)``.
        errors: measured excess test errors E_g (> 0), shape ``(n,)``.
        model: ``"linear"`` (:func:`theory.ridge_risk`) or ``"random_features"``
            (:func:`theory.rf_risk`).
        init: starting values of the free parameters, name → value. Defaults: α = 2, r = 0.5,
            σ² = half the smallest error, A = 1, λ = 10⁻³. Naming ``amplitude``, ``ridge`` or
            ``feature_var`` here makes it a free parameter.
        fixed: held values: any parameter above, and ``num_features`` (linear: spectrum
            truncation N, an int or per-point ints; default ``max(1000, 10·max P)``; random
            features: the width, required, float or per-point floats), ``input_dim``
            (random features: D, default as N above), ``ridge`` (scalar or per point),
            ``feature_eigvals`` (random features).
        weights: per-point weights ``wᵢ >= 0`` (default 1). For a Monte-Carlo curve pass the
            measured log-precision ``(mean / stderr)²`` of each point (seed mean and standard
            error of the mean, independent draws per point): the standard errors then reflect
            each point's own scatter and the reduced χ² ``loss · Σwᵢ / (n − k)`` is ≈ 1 when
            the model fits.
        steps: optimizer steps (each one value-and-gradient through the solvers, for every
            restart). From a reasonable start the Levenberg–Marquardt phase alone converges
            in a handful of steps; ``steps=0, num_restarts=1`` is the fastest set-up, the
            optimizer and the restarts buy robustness to a poor ``init``.
        optimizer: an optax transformation (the default, Adam(0.05), is created once so
            repeated fits reuse the compiled kernel).
        num_restarts: number of starting points, optimised together under ``vmap``. Noisy
            curves can have a second local minimum along the α·r valley (the slope 2αr is
            well determined, α and r separately less so); use 8 or more restarts there.
        refine_steps: at most this many Levenberg–Marquardt steps after the optimizer (0 to
            skip); the polish stops earlier once a step moves no parameter by more than
            √eps (relative, in unconstrained coordinates).
        restart_scale: spread of the restarts in unconstrained coordinates.
        key: PRNG key for the restarts (default ``jax.random.PRNGKey(0)``).

    Returns:
        A :class:`FitResult` with ``.params``, ``.stderr``, ``.loss_history`` and ``.curve``.

    Raises:
        ValueError: bad shapes, non-positive or non-finite P or errors, an unknown parameter
            name, a name both fitted and fixed, or fewer than one restart.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxridge import fit, spectra, theory
        >>> P = jnp.geomspace(10.0, 500.0, 12)
        >>> e, w = spectra.power_law(2000, 1.5, 0.4)
        >>> E = jax.vmap(lambda p: theory.ridge_risk(e, w, p, 1e-3, 0.01).test)(P)
        >>> out = fit.fit_learning_curve(P, E, fixed={"num_features": 2000, "ridge": 1e-3})
        >>> sorted(out.params)
        ['alpha', 'noise_var', 'r']
    """
    if model not in MODELS:
        raise ValueError(f"jaxridge: argument `model` must be one of {MODELS}, got {model!r}")
    init = dict(init or {})
    fixed = dict(fixed or {})
    dtype = common_dtype(array_like(num_samples, "num_samples"), array_like(errors, "errors"))
    p = as_points(num_samples, "num_samples", dtype)
    y = as_points(errors, "errors", dtype)
    n = p.shape[0]
    if y.shape[0] != n:
        raise ValueError(
            f"jaxridge: argument `errors` must have length {n} (like `num_samples`), "
            f"got {y.shape[0]}"
        )
    if weights is None:
        w = jnp.ones((n,), dtype)
    else:
        w = as_points(weights, "weights", dtype, positive=False)
        if w.shape[0] != n or bool(jnp.any(w < 0)) or not bool(jnp.any(w > 0)):
            raise ValueError(
                "jaxridge: argument `weights` must be >= 0, not all 0, with one entry per point"
            )
    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"jaxridge: argument `steps` must be an int >= 0, got {steps!r}")
    if isinstance(refine_steps, bool) or int(refine_steps) != refine_steps or refine_steps < 0:
        raise ValueError(
            f"jaxridge: argument `refine_steps` must be an int >= 0, got {refine_steps!r}"
        )
    if int(num_restarts) != num_restarts or num_restarts < 1:
        raise ValueError(
            f"jaxridge: argument `num_restarts` must be an int >= 1, got {num_restarts!r}"
        )
    names, fixed_scalars, data, spectrum_len, masked = prepare_model(
        model, p, y, w, init, fixed, dtype
    )
    ridge = data["ridge"]

    # Starting points.
    start = {
        "alpha": 2.0,
        "r": 0.5,
        "noise_var": 0.5 * float(jnp.min(y)),
        "amplitude": 1.0,
        "ridge": 1e-3,
        "feature_var": 1.0 / spectrum_len,
    }
    start.update({k: v for k, v in init.items()})
    for name in names:
        value = start[name]
        lower = 1.0 if name == "alpha" else 0.0
        if not math.isfinite(float(value)) or float(value) <= lower:
            raise ValueError(
                f"jaxridge: argument `init[{name!r}]` must be {TRANSFORMS[name][2]}, got {value!r}"
            )
    u_init = to_unconstrained(names, start, dtype)
    key = jax.random.PRNGKey(0) if key is None else key
    noise = restart_scale * jax.random.normal(key, (int(num_restarts), len(names)), dtype)
    u0 = u_init[None, :] + noise.at[0].set(0.0)

    static = (names, model, spectrum_len, masked, int(steps), int(refine_steps), optimizer)
    u, cov, loss, history, restart_losses, curve, num_refine, converged = _fit_kernel(
        u0, fixed_scalars, data, static
    )
    values = to_natural(names, u)
    stderr = {nm: jnp.sqrt(jnp.maximum(cov[i, i], 0.0)) for i, nm in enumerate(names)}
    held = {k: v for k, v in fixed_scalars.items() if v is not None}
    held["ridge"] = ridge if "ridge" not in names else None
    if held["ridge"] is None:
        del held["ridge"]
    if "num_features" in fixed or model == "linear":
        held["num_features"] = data["width"]
    if model == "random_features":
        held["input_dim"] = spectrum_len
    return FitResult(
        params=values,
        stderr=stderr,
        covariance=cov,
        names=names,
        fixed=held,
        loss=loss,
        loss_history=history,
        restart_losses=restart_losses,
        curve=curve,
        model=model,
        converged=converged,
        num_refine_steps=num_refine,
    )
