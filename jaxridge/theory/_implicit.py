"""Scalar root finding for increasing functions, and the implicit-function-theorem tangent.

Every deterministic equivalent in jaxridge reduces to one scalar unknown ``x`` (usually
``log kappa``) solving ``R(x, theta) = 0`` with ``R`` strictly increasing in ``x`` on a known
bracket. Two pieces are shared:

* :func:`solve_increasing` — a safeguarded Newton iteration ("rtsafe": Newton steps clipped to
  the current bracket, bisection whenever Newton leaves the bracket or stops halving the step).
  It runs in a ``lax.while_loop`` whose cap comes from the dtype, so it is jit/vmap friendly and
  never recompiles. Its output is not differentiated (callers wrap it in ``custom_jvp``).
* :func:`implicit_tangent` — for ``R(x*(θ), θ) = 0``, ``dx* = −(∂R/∂θ · dθ) / (∂R/∂x)``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax


def max_steps(dtype) -> int:
    """Iteration cap: enough bisections to resolve a log-bracket of width ~1e3 to the last bit."""
    return int(jnp.finfo(dtype).nmant) + 16


def solve_increasing(
    fn: Callable,
    lo,
    hi,
    x0,
    args: tuple,
    *,
    g_tol,
):
    """Root of an increasing scalar function on ``[lo, hi]`` by safeguarded Newton.

    Args:
        fn: ``fn(x, *args) -> (value, derivative)``, increasing in ``x`` with
            ``value(lo) <= 0 <= value(hi)``.
        lo, hi: bracket (scalars).
        x0: starting point inside the bracket.
        args: extra arguments passed to ``fn`` (arrays; nothing is closed over).
        g_tol: stop once ``|value| <= g_tol`` (the evaluation noise of ``fn``).

    Returns:
        ``(x, value, num_steps)`` at the root.
    """
    dtype = jnp.result_type(lo)
    eps = jnp.finfo(dtype).eps
    cap = max_steps(dtype)
    g0, dg0 = fn(x0, *args)

    def cond(state):
        lo, hi, x, g, dg, dx_old, it, done = state
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

    state = (lo, hi, x0, g0, dg0, hi - lo, jnp.asarray(0), jnp.abs(g0) <= g_tol)
    _, _, x, g, _, _, it, _ = lax.while_loop(cond, body, state)
    return x, g, it


def implicit_tangent(residual: Callable, x, d_residual_dx, args: tuple, tangents: tuple):
    """Tangent of the root ``x*(θ)`` of ``residual(x, *θ) = 0``.

    By the implicit function theorem, differentiating ``R(x*(θ), θ) = 0`` gives
    ``∂R/∂x · dx* + ∂R/∂θ · dθ = 0``, so ``dx* = −(∂R/∂θ · dθ) / (∂R/∂x)``. The numerator is a
    forward-mode derivative of ``R`` in ``θ`` at fixed ``x``, hence linear in the tangents and
    transposable: reverse mode and higher orders work when the caller evaluates ``x`` through its
    own ``custom_jvp`` function.

    Args:
        residual: ``residual(x, *args)``, the scalar equation.
        x: the root (from the custom_jvp primal, so it stays differentiable for higher orders).
        d_residual_dx: ``∂R/∂x`` at the root, written in a stable closed form by the caller.
        args: the parameters ``θ``.
        tangents: their tangents.

    Returns:
        ``dx*``.
    """
    _, d_r = jax.jvp(lambda *a: residual(x, *a), args, tangents)
    return -d_r / d_residual_dx
