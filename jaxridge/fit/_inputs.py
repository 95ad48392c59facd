"""Checks and conversions of the inputs of the fits (host-side, before anything is traced)."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .._validate import check_real


def array_like(x, name="x"):
    """Lists become NumPy arrays (for dtype promotion); arrays pass through; non-reals fail."""
    x = check_real(x, name)
    return x if hasattr(x, "dtype") else np.asarray(x, dtype=float)


def as_points(x, name, dtype, *, positive=True):
    """A non-empty finite 1-D array of points (> 0 where ``positive``) in ``dtype``."""
    arr = np.asarray(check_real(x, name), dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] < 1:
        raise ValueError(f"jaxridge: argument `{name}` must be a non-empty 1-D array")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"jaxridge: argument `{name}` contains NaN or inf")
    if positive and np.any(arr <= 0):
        raise ValueError(f"jaxridge: argument `{name}` must be > 0 everywhere")
    return jnp.asarray(arr, dtype)


def per_point(value, name, n, dtype, *, nonnegative=True):
    """A scalar or one value per point, as a finite ``(n,)`` array (``fixed[name]``)."""
    arr = np.asarray(check_real(value, f"fixed[{name!r}]"), dtype=np.float64)
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


def positive_scalar(value, name, *, strict=True):
    """A finite number > 0 (``strict``) or >= 0, as a Python float."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"jaxridge: argument `{name}` must be a number, got {value!r}") from None
    if not math.isfinite(v) or (v <= 0 if strict else v < 0):
        raise ValueError(f"jaxridge: argument `{name}` must be {'>' if strict else '>='} 0")
    return v
