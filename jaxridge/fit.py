"""Fit model parameters to measured learning curves by gradient descent through the solvers.

:func:`fit_learning_curve` finds the parameters of a power-law ridge (or linear random-feature)
model whose deterministic-equivalent error curve matches measured errors. The model is

    error(P_i) = E_g(e(α), √A·w̄(α, r), P_i, λ_i, σ²)
               = A·[Bias² + Var_X](P_i) + Var_Xε(P_i; σ²),

with ``e_k = k^−α``, ``e_k w̄_k² = k^−(1+2αr)`` truncated at ``k ≤ N`` (:func:`spectra.power_law`)
and E_g the excess test error of :func:`theory.ridge_risk` (or :func:`theory.rf_risk` for
``model="random_features"``). The amplitude A scales the target (signal power), since target
normalisations differ between data sets; the noise variance σ² is in the units of the errors.
The loss is the weighted mean squared error of ``log error``. :func:`fit_power_law` is the
plain log–log baseline ``y = a·x^−b (+ c)``.

Names in the API and the paper's symbols:

==================  ======  ==================================================================
name                symbol  meaning
==================  ======  ==================================================================
``num_samples``     P       training-set sizes of the measured points
``errors``          E_g     measured excess test errors (> 0)
``alpha``           α       capacity exponent, ``e_k = k^−α`` (fitted as 1 + softplus)
``r``               r       source exponent (fitted as softplus, r > 0)
``noise_var``       σ_ε²    label-noise variance (softplus, > 0)
``amplitude``       A       signal amplitude, w̄ → √A·w̄ (exp, > 0; default held at 1)
``ridge``           λ       ridge (exp, > 0; default held at 0 = ridgeless)
``num_features``    N       linear: spectrum truncation / input dimension (int or per-point
                            ints); random features: the width (float or per-point floats)
``input_dim``       D       random features: data spectrum truncation (int)
``feature_var``     v       random features: entry variance of the weights (default 1/D)
``feature_eigvals`` s       random features: column spectrum of the weights (array, fixed)
==================  ======  ==================================================================

Conventions:

* Free parameters are ``alpha``, ``r``, ``noise_var`` plus every name given in ``init``, minus
  every name given in ``fixed``. ``amplitude`` defaults to 1 and ``ridge`` to 0 unless fitted.
* ``fixed["ridge"]`` and ``fixed["num_features"]`` may be arrays with one entry per point, so
  grids over data, width and ridge fit jointly.
* The optimisation is ``steps`` steps of ``optimizer`` (Adam by default) on the unconstrained
  parameters, followed by ``refine_steps`` Levenberg–Marquardt steps (decreasing steps only),
  for ``num_restarts`` starting points in one ``vmap``: restart 0 starts at ``init``, the others
  at ``init`` plus Gaussian noise of scale ``restart_scale`` in unconstrained coordinates
  (``key`` fixes it; default ``PRNGKey(0)``, so fits are reproducible). The restart with the
  lowest final loss is returned. Everything runs in one jitted function; repeated fits with the
  same shapes and static settings do not recompile.
* Standard errors are Gauss–Newton (Laplace) ones at the optimum: ``cov = s²(JᵀWJ)⁻¹`` with J the
  Jacobian of the log-residuals in the natural parameters and ``s² = Σwᵢrᵢ²/(n − k)``. They
  treat the points as independent with equal (or ``1/weights``-proportional) log-variance.
* A model value that is 0 or ``+inf`` (noiseless ridgeless points with P ≥ N, the ridgeless
  interpolation threshold P = N) cannot be compared in log space: such a point contributes a
  fixed residual of ``INVALID_RESIDUAL`` with zero gradient, and the solver is evaluated at a
  shifted, harmless P there so that no NaN reaches the gradient.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float

from . import spectra
from . import theory as _theory
from ._fit_optim import (
    TRANSFORMS,
    adam_phase,
    gauss_newton_covariance,
    lm_phase,
    to_natural,
    to_unconstrained,
)
from ._fit_power_law import PowerLawFit, _array_like, _as_points, fit_power_law
from ._validate import common_dtype

__all__ = [
    "FitResult",
    "PowerLawFit",
    "fit_learning_curve",
    "fit_power_law",
    "learning_curve_loss",
    "learning_curve_model",
]

#: Residual (in log error) assigned to a point where the model error is 0 or +inf.
INVALID_RESIDUAL = 30.0

_MODELS = ("linear", "random_features")
_FITTABLE = {
    "linear": ("alpha", "r", "noise_var", "amplitude", "ridge"),
    "random_features": ("alpha", "r", "noise_var", "amplitude", "ridge", "feature_var"),
}
_DEFAULT_FREE = ("alpha", "r", "noise_var")
_FIXED_ONLY = {
    "linear": ("num_features",),
    "random_features": ("num_features", "input_dim", "feature_eigvals"),
}
_DEFAULT_OPTIMIZER = optax.adam(0.05)

# Incremented each time the fitting kernel is traced (tests check that refits do not retrace).
_TRACE_COUNT = [0]


class FitResult(eqx.Module):
    """Result of :func:`fit_learning_curve`.

    Attributes:
        params: fitted parameters, name → scalar (``alpha``, ``r``, ``noise_var``, …).
        stderr: Gauss–Newton standard error of each fitted parameter, name → scalar.
        covariance: their covariance matrix, in the order of ``names``.
        names: the fitted parameter names.
        fixed: the values held fixed (scalars, or arrays with one entry per point).
        loss: final loss (weighted mean squared log residual) of the chosen restart.
        loss_history: the chosen restart's loss at every Adam step, then every
            Levenberg–Marquardt step (length ``steps + refine_steps``).
        restart_losses: final loss of every restart.
        curve: fitted model errors at ``num_samples``.
        model: ``"linear"`` or ``"random_features"``.
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


