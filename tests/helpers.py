"""Shared test helpers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

X64 = bool(jax.config.jax_enable_x64)
DTYPE = jnp.float64 if X64 else jnp.float32


def default_rtol(dtype=None) -> float:
    """Relative tolerance appropriate for a dtype (float64: 1e-10, float32: 1e-4)."""
    dtype = jnp.dtype(dtype if dtype is not None else DTYPE)
    return 1e-10 if dtype == jnp.float64 else 1e-4


def assert_allclose(actual, desired, rtol=None, atol=0.0, err_msg=""):
    """``np.testing.assert_allclose`` with a tolerance taken from the dtype of ``actual``."""
    actual_np = np.asarray(actual)
    if rtol is None:
        rtol = default_rtol(actual_np.dtype if actual_np.dtype.kind == "f" else None)
    np.testing.assert_allclose(
        actual_np, np.asarray(desired), rtol=rtol, atol=atol, err_msg=err_msg
    )


def tol(f64: float, f32: float) -> float:
    """Pick a tolerance by the active precision."""
    return f64 if X64 else f32
