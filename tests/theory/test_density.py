"""Spectral densities vs closed forms, SciPy quadrature, polynomial roots and Monte Carlo.

References are written from the random-matrix facts (THEORY §2.2–2.4, §7), in NumPy/SciPy
float64, independently of the package:

* the Marchenko–Pastur and semicircle closed forms;
* for a spectrum of two blocks, Silverstein's equation for the Gram Stieltjes transform,
  ``z = −1/m + (1/P) Σ_k e_k/(1 + e_k m)``, is a cubic in ``m``; on the real axis a real cubic
  has at most one complex-conjugate pair of roots, so the density is fixed by ``max |Im m|``;
* the same holds for the product-Wishart cubic (two layers);
* support edges are the critical values of the inverse functions ``x(m)`` and ``x(t)``
  (polynomial roots), so quadrature runs over exact sub-intervals with the substitution
  ``x = a + (b − a)(1 − cos θ)/2``, which makes square-root edges smooth for Gauss–Legendre.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.polynomial import Polynomial
from scipy.special import roots_legendre

from jaxridge import theory
from tests.helpers import DTYPE, X64, assert_allclose, tol

QS = [0.1, 0.32, 1.0, 3.2, 10.0]
# Two-block spectra (n₁ eigenvalues at a, n₂ at b) and P: overlapping bulks with P > N, a
# gapped spectrum with P < N, and P ≫ N (two separate bulks).
TWO_BLOCKS = [(512, 1.0, 512, 0.1, 2000.0), (256, 1.0, 768, 0.05, 300.0), (128, 2.0, 896, 0.5, 1e4)]
PRODUCTS = [[200, 1000, 6000], [100, 300, 900], [500, 200, 1000], [1000, 500, 250]]
# One grid length and one spectrum length (N) everywhere: one compilation per function and dtype.
GRID = 2048
N_FEATURES = 1024


# ---------------------------------------------------------------------------------------------
# Independent references.
# ---------------------------------------------------------------------------------------------


def mp_reference(x, q, var):
    x = np.asarray(x, np.float64)
    lo, hi = var * (1 - np.sqrt(q)) ** 2, var * (1 + np.sqrt(q)) ** 2
    inside = (x > lo) & (x < hi)
    xs = np.where(inside, x, 1.0)
    root = np.sqrt(np.maximum((hi - xs) * (xs - lo), 0.0))
    return np.where(inside, root / (2 * np.pi * var * q * xs), 0.0)


def two_block_polynomials(n1, a, n2, b, p):
    """Numerator of the Silverstein equation (a cubic in m, minus z·m(1+am)(1+bm)) and of x'(m)."""
    m = Polynomial([0.0, 1.0])
    ua, ub = 1 + a * m, 1 + b * m
    rest = ua * ub - (n1 / p) * a * m * ub - (n2 / p) * b * m * ua  # x·m·ua·ub = −rest
    critical = ua**2 * ub**2 - (n1 / p) * a**2 * m**2 * ub**2 - (n2 / p) * b**2 * m**2 * ua**2
    return m * ua * ub, rest, critical


def two_block_reference(x, n1, a, n2, b, p):
    """ρ(x) = (P/N) Im m(x + i0)/π from the roots of the cubic x·m(1+am)(1+bm) + rest = 0."""
    lead, rest, _ = two_block_polynomials(n1, a, n2, b, p)
    out = [np.max(np.abs((xx * lead + rest).roots().imag)) for xx in np.asarray(x, np.float64)]
    return (p / (n1 + n2)) * np.asarray(out) / np.pi


def two_block_edges(n1, a, n2, b, p):
    """Critical values of x(m) = −1/m + (1/P)Σ e/(1 + em) at real m: the support edges."""
    _, _, critical = two_block_polynomials(n1, a, n2, b, p)
    m = critical.roots()
    m = m[np.abs(m.imag) < 1e-9].real
    x = -1 / m + (n1 / p) * a / (1 + a * m) + (n2 / p) * b / (1 + b * m)
    return np.sort(x[x > 0])


def product_polynomial(widths):
    w = np.asarray(widths, np.float64)
    poly = Polynomial([1.0, 1.0])
    for c in w[-1] / w[:-1]:
        poly = poly * Polynomial([1.0, c])
    return poly  # z·t = poly(t)


def product_reference(x, widths):
    """Two layers: ρ(x) = |Im t|/(πx) with t the complex root of the real cubic z·t = p(t)."""
    poly = product_polynomial(widths)
    t = Polynomial([0.0, 1.0])
    x = np.asarray(x, np.float64)
    return np.array([np.max(np.abs((poly - xx * t).roots().imag)) for xx in x]) / (np.pi * x)