# --------------------------------------------------------------------------------------------
# Validation.
# --------------------------------------------------------------------------------------------


def _per_point(value, name, n, dtype, *, nonnegative=True):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full((n,), float(arr))
    if arr.shape != (n,):
        raise ValueError(
            f"jaxridge: argument `fixed[{name!r}]` must be a scalar or have one entry per "
            f"point ({n}), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"jaxridge: argument `fixed[{name!r}]` contains NaN or inf")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"jaxridge: argument `fixed[{name!r}]` must be >= 0")
    return jnp.asarray(arr, dtype)


def _positive_scalar(value, name, *, strict=True):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"jaxridge: argument `{name}` must be a number, got {value!r}") from None
    if not math.isfinite(v) or (v <= 0 if strict else v < 0):
        raise ValueError(f"jaxridge: argument `{name}` must be {'>' if strict else '>='} 0")
    return v


def _default_num_features(num_samples) -> int:
    # A long truncation standing in for N = ∞ (THEORY §5.7: keep C_α P ≪ N).
    return int(max(1000, 10 * math.ceil(float(np.max(num_samples)))))


# --------------------------------------------------------------------------------------------
# The model.
# --------------------------------------------------------------------------------------------


def _model_errors(params, data, *, model, spectrum_len, masked):
    """Model error at every point, with a flag saying whether it is usable in log space."""
    alpha = params["alpha"]
    r = params["r"]
    dtype = data["num_samples"].dtype
    eigvals, weights = spectra.power_law(spectrum_len, alpha, r, dtype=dtype)
    weights = weights * jnp.sqrt(params["amplitude"])
    noise_var = params["noise_var"]
    index = jnp.arange(1, spectrum_len + 1, dtype=dtype)

    def one(num_samples, ridge, width):
        if model == "linear":
            if masked:
                keep = index <= width
                e = jnp.where(keep, eigvals, 0.0)
                w = jnp.where(keep, weights, 0.0)
                rank = width
            else:
                e, w = eigvals, weights
            # Eigenvalues that underflow to 0 leave the span (THEORY §5.6).
            rank = jnp.sum(e > 0).astype(dtype)
            # Ridgeless at P = rank: E_g = +inf and its derivative is NaN; and for P > rank the
            # κ = 0 branch has the closed form σ² rank/(P − rank) (THEORY §2.7), used directly
            # so that no derivative goes through the degenerate κ = 0 solution. The solver is
            # then evaluated at a harmless P (double-where), and its value discarded.
            threshold = (ridge == 0) & (num_samples == rank)
            zero_branch = (ridge == 0) & (num_samples > rank)
            p = jnp.where(threshold | zero_branch, jnp.maximum(0.5 * rank, 1.0), num_samples)
            value = _theory.ridge_risk(e, w, p, ridge, noise_var).test
            gap = jnp.where(zero_branch, num_samples - rank, 1.0)
            value = jnp.where(zero_branch, noise_var * rank / gap, value)
        else:
            binding = jnp.minimum(width, jnp.asarray(spectrum_len, dtype))
            threshold = (ridge == 0) & (num_samples == binding)
            p = jnp.where(threshold, num_samples + 0.5, num_samples)
            value = _theory.rf_risk(
                eigvals,
                weights,
                width,
                p,
                ridge,
                noise_var,
                params.get("feature_var"),
                data.get("feature_eigvals"),
            ).test
        value = jnp.where(threshold, jnp.inf, value)
        return value

    values = jax.vmap(one)(data["num_samples"], params["ridge"], data["width"])
    return values


