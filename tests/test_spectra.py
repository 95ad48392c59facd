"""Population spectra: values against NumPy, normalisations, differentiability, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import spectra
from tests.helpers import DTYPE, assert_allclose, tol


@pytest.mark.parametrize(("n", "alpha", "r"), [(1, 2.0, 0.5), (7, 1.5, 0.4), (1000, 3.3, 1.7)])
def test_power_law_convention(n, alpha, r):
    e, w = spectra.power_law(n, alpha, r, dtype=DTYPE)
    k = np.arange(1, n + 1, dtype=np.float64)
    assert e.shape == w.shape == (n,) and e.dtype == w.dtype == DTYPE
    assert_allclose(e, k**-alpha, rtol=tol(1e-13, 1e-5))
    # THEORY §4.1: e_k w̄_k² = k^−(1+2αr), i.e. w̄_k = k^−(1+α(2r−1))/2.
    assert_allclose(e * w**2, k ** -(1 + 2 * alpha * r), rtol=tol(1e-12, 1e-4))
    assert np.all(np.asarray(w) > 0)


def test_power_law_normalize_and_gradients():
    e, w = spectra.power_law(500, 1.7, 0.3, normalize=True, dtype=DTYPE)
    assert_allclose(jnp.sum(e * w**2), 1.0, rtol=tol(1e-12, 1e-5))

    def signal(alpha, r):
        e, w = spectra.power_law(50, alpha, r)
        return jnp.sum(e * w**2)

    g_alpha, g_r = jax.grad(signal, (0, 1))(jnp.asarray(1.5, DTYPE), jnp.asarray(0.4, DTYPE))
    k = np.arange(1, 51, dtype=np.float64)
    expo = 1 + 2 * 1.5 * 0.4
    # d/dα Σ k^−(1+2αr) = −2r Σ ln k · k^−(1+2αr); d/dr = −2α Σ ln k · k^−(1+2αr).
    assert_allclose(g_alpha, -2 * 0.4 * np.sum(np.log(k) * k**-expo), rtol=tol(1e-12, 1e-4))
    assert_allclose(g_r, -2 * 1.5 * np.sum(np.log(k) * k**-expo), rtol=tol(1e-12, 1e-4))


def test_isotropic():
    e, w = spectra.isotropic(40, norm2=2.5, dtype=DTYPE)
    assert_allclose(e, np.ones(40), rtol=0)
    assert_allclose(jnp.sum(w**2), 2.5, rtol=tol(1e-14, 1e-6))
    e0, w0 = spectra.isotropic(3, norm2=0.0, dtype=DTYPE)
    assert float(jnp.sum(w0**2)) == 0.0


def test_blocks():
    e, w = spectra.blocks([2, 3, 1], [1.0, 0.5, 0.0], [3.0, -1.0, 2.0], dtype=DTYPE)
    assert_allclose(e, [1, 1, 0.5, 0.5, 0.5, 0.0], rtol=0)
    assert_allclose(w, [3, 3, -1, -1, -1, 2], rtol=0)
    _, wn = spectra.blocks([10, 100], [1.0, 1e-2], [1.0, 10.0], target_norm=100.0, dtype=DTYPE)
    assert_allclose(jnp.linalg.norm(wn), 100.0, rtol=tol(1e-13, 1e-6))
    assert_allclose(wn[10] / wn[0], 10.0, rtol=tol(1e-13, 1e-6))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: spectra.power_law(0, 1.5, 0.5), "num_features"),
        (lambda: spectra.power_law(2.5, 1.5, 0.5), "num_features"),
        (lambda: spectra.power_law(10, -1.0, 0.5), "alpha"),
        (lambda: spectra.power_law(10, float("nan"), 0.5), "alpha"),
        (lambda: spectra.power_law(10, 1.5, float("inf")), "r"),
        (lambda: spectra.isotropic(10, norm2=-1.0), "norm2"),
        (lambda: spectra.blocks([1, 2], [1.0, -1.0], [1.0, 1.0]), "values"),
        (lambda: spectra.blocks([1, 2], [1.0], [1.0, 1.0]), "values"),
        (lambda: spectra.blocks([1, 0], [1.0, 1.0], [1.0, 1.0]), "sizes"),
        (lambda: spectra.blocks([], [], []), "sizes"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call()
