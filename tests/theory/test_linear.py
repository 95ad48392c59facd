"""Linear ridge deterministic equivalents vs closed forms, SciPy and the checks of THEORY §6."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.optimize import brentq

from jaxridge import spectra, theory
from tests.helpers import DTYPE, X64, assert_allclose, tol

# ---------------------------------------------------------------------------------------------
# Independent references (NumPy / SciPy float64, written from THEORY.md, not from the package).
# ---------------------------------------------------------------------------------------------


def iso_kappa(q, lam):
    """THEORY §2.8: κ = ½[(q + λ − 1) + √((1 − q − λ)² + 4λ)]."""
    return 0.5 * ((q + lam - 1.0) + np.sqrt((1.0 - q - lam) ** 2 + 4.0 * lam))


def iso_errors(q, lam, norm2, noise):
    """THEORY §2.8 closed forms for Σ = I: (κ, γ, Bias², E_g, E_tr)."""
    k = iso_kappa(q, lam)
    gamma = q / (1.0 + k) ** 2
    bias = norm2 * k**2 / (1.0 + k) ** 2
    eg = (k**2 * norm2 + noise * q) / ((1.0 + k) ** 2 - q)
    etr = (lam / k) ** 2 * (eg + noise)
    return k, gamma, bias, eg, etr


def scipy_kappa(e, p, lam):
    """Root of G(κ) = 1 − λ/κ − n₁(κ)/P by Brent's method in log κ (float64)."""
    e = np.asarray(e, np.float64)

    def g(u):
        k = np.exp(u)
        return 1.0 - lam / k - np.sum(e / (e + k)) / p

    lo = np.log(lam) if lam > 0 else np.log(1e-300)
    hi = np.log(lam + e.sum() / p) + 1e-12
    return np.exp(brentq(g, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=500))


def numpy_risk(e, w, p, k, lam, noise):
    """THEORY §2.5–2.6 evaluated in float64 at a given κ."""
    e = np.asarray(e, np.float64)
    w = np.asarray(w, np.float64)
    n1 = np.sum(e / (e + k))
    n2 = np.sum((e / (e + k)) ** 2)
    gamma = n2 / p
    bias = k**2 * np.sum(w**2 * e / (e + k) ** 2)
    eg = (bias + noise * gamma) / (1.0 - gamma)
    etr = (1.0 - n1 / p) ** 2 * (eg + noise)
    return dict(kappa=k, df1=n1, df2=n2, gamma=gamma, bias=bias, test=eg, train=etr)


RNG = np.random.default_rng(20261122)
ISO_CASES = [
    (int(n), float(q), float(lam), float(w2), float(s2))
    for n, q, lam, w2, s2 in zip(
        RNG.integers(50, 3000, 8),
        np.exp(RNG.uniform(np.log(0.05), np.log(20.0), 8)),
        np.exp(RNG.uniform(np.log(1e-6), np.log(10.0), 8)),
        RNG.uniform(0.1, 5.0, 8),
        RNG.uniform(0.0, 1.0, 8),
        strict=True,
    )
]


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def test_v01_isotropic_kappa_and_errors():
    e, w = spectra.isotropic(1000, dtype=DTYPE)
    kappa = theory.effective_ridge(e, 500.0, 0.1)
    assert_allclose(kappa, 1.1844288770, rtol=tol(1e-9, 2e-04))
    assert_allclose(kappa, iso_kappa(2.0, 0.1), rtol=tol(1e-12, 2e-04))
    risk = theory.ridge_risk(e, w, 500.0, 0.1, 0.25)
    assert_allclose(risk.gamma, 0.4191352, rtol=tol(1e-6, 2e-04))
    assert_allclose(risk.bias, 0.2939965, rtol=tol(1e-6, 2e-04))
    assert_allclose(risk.test, 0.6865286644, rtol=tol(1e-8, 2e-04))
    assert_allclose(risk.train, 0.0066757967, rtol=tol(1e-7, 1e-03))
    assert_allclose(risk.test_out, 0.6865286644 + 0.25, rtol=tol(1e-8, 2e-04))


