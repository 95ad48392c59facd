"""The tabulated random-feature evaluators `rf_risk_grid` / `deep_rf_risk_grid` against the
per-point solvers `rf_risk` / `deep_rf_risk` (and an extended-precision reference)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

from jaxridge import spectra, theory
from jaxridge.theory import rf_grid
from tests.helpers import DTYPE, assert_allclose, tol

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
    "s_transform",
)
D = 1500
NOISE = 0.04


def _spectrum(zeros=False):
    e, w = spectra.power_law(D, jnp.asarray(1.3, DTYPE), jnp.asarray(0.7, DTYPE))
    if zeros:  # a null space of dimension D/5
        e = e.at[::5].set(0.0)
    return e, w


def _axes(width, lam_min):
    """P log-spaced across the widths' thresholds (P = N on the grid); λ = 0 then lam_min…10."""
    p = np.geomspace(3.0, 2e4, 23)
    p[np.argmin(np.abs(np.log(p / width)))] = width
    lam = np.concatenate([[0.0], np.geomspace(lam_min, 10.0, 17)])
    return jnp.asarray(p, DTYPE), jnp.asarray(lam, DTYPE)


def _per_point(fn, p, lam):
    """``fn(P, λ)`` on the outer grid by a double vmap of the per-point solver."""
    return jax.jit(jax.vmap(jax.vmap(fn, (None, 0)), (0, None)))(p, lam)


def _compare(got, want, rtol, pole=None):
    """Every field relatively close, except values at the rounding level of the field's own
    scale: fields that vanish exactly at λ = 0 (variance terms of a noise-free or interpolating
    point) come out as ±1e-16·scale (float64) from either solver.

    ``pole`` is the index of the ridgeless threshold P = N with feature noise, where κ₁ = 0
    exactly and the variance diverges: each solver returns inf or a value of order 1/ε times
    its neighbours (κ₁ = μ − σ_ξ² is then rounding); both are checked for that.
    """
    for field in FIELDS:
        a, b = np.asarray(getattr(got, field)), np.asarray(getattr(want, field))
        assert a.shape == b.shape, field
        if pole is not None and field in ("var_xf", "var_xfnoise", "test", "test_out"):
            # against the next P at λ = 0 (small λ on the threshold approach the pole too)
            assert a[pole] > 1e3 * np.abs(a[pole[0] + 1, 0]), field
            assert b[pole] > 1e3 * np.abs(b[pole[0] + 1, 0]), field
            a, b = a.copy(), b.copy()
            a[pole] = b[pole] = 0.0
        np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b), err_msg=field)
        finite = np.abs(b[np.isfinite(b)])
        atol = tol(1e-14, 1e-6) * float(np.max(finite, initial=0.0))
        assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=field)


CASES = {
    # name: (rf_risk keyword arguments, width, smallest positive λ for the comparison)
    "isotropic": ({}, 400.0, 1e-12),
    "wide": ({}, 3000.0, 1e-12),
    "zeros": ({"zeros": True}, 700.0, 1e-12),
    "feature_var": ({"feature_var": 0.3 / D}, 400.0, 1e-12),
    # With feature noise the vanishing factor of λ = κ₁ (1 − n_C/P) comes from the equation;
    # in float32 the variance near the threshold pole (P = N, small λ) is rounding-dominated.
    "feature_noise": ({"feature_noise_var": 0.2}, 400.0, tol(1e-12, 1e-5)),
    "feature_noise_wide": ({"feature_noise_var": 0.2}, 3000.0, tol(1e-12, 1e-5)),
}


@functools.cache
def _case(name):
    kwargs, width, lam_min = CASES[name]
    kwargs = dict(kwargs)
    e, w = _spectrum(kwargs.pop("zeros", False))
    p, lam = _axes(width, lam_min)
    got = theory.rf_risk_grid(e, w, width, p[:, None], lam[None, :], NOISE, **kwargs)
    want = _per_point(lambda a, b: theory.rf_risk(e, w, width, a, b, NOISE, **kwargs), p, lam)
    return got, want


