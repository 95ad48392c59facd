"""Scalar roots of increasing functions, differentiated by the implicit function theorem.

Every deterministic equivalent in jaxridge reduces to one scalar unknown ``x`` (``κ``,
``log κ``, ``log κ₂`` or ``log κ_F``) solving ``R(x, θ) = 0`` with ``R`` monotone in ``x`` on a
known bracket. Two pieces are shared by every solver:

* :func:`solve_increasing` — a safeguarded Newton iteration ("rtsafe": Newton steps clipped to
  the current bracket, bisection whenever Newton leaves the bracket or stops halving the step)
  in a ``lax.while_loop`` whose cap comes from the dtype, so it is jit/vmap friendly and never
  recompiles. It reports what it did (:class:`RootStats`).
* :func:`implicit_root` — the one ``custom_jvp`` rule: from a solver and a residual it builds a
  root function whose derivative is the implicit-function-theorem tangent, never the derivative
  of the iteration.

The tangent rule, derived once. Let ``x*(θ)`` solve ``R(x*(θ), θ) = 0``. Differentiating,
``∂R/∂x · dx* + ∂R/∂θ · dθ = 0``, so

    dx* = −(∂R/∂θ · dθ) / (∂R/∂x).

The numerator is a forward-mode derivative of ``R`` in ``θ`` at fixed ``x`` — linear in the
tangents, hence transposable, so reverse mode works through the same rule. ``x`` inside the rule
is recomputed through the root function itself, so differentiating the rule again (second and
higher order) applies the rule again. ``∂R/∂x`` is supplied by the residual in a closed form
chosen for stability (e.g. ``1 − γ`` summed term by term), not differentiated numerically.
Where ``∂R/∂x`` is zero or not finite (an interpolation threshold, where the root is not a
differentiable function of θ) the tangent is set to 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array

__all__ = ["RootStats", "implicit_root", "default_max_steps", "merge_stats", "solve_increasing"]


class RootStats(NamedTuple):
    """What a root solve did: steps taken, final residual, and whether it converged.

    ``converged`` is True when the iteration stopped on its tolerance — residual at its
    evaluation-noise level, or a Newton step or the bracket below a few ulps of ``x`` — at a
    finite iterate with a defined residual. It is False when the step cap was reached first or
    the iteration met NaN. The brackets are proven to contain the root (THEORY §5.3), so a
    collapsed bracket is a root to the last bits even where the residual jumps there.
    ``residual`` is the last value of the equation in the solver's own coordinates (e.g. the
    log form ``G(log κ)``; clipped equations report their clip value near a bracket end).
    """

    num_steps: Array
    residual: Array
    converged: Array


def default_max_steps(dtype) -> int:
    """Iteration cap: enough bisections to resolve a log-bracket of width ~1e3 to the last bit.

    Bisection alone halves the bracket each step; a bracket of width ``W`` shrinks below
    ``4 eps max(1, |x|)`` after ``log2(W / (4 eps))`` steps, which for ``W ≤ 1e3`` is at most
    ``nmant + 9``. Newton steps only shorten this, so a solve that hits the cap has met something
    other than a hard but regular root (a non-finite residual, or no root in the bracket).
    """
    return int(jnp.finfo(dtype).nmant) + 16


def solve_increasing(
    fn: Callable,
    lo,
    hi,
    x0,
    args: tuple,
    *,
    g_tol,
    max_steps: int | None = None,
) -> tuple[Array, RootStats]:
    """Root of an increasing scalar function on ``[lo, hi]`` by safeguarded Newton.

    Args:
        fn: ``fn(x, *args) -> (value, derivative)``, increasing in ``x`` with
            ``value(lo) <= 0 <= value(hi)``.
        lo, hi: bracket (scalars).
        x0: starting point inside the bracket.
        args: extra arguments passed to ``fn`` (arrays; nothing is closed over).
        g_tol: stop once ``|value| <= g_tol`` (the evaluation noise of ``fn``).
        max_steps: iteration cap (static); default :func:`default_max_steps` of the dtype.

    Returns:
        ``(x, stats)``: the root and its :class:`RootStats`.
    """
    dtype = jnp.result_type(lo)
    eps = jnp.finfo(dtype).eps
    cap = default_max_steps(dtype) if max_steps is None else int(max_steps)
    g0, dg0 = fn(x0, *args)

    def cond(state):
        *_, it, done = state
        return (~done) & (it < cap)

    def body(state):
        lo, hi, x, g, dg, dx_old, it, _ = state
        # Keep the bracket tight with the sign of the current value.
        lo = jnp.where(g < 0, x, lo)
        hi = jnp.where(g >= 0, x, hi)
        safe_dg = jnp.where(dg > 0, dg, 1.0)
        newton = x - g / safe_dg
        bisect = (
            (dg <= 0) | (newton <= lo) | (newton >= hi) | (jnp.abs(2.0 * g) > jnp.abs(dx_old * dg))
        )
        x_new = jnp.where(bisect, 0.5 * (lo + hi), newton)
        dx = x_new - x
        g_new, dg_new = fn(x_new, *args)
        tol_x = 4.0 * eps * jnp.maximum(1.0, jnp.abs(x_new))
        done = (jnp.abs(g_new) <= g_tol) | (jnp.abs(dx) <= tol_x) | ((hi - lo) <= tol_x)
        return lo, hi, x_new, g_new, dg_new, dx, it + 1, done

    state = (lo, hi, x0, g0, dg0, hi - lo, jnp.asarray(0, jnp.int32), jnp.abs(g0) <= g_tol)
    _, _, x, g, _, _, it, done = lax.while_loop(cond, body, state)
    # Stopped on its tolerance (not on the cap), at a finite iterate with a defined residual.
    converged = done & jnp.isfinite(x) & ~jnp.isnan(g)
    return x, RootStats(num_steps=it, residual=g, converged=converged)


def merge_stats(*stats: RootStats) -> RootStats:
    """Several solves behind one result: steps and |residual| of the first, converged if all are."""
    converged = stats[0].converged
    for s in stats[1:]:
        converged = converged & s.converged
    return RootStats(stats[0].num_steps, stats[0].residual, converged)


def _zero_tangent(x):
    x = jnp.asarray(x)
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.zeros_like(x)
    return np.zeros(x.shape, dtype=jax.dtypes.float0)


def implicit_root(solve: Callable, residual: Callable) -> Callable:
    """The root function ``θ ↦ (x*(θ), stats)`` with the implicit-function-theorem derivative.

    Args:
        solve: ``solve(*θ) -> (x, stats)``: the root (not differentiated) and any pytree of
            diagnostics (e.g. :class:`RootStats`), which get zero tangents.
        residual: ``residual(x, *θ) -> (R, ∂R/∂x)``: the equation the root satisfies and its
            slope at the root in a stable closed form; a module-level function of arrays.
            Differentiated in θ only, at fixed ``x`` (module docstring).

    Returns:
        ``root(*θ) -> (x, stats)``, differentiable in every float leaf of θ (forward, reverse,
        higher order), jit/vmap-able.
    """

    @jax.custom_jvp
    def root(*theta):
        return solve(*theta)

    @root.defjvp
    def _root_jvp(primals, tangents):
        x, stats = root(*primals)
        (_, slope), (d_r, _) = jax.jvp(lambda *a: residual(x, *a), primals, tangents)
        ok = (slope != 0) & jnp.isfinite(slope)
        d_x = jnp.where(ok, -d_r / jnp.where(ok, slope, 1.0), jnp.zeros_like(d_r))
        return (x, stats), (d_x, jax.tree.map(_zero_tangent, stats))

    return root
