"""Tests of the linear random-feature deterministic equivalents (THEORY §3, §5, §6)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxridge import spectra, theory
from jaxridge.theory import deep_rf_risk, rf_risk, ridge_risk
from tests.helpers import DTYPE, assert_allclose, tol
from tests.theory._rf_reference import (
    rf_reference,
    rf_substitution_mp,
    rf_substitution_reference,
)

FIELDS = (
    "kappa1",
    "kappa2",
    "tau",
    "gamma1",
    "gamma2",
    "df1",
    "df2",
    "bias",
    "var_x",
    "var_f",
    "var_xf",
    "var_xnoise",
    "var_xfnoise",
    "test",
    "test_out",
    "train",
)
TERMS = ("bias", "var_x", "var_f", "var_xf", "var_xnoise", "var_xfnoise")

# The public functions jit their core (static layer layout), so eager calls with equal shapes
# share one compilation; `jax.jit` of the whole function is tested separately.
rf = rf_risk
deep = deep_rf_risk
JIT_RF = jax.jit(rf_risk)
D = 400  # one data dimension for most tests: fewer compilations


def _power(d, alpha, r):
    return spectra.power_law(d, jnp.asarray(alpha, DTYPE), jnp.asarray(r, DTYPE))


def _iso(d):
    return jnp.ones(d, DTYPE), jnp.ones(d, DTYPE) / np.sqrt(d)


# ------------------------------------------------------------------------------------------
# V14: κ₁, κ₂ against the values of THEORY §6 (checked there by Monte Carlo), 0.5 %.
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, p, lam, alpha_f, kappa1, kappa2",
    [
        (500, 700, 1e-2, None, 0.0104076, 0.0220224),
        (1500, 400, 1e-2, None, 0.0115036, 0.00794606),
        (1500, 400, 1e-3, 0.7, 0.00104789, 0.0410647),
    ],
)
def test_v14_kappas(n, p, lam, alpha_f, kappa1, kappa2):
    e, w = _power(1000, 1.5, 0.6)
    s = None if alpha_f is None else jnp.arange(1, n + 1, dtype=DTYPE) ** -alpha_f
    out = rf_risk(e, w, None if s is not None else float(n), float(p), lam, 0.04, feature_eigvals=s)
    assert_allclose(out.kappa1, kappa1, rtol=5e-3)
    assert_allclose(out.kappa2, kappa2, rtol=5e-3)


# ------------------------------------------------------------------------------------------
# Every field against the independent SciPy reference (random parameters, λ > 0).
# ------------------------------------------------------------------------------------------

_rng = np.random.default_rng(1234)
_CASES = []
for _ in range(3):
    _CASES.append(
        dict(
            alpha=float(_rng.uniform(1.2, 2.2)),
            r=float(_rng.uniform(0.3, 1.2)),
            p=float(_rng.uniform(50, 600)),
            lam=float(10 ** _rng.uniform(-4, -1)),
            sigma2=float(_rng.uniform(0, 0.3)),
            widths=[float(_rng.uniform(50, 800))],
            structured=[False],
        )
    )
_CASES.append(
    dict(alpha=1.5, r=0.6, p=100.0, lam=1e-3, sigma2=0.04, widths=[150.0], structured=[True])
)
_CASES.append(
    dict(
        alpha=1.3,
        r=0.8,
        p=300.0,
        lam=1e-2,
        sigma2=0.1,
        widths=[700.0, 450.0],
        structured=[False, False],
    )
)
_CASES.append(
    dict(
        alpha=1.7,
        r=0.4,
        p=200.0,
        lam=3e-3,
        sigma2=0.0,
        widths=[150.0, 350.0],
        structured=[True, False],
    )
)
_CASES.append(
    dict(
        alpha=1.7,
        r=0.4,
        p=300.0,
        lam=1e-4,
        sigma2=0.2,
        widths=[250.0, 150.0, 150.0],
        structured=[False, True, True],
    )
)


@pytest.mark.parametrize("case", range(len(_CASES)))
def test_matches_scipy_reference(case):
    c = _CASES[case]
    d = D
    e, w = _power(d, c["alpha"], c["r"])
    specs = [
        jnp.arange(1, int(nw) + 1, dtype=DTYPE) ** -(0.3 + 0.2 * k) if st else None
        for k, (nw, st) in enumerate(zip(c["widths"], c["structured"], strict=True))
    ]
    fvars = [1.0 / d * (1.0 + 0.5 * k) for k in range(len(c["widths"]))]
    out = deep(
        e,
        w,
        jnp.asarray(c["widths"], DTYPE),
        c["p"],
        c["lam"],
        c["sigma2"],
        feature_vars=jnp.asarray(fvars, DTYPE),
        feature_eigvals=specs,
    )
    layers = [
        (v, np.asarray(sp) if sp is not None else nw)
        for v, nw, sp in zip(fvars, c["widths"], specs, strict=True)
    ]
    ref = rf_reference(np.asarray(e), np.asarray(w), c["p"], c["lam"], c["sigma2"], layers)
    for name in FIELDS:
        assert_allclose(
            getattr(out, name),
            ref[name],
            rtol=tol(1e-8, 2e-3),
            atol=tol(1e-14, 1e-7) * max(1.0, abs(ref["test"])),
            err_msg=name,
        )


def test_shallow_equals_one_layer_deep_and_isotropic_spectrum():
    e, w = _power(D, 1.4, 0.7)
    a = rf(e, w, 150.0, 200.0, 1e-3, 0.1)
    b = deep(e, w, jnp.asarray([150.0], DTYPE), 200.0, 1e-3, 0.1)
    c = rf(e, w, None, 200.0, 1e-3, 0.1, feature_eigvals=jnp.ones(150, DTYPE))
    for name in FIELDS:
        assert_allclose(getattr(a, name), getattr(b, name), err_msg=name)
        assert_allclose(getattr(a, name), getattr(c, name), rtol=tol(1e-9, 1e-4), err_msg=name)


def test_deep_layer_order_is_irrelevant():
    e, w = _power(D, 1.4, 0.7)
    s = jnp.arange(1, 151, dtype=DTYPE) ** -0.6
    a = deep(
        e,
        w,
        jnp.asarray([150.0, 700.0], DTYPE),
        250.0,
        1e-3,
        0.1,
        feature_vars=jnp.asarray([1e-3, 2e-3], DTYPE),
        feature_eigvals=[s, None],
    )
    b = deep(
        e,
        w,
        jnp.asarray([700.0, 150.0], DTYPE),
        250.0,
        1e-3,
        0.1,
        feature_vars=jnp.asarray([2e-3, 1e-3], DTYPE),
        feature_eigvals=[None, s],
    )
    for name in FIELDS:
        assert_allclose(getattr(a, name), getattr(b, name), rtol=tol(1e-9, 1e-4), err_msg=name)


# ------------------------------------------------------------------------------------------
# Limits (THEORY §3.4) and V21, V22.
# ------------------------------------------------------------------------------------------


def test_v21_infinite_width_is_linear_ridge():
    e, w = _power(2000, 1.5, 0.4)
    lin = ridge_risk(e, w, 500.0, 1e-2, 0.05)
    big = 1e7
    out = rf(e, w, big, 500.0, 1e-2, 0.05, feature_var=1.0 / big)
    # The finite-width correction is O(n₁/N) ≈ 1e-5 (float32 rounding adds ~1e-5).
    assert_allclose(out.test, lin.test, rtol=tol(1e-4, 3e-4))
    assert_allclose(out.kappa2, lin.kappa, rtol=tol(1e-4, 3e-4))
    assert_allclose(out.tau, 1.0, rtol=tol(1e-4, 3e-4))
    # With v = 1/D the limit is linear ridge at λ_LR = λ_RF D/N, i.e. λ_RF = λ_LR N/D.
    out = rf(e, w, big, 500.0, 1e-2 * big / 2000, 0.05)
    assert_allclose(out.test, lin.test, rtol=tol(1e-4, 3e-4))


def test_infinite_data_leaves_bias_and_feature_variance():
    # P → ∞: κ₁ = λ, i.e. λ = κ₂ v (N − n₁(κ₂)), and E_g = Bias² + Var_F (SciPy reference).
    from scipy.optimize import brentq

    e, w = _power(D, 1.6, 0.5)
    en, wn = np.asarray(e, np.float64), np.asarray(w, np.float64)
    n_feat, lam, v = 300.0, 1e-3, 1.0 / D
    k0 = np.exp(brentq(lambda u: np.sum(en / (en + np.exp(u))) - n_feat, -60, 60, xtol=1e-14))
    u = brentq(
        lambda u: u + np.log(v * (n_feat - np.sum(en / (en + np.exp(u))))) - np.log(lam),
        np.log(k0) + 1e-10,
        40.0,
        xtol=1e-14,
    )
    k = np.exp(u)
    n = np.sum(en / (en + k))
    n2 = np.sum(en**2 / (en + k) ** 2)
    tau = 1.0 / (1.0 + (n - n2) / n * n / (n_feat - n))
    expected = k**2 * np.sum(wn**2 * en / (en + k) ** 2) + (1 - tau) * k * np.sum(
        wn**2 * en**2 / (en + k) ** 2
    )
    out = rf(e, w, n_feat, 1e10, lam, 0.3)
    assert_allclose(out.test, expected, rtol=tol(1e-6, 1e-3))
    assert_allclose(out.bias + out.var_f, expected, rtol=tol(1e-6, 1e-3))
    for name in ("var_x", "var_xf", "var_xnoise", "var_xfnoise"):
        assert float(getattr(out, name)) < 1e-5 * expected


def test_v22_width_double_descent_peak():
    # argmax over N of E_g at λ = 1e-8 is N = P = 400: a coarse grid and unit steps near P.
    e, w = _iso(1000)
    widths = np.concatenate(
        [np.arange(300.0, 391.0, 10.0), np.arange(391.0, 410.0), np.arange(410.0, 501.0, 10.0)]
    )
    curve = [float(rf(e, w, float(n), 400.0, 1e-8, 0.09).test) for n in widths]
    assert widths[int(np.argmax(curve))] == 400.0


def test_v22_ridgeless_values():
    e, w = _iso(1000)
    assert_allclose(rf(e, w, 300.0, 400.0, 0.0, 0.09).test, 3.07, rtol=tol(1e-8, 1e-5))
    assert_allclose(rf(e, w, 600.0, 400.0, 0.0, 0.09).test, 2.04, rtol=tol(1e-8, 1e-5))


def _v22b(d, n, p, w2, s2):
    return (w2 * (1 - n / d) + s2 * n / p) / (1 - n / p)


def _v22e(d, n, p, w2, s2):
    return w2 * (1 - p / d) * n / (n - p) + s2 * ((n - p * p / d) / ((1 - p / d) * (n - p)) - 1)


@pytest.mark.parametrize("seed", range(4))
def test_isotropic_ridgeless_closed_forms(seed):
    rng = np.random.default_rng(seed)
    d = 500
    w2 = float(rng.uniform(0.3, 3.0))
    s2 = float(rng.uniform(0.0, 0.5))
    e = jnp.ones(d, DTYPE)
    w = jnp.full(d, np.sqrt(w2 / d), DTYPE)
    small, large = sorted(rng.uniform(0.1, 0.9, size=2) * d)
    if abs(large - small) < 0.05 * d:
        large = small + 0.05 * d
    # N < P (width binds) and P < N (data binds); λ = 0 exactly and λ → 0⁺.
    for n, p, ref in ((small, large, _v22b), (large, small, _v22e)):
        expected = ref(d, n, p, w2, s2)
        out = rf(e, w, n, p, 0.0, s2)
        assert_allclose(out.test, expected, rtol=tol(1e-9, 2e-4))
        assert_allclose(rf(e, w, n, p, 1e-10, s2).test, expected, rtol=tol(1e-6, 2e-3))
        assert float(out.tau) == 0.0 if n < p else float(out.tau) > 0


def test_interpolation_thresholds_are_inf_not_nan():
    e, w = _iso(D)
    for n, p in ((200.0, 200.0),):
        out = rf(e, w, n, p, 0.0, 0.1)
        assert np.isinf(float(out.test)) and float(out.test) > 0
        assert float(out.train) == 0.0
        for name in FIELDS:
            assert not np.isnan(float(getattr(out, name))), name
    # Data binds at P = rank Σ (κ₂ = 0): 1 − γ₁ = 0 as well.
    out = rf(e, w, 800.0, float(D), 0.0, 0.1)
    assert np.isinf(float(out.test))
    for name in FIELDS:
        assert not np.isnan(float(getattr(out, name))), name


# ------------------------------------------------------------------------------------------
# Decomposition: sum and signs over a grid including λ = 0 and both branches.
# ------------------------------------------------------------------------------------------


def test_decomposition_sums_and_is_nonnegative():
    e, w = _power(D, 1.5, 0.5)
    s = jnp.arange(1, 151, dtype=DTYPE) ** -0.8
    grid_n = [120.0, 150.0, 350.0, 2000.0]
    grid_p = [50.0, 300.0, 3000.0]
    grid_l = [0.0, 1e-6, 1e-3, 1.0]
    pts = [(n, p, lam) for n in grid_n for p in grid_p for lam in grid_l]
    ll = [lam for _, _, lam in pts]

    def stack(outs):
        return jax.tree.map(lambda *xs: jnp.stack(xs), *outs)

    # Eager calls share one compilation per layer layout (vmap is tested separately).
    outs = [
        stack([rf(e, w, n, p, lam, 0.1) for n, p, lam in pts]),
        stack([rf(e, w, None, p, lam, 0.1, feature_eigvals=s) for _, p, lam in pts]),
        stack(
            [deep(e, w, jnp.asarray([n, 0.5 * n + 30.0], DTYPE), p, lam, 0.1) for n, p, lam in pts]
        ),
    ]
    for out in outs:
        total = sum(getattr(out, t) for t in TERMS)
        assert np.all(np.isfinite(np.asarray(out.test)))
        assert_allclose(total, out.test, rtol=tol(1e-12, 1e-6))
        for t in TERMS:
            assert np.all(np.asarray(getattr(out, t)) >= 0), t
        assert np.all(np.asarray(out.tau) >= 0) and np.all(np.asarray(out.tau) <= 1)
        assert np.all(np.asarray(out.kappa1) >= np.asarray(ll) * (1 - tol(1e-10, 1e-4)))


def test_ridgeless_is_the_limit():
    e, w = _power(D, 1.5, 0.5)
    s = jnp.arange(1, 151, dtype=DTYPE) ** -0.8
    for n, p, spec in (
        (250.0, 300.0, None),
        (350.0, 300.0, None),
        (None, 300.0, s),
        (None, 100.0, s),
    ):
        a = rf(e, w, n, p, 0.0, 0.1, feature_eigvals=spec)
        b = rf(e, w, n, p, 1e-12, 0.1, feature_eigvals=spec)
        for name in ("kappa2", "test", "var_f", "var_xf", "train", "gamma1"):
            assert_allclose(
                getattr(a, name), getattr(b, name), rtol=tol(1e-5, 1e-3), atol=1e-9, err_msg=name
            )


# ------------------------------------------------------------------------------------------
# Gradients (float64, log coordinates).
# ------------------------------------------------------------------------------------------

GRAD_FIELDS = ("kappa2", "test", "var_xf", "train")


def _grad_fn(kind):
    """log of (κ₂, E_g, Var_XF, E_tr) as a function of (log λ, log P, log N, log σ², α)."""

    def f(log_lam, log_p, log_n, log_s2, alpha):
        e, w = spectra.power_law(D, alpha, 0.6)
        n = jnp.exp(log_n)
        args = (jnp.exp(log_p), jnp.exp(log_lam), jnp.exp(log_s2))
        if kind == "structured":
            # The spectrum exponent of F is tied to α so the inner κ_F solve is differentiated.
            s = jnp.arange(1, 151, dtype=e.dtype) ** -(0.3 * alpha)
            out = rf_risk(e, w, None, *args, feature_eigvals=s)
        elif kind == "deep":
            out = deep_rf_risk(e, w, jnp.stack([n, 1.5 * n]), *args)
        else:
            out = rf_risk(e, w, n, *args)
        return jnp.log(jnp.stack([getattr(out, k) for k in GRAD_FIELDS]))

    return jax.jit(f)


@pytest.mark.parametrize(
    "kind, order",
    [
        ("iso", 1),
        ("structured", 1),
        pytest.param("iso", 2, marks=pytest.mark.slow),
        pytest.param("structured", 2, marks=pytest.mark.slow),
        pytest.param("deep", 2, marks=pytest.mark.slow),
    ],
)
def test_gradients(x64, kind, order):
    # Forward and reverse mode against central finite differences (check_grads) in
    # (log λ, log P, log N, log σ², α); the structured case also differentiates the inner κ_F
    # solve (its spectrum exponent is tied to α). Second order (and the deep model) is in the
    # slow set: compiling the nested implicit rules takes about a minute on a 2-core CPU.
    args = (np.log(1e-3), np.log(250.0), np.log(200.0), np.log(0.05), 1.4)
    check_grads(
        _grad_fn(kind), args, order=order, modes=("fwd", "rev"), eps=1e-4, atol=1e-6, rtol=1e-5
    )


def test_gradients_at_zero_ridge(x64):
    # λ = 0: width-bound (N < P) and data-bound (P < N) branches; finite first derivatives in
    # every argument, equal to finite differences (one-sided in λ: E_g is not analytic at
    # λ = 0, the one-sided difference converges like √h, hence h = 1e-11).
    e, w = _power(D, 1.5, 0.5)

    def f(lam, p_, n_):
        return rf_risk(e, w, n_, p_, lam, 0.1).test

    cases = jnp.asarray([[300.0, 200.0], [300.0, 450.0]], DTYPE)
    grads = jax.jit(jax.vmap(jax.grad(f, argnums=(0, 1, 2)), (None, 0, 0)))(
        0.0, cases[:, 0], cases[:, 1]
    )
    for i, (p, n) in enumerate(np.asarray(cases)):
        h = 1e-11
        fd_lam = (f(h, p, n) - f(0.0, p, n)) / h
        fd_p = (f(0.0, p + 1e-4, n) - f(0.0, p - 1e-4, n)) / 2e-4
        fd_n = (f(0.0, p, n + 1e-4) - f(0.0, p, n - 1e-4)) / 2e-4
        assert_allclose(grads[0][i], fd_lam, rtol=1e-4)
        assert_allclose(grads[1][i], fd_p, rtol=1e-5)
        assert_allclose(grads[2][i], fd_n, rtol=1e-5)


@pytest.mark.slow
def test_kappa_ratio_identity(x64):
    # THEORY §3.3: χ = d log κ₁ / d log κ₂ = 1/τ along a change of λ (κ₁ = λ/(1 − n/P)).
    e, w = _power(D, 1.5, 0.6)

    def logs(log_lam):
        out = rf_risk(e, w, 300.0, 400.0, jnp.exp(log_lam))
        return jnp.stack([jnp.log(out.kappa1), jnp.log(out.kappa2)])

    d1, d2 = jax.jit(jax.jacfwd(logs))(np.log(1e-3))
    tau = rf_risk(e, w, 300.0, 400.0, 1e-3).tau
    assert_allclose(d1 / d2, 1.0 / tau, rtol=1e-8)


# ------------------------------------------------------------------------------------------
# Transformations, dtype, errors.
# ------------------------------------------------------------------------------------------


def test_jit_equals_eager_and_dtype():
    e, w = _power(10, 1.5, 0.6)
    a = rf_risk(e, w, 5.0, 8.0, 1e-3, 0.1)
    b = JIT_RF(e, w, 5.0, 8.0, 1e-3, 0.1)
    for name in FIELDS:
        assert getattr(a, name).dtype == DTYPE
        assert_allclose(getattr(a, name), getattr(b, name), rtol=tol(1e-12, 1e-6), err_msg=name)


def test_vmap_equals_loop_and_no_retrace():
    e, w = _power(D, 1.5, 0.6)

    @eqx.debug.assert_max_traces(max_traces=1)
    def point(n, p, lam):
        return rf_risk(e, w, n, p, lam, 0.1)

    grid = jax.jit(jax.vmap(point))
    ns = jnp.asarray([100.0, 250.0, 500.0], DTYPE)
    ps = jnp.asarray([300.0, 200.0, 100.0], DTYPE)
    ls = jnp.asarray([1e-3, 0.0, 1e-1], DTYPE)
    batched = grid(ns, ps, ls)
    grid(ns * 1.1, ps * 0.9, ls * 2.0)  # a second grid: no new trace
    for i in range(3):
        one = rf(e, w, ns[i], ps[i], ls[i], 0.1)
        for name in FIELDS:
            assert_allclose(
                getattr(batched, name)[i], getattr(one, name), rtol=tol(1e-12, 1e-5), err_msg=name
            )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(ridge=-1.0), "ridge"),
        (dict(ridge=float("nan")), "ridge"),
        (dict(num_samples=0.0), "num_samples"),
        (dict(num_features=-3.0), "num_features"),
        (dict(noise_var=-0.1), "noise_var"),
        (dict(feature_var=0.0), "feature_var"),
        (dict(eigvals=-jnp.ones(10)), "eigvals"),
        (dict(eigvals=jnp.zeros(10)), "eigvals"),
        (dict(target_weights=jnp.ones(9)), "target_weights"),
        (dict(num_features=5.0, feature_eigvals=jnp.ones(4)), "num_features"),
        (dict(num_features=None, feature_eigvals=-jnp.ones(4)), "feature_eigvals"),
        (dict(num_features=None), "num_features"),
        (dict(num_features=jnp.ones(2)), "num_features"),
    ],
)
def test_bad_input_raises(kwargs, name):
    args = dict(
        eigvals=jnp.ones(10),
        target_weights=jnp.ones(10),
        num_features=5.0,
        num_samples=8.0,
        ridge=0.1,
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"`{name}"):
        rf_risk(**args)


def test_bad_input_raises_under_jit_and_deep():
    e, w = _iso(10)
    with pytest.raises(Exception, match="ridge"):
        jax.block_until_ready(JIT_RF(e, w, 5.0, 8.0, -1.0).test)
    with pytest.raises(ValueError, match="widths"):
        deep_rf_risk(e, w, jnp.asarray([5.0, -1.0]), 8.0, 0.1)
    with pytest.raises(ValueError, match="feature_vars"):
        deep_rf_risk(e, w, jnp.asarray([5.0, 4.0]), 8.0, 0.1, 0.0, feature_vars=jnp.ones(3))
    with pytest.raises(ValueError, match="feature_eigvals"):
        deep_rf_risk(e, w, jnp.asarray([5.0, 4.0]), 8.0, 0.1, 0.0, feature_eigvals=[None])
    with pytest.raises(ValueError, match="widths"):
        deep_rf_risk(
            e, w, jnp.asarray([5.0, 4.0]), 8.0, 0.1, 0.0, feature_eigvals=[None, jnp.ones(3)]
        )


def test_public_names():
    assert theory.rf_risk is rf_risk and theory.deep_rf_risk is deep_rf_risk


# ------------------------------------------------------------------------------------------
# Additive feature noise z = Fᵀx + ξ (THEORY §3.4, last bullet).
# ------------------------------------------------------------------------------------------

_S_STRUCT = np.arange(1, 201, dtype=np.float64) ** -0.7


def _noise_cases():
    e, w = _power(D, 1.5, 0.6)
    s = jnp.asarray(_S_STRUCT, DTYPE)
    return e, w, s


@pytest.mark.parametrize("lam", [1e-2, 0.0])
def test_feature_noise_zero_is_the_noise_free_model(lam):
    # σ_ξ² = 0 takes the noise-free code path value for value (bit-for-bit), on a width-bound,
    # a data-bound and a deep structured model, at λ > 0 and λ = 0.
    e, w, s = _noise_cases()
    pairs = [
        (lambda **k: rf_risk(e, w, 150.0, 250.0, lam, 0.04, **k)),
        (lambda **k: rf_risk(e, w, 300.0, 120.0, lam, 0.04, **k)),
        (
            lambda **k: deep(
                e,
                w,
                jnp.asarray([250.0, 200.0], DTYPE),
                150.0,
                lam,
                0.04,
                feature_eigvals=[None, s],
                **k,
            )
        ),
    ]
    for fn in pairs:
        a, b = fn(), fn(feature_noise_var=0.0)
        for name in FIELDS:
            np.testing.assert_array_equal(np.asarray(getattr(a, name)), getattr(b, name))


@pytest.mark.parametrize(
    "n, p, lam, sx, v",
    [
        (150.0, 200.0, 1e-2, 0.3, 1 / D),
        (300.0, 100.0, 1e-3, 1.0, 1 / D),
        (100.0, 300.0, 1e-3, 0.05, 2e-3),
    ],
)
def test_feature_noise_matches_the_substitution_rule(n, p, lam, sx, v):
    # One isotropic layer: THEORY §3.4's rule n₁ → n₁ + σ_ξ²/(vκ₂) (σ_ξ²/κ₂ in the paper's
    # df = n₁/D with v = 1/D), transcribed independently in SciPy, equals the general solution.
    e, w, _ = _noise_cases()
    out = rf_risk(e, w, n, p, lam, 0.04, feature_var=v, feature_noise_var=sx)
    ref = rf_substitution_reference(e, w, p, lam, 0.04, n, v, sx)
    for name in ("kappa1", "kappa2", "gamma1", "test", "train"):
        assert_allclose(getattr(out, name), ref[name], rtol=tol(1e-11, 2e-4), err_msg=name)
    assert_allclose(
        out.test - out.bias - out.var_f,
        out.var_x + out.var_xf + out.var_xnoise + out.var_xfnoise,
        rtol=tol(1e-10, 1e-4),
    )


@pytest.mark.parametrize("lam, sx", [(1e-4, 0.3), (1e-4, 0.01), (1e-2, 0.3), (1.0, 0.3)])
def test_feature_noise_train_against_extended_precision(x64, lam, sx):
    # E_tr with feature noise over P ∈ [1, 10 N] against a 40-digit transcription of THEORY
    # §3.4's rule: at P ≪ N the deficit P − n_C = (P − n) − δ is a difference of nearly equal
    # terms (it lost 3e-9 relative at P = 1, λ = 1e-4, σ_ξ² = 0.3 when formed that way); the
    # solver uses 1 − n_C/P = λ/κ₁ instead. E_g and κ₁ are checked alongside.
    e, w, _ = _noise_cases()
    n = 100.0
    sizes = np.geomspace(1.0, 10 * n, 7)
    out = jax.vmap(lambda p: rf_risk(e, w, n, p, lam, 0.04, feature_noise_var=sx))(
        jnp.asarray(sizes)
    )
    for i, p in enumerate(sizes):
        ref = rf_substitution_mp(e, w, p, lam, 0.04, n, 1 / D, sx)
        for name in ("train", "test", "kappa1", "kappa2"):
            assert_allclose(getattr(out, name)[i], ref[name], rtol=1e-10, err_msg=(name, p))


@pytest.mark.parametrize("p", [60.0, 150.0])
@pytest.mark.parametrize("lam", [1e-12, 1e-9])
def test_feature_noise_vanishing_factor_against_extended_precision(x64, p, lam):
    # As λ → 0 with feature noise one factor of λ = κ₁ (1 − n_C/P) vanishes: κ₁ = μ − σ_ξ² when
    # N < P, P − n_C when N > P. Formed directly the vanishing one keeps eps·σ_ξ²/κ₁ resp.
    # eps·(P − n)/(P − n_C) of relative accuracy (E_g was off by 7e-6 at λ = 2e-12, N < P); the
    # solver takes it from the master equation. Against 40-digit arithmetic.
    del x64
    e, w, _ = _noise_cases()
    n, sx = 100.0, 0.1
    out = rf_risk(e, w, n, p, lam, 0.04, feature_noise_var=sx)
    grid = theory.rf_risk_grid(e, w, n, jnp.asarray([p]), lam, 0.04, feature_noise_var=sx)
    ref = rf_substitution_mp(e, w, p, lam, 0.04, n, 1 / D, sx)
    for name in ("train", "test", "kappa1", "kappa2"):
        assert_allclose(getattr(out, name), ref[name], rtol=1e-12, err_msg=name)
        assert_allclose(getattr(grid, name)[0], ref[name], rtol=1e-12, err_msg=name)


def test_feature_noise_ridgeless_boundary_is_exact(x64):
    # λ = 0 with feature noise: the root lies on κ₁ = 0 when N < P and on n_C = P (E_tr = 0)
    # when N > P, exactly, not to rounding; the limits λ → 0 of the other fields.
    del x64
    e, w, _ = _noise_cases()
    for p, zero in ((150.0, "kappa1"), (60.0, "train")):
        at_zero = rf_risk(e, w, 100.0, p, 0.0, 0.04, feature_noise_var=0.1)
        near = rf_risk(e, w, 100.0, p, 1e-13, 0.04, feature_noise_var=0.1)
        grid = theory.rf_risk_grid(e, w, 100.0, p, jnp.asarray([0.0]), 0.04, feature_noise_var=0.1)
        assert float(getattr(at_zero, zero)) == 0.0, (p, zero)
        assert float(getattr(grid, zero)[0]) == 0.0, (p, zero)
        for name in ("test", "kappa2", "var_xf", "var_xfnoise"):
            assert_allclose(getattr(at_zero, name), getattr(near, name), rtol=1e-9, err_msg=name)


def test_s_transform_is_kappa2_over_ridge():
    # S = κ₂/λ = S_W·S_F; for one isotropic layer 1/S = (1 − n/P)·v(N − n) (THEORY §3.2), with
    # κ₂ and n from the independent SciPy reference.
    e, w, _ = _noise_cases()
    for n, p, lam in ((150.0, 250.0, 1e-2), (300.0, 100.0, 1e-3)):
        out = rf_risk(e, w, n, p, lam, 0.04)
        ref = rf_reference(np.asarray(e), np.asarray(w), p, lam, 0.04, [(1 / D, n)])
        assert_allclose(out.s_transform, ref["kappa2"] / lam, rtol=tol(1e-10, 1e-4))
        df = ref["df1"]
        assert_allclose(out.s_transform, 1 / ((1 - df / p) * (n - df) / D), rtol=tol(1e-10, 1e-4))
    # λ = 0: κ₂ = κ₀ > 0 when a width or the data bind below rank Σ, so S = +inf.
    assert float(rf_risk(e, w, 150.0, 250.0, 0.0).s_transform) == np.inf


@pytest.mark.parametrize("kind", ["structured", "deep"])
def test_feature_noise_matches_the_conditional_reference(kind):
    # Structured and deep weights, where the substitution rule does not apply: the reference
    # conditions on F (ridge regression on C = FᵀΣF + σ_ξ²I) and differentiates n_C and μ by
    # central differences (accuracy ~1e-9 relative).
    e, w, s = _noise_cases()
    if kind == "structured":
        out = rf_risk(e, w, None, 300.0, 1e-3, 0.04, feature_eigvals=s, feature_noise_var=0.2)
        ref = rf_reference(e, w, 300.0, 1e-3, 0.04, [(1 / D, _S_STRUCT)], 0.2)
    else:
        out = deep(
            e,
            w,
            jnp.asarray([250.0, 200.0], DTYPE),
            150.0,
            1e-3,
            0.04,
            feature_eigvals=[None, s],
            feature_noise_var=0.2,
        )
        ref = rf_reference(e, w, 150.0, 1e-3, 0.04, [(1 / D, 250.0), (1 / D, _S_STRUCT)], 0.2)
    for name in FIELDS:
        assert_allclose(getattr(out, name), ref[name], rtol=tol(1e-7, 2e-3), err_msg=name)


@pytest.mark.parametrize("n, p", [(150.0, 300.0), (300.0, 150.0)])
def test_feature_noise_ridgeless_is_the_limit(n, p):
    # λ = 0 with σ_ξ² > 0: the noisy features have full rank N, so κ₁ = 0 when N < P and
    # n_C = P when N > P. Limit of λ → 0⁺, and for N < P the closed form
    # E_g = [κ₂ tf₁ + σ_ε² N/P]/(1 − N/P) (the unexplained signal acts as label noise).
    e, w, _ = _noise_cases()
    zero = rf_risk(e, w, n, p, 0.0, 0.04, feature_noise_var=0.3)
    near = rf_risk(e, w, n, p, tol(1e-10, 1e-7), 0.04, feature_noise_var=0.3)
    for name in ("kappa2", "gamma1", "test", "var_f", "var_xf", "var_xfnoise"):
        assert_allclose(getattr(zero, name), getattr(near, name), rtol=tol(1e-6, 2e-3))
    if n < p:
        k2 = zero.kappa2
        tf1 = jnp.sum(w**2 * e / (e + k2))
        expected = (k2 * tf1 + 0.04 * n / p) / (1 - n / p)
        assert_allclose(zero.test, expected, rtol=tol(1e-10, 1e-4))
        assert float(zero.kappa1) == 0.0 or float(zero.kappa1) < 1e-12
    else:
        assert float(zero.train) < tol(1e-20, 1e-8)


def test_feature_noise_decomposition_and_monotonicity():
    # Six non-negative terms summing to E_g, and more feature noise never helps at fixed λ.
    e, w, s = _noise_cases()
    runs = [rf_risk(e, w, 200.0, 300.0, 1e-3, 0.04, feature_noise_var=x) for x in (0, 0.01, 0.1, 1)]
    out = jax.tree.map(lambda *xs: jnp.stack(xs), *runs)
    total = sum(getattr(out, t) for t in TERMS)
    assert_allclose(total, out.test, rtol=tol(1e-10, 1e-4))
    for t in TERMS:
        assert np.all(np.asarray(getattr(out, t)) >= 0), t
    assert np.all(np.diff(np.asarray(out.test)) > 0)


@pytest.mark.parametrize("kind", ["iso", pytest.param("structured", marks=pytest.mark.slow)])
def test_feature_noise_gradients(x64, kind):
    # Forward and reverse mode in (log σ_ξ², log λ, log P) against finite differences, on an
    # isotropic and (slow: compiling the nested implicit rules) a structured model.
    e, w, s = _noise_cases()
    spectrum = s if kind == "structured" else None
    width = None if kind == "structured" else 200.0

    def f(log_sx, log_lam, log_p):
        out = rf_risk(
            e,
            w,
            width,
            jnp.exp(log_p),
            jnp.exp(log_lam),
            0.04,
            feature_eigvals=spectrum,
            feature_noise_var=jnp.exp(log_sx),
        )
        return out.test + out.kappa1 + out.var_f

    args = (np.log(0.2), np.log(1e-3), np.log(250.0))
    check_grads(f, args, order=1, modes=("fwd", "rev"), eps=1e-4, atol=1e-6, rtol=1e-5)


def test_feature_noise_bad_input_raises():
    e, w, _ = _noise_cases()
    with pytest.raises(ValueError, match="jaxridge: argument `feature_noise_var`"):
        rf_risk(e, w, 100.0, 200.0, 1e-2, feature_noise_var=-0.1)
    with pytest.raises(ValueError, match="jaxridge: argument `feature_noise_var`"):
        deep(e, w, jnp.asarray([100.0], DTYPE), 200.0, 1e-2, feature_noise_var=jnp.ones(2))
