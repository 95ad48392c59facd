"""Spectra padded to bucket lengths: one compilation per bucket, results and gradients unchanged.

The public theory functions zero-pad ``eigvals``/``target_weights`` to
``_batching.spectrum_bucket(len)`` before their compiled core. Checked here: the ladder itself;
two lengths of one bucket share the core's compiled program (its ``_cache_size``); results equal
the core called with the unpadded spectrum and an independent SciPy reference; gradients keep
the caller's shape and equal those of the unpadded core (reverse and forward mode) and finite
differences; a length on a rung is not padded; errors report the caller's length.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

from jaxridge import _batching, spectra, theory
from jaxridge.theory import density, features, grid, linear
from jaxridge.theory._numerics import BLOCK
from tests.helpers import DTYPE, assert_allclose, tol

# Two lengths of one bucket (3072), and a length that is not on a rung (padded by 972 zeros).
D1, D2 = 2100, 2500
RTOL = tol(1e-12, 1e-5)
RIDGE_FIELDS = ("kappa", "df1", "df2", "gamma", "bias", "var_x", "var_noise", "test", "train")
RF_FIELDS = ("kappa1", "kappa2", "tau", "gamma1", "df1", "bias", "var_f", "var_xf", "test")
# (P, λ): ridge; ridgeless with rank(Σ) > P (κ₀ > 0); ridgeless with rank(Σ) < P (κ = 0).
POINTS = ((300.0, 1e-3), (300.0, 0.0), (5000.0, 0.0))


def _spectrum(d):
    return spectra.power_law(d, 1.5, 0.4, dtype=DTYPE)


def _scalar(x):
    return jnp.asarray(x, DTYPE)


def _close(actual, desired, fields, rtol=RTOL):
    for name in fields:
        a, b = getattr(actual, name), getattr(desired, name)
        assert a.shape == b.shape and a.dtype == b.dtype, name
        assert_allclose(a, b, rtol=rtol, err_msg=name)


# ------------------------------------------------------------------------------------------
# The ladder.
# ------------------------------------------------------------------------------------------


def test_ladder_values_and_waste_bound():
    """64·{1, 2, 3, 4, 6, 8, …}; every rung whole blocks; < 50 % more blocks than the length."""
    rungs = sorted({_batching.spectrum_bucket(n) for n in range(1, 7000)})
    assert rungs == [64, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192]
    for n in [*range(1, 5000), 2**20 + 1, 3 * 2**19 + 1, 10**7]:
        bucket = _batching.spectrum_bucket(n)
        assert bucket >= n and bucket % BLOCK == 0
        assert bucket < 1.5 * BLOCK * math.ceil(n / BLOCK) or n <= BLOCK
    assert _batching.spectrum_bucket(D1) == _batching.spectrum_bucket(D2) == 3072


@pytest.mark.parametrize("length", [64, 192, 2048, 3072])
def test_length_on_a_rung_is_not_padded(length):
    e, w = _spectrum(length)
    assert _batching.spectrum_bucket(length) == length
    padded_e, padded_w = _batching.pad_spectrum(e, w)
    assert padded_e is e and padded_w is w


def test_pad_spectrum_appends_zeros():
    e, w = _spectrum(D1)
    padded_e, padded_w = _batching.pad_spectrum(e, w)
    assert padded_e.shape == padded_w.shape == (3072,)
    assert padded_e.dtype == padded_w.dtype == DTYPE
    np.testing.assert_array_equal(padded_e[:D1], e)
    np.testing.assert_array_equal(padded_w[:D1], w)
    assert not np.any(padded_e[D1:]) and not np.any(padded_w[D1:])


# ------------------------------------------------------------------------------------------
# One compilation per bucket.
# ------------------------------------------------------------------------------------------


def _calls():
    """(name, compiled core, call at a spectrum) of every padded entry point."""
    p = jnp.logspace(1.0, 3.5, 6, dtype=DTYPE)[:, None]
    lam = jnp.concatenate([jnp.zeros(1, DTYPE), jnp.logspace(-4.0, 0.0, 4, dtype=DTYPE)])[None]
    x = jnp.logspace(-4.0, 0.5, 16, dtype=DTYPE)
    return [
        (
            "effective_ridge",
            linear._effective_ridge_jit,
            lambda e, w: theory.effective_ridge(e, 300.0, 1e-3),
        ),
        (
            "ridge_risk",
            linear._ridge_risk_jit,
            lambda e, w: theory.ridge_risk(e, w, 300.0, 1e-3, 0.1),
        ),
        ("ridge_risk_grid", grid._grid_jit, lambda e, w: theory.ridge_risk_grid(e, w, p, lam, 0.1)),
        ("rf_risk", features._risk, lambda e, w: theory.rf_risk(e, w, 500.0, 300.0, 1e-3, 0.1)),
        (
            "deep_rf_risk",
            features._risk,
            lambda e, w: theory.deep_rf_risk(e, w, jnp.asarray([800.0, 600.0], DTYPE), 300.0, 1e-3),
        ),
        (
            "sample_covariance_density",
            density._sample_covariance_jit,
            lambda e, w: theory.sample_covariance_density(x, e, 300.0),
        ),
    ]


@pytest.mark.parametrize("index", range(6), ids=[c[0] for c in _calls()])
def test_second_length_in_a_bucket_does_not_recompile(index):
    _, core, call = _calls()[index]
    # Earlier tests in this process may have compiled any bucket: start from an empty cache.
    core.clear_cache()
    jax.block_until_ready(call(*_spectrum(D1)))
    compiled = core._cache_size()
    assert compiled >= 1
    jax.block_until_ready(call(*_spectrum(D2)))
    assert core._cache_size() == compiled
    # A length in another bucket is a new program (the counter does count).
    jax.block_until_ready(call(*_spectrum(_batching.spectrum_bucket(D2) + 1)))
    assert core._cache_size() == compiled + 1


# ------------------------------------------------------------------------------------------
# Results equal the unpadded ones.
# ------------------------------------------------------------------------------------------


def _scipy_ridge(e, w, p, lam):
    """κ by Brent's method on F(κ) = κ − λ − (κ/P) Σ e/(e+κ) (float64), then THEORY §2.5."""
    e = np.asarray(e, np.float64)
    w = np.asarray(w, np.float64)
    rank = np.sum(e > 0)
    if lam == 0.0 and rank <= p:
        k = 0.0
    else:

        def f(u):
            k = np.exp(u)
            return 1.0 - lam / k - np.sum(e / (e + k)) / p

        hi = np.log(lam + e.sum() / p) + 1e-12
        k = np.exp(brentq(f, np.log(max(lam, 1e-300)), hi, xtol=1e-300, rtol=1e-15))
    positive = e > 0
    r = np.where(positive, e / np.where(positive, e + k, 1.0), 0.0)
    s = 1.0 - r
    gamma = np.sum(r * r) / p
    bias = np.sum(w**2 * e * s * s)
    return dict(kappa=k, df1=np.sum(r), gamma=gamma, bias=bias)


