"""The learning-curve model of :mod:`jaxridge.fit`: per-point model errors, log-residuals and
the loss, from natural parameters and per-point data (see the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .. import spectra
from .. import theory as _theory
from .._validate import common_dtype, readable_errors
from ._inputs import array_like, as_points, per_point, positive_scalar
from ._optim import to_natural

#: Residual (in log error) assigned to a point where the model error is 0 or +inf.
INVALID_RESIDUAL = 30.0

MODELS = ("linear", "random_features")
FITTABLE = {
    "linear": ("alpha", "r", "noise_var", "amplitude", "ridge"),
    "random_features": ("alpha", "r", "noise_var", "amplitude", "ridge", "feature_var"),
}
_DEFAULT_FREE = ("alpha", "r", "noise_var")
_FIXED_ONLY = {
    "linear": ("num_features",),
    "random_features": ("num_features", "input_dim", "feature_eigvals"),
}


def _default_num_features(num_samples) -> int:
    # A long truncation standing in for N = ∞ (THEORY §5.7: keep C_α P ≪ N).
    return int(max(1000, 10 * math.ceil(float(np.max(num_samples)))))


def model_errors(params, data, *, model, spectrum_len, masked):
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
                feature_var=params.get("feature_var"),
                feature_eigvals=data.get("feature_eigvals"),
            ).test
        value = jnp.where(threshold, jnp.inf, value)
        return value

    values = jax.vmap(one)(data["num_samples"], params["ridge"], data["width"])
    return values


def log_residuals(params, data, **static):
    values = model_errors(params, data, **static)
    ok = jnp.isfinite(values) & (values > 0)
    log_model = jnp.log(jnp.where(ok, values, 1.0))
    res = jnp.where(ok, log_model - data["log_errors"], INVALID_RESIDUAL)
    return data["sqrt_weights"] * res


def assemble(names, u, fixed_scalars, data):
    params = dict(fixed_scalars)
    params.update(to_natural(names, u))
    n = data["num_samples"].shape[0]
    ridge = params.get("ridge", data["ridge"])
    params["ridge"] = jnp.broadcast_to(ridge, (n,))
    return params


class Residuals(eqx.Module):
    """The weighted log-residuals ``fn(u, (fixed_scalars, data))`` of the fit, in the
    unconstrained parameters ``u``; the settings that fix shapes and branches are static."""

    names: tuple = eqx.field(static=True)
    model: str = eqx.field(static=True)
    spectrum_len: int = eqx.field(static=True)
    masked: bool = eqx.field(static=True)

    def __call__(self, u, args):
        fixed_scalars, data = args
        params = assemble(self.names, u, fixed_scalars, data)
        return log_residuals(
            params, data, model=self.model, spectrum_len=self.spectrum_len, masked=self.masked
        )


def prepare_model(model, p, y, w, init, fixed, dtype, *, require_free=True):
    """Validate names and fixed values; build the per-point data of the model."""
    n = p.shape[0]
    fittable = FITTABLE[model]
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
                positive_scalar(fixed[name], f"fixed[{name!r}]", strict=strict), dtype
            )
        elif name in defaults:
            fixed_scalars[name] = jnp.asarray(defaults[name], dtype)
    ridge = per_point(fixed.get("ridge", 0.0), "ridge", n, dtype)
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
            data["width"] = per_point(nf_arr, "num_features", n, dtype)
    else:
        if "num_features" not in fixed:
            raise ValueError(
                "jaxridge: model='random_features' needs `fixed['num_features']` (the width)"
            )
        data["width"] = per_point(fixed["num_features"], "num_features", n, dtype)
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


def _params_from_mapping(model, params, fixed, dtype):
    """Split a full parameter mapping into the model's natural values and ``fixed``."""
    params = dict(params)
    fixed = dict(fixed or {})
    for name in params:
        if name not in FITTABLE[model]:
            raise ValueError(f"jaxridge: argument `params` has unknown parameter {name!r}")
        if name in fixed:
            raise ValueError(f"jaxridge: parameter {name!r} is in both `params` and `fixed`")
    for name in ("alpha", "r", "noise_var"):
        if name not in params and name not in fixed:
            raise ValueError(f"jaxridge: argument `params` needs {name!r} (or put it in `fixed`)")
    return params, fixed


def _evaluate(model, params, num_samples, errors, weights, fixed):
    dtype = common_dtype(array_like(num_samples, "num_samples"), *params.values())
    p = as_points(num_samples, "num_samples", dtype)
    n = p.shape[0]
    y = jnp.ones((n,), dtype) if errors is None else as_points(errors, "errors", dtype)
    if y.shape[0] != n:
        raise ValueError(f"jaxridge: argument `errors` must have length {n}")
    w = (
        jnp.ones((n,), dtype)
        if weights is None
        else as_points(weights, "weights", dtype, positive=False)
    )
    params, fixed = _params_from_mapping(model, params, fixed, dtype)
    init = {k: 1.0 for k in params}  # names only: marks them as supplied
    _, fixed_scalars, data, spectrum_len, masked = prepare_model(
        model, p, y, w, init, fixed, dtype, require_free=False
    )
    full = dict(fixed_scalars)
    full.update({k: jnp.asarray(v, dtype) for k, v in params.items()})
    full["ridge"] = jnp.broadcast_to(full.get("ridge", data["ridge"]), (n,))
    return full, data, dict(model=model, spectrum_len=spectrum_len, masked=masked)


@eqx.filter_jit
def _model_kernel(full, data, static):
    return model_errors(full, data, **dict(static))


@eqx.filter_jit
def _loss_kernel(full, data, static):
    res = log_residuals(full, data, **dict(static))
    return jnp.sum(res * res) / jnp.sum(data["sqrt_weights"] ** 2)


@readable_errors
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
    if model not in MODELS:
        raise ValueError(f"jaxridge: argument `model` must be one of {MODELS}, got {model!r}")
    full, data, static = _evaluate(model, params, num_samples, None, None, fixed)
    return _model_kernel(full, data, tuple(sorted(static.items())))


@readable_errors
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
    if model not in MODELS:
        raise ValueError(f"jaxridge: argument `model` must be one of {MODELS}, got {model!r}")
    full, data, static = _evaluate(model, params, num_samples, errors, weights, fixed)
    return _loss_kernel(full, data, tuple(sorted(static.items())))
