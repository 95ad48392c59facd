"""Tests for jaxridge.spectra.from_data against NumPy least squares and a known population."""

import numpy as np
import pytest

from jaxridge import spectra
from tests.helpers import DTYPE, X64, assert_allclose, tol


def _problem(n, d, seed, noise=0.3):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    e = np.arange(1, d + 1.0) ** -1.5
    w_eig = np.arange(1, d + 1.0) ** -0.8 * rng.choice([-1.0, 1.0], d)
    sigma_half = q @ np.diag(np.sqrt(e)) @ q.T
    X = rng.standard_normal((n, d)) @ sigma_half
    y = X @ (q @ w_eig) + noise * rng.standard_normal(n) + 2.0  # + an intercept
    return X, y, e, w_eig, q


def test_matches_numpy_least_squares():
    X, y, _, _, _ = _problem(400, 12, 0)
    e, w, s2 = spectra.from_data(X.astype(DTYPE), y.astype(DTYPE), return_noise=True)
    Xc, yc = X - X.mean(0), y - y.mean()
    cov = Xc.T @ Xc / 400
    ref_e, ref_v = np.linalg.eigh(cov)
    assert_allclose(e, ref_e[::-1], rtol=tol(1e-10, 1e-4))
    coef, rss, _, _ = np.linalg.lstsq(Xc, yc, rcond=None)
    # w̄ = Vᵀ·(OLS solution), up to the sign of each eigenvector.
    v = ref_v[:, ::-1]
    assert_allclose(np.abs(np.asarray(w)), np.abs(v.T @ coef), rtol=tol(1e-8, 2e-3))
    assert_allclose(s2, rss[0] / (400 - 12 - 1), rtol=tol(1e-8, 1e-3))
    _, _, s2_pop = spectra.from_data(X, y, population=True, return_noise=True)
    assert_allclose(s2_pop, rss[0] / 400, rtol=tol(1e-8, 1e-3))


def _eigvecs(X):
    Xc = X - X.mean(0)
    _, v = np.linalg.eigh(Xc.T @ Xc / X.shape[0])
    return v[:, ::-1]


def test_ridge_target():
    X, y, _, _, _ = _problem(300, 10, 1)
    lam = 0.05
    e, w = spectra.from_data(X, y, ridge=lam, center=False)
    ref = np.linalg.solve(X.T @ X / 300 + lam * np.eye(10), X.T @ y / 300)
    assert_allclose(
        np.abs(np.asarray(w)), np.abs(_eigvecs_uncentered(X).T @ ref), rtol=tol(1e-8, 2e-3)
    )


def _eigvecs_uncentered(X):
    _, v = np.linalg.eigh(X.T @ X / X.shape[0])
    return v[:, ::-1]


def test_recovers_known_population():
    # n = 10⁵ samples: eigenvalues carry relative error ~√(2/n) ≈ 0.45 %, the noise variance
    # the same, and each target weight an absolute error σ/√(n e_k) ≤ 0.3·√(d^1.5/n) ≈ 0.03
    # for the smallest mode; tolerances are ~4 of those standard deviations.
    n, d = 100_000, 16
    X, y, e_true, w_true, q = _problem(n, d, 2)
    e, w, s2 = spectra.from_data(X, y, return_noise=True)
    assert_allclose(e, e_true, rtol=4 * np.sqrt(2 / n))
    v = _eigvecs(X)
    np.testing.assert_allclose(
        np.abs(np.asarray(w, np.float64)),
        np.abs(v.T @ q @ w_true),
        atol=4 * 0.3 / np.sqrt(n * e_true.min()),
    )
    assert_allclose(s2, 0.09, rtol=4 * np.sqrt(2 / n) + (0 if X64 else 1e-3))
    # Signal per mode e_k w̄_k² (basis-sign free), relative to the total signal.
    signal = np.asarray(e) * np.asarray(w) ** 2
    assert_allclose(
        signal / signal.sum(), e_true * w_true**2 / np.sum(e_true * w_true**2), atol=0.01
    )


def test_rank_deficient_pseudo_inverse():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 3)) @ rng.standard_normal((3, 8))  # rank 3 in 8 dims
    y = X @ rng.standard_normal(8)
    e, w = spectra.from_data(X, y)
    assert np.all(np.isfinite(np.asarray(w)))
    assert np.sum(np.asarray(e) > 1e-6 * float(e[0])) == 3
    assert np.all(np.asarray(w)[3:] == 0.0)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.ones(5), np.ones(5), "X"),
        (np.ones((5, 2)), np.ones(4), "y"),
        (np.full((5, 2), np.nan), np.ones(5), "X"),
        (np.ones((5, 2)), np.full(5, np.inf), "y"),
    ],
)
def test_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        spectra.from_data(X, y)


def test_bad_ridge():
    with pytest.raises(ValueError, match="ridge"):
        spectra.from_data(np.ones((5, 2)), np.ones(5), ridge=-1.0)