@pytest.mark.parametrize("p, lam", POINTS)
def test_ridge_risk_equals_unpadded_core_and_scipy(p, lam):
    e, w = _spectrum(D1)
    got = theory.ridge_risk(e, w, p, lam, 0.1)
    want = linear._ridge_risk_jit(e, w, _scalar(p), _scalar(lam), _scalar(0.1), None, True)
    _close(got, want, RIDGE_FIELDS)
    kappa, _ = linear._effective_ridge_jit(e, _scalar(p), _scalar(lam), None)
    assert_allclose(theory.effective_ridge(e, p, lam), kappa, rtol=RTOL)
    ref = _scipy_ridge(e, w, p, lam)
    for name, value in ref.items():
        assert_allclose(getattr(got, name), value, rtol=tol(1e-12, 1e-4), err_msg=name)


def test_ridge_risk_grid_equals_unpadded_core():
    e, w = _spectrum(D1)
    p = jnp.asarray([[300.0], [5000.0]], DTYPE)
    lam = jnp.asarray([[0.0, 1e-6, 1e-3, 1.0]], DTYPE)
    got = theory.ridge_risk_grid(e, w, p, lam, 0.1)
    shape = (2, 4)
    args = [jnp.broadcast_to(x, shape) for x in (p, lam, _scalar(0.1))]
    num_nodes = grid.default_num_nodes(DTYPE)
    want = grid._grid_jit(e, w, *args, num_nodes, None, True)
    _close(got, want, RIDGE_FIELDS)


def _rf_core(e, w, widths, p, lam, noise, spectra_=(), layout=None, fvars=None, what="rf_risk"):
    widths = jnp.asarray(widths, DTYPE)
    layout = (False,) * widths.shape[0] if layout is None else layout
    if fvars is None:  # the default 1/D, D the caller's length
        fvars = jnp.full(widths.shape, 1.0 / e.shape[0], DTYPE)
    return features._risk(
        layout,
        None,
        True,
        what,
        e,
        w,
        _scalar(p),
        _scalar(lam),
        _scalar(noise),
        _scalar(0.0),
        widths,
        fvars,
        tuple(spectra_),
    )