def product_edges(widths):
    """Critical values of x(t) = p(t)/t: real roots of t·p'(t) − p(t)."""
    poly = product_polynomial(widths)
    t = (Polynomial([0.0, 1.0]) * poly.deriv() - poly).roots()
    t = t[np.abs(t.imag) < 1e-9].real
    t = t[t != 0]
    x = poly(t) / t
    return np.sort(x[x > 0])


def interval_moments(density, breaks, powers, order=256):
    """∫ xᵏ ρ(x) dx over every [a, b] between sorted breaks, shape (len(powers), intervals).

    Gauss–Legendre in θ with ``x = a + (b − a)(1 − cos θ)/2``, θ ∈ [0, π], which turns √ edges
    (and x^{-1/2} at 0) into smooth integrands. All nodes go through ``density`` at once (in
    GRID-sized chunks).
    """
    breaks = np.asarray(breaks, np.float64)
    t, w = roots_legendre(order)
    theta, weight = 0.5 * np.pi * (t + 1), 0.5 * np.pi * w
    lo, hi = breaks[:-1, None], breaks[1:, None]
    x = lo + 0.5 * (hi - lo) * (1 - np.cos(theta))
    jac = 0.5 * (hi - lo) * np.sin(theta) * weight
    values = evaluate(density, x.ravel()).reshape(x.shape)
    return np.array([np.sum(jac * x**k * values, axis=1) for k in powers])


def integrate(density, breaks, powers, order=256):
    """∫ xᵏ ρ(x) dx for k in ``powers`` over [min, max] of the breaks (see interval_moments)."""
    breaks = np.unique(np.asarray(breaks, np.float64))
    return [float(v) for v in interval_moments(density, breaks, powers, order).sum(axis=1)]


def evaluate(density, x):
    """Evaluate on GRID-sized chunks (so every call reuses one compiled shape)."""
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    for start in range(0, x.size, GRID):
        chunk = x[start : start + GRID]
        padded = np.pad(chunk, (0, GRID - chunk.size), constant_values=1.0)
        out[start : start + GRID] = np.asarray(density(jnp.asarray(padded, DTYPE)))[: chunk.size]
    return out


def two_block_eigvals(n1, a, n2, b):
    return jnp.asarray(np.r_[np.full(n1, a), np.full(n2, b)], DTYPE)


# ---------------------------------------------------------------------------------------------
# Closed forms.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("var", [1.0, 0.3])
def test_semicircle_mass_and_moments(var):
    radius = 2 * np.sqrt(var)
    mass, m2, m4 = integrate(
        lambda x: theory.semicircle_density(x, var), [-radius, radius], [0, 2, 4]
    )
    rtol = tol(1e-11, 1e-5)
    assert_allclose(mass, 1.0, rtol=rtol)
    assert_allclose(m2, var, rtol=rtol)
    assert_allclose(m4, 2 * var**2, rtol=rtol)  # Catalan number C₂
    x = jnp.asarray([-1.1 * radius, -radius, 0.0, 0.5 * radius, radius], DTYPE)
    expected = np.sqrt(np.maximum(4 * var - np.asarray(x, np.float64) ** 2, 0)) / (2 * np.pi * var)
    assert_allclose(theory.semicircle_density(x, var), expected, rtol=tol(1e-14, 1e-6))


@pytest.mark.parametrize("var", [1.0, 2.5])
@pytest.mark.parametrize("q", QS)
def test_marchenko_pastur_mass_moments_edges(q, var):
    lo, hi = theory.marchenko_pastur_edges(q, var)
    assert_allclose(lo, var * (1 - np.sqrt(q)) ** 2, rtol=tol(1e-14, 1e-5), atol=1e-12)
    assert_allclose(hi, var * (1 + np.sqrt(q)) ** 2, rtol=tol(1e-14, 1e-6))
    density = lambda x: theory.marchenko_pastur_density(x, q, var)  # noqa: E731
    mass, m1, m2 = integrate(density, [float(lo), float(hi)], [0, 1, 2])
    rtol = tol(1e-11, 2e-5)
    assert_allclose(mass, min(1.0, 1.0 / q), rtol=rtol)  # the atom 1 − 1/q is at 0
    assert_allclose(m1, var, rtol=rtol)
    assert_allclose(m2, var**2 * (1 + q), rtol=rtol)
    x = np.linspace(-0.5, 1.2 * float(hi), GRID)
    got = theory.marchenko_pastur_density(jnp.asarray(x, DTYPE), q, var)
    # float32: √((b − x)(x − a)) has relative error ~eps·b/|x − edge| next to an edge.
    assert_allclose(got, mp_reference(x, q, var), rtol=tol(1e-12, 1e-4), atol=tol(0, 1e-4))
    assert np.all(np.asarray(got)[(x <= float(lo)) | (x >= float(hi))] == 0)


