"""Correlated samples (THEORY §9): the check table of §9.6, K = I against ridge_risk, the λ = 0
branches, gradients, convergence flags, and an independent NumPy Monte Carlo.

References: the values of THEORY §9.6 (derived and checked against a NumPy Monte Carlo there,
given to 10 digits for a1–a3, d1 and to 6 for b1–b3), ``theory.ridge_risk`` for K = I, and a
NumPy simulation of X = K^{1/2} Z Σ^{1/2} written here from §9.1.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.linalg import toeplitz
from scipy.optimize import brentq

from jaxridge import spectra, theory
from tests.helpers import DTYPE, X64, tol

SHARED = ("kappa", "df1", "df2", "gamma", "bias", "var_x", "var_noise", "test", "test_out", "train")


def ar1(p, rho):
    """Eigenvalues of the finite AR(1) correlation K_ij = ρ^|i−j| (P × P)."""
    return np.linalg.eigvalsh(toeplitz(rho ** np.arange(p)))


def power_law_k(p, chi):
    return np.linalg.eigvalsh(toeplitz((1.0 + np.arange(p)) ** -chi))


def nearest_neighbour(p, b):
    column = np.zeros(p)
    column[0], column[1] = 1.0, b / 2.0
    return np.linalg.eigvalsh(toeplitz(column))


def _risk(e, w, k, p, lam, s2, **kw):
    as_dtype = lambda x: jnp.asarray(x, DTYPE)  # noqa: E731
    return theory.correlated_ridge_risk(
        as_dtype(e), as_dtype(w), as_dtype(k), as_dtype(p), as_dtype(lam), as_dtype(s2), **kw
    )


# Σ = I cases use the isotropic target with ‖w̄‖ = 1; b-cases the power law α = 1.5, r = 0.4.
TABLE = [
    # name, (N, P, λ, σ², K spectrum, noise), {field: value}
    (
        "a1",
        (400, 800, 0.1, 0.25, ("ar1", 0.9), "correlated"),
        dict(
            kappa=0.6505493856,
            kappa_samples=0.5074324631,
            df1=242.3435515,
            test=0.3494614429,
            train=0.04289702574,
        ),
    ),
    ("a2", (400, 800, 0.1, 0.25, ("ar1", 0.9), "iid"), dict(test=0.4352412785, train=0.1701576244)),
    (
        "a3",
        (800, 400, 0.05, 0.25, ("ar1", 0.9), "correlated"),
        dict(kappa=1.655851809, kappa_samples=0.04009796944, df1=301.2216259, test=0.6558525888),
    ),
    (
        "d1",
        (400, 800, 0.1, 0.25, ("iid", None), "correlated"),
        dict(kappa=0.1741657387, test=0.1767837257),
    ),
    ("e1", (400, 200, 0.0, 0.25, ("ar1", 0.9), "correlated"), dict(test=0.75)),
]
TABLE_B = [
    ("b1", ("ar1", 0.9), dict(test=0.0211857, train=0.0103562)),
    ("b2", ("power", 1.5), dict(test=0.0123116)),
    ("b3", ("nn", 0.5), dict(test=0.0118054)),
]


def _k_spectrum(kind, p):
    name, value = kind
    if name == "ar1":
        return ar1(p, value)
    if name == "power":
        return power_law_k(p, value)
    if name == "nn":
        return nearest_neighbour(p, value)
    return np.ones(p)


def _digits(value):
    """Relative tolerance of a value quoted to its printed significant digits (half an ulp)."""
    text = f"{value:.10g}".lstrip("0.").replace(".", "").rstrip("0")
    return 0.5 * 10.0 ** (1 - max(len(text), 1))


@pytest.mark.parametrize("name, case, want", TABLE, ids=[t[0] for t in TABLE])
def test_theory_table_isotropic(name, case, want):
    n, p, lam, s2, kind, noise = case
    e, w = spectra.isotropic(n, dtype=DTYPE)
    risk = _risk(e, w, _k_spectrum(kind, p), p, lam, s2, noise=noise)
    for field, value in want.items():
        # float64: the table's 10 digits (≤ 1e-9 relative); float32: rounding of the sums.
        rtol = max(_digits(value), 1e-9) if X64 else 2e-4
        np.testing.assert_allclose(float(getattr(risk, field)), value, rtol=rtol, err_msg=field)


@pytest.mark.parametrize("name, kind, want", TABLE_B, ids=[t[0] for t in TABLE_B])
def test_theory_table_power_law(name, kind, want):
    e, w = spectra.power_law(1000, 1.5, 0.4, dtype=DTYPE)
    risk = _risk(e, w, _k_spectrum(kind, 500), 500, 1e-3, 0.05)
    for field, value in want.items():
        rtol = _digits(value) if X64 else 2e-4
        np.testing.assert_allclose(float(getattr(risk, field)), value, rtol=rtol, err_msg=field)


@pytest.mark.parametrize(
    "rank, p, lam, s2",
    [
        (300, 200, 0.05, 0.3),
        (100, 250, 1e-3, 0.1),
        (150, 150, 0.2, 0.0),
        (300, 120, 0.0, 0.2),
        (80, 200, 0.0, 0.2),
    ],
)
@pytest.mark.parametrize("noise", ["correlated", "iid"])
def test_identity_k_is_ridge_risk(rank, p, lam, s2, noise):
    # K = I: both noise models are i.i.d. noise, and the result is §2's, to rounding. One
    # shape for every case (N = 300 with zero eigenvalues past the rank; K = I given as 64
    # ones, a normalised spectrum), so the program compiles once.
    e, w = spectra.power_law(300, 1.3, 0.6, dtype=DTYPE)
    e = jnp.where(jnp.arange(300) < rank, e, 0.0)
    risk = _risk(e, w, np.ones(64), p, lam, s2, noise=noise)
    ref = theory.ridge_risk(e, w, jnp.asarray(p, DTYPE), jnp.asarray(lam, DTYPE), s2)
    for field in SHARED:
        np.testing.assert_allclose(
            getattr(risk, field),
            getattr(ref, field),
            rtol=tol(1e-11, 2e-4),
            atol=tol(0, 1e-6),
            err_msg=field,
        )
    if lam > 0:  # κ̃ = (P − n)/n
        np.testing.assert_allclose(
            risk.kappa_samples, (p - ref.df1) / ref.df1, rtol=tol(1e-11, 2e-4)
        )


def test_normalised_spectrum_weighs_each_eigenvalue_p_over_m():
    # M = 3P eigenvalues, each repeated three times, are the same K spectrum (weight P/M).
    e, w = spectra.power_law(200, 1.5, 0.4, dtype=DTYPE)
    k = ar1(150, 0.8)
    exact = _risk(e, w, k, 150, 0.01, 0.1)
    tripled = _risk(e, w, np.repeat(k, 3), 150, 0.01, 0.1)
    for field in (*SHARED, "kappa_samples"):
        np.testing.assert_allclose(
            getattr(tripled, field), getattr(exact, field), rtol=tol(1e-11, 2e-4), err_msg=field
        )


@pytest.mark.parametrize("lam", [0.0, 1e-2])
def test_zero_padded_spectra_vmap_over_a_learning_curve(lam):
    # Zero entries are padding: each P's exact K spectrum, zero-padded to the largest P, under
    # one vmap equals the unpadded call (both ridgeless branches at λ = 0: P < and > rank Σ).
    n, sizes = 120, [40, 90, 200]
    e, w = spectra.power_law(n, 1.5, 0.4, dtype=DTYPE)
    padded = np.zeros((len(sizes), max(sizes)))
    for i, p in enumerate(sizes):
        padded[i, -p:] = ar1(p, 0.8)  # padding first: position does not matter
    batch = jax.vmap(lambda k, p: theory.correlated_ridge_risk(e, w, k, p, lam, 0.1, throw=False))(
        jnp.asarray(padded, DTYPE), jnp.asarray(sizes, DTYPE)
    )
    assert np.all(batch.converged)
    for i, p in enumerate(sizes):
        exact = _risk(e, w, ar1(p, 0.8), p, lam, 0.1)
        for field in (*SHARED, "kappa_samples"):
            np.testing.assert_allclose(
                getattr(batch, field)[i],
                getattr(exact, field),
                rtol=tol(1e-11, 2e-4),
                err_msg=f"{field} P={p}",
            )


@pytest.mark.parametrize("n, p", [(400, 200), (100, 250)])
@pytest.mark.parametrize("noise", ["correlated", "iid"])
def test_ridgeless_is_the_small_ridge_limit(n, p, noise):
    # Both sides of the interpolation threshold: λ = 0 is the limit λ → 0⁺.
    e, w = spectra.power_law(n, 1.2, 0.5, dtype=DTYPE)
    k = ar1(p, 0.7)
    zero = _risk(e, w, k, p, 0.0, 0.2, noise=noise)
    small = _risk(e, w, k, p, 1e-9, 0.2, noise=noise)
    vanishing = "kappa_samples" if n > p else "kappa"  # the renormalised ridge that is O(λ)
    for field in (*SHARED, "kappa_samples"):
        if field == vanishing:
            continue
        np.testing.assert_allclose(
            getattr(zero, field),
            getattr(small, field),
            rtol=tol(1e-5, 2e-2),
            atol=tol(1e-8, 1e-4),
            err_msg=field,
        )
    assert float(getattr(zero, vanishing)) == 0.0
    assert 0.0 < float(getattr(small, vanishing)) < 1e-6
    if n > p:
        assert float(zero.train) == 0.0
    else:
        assert float(zero.bias) == 0.0


def test_interpolation_threshold_is_infinite_not_nan():
    e, w = spectra.isotropic(100, dtype=DTYPE)
    risk = _risk(e, w, ar1(100, 0.5), 100, 0.0, 0.1)
    assert np.isinf(float(risk.test)) and float(risk.train) == 0.0
    noiseless = _risk(e, w, ar1(100, 0.5), 100, 0.0, 0.0)
    assert not np.any(np.isnan([float(getattr(noiseless, f)) for f in SHARED]))


def test_grid_reports_convergence_per_point():
    e, w = spectra.power_law(300, 1.5, 0.4, dtype=DTYPE)
    k = jnp.asarray(ar1(200, 0.9), DTYPE)
    lams = jnp.asarray(np.concatenate([[0.0], np.geomspace(1e-6, 10.0, 15)]), DTYPE)

    def one(lam):
        return theory.correlated_ridge_risk(e, w, k, 200.0, lam, 0.1, throw=False)

    out = jax.jit(jax.vmap(one))(lams)
    assert out.converged.shape == lams.shape and bool(jnp.all(out.converged))
    assert int(jnp.max(out.num_steps)) <= 30
    with pytest.raises(RuntimeError, match="correlated_ridge_risk"):
        theory.correlated_ridge_risk(e, w, k, 200.0, 0.1, 0.1, max_steps=1)
    capped = theory.correlated_ridge_risk(e, w, k, 200.0, 0.1, 0.1, max_steps=1, throw=False)
    assert not bool(capped.converged)


def _gradient_problem():
    e, w = spectra.power_law(60, 1.3, 0.5)
    k = jnp.asarray(ar1(40, 0.6))

    def f(log_p, log_lam, log_s2, scale_e, scale_k, noise):
        risk = theory.correlated_ridge_risk(
            e * scale_e,
            w,
            k * scale_k,
            jnp.exp(log_p),
            jnp.exp(log_lam),
            jnp.exp(log_s2),
            noise=noise,
        )
        return jnp.stack([risk.test, risk.train, risk.kappa, risk.kappa_samples])

    return f


def _check(fn, args):
    check_grads(jax.jit(fn), args, order=1, modes=("fwd", "rev"), eps=1e-5, atol=1e-7, rtol=1e-6)


ARGS = (np.log(40.0), np.log(0.05), np.log(0.2), 1.0, 1.0)


def test_gradients(x64):
    # Implicit derivatives in every float argument (P, λ, σ² in log coordinates; the spectra
    # through a scale) against central differences.
    f = _gradient_problem()
    _check(lambda *a: f(*a, "correlated"), ARGS)


@pytest.mark.slow
def test_gradients_iid_noise_and_ridgeless(x64):
    f = _gradient_problem()
    _check(lambda *a: f(*a, "iid"), ARGS)
    # Ridgeless, rank Σ > P (κ̃ = 0): derivatives in P and the spectra.
    _check(
        lambda lp, se, sk: f(lp, -jnp.inf, np.log(0.2), se, sk, "correlated")[:3],
        ARGS[:1] + ARGS[3:],
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(sample_eigvals=np.zeros(3)), "sample_eigvals"),
        (dict(sample_eigvals=np.array([1.0, -1.0])), "sample_eigvals"),
        (dict(sample_eigvals=np.ones((2, 2))), "sample_eigvals"),
        (dict(sample_eigvals=np.array([1.0, np.nan])), "sample_eigvals"),
        (dict(noise="ar1"), "noise"),
        (dict(ridge=-1.0), "ridge"),
        (dict(num_samples=0.0), "num_samples"),
        (dict(eigvals=np.zeros(5)), "eigvals"),
        (dict(target_weights=np.ones(4)), "target_weights"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    args = dict(
        eigvals=np.ones(5),
        target_weights=np.ones(5),
        sample_eigvals=np.ones(3),
        num_samples=3.0,
        ridge=0.1,
        noise_var=0.1,
    )
    args.update(kwargs)
    noise = args.pop("noise", "correlated")
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        theory.correlated_ridge_risk(**args, noise=noise)


def _numpy_monte_carlo(n, p, lam, s2, rho, noise, seeds, rng):
    """E_g and E_tr of ridge on X = K^{1/2} Z (Σ = I, ‖w̄‖ = 1), float64 NumPy."""
    vals, vecs = np.linalg.eigh(toeplitz(rho ** np.arange(p)))
    root = (vecs * np.sqrt(vals)) @ vecs.T
    wbar = np.ones(n) / np.sqrt(n)
    eg, etr = [], []
    for _ in range(seeds):
        x = root @ rng.standard_normal((p, n))
        xi = rng.standard_normal(p)
        eps = np.sqrt(s2) * (root @ xi if noise == "correlated" else xi)
        y = x @ wbar + eps
        what = np.linalg.solve(x.T @ x / p + lam * np.eye(n), x.T @ y / p)
        eg.append(np.sum((what - wbar) ** 2))
        etr.append(np.mean((y - x @ what) ** 2))
    return np.array(eg), np.array(etr)


@pytest.mark.parametrize("noise", ["correlated", "iid"])
def test_matches_numpy_monte_carlo(noise):
    # N = 150, P = 300, AR(1) ρ = 0.8, 30 seeds: each mean within 3 standard errors plus a 2 %
    # allowance for the finite-N bias of the deterministic equivalent (O(1/N)).
    n, p, lam, s2, rho = 150, 300, 0.05, 0.25, 0.8
    eg, etr = _numpy_monte_carlo(n, p, lam, s2, rho, noise, 30, np.random.default_rng(7))
    e, w = spectra.isotropic(n, dtype=DTYPE)
    risk = _risk(e, w, ar1(p, rho), p, lam, s2, noise=noise)
    for values, field in ((eg, "test"), (etr, "train")):
        mean, se = values.mean(), values.std(ddof=1) / np.sqrt(len(values))
        predicted = float(getattr(risk, field))
        assert abs(mean - predicted) <= 3 * se + 0.02 * predicted, (field, mean, se, predicted)


# ---------------------------------------------------------------------------------------------
# Sample-correlation spectra and their S-transforms (THEORY §9.4).
# ---------------------------------------------------------------------------------------------


def _nn_column(p, b):
    column = np.zeros(p)
    column[0], column[1] = 1.0, b / 2.0
    return column


@pytest.mark.parametrize(
    "fn, value, column",
    [
        (spectra.ar1_correlation, 0.7, lambda p: 0.7 ** np.arange(p)),
        (spectra.nearest_neighbour_correlation, -0.6, lambda p: _nn_column(p, -0.6)),
        (spectra.power_law_correlation, 0.8, lambda p: (1.0 + np.arange(p)) ** -0.8),
    ],
)
def test_finite_correlation_spectra_are_toeplitz_eigenvalues(fn, value, column):
    got = fn(120, value, dtype=DTYPE)
    assert got.shape == (120,) and got.dtype == DTYPE
    np.testing.assert_allclose(
        got, np.linalg.eigvalsh(toeplitz(column(120))), rtol=tol(1e-12, 1e-5), atol=tol(1e-13, 1e-6)
    )


def test_infinite_spectra_are_their_symbols():
    m = 64
    theta = (np.arange(m) + 0.5) * np.pi / m
    rho, b = 0.6, 0.4
    np.testing.assert_allclose(
        spectra.ar1_correlation(m, rho, infinite=True, dtype=DTYPE),
        (1 - rho**2) / (1 - 2 * rho * np.cos(theta) + rho**2),
        rtol=tol(1e-13, 1e-6),
    )
    np.testing.assert_allclose(
        spectra.nearest_neighbour_correlation(m, b, infinite=True, dtype=DTYPE),
        1 + b * np.cos(theta),
        rtol=tol(1e-14, 1e-6),
    )
    # The power law against its series summed directly (NumPy, 2^22 terms) at a few θ.
    got = np.asarray(spectra.power_law_correlation(m, 2.0, infinite=True, dtype=DTYPE))
    lags = np.arange(1, 2**22, dtype=np.float64)
    for j in (0, 7, 63):
        want = 1.0 + 2.0 * np.sum((1.0 + lags) ** -2.0 * np.cos(lags * theta[j]))
        np.testing.assert_allclose(got[j], want, rtol=tol(1e-11, 1e-5))
    # A stationary correlation has K_ii = 1: its (smooth, periodic) symbol averages to 1.
    ar1_symbol = spectra.ar1_correlation(m, rho, infinite=True, dtype=DTYPE)
    assert abs(float(jnp.mean(ar1_symbol)) - 1.0) < tol(1e-13, 1e-6)


def _s_from_spectrum(k, df):
    """S(df) = (1 − df)/(df κ(df)) with (1/M) Σ k/(k + κ) = df, by Brent's method (SciPy)."""
    k = np.asarray(k, np.float64)

    def g(log_kappa):
        return np.mean(k / (k + np.exp(log_kappa))) - df

    kappa = np.exp(brentq(g, -60.0, 60.0, xtol=1e-14))
    return (1.0 - df) / (df * kappa)


