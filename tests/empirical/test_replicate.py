"""Replicates and their mean ± standard error (one implementation, used by sweep and notebooks)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import empirical, spectra
from tests.helpers import DTYPE, assert_allclose, tol


def test_replicate_uses_fold_in_keys_and_stacks_pytrees():
    e, w = spectra.power_law(60, 1.5, 0.4, dtype=DTYPE)
    lams = jnp.asarray([1e-3, 1e-1], DTYPE)

    def one(k):
        return empirical.rf_ridge_risk(k, e, w, 30, 25, lams, 0.04)

    key = jax.random.key(11)
    runs = empirical.replicate(one, key, 3)
    assert isinstance(runs, empirical.RFEmpiricalRisk) and runs.test.shape == (3, 2)
    for r in range(3):
        direct = one(jax.random.fold_in(key, r))
        np.testing.assert_array_equal(runs.test[r], np.asarray(direct.test))
        np.testing.assert_array_equal(runs.var_f[r], np.asarray(direct.var_f))


def test_replicate_curve_keeps_each_size_on_its_own_key():
    e, w = spectra.power_law(40, 1.5, 0.4, dtype=DTYPE)
    lams = jnp.asarray([1e-2], DTYPE)

    def one(k, p):
        return empirical.rf_ridge_risk(k, e, w, 20, p, lams, 0.04, num_data_seeds=2)

    sizes = [15, 25]
    keys = [jax.random.key(1000 * p) for p in sizes]
    runs = empirical.replicate_curve(one, keys, sizes, 2)
    assert runs.test.shape == (2, 2, 1)  # (replicates, sizes, ridges)
    for i, p in enumerate(sizes):
        for r in range(2):
            direct = one(jax.random.fold_in(keys[i], r), p)
            np.testing.assert_array_equal(runs.test[r, i], np.asarray(direct.test))
    with pytest.raises(ValueError, match="argument `keys`"):
        empirical.replicate_curve(one, keys[:1], sizes, 2)
    with pytest.raises(ValueError, match="argument `fn`"):
        empirical.replicate_curve(None, keys, sizes, 2)


def test_summarise_matches_the_textbook_formula():
    rng = np.random.default_rng(0)
    values = {"a": rng.normal(size=(5, 3)).astype(DTYPE), "b": rng.normal(size=(5,)).astype(DTYPE)}
    out = empirical.summarise(values)
    for k, v in values.items():
        x = np.asarray(v, np.float64)
        mean = x.sum(0) / 5
        stderr = np.sqrt(((x - mean) ** 2).sum(0) / 4) / np.sqrt(5)
        assert out.mean[k].dtype == v.dtype
        assert_allclose(out.mean[k], mean, rtol=tol(1e-15, 1e-6))
        assert_allclose(out.stderr[k], stderr, rtol=tol(1e-14, 1e-6))
    # Another axis, and under jit (jax.numpy in the input dtype): the same to rounding.
    last = empirical.summarise(np.moveaxis(values["a"], 0, -1), axis=-1)
    assert_allclose(last.stderr, out.stderr["a"], rtol=tol(1e-15, 1e-6))
    traced = jax.jit(empirical.summarise)(jnp.asarray(values["a"]))
    assert_allclose(traced.mean, out.mean["a"], rtol=tol(1e-14, 1e-5))
    assert_allclose(traced.stderr, out.stderr["a"], rtol=tol(1e-13, 1e-5))


def test_summarise_of_one_replicate_has_nan_stderr_and_bad_input_is_named():
    one = empirical.summarise(np.ones((1, 4), DTYPE))
    assert np.all(one.mean == 1.0) and np.all(np.isnan(one.stderr))
    with pytest.raises(ValueError, match="argument `values`"):
        empirical.summarise(np.ones((0, 4), DTYPE))
    with pytest.raises(ValueError, match="argument `values`"):
        empirical.summarise({})
    with pytest.raises(ValueError, match="argument `axis`"):
        empirical.summarise(np.ones((3,), DTYPE), axis=1)
    with pytest.raises(ValueError, match="argument `num_replicates`"):
        empirical.replicate(lambda k: k, jax.random.key(0), 0)
    with pytest.raises(ValueError, match="argument `fn`"):
        empirical.replicate(3, jax.random.key(0), 2)