@pytest.mark.parametrize(("n", "q", "lam", "norm2", "noise"), ISO_CASES)
def test_s_transform_closed_forms(n, q, lam, norm2, noise):
    # S = κ/λ = S_W(df) = 1/(1 − q·df) with df = n₁/N = 1/(1 + κ) (THEORY §2.4, §2.8), and the
    # train–test gap E_out/E_tr = S² (§2.6). (The 1/(1 − q·df) form is evaluated where it does
    # not cancel: q·df ≤ ½.)
    p = n / q
    e, w = spectra.isotropic(n, norm2, dtype=DTYPE)
    risk = theory.ridge_risk(e, w, p, lam, noise)
    k = iso_kappa(q, lam)
    rtol = tol(1e-10, 2e-03)
    assert_allclose(risk.s_transform, k / lam, rtol=rtol)
    if q / (1.0 + k) <= 0.5:
        assert_allclose(risk.s_transform, 1.0 / (1.0 - q / (1.0 + k)), rtol=rtol)
    assert_allclose(risk.test_out / risk.train, risk.s_transform**2, rtol=tol(1e-9, 1e-02))


def test_s_transform_ridgeless_limits():
    e, w = spectra.isotropic(100, dtype=DTYPE)
    # Under-parameterised (rank N < P): κ = 0 and S → 1/(1 − N/P) = 4/3 at P = 400.
    assert_allclose(theory.ridge_risk(e, w, 400.0, 0.0).s_transform, 4.0 / 3.0)
    # Over-parameterised: κ₀ > 0, so S = κ/λ → +inf (E_tr → 0 like λ²).
    assert float(theory.ridge_risk(e, w, 50.0, 0.0).s_transform) == np.inf
    # The limit is approached continuously from λ > 0.
    near = theory.ridge_risk(e, w, 400.0, tol(1e-12, 1e-6)).s_transform
    assert_allclose(near, 4.0 / 3.0, rtol=tol(1e-9, 1e-4))


@pytest.mark.parametrize(("n", "q", "lam", "norm2", "noise"), ISO_CASES)
def test_isotropic_closed_forms_random_parameters(n, q, lam, norm2, noise):
    p = n / q
    e, w = spectra.isotropic(n, norm2, dtype=DTYPE)
    risk = theory.ridge_risk(e, w, p, lam, noise)
    k, gamma, bias, eg, etr = iso_errors(q, lam, norm2, noise)
    rtol = tol(1e-10, 2e-03)
    assert_allclose(risk.kappa, k, rtol=rtol)
    assert_allclose(risk.gamma, gamma, rtol=rtol)
    assert_allclose(risk.df1, n / (1.0 + k), rtol=rtol)
    assert_allclose(risk.df2, n / (1.0 + k) ** 2, rtol=rtol)
    assert_allclose(risk.bias, bias, rtol=rtol)
    assert_allclose(risk.test, eg, rtol=rtol)
    assert_allclose(risk.train, etr, rtol=tol(1e-9, 1e-02))
    assert_allclose(risk.var_x + risk.var_noise + risk.bias, risk.test, rtol=rtol)
    assert_allclose(risk.var_noise, noise * gamma / (1 - gamma), rtol=rtol, atol=1e-30)


@pytest.mark.parametrize("q", [0.3, 0.5, 0.9, 1.1, 2.0, 7.0])
def test_isotropic_ridgeless_closed_forms(q):
    """THEORY §2.8/V02: q < 1 gives σ²q/(1−q); q > 1 gives W(1−1/q) + σ²/(q−1)."""
    n, norm2, noise = 400, 1.7, 0.3
    e, w = spectra.isotropic(n, norm2, dtype=DTYPE)
    risk = theory.ridge_risk(e, w, n / q, 0.0, noise)
    if q < 1:
        expected, kappa = noise * q / (1 - q), 0.0
        train = noise * (1 - q)
    else:
        expected, kappa = norm2 * (1 - 1 / q) + noise / (q - 1), q - 1
        train = 0.0
    assert_allclose(risk.kappa, kappa, rtol=tol(1e-10, 1e-03), atol=0)
    assert_allclose(risk.test, expected, rtol=tol(1e-10, 2e-03))
    assert_allclose(risk.train, train, rtol=tol(1e-10, 1e-03), atol=tol(1e-12, 2e-04))