@pytest.mark.parametrize("df", [0.05, 0.3, 0.7, 0.95])
def test_s_transforms_match_the_spectra(df):
    rho, b = 0.9, 0.5
    ar1_closed = float(spectra.ar1_s_transform(df, rho))
    nn_closed = float(spectra.nearest_neighbour_s_transform(df, b))
    # The P → ∞ symbol spectrum (M = 4000 midpoints): quadrature error only.
    ar1_symbol = _s_from_spectrum(spectra.ar1_correlation(4000, rho, infinite=True), df)
    nn_symbol = _s_from_spectrum(spectra.nearest_neighbour_correlation(4000, b, infinite=True), df)
    np.testing.assert_allclose(ar1_closed, ar1_symbol, rtol=tol(1e-9, 1e-4))
    np.testing.assert_allclose(nn_closed, nn_symbol, rtol=tol(1e-9, 1e-4))
    # A large finite Toeplitz K (P = 1000): the same up to O(1/P) boundary effects.
    ar1_finite = _s_from_spectrum(ar1(1000, rho), df)
    nn_finite = _s_from_spectrum(np.linalg.eigvalsh(toeplitz(_nn_column(1000, b))), df)
    np.testing.assert_allclose(ar1_closed, ar1_finite, rtol=2e-2)
    np.testing.assert_allclose(nn_closed, nn_finite, rtol=2e-2)


