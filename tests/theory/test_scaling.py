"""Tests for jaxridge.theory.scaling: exponent tables, crossovers and autodiff local slopes.

References: the tables of THEORY §4.3–4.4 (values written out by hand below, from the formulas
in the text, never from the code under test), NumPy closed forms, and local slopes of the
deterministic-equivalent solver far in the asymptotic window.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import spectra, theory
from jaxridge.theory import scaling
from jaxridge.theory.scaling import exponents, local_slope
from tests.helpers import DTYPE, assert_allclose, tol

# --------------------------------------------------------------------------------------------
# Table rows, THEORY §4.3 (linear ridge).
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alpha, r, expected",
    [(1.5, 0.4, 1.2), (1.5, 1.5, 3.0), (2.0, 0.3, 1.2), (2.5, 1.0, 5.0)],  # V11 + 2αmin(r,1)
)
def test_linear_data_limited(alpha, r, expected):
    for ell in (None, alpha, 2 * alpha):  # ℓ ≥ α is effectively ridgeless
        out = exponents(alpha, r, ridge_exponent=ell)
        assert out.regime == "data-limited"
        assert math.isclose(out.exponent, expected, rel_tol=1e-12)


@pytest.mark.parametrize(
    "alpha, r, ell, expected",
    [(1.5, 0.4, 0.5, 0.4), (1.5, 1.5, 0.5, 1.0), (2.0, 0.3, 1.0, 0.6), (1.5, 0.4, 0.0, 0.0)],
)  # V12: 2ℓ·min(r, 1)
def test_linear_ridge_limited(alpha, r, ell, expected):
    out = exponents(alpha, r, ridge_exponent=ell)
    assert out.regime == "ridge-limited"
    assert math.isclose(out.exponent, expected, rel_tol=1e-12, abs_tol=1e-15)


def test_linear_noisy_ridgeless_is_noise_dominated():
    # V10b: E_g → σ²(α − 1) + decaying bias, so ν = 0.
    for alpha, r in [(1.5, 0.4), (2.0, 1.3)]:
        for ell in (None, alpha, 3.0 * alpha):
            out = exponents(alpha, r, noise=True, ridge_exponent=ell)
            assert out.regime == "noise-dominated"
            assert out.exponent == 0.0


@pytest.mark.parametrize(
    "alpha, r, ell, expected, regime",
    [
        (1.5, 0.4, 0.5, 0.4, "ridge-limited"),  # min(0.4, 1 − 1/3)
        (1.5, 0.4, 1.2, 0.2, "noise-dominated"),  # min(0.96, 0.2)
        (2.0, 0.8, 0.5, 0.75, "noise-dominated"),  # min(0.8, 0.75)
        (2.0, 1.7, 0.2, 0.4, "ridge-limited"),  # min(0.4, 0.9), r saturates at 1
    ],
)
def test_linear_noisy_with_ridge(alpha, r, ell, expected, regime):
    out = exponents(alpha, r, noise=True, ridge_exponent=ell)
    assert out.regime == regime
    assert math.isclose(out.exponent, expected, rel_tol=1e-12)


@pytest.mark.parametrize("alpha, r", [(1.5, 0.4), (2.0, 0.3), (3.0, 0.6), (1.2, 2.0)])
def test_linear_optimally_tuned(alpha, r):
    # V13 (α=1.5, r=0.4 → 0.5455) and the Cui et al. line ℓ* = α/(1 + 2α r′).
    rp = min(r, 1.0)
    out = exponents(alpha, r, noise=True, ridge_exponent="optimal")
    assert out.regime == "optimally tuned"
    assert math.isclose(out.exponent, 2 * alpha * rp / (1 + 2 * alpha * rp), rel_tol=1e-12)
    assert math.isclose(out.ridge_exponent, alpha / (1 + 2 * alpha * rp), rel_tol=1e-12)
    assert math.isclose(
        float(scaling.noise_crossover_ridge_exponent(alpha, r)), out.ridge_exponent, rel_tol=1e-6
    )
    # The same ℓ given explicitly is the balance of the two terms.
    assert exponents(alpha, r, noise=True, ridge_exponent=out.ridge_exponent).regime == (
        "optimally tuned"
    )
    if (alpha, r) == (1.5, 0.4):
        assert abs(out.exponent - 0.5455) < 1e-4


def test_noiseless_optimal_is_ridgeless():
    out = exponents(1.5, 0.4, ridge_exponent="optimal")
    assert out.regime == "data-limited" and out.ridge_exponent == 1.5
    assert math.isclose(out.exponent, 1.2, rel_tol=1e-12)


# --------------------------------------------------------------------------------------------
# Table rows, THEORY §4.4 (linear random features).
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha, r, n_exponent", [(1.5, 0.4, 1.2), (1.5, 1.2, 1.5)])
def test_rf_width_limited(alpha, r, n_exponent):
    # V16: E_g ∝ N^{−2α min(r,½)}; with N = P^q, ν = q·(that).
    for q in (0.3, 0.7):
        out = exponents(alpha, r, width_exponent=q, model="random_features")
        assert out.regime == "width-limited"
        assert math.isclose(out.exponent / q, n_exponent, rel_tol=1e-12)


def test_rf_feature_variance_isotropic():
    # V17, α = 1.5, r ≥ ½, ridgeless: Var_F ∝ P^{1−α}/N → ν₂ = (α − 1) + q.
    alpha, r = 1.5, 1.2
    for q in (1.2, 2.0):
        out = exponents(alpha, r, width_exponent=q, model="random_features")
        expected = min(2 * alpha * 1.0, (alpha - 1) + q)
        assert math.isclose(out.exponent, expected, rel_tol=1e-12)
    out = exponents(alpha, r, width_exponent=1.2, model="random_features")
    assert out.regime == "feature-variance-limited"
    assert math.isclose(out.terms["feature-variance-limited"] - 1.2, 0.5, rel_tol=1e-12)
    # With a ridge ℓ < α (THEORY §7.8 guide P^{−ℓ+ℓ/α}/N): ν₂ = ℓ(1 − 1/α) + q.
    alpha, r, ell, q = 2.0, 1.5, 1.5, 1.1
    out = exponents(alpha, r, ridge_exponent=ell, width_exponent=q, model="random_features")
    assert math.isclose(out.terms["feature-variance-limited"], ell - ell / alpha + q)
    # r < ½, isotropic: Var_F ∝ P^{1−2αr}/N.
    out = exponents(1.5, 0.4, width_exponent=1.1, model="random_features")
    assert math.isclose(out.terms["feature-variance-limited"], 2 * 1.5 * 0.4 - 1 + 1.1)
    # ...which never beats the bias 2αr at q ≥ 1 (ties at q = 1).
    assert out.regime == "data-limited" and math.isclose(out.exponent, 1.2, rel_tol=1e-12)


@pytest.mark.parametrize(
    "feature_alpha, c", [(0.0, 1.0), (0.25, 1.0), (0.6, 2 / 3), (0.75, 1 / 3), (1.5, 0.0)]
)
def test_width_correction_exponent(feature_alpha, c):
    assert math.isclose(scaling.width_correction_exponent(feature_alpha), c, rel_tol=1e-12)


def test_rf_phase_diagram_rows():
    # THEORY §7.12: α = 1.2, r = 1.1, c = 0.3 (α_F = 1/1.3); ν = min of the four terms.
    alpha, r, c = 1.2, 1.1, 0.3
    fa = 1 / (1 + c)
    for ell in (0.3, 0.9, 1.5):
        for q in (0.5, 1.0, 2.5):
            for noise in (False, True):
                terms = [2 * min(alpha, ell) * 1.0]
                if q <= 1:
                    terms.append(2 * alpha * q * 0.5)
                # Feature variance at every q (THEORY §4.4 item 3, corrected).
                terms.append((alpha - c) * min(1, ell / alpha) + q * c)
                if noise:
                    terms.append(1 - min(1, ell / alpha, q))
                out = exponents(
                    alpha,
                    r,
                    noise=noise,
                    ridge_exponent=ell,
                    width_exponent=q,
                    feature_alpha=fa,
                    model="random_features",
                )
                assert math.isclose(out.exponent, min(terms), rel_tol=1e-9, abs_tol=1e-12)


def test_rf_infinite_width_is_linear():
    for ell in (None, 0.5):
        for noise in (False, True):
            a = exponents(1.5, 0.7, noise=noise, ridge_exponent=ell, model="random_features")
            b = exponents(1.5, 0.7, noise=noise, ridge_exponent=ell)
            assert (a.exponent, a.regime) == (b.exponent, b.regime)


def _nu_brute(alpha, r, noise, ell, q, c):
    r1, rh = min(r, 1.0), min(r, 0.5)
    terms = [2 * min(alpha, ell) * r1]
    if math.isfinite(q):
        if q <= 1:
            terms.append(2 * alpha * q * rh)
        if q >= 1:
            terms.append(min(1, ell / alpha) * (2 * alpha * rh - c) + q * c)
    if noise:
        terms.append(1 - min(1, ell / alpha, q))
    return min(terms)


@pytest.mark.parametrize(
    "alpha, r, noise, q, fa",
    [
        (1.5, 0.4, True, math.inf, None),
        (2.0, 1.2, True, 1.5, None),
        (1.7, 0.8, True, 0.6, None),
        (1.2, 1.1, True, 2.0, 1 / 1.3),
        (3.0, 0.6, False, 1.3, None),
    ],
)
def test_optimal_ridge_exponent_against_grid(alpha, r, noise, q, fa):
    model = "linear" if math.isinf(q) else "random_features"
    wq = None if math.isinf(q) else q
    c = 1.0 if fa is None else scaling.width_correction_exponent(fa)
    grid = np.linspace(0.0, 2 * alpha, 40001)
    nus = np.array([_nu_brute(alpha, r, noise, g, q, c) for g in grid])
    ell = scaling.optimal_ridge_exponent(
        alpha, r, noise=noise, width_exponent=wq, feature_alpha=fa, model=model
    )
    got = exponents(
        alpha,
        r,
        noise=noise,
        ridge_exponent="optimal",
        width_exponent=wq,
        feature_alpha=fa,
        model=model,
    )
    assert got.exponent >= nus.max() - 1e-9  # the exact optimum beats every grid point
    assert got.exponent <= nus.max() + 2 * alpha / 40000  # and the grid gets within a step
    assert ell <= grid[np.argmax(nus >= nus.max() - 1e-9)] + 1e-3  # the smallest optimal ℓ


def test_crossover_samples():
    n = 1000.0
    # r > 1: P_f = N^{1/(1+α)}; ½ < r ≤ 1: N^{1/(1+α(2r−1))}; r ≤ ½: N.
    assert_allclose(scaling.crossover_samples(n, 1.5, 1.2), n ** (1 / 2.5), rtol=tol(1e-12, 1e-5))
    assert_allclose(
        scaling.crossover_samples(n, 2.0, 0.8), n ** (1 / (1 + 2.0 * 0.6)), rtol=tol(1e-12, 1e-5)
    )
    assert_allclose(scaling.crossover_samples(n, 2.0, 0.3), n, rtol=tol(1e-12, 1e-5))
    assert np.isinf(scaling.crossover_samples(n, 2.0, 0.8, feature_alpha=1.5))
    # Resolution: P_λ = (C_α/λ)^{1/α}, with C_2 = π²/4.
    assert_allclose(
        scaling.ridge_crossover_samples(1e-4, 2.0),
        (np.pi**2 / 4 / 1e-4) ** 0.5,
        rtol=tol(1e-12, 1e-5),
    )
    assert_allclose(scaling.resolution_constant(1.5), 3.7609, rtol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(alpha=1.0, r=0.4),
        dict(alpha=float("nan"), r=0.4),
        dict(alpha=1.5, r=0.0),
        dict(alpha=1.5, r=0.4, ridge_exponent=-0.1),
        dict(alpha=1.5, r=0.4, ridge_exponent="best"),
        dict(alpha=1.5, r=0.4, model="kernel"),
        dict(alpha=1.5, r=0.4, width_exponent=1.0),  # linear has no width
        dict(alpha=1.5, r=0.4, width_exponent=0.0, model="random_features"),
        dict(alpha=1.5, r=0.4, feature_alpha=-1.0, model="random_features"),
    ],
)
def test_exponents_bad_input(kwargs):
    with pytest.raises(ValueError, match="argument `"):
        exponents(**kwargs)


# --------------------------------------------------------------------------------------------
# local_slope.
# --------------------------------------------------------------------------------------------


def test_local_slope_power_and_vmap():
    x = jnp.asarray([0.5, 2.0, 30.0], DTYPE)
    got = local_slope(lambda t: 3.0 * t**-1.7 + 0.0 * t, x)
    assert got.dtype == DTYPE
    assert_allclose(got, np.full(3, -1.7), rtol=tol(1e-12, 1e-5))
    # vmap and jit of the scalar form equal the array form.
    one = jax.jit(lambda t: local_slope(lambda s: jnp.exp(-s) * s**2, t))
    assert_allclose(jax.vmap(one)(x), local_slope(lambda s: jnp.exp(-s) * s**2, x))
    assert_allclose(one(x[1]), 2.0 - 2.0, atol=tol(1e-12, 1e-5))  # d log(s²e^{−s})/d log s = 2 − s


def _iso_eg(q, lam, w, s2):
    # THEORY §2.8, written in NumPy: κ = ½[(q+λ−1) + √((1−q−λ)² + 4λ)].
    kappa = 0.5 * ((q + lam - 1) + np.sqrt((1 - q - lam) ** 2 + 4 * lam))
    return (kappa**2 * w + s2 * q) / ((1 + kappa) ** 2 - q)


@jax.jit
def _iso_slope(p, lam, e, w):
    return local_slope(lambda t: theory.ridge_risk(e, w, t, lam, 0.3).test, p)


@pytest.mark.parametrize("p, lam", [(300.0, 0.1), (700.0, 1e-2), (2500.0, 1e-3)])
def test_local_slope_of_solver_isotropic(p, lam):
    n, s2 = 1000, 0.3
    e, w = spectra.isotropic(n, 1.0, dtype=DTYPE)
    got = _iso_slope(jnp.asarray(p, DTYPE), jnp.asarray(lam, DTYPE), e, w)
    # Central difference in log P of the float64 closed form, step h: error O(h²) ≈ 1e-8.
    h = 1e-4
    ref = (
        np.log(_iso_eg(n / (p * np.exp(h)), lam, 1.0, s2))
        - np.log(_iso_eg(n / (p * np.exp(-h)), lam, 1.0, s2))
    ) / (2 * h)
    assert_allclose(got, ref, rtol=tol(1e-6, 2e-3))


# --------------------------------------------------------------------------------------------
# Table vs the solver: local slopes far in the asymptotic window (float64 only).
# --------------------------------------------------------------------------------------------


@jax.jit
def _solver_slope(eigvals, target_weights, num_samples, ell, noise_var):
    """d log E_g / d log P along λ = P^−ℓ (ℓ = inf: ridgeless), through the implicit solver."""
    ridgeless = jnp.isinf(ell)
    safe_ell = jnp.where(ridgeless, 1.0, ell)

    def curve(p):
        lam = jnp.where(ridgeless, 0.0, p ** (-safe_ell))
        return theory.ridge_risk(eigvals, target_weights, p, lam, noise_var).test

    return local_slope(curve, num_samples)


# (α, r, ℓ, σ², N, P, atol). Why these tolerances (THEORY §4.2, §5.7): the local slope differs
# from −ν by (i) the ½ Euler–Maclaurin shift of n₁ and the sub-leading power of the competing
# term, both decaying like a power of P, and (ii) the truncation at N, which grows like
# (C_α P/N)^{α−1}. Each case sits where both are small; the tolerance is ~2× the deviation
# implied by the size of the sub-leading term at that P (measured slopes, e.g. THEORY quotes
# 0.5462 vs 0.5455 for V13 and −0.87 vs −0.8 for ℓ = 1 at P ≈ 10³).
SLOPE_CASES = [
    (2.5, 0.7, None, 0.0, 10**6, 1e3, 0.01),  # data-limited, fast convergence (α large)
    (1.5, 0.4, None, 0.0, 10**6, 1e3, 0.02),  # V11, data-limited
    (1.5, 0.4, 0.5, 0.0, 10**6, 1e4, 0.01),  # V12, ridge-limited
    (1.5, 0.4, None, 1.0, 10**6, 3e2, 0.02),  # V10b, noise-dominated: ν = 0
    (1.5, 0.4, 1.5 / 2.2, 1.0, 10**6, 1e4, 0.005),  # V13, optimally tuned
]
SLOW_SLOPE_CASES = [
    (2.0, 0.3, None, 0.0, 10**6, 3e3, 0.015),  # data-limited
    (1.5, 1.5, None, 0.0, 10**6, 1e3, 0.05),  # data-limited, r > 1 (ν = 3)
    (1.5, 1.5, 0.5, 0.0, 10**6, 1e3, 0.04),  # V12, ridge-limited, r saturated (overshoots)
    (2.0, 0.3, 1.0, 0.0, 10**6, 1e4, 0.02),  # ridge-limited, slow (THEORY §5.7)
    (2.0, 0.8, 0.5, 1.0, 10**6, 1e4, 0.01),  # noisy + ridge, noise term wins
    (1.5, 0.4, 1.2, 1.0, 10**6, 1e4, 0.05),  # noisy + ridge, noise term wins (slow: 0.96 vs 0.2)
    (2.0, 0.3, 2.0 / 2.2, 1.0, 10**6, 1e4, 0.005),  # optimally tuned
    (3.0, 0.6, 3.0 / 4.6, 1.0, 10**6, 1e4, 0.03),  # optimally tuned, slow
]


def _check_slope_case(alpha, r, ell, noise_var, n, p, atol):
    table = exponents(alpha, r, noise=noise_var > 0, ridge_exponent=ell)
    e, w = spectra.power_law(n, alpha, r, dtype=jnp.float64)
    ell_arr = jnp.inf if ell is None else ell
    slope = float(_solver_slope(e, w, jnp.float64(p), ell_arr, noise_var))
    assert abs(slope + table.exponent) < atol, (slope, -table.exponent, table.regime)
    # Approaching the asymptote: a decade earlier the slope is no closer (skipped for ν = 0,
    # where the bias fraction decays instead, and for r > 1, whose slope overshoots first).
    if table.exponent > 0 and r <= 1:
        earlier = float(_solver_slope(e, w, jnp.float64(p / 10), ell_arr, noise_var))
        assert abs(earlier + table.exponent) >= abs(slope + table.exponent) - 1e-3


@pytest.mark.parametrize("case", SLOPE_CASES)
def test_table_matches_solver_slope(x64, case):
    _check_slope_case(*case)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_SLOPE_CASES)
def test_table_matches_solver_slope_more(x64, case):
    _check_slope_case(*case)


# Random features (THEORY §4.4) against the random-feature solver: local slopes of the exact
# theory along the ray N = P^q, λ = P^−ℓ (v = 1/N, so F Fᵀ ≈ I and λ is the ridge the data see at
# every width; the default v = 1/D would shift ℓ by q), one case inside every region of the
# (ℓ, q) plane. The slope is −d log E_g/d log P by forward-mode autodiff through the implicit
# solvers, with N, λ and v all functions of P.
#
# Window and tolerances. The spectrum is truncated at D = 10⁶, and each case is read at the P
# where both pre-asymptotic corrections are small: (i) the competing term, smaller by
# P^−(gap) with gap the distance from ν to the next-smallest term, and (ii) the truncation,
# which biases the mode count by (K/D)^{α−1}, K ≈ max(P, λ^−1/α) the number of resolved modes:
# P ≤ 10⁴ for the data-limited case (P/D ≤ 10⁻²), up to 10⁶ where only λ^−1/α ≪ D modes
# matter. atol is about twice the deviation measured there (it shrinks towards 0 along the ray:
# e.g. 1.086 → 1.053 → 1.032 → 1.020 for the first case at P = 10³…10⁶), and at most a third of
# the gap, so that no neighbouring regime's exponent could pass.
# (α, r, ℓ, q, σ², P, atol, regime)
RF_RAY_CASES = [
    # q < 1, the ridge sets κ₂ (ℓ/α = 0.4 < q): feature variance (α−1)ℓ/α + q = 1.0, not the
    # width term 1.2 (THEORY §4.4 item 3's example; measured 1.020 at P = 10⁶).
    (2.0, 1.1, 0.8, 0.6, 0.0, 1e6, 0.03, "feature-variance-limited"),
    # Same with ℓ = 1.6: the width binds, 2αq·min(r,½) = 1.2 (feature variance 1.4).
    (2.0, 1.1, 1.6, 0.6, 0.0, 1e5, 0.012, "width-limited"),
    (3.0, 0.8, 1.5, 0.5, 0.0, 1e5, 0.005, "width-limited"),
    # r < ½ with 2αr < c: the feature-variance term grows as κ₂ shrinks, so it is capped at the
    # width's κ₂ ≍ N^−α, where it ties the width term 2αqr = 0.48 (uncapped it would say 0.44).
    (2.0, 0.2, 1.6, 0.6, 0.0, 1e5, 0.012, "width-limited"),
    (2.0, 0.3, 0.5, 0.8, 0.0, 1e5, 0.006, "ridge-limited"),  # 2ℓr = 0.3
    (2.0, 0.3, 4.0, 1.5, 0.0, 1e4, 0.025, "data-limited"),  # 2αr = 1.2 (ℓ ≥ α: ridgeless)
    # q > 1: feature variance (α−1)ℓ/α + q = 1.7 (bias 2.0).
    (2.0, 1.1, 1.0, 1.2, 0.0, 1e6, 0.03, "feature-variance-limited"),
    (3.0, 1.1, 4.0, 0.5, 1.0, 1e5, 0.006, "noise-dominated"),  # 1 − q = 0.5 (width 1.5)
    (3.0, 1.1, 0.6, 2.0, 1.0, 1e5, 0.01, "noise-dominated"),  # 1 − ℓ/α = 0.8 (bias 1.2)
    (2.0, 0.3, "optimal", 2.0, 1.0, 1e5, 0.003, "optimally tuned"),  # 2αr/(1 + 2αr) = 0.545
]


@jax.jit
def _rf_ray_slope(eigvals, target_weights, num_samples, ell, q, noise_var):
    def curve(p):
        n = p**q
        risk = theory.rf_risk(
            eigvals, target_weights, n, p, p**-ell, noise_var, feature_var=1.0 / n
        )
        return risk.test

    return local_slope(curve, num_samples)


@pytest.fixture(scope="module")
def _power_laws():
    cache = {}

    def get(alpha, r):
        if (alpha, r) not in cache:
            cache[alpha, r] = spectra.power_law(10**6, alpha, r, dtype=jnp.float64)
        return cache[alpha, r]

    return get


def _gap(table):
    """Distance from ν to the next-smallest term of the table."""
    others = sorted(v for v in table.terms.values() if v > table.exponent + 1e-9)
    return others[0] - table.exponent if others else math.inf


@pytest.mark.parametrize("case", RF_RAY_CASES, ids=lambda c: f"{c[-1]}-l{c[2]}-q{c[3]}")
def test_rf_table_matches_solver_slope_on_the_ray(x64, _power_laws, case):
    alpha, r, ell, q, noise_var, p, atol, regime = case
    table = exponents(
        alpha, r, noise=noise_var > 0, ridge_exponent=ell, width_exponent=q,
        model="random_features",
    )  # fmt: skip
    assert table.regime == regime
    assert atol <= _gap(table) / 3, "tolerance too loose to tell the regimes apart"
    e, w = _power_laws(alpha, r)
    slope = float(_rf_ray_slope(e, w, jnp.float64(p), table.ridge_exponent, q, noise_var))
    assert abs(slope + table.exponent) < atol, (slope, -table.exponent, table.regime)


def test_rf_q_below_one_feature_variance_example():
    # THEORY §4.4 item 3: α = 2, r = 1.1, c = 1, q = 0.6. ℓ = 0.8: the ridge sets κ₂ and the
    # feature variance (1.0) is the smallest term; ℓ = 1.6: the width binds (1.2; feature
    # variance 1.4).
    out = exponents(2.0, 1.1, ridge_exponent=0.8, width_exponent=0.6, model="random_features")
    assert (out.regime, round(out.exponent, 12)) == ("feature-variance-limited", 1.0)
    out = exponents(2.0, 1.1, ridge_exponent=1.6, width_exponent=0.6, model="random_features")
    assert (out.regime, round(out.exponent, 12)) == ("width-limited", 1.2)
    assert math.isclose(out.terms["feature-variance-limited"], 1.4, rel_tol=1e-12)
    # Anisotropic weights, c = 2/3: (α − c)ℓ/α + qc = 0.9333 below the width term 1.2.
    out = exponents(
        2.0, 1.1, ridge_exponent=0.8, width_exponent=0.6, feature_alpha=0.6,
        model="random_features",
    )  # fmt: skip
    assert out.regime == "feature-variance-limited"
    assert math.isclose(out.exponent, (2 - 2 / 3) * 0.4 + 0.6 * 2 / 3, rel_tol=1e-12)


# Anisotropic feature weights s_j = j^−α_F (a structured layer, so N = len(s) is a static size
# and the slope is a central difference in log P, step e^{±0.1}, with N = round(P^q)); v = 1/Σs
# so that F Fᵀ ≈ I. α_F = 0.25 has c = 1, α_F = 0.6 has c = 2/3, whose width correction
# converges slowly (THEORY §5.7: N/n = P^{q − ℓ/α} grows only as P^0.2 here), hence the looser
# tolerances; measured 1.025 (vs 1.0), 0.976 (vs 0.933), 1.481 (vs 1.467) and 1.203 (vs 1.2).
# (α, r, ℓ, q, α_F, P, atol, regime)
RF_ANISO_CASES = [
    (2.0, 1.1, 0.8, 0.6, 0.25, 1e5, 0.05, "feature-variance-limited"),
    (2.0, 1.1, 0.8, 0.6, 0.6, 1e5, 0.08, "feature-variance-limited"),
    (2.0, 1.1, 1.0, 1.2, 0.6, 1e4, 0.04, "feature-variance-limited"),
    (2.0, 1.1, 1.6, 0.6, 0.6, 1e5, 0.02, "width-limited"),
]


def _structured_test_error(e, w, p, ell, q, feature_alpha):
    n = int(round(p**q))
    s = jnp.arange(1, n + 1, dtype=jnp.float64) ** -feature_alpha
    v = 1.0 / float(jnp.sum(s))
    risk = theory.rf_risk(e, w, None, p, p**-ell, 0.0, feature_var=v, feature_eigvals=s)
    return float(risk.test)


@pytest.mark.slow
@pytest.mark.parametrize("case", RF_ANISO_CASES, ids=lambda c: f"{c[-1]}-aF{c[4]}-q{c[3]}")
def test_rf_table_matches_structured_solver_slope(x64, _power_laws, case):
    alpha, r, ell, q, feature_alpha, p, atol, regime = case
    table = exponents(
        alpha, r, ridge_exponent=ell, width_exponent=q, feature_alpha=feature_alpha,
        model="random_features",
    )  # fmt: skip
    assert table.regime == regime
    assert atol <= _gap(table) / 3
    e, w = _power_laws(alpha, r)
    h = 0.1
    up = _structured_test_error(e, w, p * math.exp(h), ell, q, feature_alpha)
    down = _structured_test_error(e, w, p * math.exp(-h), ell, q, feature_alpha)
    slope = (math.log(up) - math.log(down)) / (2 * h)
    assert abs(slope + table.exponent) < atol, (slope, -table.exponent, table.regime)
