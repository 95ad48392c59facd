"""Input validation shared by every public function.

Eagerly (concrete inputs) a bad argument raises ``ValueError`` naming the argument. Under a JAX
transformation (``jit``, ``vmap``, ``grad``) values are unknown at trace time, so the same check is
attached to the data with ``eqx.error_if``: the computation raises at run time instead of
silently returning NaN. Shape and rank errors are always raised at trace time.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "as_float",
    "check",
    "check_count",
    "check_scalar",
    "check_vector",
    "common_dtype",
    "is_concrete",
]


def is_concrete(x) -> bool:
    """True when ``x`` holds actual values (not a tracer inside ``jit``/``vmap``/``grad``)."""
    return not isinstance(x, jax.core.Tracer)


def common_dtype(*args) -> jnp.dtype:
    """The floating dtype of a computation: promoted from the inputs, default float otherwise."""
    args = [np.asarray(a) if isinstance(a, list | tuple) else a for a in args if a is not None]
    dtype = jnp.result_type(*args) if args else jnp.result_type(float)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    return dtype


def as_float(x, dtype):
    return jnp.asarray(x, dtype=dtype)


def check(x, bad, name: str, message: str):
    """Raise (eagerly) or attach a runtime error (traced) where ``bad`` holds.

    Args:
        x: the array to return (the check is attached to it when traced).
        bad: boolean array, True where the argument is invalid.
        name: the argument's name, quoted in the error.
        message: what is wrong, e.g. ``"must be >= 0"``.

    Returns:
        ``x``, with the check attached when traced.
    """
    text = f"jaxridge: argument `{name}` {message}"
    if is_concrete(bad) and is_concrete(x):
        if bool(np.any(np.asarray(bad))):
            raise ValueError(text)
        return x
    return eqx.error_if(x, bad, text)


def check_vector(x, name: str, *, nonnegative: bool = False, length: int | None = None):
    """Check a rank-1, finite (optionally non-negative) float vector."""
    if jnp.ndim(x) != 1:
        raise ValueError(
            f"jaxridge: argument `{name}` must be a 1-D array, got shape {jnp.shape(x)}"
        )
    if length is not None and jnp.shape(x)[0] != length:
        raise ValueError(
            f"jaxridge: argument `{name}` must have length {length}, got {jnp.shape(x)[0]}"
        )
    if jnp.shape(x)[0] < 1:
        raise ValueError(f"jaxridge: argument `{name}` must not be empty")
    x = check(x, ~jnp.isfinite(x), name, "contains NaN or inf")
    if nonnegative:
        x = check(x, x < 0, name, "must be >= 0 (got a negative entry)")
    return x


def check_scalar(x, name: str, *, positive: bool = False, nonnegative: bool = False):
    """Check a finite scalar (rank 0); ``positive`` means > 0, ``nonnegative`` means >= 0."""
    if jnp.ndim(x) != 0:
        raise ValueError(
            f"jaxridge: argument `{name}` must be a scalar, got shape {jnp.shape(x)}; "
            "use jax.vmap to evaluate a grid"
        )
    x = check(x, ~jnp.isfinite(x), name, "is NaN or inf")
    if positive:
        x = check(x, x <= 0, name, "must be > 0")
    if nonnegative:
        x = check(x, x < 0, name, "must be >= 0")
    return x


def check_count(value, name: str, minimum: int = 1) -> int:
    """A shape-fixing count: a Python int (or an integral number) >= ``minimum``."""
    text = f"jaxridge: argument `{name}` must be an int >= {minimum}, got {value!r}"
    if isinstance(value, bool):
        raise ValueError(text)
    try:
        as_int = int(value)
    except (TypeError, ValueError):
        raise ValueError(text) from None
    if as_int != value or as_int < minimum:
        raise ValueError(text)
    return as_int