def test_kappa_samples_is_the_s_transform_relation():
    # κ̃ = (1 − df)/(df S_K(df)), df = n/P, with K the P → ∞ AR(1) limit given as its symbol
    # (M = 3000 ≠ P = 500: a normalised spectrum).
    e, w = spectra.power_law(800, 1.4, 0.5, dtype=DTYPE)
    k = spectra.ar1_correlation(3000, 0.8, infinite=True, dtype=DTYPE)
    risk = theory.correlated_ridge_risk(e, w, k, 500.0, 0.02, 0.1)
    df = float(risk.df1) / 500.0
    want = (1.0 - df) / (df * float(spectra.ar1_s_transform(df, 0.8)))
    # The symbol quadrature (M = 3000) limits the agreement: ~1e-7 relative.
    np.testing.assert_allclose(float(risk.kappa_samples), want, rtol=tol(1e-6, 1e-3))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: spectra.ar1_correlation(10, 1.0), "rho"),
        (lambda: spectra.ar1_correlation(10, -0.1), "rho"),
        (lambda: spectra.ar1_correlation(0, 0.5), "num_samples"),
        (lambda: spectra.nearest_neighbour_correlation(10, 1.0), "b"),
        (lambda: spectra.power_law_correlation(10, 0.0), "chi"),
        (lambda: spectra.power_law_correlation(10, 1.0, infinite=True), "chi"),
        (lambda: spectra.ar1_s_transform(0.0, 0.5), "df"),
        (lambda: spectra.ar1_s_transform(0.5, 1.0), "rho"),
        (lambda: spectra.nearest_neighbour_s_transform(1.5, 0.5), "df"),
        (lambda: spectra.nearest_neighbour_s_transform(0.5, -1.0), "b"),
    ],
)
def test_correlation_spectra_bad_input(call, name):
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        call()