def test_v02_ridgeless_values():
    e, w = spectra.isotropic(1000, dtype=DTYPE)
    over = theory.ridge_risk(e, w, 500.0, 0.0, 0.25)
    under = theory.ridge_risk(e, w, 2000.0, 0.0, 0.25)
    assert_allclose(over.kappa, 1.0, rtol=tol(1e-9, 2e-04))
    assert_allclose(over.test, 0.75, rtol=tol(1e-9, 2e-04))
    assert float(under.kappa) == 0.0
    assert_allclose(under.test, 0.25, rtol=tol(1e-9, 2e-04))


def test_interpolation_threshold_is_inf_not_nan():
    e, w = spectra.isotropic(300, dtype=DTYPE)
    noisy = theory.ridge_risk(e, w, 300.0, 0.0, 0.1)
    assert np.isposinf(noisy.test) and np.isposinf(noisy.test_out)
    assert np.isposinf(noisy.var_noise)
    assert float(noisy.train) == 0.0
    clean = theory.ridge_risk(e, w, 300.0, 0.0, 0.0)
    # Noiseless square system: X is invertible and ridgeless regression recovers w̄ exactly.
    for leaf in jax.tree_util.tree_leaves(clean):
        assert not np.isnan(leaf)
    assert float(clean.test) == 0.0


def test_v08_isotropic_double_descent():
    n, noise = 400, 0.25
    e, w = spectra.isotropic(n, dtype=DTYPE)
    ps = jnp.arange(200.0, 801.0, dtype=DTYPE)
    curve = jax.vmap(theory.ridge_risk, (None, None, 0, None, None))(e, w, ps, 1e-8, noise)
    assert float(ps[jnp.argmax(curve.test)]) == n
    if X64:
        lam = 1e-10
        peak = theory.ridge_risk(e, w, float(n), lam, noise)
        assert_allclose(peak.test * 2 * np.sqrt(lam), noise, rtol=2e-4)
    # Optimal ridge at N/P = 2 with W = 1: λ* = σ²q/W = 0.5, E_g(λ*) = κ*/(1+κ*).
    lams = jnp.linspace(0.3, 0.7, 401, dtype=DTYPE)
    sweep = jax.vmap(theory.ridge_risk, (None, None, None, 0, None))(e, w, n / 2.0, lams, noise)
    assert_allclose(lams[jnp.argmin(sweep.test)], 0.5, rtol=0, atol=1.5e-3)
    at_opt = theory.ridge_risk(e, w, n / 2.0, 0.5, noise)
    assert_allclose(at_opt.test, 0.6403882, rtol=tol(1e-6, 2e-04))
    assert_allclose(at_opt.test, at_opt.kappa / (1 + at_opt.kappa), rtol=tol(1e-10, 2e-04))


@pytest.mark.parametrize(
    ("alpha", "r", "p", "lam", "noise"),
    [
        (1.5, 0.4, 700.0, 1e-3, 0.05),
        (1.2, 1.3, 37.5, 1e-7, 0.0),
        (3.0, 0.7, 2500.0, 0.0, 0.2),
        (2.0, 0.2, 8000.0, 1e-10, 0.1),
        (1.05, 2.0, 1.0, 10.0, 1.0),
    ],
)
def test_power_law_against_scipy(alpha, r, p, lam, noise):
    n = 4000
    e, w = spectra.power_law(n, alpha, r, dtype=DTYPE)
    risk = theory.ridge_risk(e, w, p, lam, noise)
    e64, w64 = np.asarray(e, np.float64), np.asarray(w, np.float64)
    k = scipy_kappa(e64, p, lam)
    ref = numpy_risk(e64, w64, p, k, lam, noise)
    rtol = tol(1e-9, 1e-02)
    for name, value in ref.items():
        # Ridgeless over-parameterised training error is exactly 0 (the reference rounds to ~0).
        atol = 1e-14 * float(risk.test_out) if name == "train" else 0.0
        assert_allclose(getattr(risk, name), value, rtol=rtol, atol=atol, err_msg=name)