@pytest.mark.parametrize("p, lam", POINTS)
def test_rf_risk_equals_unpadded_core(p, lam):
    e, w = _spectrum(D1)
    got = theory.rf_risk(e, w, 500.0, p, lam, 0.1)
    _close(got, _rf_core(e, w, [500.0], p, lam, 0.1), RF_FIELDS)
    # The default feature variance is 1/D of the caller's D, not of the padded length.
    explicit = theory.rf_risk(e, w, 500.0, p, lam, 0.1, feature_var=1.0 / D1)
    _close(got, explicit, RF_FIELDS, rtol=tol(1e-14, 1e-6))


def test_deep_rf_risk_equals_unpadded_core():
    """Two layers, the second structured: ``feature_eigvals`` (length = width) is not padded."""
    e, w = _spectrum(D1)
    s = jnp.linspace(0.5, 1.5, 600, dtype=DTYPE)
    widths = jnp.asarray([800.0, 600.0], DTYPE)
    got = theory.deep_rf_risk(e, w, widths, 300.0, 1e-3, 0.1, feature_eigvals=[None, s])
    want = _rf_core(e, w, widths, 300.0, 1e-3, 0.1, [s], (False, True), what="deep_rf_risk")
    _close(got, want, RF_FIELDS)


def test_sample_covariance_density_equals_unpadded_core():
    e, _ = _spectrum(D1)
    # Grid points at 0, in the bulk, and outside the support.
    x = jnp.concatenate([jnp.zeros(1, DTYPE), jnp.logspace(-5.0, 1.0, 40, dtype=DTYPE)])
    got = theory.sample_covariance_density(x, e, 300.0)
    want = density._sample_covariance_jit(x, e, _scalar(D1), _scalar(300.0), None)
    assert got.shape == x.shape and got.dtype == DTYPE
    assert np.all(np.isfinite(got))
    assert_allclose(got, want, rtol=tol(1e-12, 1e-4), atol=tol(1e-14, 1e-6) * float(want.max()))


# ------------------------------------------------------------------------------------------
# Transformations and gradients.
# ------------------------------------------------------------------------------------------


def _test_error(e, w, padded=True):
    if padded:
        return theory.ridge_risk(e, w, 300.0, 1e-3, 0.1).test
    args = (_scalar(300.0), _scalar(1e-3), _scalar(0.1), None, True)
    return linear._ridge_risk_jit(e, w, *args).test


def _rf_test_error(e, w, padded=True):
    if padded:
        return theory.rf_risk(e, w, 500.0, 300.0, 1e-3, 0.1).test
    return _rf_core(e, w, [500.0], 300.0, 1e-3, 0.1).test


def _grid_test_error(e, w, padded=True):
    p = jnp.asarray([[300.0]], DTYPE)
    lam = jnp.asarray([[1e-3]], DTYPE)
    if padded:
        return theory.ridge_risk_grid(e, w, p, lam, 0.1).test[0, 0]
    noise = jnp.full((1, 1), 0.1, DTYPE)
    out = grid._grid_jit(e, w, p, lam, noise, grid.default_num_nodes(DTYPE), None, True)
    return out.test[0, 0]


def _kappa(e, w, padded=True):
    if padded:
        return theory.effective_ridge(e, 300.0, 1e-3)
    return linear._effective_ridge_jit(e, _scalar(300.0), _scalar(1e-3), None)[0]