@pytest.mark.parametrize(
    "kind, value, column",
    [
        ("ar1", 0.7, lambda m: 0.7**m),
        ("nearest_neighbour", -0.6, lambda m: np.where(m == 0, 1.0, np.where(m == 1, -0.3, 0))),
        ("power_law", 1.5, lambda m: (1.0 + m) ** -1.5),
    ],
)
def test_correlation_matrix_is_the_toeplitz_of_its_spectrum(kind, value, column):
    # Reference: scipy's Toeplitz matrix of the written column; its eigenvalues are those of
    # the matching *_correlation function.
    k = spectra.correlation_matrix(kind, 60, value, dtype=DTYPE)
    want = toeplitz(column(np.arange(60.0)))
    np.testing.assert_allclose(k, want, rtol=tol(1e-14, 1e-6), atol=1e-15)
    finite = {
        "ar1": spectra.ar1_correlation,
        "nearest_neighbour": spectra.nearest_neighbour_correlation,
        "power_law": spectra.power_law_correlation,
    }
    np.testing.assert_allclose(
        np.linalg.eigvalsh(want), finite[kind](60, value, dtype=DTYPE), rtol=tol(1e-12, 1e-5)
    )


def test_leading_eigvals_are_the_blocks_spectra_zero_padded():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((70, 70))
    matrix = a @ a.T / 70 + np.eye(70)
    sizes = [70, 3, 40, 17, 40]
    rows = spectra.leading_eigvals(jnp.asarray(matrix, DTYPE), sizes)
    assert rows.shape == (5, 70)
    for row, p in zip(np.asarray(rows), sizes, strict=True):
        assert np.all(row[: 70 - p] == 0.0)
        np.testing.assert_allclose(
            row[70 - p :], np.linalg.eigvalsh(matrix[:p, :p]), rtol=tol(1e-12, 1e-5)
        )


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: spectra.correlation_matrix("ar2", 5, 0.5), "kind"),
        (lambda: spectra.correlation_matrix("ar1", 5, 1.0), "rho"),
        (lambda: spectra.correlation_matrix("nearest_neighbour", 5, 1.5), "b"),
        (lambda: spectra.correlation_matrix("power_law", 5, 0.0), "chi"),
        (lambda: spectra.correlation_matrix("ar1", 0, 0.5), "num_samples"),
        (lambda: spectra.leading_eigvals(np.eye(4), [5]), "sizes"),
        (lambda: spectra.leading_eigvals(np.ones((3, 4)), [2]), "matrix"),
    ],
)
def test_correlation_matrix_bad_input(call, name):
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        call()


