"""Least squares on log errors: parameter transforms, Adam phase, Levenberg–Marquardt polish.

Everything here is a pure function of an unconstrained parameter vector ``u``, a residual
function ``fn(u, args) -> (n,)`` (residuals already multiplied by the square roots of the
weights; module-level, its data passed in ``args``) and ``args``, so that restarts are a
``jax.vmap``: a ``lax.scan`` of optax steps (Adam by default), then a ``lax.while_loop`` of
hand-written Levenberg–Marquardt (see :func:`lm_phase` for why not optimistix's).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
from jax import lax


def softplus(u):
    return jax.nn.softplus(u)


def inv_softplus(y):
    # softplus⁻¹(y) = log(eᵞ − 1) = y + log(1 − e^{−y}), stable for small and large y.
    y = jnp.asarray(y)
    return y + jnp.log(-jnp.expm1(-y))


# name -> (forward u ↦ value, inverse value ↦ u, description of the range)
TRANSFORMS = {
    "alpha": (lambda u: 1.0 + softplus(u), lambda p: inv_softplus(p - 1.0), "> 1"),
    "r": (softplus, inv_softplus, "> 0"),
    "noise_var": (softplus, inv_softplus, "> 0"),
    "amplitude": (jnp.exp, jnp.log, "> 0"),
    "ridge": (jnp.exp, jnp.log, "> 0"),
    "feature_var": (jnp.exp, jnp.log, "> 0"),
    # fit_power_law: y = a·x^−b + c
    "exponent": (lambda u: u, lambda p: p, "real"),
    "offset": (jnp.exp, jnp.log, "> 0"),
}


def to_natural(names, u):
    """Dict of natural parameter values from the unconstrained vector ``u`` (last axis)."""
    return {name: TRANSFORMS[name][0](u[..., i]) for i, name in enumerate(names)}


def to_unconstrained(names, values, dtype):
    return jnp.stack(
        [jnp.asarray(TRANSFORMS[n][1](jnp.asarray(values[n], dtype)), dtype) for n in names]
    )


def natural_jacobian_diag(names, u):
    """d value / d u for each parameter (the transforms act elementwise)."""
    out = []
    for i, name in enumerate(names):
        fwd = TRANSFORMS[name][0]
        out.append(jax.jvp(fwd, (u[i],), (jnp.ones_like(u[i]),))[1])
    return jnp.stack(out)


def _loss(u, fn, args, scale):
    res = fn(u, args)
    return jnp.sum(res * res) / scale


def adam_phase(fn, u0, args, scale, optimizer, steps):
    """``steps`` optax steps on the mean squared residual (Adam by default).

    Returns:
        ``(u, history)``: the best iterate seen (best-so-far) and the loss at every step.
    """

    def value_and_grad(u):
        return jax.value_and_grad(_loss)(u, fn, args, scale)

    def step(carry, _):
        u, state, best_u, best_l = carry
        value, grad = value_and_grad(u)
        finite = jnp.isfinite(value)
        better = finite & (value < best_l)
        best_u = jnp.where(better, u, best_u)
        best_l = jnp.where(better, value, best_l)
        grad = jnp.where(jnp.isfinite(grad), grad, 0.0)
        # optax mixes Python floats with its int32 step count: standard promotion for it, so
        # that the fit also runs for users who trace with jax_numpy_dtype_promotion="strict".
        with jax.numpy_dtype_promotion("standard"):
            updates, state = optimizer.update(grad, state, u)
        u = optax.apply_updates(u, updates)
        return (u, state, best_u, best_l), value

    init = (u0, optimizer.init(u0), u0, jnp.asarray(jnp.inf, u0.dtype))
    if steps == 0:
        return u0, jnp.zeros((0,), u0.dtype)
    # The iterate after the last update is not evaluated (the LM phase starts from the best
    # evaluated one), which keeps one copy of the solver out of the compiled program.
    (_, _, best_u, _), history = lax.scan(step, init, None, length=steps)
    return best_u, history


def residuals_and_jacobian(fn, u, args):
    """Residuals and their Jacobian (n, k) in forward mode (k is small)."""
    res, jvp = jax.linearize(lambda v: fn(v, args), u)
    jac = jax.vmap(jvp, out_axes=1)(jnp.eye(u.shape[0], dtype=u.dtype))
    return res, jac


def lm_phase(fn, u0, args, scale, steps):
    """Levenberg–Marquardt with Marquardt's diagonal scaling; only decreasing steps are kept.

    Each iteration evaluates the residuals and their Jacobian once, at the trial point: an
    improvement becomes the new centre (and the damping shrinks), otherwise the trial is
    discarded and the damping grows. At most ``steps`` iterations; it stops earlier once
    converged (see below). The residuals and Jacobian at the returned point come out
    too, so the Gauss–Newton covariance costs nothing extra.

    Returns:
        ``(u, loss, history, res, jac, num_steps, converged)``: the best point, its loss,
        residuals and Jacobian; ``history`` has ``steps`` entries (the best loss after each
        step, repeated after the stop); ``num_steps`` is the number of steps taken and
        ``converged`` whether the stopping rule fired (False when ``steps`` ran out first,
        or for ``steps=0``).
    """
    # Hand-written rather than `optimistix.least_squares(fn, optimistix.LevenbergMarquardt(
    # rtol, atol), u0, args, max_steps=steps, throw=False)`, measured against it (optimistix
    # 0.1.0, rtol = atol = √eps, same vmap over restarts), it needs about twice the steps:
    # it damps with λ·I and a classical trust-region update (no Marquardt diag(JᵀJ) scaling,
    # the likely cause). tests/test_fit.py::test_recovers_exact_theory_curve[(2.2, 0.8, 0.05)]
    # (40 Adam + 25 LM steps, 2 restarts, float64): this loop has max relative parameter
    # error 2.8e-6 after 15 steps and 1.3e-14 after 20; optimistix 7.6e-2 after 25 steps
    # (the test fails, 2e-3 > 1e-3 on α), 6.8e-5 after 40, 1.6e-11 after 43 (converged).
    # benchmarks/bench_fit.py --quick (30 Adam + 20 LM, 2 restarts, both in the same tree,
    # interleaved on a loaded 2-core CPU): this loop 8.9–9.8 s compile + first call, 0.22 s
    # steady, error 1.7e-12; optimistix 10.4–10.5 s, 0.16 s, 9.6e-13.
    dtype = u0.dtype
    k = u0.shape[0]
    eps = jnp.finfo(dtype).eps
    eye = jnp.eye(k, dtype=dtype)

    def evaluate(u):
        res, jac = residuals_and_jacobian(fn, u, args)
        ok = jnp.all(jnp.isfinite(jac)) & jnp.all(jnp.isfinite(res))
        value = jnp.where(ok, jnp.sum(res * res) / scale, jnp.inf)
        return jnp.where(ok, res, 0.0), jnp.where(ok, jac, 0.0), value

    def propose(u, res, jac, mu):
        grad = jac.T @ res
        hess = jac.T @ jac
        damping = mu * (jnp.diag(jnp.diag(hess)) + eps * (jnp.trace(hess) + 1.0) * eye)
        delta = -jnp.linalg.solve(hess + damping, grad)
        return u + jnp.where(jnp.all(jnp.isfinite(delta)), delta, 0.0)

    # Converged when an accepted step moved every coordinate by at most √eps·(1 + |u|∞) (in the
    # quadratic regime the next one would move by ~eps), the loss is exactly 0, or the damping
    # is at its cap after a rejection (no decrease left at working precision). The loop then
    # stops; under the vmap over restarts a converged restart stays as it is while the others
    # go on. The history keeps one entry per allowed step, the best loss so far.
    xtol = jnp.sqrt(eps)
    mu_max = 1e12

    def body(carry):
        i, best_u, best_res, best_jac, best_value, mu, trial, history, _ = carry
        res, jac, value = evaluate(trial)
        accept = value < best_value
        moved = jnp.max(jnp.abs(trial - best_u))
        best_u = jnp.where(accept, trial, best_u)
        best_res = jnp.where(accept, res, best_res)
        best_jac = jnp.where(accept, jac, best_jac)
        best_value = jnp.where(accept, value, best_value)
        small = accept & (i > 0) & (moved <= xtol * (1.0 + jnp.max(jnp.abs(best_u))))
        stuck = ~accept & (mu >= mu_max)
        mu = jnp.clip(jnp.where(accept, mu / 3.0, mu * 4.0), 1e-12, mu_max)
        trial = propose(best_u, best_res, best_jac, mu)
        history = history.at[i].set(best_value)
        done = small | stuck | (best_value == 0)
        return (i + 1, best_u, best_res, best_jac, best_value, mu, trial, history, done)

    n = jax.eval_shape(fn, u0, args).shape[0]
    init = (
        jnp.asarray(0, jnp.int32),
        u0,
        jnp.zeros((n,), dtype),
        jnp.zeros((n, k), dtype),
        jnp.asarray(jnp.inf, dtype),
        jnp.asarray(1e-3, dtype),
        u0,
        jnp.zeros((steps + 1,), dtype),
        jnp.asarray(False),
    )
    # Iteration 0 evaluates u0 itself (always "accepted" against +inf).
    carry = lax.while_loop(lambda c: (c[0] < steps + 1) & ~c[-1], body, init)
    last, best_u, best_res, best_jac, best_value, _, _, history, done = carry
    history = jnp.where(jnp.arange(steps + 1, dtype=jnp.int32) < last, history, best_value)
    converged = done & jnp.isfinite(best_value)
    return best_u, best_value, history[1:], best_res, best_jac, last - 1, converged


def gauss_newton_covariance(res, jac_u, names, u):
    """Covariance of the natural parameters at the optimum (Gauss–Newton / Laplace).

    ``cov = s² (JᵀJ)⁺`` with J the Jacobian of the (weighted) residuals with respect to the
    natural parameters and ``s² = Σ res²/(n − k)`` the residual variance; ``inf`` when n ≤ k.
    """
    jac = jac_u / natural_jacobian_diag(names, u)[None, :]
    n, k = jac.shape
    dof = n - k
    s2 = jnp.where(dof > 0, jnp.sum(res * res) / max(dof, 1), jnp.inf)
    return s2 * jnp.linalg.pinv(jac.T @ jac, hermitian=True)
