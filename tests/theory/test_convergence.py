"""Solvers report convergence: ``throw=False`` flags per point, ``throw=True`` raises.

Hard points are made by capping the iteration (``max_steps``): a point whose safeguarded Newton
needs more steps than the cap must say so, and a point that says it converged must be right
(against SciPy's Brent root, independent of the package).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

import jaxridge
from jaxridge import spectra, theory
from jaxridge.theory._implicit import solve_increasing
from tests.helpers import DTYPE, assert_allclose, tol

STATUS = ("converged", "num_steps", "residual")


def _scipy_kappa(e, p, lam):
    """Root of 1 − λ/κ − n₁(κ)/P in log κ by Brent's method (float64), for λ > 0."""
    e = np.asarray(e, np.float64)

    def g(u):
        k = np.exp(u)
        return 1.0 - lam / k - np.sum(e / (e + k)) / p

    return float(np.exp(brentq(g, np.log(lam) - 1.0, np.log(lam + e.sum() / p) + 1.0, xtol=1e-15)))


@pytest.fixture(scope="module")
def grid():
    e, w = spectra.power_law(300, alpha=1.6, r=0.4, dtype=DTYPE)
    p = jnp.asarray(np.geomspace(3.0, 3000.0, 7), DTYPE)
    lam = jnp.asarray(np.geomspace(1e-7, 1.0, 6), DTYPE)
    ref = np.array([[_scipy_kappa(e, pi, li) for li in lam] for pi in np.asarray(p, np.float64)])
    return e, w, p, lam, ref


def _risk_grid(e, w, p, lam, **options):
    one = lambda pi, li: theory.ridge_risk(e, w, pi, li, 0.1, **options)  # noqa: E731
    return jax.vmap(jax.vmap(one, (None, 0)), (0, None))(p, lam)


def test_throw_true_results_carry_no_status(grid):
    e, w, p, lam, _ = grid
    out = theory.ridge_risk(e, w, p[0], lam[0])
    assert all(getattr(out, f) is None for f in STATUS)
    rf = theory.rf_risk(e, w, 100.0, p[2], lam[2])
    assert all(getattr(rf, f) is None for f in STATUS)


def test_default_cap_converges_everywhere_and_flags_agree(grid):
    e, w, p, lam, ref = grid
    out = _risk_grid(e, w, p, lam, throw=False)
    assert out.converged.shape == out.num_steps.shape == out.residual.shape == (7, 6)
    assert out.converged.dtype == jnp.bool_ and jnp.issubdtype(out.num_steps.dtype, jnp.integer)
    assert bool(jnp.all(out.converged))
    # Newton converges fast: far below the bisection cap at every point.
    assert int(jnp.max(out.num_steps)) <= 20
    assert float(jnp.max(jnp.abs(out.residual))) <= 64 * float(jnp.finfo(DTYPE).eps)
    assert_allclose(out.kappa, ref, rtol=tol(1e-12, 2e-5))
    # The status does not change any value.
    plain = _risk_grid(e, w, p, lam)
    for f in ("kappa", "test", "train", "bias"):
        np.testing.assert_array_equal(np.asarray(getattr(out, f)), np.asarray(getattr(plain, f)))


@pytest.mark.parametrize("cap", [2, 3, 4])
def test_flags_are_honest_at_hard_points(grid, cap):
    e, w, p, lam, ref = grid
    out = _risk_grid(e, w, p, lam, throw=False, max_steps=cap)
    converged = np.asarray(out.converged)
    steps = np.asarray(out.num_steps)
    assert converged.any() and (~converged).any(), "the cap must make some points hard"
    # A point that says it converged is right; one that does not stopped at the cap.
    rel = np.abs(np.asarray(out.kappa, np.float64) / ref - 1.0)
    assert rel[converged].max() <= tol(1e-12, 2e-5)
    assert (steps[~converged] == cap).all()
    assert (steps <= cap).all()
    # Unconverged points are really off: their residual is above the stopping tolerance.
    assert (np.abs(np.asarray(out.residual))[~converged] > 32 * np.finfo(DTYPE).eps).all()


def test_grid_evaluator_reports_per_point(grid):
    e, w, p, lam, ref = grid
    out = theory.ridge_risk_grid(e, w, p[:, None], lam[None, :], 0.1, throw=False)
    assert out.converged.shape == (7, 6) and bool(jnp.all(out.converged))
    hard = theory.ridge_risk_grid(e, w, p[:, None], lam[None, :], 0.1, throw=False, max_steps=3)
    converged = np.asarray(hard.converged)
    assert converged.any() and (~converged).any()
    rel = np.abs(np.asarray(hard.kappa, np.float64) / ref - 1.0)
    assert rel[converged].max() <= tol(1e-9, 1e-4)
    assert (np.asarray(hard.num_steps)[~converged] == 3).all()