# ---------------------------------------------------------------- correlated test point (§9.5)


def _test_point_monte_carlo(n, p, rho, lam, s2, tau, noise, seeds, rng):
    """Rao–Blackwellised NumPy Monte Carlo of E_out(τ) and E_g(τ) (Σ = I, ‖w̄‖ = 1): given a
    training set, the test point of an AR(1) series at lag τ after the window is Gaussian with
    mean kᵀK⁻¹X and covariance (1 − kᵀK⁻¹k)Σ (its noise likewise), so the error averaged over
    the test point is exact per draw; the draws are averaged."""
    joint = toeplitz(rho ** np.arange(p + tau + 1.0))
    k_matrix, cross = joint[:p, :p], joint[:p, -1]
    root = np.linalg.cholesky(k_matrix)
    a = np.linalg.solve(k_matrix, cross)
    keep = 1.0 - cross @ a
    wbar = np.ones(n) / np.sqrt(n)
    out, label_free = [], []
    for _ in range(seeds):
        x = root @ rng.standard_normal((p, n))
        xi = rng.standard_normal(p)
        eps = np.sqrt(s2) * (root @ xi if noise == "correlated" else xi)
        y = x @ wbar + eps
        what = np.linalg.solve(x.T @ x / p + lam * np.eye(n), x.T @ y / p)
        eg = np.sum((what - wbar) ** 2)
        miss = x @ (wbar - what)
        shift = a @ (miss + eps) if noise == "correlated" else a @ miss
        out.append(keep * eg + s2 * (keep if noise == "correlated" else 1.0) + shift**2)
        label_free.append(keep * eg + (a @ miss) ** 2)
    return k_matrix, cross, np.array(out), np.array(label_free)


