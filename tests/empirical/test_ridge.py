"""Tests for ridge_path, ridge_weights and ridge_statistics against NumPy (THEORY §2.1, §2.6)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import spectra
from jaxridge.empirical import decompose, ridge_path, ridge_statistics, sample_data
from tests.helpers import X64, assert_allclose, tol

SHAPES = [(15, 40), (40, 15), (25, 25)]
RIDGES = np.array([1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2])


def _data(p, n, seed=0, noise=0.2):
    # Mildly decaying spectrum: a condition number ~ (max size)^1 keeps float32 meaningful.
    e, w = spectra.power_law(n, alpha=0.5, r=0.5)
    return sample_data(jax.random.key(seed), e, w, p, noise)


def _np_ridge(X, y, lam):
    """Per-λ NumPy solve of the better-conditioned form: primal if P >= N, dual if P < N.

    (The primal N × N system with P < N has N − P eigenvalues equal to λ, so at λ = 1e-8 the
    reference itself would lose eight digits.)
    """
    p, n = X.shape
    if p >= n:
        return np.linalg.solve(X.T @ X / p + lam * np.eye(n), X.T @ y / p)
    return X.T @ np.linalg.solve(X @ X.T / p + lam * np.eye(p), y) / p


@pytest.mark.parametrize("p, n", SHAPES)
def test_ridge_path_matches_numpy_solve(p, n):
    X, y = _data(p, n)
    Xn, yn = np.asarray(X, np.float64), np.asarray(y, np.float64)
    W = ridge_path(X, y, jnp.asarray(RIDGES, X.dtype))
    assert W.shape == (len(RIDGES), n) and W.dtype == X.dtype
    for lam, w in zip(RIDGES, np.asarray(W), strict=True):
        ref = _np_ridge(Xn, yn, lam)
        if X64:
            # float64: relative 1e-10 for every λ (issue's bar). At λ = 1e-8 on the square case
            # the NumPy solve itself is conditioned by 1/(g_min + λ); both agree to rounding.
            np.testing.assert_allclose(w, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
        elif lam >= 1e-2:
            # float32: the data are float32 anyway; errors ~ eps32 · cond(Σ̂ + λ) ≲ 1e-4.
            np.testing.assert_allclose(w, ref, rtol=2e-3, atol=2e-3 * np.abs(ref).max())


@pytest.mark.parametrize("p, n", SHAPES)
def test_ridge_path_at_zero_is_min_norm_least_squares(p, n):
    X, y = _data(p, n, seed=1)
    Xn, yn = np.asarray(X, np.float64), np.asarray(y, np.float64)
    W = np.asarray(ridge_path(X, y, jnp.zeros(1, X.dtype)))[0]
    assert np.all(np.isfinite(W))
    ref = np.linalg.lstsq(Xn, yn, rcond=None)[0]
    np.testing.assert_allclose(ref, np.linalg.pinv(Xn) @ yn, rtol=1e-8, atol=1e-10)
    # float32 near P = N: the least-squares problem has cond(X)² amplification.
    rtol = tol(1e-9, 5e-2 if p == n else 2e-3)
    np.testing.assert_allclose(W, ref, rtol=rtol, atol=rtol * np.abs(ref).max())


def test_ridge_path_rank_deficient():
    # Duplicate columns and a zero column: the pseudo-inverse is still finite and min-norm.
    X, y = _data(12, 6, seed=2)
    X = jnp.concatenate([X, X[:, :2], jnp.zeros((12, 1), X.dtype)], axis=1)
    Xn = np.asarray(X, np.float64)
    W = np.asarray(ridge_path(X, y, jnp.asarray([0.0, 1e-3], X.dtype)))
    assert np.all(np.isfinite(W))
    ref = np.linalg.pinv(Xn) @ np.asarray(y, np.float64)
    np.testing.assert_allclose(W[0], ref, rtol=tol(1e-8, 1e-3), atol=tol(1e-10, 1e-4))
    np.testing.assert_allclose(
        W[1],
        _np_ridge(Xn, np.asarray(y, np.float64), 1e-3),
        rtol=tol(1e-8, 1e-3),
        atol=tol(1e-10, 1e-4),
    )


@pytest.mark.parametrize("p, n", SHAPES)
def test_statistics_match_direct_formulas(p, n):
    X, y = _data(p, n, seed=3)
    Xn, yn = np.asarray(X, np.float64), np.asarray(y, np.float64)
    ridges = np.array([1e-4, 1e-2, 1.0])
    df1, kappa, train, gcv_out = map(
        np.asarray, ridge_statistics(decompose(X, y), jnp.asarray(ridges, X.dtype))
    )
    gram = Xn @ Xn.T / p
    cov = Xn.T @ Xn / p
    for i, lam in enumerate(ridges):
        w = _np_ridge(Xn, yn, lam)
        ref_df1 = np.trace(cov @ np.linalg.inv(cov + lam * np.eye(n)))
        ref_kappa = p / np.trace(np.linalg.inv(gram + lam * np.eye(p)))
        ref_train = np.mean((yn - Xn @ w) ** 2)
        # E_tr = (λ²/P)‖(G+λ)⁻¹y‖² (THEORY §2.1) and GCV = (κ̂/λ)² E_tr (§2.6).
        alt_train = lam**2 / p * np.sum(np.linalg.solve(gram + lam * np.eye(p), yn) ** 2)
        np.testing.assert_allclose(ref_train, alt_train, rtol=1e-6)
        ref_gcv = (ref_kappa / lam) ** 2 * ref_train
        rtol = tol(1e-8, 5e-3)
        np.testing.assert_allclose(df1[i], ref_df1, rtol=rtol)
        np.testing.assert_allclose(kappa[i], ref_kappa, rtol=rtol)
        np.testing.assert_allclose(train[i], ref_train, rtol=tol(1e-7, 2e-2))
        np.testing.assert_allclose(gcv_out[i], ref_gcv, rtol=tol(1e-7, 2e-2))


@pytest.mark.parametrize("p, n", [(15, 40), (40, 15)])
def test_statistics_at_zero_ridge_are_the_limits(p, n):
    # λ = 0 is the limit λ → 0⁺; reference: closed forms (NumPy pseudo-inverse, float64).
    X, y = _data(p, n, seed=4)
    Xn, yn = np.asarray(X, np.float64), np.asarray(y, np.float64)
    df1, kappa, train, gcv_out = map(
        np.asarray, ridge_statistics(decompose(X, y), jnp.zeros(1, X.dtype))
    )
    assert np.all(np.isfinite([df1, kappa, train, gcv_out]))
    rank = min(p, n)
    np.testing.assert_allclose(df1, rank, rtol=tol(1e-12, 1e-5))
    rtol = tol(1e-7, 2e-2)
    if p < n:
        # Interpolation: E_tr = 0, κ̂ = P/Tr G⁻¹, GCV = κ̂² yᵀG⁻²y/P.
        gram = Xn @ Xn.T / p
        k_ref = p / np.trace(np.linalg.inv(gram))
        np.testing.assert_allclose(kappa, k_ref, rtol=rtol)
        assert abs(train[0]) < tol(1e-20, 1e-8)
        np.testing.assert_allclose(
            gcv_out, k_ref**2 * np.sum(np.linalg.solve(gram, yn) ** 2) / p, rtol=rtol
        )
    else:
        # OLS: κ̂ = 0, E_tr = ‖y − Xŵ‖²/P, GCV = E_tr/(1 − N/P)².
        w = np.linalg.lstsq(Xn, yn, rcond=None)[0]
        t_ref = np.mean((yn - Xn @ w) ** 2)
        assert kappa[0] == 0.0
        np.testing.assert_allclose(train, t_ref, rtol=rtol)
        np.testing.assert_allclose(gcv_out, t_ref / (1 - n / p) ** 2, rtol=rtol)
    # Continuity: λ = 0 agrees with a tiny λ (limit, not a special value), float64 only.
    if X64:
        small = np.asarray(ridge_statistics(decompose(X, y), jnp.asarray([1e-11])))
        np.testing.assert_allclose(
            small[:, 0], [df1[0], kappa[0], train[0], gcv_out[0]], rtol=1e-6, atol=1e-9
        )


@pytest.mark.parametrize(
    "ridges, name",
    [
        (jnp.array([-1.0, 1.0]), "ridges"),
        (jnp.array([jnp.nan]), "ridges"),
        (jnp.ones((2, 2)), "ridges"),
    ],
)
def test_bad_ridges(ridges, name):
    X, y = jnp.ones((3, 2)), jnp.ones(3)
    with pytest.raises(ValueError, match=name):
        ridge_path(X, y, ridges)


def test_jit_and_vmap_agree_with_eager_loop():
    sets = [_data(15, 10, seed=s) for s in range(3)]
    Xs = jnp.stack([x for x, _ in sets])
    ys = jnp.stack([y for _, y in sets])
    ridges = jnp.asarray([0.0, 1e-2, 1.0], Xs.dtype)
    batched = jax.vmap(ridge_path, (0, 0, None))(Xs, ys, ridges)
    jitted = jax.jit(ridge_path)(Xs[0], ys[0], ridges)
    for i in range(3):
        assert_allclose(
            batched[i],
            ridge_path(Xs[i], ys[i], ridges),
            rtol=tol(1e-10, 2e-3),
            atol=tol(1e-13, 1e-5),
        )
    assert_allclose(
        jitted, ridge_path(Xs[0], ys[0], ridges), rtol=tol(1e-10, 2e-3), atol=tol(1e-13, 1e-5)
    )