def test_random_features_report_per_point(grid):
    e, w, p, lam, _ = grid

    def curve(**options):
        one = lambda pi, li: theory.rf_risk(e, w, 120.0, pi, li, 0.1, **options)  # noqa: E731
        return jax.vmap(jax.vmap(one, (None, 0)), (0, None))(p, lam)

    full = curve(throw=False)
    assert full.converged.shape == (7, 6) and bool(jnp.all(full.converged))
    hard = curve(throw=False, max_steps=3)
    converged = np.asarray(hard.converged)
    assert converged.any() and (~converged).any()
    rel = np.abs(np.asarray(hard.kappa2) / np.asarray(full.kappa2) - 1.0)
    assert rel[converged].max() <= tol(1e-12, 1e-5)
    assert rel[~converged].max() > tol(1e-12, 1e-5)
    deep = theory.deep_rf_risk(
        e, w, jnp.asarray([150.0, 90.0], DTYPE), p[3], lam[2], throw=False, max_steps=2
    )
    assert deep.converged.shape == () and not bool(deep.converged)


def test_throw_true_raises_naming_the_solver(grid):
    e, w, p, lam, _ = grid
    with pytest.raises(RuntimeError, match=r"`ridge_risk` did not converge.*throw=False"):
        _risk_grid(e, w, p, lam, max_steps=2)
    with pytest.raises(RuntimeError, match=r"`ridge_risk_grid` did not converge"):
        theory.ridge_risk_grid(e, w, p[:, None], lam[None, :], max_steps=2)
    with pytest.raises(RuntimeError, match=r"`rf_risk` did not converge"):
        theory.rf_risk(e, w, 120.0, p[3], lam[0], max_steps=1)
    with pytest.raises(RuntimeError, match=r"`effective_ridge` did not converge"):
        theory.effective_ridge(e, p[3], lam[0], max_steps=1)
    # Inside a user's jit the check fires when the program runs; `jaxridge.checked` gives the
    # same error type and message.
    loss = jax.jit(lambda lam_: theory.ridge_risk(e, w, p[3], lam_, max_steps=1).test)
    with pytest.raises(RuntimeError, match=r"`ridge_risk` did not converge"):
        jaxridge.checked(loss)(lam[0])


def test_status_passes_through_grad_and_gradients_are_unchanged(grid):
    e, w, p, lam, _ = grid

    def loss(log_lam, **options):
        return theory.ridge_risk(e, w, p[3], jnp.exp(log_lam), 0.1, **options).test

    x = jnp.log(lam[2])
    # Two compiled programs (with and without the check): equal to rounding.
    assert_allclose(
        jax.grad(lambda t: loss(t, throw=False))(x), jax.grad(loss)(x), rtol=tol(1e-14, 1e-6)
    )
    # Forward mode through a result with status fields: the status has no derivative.
    _, tangent = jax.jvp(
        lambda t: theory.ridge_risk(e, w, p[3], jnp.exp(t), throw=False), (x,), (jnp.ones_like(x),)
    )
    assert tangent.converged.dtype == jax.dtypes.float0
    assert float(tangent.kappa) != 0.0


def test_max_steps_is_validated():
    e = jnp.ones(4, DTYPE)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="argument `max_steps`"):
            theory.ridge_risk(e, e, 3.0, 0.1, max_steps=bad)


# ------------------------------------------------------------------ the solver itself


def _line(x, slope, root):
    return slope * (x - root), slope


def test_solver_flags_nan_and_the_cap():
    lo, hi = jnp.asarray(0.0, DTYPE), jnp.asarray(1.0, DTYPE)
    eps = float(jnp.finfo(DTYPE).eps)
    x, stats = solve_increasing(_line, lo, hi, 0.5 * hi, (1.0, 0.3), g_tol=8 * eps)
    assert bool(stats.converged) and abs(float(x) - 0.3) <= 8 * eps
    # A residual that is NaN is never converged.
    nan = lambda x: (x * jnp.nan, jnp.ones_like(x))  # noqa: E731
    _, stats = solve_increasing(nan, lo, hi, 0.5 * hi, (), g_tol=8 * eps)
    assert not bool(stats.converged)
    # Bisection only (a flat slope): 3 steps cannot resolve a root at 0.3 to the last bit.
    flat = lambda x: (x - 0.3, jnp.zeros_like(x))  # noqa: E731
    _, stats = solve_increasing(flat, lo, hi, 0.5 * hi, (), g_tol=8 * eps, max_steps=3)
    assert not bool(stats.converged) and int(stats.num_steps) == 3
    x, stats = solve_increasing(flat, lo, hi, 0.5 * hi, (), g_tol=8 * eps)
    assert bool(stats.converged) and abs(float(x) - 0.3) <= 8 * eps


def test_solver_flags_a_steep_root_by_its_newton_distance():
    # |g| at the closest float to the root is ~slope·eps·|x| ≫ g_tol: still a converged root.
    lo, hi = jnp.asarray(0.0, DTYPE), jnp.asarray(10.0, DTYPE)
    eps = float(jnp.finfo(DTYPE).eps)
    x, stats = solve_increasing(_line, lo, hi, 1.0, (1e8, 7.1), g_tol=8 * eps)
    assert bool(stats.converged) and abs(float(x) - 7.1) <= 32 * eps * 7.1