@pytest.mark.parametrize("tau", [0, 5, 30])
@pytest.mark.parametrize("noise", ["correlated", "iid"])
def test_correlated_test_point_matches_numpy_monte_carlo(noise, tau, x64):
    n, p, rho, lam, s2, seeds = 150, 300, 0.8, 0.05, 0.25, 40
    rng = np.random.default_rng(7 + tau)
    k_matrix, cross, out, label_free = _test_point_monte_carlo(
        n, p, rho, lam, s2, tau, noise, seeds, rng
    )
    e, w = spectra.isotropic(n)
    risk = theory.correlated_ridge_risk(
        e, w, np.linalg.eigvalsh(k_matrix), float(p), lam, s2, noise=noise
    )
    point = theory.correlated_test_point(
        k_matrix, cross, risk.kappa_samples, risk.test, s2, noise=noise
    )
    # 3 standard errors plus 3 % for the finite-size bias of the deterministic equivalent.
    for got, draws in ((point.test_out, out), (point.test, label_free)):
        se = draws.std(ddof=1) / np.sqrt(seeds)
        assert abs(draws.mean() - float(got)) <= 3 * se + 0.03 * float(got), (
            noise,
            tau,
            draws.mean(),
            se,
            float(got),
        )
    # ρ_c = 1 − kᵀK⁻¹k ≤ c ≤ 1, and c is 1 − kᵀK⁻¹k + κ̃² kᵀK⁻¹(K + κ̃)⁻²k (the K⁻¹ form).
    kt = float(risk.kappa_samples)
    inv_k = np.linalg.solve(k_matrix, cross)
    shifted = np.linalg.solve(
        k_matrix + kt * np.eye(p), np.linalg.solve(k_matrix + kt * np.eye(p), cross)
    )
    want = 1.0 - cross @ inv_k + kt**2 * inv_k @ shifted
    np.testing.assert_allclose(point.factor, want, rtol=1e-10)
    assert 1.0 - cross @ inv_k <= float(point.factor) <= 1.0