def test_gcv_identity():
    """In theory the GCV estimate is exact: E_tr/(1 − n₁/P)² = E_out (THEORY §2.6)."""
    e, w = spectra.power_law(3000, 1.7, 0.6, dtype=DTYPE)
    ps = jnp.array([20.0, 300.0, 2999.0, 10_000.0], DTYPE)
    lams = jnp.array([1e-6, 1e-3, 1e-1, 3.0], DTYPE)
    risk = jax.vmap(theory.ridge_risk, (None, None, 0, 0, None))(e, w, ps, lams, 0.3)
    gcv = risk.train / (1.0 - risk.df1 / ps) ** 2
    assert_allclose(gcv, risk.test_out, rtol=tol(1e-9, 1e-02))
    assert_allclose((risk.kappa / lams) ** 2 * risk.train, risk.test_out, rtol=tol(1e-9, 1e-02))


@pytest.mark.parametrize("p", [500.0, 4000.0])
def test_ridge_to_ridgeless_continuity(p):
    """λ → 0 converges into the λ = 0 branch, over- (κ₀ > 0) and under-parameterised (κ = 0)."""
    e, w = spectra.power_law(2000, 1.5, 0.8, dtype=DTYPE)
    at_zero = theory.ridge_risk(e, w, p, 0.0, 0.1)
    lams = jnp.array([1e-10, 1e-12, 1e-14], DTYPE)
    near = jax.vmap(theory.ridge_risk, (None, None, None, 0, None))(e, w, p, lams, 0.1)
    gaps = np.abs(np.asarray(near.test) - float(at_zero.test)) / float(at_zero.test)
    # E_g is smooth in λ at 0⁺, so the gap is linear in λ: 100× smaller per 100× smaller λ.
    assert gaps[0] < 1e-3
    if X64:
        assert np.all((gaps[1:] / gaps[:-1] > 1 / 200) & (gaps[1:] / gaps[:-1] < 1 / 50))
    else:
        assert np.all(gaps < 1e-3)
    if p < 2000:
        assert float(at_zero.kappa) > 0
        assert_allclose(at_zero.df1, p, rtol=tol(1e-12, 2e-04))
    else:
        assert float(at_zero.kappa) == 0.0
        assert_allclose(at_zero.gamma, 2000 / p, rtol=tol(1e-12, 2e-04))


def test_zero_eigenvalues_are_a_null_space():
    e = jnp.concatenate([jnp.ones(50, DTYPE), jnp.zeros(30, DTYPE)])
    w = jnp.concatenate([jnp.full((50,), 0.1, DTYPE), jnp.full((30,), 7.0, DTYPE)])
    e_ref, w_ref = e[:50], w[:50]
    for p, lam in [(20.0, 0.0), (60.0, 0.0), (50.0, 0.5), (30.0, 1e-3)]:
        full = theory.ridge_risk(e, w, p, lam, 0.2)
        reduced = theory.ridge_risk(e_ref, w_ref, p, lam, 0.2)
        for a, b in zip(
            jax.tree_util.tree_leaves(full), jax.tree_util.tree_leaves(reduced), strict=True
        ):
            assert_allclose(a, b, rtol=tol(1e-12, 2e-04))


def test_blocks_multiple_descent_peaks():
    e, w = spectra.blocks(
        [10, 100, 10_000], [1.0, 1e-2, 1e-5], [1.0, 10.0, 100.0], target_norm=100.0, dtype=DTYPE
    )
    assert_allclose(jnp.linalg.norm(w), 100.0, rtol=tol(1e-12, 2e-04))
    ps = jnp.arange(2.0, 300.0, dtype=DTYPE)
    curve = jax.vmap(theory.ridge_risk, (None, None, 0, None, None))(e, w, ps, 1e-8, 0.0)
    test = np.asarray(curve.test)
    local_max = [
        float(ps[i])
        for i in range(1, len(ps) - 1)
        if test[i] > test[i - 1] and test[i] > test[i + 1]
    ]
    # Two descents: one peak as the first block (10 modes) is resolved, one as the second block
    # ends (10 + 100 modes); the unlearned tail acts as noise and shifts each a little upwards.
    assert len(local_max) == 2, local_max
    assert 9 <= local_max[0] <= 14 and 100 <= local_max[1] <= 125, local_max


# ---------------------------------------------------------------------------------------------
# Transformations
# ---------------------------------------------------------------------------------------------


