"""The tabulated grid evaluator `ridge_risk_grid` against `ridge_risk` and NumPy references."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxridge import spectra
from jaxridge.theory import grid as grid_module
from jaxridge.theory.grid import ridge_risk_grid
from jaxridge.theory.linear import ridge_risk
from tests.helpers import DTYPE, assert_allclose, tol

FIELDS = ("kappa", "df1", "df2", "gamma", "bias", "var_x", "var_noise", "test", "test_out", "train")
N = 10_000
NOISE = 0.1


# ---------------------------------------------------------------------------------------------
# Spectra (all of length N, so that one compilation serves every spectrum) and the grid.
# ---------------------------------------------------------------------------------------------


def _spectrum(name):
    if name.startswith("power"):
        return spectra.power_law(N, jnp.asarray(float(name[5:]), DTYPE), jnp.asarray(0.4, DTYPE))
    if name == "isotropic":
        return spectra.isotropic(N, jnp.asarray(1.0, DTYPE))
    if name == "gapped":
        return spectra.blocks(
            [10, 100, N - 110],
            jnp.array([1.0, 1e-2, 1e-5], DTYPE),
            jnp.array([1.0, 0.3, 0.1], DTYPE),
        )
    if name == "zeros":  # a power law with a 1000-dimensional null space (rank 9000)
        e, w = spectra.power_law(N, jnp.asarray(1.5, DTYPE), jnp.asarray(0.4, DTYPE))
        return e.at[::10].set(0.0), w
    raise ValueError(name)


def _axes(rank):
    """P log-spaced in [1, 1e6] with P = rank (the threshold) on the grid; λ = 0 then 1e-12…1e2."""
    p = np.logspace(0.0, 6.0, 100)
    p[np.argmin(np.abs(np.log(p / rank)))] = rank
    lam = np.concatenate([[0.0], np.logspace(-12.0, 2.0, 99)])
    return p, lam


@functools.cache
def _grid_result(name):
    e, w = _spectrum(name)
    rank = int(np.sum(np.asarray(e) > 0))
    p, lam = _axes(rank)
    out = ridge_risk_grid(
        e, w, jnp.asarray(p, DTYPE)[:, None], jnp.asarray(lam, DTYPE)[None, :], NOISE
    )
    return e, w, p, lam, jax.tree.map(np.asarray, out)


_reference = jax.jit(jax.vmap(ridge_risk, (None, None, 0, 0, None)))

SPECTRA = ["power1.05", "power2", "power4", "isotropic", "gapped", "zeros"]


# ---------------------------------------------------------------------------------------------
# The tabulated sums and the interpolant.
# ---------------------------------------------------------------------------------------------


def test_node_derivatives_match_autodiff(x64):
    """The hand-written u-derivatives of (n₁, d, n₂, B, m, T) equal jax autodiff of the direct
    sums."""
    rng = np.random.default_rng(0)
    e = jnp.asarray(np.concatenate([np.exp(rng.uniform(-8, 2, 40)), [0.0]]))
    w = jnp.asarray(rng.normal(size=41))
    c = w**2 * e

    def direct(u):
        k = jnp.exp(u)
        r, x = e / (e + k), k / (e + k)
        return jnp.stack(
            [
                jnp.sum(r),
                jnp.sum(r * x),
                jnp.sum(r * r),
                jnp.sum(c * x * x),
                jnp.sum(jnp.where(e > 0, x, 0.0)),
                jnp.sum(c * r * x),
            ]
        )

    e, c = e.reshape(1, -1), c.reshape(1, -1)  # one block
    positive = (e > 0).astype(e.dtype)
    us = jnp.array([-9.0, -3.0, 0.0, 1.5, 5.0])
    table = jax.jit(jax.vmap(lambda u: grid_module._node_sums(u, e, c, positive)))(us)
    want = jax.jit(
        jax.vmap(
            lambda u: jnp.stack(
                [direct(u), jax.jacfwd(direct)(u), jax.jacfwd(jax.jacfwd(direct))(u)], axis=-1
            )
        )
    )(us)
    assert_allclose(table, want, rtol=1e-12)


def test_hermite_slope_is_derivative_of_value(x64):
    """The slope the Newton solve uses is the exact derivative of the interpolant."""
    rng = np.random.default_rng(1)
    values = jnp.asarray(rng.normal(size=(6, 4, 3)))
    table = grid_module._Table(
        values, jnp.asarray(-1.0), jnp.asarray(0.3), jnp.ones(4), jnp.ones(2), jnp.ones(3)
    )

    def value_and_grad(u):
        slope = grid_module._hermite(table, u, slice(None))[1]
        return slope, jax.jacfwd(lambda v: grid_module._hermite(table, v, slice(None))[0])(u)

    # Points between nodes and exactly on one (-0.4 = u_min + 2h).
    slope, grad = jax.jit(jax.vmap(value_and_grad))(jnp.array([-0.95, -0.4, 0.05, 0.33]))
    assert_allclose(slope, grad, rtol=1e-12)
    # At a node the interpolant reproduces the tabulated value and first derivative.
    value, slope = grid_module._hermite(table, jnp.asarray(-1.0 + 3 * 0.3), slice(None))
    assert_allclose(value, values[3, :, 0], rtol=1e-12)
    assert_allclose(slope, values[3, :, 1], rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Values against `ridge_risk` and the fixed-point equation.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SPECTRA)
def test_matches_ridge_risk(name):
    """Every field equals vmap(ridge_risk) (the per-point Newton solve) on a sub-grid.

    The sub-grid takes every 9th P (plus the threshold P = rank) and every 9th λ, including the
    λ = 0 column, so both ridgeless branches and the threshold are covered.

    Tolerance: 1e-10 (float64) / 1e-4 (float32), except where the reference itself is
    ill-conditioned. `ridge_risk` solves 1 − λ/κ − n₁/P = 0 with n₁ summed to a relative
    accuracy ε ≤ N·eps (a sum of N terms), so its log κ, and every field through 1 − γ, carries
    an error up to ε·n₁/(P(1 − γ)): near the threshold with λ → 0 (1 − γ ≈ 2√λ) that reaches
    5e-9 in float64 (measured against the closed form, see
    `test_threshold_row_against_closed_form`, where the grid evaluator is within 1e-13).
    """
    e, w, p, lam, out = _grid_result(name)
    rank = int(np.sum(np.asarray(e) > 0))
    rows = sorted(set(range(0, 100, 9)) | {int(np.flatnonzero(p == rank)[0])})
    cols = list(range(0, 100, 9))
    ii, jj = np.meshgrid(rows, cols, indexing="ij")
    ref = _reference(
        e,
        w,
        jnp.asarray(p[ii.ravel()], DTYPE),
        jnp.asarray(lam[jj.ravel()], DTYPE),
        jnp.asarray(NOISE, DTYPE),
    )
    p_sub = p[ii.ravel()]
    with np.errstate(divide="ignore"):
        cond = np.asarray(ref.df1, np.float64) / (p_sub * (1.0 - np.asarray(ref.gamma, np.float64)))
    eps_sum = N * np.finfo(np.dtype(DTYPE)).eps
    rtol = np.maximum(tol(1e-10, 1e-4), eps_sum * np.where(np.isfinite(cond), cond, 0.0))
    for field in FIELDS:
        got = getattr(out, field)[ii, jj].ravel()
        want = np.asarray(getattr(ref, field))
        finite = np.isfinite(want)
        np.testing.assert_array_equal(np.isfinite(got), finite, err_msg=field)
        assert not np.any(np.isnan(got)), field
        np.testing.assert_array_equal(got[~finite], want[~finite], err_msg=field)
        err = np.abs(got[finite] - want[finite])
        assert np.all(err <= rtol[finite] * np.abs(want[finite])), (
            field,
            np.max(err / np.maximum(rtol[finite] * np.abs(want[finite]), 1e-300)),
        )


def test_threshold_row_against_closed_form():
    """Isotropic Σ = I_N at P = N: κ = ½(λ + √(λ² + 4λ)) (THEORY §2.8, q = 1), in mpmath.

    This is where 1 − γ ≈ 2√λ → 0 and a solve with 1 − n₁/P cancels; the grid evaluator uses
    the form with m = N − n₁ there and stays accurate.
    """
    import mpmath as mp  # a declared test dependency: the check never skips

    mp.mp.dps = 40
    _, _, p, lam, out = _grid_result("isotropic")
    i = int(np.flatnonzero(p == N)[0])
    want = [float((mp.mpf(x) + mp.sqrt(mp.mpf(x) ** 2 + 4 * mp.mpf(x))) / 2) for x in lam]
    assert_allclose(out.kappa[i], want, rtol=tol(1e-12, 1e-5))
    gamma = [1.0 / (1.0 + k) ** 2 for k in want]  # γ = q/(1 + κ)² with q = 1
    assert_allclose(out.gamma[i], gamma, rtol=tol(1e-12, 1e-5))


@pytest.mark.parametrize("name", ["power1.05", "power2", "power4"])
def test_fixed_point_residual_whole_grid(name):
    """|κ − λ − κ n₁(κ)/P|/κ at all 10⁴ points, computed in NumPy float64 from the returned κ.

    Where κ = 0 the grid must be on the ridgeless branch with rank(Σ) ≤ P.
    """
    e, _, p, lam, out = _grid_result(name)
    e = np.asarray(e, np.float64)
    kappa = out.kappa.astype(np.float64)
    pp, ll = np.meshgrid(p, lam, indexing="ij")
    zero = kappa == 0
    np.testing.assert_array_equal(zero, (ll == 0) & (np.sum(e > 0) <= pp))
    k = kappa[~zero]
    n1 = np.concatenate([np.sum(e / (e + kc[:, None]), axis=1) for kc in np.array_split(k, 20)])
    residual = np.abs(k - ll[~zero] - k * n1 / pp[~zero]) / k
    assert residual.max() <= tol(1e-10, 1e-4)


def test_threshold_is_inf_not_nan():
    """λ = 0, P = rank (= N, isotropic): E_g = +inf with noise, E_tr = 0, no NaN anywhere."""
    _, _, p, lam, out = _grid_result("isotropic")
    i = int(np.flatnonzero(p == N)[0])
    for field in FIELDS:
        assert not np.any(np.isnan(getattr(out, field))), field
    assert out.kappa[i, 0] == 0.0
    assert np.isposinf(out.test[i, 0]) and np.isposinf(out.var_noise[i, 0])
    assert out.train[i, 0] == 0.0
    assert_allclose(out.gamma[i, 0], 1.0)


def test_one_compilation_for_grids_of_one_shape():
    """Different grids of the same shape reuse one compiled program (trace counter)."""
    e, w = _spectrum("power2")
    p = jnp.logspace(0.0, 6.0, 100, dtype=DTYPE)[:, None]
    lam = jnp.logspace(-12.0, 2.0, 100, dtype=DTYPE)[None, :]
    ridge_risk_grid(e, w, p, lam, NOISE)
    traces = grid_module._grid_jit._cache_size()
    for scale in (0.5, 3.0):
        out = ridge_risk_grid(e * scale, w, p * scale, lam / scale, NOISE * scale)
        assert out.test.shape == (100, 100)
        assert out.kappa.dtype == DTYPE
    assert grid_module._grid_jit._cache_size() == traces


def test_broadcasting_shapes_and_scalar_point():
    """Fields take the broadcast shape of (P, λ, σ²) and the input dtype; a scalar point equals
    `ridge_risk`."""
    e, w = spectra.power_law(300, jnp.asarray(1.5, DTYPE), jnp.asarray(0.4, DTYPE))
    out = ridge_risk_grid(
        e,
        w,
        jnp.array([[50.0], [500.0]], DTYPE),
        jnp.array([0.0, 1e-3, 1.0], DTYPE),
        jnp.array([0.0, 0.1, 1.0], DTYPE),
    )
    assert all(getattr(out, f).shape == (2, 3) for f in FIELDS)
    assert out.kappa.dtype == DTYPE
    one = ridge_risk_grid(e, w, 500.0, 1e-3, 0.1)
    ref = ridge_risk(e, w, 500.0, 1e-3, 0.1)
    for field in FIELDS:
        assert getattr(one, field).shape == ()
        assert_allclose(getattr(one, field), getattr(ref, field), rtol=tol(1e-10, 1e-4))
        assert_allclose(getattr(out, field)[1, 1], getattr(ref, field), rtol=tol(1e-10, 1e-4))


# ---------------------------------------------------------------------------------------------
# Gradients.
# ---------------------------------------------------------------------------------------------


def _fields(out):
    return jnp.stack([out.kappa, out.test, out.train, out.df2, out.bias])


def _grid_fn(log_e, w, log_p, lam, noise):
    out = ridge_risk_grid(jnp.exp(log_e), w, jnp.exp(log_p)[:, None], lam[None, :], noise)
    return _fields(out)


def _ref_fn(log_e, w, log_p, lam, noise):
    f = jax.vmap(jax.vmap(ridge_risk, (None, None, None, 0, None)), (None, None, 0, None, None))
    return _fields(f(jnp.exp(log_e), w, jnp.exp(log_p), lam, noise))


@pytest.mark.slow
def test_gradients_match_ridge_risk(x64):
    """Forward (jvp) and reverse (vjp) derivatives in every argument equal those of
    vmap(ridge_risk), to 1e-8 relative, on a grid with both λ = 0 branches (rank 200: κ₀ > 0 at
    P = 20, 150; κ = 0 at P = 400) and λ > 0. Random tangent/cotangent directions (fixed seed)
    probe every input at once; each comparison is one compiled program.
    """
    e, w = spectra.power_law(200, 1.5, 0.4)
    args = (
        jnp.log(e),
        w,
        jnp.log(jnp.array([20.0, 150.0, 400.0])),
        jnp.array([0.0, 1e-9, 1e-3, 1.0]),
        jnp.asarray(0.1),
    )
    rng = np.random.default_rng(3)
    tangents = [jnp.asarray(rng.normal(size=np.shape(a))) for a in args]
    # Relative (log-coordinate) perturbations of λ > 0: an absolute dλ ~ 1 at λ = 1e-9 makes
    # d(λ/κ) = (dλ − (λ/κ) dκ)/κ cancel ~1e9-sized terms in both implementations.
    tangents[3] = tangents[3] * jnp.where(args[3] > 0, args[3], 1.0)
    tangents = tuple(tangents)
    value, fwd = jax.jvp(_grid_fn, args, tangents)
    want_value, want_fwd = jax.jvp(_ref_fn, args, tangents)
    assert_allclose(value, want_value, rtol=1e-10)
    for got, want in zip(fwd, want_fwd, strict=True):  # field by field
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10 * np.abs(want).max())
    cotangent = jnp.asarray(rng.normal(size=value.shape))
    rev = jax.vjp(_grid_fn, *args)[1](cotangent)
    want_rev = jax.vjp(_ref_fn, *args)[1](cotangent)
    for got, want in zip(rev, want_rev, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10 * np.abs(want).max())


@pytest.mark.slow
def test_check_grads_orders_1_and_2(x64):
    """check_grads (fwd and rev, orders 1 and 2) in log coordinates of e, P and λ, and σ²."""
    e, w = spectra.power_law(30, 1.5, 0.4)

    def f(log_e, log_p, log_lam, noise):
        return _grid_fn(log_e, w, log_p, jnp.exp(log_lam), noise)

    args = (
        jnp.log(e),
        jnp.log(jnp.array([10.0, 60.0])),
        jnp.log(jnp.array([1e-4, 0.1])),
        jnp.asarray(0.1),
    )
    check_grads(f, args, order=2, modes=("fwd", "rev"))


@pytest.mark.slow
def test_check_grads_order_1_in_p_and_lambda(x64):
    """check_grads (fwd and rev, order 1) in log P and log λ (the fast subset of the above)."""
    e, w = spectra.power_law(30, 1.5, 0.4)

    def f(log_p, log_lam):
        return _grid_fn(jnp.log(e), w, log_p, jnp.exp(log_lam), 0.1)

    check_grads(
        f,
        (jnp.log(jnp.array([10.0, 60.0])), jnp.log(jnp.array([1e-4, 0.1]))),
        order=1,
        modes=("fwd", "rev"),
    )


# ---------------------------------------------------------------------------------------------
# Bad input.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(eigvals=[1.0, -1.0]), "eigvals"),
        (dict(eigvals=[1.0, np.nan]), "eigvals"),
        (dict(eigvals=[[1.0, 1.0]]), "eigvals"),
        (dict(target_weights=[1.0, 1.0, 1.0]), "target_weights"),
        (dict(num_samples=[10.0, 0.0]), "num_samples"),
        (dict(num_samples=[10.0, np.inf]), "num_samples"),
        (dict(ridges=[1.0, -1e-3]), "ridges"),
        (dict(ridges=[np.nan]), "ridges"),
        (dict(noise_var=-1.0), "noise_var"),
        (dict(num_samples=[1.0, 2.0, 3.0], ridges=[1.0, 2.0]), "num_samples"),
        (dict(noise_var=[0.1, 0.2, 0.3]), "noise_var"),
        (dict(num_nodes=3), "num_nodes"),
    ],
)
def test_bad_input_raises_naming_argument(kwargs, name):
    args = dict(
        eigvals=[1.0, 0.5],
        target_weights=[1.0, 1.0],
        num_samples=[10.0, 20.0],
        ridges=[0.1, 0.2],
        noise_var=0.0,
    )
    num_nodes = kwargs.pop("num_nodes", None)
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"`{name}`"):
        ridge_risk_grid(**args, num_nodes=num_nodes)


def test_bad_input_under_jit_raises():
    f = jax.jit(lambda lam: ridge_risk_grid(jnp.ones(3), jnp.ones(3), jnp.ones(2), lam).test)
    with pytest.raises(Exception, match="ridges"):
        jax.block_until_ready(f(jnp.array([0.1, -0.1], DTYPE)))