def _log_residuals(params, data, **static):
    values = _model_errors(params, data, **static)
    ok = jnp.isfinite(values) & (values > 0)
    log_model = jnp.log(jnp.where(ok, values, 1.0))
    res = jnp.where(ok, log_model - data["log_errors"], INVALID_RESIDUAL)
    return data["sqrt_weights"] * res


def _assemble(names, u, fixed_scalars, data):
    params = dict(fixed_scalars)
    params.update(to_natural(names, u))
    n = data["num_samples"].shape[0]
    ridge = params.get("ridge", data["ridge"])
    params["ridge"] = jnp.broadcast_to(ridge, (n,))
    return params


def _prepare_model(model, p, y, w, init, fixed, dtype, *, require_free=True):
    """Validate names and fixed values; build the per-point data of the model."""
    n = p.shape[0]
    fittable = _FITTABLE[model]
    allowed_fixed = fittable + _FIXED_ONLY[model]
    for name in init:
        if name not in fittable:
            raise ValueError(
                f"jaxridge: argument `init` has unknown parameter {name!r} "
                f"(fittable for model={model!r}: {fittable})"
            )
        if name in fixed:
            raise ValueError(f"jaxridge: parameter {name!r} is in both `init` and `fixed`")
    for name in fixed:
        if name not in allowed_fixed:
            raise ValueError(
                f"jaxridge: argument `fixed` has unknown key {name!r} (known: {allowed_fixed})"
            )
    names = tuple(nm for nm in fittable if (nm in _DEFAULT_FREE or nm in init) and nm not in fixed)
    if not names and require_free:
        raise ValueError("jaxridge: nothing to fit: every parameter is in `fixed`")

    # Fixed values.
    fixed_scalars = {}
    defaults = {"amplitude": 1.0}
    for name in ("alpha", "r", "noise_var", "amplitude", "feature_var"):
        if name in names:
            continue
        if name in fixed:
            strict = name != "noise_var"
            if name == "alpha" and float(fixed[name]) <= 1:
                raise ValueError("jaxridge: argument `fixed['alpha']` must be > 1")
            fixed_scalars[name] = jnp.asarray(
                _positive_scalar(fixed[name], f"fixed[{name!r}]", strict=strict), dtype
            )
        elif name in defaults:
            fixed_scalars[name] = jnp.asarray(defaults[name], dtype)
    ridge = _per_point(fixed.get("ridge", 0.0), "ridge", n, dtype)
    data = {
        "num_samples": p,
        "log_errors": jnp.log(y),
        "sqrt_weights": jnp.sqrt(w),
        "ridge": ridge,
    }
    if model == "linear":
        nf = fixed.get("num_features", None)
        if nf is None:
            spectrum_len, masked = _default_num_features(p), False
            data["width"] = jnp.full((n,), float(spectrum_len), dtype)
        else:
            nf_arr = np.asarray(nf)
            if np.any(nf_arr < 1) or np.any(np.round(nf_arr) != nf_arr):
                raise ValueError("jaxridge: argument `fixed['num_features']` must be ints >= 1")
            spectrum_len = int(np.max(nf_arr))
            masked = nf_arr.ndim > 0 and bool(np.any(nf_arr != spectrum_len))
            data["width"] = _per_point(nf_arr, "num_features", n, dtype)
    else:
        if "num_features" not in fixed:
            raise ValueError(
                "jaxridge: model='random_features' needs `fixed['num_features']` (the width)"
            )
        data["width"] = _per_point(fixed["num_features"], "num_features", n, dtype)
        if bool(jnp.any(data["width"] <= 0)):
            raise ValueError("jaxridge: argument `fixed['num_features']` must be > 0")
        d = fixed.get("input_dim", None)
        spectrum_len = _default_num_features(p) if d is None else int(d)
        if d is not None and (spectrum_len != d or spectrum_len < 1):
            raise ValueError("jaxridge: argument `fixed['input_dim']` must be an int >= 1")
        masked = False
        if "feature_eigvals" in fixed:
            data["feature_eigvals"] = jnp.asarray(fixed["feature_eigvals"], dtype)
        if "feature_var" not in names and "feature_var" not in fixed:
            fixed_scalars["feature_var"] = None

    return names, fixed_scalars, data, spectrum_len, masked