def test_jit_vmap_dtype():
    e, w = spectra.power_law(500, 1.4, 0.5, dtype=DTYPE)
    ps = jnp.array([3.0, 80.0, 499.0, 2000.0], DTYPE)
    lams = jnp.array([0.0, 1e-4, 0.3, 0.0], DTYPE)
    batched = jax.vmap(theory.ridge_risk, (None, None, 0, 0, None))(e, w, ps, lams, 0.1)
    jitted = jax.jit(jax.vmap(theory.ridge_risk, (None, None, 0, 0, None)))(e, w, ps, lams, 0.1)
    for i in range(4):
        single = theory.ridge_risk(e, w, ps[i], lams[i], 0.1)
        for name in ("kappa", "test", "train", "df1", "gamma"):
            assert_allclose(
                getattr(batched, name)[i], getattr(single, name), rtol=tol(1e-13, 2e-04)
            )
            assert_allclose(getattr(jitted, name)[i], getattr(single, name), rtol=tol(1e-13, 2e-04))
    for leaf in jax.tree_util.tree_leaves(batched):
        assert leaf.dtype == DTYPE
    e32 = e.astype(jnp.float32)
    assert theory.effective_ridge(e32, 10.0, 1e-3).dtype == jnp.float32


def test_vmap_over_spectra():
    """Batches of spectra (vmapped α through power_law) equal one-by-one evaluation."""
    alphas = jnp.array([1.1, 1.8, 3.5], DTYPE)

    def curve(alpha):
        e, w = spectra.power_law(800, alpha, 0.6)
        return theory.ridge_risk(e, w, 200.0, 1e-5, 0.05).test

    batched = jax.vmap(curve)(alphas)
    for i in range(3):
        assert_allclose(batched[i], curve(alphas[i]), rtol=tol(1e-12, 2e-04))


@pytest.mark.parametrize("alpha", [1.05, 2.5, 4.0])
def test_grid_residual_and_single_compile(alpha):
    """A 100 × 100 (P, λ) grid on a 10⁴-term spectrum: one compile, tiny residual everywhere."""
    n = 10_000
    e, w = spectra.power_law(n, alpha, 0.5, dtype=DTYPE)
    ps = jnp.logspace(0, 6, 100, dtype=DTYPE)
    lams = jnp.logspace(-12, 2, 100, dtype=DTYPE)
    grid_p, grid_l = (a.ravel() for a in jnp.meshgrid(ps, lams, indexing="ij"))

    @jax.jit
    @eqx.debug.assert_max_traces(max_traces=1)
    def solve(e, p, lam):
        return jax.vmap(theory.effective_ridge, (None, 0, 0))(e, p, lam)

    kappa = np.asarray(solve(e, grid_p, grid_l), np.float64)
    # A second, different grid of the same shape must not retrace.
    solve(e, grid_p * 1.5, grid_l * 0.5).block_until_ready()
    e64 = np.asarray(e, np.float64)
    p64, l64 = np.asarray(grid_p, np.float64), np.asarray(grid_l, np.float64)
    worst = 0.0
    for start in range(0, kappa.size, 500):
        k = kappa[start : start + 500]
        n1 = np.sum(e64[None, :] / (e64[None, :] + k[:, None]), axis=1)
        pp, ll = p64[start : start + 500], l64[start : start + 500]
        worst = max(worst, float(np.max(np.abs(k - ll - k * n1 / pp) / k)))
    assert np.all(np.isfinite(kappa)) and np.all(kappa > 0)
    assert worst <= tol(1e-10, 1e-03), worst


# ---------------------------------------------------------------------------------------------
# Derivatives
# ---------------------------------------------------------------------------------------------


V04 = dict(alpha=1.5, r=0.4, n=4000, p=700.0, lam=1e-3)