# ---------------------------------------------------------------------------------------------
# Sample covariance (Silverstein / κ equation).
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", QS)
def test_sample_covariance_equal_eigenvalues_is_marchenko_pastur(q):
    var, n = 2.5, N_FEATURES
    hi = var * (1 + np.sqrt(q)) ** 2
    x = np.linspace(0.0, 1.1 * hi, GRID + 1)[1:]
    got = np.asarray(
        theory.sample_covariance_density(jnp.asarray(x, DTYPE), jnp.full(n, var, DTYPE), n / q)
    )
    want = mp_reference(x, q, var)
    if X64:
        assert_allclose(got, want, rtol=0, atol=1e-6 * want.max())
        bulk = want > 1e-2 * want.max()
        assert_allclose(got[bulk], want[bulk], rtol=1e-9)
    else:
        bulk = want > 1e-2 * want.max()
        assert_allclose(got[bulk], want[bulk], rtol=2e-3)
        assert_allclose(got, want, atol=2e-3 * want.max())


@pytest.mark.parametrize("case", TWO_BLOCKS)
def test_sample_covariance_two_blocks_matches_cubic_roots(case):
    n1, a, n2, b, p = case
    edges = two_block_edges(*case)
    x = np.linspace(0.0, 1.2 * edges.max(), GRID + 1)[1:]
    got = np.asarray(
        theory.sample_covariance_density(jnp.asarray(x, DTYPE), two_block_eigvals(n1, a, n2, b), p)
    )
    want = two_block_reference(x, *case)
    bulk = want > 1e-2 * want.max()
    assert_allclose(got[bulk], want[bulk], rtol=tol(1e-9, 2e-3))
    assert_allclose(got, want, rtol=0, atol=tol(1e-9, 2e-3) * want.max())


@pytest.mark.parametrize("case", TWO_BLOCKS)
def test_sample_covariance_two_blocks_mass_and_moments(case):
    n1, a, n2, b, p = case
    e = np.r_[np.full(n1, a), np.full(n2, b)]
    n = e.size
    density = lambda x: theory.sample_covariance_density(x, jnp.asarray(e, DTYPE), p)  # noqa: E731
    edges = two_block_edges(*case)
    mass, m1, m2 = integrate(density, [0.0, *edges], [0, 1, 2])
    rtol = tol(1e-8, 1e-4)
    assert_allclose(mass, min(n, p) / n, rtol=rtol)
    assert_allclose(m1, e.sum() / n, rtol=rtol)  # E tr_N Σ̂ = tr_N Σ (the atom adds nothing)
    assert_allclose(m2, (np.sum(e**2) + e.sum() ** 2 / p) / n, rtol=rtol)


def test_sample_covariance_rank_deficient_population_mass():
    """r = 600 positive eigenvalues of N = 1024, P = 400 and P = 900: mass min(r, P)/N."""
    e = np.r_[np.full(300, 1.0), np.full(300, 0.3), np.zeros(N_FEATURES - 600)]
    for p in [400.0, 900.0]:
        density = lambda x, p=p: theory.sample_covariance_density(x, jnp.asarray(e, DTYPE), p)  # noqa: E731
        # Zero eigenvalues add nothing to x(m): the edges are those of the 600 positive ones.
        edges = two_block_edges(300, 1.0, 300, 0.3, p)
        mass, m1, m2 = integrate(density, [0.0, *edges], [0, 1, 2])
        rtol = tol(1e-8, 1e-4)
        assert_allclose(mass, min(600, p) / N_FEATURES, rtol=rtol)
        assert_allclose(m1, e.sum() / N_FEATURES, rtol=rtol)
        assert_allclose(m2, (np.sum(e**2) + e.sum() ** 2 / p) / N_FEATURES, rtol=rtol)