@eqx.filter_jit
def _fit_kernel(u0, fixed_scalars, data, static):
    _TRACE_COUNT[0] += 1
    names, model, spectrum_len, masked, steps, refine_steps, optimizer = static
    scale = jnp.sum(data["sqrt_weights"] ** 2)

    def residual_fn(u):
        params = _assemble(names, u, fixed_scalars, data)
        return _log_residuals(params, data, model=model, spectrum_len=spectrum_len, masked=masked)

    def run(u_start):
        u, hist_adam = adam_phase(residual_fn, u_start, scale, optimizer, steps)
        u, value, hist_lm, res, jac = lm_phase(residual_fn, u, scale, refine_steps)
        return u, value, jnp.concatenate([hist_adam, hist_lm]), res, jac

    us, values, histories, ress, jacs = jax.vmap(run)(u0)
    values = jnp.where(jnp.isfinite(values), values, jnp.inf)
    best = jnp.argmin(values)
    u = us[best]
    cov = gauss_newton_covariance(ress[best], jacs[best], names, u)
    params = _assemble(names, u, fixed_scalars, data)
    curve = _model_errors(params, data, model=model, spectrum_len=spectrum_len, masked=masked)
    return u, cov, values[best], histories[best], values, curve


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
        refine_steps: Levenberg–Marquardt steps after the optimizer (0 to skip).
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
    if model not in _MODELS:
        raise ValueError(f"jaxridge: argument `model` must be one of {_MODELS}, got {model!r}")
    init = dict(init or {})
    fixed = dict(fixed or {})
    dtype = common_dtype(_array_like(num_samples), _array_like(errors))
    p = _as_points(num_samples, "num_samples", dtype)
    y = _as_points(errors, "errors", dtype)
    n = p.shape[0]
    if y.shape[0] != n:
        raise ValueError(
            f"jaxridge: argument `errors` must have length {n} (like `num_samples`), "
            f"got {y.shape[0]}"
        )
    if weights is None:
        w = jnp.ones((n,), dtype)
    else:
        w = _as_points(weights, "weights", dtype, positive=False)
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
    names, fixed_scalars, data, spectrum_len, masked = _prepare_model(
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
    u, cov, loss, history, restart_losses, curve = _fit_kernel(u0, fixed_scalars, data, static)
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
    )


def _params_from_mapping(model, params, fixed, dtype):
    """Split a full parameter mapping into the model's natural values and ``fixed``."""
    params = dict(params)
    fixed = dict(fixed or {})
    for name in params:
        if name not in _FITTABLE[model]:
            raise ValueError(f"jaxridge: argument `params` has unknown parameter {name!r}")
        if name in fixed:
            raise ValueError(f"jaxridge: parameter {name!r} is in both `params` and `fixed`")
    for name in ("alpha", "r", "noise_var"):
        if name not in params and name not in fixed:
            raise ValueError(f"jaxridge: argument `params` needs {name!r} (or put it in `fixed`)")
    return params, fixed