def test_v04_ift_derivatives_equal_closed_forms(x64):
    e, w = spectra.power_law(V04["n"], V04["alpha"], V04["r"])
    p, lam = V04["p"], V04["lam"]
    risk = theory.ridge_risk(e, w, p, lam)
    k, n1, gamma = float(risk.kappa), float(risk.df1), float(risk.gamma)
    dk_dlam = jax.grad(theory.effective_ridge, 2)(e, p, lam)
    dk_dp = jax.grad(theory.effective_ridge, 1)(e, p, lam)
    dk_de = jax.grad(theory.effective_ridge, 0)(e, p, lam)
    dk_dalpha = jax.grad(
        lambda a: theory.effective_ridge(spectra.power_law(4000, a, 0.4)[0], p, lam)
    )(1.5)
    # THEORY §5.5 closed forms.
    assert_allclose(dk_dlam, 1.0 / (1.0 - gamma), rtol=1e-10)
    assert_allclose(dk_dp, -k * n1 / (p**2 * (1.0 - gamma)), rtol=1e-10)
    e64 = np.asarray(e)
    assert_allclose(dk_de, k**2 / (p * (1.0 - gamma) * (e64 + k) ** 2), rtol=1e-10)
    ln_k = np.log(np.arange(1, 4001.0))
    closed_alpha = -np.sum(k * ln_k * e64 / (e64 + k) ** 2) / p * k / (1.0 - gamma)
    assert_allclose(dk_dalpha, closed_alpha, rtol=1e-10)
    # THEORY V04 reference values.
    assert_allclose(dk_dlam, 1.10410, rtol=1e-5)
    assert_allclose(dk_dp, -5.27207e-7, rtol=1e-5)
    assert_allclose(dk_dalpha, -1.34114e-3, rtol=1e-5)
    # And central finite differences of an independent SciPy solve.
    h = 1e-6
    fd_lam = (scipy_kappa(e64, p, lam * (1 + h)) - scipy_kappa(e64, p, lam * (1 - h))) / (
        2 * h * lam
    )
    fd_p = (scipy_kappa(e64, p * (1 + h), lam) - scipy_kappa(e64, p * (1 - h), lam)) / (2 * h * p)
    assert_allclose(dk_dlam, fd_lam, rtol=1e-6)
    assert_allclose(dk_dp, fd_p, rtol=1e-6)


def test_v05_derivative_identity(x64):
    """E_g = −κ² ∂_λ[tf₁(κ(λ))] + σ²(∂_λκ − 1) (THEORY §2.5, V05)."""
    e, w = spectra.power_law(V04["n"], V04["alpha"], V04["r"])
    p, lam, noise = V04["p"], V04["lam"], 0.05

    def tf1(ridge):
        k = theory.effective_ridge(e, p, ridge)
        return jnp.sum(w**2 * e / (e + k))

    k = theory.effective_ridge(e, p, lam)
    identity = -(k**2) * jax.grad(tf1)(lam) + noise * (
        jax.grad(theory.effective_ridge, 2)(e, p, lam) - 1.0
    )
    risk = theory.ridge_risk(e, w, p, lam, noise)
    assert_allclose(identity, risk.test, rtol=1e-10)
    assert_allclose(risk.test, 0.00910605, rtol=1e-5)


# Tens of seconds on 2 cores (compilation): with the slow checks, which CI runs.
@pytest.mark.slow
@pytest.mark.parametrize(("p", "lam"), [(60.0, 1e-3), (50.0, 0.0)])
def test_check_grads_log_coordinates(x64, p, lam):
    """Orders 1 and 2, forward and reverse, in log P, log λ, log σ², α, r."""

    @jax.jit
    def log_test(log_p, log_lam, log_noise, alpha, r):
        e, w = spectra.power_law(200, alpha, r)
        ridge = jnp.exp(log_lam) if lam > 0 else 0.0
        risk = theory.ridge_risk(e, w, jnp.exp(log_p), ridge, jnp.exp(log_noise))
        out = jnp.log(risk.test) + jnp.log(risk.kappa)
        # Ridgeless over-parameterised training error is exactly 0: only differentiate it at λ > 0.
        return out + 0.5 * jnp.log(risk.train) if lam > 0 else out

    args = (np.log(p), np.log(lam) if lam > 0 else 0.0, np.log(0.1), 1.6, 0.7)
    check_grads(log_test, args, order=2, modes=("fwd", "rev"), eps=1e-4, rtol=1e-5, atol=1e-7)


def test_check_grads_eigvals(x64):
    e = jnp.exp(jnp.linspace(0.0, -6.0, 40))

    @jax.jit
    def f(log_e):
        ee = jnp.exp(log_e)
        return jnp.log(theory.ridge_risk(ee, jnp.sqrt(ee), 17.0, 1e-3, 0.05).test)

    check_grads(f, (jnp.log(e),), order=1, modes=("fwd", "rev"), eps=1e-4, rtol=1e-5)