@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_rf_risk_on_every_field(name):
    """Every field equals the per-point solver at every grid point (λ = 0, thresholds incl.)."""
    got, want = _case(name)
    assert got.test.shape == (23, 18)
    kwargs, width, _ = CASES[name]
    p, _ = _axes(width, 1.0)
    pole = (int(np.argmin(np.abs(p - width))), 0) if "feature_noise_var" in kwargs else None
    _compare(got, want, tol(1e-10, 2e-3), pole)


# Tens of seconds on 2 cores (compilation): with the slow checks, which CI runs.
@pytest.mark.slow
def test_structured_and_deep_equal_per_point():
    """A structured layer (column spectrum) and a two-layer model with one structured layer."""
    e, w = _spectrum()
    s = jnp.asarray(np.linspace(0.2, 2.0, 300), DTYPE)
    p, lam = _axes(300.0, 1e-10)
    got = theory.rf_risk_grid(e, w, None, p[:, None], lam[None, :], NOISE, feature_eigvals=s)
    want = _per_point(
        lambda a, b: theory.rf_risk(e, w, None, a, b, NOISE, feature_eigvals=s), p, lam
    )
    _compare(got, want, tol(1e-10, 2e-3))
    widths = jnp.asarray([800.0, 300.0], DTYPE)
    spec = [None, s]
    got = theory.deep_rf_risk_grid(
        e, w, widths, p[:, None], lam[None, :], NOISE, feature_eigvals=spec
    )
    want = _per_point(
        lambda a, b: theory.deep_rf_risk(e, w, widths, a, b, NOISE, feature_eigvals=spec), p, lam
    )
    _compare(got, want, tol(1e-10, 2e-3))


def test_broadcast_shapes_and_noise_axis():
    """Fields take the broadcast shape of (P, λ, σ_ε²); a σ_ε² axis equals separate calls."""
    e, w = _spectrum()
    p = jnp.asarray([50.0, 500.0], DTYPE)
    s2 = jnp.asarray([0.0, 0.1, 1.0], DTYPE)
    out = theory.rf_risk_grid(e, w, 300.0, p[:, None, None], 1e-3, s2[None, None, :])
    assert out.test.shape == (2, 1, 3)
    for k in range(3):
        one = theory.rf_risk(e, w, 300.0, p[1], 1e-3, s2[k])
        assert_allclose(out.test[1, 0, k], one.test, rtol=tol(1e-10, 2e-3))


def _mp_isotropic(e, num_features, num_samples, ridge):
    """κ₂ and 1 − n/P of the noise-free isotropic model in 50-digit arithmetic (bisection in
    log κ₂ on λ = κ₂ (1 − n/P) v (N − n), v = 1/D)."""
    mpmath.mp.dps = 50
    es = [mpmath.mpf(float(x)) for x in np.asarray(e)]
    v = mpmath.mpf(1) / len(es)
    big_p, big_n, lam = (mpmath.mpf(x) for x in (num_samples, num_features, ridge))

    def n_of(k):
        return mpmath.fsum(x / (x + k) for x in es)

    m = min(big_p, big_n)
    lo, hi = mpmath.mpf(-60), mpmath.mpf(10)  # κ₀: n(κ₀) = m, n decreasing in κ
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if n_of(mpmath.e**mid) > m else (lo, mid)
    lo, hi = hi, mpmath.mpf(10)
    for _ in range(200):
        mid = (lo + hi) / 2
        k = mpmath.e**mid
        n = n_of(k)
        h = k * (1 - n / big_p) * v * (big_n - n)
        lo, hi = (mid, hi) if h < lam else (lo, mid)
    k = mpmath.e**lo
    return float(k), float(1 - n_of(k) / big_p)


