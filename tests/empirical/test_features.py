"""Monte Carlo of linear random features against the deterministic equivalents (THEORY §3, §5.8).

Tolerances. Every comparison is |MC − theory| <= c · E_g / sqrt(scale) (c per field below),
where E_g is the theoretical excess error at that ridge and ``scale`` multiplies D, N and P.
The constants come from the seed-to-seed scatter of one 4 × 4 (X × F) grid measured over
8 keys at scale 1 (D = 200, N = 150, P = 100): std/E_g <= 0.07 for E_g and for each term of the
decomposition, <= 0.09 for E_tr, <= 0.15 for GCV, and <= 0.002 for κ̂₁/κ₁ (THEORY §5.8 quotes
4.5–6 % for 8 × 8 draws at D = 1000, consistent with these). Averaging ``K = 4`` keys divides the
scatter by 2, and each constant is about 4 standard deviations plus the O(1/P) finite-size bias
of the deterministic equivalent (about 1–3 % of E_g at scale 1). Fluctuations scale like
1/sqrt(size) and the finite-size bias like 1/size, so the tolerance shrinks as 1/sqrt(scale).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import empirical, spectra
from jaxridge.empirical import deep_rf_ridge_risk, rf_ridge_risk
from jaxridge.empirical import features as _features
from jaxridge.theory import deep_rf_risk, rf_risk
from tests.helpers import DTYPE, assert_allclose, tol

TERMS = ("bias", "var_x", "var_f", "var_xf", "var_xnoise", "var_xfnoise")
# c (in units of E_g, at scale 1, for the mean of 4 keys); see the module docstring.
C = dict(test=0.15, train=0.2, gcv=0.3, **{t: 0.15 for t in TERMS})
KAPPA1_RTOL = 0.05
LAMS = (1e-3, 1e-1)


def _sizes(scale):
    return int(200 * scale), int(150 * scale), int(100 * scale)


def _mean_over_keys(fn, num_keys=4):
    runs = [fn(jax.random.key(1000 + k)) for k in range(num_keys)]
    return jax.tree.map(lambda *xs: np.mean(np.stack([np.asarray(x) for x in xs]), axis=0), *runs)


def _compare(mc, th, scale):
    eg = np.asarray(th.test)
    for name, c in C.items():
        expected = np.asarray(th.test if name == "gcv" else getattr(th, name))
        err = np.abs(np.asarray(getattr(mc, name)) - expected)
        bound = c * eg / np.sqrt(scale)
        assert np.all(err <= bound), (name, np.asarray(getattr(mc, name)), expected, bound)
    assert_allclose(mc.kappa1, th.kappa1, rtol=KAPPA1_RTOL / np.sqrt(scale))
    assert_allclose(mc.test_out, mc.test + np.asarray(th.test_out - th.test), rtol=1e-6)


def _theory(fn, lams):
    return jax.vmap(fn)(jnp.asarray(lams, DTYPE))


@pytest.mark.parametrize("scale", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_shallow_isotropic(scale):
    d, n, p = _sizes(scale)
    e, w = jnp.ones(d, DTYPE), jnp.ones(d, DTYPE) / np.sqrt(d)
    th = _theory(lambda lam: rf_risk(e, w, float(n), float(p), lam, 0.1), LAMS)
    mc = _mean_over_keys(lambda k: rf_ridge_risk(k, e, w, n, p, jnp.asarray(LAMS, DTYPE), 0.1))
    _compare(mc, th, scale)


@pytest.mark.parametrize("scale", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_shallow_anisotropic(scale):
    # Power-law data and a structured feature spectrum s_j = j^−0.7 (THEORY §3.1).
    d, n, p = _sizes(scale)
    e, w = spectra.power_law(d, jnp.asarray(1.5, DTYPE), 0.6)
    s = jnp.arange(1, n + 1, dtype=DTYPE) ** -0.7
    th = _theory(lambda lam: rf_risk(e, w, None, float(p), lam, 0.04, feature_eigvals=s), LAMS)
    mc = _mean_over_keys(
        lambda k: rf_ridge_risk(k, e, w, n, p, jnp.asarray(LAMS, DTYPE), 0.04, feature_eigvals=s)
    )
    _compare(mc, th, scale)


@pytest.mark.parametrize("scale", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_deep_two_layers(scale):
    d, n, p = _sizes(scale)
    widths = (n, int(0.8 * n))
    e, w = spectra.power_law(d, jnp.asarray(1.5, DTYPE), 0.6)
    th = _theory(
        lambda lam: deep_rf_risk(e, w, jnp.asarray(widths, DTYPE), float(p), lam, 0.04), LAMS
    )
    mc = _mean_over_keys(
        lambda k: deep_rf_ridge_risk(k, e, w, widths, p, jnp.asarray(LAMS, DTYPE), 0.04)
    )
    _compare(mc, th, scale)


@pytest.mark.slow
def test_deep_simulation_normalisation():
    # v_ℓ = 1/N_{ℓ−1} (the authors' simulations) passed to both theory and Monte Carlo.
    d, n, p = _sizes(1)
    widths = (n, int(0.8 * n))
    fv = jnp.asarray([1.0 / d, 1.0 / n], DTYPE)
    e, w = spectra.power_law(d, jnp.asarray(1.5, DTYPE), 0.6)
    th = _theory(
        lambda lam: deep_rf_risk(
            e, w, jnp.asarray(widths, DTYPE), float(p), lam, 0.04, feature_vars=fv
        ),
        LAMS,
    )
    mc = _mean_over_keys(
        lambda k: deep_rf_ridge_risk(
            k, e, w, widths, p, jnp.asarray(LAMS, DTYPE), 0.04, feature_vars=fv
        )
    )
    _compare(mc, th, 1)


def test_fits_match_numpy_solve():
    # Rebuild every (X, F) draw from the documented key layout in NumPy float64, solve the ridge
    # normal equations per λ with numpy.linalg.solve (λ = 0: pseudo-inverse, the minimum-norm
    # fit) and compare the averaged E_g, E_tr and the ANOVA terms computed by plain NumPy.
    # Same sizes as the scale-1 tests above, so no extra compilation.
    d, n, p = _sizes(1)
    n_x = n_f = 4
    e, w = spectra.power_law(d, jnp.asarray(1.3, DTYPE), 0.5)
    lams = jnp.asarray([0.0, 1e-2], DTYPE)
    key = jax.random.key(7)
    out = rf_ridge_risk(key, e, w, n, p, lams, 0.2, num_data_seeds=n_x, num_feature_seeds=n_f)
    en, wn = np.asarray(e, np.float64), np.asarray(w, np.float64)
    key_x, key_f = jax.random.split(key)
    feats = [
        np.asarray(
            jax.random.normal(jax.random.fold_in(jax.random.fold_in(key_f, j), 0), (d, n), DTYPE),
            np.float64,
        )
        / np.sqrt(d)
        for j in range(n_f)
    ]
    fits = np.zeros((n_x, n_f, 2, d))
    clean = np.zeros((n_x, n_f, 2, d))
    train = np.zeros((n_x, n_f, 2))
    for i in range(n_x):
        k1, k2 = jax.random.split(jax.random.fold_in(key_x, i))
        x = np.asarray(jax.random.normal(k1, (p, d), DTYPE), np.float64) * np.sqrt(en)
        y0 = x @ wn
        y = y0 + np.sqrt(0.2) * np.asarray(jax.random.normal(k2, (p,), DTYPE), np.float64)
        for j, f in enumerate(feats):
            z = x @ f
            for k, lam in enumerate(np.asarray(lams, np.float64)):
                for target, labels in ((fits, y), (clean, y0)):
                    if lam == 0:
                        a = np.linalg.pinv(z) @ labels
                    else:
                        a = np.linalg.solve(z.T @ z / p + lam * np.eye(n), z.T @ labels / p)
                    target[i, j, k] = np.sqrt(en) * (f @ a - wn)
                    if target is fits:
                        train[i, j, k] = np.mean((labels - z @ a) ** 2)
    rt = tol(1e-7, 2e-3)
    assert_allclose(out.test, np.mean(np.sum(fits**2, -1), (0, 1)), rtol=rt)
    assert_allclose(out.train, np.mean(train, (0, 1)), rtol=rt, atol=tol(1e-12, 1e-6))
    m = clean.mean((0, 1))
    a_i = clean.mean(1)
    b_j = clean.mean(0)
    var_xf = np.sum((clean - a_i[:, None] - b_j[None] + m) ** 2, (0, 1, 3)) / 9
    var_x = np.sum((a_i - m) ** 2, (0, 2)) / 3 - var_xf / 4
    var_f = np.sum((b_j - m) ** 2, (0, 2)) / 3 - var_xf / 4
    bias = np.sum(m**2, -1) - var_x / 4 - var_f / 4 - var_xf / 16
    for name, ref in (("var_xf", var_xf), ("var_x", var_x), ("var_f", var_f), ("bias", bias)):
        assert_allclose(
            getattr(out, name),
            ref,
            rtol=tol(1e-6, 2e-2),
            err_msg=name,
            atol=tol(1e-12, 1e-4) * float(np.max(out.test)),
        )


def test_anova_is_unbiased_on_an_additive_model():
    # f_ij = μ + α_i + β_j + γ_ij with known variances: the estimator recovers them on average
    # (exactly unbiased, so 400 replicates give ~5 % standard error; tolerance 20 %).
    from jaxridge.empirical.features import _anova

    rng = np.random.default_rng(0)
    n_x, n_f, dim = 4, 3, 5
    reps = []
    for _ in range(400):
        mu = np.full(dim, 0.5)
        f = (
            mu
            + rng.normal(0, 1.0, (n_x, 1, dim))
            + rng.normal(0, 0.7, (1, n_f, dim))
            + rng.normal(0, 0.4, (n_x, n_f, dim))
        )
        out = _anova(jnp.asarray(f[:, :, None, :], DTYPE), jnp.zeros((1, dim), DTYPE))
        reps.append([float(v[0]) for v in out])
    bias, var_x, var_f, var_xf = np.mean(reps, axis=0)
    assert_allclose(
        [bias, var_x, var_f, var_xf], [dim * 0.25, dim * 1.0, dim * 0.49, dim * 0.16], rtol=0.2
    )


def test_anova_rounding_is_negligible_when_the_bias_is_tiny():
    # Notebooks 07/08 at large P: Bias² is 10⁻³–10⁻⁵ of E_g, a difference of ANOVA sums of order
    # E_g (THEORY §5.8). The sums are of centred squares, so each term's rounding error is of
    # order eps·(those sums), far below the estimator's sampling error (about 10⁻² of them in
    # the notebooks). Reference: the same formulas in extended precision on the same inputs.
    from jaxridge.empirical.features import _anova

    rng = np.random.default_rng(2)
    n_x, n_f, dim = 8, 8, 2000
    spread = 1e-2 * np.arange(1, dim + 1) ** -0.75  # power-law spread over the modes
    f = 1e-4 * spread + spread * (
        rng.normal(size=(n_x, 1, dim))
        + rng.normal(size=(1, n_f, dim))
        + rng.normal(size=(n_x, n_f, dim))
    )
    f = np.asarray(jnp.asarray(f, DTYPE))  # the rounded inputs, for both computations
    got = _anova(jnp.asarray(f[:, :, None, :]), jnp.zeros((1, dim), DTYPE))
    ld = f.astype(np.longdouble)
    m, a, b = ld.mean((0, 1)), ld.mean(1), ld.mean(0)
    var_xf = np.sum((ld - a[:, None] - b[None] + m) ** 2) / ((n_x - 1) * (n_f - 1))
    var_x = np.sum((a - m) ** 2) / (n_x - 1) - var_xf / n_f
    var_f = np.sum((b - m) ** 2) / (n_f - 1) - var_xf / n_x
    bias = np.sum(m**2) - var_x / n_x - var_f / n_f - var_xf / (n_x * n_f)
    scale = float(np.mean(np.sum(ld**2, axis=-1)))  # the size of the summed terms
    assert np.sum((1e-4 * spread) ** 2) < 1e-6 * scale  # the true Bias²: the regime in question
    for name, value, ref in zip(
        ("bias", "var_x", "var_f", "var_xf"), got, (bias, var_x, var_f, var_xf), strict=True
    ):
        err = abs(float(value[0]) - float(ref))
        assert err <= tol(1e-13, 1e-5) * scale, (name, float(value[0]), float(ref), scale)


def test_bad_input_raises():
    e, w = jnp.ones(10, DTYPE), jnp.ones(10, DTYPE)
    key = jax.random.key(0)
    lams = jnp.asarray([0.1], DTYPE)
    with pytest.raises(ValueError, match="num_features"):
        rf_ridge_risk(key, e, w, 0, 5, lams)
    with pytest.raises(ValueError, match="num_samples"):
        rf_ridge_risk(key, e, w, 5, 2.5, lams)
    with pytest.raises(ValueError, match="ridges"):
        rf_ridge_risk(key, e, w, 5, 5, -lams)
    with pytest.raises(ValueError, match="num_data_seeds"):
        rf_ridge_risk(key, e, w, 5, 5, lams, num_data_seeds=1)
    with pytest.raises(ValueError, match="feature_eigvals"):
        rf_ridge_risk(key, e, w, 5, 5, lams, feature_eigvals=jnp.ones(4))
    with pytest.raises(ValueError, match="target_weights"):
        rf_ridge_risk(key, e, jnp.ones(9), 5, 5, lams)
    with pytest.raises(ValueError, match="widths"):
        deep_rf_ridge_risk(key, e, w, (5, 0), 5, lams)
    with pytest.raises(ValueError, match="feature_vars"):
        deep_rf_ridge_risk(key, e, w, (5, 4), 5, lams, feature_vars=jnp.ones(3))


def test_public_names():
    assert empirical.rf_ridge_risk is rf_ridge_risk
    assert empirical.deep_rf_ridge_risk is deep_rf_ridge_risk


# ------------------------------------------------------------------------------------------
# Additive feature noise (THEORY §3.4). E_g includes the noise of a fresh test point's
# features, σ_ξ²‖â‖², which is what the theory predicts. Isotropic D = 200, N = 100,
# σ_ξ² = 0.25, σ_ε² = 0.0625, λ = 1e-3: over 3 keys of 8 × 8 seeds the measured relative
# scatter of the mean E_g is <= 1.7 % and the finite-size bias <= 3 % (P = N), so 10 % / √scale
# is about 4 standard deviations plus that bias.
# ------------------------------------------------------------------------------------------


def test_feature_noise_zero_array_equals_noise_free():
    # A literal 0 and an array holding 0 run one (noise-free) program; a traced σ_ξ² = 0 runs
    # the noisy one (Ξ drawn, multiplied by 0): same numbers.
    e, w = spectra.power_law(120, jnp.asarray(1.5, DTYPE), jnp.asarray(0.6, DTYPE))
    lams = jnp.asarray([1e-3, 1e-1], DTYPE)
    a = rf_ridge_risk(jax.random.key(3), e, w, 60, 50, lams, noise_var=0.04)
    traces = eqx.debug.get_num_traces(_features._monte_carlo)
    same = rf_ridge_risk(
        jax.random.key(3), e, w, 60, 50, lams, noise_var=0.04, feature_noise_var=np.zeros(())
    )
    assert eqx.debug.get_num_traces(_features._monte_carlo) == traces
    np.testing.assert_array_equal(np.asarray(same.test), np.asarray(a.test))
    traced = jax.jit(
        lambda v: rf_ridge_risk(
            jax.random.key(3), e, w, 60, 50, lams, noise_var=0.04, feature_noise_var=v
        )
    )(jnp.zeros((), DTYPE))
    assert_allclose(traced.test, a.test, rtol=tol(1e-12, 1e-5), atol=1e-12)
    b = rf_ridge_risk(
        jax.random.key(3),
        e,
        w,
        60,
        50,
        lams,
        noise_var=0.04,
        feature_noise_var=jnp.zeros((), DTYPE),
    )
    for name in ("test", "train", "gcv", "kappa1", *TERMS):
        assert_allclose(getattr(b, name), getattr(a, name), rtol=tol(1e-12, 1e-5), atol=1e-12)


@pytest.mark.parametrize(
    "ratio, scale",
    [
        pytest.param(2.0, 1, marks=pytest.mark.slow),
        pytest.param(0.3, 1, marks=pytest.mark.slow),
        pytest.param(10.0, 1, marks=pytest.mark.slow),
        pytest.param(2.0, 2, marks=pytest.mark.slow),
    ],
)
def test_feature_noise_isotropic(ratio, scale):
    d, n = 200 * scale, 100 * scale
    p = int(ratio * d)
    e, w = jnp.ones(d, DTYPE), jnp.ones(d, DTYPE) / np.sqrt(d)
    lam = jnp.asarray([1e-3], DTYPE)
    th = rf_risk(e, w, float(n), float(p), 1e-3, 0.0625, feature_noise_var=0.25)
    mc = _mean_over_keys(
        lambda k: rf_ridge_risk(
            k,
            e,
            w,
            n,
            p,
            lam,
            noise_var=0.0625,
            num_data_seeds=8,
            num_feature_seeds=8,
            feature_noise_var=0.25,
        ),
        num_keys=2,
    )
    bound = 0.1 / np.sqrt(scale)
    for name in ("test", "gcv", "train"):
        expected = th.test if name == "gcv" else getattr(th, name)
        assert abs(float(getattr(mc, name)[0]) / float(expected) - 1) <= bound, name
    # The fine-grained terms (test-noise part in Var_F and Var_XF), in units of E_g.
    for name in TERMS:
        err = abs(float(getattr(mc, name)[0]) - float(getattr(th, name)))
        assert err <= 0.15 * float(th.test) / np.sqrt(scale), name


@pytest.mark.slow
def test_feature_noise_structured_power_law():
    # Power law α = 1.5, r = 0.6, D = 400, N = 200, P = 300, σ_ξ² = 0.02, structured weights
    # s_j = j^(−0.5), deep two-layer variant with noise on the last layer.
    e, w = spectra.power_law(400, jnp.asarray(1.5, DTYPE), jnp.asarray(0.6, DTYPE))
    s = jnp.arange(1, 201, dtype=DTYPE) ** -0.5
    lam = jnp.asarray([1e-3], DTYPE)
    th = rf_risk(e, w, None, 300.0, 1e-3, 0.01, feature_eigvals=s, feature_noise_var=0.02)
    mc = _mean_over_keys(
        lambda k: rf_ridge_risk(
            k,
            e,
            w,
            200,
            300,
            lam,
            noise_var=0.01,
            num_data_seeds=8,
            num_feature_seeds=8,
            feature_eigvals=s,
            feature_noise_var=0.02,
        ),
        num_keys=2,
    )
    assert abs(float(mc.test[0]) / float(th.test) - 1) <= 0.1
    assert abs(float(mc.gcv[0]) / float(th.test) - 1) <= 0.15
    assert_allclose(mc.kappa1[0], th.kappa1, rtol=0.05)
    thd = deep_rf_risk(
        e, w, jnp.asarray([300.0, 200.0], DTYPE), 250.0, 1e-3, 0.01, feature_noise_var=0.02
    )
    mcd = _mean_over_keys(
        lambda k: deep_rf_ridge_risk(
            k,
            e,
            w,
            (300, 200),
            250,
            lam,
            noise_var=0.01,
            num_data_seeds=8,
            num_feature_seeds=8,
            feature_noise_var=0.02,
        ),
        num_keys=2,
    )
    assert abs(float(mcd.test[0]) / float(thd.test) - 1) <= 0.1