@pytest.mark.parametrize("noise", ["correlated", "iid"])
def test_uncorrelated_test_point_is_the_independent_one(noise):
    # k = 0: c = 1 and the errors are those of an independent test point.
    k_matrix = toeplitz(0.7 ** np.arange(40.0))
    point = theory.correlated_test_point(
        jnp.asarray(k_matrix, DTYPE), jnp.zeros(40, DTYPE), 0.3, 0.2, 0.1, noise=noise
    )
    np.testing.assert_allclose(point.factor, 1.0, rtol=tol(1e-15, 1e-6))
    np.testing.assert_allclose(point.test, 0.2, rtol=tol(1e-15, 1e-6))
    np.testing.assert_allclose(point.test_out, 0.3, rtol=tol(1e-15, 1e-6))


def test_correlated_test_point_gradients(x64):
    k_matrix = toeplitz(0.6 ** np.arange(12.0))
    cross = 0.6 ** np.arange(12.0, 0.0, -1.0)
    for noise in ("correlated", "iid"):
        check_grads(
            lambda k, c, kt, t, s2, noise=noise: (
                theory.correlated_test_point(k, c, kt, t, s2, noise=noise).test_out
            ),
            (k_matrix, cross, 0.3, 0.2, 0.1),
            order=1,
            modes=["rev", "fwd"],
        )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(sample_cov=np.ones((3, 4))), "sample_cov"),
        (dict(cross_cov=np.ones(4)), "cross_cov"),
        (dict(cross_cov=np.array([2.0, 0.0, 0.0])), "cross_cov"),  # kᵀK⁻¹k > 1
        (dict(kappa_samples=-1.0), "kappa_samples"),
        (dict(test=np.nan), "test"),
        (dict(noise_var=-0.1), "noise_var"),
        (dict(noise="ar1"), "noise"),
    ],
)
def test_correlated_test_point_bad_input(kwargs, name):
    args = dict(
        sample_cov=np.eye(3), cross_cov=np.zeros(3), kappa_samples=0.1, test=0.2, noise_var=0.1
    )
    args.update(kwargs)
    noise = args.pop("noise", "correlated")
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        theory.correlated_test_point(**args, noise=noise)