def _evaluate(model, params, num_samples, errors, weights, fixed):
    dtype = common_dtype(_array_like(num_samples), *params.values())
    p = _as_points(num_samples, "num_samples", dtype)
    n = p.shape[0]
    y = jnp.ones((n,), dtype) if errors is None else _as_points(errors, "errors", dtype)
    if y.shape[0] != n:
        raise ValueError(f"jaxridge: argument `errors` must have length {n}")
    w = (
        jnp.ones((n,), dtype)
        if weights is None
        else _as_points(weights, "weights", dtype, positive=False)
    )
    params, fixed = _params_from_mapping(model, params, fixed, dtype)
    init = {k: 1.0 for k in params}  # names only: marks them as supplied
    _, fixed_scalars, data, spectrum_len, masked = _prepare_model(
        model, p, y, w, init, fixed, dtype, require_free=False
    )
    full = dict(fixed_scalars)
    full.update({k: jnp.asarray(v, dtype) for k, v in params.items()})
    full["ridge"] = jnp.broadcast_to(full.get("ridge", data["ridge"]), (n,))
    return full, data, dict(model=model, spectrum_len=spectrum_len, masked=masked)


@eqx.filter_jit
def _model_kernel(full, data, static):
    return _model_errors(full, data, **dict(static))


@eqx.filter_jit
def _loss_kernel(full, data, static):
    res = _log_residuals(full, data, **dict(static))
    return jnp.sum(res * res) / jnp.sum(data["sqrt_weights"] ** 2)


def learning_curve_model(
    params: Mapping[str, ArrayLike],
    num_samples: Float[ArrayLike, " n"],
    *,
    model: str = "linear",
    fixed: Mapping[str, ArrayLike] | None = None,
) -> Float[Array, " n"]:
    """The model errors of :func:`fit_learning_curve` at given parameters (e.g. to extrapolate).

    Args:
        params: ``alpha``, ``r``, ``noise_var`` and optionally ``amplitude``, ``ridge``,
            ``feature_var`` (e.g. ``result.params``); differentiable.
        num_samples: P of the points, shape ``(n,)``.
        model: ``"linear"`` or ``"random_features"``.
        fixed: as in :func:`fit_learning_curve` (e.g. ``result.fixed`` minus per-point
            arrays of another length).

    Returns:
        The model errors, shape ``(n,)``: ``+inf`` at a ridgeless interpolation threshold.

    Example:
        >>> from jaxridge import fit
        >>> E = fit.learning_curve_model({"alpha": 1.5, "r": 0.4, "noise_var": 0.0},
        ...                              [10.0, 100.0], fixed={"num_features": 1000})
    """
    if model not in _MODELS:
        raise ValueError(f"jaxridge: argument `model` must be one of {_MODELS}, got {model!r}")
    full, data, static = _evaluate(model, params, num_samples, None, None, fixed)
    return _model_kernel(full, data, tuple(sorted(static.items())))


def learning_curve_loss(
    params: Mapping[str, ArrayLike],
    num_samples: Float[ArrayLike, " n"],
    errors: Float[ArrayLike, " n"],
    *,
    model: str = "linear",
    fixed: Mapping[str, ArrayLike] | None = None,
    weights: Float[ArrayLike, " n"] | None = None,
) -> Array:
    """The loss minimised by :func:`fit_learning_curve`: ``Σ wᵢ (log model − log errors)² / Σ wᵢ``.

    Differentiable in ``params`` (every value finite, including at P = N). Points where the
    model error is 0 or ``+inf`` count with the fixed residual ``INVALID_RESIDUAL``.

    Args:
        params, num_samples, model, fixed: as in :func:`learning_curve_model`.
        errors: measured errors (> 0).
        weights: per-point weights (default 1).

    Returns:
        The loss, a scalar.

    Example:
        >>> import jax
        >>> from jaxridge import fit
        >>> g = jax.grad(lambda a: fit.learning_curve_loss(
        ...     {"alpha": a, "r": 0.4, "noise_var": 0.1}, [50.0, 100.0], [0.1, 0.2],
        ...     fixed={"num_features": 100}))(1.5)
    """
    if model not in _MODELS:
        raise ValueError(f"jaxridge: argument `model` must be one of {_MODELS}, got {model!r}")
    full, data, static = _evaluate(model, params, num_samples, errors, weights, fixed)
    return _loss_kernel(full, data, tuple(sorted(static.items())))