def test_gradient_at_zero_ridge_is_finite_and_correct(x64):
    e, w = spectra.power_law(600, 1.8, 0.5)
    for p in (200.0, 1500.0):  # over- and under-parameterised
        risk = theory.ridge_risk(e, w, p, 0.0)
        dk = jax.grad(theory.effective_ridge, 2)(e, p, 0.0)
        assert np.isfinite(dk)
        assert_allclose(dk, 1.0 / (1.0 - risk.gamma), rtol=1e-10)
        grads = jax.grad(lambda pp, ll: theory.ridge_risk(e, w, pp, ll, 0.1).test, (0, 1))(p, 0.0)
        assert all(np.isfinite(g) for g in grads)


def test_second_derivative_matches_finite_difference(x64):
    e, _ = spectra.power_law(2000, 2.0, 0.5)
    f = lambda lam: theory.effective_ridge(e, 300.0, lam)  # noqa: E731
    lam, h = 1e-3, 1e-6
    d2 = jax.grad(jax.grad(f))(lam)
    fd = (jax.grad(f)(lam + h) - jax.grad(f)(lam - h)) / (2 * h)
    assert abs(float(d2)) > 0
    assert_allclose(d2, fd, rtol=1e-5)
    assert_allclose(jax.hessian(f)(lam), d2, rtol=1e-10)
    assert_allclose(jax.jacfwd(jax.jacrev(f))(lam), d2, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


BAD_CASES = [
    (dict(ridge=-1e-3), "ridge"),
    (dict(num_samples=0.0), "num_samples"),
    (dict(num_samples=-5.0), "num_samples"),
    (dict(num_samples=float("nan")), "num_samples"),
    (dict(noise_var=-0.1), "noise_var"),
    (dict(ridge=float("inf")), "ridge"),
    (dict(eigvals=np.array([1.0, -0.5, 0.1])), "eigvals"),
    (dict(eigvals=np.array([1.0, np.nan, 0.1])), "eigvals"),
    (dict(eigvals=np.ones((3, 1))), "eigvals"),
    (dict(target_weights=np.ones(4)), "target_weights"),
    (dict(target_weights=np.array([1.0, np.inf, 0.0])), "target_weights"),
    (dict(num_samples=np.ones(2)), "num_samples"),
]


@pytest.mark.parametrize(("override", "name"), BAD_CASES)
def test_bad_input_raises_naming_argument(override, name):
    args = dict(
        eigvals=np.array([1.0, 0.5, 0.1]),
        target_weights=np.ones(3),
        num_samples=2.0,
        ridge=1e-2,
        noise_var=0.0,
    )
    args.update(override)
    with pytest.raises(ValueError, match=f"`{name}`"):
        theory.ridge_risk(**args)


def test_bad_input_under_jit_and_vmap_raises():
    e, w = spectra.isotropic(10, dtype=DTYPE)
    with pytest.raises(Exception, match="`ridge` must be >= 0"):
        jax.jit(theory.ridge_risk)(e, w, 5.0, -1.0).test.block_until_ready()
    with pytest.raises(Exception, match="`num_samples` must be > 0"):
        jax.vmap(theory.effective_ridge, (None, 0, None))(
            e, jnp.array([1.0, -2.0], DTYPE), 0.1
        ).block_until_ready()
    with pytest.raises(Exception, match="`eigvals`"):
        jax.jit(theory.effective_ridge)(-e, 5.0, 0.1).block_until_ready()


def test_gradient_in_target_weights_alone():
    """κ does not depend on w̄, so ∂Bias²/∂w̄_k = 2 w̄_k e_k κ²/(e_k + κ)² (THEORY §2.5)."""
    e, w = spectra.power_law(300, 1.5, 0.4, dtype=DTYPE)
    p, lam = 100.0, 1e-3
    kappa = float(theory.effective_ridge(e, p, lam))
    e64, w64 = np.asarray(e, np.float64), np.asarray(w, np.float64)
    expected = 2 * w64 * e64 * kappa**2 / (e64 + kappa) ** 2
    bias = lambda ww: theory.ridge_risk(e, ww, p, lam).bias  # noqa: E731
    assert_allclose(jax.grad(bias)(w), expected, rtol=tol(1e-10, 1e-4))
    assert_allclose(jax.jacfwd(bias)(w), expected, rtol=tol(1e-10, 1e-4))