@pytest.mark.parametrize(
    ("num_features", "num_samples", "ridge"),
    [(400.0, 60.0, 1e-11), (90.0, 300.0, 1e-11), (120.0, 120.0, 1e-15)],
)
def test_vanishing_deficit_to_extended_precision(x64, num_features, num_samples, ridge):
    """The binding deficit (P − n, N − n, or both at P = N) is ~1e-9 of its size at λ = 1e-11
    (~1e-6 at P = N, λ = 1e-15, where it goes as √λ); both solvers give κ₂ and
    1 − n/P = √(E_tr/E_out) to ~1e-14 against 50-digit arithmetic."""
    del x64
    e, w = spectra.power_law(200, 1.5, 0.5)
    kappa, a = _mp_isotropic(e, num_features, num_samples, ridge)
    point = theory.rf_risk(e, w, num_features, num_samples, ridge, NOISE)
    grid = theory.rf_risk_grid(e, w, num_features, jnp.asarray([num_samples]), ridge, NOISE)
    for out in (point, jax.tree.map(lambda x: x[0], grid)):
        assert_allclose(out.kappa2, kappa, rtol=1e-13)
        assert_allclose(jnp.sqrt(out.train / out.test_out), a, rtol=1e-12)


# Tens of seconds on 2 cores (compilation): with the slow checks, which CI runs.
@pytest.mark.slow
def test_gradients_equal_per_point(x64):
    """Reverse-mode gradients in (N, λ, σ_ε², e, w̄) equal those of the per-point solver."""
    del x64
    e, w = spectra.power_law(300, 1.4, 0.6)
    p = jnp.asarray([40.0, 150.0, 900.0])

    def via_grid(n, lam, s2, e, w):
        return jnp.sum(theory.rf_risk_grid(e, w, n, p, lam, s2, feature_noise_var=0.1).test)

    def via_point(n, lam, s2, e, w):
        one = jax.vmap(lambda q: theory.rf_risk(e, w, n, q, lam, s2, feature_noise_var=0.1).test)
        return jnp.sum(one(p))

    args = (200.0, 1e-3, 0.05, e, w)
    got = jax.grad(via_grid, argnums=(0, 1, 2, 3, 4))(*args)
    want = jax.grad(via_point, argnums=(0, 1, 2, 3, 4))(*args)
    for g, h in zip(got, want, strict=True):
        assert_allclose(g, h, rtol=1e-8, atol=1e-12 * float(jnp.max(jnp.abs(h))))


def test_throw_false_reports_per_point_status():
    e, w = _spectrum()
    out = theory.rf_risk_grid(e, w, 300.0, jnp.asarray([10.0, 1e3]), 1e-4, throw=False)
    assert out.converged.shape == (2,) and bool(jnp.all(out.converged))
    assert out.num_steps.dtype == jnp.int32 and bool(jnp.all(out.num_steps > 0))


def test_new_values_and_lengths_do_not_recompile():
    """A second grid of the same shape, other values and a spectrum of another length in the
    same bucket reuse the compiled program."""
    e, w = spectra.power_law(1100, jnp.asarray(1.5, DTYPE), jnp.asarray(0.5, DTYPE))
    p = jnp.geomspace(10.0, 1e3, 7).astype(DTYPE)
    theory.rf_risk_grid(e, w, 200.0, p, 1e-3)
    before = rf_grid._rf_grid._cache_size()
    e2, w2 = spectra.power_law(1200, jnp.asarray(1.2, DTYPE), jnp.asarray(0.3, DTYPE))
    theory.rf_risk_grid(e2, w2, 350.0, 2.0 * p, 1e-2, 0.1)
    assert rf_grid._rf_grid._cache_size() == before


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"num_samples": -1.0}, "num_samples"),
        ({"ridges": jnp.asarray([1e-3, -1.0])}, "ridges"),
        ({"noise_var": jnp.nan}, "noise_var"),
        ({"num_features": 0.0}, "num_features"),
        ({"num_nodes": 3}, "num_nodes"),
        ({"feature_noise_var": -0.1}, "feature_noise_var"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    e, w = spectra.power_law(100, 1.5, 0.5)
    args = {"num_features": 50.0, "num_samples": 30.0, "ridges": 1e-3, "noise_var": 0.0}
    args.update(kwargs)
    extra = {k: args.pop(k) for k in ("num_nodes", "feature_noise_var") if k in args}
    with pytest.raises((ValueError, RuntimeError), match=f"`{name}`"):
        out = theory.rf_risk_grid(
            e,
            w,
            args["num_features"],
            args["num_samples"],
            args["ridges"],
            args["noise_var"],
            **extra,
        )
        jax.block_until_ready(out.test)