def test_sample_covariance_finite_eta_is_smoothed_marchenko_pastur():
    """With an explicit η the result is (P/N) Im[1/κ(x + iη)]/π, κ the MP root with Im κ < 0."""
    q, eta = 2.0, 0.05
    x = np.linspace(0.05, 7.0, GRID)
    got = theory.sample_covariance_density(
        jnp.asarray(x, DTYPE), jnp.ones(128, DTYPE), 64.0, eta=eta
    )
    want = []
    for z in x + 1j * eta:
        # κ = −z + qκ/(1 + κ)  ⇔  κ² + (1 + z − q)κ + z = 0.
        roots = np.roots([1.0, 1.0 + z - q, z])
        kappa = roots[np.argmin(roots.imag)]
        want.append((1 / q) * (1 / kappa).imag / np.pi)
    assert_allclose(got, np.asarray(want), rtol=tol(1e-10, 1e-4))
    sharp = theory.sample_covariance_density(jnp.asarray(x, DTYPE), jnp.ones(128, DTYPE), 64.0)
    assert np.max(np.abs(np.asarray(sharp) - np.asarray(got))) > 1e-2  # η does matter


def test_sample_covariance_scale_covariance():
    """ρ for the spectrum s·e is ρ(x/s)/s, down to tiny scales (solved in units of max e)."""
    e = two_block_eigvals(256, 1.0, 768, 0.05)
    x = np.linspace(0.0, 6.0, GRID + 1)[1:]
    base = np.asarray(theory.sample_covariance_density(jnp.asarray(x, DTYPE), e, 300.0))
    for s in [1e-12, 1e6]:
        scaled = theory.sample_covariance_density(jnp.asarray(x * s, DTYPE), e * s, 300.0)
        assert_allclose(np.asarray(scaled) * s, base, rtol=tol(1e-9, 1e-3), atol=tol(1e-12, 1e-4))


def two_block_sample(n1, a, n2, b, p, seed):
    rng = np.random.default_rng(seed)
    e = np.r_[np.full(n1, a), np.full(n2, b)]
    x = rng.standard_normal((int(p), e.size)) * np.sqrt(e)
    # The nonzero eigenvalues of XᵀX/P are those of the smaller of XᵀX/P and XXᵀ/P.
    return np.linalg.eigvalsh(x.T @ x / p if p >= e.size else x @ x.T / p)


def check_histogram(density, eigenvalues, normaliser, num_bins):
    """Bin masses of ``eigenvalues`` (counts/normaliser) vs ∫_bin ρ, on equal-count bins.

    Tolerance: 4 Poisson standard deviations of the count, √count/normaliser. Eigenvalues repel,
    so their bin counts fluctuate far less than Poisson (by O(√log n / √count)); the margin left
    covers the O(1/n) finite-size bias. Bin masses are 1/num_bins of the continuous mass, so a
    wrong normalisation or convention (an O(1) change) fails by hundreds of σ.
    """
    edges = np.quantile(eigenvalues, np.linspace(0, 1, num_bins + 1))
    edges[0], edges[-1] = 0.0, 1.5 * edges[-1]
    counts, _ = np.histogram(eigenvalues, edges)
    theory_mass = interval_moments(density, edges, [0], order=64)[0]
    fraction = counts / normaliser
    sigma = np.sqrt(counts) / normaliser
    z = np.abs(fraction - theory_mass) / sigma
    assert np.max(z) < 4.0, (z, fraction, theory_mass)
    return z


@pytest.mark.parametrize("p", [pytest.param(2000.0, marks=pytest.mark.slow), 500.0])
def test_sample_covariance_two_blocks_monte_carlo(p):
    """One draw, N = 1024 (512 at 1, 512 at 0.1): nonzero eigenvalues in 20 equal-count bins."""
    case = (512, 1.0, 512, 0.1, p)
    eigenvalues = two_block_sample(*case, seed=7)
    eigenvalues = eigenvalues[eigenvalues > 1e-9 * eigenvalues.max()]
    assert eigenvalues.size == min(N_FEATURES, p)
    e = two_block_eigvals(*case[:4])
    check_histogram(
        lambda x: theory.sample_covariance_density(x, e, p), eigenvalues, N_FEATURES, 20
    )