# The grid and random-feature cores' gradients take tens of seconds to compile on 2 cores: with
# the slow checks, which CI runs.
@pytest.mark.parametrize(
    "fn",
    [
        _kappa,
        _test_error,
        pytest.param(_grid_test_error, marks=pytest.mark.slow),
        pytest.param(_rf_test_error, marks=pytest.mark.slow),
    ],
    ids=lambda f: f.__name__,
)
def test_gradients_keep_the_callers_shape(fn):
    """Reverse and forward mode in eigvals and target_weights equal the unpadded core's."""
    e, w = _spectrum(D1)
    grads = jax.grad(fn, argnums=(0, 1))(e, w)
    want = jax.grad(lambda a, b: fn(a, b, padded=False), argnums=(0, 1))(e, w)
    for got, ref in zip(grads, want, strict=True):
        assert got.shape == (D1,) and got.dtype == DTYPE
        assert np.all(np.isfinite(got))
        # float32: the tabulated grid's gradient moves by a few 1e-6 of its largest entry when
        # zeros are appended (a 1-ulp change of e moves it by ~6e-7), hence atol 1e-5.
        scale = float(jnp.max(jnp.abs(ref)))
        assert_allclose(got, ref, rtol=tol(1e-10, 1e-4), atol=tol(1e-14, 1e-5) * scale)
    # Forward mode: the padded entries have zero tangents, which must not turn into NaN.
    de = jnp.cos(jnp.arange(D1, dtype=DTYPE))
    dw = jnp.sin(jnp.arange(D1, dtype=DTYPE))
    _, tangent = jax.jvp(fn, (e, w), (de * e, dw))
    expected = jnp.sum(grads[0] * de * e) + jnp.sum(grads[1] * dw)
    assert_allclose(tangent, expected, rtol=tol(1e-10, 1e-3))


def test_gradient_equals_finite_differences(x64):
    e, w = _spectrum(D1)
    grad_e, grad_w = jax.grad(_test_error, argnums=(0, 1))(e, w)
    for k in (0, 5, 2099):
        # Steps of 1e-4 relative: truncation ~1e-8, below the solver's stopping noise / step.
        step = 1e-4 * float(e[k])
        up = _test_error(e.at[k].add(step), w)
        down = _test_error(e.at[k].add(-step), w)
        assert_allclose(grad_e[k], (up - down) / (2.0 * step), rtol=1e-6)
        step = 1e-4 * abs(float(w[k]))
        up = _test_error(e, w.at[k].add(step))
        down = _test_error(e, w.at[k].add(-step))
        assert_allclose(grad_w[k], (up - down) / (2.0 * step), rtol=1e-6)


def test_vmap_and_jit_of_padded_entry_points():
    """A user's vmap (over P, and over batches of spectra) and jit see the same results."""
    e, w = _spectrum(D1)
    ps = jnp.asarray([100.0, 300.0, 5000.0], DTYPE)
    curve = jax.vmap(theory.ridge_risk, (None, None, 0, None, None))(e, w, ps, 1e-3, 0.1)
    jitted = jax.jit(lambda e, w: theory.ridge_risk(e, w, 300.0, 1e-3, 0.1))(e, w)
    single = theory.ridge_risk(e, w, 300.0, 1e-3, 0.1)
    _close(jitted, single, RIDGE_FIELDS)
    for i, p in enumerate((100.0, 300.0, 5000.0)):
        assert_allclose(curve.test[i], theory.ridge_risk(e, w, p, 1e-3, 0.1).test, rtol=RTOL)
    stacked_e = jnp.stack([e, 2.0 * e])
    stacked_w = jnp.stack([w, 0.5 * w])
    batched = jax.vmap(lambda a, b: theory.rf_risk(a, b, 500.0, 300.0, 1e-3, 0.1).test)(
        stacked_e, stacked_w
    )
    for i in range(2):
        one = theory.rf_risk(stacked_e[i], stacked_w[i], 500.0, 300.0, 1e-3, 0.1).test
        assert_allclose(batched[i], one, rtol=tol(1e-12, 1e-4))


# ------------------------------------------------------------------------------------------
# Errors speak of the caller's spectrum.
# ------------------------------------------------------------------------------------------


def test_errors_report_the_callers_length():
    e, w = _spectrum(D1)
    with pytest.raises(ValueError, match=f"`target_weights` must have length {D1}, got {D1 - 1}"):
        theory.ridge_risk(e, w[:-1], 300.0, 1e-3)
    with pytest.raises(ValueError, match=f"`target_weights` must have length {D1}, got {D1 - 1}"):
        theory.rf_risk(e, w[:-1], 500.0, 300.0, 1e-3)
    with pytest.raises(ValueError, match="`eigvals` must be >= 0"):
        theory.ridge_risk_grid(e.at[3].set(-1.0), w, 300.0, 1e-3)
    with pytest.raises(ValueError, match="`eigvals` must have a positive entry"):
        theory.sample_covariance_density(1.0, jnp.zeros(D1, DTYPE), 300.0)
    # Traced: the check is attached to the unpadded input and fires when the program runs.
    with pytest.raises(ValueError, match="`eigvals` contains NaN or inf"):
        jax.vmap(theory.ridge_risk, (None, None, 0, None))(
            e.at[D1 - 1].set(jnp.nan), w, jnp.asarray([300.0], DTYPE), 1e-3
        )
