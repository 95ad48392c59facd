"""Correlated training samples in Monte Carlo (THEORY §9.1, §9.5): ``sample_data`` with a
sample covariance, ``corrgcv``, and agreement with ``theory.correlated_ridge_risk``.

References: theory.correlated_ridge_risk (itself checked against THEORY §9.6 and an
independent NumPy Monte Carlo in tests/theory/test_correlated.py); plain draws for K = I; the
sample covariance of many draws for K itself; plain GCV (``ridge_statistics``) for K = I.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import toeplitz

from jaxridge import empirical, spectra, theory
from tests.helpers import DTYPE, X64, tol

N, P, RHO, NOISE = 200, 400, 0.8, 0.25
RIDGES = np.array([0.01, 0.05, 0.3])
SEEDS = 30


def _k_matrix(p=P, rho=RHO):
    return toeplitz(rho ** np.arange(p))


@pytest.fixture(scope="module", params=["correlated", "iid"])
def simulation(request):
    """30 draws of N = 200, P = 400, AR(1) ρ = 0.8: E_g, and CorrGCV and GCV over E_out."""
    noise = request.param
    e, w = spectra.isotropic(N, dtype=DTYPE)
    k_matrix = jnp.asarray(_k_matrix(), DTYPE)
    k = np.linalg.eigvalsh(_k_matrix())
    ridges = jnp.asarray(RIDGES, DTYPE)
    test, corr, plain = [], [], []
    for s in range(SEEDS):
        X, y = empirical.sample_data(
            jax.random.key(s), e, w, P, NOISE, sample_cov=k_matrix, noise=noise
        )
        d = empirical.decompose(X, y)
        df1, _, train, gcv_out = empirical.ridge_statistics(d, ridges)
        eg = jnp.sum((empirical.ridge_weights(d, ridges) - w[None, :]) ** 2, axis=1)
        test.append(eg)
        corr.append(empirical.corrgcv(train, df1, jnp.asarray(k, DTYPE)) / (eg + NOISE))
        plain.append(gcv_out / (eg + NOISE))
    theory_test = [
        float(
            theory.correlated_ridge_risk(
                e, w, jnp.asarray(k, DTYPE), P, lam, NOISE, noise=noise
            ).test
        )
        for lam in RIDGES
    ]
    return (
        noise,
        np.array(test, np.float64),
        np.array(corr, np.float64),
        np.array(plain),
        theory_test,
    )


def _mean_se(values):
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])


def test_monte_carlo_matches_theory(simulation):
    # Within 3 standard errors plus 2 % for the O(1/N) finite-size bias of the theory.
    _, test, _, _, theory_test = simulation
    mean, se = _mean_se(test)
    for j, want in enumerate(theory_test):
        assert abs(mean[j] - want) <= 3 * se[j] + 0.02 * want, (RIDGES[j], mean[j], se[j], want)


def test_corrgcv_is_unbiased_only_with_correlated_noise(simulation):
    noise, _, corr, plain, _ = simulation
    mean, se = _mean_se(corr)
    if noise == "correlated":
        assert np.all(np.abs(mean - 1.0) <= 3 * se + 0.03), (mean, se)
    else:  # biased upwards (THEORY §9.5: 3.4x at its check a2; about 2x here)
        assert np.all(mean > 1.5), mean
    # Plain GCV underestimates E_out under correlation, with either noise.
    assert np.all(plain.mean(axis=0) < 0.7), plain.mean(axis=0)


def test_identity_sample_cov_is_the_plain_draw():
    e, w = spectra.power_law(30, 1.5, 0.4, dtype=DTYPE)
    key = jax.random.key(3)
    plain = empirical.sample_data(key, e, w, 12, 0.1)
    for noise in ("correlated", "iid"):
        x, y = empirical.sample_data(key, e, w, 12, 0.1, sample_cov=jnp.eye(12), noise=noise)
        np.testing.assert_allclose(x, plain[0], rtol=tol(1e-14, 1e-6))
        np.testing.assert_allclose(y, plain[1], rtol=tol(1e-13, 1e-5), atol=tol(1e-14, 1e-6))


def test_callable_root_equals_the_matrix():
    e, w = spectra.power_law(20, 1.5, 0.4, dtype=DTYPE)
    k = jnp.asarray(_k_matrix(15, 0.6), DTYPE)
    root = jnp.linalg.cholesky(k)
    key = jax.random.key(1)
    by_matrix = empirical.sample_data(key, e, w, 15, 0.2, sample_cov=k)
    by_callable = empirical.sample_data(key, e, w, 15, 0.2, sample_cov=lambda b: root @ b)
    np.testing.assert_allclose(by_callable[0], by_matrix[0], rtol=tol(1e-12, 1e-5), atol=1e-6)
    np.testing.assert_allclose(by_callable[1], by_matrix[1], rtol=tol(1e-12, 1e-5), atol=1e-6)


@pytest.mark.parametrize("noise", ["correlated", "iid"])
def test_rows_and_noise_have_the_sample_covariance(noise):
    # Σ = I with N = 4000 features: XXᵀ/N estimates K entrywise with standard error ~ 1/√N·√2.
    # The noise (y − Xw̄ = σ·(K^{1/2}ξ or ξ)) over 400 seeds estimates σ²K or σ²I.
    p, n = 6, 4000
    e, w = spectra.isotropic(n, dtype=DTYPE)
    k = _k_matrix(p, 0.7)
    x, _ = empirical.sample_data(jax.random.key(0), e, w, p, 0.0, sample_cov=jnp.asarray(k, DTYPE))
    np.testing.assert_allclose(np.asarray(x) @ np.asarray(x).T / n, k, atol=5 * np.sqrt(2 / n))
    e, w = spectra.isotropic(3, dtype=DTYPE)
    draws = []
    for s in range(400):
        x, y = empirical.sample_data(
            jax.random.key(s), e, w, p, 4.0, sample_cov=jnp.asarray(k, DTYPE), noise=noise
        )
        draws.append(np.asarray(y) - np.asarray(x) @ np.asarray(w))
    cov = np.cov(np.array(draws).T)
    want = 4.0 * (k if noise == "correlated" else np.eye(p))
    np.testing.assert_allclose(cov, want, atol=5 * 4.0 * np.sqrt(2 / 400))


def test_corrgcv_with_identity_is_plain_gcv():
    e, w = spectra.power_law(40, 1.5, 0.4, dtype=DTYPE)
    X, y = empirical.sample_data(jax.random.key(2), e, w, 30, 0.1)
    ridges = jnp.asarray([1e-3, 0.1, 1.0], DTYPE)
    df1, _, train, gcv_out = empirical.ridge_statistics(empirical.decompose(X, y), ridges)
    got = empirical.corrgcv(train, df1, jnp.ones(30, DTYPE))
    np.testing.assert_allclose(got, gcv_out, rtol=tol(1e-10, 1e-4))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(sample_cov=np.ones((5, 5))), "sample_cov"),  # singular
        (dict(sample_cov=np.eye(4)), "sample_cov"),  # wrong size
        (dict(sample_cov=np.triu(np.ones((5, 5)))), "sample_cov"),  # not symmetric
        (dict(sample_cov=lambda b: b[:-1]), "sample_cov"),
        (dict(sample_cov=np.eye(5), noise="ar1"), "noise"),
    ],
)
def test_sample_data_bad_input(kwargs, name):
    e, w = spectra.isotropic(3, dtype=DTYPE)
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        empirical.sample_data(jax.random.key(0), e, w, 5, 0.1, **kwargs)


@pytest.mark.parametrize(
    "args, name",
    [
        ((np.ones(2), np.array([1.0, 5.0]), np.ones(5)), "df1"),  # df = P: interpolation
        ((np.ones(2), np.array([1.0, 0.0]), np.ones(5)), "df1"),
        ((np.ones(2), np.ones(3), np.ones(5)), "df1"),
        ((np.array([1.0, -1.0]), np.ones(2), np.ones(5)), "train"),
        ((np.ones(2), np.ones(2), np.array([1.0, 0.0, 1.0])), "sample_eigvals"),
    ],
)
def test_corrgcv_bad_input(args, name):
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        empirical.corrgcv(*args)


# ---------------------------------------------------------------- the learning-curve engine

CURVE_RIDGES = np.array([0.0, 1e-3, 0.1])


def _direct(key, e, w, p, noise_var, k_matrix, noise, ridges):
    """One cell by hand: sample_data with the leading block of K, then every ridge."""
    X, y = empirical.sample_data(key, e, w, p, noise_var, sample_cov=k_matrix, noise=noise)
    d = empirical.decompose(X, y)
    df1, kappa, train, gcv_out = empirical.ridge_statistics(d, ridges)
    test = jnp.sum(e[None, :] * (empirical.ridge_weights(d, ridges) - w[None, :]) ** 2, axis=1)
    k = jnp.asarray(np.linalg.eigvalsh(np.asarray(k_matrix, np.float64)), DTYPE)
    defined = np.asarray(df1) < p * (1 - 1e-9)
    corr = np.full(ridges.shape, np.nan)
    if defined.any():
        corr[defined] = empirical.corrgcv(train[defined], df1[defined], k) - noise_var
    return dict(kappa=kappa, df1=df1, test=test, train=train, gcv=gcv_out - noise_var), corr


# Tens of seconds on 2 cores (compilation): with the slow checks, which CI runs.
@pytest.mark.slow
@pytest.mark.parametrize("noise, independent", [("correlated", False), ("iid", True)])
def test_learning_curve_cells_are_sample_data_fits(noise, independent):
    # Cell (i, s) is sample_data(seed key, …, P_i, sample_cov=K[:P_i, :P_i]) fitted directly
    # (nested: the leading block of K's Cholesky factor is the factor of the leading block);
    # independent cells use fold_in(seed key, i). P = N = 40 at λ = 0 is left out: there
    # rounding is amplified by cond(X)² (see learning_curve).
    n, grid, seeds, noise_var = 40, [13, 40, 57, 70], 2, 0.1
    e, w = spectra.power_law(n, 1.5, 0.4, dtype=DTYPE)
    k_full = jnp.asarray(_k_matrix(70, 0.8), DTYPE)
    ridges = jnp.asarray(CURVE_RIDGES, DTYPE)
    key = jax.random.key(5)
    curve = empirical.learning_curve(
        key,
        e,
        w,
        grid,
        ridges,
        noise_var,
        seeds,
        sample_cov=k_full,
        noise=noise,
        independent=independent,
    )
    assert curve.corrgcv.shape == (len(grid), seeds, len(CURVE_RIDGES))
    for i, p in enumerate(grid):
        for s in range(seeds):
            cell_key = jax.random.fold_in(key, s)
            if independent:
                cell_key = jax.random.fold_in(cell_key, i)
            want, corr = _direct(cell_key, e, w, p, noise_var, k_full[:p, :p], noise, ridges)
            cols = slice(1, None) if p == n else slice(None)
            for field, value in want.items():
                np.testing.assert_allclose(
                    getattr(curve, field)[i, s, cols],
                    value[cols],
                    rtol=tol(1e-10, 2e-3),
                    atol=tol(1e-13, 1e-5),
                    err_msg=f"{field} P={p}",
                )
            np.testing.assert_array_equal(np.isnan(curve.corrgcv[i, s]), np.isnan(corr))
            np.testing.assert_allclose(
                curve.corrgcv[i, s, cols], corr[cols], rtol=tol(1e-10, 2e-3), err_msg=f"P={p}"
            )


def test_corrgcv_field_is_nan_only_for_interpolating_fits():
    # λ = 0: P <= N interpolates (df̂ = P, CorrGCV is 0/0); P > N is ordinary least squares.
    e, w = spectra.isotropic(30, dtype=DTYPE)
    k_full = jnp.asarray(_k_matrix(60, 0.5), DTYPE)
    curve = empirical.learning_curve(
        jax.random.key(0),
        e,
        w,
        [20, 60],
        jnp.asarray([0.0, 0.01], DTYPE),
        0.2,
        2,
        sample_cov=k_full,
    )
    assert np.all(np.isnan(curve.corrgcv[0, :, 0]))
    assert np.all(np.isfinite(curve.corrgcv[0, :, 1]))
    assert np.all(np.isfinite(curve.corrgcv[1]))


def test_identity_sample_cov_gives_plain_gcv_and_no_sample_cov_no_field():
    e, w = spectra.power_law(30, 1.5, 0.4, dtype=DTYPE)
    ridges = jnp.asarray([1e-3, 0.1], DTYPE)
    plain = empirical.learning_curve(jax.random.key(1), e, w, [10, 45], ridges, 0.1, 2)
    assert plain.corrgcv is None
    ident = empirical.learning_curve(
        jax.random.key(1), e, w, [10, 45], ridges, 0.1, 2, sample_cov=jnp.eye(45, dtype=DTYPE)
    )
    np.testing.assert_allclose(ident.test, plain.test, rtol=tol(1e-11, 1e-4))
    np.testing.assert_allclose(ident.corrgcv, plain.gcv, rtol=tol(1e-10, 1e-3))


# Tens of seconds on 2 cores (compilation): with the slow checks, which CI runs.
@pytest.mark.slow
def test_width_curve_and_ridge_risk_with_sample_cov():
    # Width N of width_curve is ridge_risk on the first N features with the same K.
    e, w = spectra.power_law(50, 1.5, 0.4, dtype=DTYPE)
    k = jnp.asarray(_k_matrix(35, 0.7), DTYPE)
    ridges = jnp.asarray([1e-3, 0.1], DTYPE)
    key = jax.random.key(2)
    curve = empirical.width_curve(
        key, e, w, [20, 50], 35, ridges, 0.1, 2, sample_cov=k, noise="iid"
    )
    for i, n in enumerate([20, 50]):
        one = empirical.ridge_risk(key, e[:n], w[:n], 35, ridges, 0.1, 2, sample_cov=k, noise="iid")
        for field in ("test", "train", "gcv", "corrgcv"):
            np.testing.assert_allclose(
                getattr(curve, field)[i],
                getattr(one, field),
                rtol=tol(1e-10, 2e-3),
                err_msg=field,
            )


def test_learning_curve_callable_root_equals_the_matrix():
    e, w = spectra.power_law(25, 1.5, 0.4, dtype=DTYPE)
    k = jnp.asarray(_k_matrix(30, 0.6), DTYPE)
    root = jnp.linalg.cholesky(k)
    ridges = jnp.asarray([1e-2], DTYPE)
    args = (jax.random.key(4), e, w, [12, 30], ridges, 0.1, 2)
    by_matrix = empirical.learning_curve(*args, sample_cov=k)
    by_callable = empirical.learning_curve(*args, sample_cov=lambda b: root @ b)
    for field in ("test", "train", "corrgcv"):
        np.testing.assert_allclose(
            getattr(by_callable, field), getattr(by_matrix, field), rtol=tol(1e-10, 1e-3)
        )


def test_new_sample_cov_and_grid_reuse_the_compiled_program():
    import equinox as eqx

    from jaxridge.empirical import _engine

    e, w = spectra.isotropic(20, dtype=DTYPE)
    ridges = jnp.asarray([1e-2], DTYPE)
    run = lambda rho, grid: empirical.learning_curve(  # noqa: E731
        jax.random.key(0),
        e,
        w,
        grid,
        ridges,
        0.1,
        2,
        sample_cov=jnp.asarray(_k_matrix(40, rho), DTYPE),
    )
    run(0.5, [10, 40])
    before = eqx.debug.get_num_traces(_engine.run_grid)
    run(0.9, [25, 40])
    assert eqx.debug.get_num_traces(_engine.run_grid) == before


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(sample_cov=np.eye(30)), "sample_cov"),  # not (max P, max P)
        (dict(sample_cov=np.ones((40, 40))), "sample_cov"),  # singular
        (dict(sample_cov=lambda b: b[:-1]), "sample_cov"),
        (dict(sample_cov=np.eye(40), noise="ar1"), "noise"),
    ],
)
def test_learning_curve_bad_sample_cov(kwargs, name):
    e, w = spectra.isotropic(10, dtype=DTYPE)
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        empirical.learning_curve(
            jax.random.key(0), e, w, [10, 40], jnp.asarray([0.1], DTYPE), 0.1, 2, **kwargs
        )


def test_dtype():
    assert DTYPE == (jnp.float64 if X64 else jnp.float32)


def _k_of(kind, p):
    name, value = kind
    lags = np.arange(p, dtype=np.float64)
    if name == "ar1":
        column = value**lags
    elif name == "power":
        column = (1.0 + lags) ** -value
    else:  # nearest neighbour
        column = np.zeros(p)
        column[0], column[1] = 1.0, value / 2.0
    return toeplitz(column)


# THEORY §9.6: (N, P, λ, σ², K, spectrum) with its Monte-Carlo rows; 40 seeds as there.
TABLE_MC = {
    "a1": (400, 800, 0.1, 0.25, ("ar1", 0.9), "isotropic"),
    "a3": (800, 400, 0.05, 0.25, ("ar1", 0.9), "isotropic"),
    "b1": (1000, 500, 1e-3, 0.05, ("ar1", 0.9), "power"),
    "b2": (1000, 500, 1e-3, 0.05, ("power", 1.5), "power"),
    "b3": (1000, 500, 1e-3, 0.05, ("nn", 0.5), "power"),
    "e1": (400, 200, 0.0, 0.25, ("ar1", 0.9), "isotropic"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(TABLE_MC))
def test_table_cases_monte_carlo_within_three_standard_errors(case, x64):
    n, p, lam, s2, kind, spectrum = TABLE_MC[case]
    if spectrum == "isotropic":
        e, w = spectra.isotropic(n)
    else:
        e, w = spectra.power_law(n, 1.5, 0.4)
    k_matrix = _k_of(kind, p)
    k = np.linalg.eigvalsh(k_matrix)
    ridges = jnp.asarray([lam])
    risk = empirical.ridge_risk(jax.random.key(100), e, w, p, ridges, s2, 40, sample_cov=k_matrix)
    tests = np.asarray(risk.test[:, 0])
    mean, se = np.mean(tests), np.std(tests, ddof=1) / np.sqrt(len(tests))
    want = float(theory.correlated_ridge_risk(e, w, k, p, lam, s2).test)
    # 3 standard errors, plus 1 % for the finite-size bias of the deterministic equivalent.
    assert abs(mean - want) <= 3 * se + 0.01 * want, (case, mean, se, want)