@pytest.mark.slow
@pytest.mark.parametrize("q", QS)
def test_sample_covariance_power_law_monte_carlo(q):
    """THEORY §7 item 1(c): e_k = k^−1.2, N = 1000; 2 draws, 20 equal-count bins, plus moments.

    The top eigenvalues form many tiny separate bulks whose edges are not quadrature breaks, so
    the mass is checked to 1e-3 and the mean (carried by those bulks) to 5e-3; the measured
    quadrature errors are <= 2e-4 and <= 1.8e-3 (q = 0.1).
    """
    n = 1000
    p = round(n / q)
    e = np.arange(1, n + 1, dtype=np.float64) ** -1.2
    rng = np.random.default_rng(11)
    draws = []
    for _ in range(2):
        x = rng.standard_normal((p, n)) * np.sqrt(e)
        ev = np.linalg.eigvalsh(x.T @ x / p) if p >= n else np.linalg.eigvalsh(x @ x.T / p)
        draws.append(ev[ev > 1e-10 * ev.max()])
    eigenvalues = np.concatenate(draws)
    ej = jnp.asarray(e, DTYPE)
    density = lambda x: theory.sample_covariance_density(x, ej, float(p))  # noqa: E731
    check_histogram(density, eigenvalues, 2 * n, 20)
    top = 1.5 * eigenvalues.max()
    mass, m1 = integrate(density, [0.0, *np.geomspace(1e-9 * top, top, 100)], [0, 1], order=128)
    assert_allclose(mass, min(n, p) / n, rtol=tol(1e-3, 3e-3))
    assert_allclose(m1, e.sum() / n, rtol=5e-3)


# ---------------------------------------------------------------------------------------------
# Products of white Wisharts.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", QS)
def test_product_one_layer_is_marchenko_pastur(q):
    x = np.linspace(0.0, 1.1 * (1 + np.sqrt(q)) ** 2, GRID + 1)[1:]
    got = np.asarray(theory.product_wishart_density(jnp.asarray(x, DTYPE), [100.0, 100.0 * q]))
    want = mp_reference(x, q, 1.0)
    bulk = want > 1e-2 * want.max()
    assert_allclose(got[bulk], want[bulk], rtol=tol(1e-9, 2e-3))
    assert_allclose(got, want, atol=tol(1e-9, 2e-3) * want.max())


@pytest.mark.parametrize("widths", PRODUCTS)
def test_product_two_layers_matches_cubic_roots(widths):
    edges = product_edges(widths)
    x = np.linspace(0.0, 1.2 * edges.max(), GRID + 1)[1:]
    got = np.asarray(theory.product_wishart_density(jnp.asarray(x, DTYPE), widths))
    want = product_reference(x, widths)
    bulk = want > 1e-2 * want.max()
    assert_allclose(got[bulk], want[bulk], rtol=tol(1e-9, 2e-3))
    assert_allclose(got, want, atol=tol(1e-9, 2e-3) * want.max())


@pytest.mark.parametrize("widths", [*PRODUCTS, [100, 200, 400, 800], [300, 300, 300]])
def test_product_mass_and_moments(widths):
    """Mass min N_ℓ/N_L, mean 1, second moment 1 + Σ N_L/N_ℓ (from S(t) = Π 1/(1 + c_ℓ t))."""
    w = np.asarray(widths, np.float64)
    density = lambda x: theory.product_wishart_density(x, widths)  # noqa: E731
    edges = product_edges(widths)
    # Equal widths give ρ ~ x^{-L/(L+1)} at 0: geometric breaks down to 1e-30 resolve it.
    breaks = [0.0, *np.geomspace(1e-30, 1e-1, 30), *edges]
    mass, m1, m2 = integrate(density, breaks, [0, 1, 2])
    rtol = tol(1e-8, 2e-4)
    assert_allclose(mass, w.min() / w[-1], rtol=rtol)
    assert_allclose(m1, 1.0, rtol=rtol)
    assert_allclose(m2, 1.0 + np.sum(w[-1] / w[:-1]), rtol=rtol)


