"""Tests for decompose, resolvent_trace, empirical_spectrum (THEORY §2.1, §2.8)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import spectra
from jaxridge.empirical import decompose, empirical_spectrum, resolvent_trace, sample_data
from tests.helpers import DTYPE, assert_allclose, tol

SHAPES = [(12, 30), (30, 12), (20, 20)]


def _data(p, n, seed=0):
    e, w = spectra.power_law(n, alpha=1.0, r=0.5)
    return sample_data(jax.random.key(seed), e, w, p, 0.1)


@pytest.mark.parametrize("p, n", SHAPES)
def test_resolvent_trace_matches_numpy(p, n):
    X, y = _data(p, n)
    d = decompose(X, y)
    Xn = np.asarray(X, np.float64)
    cov = Xn.T @ Xn / p
    gram = Xn @ Xn.T / p
    z = np.array([-0.1, -2.0, 0.3 + 0.05j, -1e-3 + 1e-2j])
    m_feat = resolvent_trace(d, jnp.asarray(z))
    m_samp = resolvent_trace(d, jnp.asarray(z), side="samples")
    assert jnp.iscomplexobj(m_feat)
    # Reference: normalised traces of the explicit inverses (NumPy float64).
    ref_feat = [np.trace(np.linalg.inv(cov - zz * np.eye(n))) / n for zz in z]
    ref_samp = [np.trace(np.linalg.inv(gram - zz * np.eye(p))) / p for zz in z]
    assert_allclose(m_feat, ref_feat, rtol=tol(1e-9, 2e-3))
    assert_allclose(m_samp, ref_samp, rtol=tol(1e-9, 2e-3))
    # Real z gives a real result of the input dtype.
    real = resolvent_trace(d, jnp.asarray([-0.5, -1.0], DTYPE))
    assert real.dtype == DTYPE
    assert_allclose(
        real,
        [
            np.trace(np.linalg.inv(cov + 0.5 * np.eye(n))) / n,
            np.trace(np.linalg.inv(cov + np.eye(n))) / n,
        ],
        rtol=tol(1e-9, 2e-3),
    )


@pytest.mark.parametrize("p, n", SHAPES)
def test_empirical_spectrum_matches_numpy(p, n):
    X, y = _data(p, n, seed=1)
    d = decompose(X, y)
    Xn = np.asarray(X, np.float64)
    ref_feat = np.linalg.eigvalsh(Xn.T @ Xn / p)
    ref_samp = np.linalg.eigvalsh(Xn @ Xn.T / p)
    # Null eigenvalues are reported as exact zeros: compare with an absolute floor.
    floor = tol(1e-12, 1e-5) * ref_feat.max()
    assert_allclose(empirical_spectrum(d), ref_feat, rtol=tol(1e-9, 1e-3), atol=floor)
    assert_allclose(
        empirical_spectrum(d, side="samples"), ref_samp, rtol=tol(1e-9, 1e-3), atol=floor
    )
    assert float(d.rank) == min(p, n)


def test_marchenko_pastur_v03():
    # THEORY V03: Σ = I, N/P = 2, λ = 0.1: m(−λ) = κ/(λ(1+κ)) = 5.422140 and κ̂ → κ.
    # At N = 2000 linear spectral statistics fluctuate by O(1/N) (CLT for linear statistics)
    # and the finite-size bias is O(1/N) too, so 1 % (the V03 tolerance) is a wide margin.
    n, p, lam = 2000, 1000, 0.1
    q = n / p
    kappa = 0.5 * ((q + lam - 1.0) + np.sqrt((1.0 - q - lam) ** 2 + 4.0 * lam))
    m_ref = kappa / (lam * (1.0 + kappa))
    m_quad = (-(lam + 1 - q) + np.sqrt((lam + 1 - q) ** 2 + 4 * q * lam)) / (2 * q * lam)
    np.testing.assert_allclose(m_ref, m_quad, rtol=1e-12)
    np.testing.assert_allclose(m_ref, 5.422140, rtol=1e-6)
    e, w = spectra.isotropic(n, dtype=DTYPE)
    X, y = sample_data(jax.random.key(0), e, w, p, 0.0)
    d = decompose(X, y)
    m = float(resolvent_trace(d, -lam))
    assert abs(m / m_ref - 1.0) < 0.01
    # κ̂ = P/Tr[(G+λ)⁻¹] = 1/tr_P (G+λ)⁻¹, within 1 % of κ.
    kappa_hat = 1.0 / float(resolvent_trace(d, -lam, side="samples"))
    assert abs(kappa_hat / kappa - 1.0) < 0.01
    # df̂/N = 1 − λ m(−λ) = 1/(1+κ).
    assert abs((1.0 - lam * m) * (1.0 + kappa) - 1.0) < 0.01


@pytest.mark.parametrize("p, n", [(7, 20), (25, 10)])
def test_zero_padding_leaves_decomposition_invariant(p, n):
    X, y = _data(p, n, seed=2)
    d = decompose(X, y)
    Xp = jnp.zeros((p + 5, n + 3), X.dtype).at[:p, :n].set(X)
    yp = jnp.zeros((p + 5,), y.dtype).at[:p].set(y)
    dp = decompose(Xp, yp, num_samples=p, num_features=n)
    assert float(dp.rank) == float(d.rank)
    z = jnp.asarray([-0.2, -3.0], X.dtype)
    for side in ("features", "samples"):
        assert_allclose(
            resolvent_trace(dp, z, side=side),
            resolvent_trace(d, z, side=side),
            rtol=tol(1e-10, 1e-4),
        )


@pytest.mark.parametrize(
    "args, name",
    [
        ((jnp.ones(3), jnp.ones(3)), "X"),
        ((jnp.ones((3, 2)), jnp.ones(2)), "y"),
        ((jnp.ones((3, 2)).at[0, 0].set(jnp.nan), jnp.ones(3)), "X"),
        ((jnp.ones((3, 2)), jnp.ones(3).at[1].set(jnp.inf)), "y"),
    ],
)
def test_bad_input(args, name):
    with pytest.raises(ValueError, match=name):
        decompose(*args)


def test_bad_side_and_sizes():
    d = decompose(jnp.ones((3, 2)), jnp.ones(3))
    with pytest.raises(ValueError, match="side"):
        resolvent_trace(d, -1.0, side="rows")
    with pytest.raises(ValueError, match="num_samples"):
        decompose(jnp.ones((3, 2)), jnp.ones(3), num_samples=4)
    with pytest.raises(ValueError, match="num_features"):
        decompose(jnp.ones((3, 2)), jnp.ones(3), num_features=0)


@pytest.mark.parametrize("p, n", [(12, 30), (30, 12)])
def test_feature_vecs_are_eigenvectors_of_the_covariance(p, n):
    X, y = _data(p, n, seed=3)
    d = decompose(X, y)
    assert d.side == ("samples" if p <= n else "features")
    V = np.asarray(d.feature_vecs, np.float64)
    g = np.asarray(d.eigvals, np.float64)
    Xn = np.asarray(X, np.float64)
    cov = Xn.T @ Xn / p
    # Reference: the definition Σ̂ vᵢ = gᵢ vᵢ with orthonormal vᵢ (NumPy float64).
    atol = tol(1e-10, 1e-4) * g.max()
    np.testing.assert_allclose(cov @ V, V * g[None, :], atol=atol)
    np.testing.assert_allclose(V.T @ V, np.eye(len(g)), atol=tol(1e-10, 1e-4))
