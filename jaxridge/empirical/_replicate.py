"""Independent replicates of a Monte-Carlo experiment, and their mean ± standard error.

Convention: replicate ``r`` of an experiment run from ``key`` uses ``jax.random.fold_in(key, r)``
(the sweep uses the same keys, so a notebook and a sweep that share a key share their draws).
The standard error of a mean of R values is ``std(ddof=1)/√R``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_count, check_key, fail, is_concrete, readable_errors

__all__ = ["MeanStderr", "replicate", "replicate_curve", "summarise"]


class MeanStderr(NamedTuple):
    """Mean and standard error of replicate values, each a pytree shaped like one replicate."""

    mean: Any
    stderr: Any


def _stack(*leaves):
    if all(is_concrete(x) for x in leaves):
        return np.stack([np.asarray(x) for x in leaves])
    return jnp.stack(leaves)


def replicate(fn: Callable, key, num_replicates: int):
    """``fn(fold_in(key, r))`` for ``r = 0 … R−1``, stacked along a new leading axis.

    ``fn`` maps a PRNG key to a pytree of arrays (e.g. an ``EmpiricalRisk``); every call has
    the same shapes, so a jitted ``fn`` compiles once. The calls run one after another (so
    ``fn`` may hold a whole seed grid in memory); results of concrete calls are gathered on the
    host as NumPy arrays.

    Args:
        fn: ``fn(key) -> pytree``.
        key: a JAX PRNG key.
        num_replicates: ``R >= 1``.

    Returns:
        The pytree of ``fn``'s output with every leaf stacked to shape ``(R, ...)``; pass it to
        :func:`summarise` for mean ± standard error.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxridge import empirical, spectra
        >>> e, w = spectra.power_law(100, alpha=1.5, r=0.4)
        >>> runs = empirical.replicate(
        ...     lambda k: empirical.rf_ridge_risk(k, e, w, 50, 40, jnp.array([1e-2])),
        ...     jax.random.key(0), 3)
        >>> mean, stderr = empirical.summarise(runs)
    """
    if not callable(fn):
        raise fail("fn", f"must be callable, got {type(fn).__name__}")
    key = check_key(key)
    num_replicates = check_count(num_replicates, "num_replicates")
    runs = [fn(jax.random.fold_in(key, r)) for r in range(num_replicates)]
    return jax.tree.map(_stack, *runs)


@readable_errors
def replicate_curve(fn: Callable, keys, sizes, num_replicates: int):
    """Replicates of an experiment at every point of a curve: for each ``(keys[i], sizes[i])``,
    :func:`replicate` of ``key ↦ fn(key, sizes[i])`` from ``keys[i]``, stacked along axis 1.

    Each size keeps its own key (so a point's draws do not depend on the other sizes), and its
    replicate ``r`` uses ``fold_in(keys[i], r)``. Sizes may change shapes (each compiles once).

    Args:
        fn: ``fn(key, size) -> pytree`` with the same structure at every size.
        keys: one PRNG key per size.
        sizes: the curve's points (passed to ``fn`` as given, e.g. Python ints).
        num_replicates: ``R >= 1``.

    Returns:
        The pytree with every leaf of shape ``(R, len(sizes), ...)``, for :func:`summarise`.

    Example:
        >>> sizes = [50, 100, 200]
        >>> keys = [jax.random.key(1000 * p) for p in sizes]
        >>> runs = empirical.replicate_curve(
        ...     lambda k, p: empirical.rf_ridge_risk(k, e, w, 50, p, jnp.array([1e-2])),
        ...     keys, sizes, 3)                                            # doctest: +SKIP
        >>> mean, stderr = empirical.summarise(runs)                     # doctest: +SKIP
    """
    if not callable(fn):
        raise fail("fn", f"must be callable, got {type(fn).__name__}")
    keys, sizes = list(keys), list(sizes)
    if len(keys) != len(sizes) or not sizes:
        raise fail("keys", f"must hold one key per size ({len(sizes)}), got {len(keys)}")
    runs = [
        replicate(lambda key, size=size: fn(key, size), key, num_replicates)
        for key, size in zip(keys, sizes, strict=True)
    ]
    return jax.tree.map(lambda *leaves: np.stack(leaves, axis=1), *runs)


def _mean_stderr(x, axis):
    count = x.shape[axis]
    ddof = 1 if count > 1 else 0  # R = 1: NaN standard error, without a warning
    if is_concrete(x):
        # Host values: accumulate in float64, return in the input's dtype.
        wide = np.asarray(x, np.float64)
        with np.errstate(invalid="ignore"):
            mean = wide.mean(axis=axis)
            stderr = wide.std(axis=axis, ddof=ddof) / np.sqrt(count)
        if count == 1:
            stderr = np.full_like(stderr, np.nan)
        dtype = np.asarray(x).dtype
        dtype = dtype if np.issubdtype(dtype, np.floating) else np.float64
        return mean.astype(dtype), stderr.astype(dtype)
    mean = jnp.mean(x, axis=axis)
    stderr = jnp.std(x, axis=axis, ddof=ddof) / jnp.sqrt(count)
    return mean, stderr if count > 1 else jnp.full_like(stderr, jnp.nan)


@readable_errors
def summarise(values, axis: int = 0) -> MeanStderr:
    """Mean and standard error ``std(ddof=1)/√R`` over the replicate axis of every leaf.

    Args:
        values: a pytree of arrays with the replicates along ``axis`` (e.g. the output of
            :func:`replicate`, or ``EmpiricalRisk`` fields with a seed axis), ``R >= 1``
            (one replicate has no standard error: it is NaN).
        axis: the replicate axis (static).

    Returns:
        :class:`MeanStderr` of two pytrees shaped like ``values`` without ``axis``. Concrete
        inputs are reduced in float64 on the host and returned in their dtype; traced inputs
        (inside ``jit``) with ``jax.numpy`` in theirs. NaN or inf in a replicate propagates.
    """
    leaves, treedef = jax.tree.flatten(values)
    if not leaves:
        raise fail("values", "must hold at least one array")
    pairs = []
    for leaf in leaves:
        shape = np.shape(leaf)
        if not -len(shape) <= axis < len(shape):
            raise fail("axis", f"is out of range for a value of shape {shape}")
        if shape[axis] < 1:
            raise fail("values", f"has no replicates along axis {axis}")
        pairs.append(_mean_stderr(leaf if is_concrete(leaf) else jnp.asarray(leaf), axis))
    mean = jax.tree.unflatten(treedef, [m for m, _ in pairs])
    stderr = jax.tree.unflatten(treedef, [s for _, s in pairs])
    return MeanStderr(mean, stderr)