def product_sample(widths, draws, seed):
    """Nonzero eigenvalues of M = YᵀY, Y = X₁⋯X_L, X_ℓ ~ N(0, 1/N_{ℓ−1}), via the N₀ × N₀ YYᵀ."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(draws):
        y = np.eye(widths[0])
        for rows, cols in zip(widths[:-1], widths[1:], strict=True):
            y = y @ (rng.standard_normal((rows, cols)) / np.sqrt(rows))
        out.append(np.linalg.eigvalsh(y @ y.T))
    return np.concatenate(out)


def test_product_monte_carlo_moderate_widths():
    """[100, 300, 900], 20 draws (2000 nonzero eigenvalues of 18000), 10 equal-count bins."""
    widths = [100, 300, 900]
    eigenvalues = product_sample(widths, 20, seed=3)
    z = check_histogram(
        lambda x: theory.product_wishart_density(x, widths), eigenvalues, 20 * 900, 10
    )
    assert z.size == 10


@pytest.mark.slow
@pytest.mark.parametrize(("widths", "draws"), [([200, 1000, 6000], 5), ([100, 200, 400, 800], 40)])
def test_product_monte_carlo_slow(widths, draws):
    """THEORY §7 item 1(d) (widths [200, 1000, 6000]) and a three-layer product."""
    eigenvalues = product_sample(widths, draws, seed=5)
    check_histogram(
        lambda x: theory.product_wishart_density(x, widths), eigenvalues, draws * widths[-1], 10
    )


# ---------------------------------------------------------------------------------------------
# API: shapes, dtypes, transformations, validation.
# ---------------------------------------------------------------------------------------------

E_SMALL = np.r_[np.full(64, 1.0), np.full(64, 0.2)]


def densities():
    e = jnp.asarray(E_SMALL, DTYPE)
    return {
        "semicircle": lambda x: theory.semicircle_density(x, 1.5),
        "mp": lambda x: theory.marchenko_pastur_density(x, 3.2, 0.7),
        "sample": lambda x: theory.sample_covariance_density(x, e, 90.0),
        "product": lambda x: theory.product_wishart_density(x, [40.0, 90.0, 200.0]),
    }


@pytest.mark.parametrize("name", ["semicircle", "mp", "sample", "product"])
def test_shape_dtype_jit_vmap(name):
    fn = densities()[name]
    x = jnp.linspace(-1.0, 12.0, 64, dtype=DTYPE).reshape(4, 16)
    out = fn(x)
    assert out.shape == (4, 16) and out.dtype == DTYPE
    assert np.all(np.isfinite(np.asarray(out))) and np.all(np.asarray(out) >= 0)
    assert np.any(np.asarray(out) > 0)
    # Different batch shapes round differently (float32 near an edge: a few hundred eps).
    rtol = tol(1e-12, 1e-4)
    atol = 1e-6 * float(np.max(np.asarray(out)))  # rounding-level values outside the support
    assert_allclose(jax.jit(fn)(x), out, rtol=rtol, atol=atol)
    assert_allclose(jax.vmap(fn)(x), out, rtol=rtol, atol=atol)
    scalar = fn(x[1, 3])
    assert scalar.shape == ()
    assert_allclose(scalar, out[1, 3], rtol=rtol, atol=atol)
    if name != "semicircle":
        assert np.all(np.asarray(out)[np.asarray(x) <= 0] == 0)


def test_vmap_over_num_samples():
    e = jnp.asarray(E_SMALL, DTYPE)
    x = jnp.linspace(0.01, 5.0, 32, dtype=DTYPE)
    ps = jnp.asarray([40.0, 128.0, 1000.0], DTYPE)
    batched = jax.vmap(lambda p: theory.sample_covariance_density(x, e, p))(ps)
    for i, p in enumerate([40.0, 128.0, 1000.0]):
        assert_allclose(
            batched[i], theory.sample_covariance_density(x, e, p), rtol=tol(1e-12, 1e-5)
        )


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: theory.semicircle_density(1.0, 0.0), "variance"),
        (lambda: theory.semicircle_density(jnp.nan, 1.0), "x"),
        (lambda: theory.marchenko_pastur_density(1.0, -1.0), "ratio"),
        (lambda: theory.marchenko_pastur_edges(1.0, jnp.inf), "variance"),
        (lambda: theory.sample_covariance_density(1.0, jnp.asarray([1.0, -1.0]), 10.0), "eigvals"),
        (lambda: theory.sample_covariance_density(1.0, jnp.zeros(3), 10.0), "eigvals"),
        (lambda: theory.sample_covariance_density(1.0, jnp.ones((2, 2)), 10.0), "eigvals"),
        (lambda: theory.sample_covariance_density(1.0, jnp.ones(3), 0.0), "num_samples"),
        (lambda: theory.sample_covariance_density(1.0, jnp.ones(3), 10.0, eta=0.0), "eta"),
        (lambda: theory.sample_covariance_density([1.0, jnp.inf], jnp.ones(3), 10.0), "x"),
        (lambda: theory.product_wishart_density(1.0, [100.0]), "widths"),
        (lambda: theory.product_wishart_density(1.0, [100.0, 0.0]), "widths"),
        (lambda: theory.product_wishart_density(1.0, [[100.0, 200.0]]), "widths"),
    ],
)
def test_bad_input_raises(call, name):
    with pytest.raises(ValueError, match=rf"^jaxridge: argument `{name}`"):
        call()
