"""Tests for jaxridge.empirical.sample_data (THEORY §5.8)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import spectra
from jaxridge.empirical import sample_data
from tests.helpers import DTYPE, assert_allclose, tol


def test_shapes_dtype_and_labels():
    e, w = spectra.power_law(40, alpha=1.5, r=0.5)
    X, y = sample_data(jax.random.key(0), e, w, 25, 0.0)
    assert X.shape == (25, 40) and y.shape == (25,)
    assert X.dtype == DTYPE and y.dtype == DTYPE
    # Noise-free labels are exactly X w̄ (reference: NumPy float64 matvec).
    assert_allclose(y, np.asarray(X, np.float64) @ np.asarray(w, np.float64), rtol=tol(1e-12, 1e-5))


def test_second_moments_match_population():
    # 20000 rows: the empirical variance of each column has relative std sqrt(2/20000) = 1 %,
    # so 5 % is > 4 sigma for every one of the 8 columns; the residual y − Xw̄ has variance σ².
    e = jnp.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05, 0.0], DTYPE)
    w = jnp.arange(1.0, 9.0, dtype=DTYPE)
    X, y = sample_data(jax.random.key(1), e, w, 20_000, 0.3)
    Xn = np.asarray(X, np.float64)
    var = Xn.var(axis=0)
    assert_allclose(var[:-1], np.asarray(e)[:-1], rtol=0.05)
    assert np.all(Xn[:, -1] == 0.0)
    # Off-diagonal correlations ~ 1/sqrt(20000) = 0.007: 0.04 is > 5 sigma.
    corr = np.corrcoef(Xn[:, :-1].T)
    assert np.max(np.abs(corr - np.eye(7))) < 0.04
    resid = np.asarray(y, np.float64) - Xn @ np.asarray(w, np.float64)
    assert abs(resid.var() / 0.3 - 1.0) < 0.05


def test_rows_are_nested():
    e, w = spectra.isotropic(30)
    X1, y1 = sample_data(jax.random.key(3), e, w, 10, 0.1)
    X2, y2 = sample_data(jax.random.key(3), e, w, 50, 0.1)
    np.testing.assert_array_equal(np.asarray(X1), np.asarray(X2[:10]))
    np.testing.assert_array_equal(np.asarray(y1), np.asarray(y2[:10]))


def test_rotated_covariance():
    # With eigvecs V the covariates are Z diag(√e) Vᵀ, the labels unchanged, y = X (V w̄).
    e, w = spectra.power_law(12, alpha=1.0, r=0.5)
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((12, 12)))
    V = jnp.asarray(q, DTYPE)
    X0, y0 = sample_data(jax.random.key(4), e, w, 9, 0.0)
    X, y = sample_data(jax.random.key(4), e, w, 9, 0.0, eigvecs=V)
    assert_allclose(X, np.asarray(X0, np.float64) @ q.T, rtol=tol(1e-12, 1e-4), atol=tol(0, 1e-6))
    assert_allclose(y, y0)
    assert_allclose(
        y,
        np.asarray(X, np.float64) @ (q @ np.asarray(w, np.float64)),
        rtol=tol(1e-10, 1e-4),
        atol=tol(0, 1e-5),
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(num_samples=0), "num_samples"),
        (dict(num_samples=2.5), "num_samples"),
        (dict(noise_var=-1.0), "noise_var"),
        (dict(eigvals=jnp.array([1.0, jnp.nan, 1.0])), "eigvals"),
        (dict(eigvals=jnp.array([1.0, -1.0, 1.0])), "eigvals"),
        (dict(target_weights=jnp.ones(4)), "target_weights"),
        (dict(eigvecs=jnp.eye(4)), "eigvecs"),
        (dict(key=jnp.zeros(3)), "key"),
    ],
)
def test_bad_input(kwargs, name):
    args = dict(
        key=jax.random.key(0),
        eigvals=jnp.ones(3),
        target_weights=jnp.ones(3),
        num_samples=5,
        noise_var=0.0,
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        sample_data(**args)
