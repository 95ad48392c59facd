"""Opt-in precision settings for scripts and notebooks (library code never changes them)."""

from __future__ import annotations

import jax


def enable_float64(enable: bool = True) -> None:
    """Turn on JAX's float64 (``jax_enable_x64``); call it once, before creating arrays.

    The deterministic-equivalent solvers are most accurate in float64 (THEORY §5.7). The library
    computes in the dtype of its inputs and never flips this flag itself.
    """
    jax.config.update("jax_enable_x64", bool(enable))
