"""Limiting eigenvalue densities of the random matrices of ridge regression (THEORY §2.2–2.4, §7).

Each function returns the density of the *continuous part* of a limiting spectral distribution,
evaluated on a grid ``x`` of any shape (an array of the same shape, float, ``>= 0``). Densities
are normalised over all eigenvalues of the matrix named in each docstring, so where the matrix
is rank deficient the continuous part integrates to the rank fraction and the rest is an atom at
0 (whose mass each docstring gives). Points outside the open support get density 0.

Names in the API and the paper's symbols:

=================  ======  ==========================================================
argument           symbol  meaning
=================  ======  ==========================================================
``x``              λ, z    eigenvalue at which the density is evaluated
``variance``       σ²      entry variance of the Gaussian data
``ratio``          q       N/P, features per sample
``eigvals``        e_k     population covariance spectrum (Σ = diag(e))
``num_samples``    P       number of samples
``widths``         N_ℓ     layer widths N₀, …, N_L of a product of Gaussian matrices
``eta``            η       imaginary part of z = x + iη in the Stieltjes inversion
=================  ======  ==========================================================

Method. The closed forms (semicircle, Marchenko–Pastur) are evaluated directly. The other two
densities are Stieltjes inversions ``ρ(x) = (1/π) Im m(x + iη)`` of an algebraic equation for
the resolvent, solved per grid point (``vmap``) by Newton's method in complex arithmetic. The
physical root is the branch that is analytic in the upper half plane and decays at infinity,
so it is *tracked*: start at ``z = x + iη₀`` with ``η₀`` well above the spectrum (where the
root is close to its large-``z`` expansion), shrink ``η`` geometrically (×1/16) in a
``lax.while_loop`` with a few Newton steps per stage down to ``η = 8·eps·|x|`` (``eps`` of the
input dtype), then polish with Newton at ``z = x + i0`` itself. Every step is kept in the
half plane where the physical root lives (``Im < 0`` for the variables below); a step that
would cross the real axis is reflected back. In the bulk the root at ``x + i0`` is a simple
complex root, so the polish converges quadratically to the exact boundary value; outside the
support the root is real and the polish takes its imaginary part to rounding level squared, so
the density there is 0 to rounding (no Cauchy tail, even next to an atom). These two solvers are
values only (not differentiable: the loops are ``while_loop``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike, Float

from .._batching import map_flat, pad_spectrum
from .._validate import (
    as_float,
    check,
    check_scalar,
    check_vector,
    common_dtype,
    fail,
    readable_errors,
)
from ._numerics import as_blocks, fused_sums

__all__ = [
    "marchenko_pastur_density",
    "marchenko_pastur_edges",
    "product_wishart_density",
    "sample_covariance_density",
    "semicircle_density",
]


# --------------------------------------------------------------------------------------------
# Closed forms.
# --------------------------------------------------------------------------------------------


def _check_grid(x, dtype):
    x = as_float(x, dtype, "x")
    if jnp.size(x) == 0:
        raise fail("x", "must not be empty")
    return check(x, ~jnp.isfinite(x), "x", "contains NaN or inf")


@readable_errors
def semicircle_density(
    x: Float[ArrayLike, " *shape"], variance: ArrayLike = 1.0
) -> Float[Array, " *shape"]:
    """Wigner semicircle density ``ρ(x) = √(4σ² − x²) / (2πσ²)`` on ``[−2σ, 2σ]``.

    The limiting spectrum of a symmetric ``N × N`` matrix with independent centred entries of
    variance ``σ²/N`` above the diagonal (e.g. ``(G + Gᵀ)/√(2N)`` for ``σ² = 1``). It integrates
    to 1; its second moment is ``σ²``.

    Args:
        x: evaluation points, any shape.
        variance: ``σ² > 0``, N times the off-diagonal entry variance.

    Returns:
        The density at ``x`` (0 outside ``[−2σ, 2σ]``), same shape as ``x``.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge.theory import semicircle_density
        >>> rho = semicircle_density(jnp.linspace(-2.5, 2.5, 101))
    """
    dtype = common_dtype(x, variance)
    x = _check_grid(x, dtype)
    variance = check_scalar(as_float(variance, dtype, "variance"), "variance", positive=True)
    inside = jnp.maximum(4.0 * variance - x * x, 0.0)
    return jnp.sqrt(inside) / (2.0 * jnp.pi * variance)


@readable_errors
def marchenko_pastur_edges(
    ratio: ArrayLike, variance: ArrayLike = 1.0
) -> tuple[Float[Array, ""], Float[Array, ""]]:
    """Edges ``σ²(1 ∓ √q)²`` of the Marchenko–Pastur bulk.

    Args:
        ratio: ``q = N/P > 0``.
        variance: ``σ² > 0``, the entry variance.

    Returns:
        ``(lower, upper)``; ``lower = 0`` at ``q = 1``.

    Example:
        >>> from jaxridge.theory import marchenko_pastur_edges
        >>> lower, upper = marchenko_pastur_edges(0.25)   # (0.25, 2.25)
    """
    dtype = common_dtype(ratio, variance)
    ratio = check_scalar(as_float(ratio, dtype, "ratio"), "ratio", positive=True)
    variance = check_scalar(as_float(variance, dtype, "variance"), "variance", positive=True)
    root = jnp.sqrt(ratio)
    return variance * (1.0 - root) ** 2, variance * (1.0 + root) ** 2


@readable_errors
def marchenko_pastur_density(
    x: Float[ArrayLike, " *shape"], ratio: ArrayLike, variance: ArrayLike = 1.0
) -> Float[Array, " *shape"]:
    """Marchenko–Pastur density of the continuous part of the spectrum of ``Σ̂ = XᵀX/P``.

    ``X ∈ ℝ^{P×N}`` has i.i.d. ``N(0, σ²)`` entries and ``q = N/P``; ``Σ̂`` is ``N × N``:

        ρ(x) = √((b − x)(x − a)) / (2π σ² q x)   on (a, b) = σ²(1 ∓ √q)².

    Normalised over the N eigenvalues of ``Σ̂``: the continuous part has mass ``min(1, 1/q)``
    and, when ``N > P``, an atom of mass ``max(0, 1 − 1/q)`` sits at 0 (not included here).
    Moments of the continuous part: ``∫xρ = σ²`` and ``∫x²ρ = σ⁴(1 + q)``. At ``q = 1`` the
    density diverges like ``x^{-1/2}`` at 0; ``x = 0`` itself returns 0.

    Args:
        x: evaluation points, any shape.
        ratio: ``q = N/P > 0``.
        variance: ``σ² > 0``, the entry variance of ``X``.

    Returns:
        The density at ``x`` (0 outside the open interval ``(a, b)``), same shape as ``x``.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge.theory import marchenko_pastur_density
        >>> rho = marchenko_pastur_density(jnp.linspace(0.0, 5.0, 501), ratio=2.0)
    """
    dtype = common_dtype(x, ratio, variance)
    x = _check_grid(x, dtype)
    ratio = as_float(ratio, dtype, "ratio")
    variance = as_float(variance, dtype, "variance")
    lower, upper = marchenko_pastur_edges(ratio, variance)
    inside = (x > lower) & (x < upper)
    # Double where: the discarded branch divides by x, which may be 0.
    safe_x = jnp.where(inside, x, 0.5 * (lower + upper))
    value = jnp.sqrt((upper - safe_x) * (safe_x - lower)) / (
        2.0 * jnp.pi * variance * ratio * safe_x
    )
    return jnp.where(inside, value, 0.0)


# --------------------------------------------------------------------------------------------
# Root tracking along z = x + iη, η ↓ (shared by the two algebraic densities).
# --------------------------------------------------------------------------------------------

_NEWTON_PER_HALVING = 4
_POLISH_STEPS = 12
_MIN_POLISH = 3
_ETA_FACTOR = 1.0 / 16.0


def _newton_step(equation: Callable, u, z, args):
    """One Newton step for ``equation(u, z, *args) = (F, F')``, kept in ``Im u < 0``.

    The physical root lies in the open lower half plane for every ``Im z > 0`` (see the
    callers), so a step that would leave it is reflected back below the real axis. Returns
    the new iterate and the size of the step taken.
    """
    value, slope = equation(u, z, *args)
    tiny = jnp.finfo(u.real.dtype).tiny
    slope = jnp.where(jnp.abs(slope) > tiny, slope, jnp.asarray(tiny, u.dtype))
    step = value / slope
    step = jnp.where(jnp.isfinite(step), step, 0.0)
    # A step that would cross the real axis is reflected back below it, at no more than half
    # the current depth: near a root in the open half plane this is rarely active, and for a
    # root on the axis (outside the support at η = 0) it keeps Newton's quadratic convergence.
    target = u - step
    crossing = jnp.imag(target) >= 0
    depth = jnp.minimum(jnp.abs(jnp.imag(target)), 0.5 * jnp.abs(jnp.imag(u)))
    target = jnp.where(crossing, lax.complex(jnp.real(target), -depth), target)
    step = u - target
    return u - step, jnp.abs(step)


def _track_root(equation: Callable, u0, x, eta_start, eta_end, eta_final, args):
    """The physical root at ``z = x + i·eta_final``, followed down from ``x + i·eta_start``.

    Halving stages stop at ``eta_end > 0``; the polish runs at ``eta_final`` (``0`` for the
    boundary value ``x + i0``: Newton from the ``eta_end`` root converges there too, to the
    complex root in the bulk and, staying in ``Im < 0``, to the real root outside it).
    """
    real = x.dtype
    eps = jnp.finfo(real).eps

    def newton_at(u, eta, count):
        z = lax.complex(x, eta)
        return lax.fori_loop(0, count, lambda _, v: _newton_step(equation, v, z, args)[0], u)

    u = newton_at(u0, eta_start, 2 * _NEWTON_PER_HALVING)

    def halving_cond(carry):
        _, eta = carry
        return eta > eta_end

    def halving_body(carry):
        u, eta = carry
        eta = jnp.maximum(_ETA_FACTOR * eta, eta_end)
        return newton_at(u, eta, _NEWTON_PER_HALVING), eta

    u, _ = lax.while_loop(halving_cond, halving_body, (u, eta_start))

    z_end = lax.complex(x, eta_final)

    def polish_cond(carry):
        u, step, count = carry
        # At least _MIN_POLISH steps: outside the support at η = 0 they take Im u from rounding
        # level (set at the last tracked η) to rounding level squared, which a step-size test
        # alone would not do — the imaginary parts are computed to relative accuracy.
        unconverged = step > 4.0 * eps * jnp.abs(u)
        return (count < _MIN_POLISH) | (unconverged & (count < _POLISH_STEPS))

    def polish_body(carry):
        u, _, count = carry
        u, step = _newton_step(equation, u, z_end, args)
        return u, step, count + 1

    u, _, _ = lax.while_loop(
        polish_cond, polish_body, (u, jnp.asarray(jnp.inf, real), jnp.asarray(0))
    )
    return u


def _etas(x, eta):
    """(last tracked η, η of the final polish): the user's η for both, else ``8·eps·|x|``
    (floored so that it is never 0) and 0, i.e. the boundary value at ``x + i0``."""
    if eta is None:
        eps = jnp.finfo(x.dtype).eps
        return 8.0 * eps * jnp.maximum(jnp.abs(x), eps), jnp.zeros_like(x)
    eta = jnp.broadcast_to(eta, x.shape)
    return eta, eta


def _complex(real):
    """The complex dtype of a real one (complex64 for float32, complex128 for float64)."""
    return jnp.complex128 if jnp.dtype(real) == jnp.float64 else jnp.complex64


def _apply_on_grid(kernel: Callable, x, etas, *args):
    """``kernel(x_i, eta_end_i, eta_final_i, *args)`` for every grid point (vmapped)."""
    eta_end, eta_final = etas
    return map_flat(lambda *point: kernel(*point, *args), x, eta_end, eta_final)


def _check_eta(eta, dtype):
    if eta is None:
        return None
    return check_scalar(as_float(eta, dtype, "eta"), "eta", positive=True)


# --------------------------------------------------------------------------------------------
# Sample covariance of a general population (Silverstein / κ equation).
# --------------------------------------------------------------------------------------------


def _silverstein(kappa, z, eigvals, num_samples):
    """F(κ) = κ + z − (κ/P) Σ_k e_k/(e_k + κ) and F'(κ) = 1 − (1/P) Σ_k e_k²/(e_k + κ)².

    THEORY §2.3 form (B) with the ridge continued to λ = −z. The sums over the spectrum are the
    hot loop, so they are done in real arithmetic with one real reciprocal per eigenvalue
    (complex division is several times slower). Zero eigenvalues add nothing.
    """
    a = jnp.real(kappa)
    b = jnp.imag(kappa)
    shifted = eigvals + a
    inverse = eigvals / (shifted * shifted + b * b)
    r_re = shifted * inverse  # e/(e + κ) = e (e + a − ib)/|e + κ|²
    r_im = -b * inverse
    sum_re, sum_im, sum2_re, sum2_im = fused_sums(
        r_re, r_im, r_re * r_re - r_im * r_im, r_re * r_im
    )
    s1 = lax.complex(sum_re, sum_im)
    s2 = lax.complex(sum2_re, 2.0 * sum2_im)
    p = jnp.asarray(num_samples, kappa.dtype)  # complex arithmetic throughout
    value = kappa * (1.0 - s1 / p) + z
    slope = 1.0 - s2 / p
    return value, slope


def _sample_covariance_point(x, eta_end, eta_final, eigvals, num_samples, trace, num_features):
    """Density at one point, for eigenvalues scaled so that max e = 1 and laid out in blocks
    (zero padding adds nothing to the sums; ``num_features`` is the unpadded N, a value)."""
    real = eigvals.dtype
    cplx = _complex(real)
    # ‖Σ̂‖ ≤ max e · (1 + √(N/P))² asymptotically: start η₀ well above the spectrum, where
    # κ ≈ −z + TrΣ/P (the large-z expansion of form B).
    bound = (1.0 + jnp.sqrt(num_features / num_samples)) ** 2
    eta_start = 4.0 * (jnp.abs(x) + bound)
    kappa0 = -lax.complex(x, eta_start).astype(cplx) + (trace / num_samples).astype(cplx)
    kappa = _track_root(
        _silverstein, kappa0, x, eta_start, eta_end, eta_final, (eigvals, num_samples)
    )
    # m(z) = tr_N (Σ̂ − z)⁻¹ = −(1 − P/N)/z + (P/N)/κ(z); the first term is the atom at 0.
    inverse = jnp.imag(1.0 / kappa)
    value = (num_samples / num_features) * inverse / jnp.pi
    return jnp.where(x > 0, jnp.maximum(value, 0.0), 0.0)


@readable_errors
def sample_covariance_density(
    x: Float[ArrayLike, " *shape"],
    eigvals: Float[ArrayLike, " n"],
    num_samples: ArrayLike,
    *,
    eta: ArrayLike | None = None,
) -> Float[Array, " *shape"]:
    """Deterministic-equivalent density of the eigenvalues of a sample covariance ``Σ̂ = XᵀX/P``.

    ``X ∈ ℝ^{P×N}`` has i.i.d. rows ``x ~ N(0, Σ)``, ``Σ = diag(e)``. Continuing the ridge of
    THEORY §2.2–2.3 to ``λ = −z`` (Silverstein's equation), ``κ(z)`` solves

        κ = −z + (κ/P) Σ_k e_k/(e_k + κ),

    and the normalised trace of the resolvent is
    ``m(z) = tr_N (Σ̂ − z)⁻¹ = −(1 − P/N)/z + (P/N)/κ(z)`` (``1/κ`` is the Stieltjes transform
    of the Gram matrix ``XXᵀ/P``, form F). The density returned is, for ``x > 0``,

        ρ(x) = (P/N) · Im[1/κ(x + i0)] / π,

    with κ the root that has ``Im κ < 0`` (unique for ``η > 0``), tracked down from large ``η``
    as described in the module docstring. Normalisation: over the N eigenvalues of ``Σ̂``. With
    ``r`` = the number of strictly positive ``e_k``, the continuous part integrates to
    ``min(r, P)/N`` and the atom at 0 (not included) has mass ``1 − min(r, P)/N``; e.g.
    ``min(N, P)/N`` for a full-rank Σ. Its moments are ``∫xρ = TrΣ/N`` and
    ``∫x²ρ = (TrΣ² + (TrΣ)²/P)/N``. All equal ``e_k = σ²`` gives the Marchenko–Pastur density.
    The spectrum is zero-padded to a bucket length (64, 128, 192, 256, 384, …; zero eigenvalues
    add nothing to the sums, and N stays the caller's length), so a new N in the same bucket
    reuses the compiled program.

    Args:
        x: evaluation points, any shape; ``x <= 0`` returns 0.
        eigvals: population eigenvalues ``e_k >= 0`` (at least one positive), shape ``(N,)``.
        num_samples: ``P > 0`` (a float; non-integer values interpolate).
        eta: optional ``η > 0`` (a scalar, in the units of ``x``): return the density
            smoothed by a Cauchy kernel of width ``η``, ``(P/N) Im[1/κ(x + iη)]/π``. Default
            ``None``: the boundary value ``η → 0⁺`` (root tracked down to ``η = 8·eps·|x|``,
            then solved at ``x + i0``; see the module docstring).

    Returns:
        The density at ``x``, same shape as ``x``, in the floating dtype of the inputs.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge import spectra
        >>> from jaxridge.theory import sample_covariance_density
        >>> e, _ = spectra.power_law(1000, alpha=1.2, r=0.5)
        >>> rho = sample_covariance_density(jnp.logspace(-5, 1, 200), e, num_samples=100.0)
    """
    dtype = common_dtype(x, eigvals, num_samples, eta)
    x = _check_grid(x, dtype)
    eigvals = check_vector(
        as_float(eigvals, dtype, "eigvals"), "eigvals", nonnegative=True, positive_entry=True
    )
    num_samples = check_scalar(
        as_float(num_samples, dtype, "num_samples"), "num_samples", positive=True
    )
    eta = _check_eta(eta, dtype)
    # N enters the density (P/N, the atom), so it is the caller's length, passed as a value:
    # the program then depends on the bucket of the padded spectrum only.
    num_features = jnp.asarray(eigvals.shape[0], dtype)
    (eigvals,) = pad_spectrum(eigvals)
    return _sample_covariance_jit(x, eigvals, num_features, num_samples, eta)


@jax.jit
def _sample_covariance_jit(x, eigvals, num_features, num_samples, eta):
    # Solve in units of max e (keeps float32 in range for any overall scale): ρ is a density in
    # x, so ρ(x) = ρ₁(x/s)/s with ρ₁ that of the rescaled spectrum e/s.
    scale = jnp.max(eigvals)
    unit = eigvals / scale
    unit_x = x / scale
    etas = _etas(unit_x, None if eta is None else eta / scale)
    rho = _apply_on_grid(
        _sample_covariance_point,
        unit_x,
        etas,
        as_blocks(unit),
        num_samples,
        jnp.sum(unit),
        num_features,
    )
    return rho / scale


# --------------------------------------------------------------------------------------------
# Products of white Wishart matrices (S-transform polynomial).
# --------------------------------------------------------------------------------------------


def _polynomial(t, z, ratios):
    """p(t) = Π_j (1 + c_j t) − z t and p'(t), with c = (1, N_L/N_0, …, N_L/N_{L−1}).

    Evaluated as a product of factors (the number of layers is static), never expanded: near a
    multiple root such as t = −1 for equal widths, the expanded coefficients would cancel
    catastrophically (the density at small x would be lost).
    """
    value = jnp.ones_like(t)
    slope = jnp.zeros_like(t)
    for index in range(ratios.shape[0]):
        c = ratios[index]
        factor = 1.0 + c * t
        slope = slope * factor + value * c
        value = value * factor
    return value - z * t, slope - z


def _product_point(x, eta_end, eta_final, ratios, bound, second_moment):
    real = x.dtype
    cplx = _complex(real)
    eta_start = 4.0 * (jnp.abs(x) + bound)
    z0 = lax.complex(x, eta_start).astype(cplx)
    # t(z) = ∫ s/(z − s) dμ(s) = m₁/z + m₂/z² + … with m₁ = 1: start from 1/(z − m₂).
    t0 = 1.0 / (z0 - jnp.asarray(second_moment, cplx))
    t = _track_root(_polynomial, t0, x, eta_start, eta_end, eta_final, (ratios.astype(cplx),))
    value = -jnp.imag(t) / (jnp.pi * jnp.where(x > 0, x, 1.0))
    return jnp.where(x > 0, jnp.maximum(value, 0.0), 0.0)


@readable_errors
def product_wishart_density(
    x: Float[ArrayLike, " *shape"], widths: Sequence[float] | Float[ArrayLike, " layers"]
) -> Float[Array, " *shape"]:
    """Density of the continuous spectrum of a product of white Wishart ("deep") matrices.

    Widths ``N₀, …, N_L`` (``L >= 1``) define ``Y = X₁X₂⋯X_L`` with independent
    ``X_ℓ ∈ ℝ^{N_{ℓ−1}×N_ℓ}`` of i.i.d. ``N(0, 1/N_{ℓ−1})`` entries, and the density is that of
    the eigenvalues of the ``N_L × N_L`` matrix ``M = YᵀY``, normalised over those N_L
    eigenvalues. (For widths [200, 1000, 6000] this is ``X₂ᵀX₁ᵀX₁X₂``, 6000 × 6000.)

    Derivation (THEORY §2.4 conventions: ``S_W(t) = 1/(1 + qt)`` for ``W = ZᵀZ/P``, ``q = N/P``;
    ``S_{cA} = S_A/c``; ``S`` multiplies under free products; and for ``A = BᵀB`` (n × n) and
    ``C = BBᵀ`` (m × m), ``S_C(t) = S_A(mt/n)·(m/n)(1 + t)/(1 + mt/n)``). By induction on
    ``L``: ``S_M(t) = Π_{ℓ<L} 1/(1 + (N_L/N_ℓ) t)``. With ``χ(t) = S(t)·t/(1 + t)`` the
    inverse of ``ψ(w) = ∫ ws/(1 − ws) dμ(s)``, ``t(z) := ψ(1/z) = z·g(z) − 1``
    (``g(z) = tr(z − M)⁻¹``) solves the polynomial equation

        z·t = (1 + t) Π_{ℓ<L} (1 + (N_L/N_ℓ) t),

    which for ``L = 2`` is THEORY §7's ``z·t = (1 + t)(1 + (N₂/N₀)t)(1 + (N₂/N₁)t)``. The density
    is ``ρ(x) = −Im g(x + i0)/π = −Im t(x + i0)/(πx)`` for ``x > 0`` (the atom's term drops out),
    with ``t`` the physical root: the one analytic in the upper half plane with ``t ~ 1/z`` at
    infinity and ``Im t < 0`` there. It is tracked by Newton steps from large ``η`` down to
    ``x + i0`` (module docstring), vectorised over ``x`` — no per-point polynomial root
    finder and no root selection by sign alone. For ``L = 1`` this is Marchenko–Pastur with
    ``q = N₁/N₀``.

    Normalisation: the continuous part integrates to ``min_ℓ N_ℓ / N_L`` (the rank fraction);
    an atom of mass ``1 − min_ℓ N_ℓ/N_L`` sits at 0 (not included). Moments:
    ``∫xρ = 1`` and ``∫x²ρ = 1 + Σ_{ℓ<L} N_L/N_ℓ``.

    Args:
        x: evaluation points, any shape; ``x <= 0`` returns 0.
        widths: ``[N₀, …, N_L]``, at least two positive numbers (non-integers interpolate).
            The number of layers fixes the polynomial degree (static); the values may be traced.

    Returns:
        The density at ``x``, same shape as ``x``, in the floating dtype of the inputs.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge.theory import product_wishart_density
        >>> rho = product_wishart_density(jnp.linspace(0.0, 100.0, 500), [200, 1000, 6000])
    """
    dtype = common_dtype(x, widths)
    x = _check_grid(x, dtype)
    widths = as_float(widths, dtype, "widths")
    if widths.ndim != 1 or widths.shape[0] < 2:
        raise ValueError(
            "jaxridge: argument `widths` must be a 1-D sequence of at least two widths "
            f"[N0, ..., NL], got shape {widths.shape}"
        )
    widths = check_vector(widths, "widths")
    widths = check(widths, widths <= 0, "widths", "must be > 0 (got a non-positive width)")
    return _product_jit(x, widths)


@jax.jit
def _product_jit(x, widths):
    ratios = jnp.concatenate([jnp.ones((1,), widths.dtype), widths[-1] / widths[:-1]])
    # ‖M‖ ≤ Π_ℓ ‖X_ℓ‖² and ‖X_ℓ‖² → (1 + √(N_ℓ/N_{ℓ−1}))² (Marchenko–Pastur upper edges).
    bound = jnp.prod((1.0 + jnp.sqrt(widths[1:] / widths[:-1])) ** 2)
    second_moment = 1.0 + jnp.sum(widths[-1] / widths[:-1])
    return _apply_on_grid(_product_point, x, _etas(x, None), ratios, bound, second_moment)
