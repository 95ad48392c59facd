"""Ridge risk on whole (P, λ) grids from one tabulation of the spectrum.

Given the spectrum, every deterministic-equivalent quantity of linear ridge regression is a
function of the renormalised ridge κ alone, plus closed-form dependence on P, λ and σ_ε²
(THEORY §2.3, §2.5–2.7). :func:`ridge_risk_grid` therefore makes ONE pass over the spectrum per
node of a uniform grid in ``u = log κ``, tabulating six spectral sums and their first and second
``u``-derivatives, and then treats every grid point with O(1) work: the scalar equation
``G(u) = 1 − λe^{−u} − n₁(u)/P = 0`` (THEORY §5.1) is solved by safeguarded Newton on a quintic
Hermite interpolant, and the errors follow from the interpolated sums with the stable formulas of
:func:`jaxridge.theory.ridge_risk` (THEORY §5.6).

Names in the API and the paper's symbols:

=================  ======  ==========================================================
argument / field   symbol  meaning
=================  ======  ==========================================================
``eigvals``        e_k     population covariance spectrum (Σ = diag(e))
``target_weights`` w̄_k     target weights in the eigenbasis of Σ
``num_samples``    P       number of training samples (array; broadcast against ``ridges``)
``ridges``         λ       ridges, ``>= 0`` (array)
``noise_var``      σ_ε²    label-noise variance (array or scalar)
``num_nodes``      M       number of interpolation nodes in ``log κ``
``kappa``          κ       renormalised ridge
``df1, df2``       n₁, n₂  Tr[Σ(Σ+κ)⁻¹], Tr[Σ²(Σ+κ)⁻²]
``gamma``          γ       n₂/P
``bias``           Bias²   κ² w̄ᵀΣ(Σ+κ)⁻²w̄
``test``           E_g     excess test error; ``test_out`` = E_g + σ_ε², ``train`` = E_tr
=================  ======  ==========================================================

The tabulated sums, with ``r_k = e_k/(e_k+κ)``, ``x_k = κ/(e_k+κ) = 1 − r_k`` (so
``dr/du = −r x`` and ``dx/du = r x``) and ``c_k = w̄_k² e_k``:

* ``n₁ = Σ r``, ``n₁' = −Σ r x``, ``n₁'' = −Σ r x (r − x)``;
* ``d := n₁ − n₂ = Σ r x``, ``d' = Σ r x (r − x)``, ``d'' = Σ r x [(r − x)² − 2 r x]``;
* ``n₂ = Σ r²``, ``n₂' = −2 Σ r² x``, ``n₂'' = −2 Σ r² x (r − 2x)``;
* ``B = Σ c x²`` (= Bias²), ``B' = 2 Σ c r x²``, ``B'' = 2 Σ c r x² (2r − x)``;
* ``m := rank − n₁ = Σ_{e>0} x``, ``m' = d``, ``m'' = d'`` (used in the equation for κ where
  n₁ > rank/2, so that it stays well conditioned at the interpolation threshold);
* ``T := Σ c r x`` (= κ tf₂ of the random-feature errors, used by ``rf_grid``),
  ``T' = Σ c r x (r − x)``, ``T'' = Σ c r x [(r − x)² − 2 r x]``.

Each term is a smooth logistic-type function of ``u`` whose derivatives are bounded by a constant
times ``r x`` (or the term itself), so the quintic Hermite interpolant has a *relative* error of
order ``h⁶`` uniformly in κ, where ``h = (u_max − u_min)/(M − 1)`` is the node spacing. Measured:
≈ 4e-13 at ``h = 0.05``, falling like ``h⁶``. The root inherits it: the interpolation error of
``n₁`` is at most ``C h⁶ d`` and ``∂G/∂u ≥ d/P``, so ``|δ log κ| ≲ C h⁶`` even at the
interpolation threshold.

Node range: the union over the grid of the brackets of ``effective_ridge`` (``[max(λ, κ₀),
λ + TrΣ/P]``, tighter when rank(Σ) < P), clipped to ``[log e_min − 40, log e_max + 40]`` (e_min,
e_max: the extreme positive eigenvalues). Beyond the clip every term is within a relative
``e⁻⁴⁰`` of its asymptote, and the exact asymptotic forms are used: below it ``n₁ = rank − κΣ1/e``,
``d = κΣ1/e``, ``B = κ²Σw̄²/e``, ``T = κΣw̄²``; above it ``n₁ = d = TrΣ/κ``, ``n₂ = Σe²/κ²``,
``B = Σw̄²e``, ``T = Σw̄²e²/κ``. The
clipped range is at most ``log(e_max/e_min) + 80`` wide, so the defaults (2048 nodes in float64,
512 in float32) give ``h ≤ 0.06`` (float64) for spectra spanning up to ~e⁴⁰ ≈ 10¹⁷.

Conventions are those of :func:`jaxridge.theory.ridge_risk`: zero eigenvalues form a null space,
``λ = 0`` is the limit ``λ → 0⁺`` (κ = 0 when rank(Σ) ≤ P, else κ₀ > 0), and errors that diverge
at the interpolation threshold are ``+inf``, never NaN. As there, the spectrum is zero-padded to
a bucket length (64, 128, 192, 256, 384, …; exact: zero eigenvalues add nothing to any table
sum, the rank, TrΣ or the extreme positive eigenvalues), so a new N in the same bucket reuses the
compiled program.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._batching import map_flat, pad_spectrum
from .._validate import (
    as_float,
    check,
    check_converged,
    check_real,
    check_spectrum,
    check_steps,
    common_dtype,
    fail,
    readable_errors,
)
from ._implicit import implicit_root, solve_increasing
from ._numerics import (
    as_blocks,
    fused_sums,
    is_zero_branch,
    kappa_log_bracket,
    spectrum_summary,
)
from .linear import RidgeRisk, assemble, with_stats

__all__ = ["default_num_nodes", "ridge_risk_grid"]

# Beyond e^±40 of the extreme eigenvalues every term is within e^−40 ≈ 4e-18 of its asymptote.
_MARGIN = 40.0
# Elements (nodes × eigenvalues) evaluated per step when tabulating, to bound the memory of
# reverse-mode residuals (each step is rematerialised in the backward pass).
_CHUNK_ELEMENTS = 1 << 20


def default_num_nodes(dtype) -> int:
    """Default number of interpolation nodes: 2048 in float64, 512 in lower precision."""
    return 2048 if jnp.finfo(dtype).bits >= 64 else 512


# --------------------------------------------------------------------------------------------
# The table.
# --------------------------------------------------------------------------------------------


class _Table(NamedTuple):
    """Everything a grid point needs: node values and the asymptotic sums outside them.

    ``values[j, q, i]``: quantity q ∈ (n₁, d, n₂, B, m, T), i-th ``u``-derivative, at node
    ``u_j = u_min + j·h``. ``spectrum = (rank, TrΣ, e_min, e_max)`` (not differentiated: it
    fixes brackets and the scale of the asymptotic sums). ``below = (Σ e_min/e,
    Σ w̄² e_min²/e, Σ w̄² e_min)`` and ``above = (Σ e/e_max, Σ (e/e_max)², Σ w̄² e,
    Σ w̄² e²/e_max)`` over the positive eigenvalues.
    """

    values: Array
    u_min: Array
    step: Array
    spectrum: Array
    below: Array
    above: Array


def _node_sums(u, eigvals, coef, positive):
    """The tabulated numbers at one node, from one blocked variadic reduction (``fused_sums``)."""
    tiny = jnp.finfo(eigvals.dtype).tiny
    kappa = jnp.maximum(jnp.exp(u), tiny)
    t = 1.0 / (eigvals + kappa)
    r = eigvals * t  # zero eigenvalues: r = 0, and c = 0, so every term below vanishes
    x = kappa * t
    rx = r * x
    rmx = r - x
    r2x = r * rx
    crx2 = coef * (rx * x)
    n1, d, d1, d2, n2, m1, m2, b, b1, b2, m, t, t1, t2 = fused_sums(
        r,
        rx,
        rx * rmx,
        rx * (rmx * rmx - 2.0 * rx),
        r * r,
        r2x,
        r2x * (r - 2.0 * x),
        coef * (x * x),
        crx2,
        crx2 * (2.0 * r - x),
        positive * x,
        coef * rx,
        coef * (rx * rmx),
        coef * (rx * (rmx * rmx - 2.0 * rx)),
    )
    return jnp.stack(
        [
            jnp.stack([n1, -d, -d1]),
            jnp.stack([d, d1, d2]),
            jnp.stack([n2, -2.0 * m1, -2.0 * m2]),
            jnp.stack([b, 2.0 * b1, 2.0 * b2]),
            jnp.stack([m, d, d1]),
            jnp.stack([t, t1, t2]),
        ]
    )


def _bracket(spectrum, num_samples, ridge):
    """The bracket of `effective_ridge` in log κ, elementwise: ``(lo, hi, zero_branch)``."""
    rank, trace, smallest, _ = spectrum
    return kappa_log_bracket(rank, trace, smallest, num_samples, ridge)


def _summary(eigvals, target_weights):
    rank, trace, smallest = spectrum_summary(eigvals)
    positive = eigvals > 0
    largest = jnp.max(eigvals)
    smallest = jnp.where(jnp.isfinite(smallest), smallest, 1.0)
    largest = jnp.where(largest > 0, largest, 1.0)
    spectrum = jax.lax.stop_gradient(jnp.stack([rank, trace, smallest, largest]))
    smallest, largest = spectrum[2], spectrum[3]
    # Scaled so that nothing overflows (1/e can, e_min/e cannot).
    ratio = smallest / jnp.where(positive, eigvals, 1.0)
    w2 = target_weights**2
    below = jnp.stack(
        [
            jnp.sum(jnp.where(positive, ratio, 0.0)),
            jnp.sum(jnp.where(positive, w2 * smallest * ratio, 0.0)),
            jnp.sum(jnp.where(positive, w2 * smallest, 0.0)),
        ]
    )
    scaled = eigvals / largest
    above = jnp.stack(
        [
            jnp.sum(scaled),
            jnp.sum(scaled * scaled),
            jnp.sum(w2 * eigvals),
            jnp.sum(w2 * eigvals * scaled),
        ]
    )
    return spectrum, below, above


def _node_range(spectrum, num_samples, ridges, num_nodes):
    """Uniform nodes covering every bracket of the grid, clipped where asymptotics are exact."""
    lo, hi, zero_branch = _bracket(spectrum, num_samples, ridges)
    lo_all = jnp.min(jnp.where(zero_branch, jnp.inf, lo))
    hi_all = jnp.max(jnp.where(zero_branch, -jnp.inf, hi))
    return nodes_covering(spectrum, lo_all, hi_all, num_nodes)


def nodes_covering(spectrum, lo_all, hi_all, num_nodes):
    """``(u_min, step)`` of uniform nodes over ``[lo_all, hi_all]`` in log κ, clipped to
    ``[log e_min − 40, log e_max + 40]`` where the asymptotic forms are exact."""
    dtype = spectrum.dtype
    finfo = jnp.finfo(dtype)
    clip_lo = jnp.maximum(jnp.log(spectrum[2]) - _MARGIN, jnp.log(finfo.tiny))
    clip_hi = jnp.minimum(jnp.log(spectrum[3]) + _MARGIN, jnp.log(finfo.max) - 2.0)
    u_min = jnp.clip(lo_all, clip_lo, clip_hi)
    u_max = jnp.clip(hi_all, clip_lo, clip_hi)
    # A degenerate range (one point, κ = λ exactly, or every point on the κ = 0 branch) still
    # needs a positive spacing; the table is exact wherever it is evaluated.
    u_max = jnp.maximum(u_max, u_min + 1.0)
    step = (u_max - u_min) / (num_nodes - 1)
    return jax.lax.stop_gradient(u_min), jax.lax.stop_gradient(step)


def _tabulate(eigvals, target_weights, u_min, step, num_nodes):
    nodes = u_min + step * jnp.arange(num_nodes, dtype=eigvals.dtype)
    # Blocks of eigenvalues (zero padding adds nothing to any sum) for accurate sums.
    eigvals = as_blocks(eigvals)
    target_weights = as_blocks(target_weights)
    coef = target_weights**2 * eigvals
    positive = (eigvals > 0).astype(eigvals.dtype)
    batch = max(1, min(num_nodes, _CHUNK_ELEMENTS // eigvals.size))
    fn = jax.checkpoint(lambda u: _node_sums(u, eigvals, coef, positive))
    return jax.lax.map(fn, nodes, batch_size=batch)


# --------------------------------------------------------------------------------------------
# Evaluation of the interpolant (one grid point).
# --------------------------------------------------------------------------------------------


def _hermite(table, u, rows):
    """Quintic Hermite interpolant of the quantities ``rows`` at ``u`` (inside the nodes).

    Returns the value and its ``u``-derivative (the exact derivative of the quintic).
    """
    num_nodes = table.values.shape[0]
    s = (u - table.u_min) / table.step
    # u is inside the nodes, so t ∈ [0, 1] (no clip on t: its derivative would be halved at the
    # nodes, where JAX splits the gradient of a tie).
    j = jnp.clip(jnp.floor(s), 0, num_nodes - 2)
    t = s - j
    # One gather of the two bracketing nodes (j is in [0, M − 2] by construction).
    pair = jax.lax.dynamic_slice_in_dim(table.values, j.astype(jnp.int32), 2, axis=0)
    f0 = pair[0, rows]
    f1 = pair[1, rows]
    h = table.step
    w = 1.0 - t
    t2 = t * t
    t3 = t2 * t
    w2 = w * w
    # Basis of the quintic matching value, first and second derivative at both ends
    # (b_jump multiplies f1 − f0), and the t-derivatives of the basis.
    jump = f1[..., 0] - f0[..., 0]
    value = (
        f0[..., 0]
        + jump * (t3 * (10.0 + t * (-15.0 + 6.0 * t)))
        + h
        * (f0[..., 1] * (t * w2 * w * (1.0 + 3.0 * t)) - f1[..., 1] * (t3 * w * (4.0 - 3.0 * t)))
        + (h * h) * (f0[..., 2] * (0.5 * t2 * w2 * w) + f1[..., 2] * (0.5 * t3 * w2))
    )
    slope_t = (
        jump * (30.0 * t2 * w2)
        + h
        * (
            f0[..., 1] * (w2 * (1.0 - 3.0 * t) * (1.0 + 5.0 * t))
            - f1[..., 1] * (t2 * (6.0 - 5.0 * t) * (2.0 - 3.0 * t))
        )
        + (h * h)
        * (f0[..., 2] * (t * w2 * (1.0 - 2.5 * t)) + f1[..., 2] * (t2 * w * (1.5 - 2.5 * t)))
    )
    return value, slope_t / h


def _below(table, kappa):
    """(n₁, d, n₂, B, m, T) for κ ≤ e_min·e⁻⁴⁰ (also exact at κ = 0), and their u-derivatives."""
    rank, _, smallest, _ = table.spectrum
    q = kappa / smallest
    x_sum = q * table.below[0]
    bias = q * q * table.below[1]
    t = q * table.below[2]
    value = jnp.stack([rank - x_sum, x_sum, rank - 2.0 * x_sum, bias, x_sum, t])
    return value, jnp.stack([-x_sum, x_sum, -2.0 * x_sum, 2.0 * bias, x_sum, t])


def _above(table, kappa):
    """(n₁, d, n₂, B, m, T) for κ ≥ e_max·e⁴⁰, and their u-derivatives."""
    q = table.spectrum[3] / kappa
    n1 = q * table.above[0]
    n2 = q * q * table.above[1]
    t = q * table.above[3]
    value = jnp.stack([n1, n1, n2, table.above[2], table.spectrum[0] - n1, t])
    return value, jnp.stack([-n1, -n1, -2.0 * n2, jnp.zeros_like(n1), n1, -t])


def _quantities(table, u, rows=slice(None)):
    """Interpolated (n₁, d, n₂, B)[rows] at ``u = log κ`` and their u-derivatives.

    The asymptotic forms are used outside the nodes (only ever beyond the clip, where they are
    exact to e⁻⁴⁰).
    """
    num_nodes = table.values.shape[0]
    u_max = table.u_min + (num_nodes - 1) * table.step
    is_below = u < table.u_min
    is_above = u > u_max
    # Double-where: each discarded branch is evaluated at a harmless point.
    inside = _hermite(table, jnp.where(is_below | is_above, table.u_min, u), rows)
    low = _below(table, jnp.exp(jnp.where(is_below, u, table.u_min)))
    high = _above(table, jnp.exp(jnp.where(is_above, u, u_max)))
    return tuple(
        jnp.where(is_below, lo[rows], jnp.where(is_above, hi[rows], mid))
        for lo, hi, mid in zip(low, high, inside, strict=True)
    )


def _log_equation(u, table, num_samples, ridge):
    """G(u) = 1 − λe^{−u} − n₁(u)/P on the interpolant (THEORY §2.3 form D, in log κ) and
    ∂G/∂u = λe^{−u} − n₁'(u)/P, with n₁' the derivative of the interpolant itself.

    Where n₁ > rank/2 the equivalent form G = (P − rank)/P − λe^{−u} + m/P with
    m = rank − n₁ = Σ_{e>0} κ/(e+κ) is used: near the interpolation threshold (κ small, P ≈ rank)
    its terms are all small, so G keeps its relative accuracy where 1 − n₁/P would cancel.
    """
    (n1, m), (n1_slope, m_slope) = _quantities(table, u, jnp.array([0, 4]))
    rank = table.spectrum[0]
    a = ridge * jnp.exp(-u)
    use_m = m < n1
    g = jnp.where(
        use_m, (num_samples - rank) / num_samples - a + m / num_samples, 1.0 - a - n1 / num_samples
    )
    g_u = a + jnp.where(use_m, m_slope, -n1_slope) / num_samples
    return g, g_u


def _safe_ridge(table, num_samples, ridge):
    zero_branch = is_zero_branch(table.spectrum[0], num_samples, ridge)
    return zero_branch, jnp.where(zero_branch, 1.0, ridge)


def _solve(table, num_samples, ridge, *, max_steps):
    """κ at one grid point: the root of the interpolated G, or 0 on the κ = 0 branch."""
    table = jax.lax.stop_gradient(table)
    lo, hi, zero_branch = _bracket(table.spectrum, num_samples, ridge)
    # The κ = 0 branch is discarded: give it a zero-width bracket so it stops at once.
    lo = jnp.where(zero_branch, table.u_min, lo)
    hi = jnp.where(zero_branch, table.u_min, hi)
    lam = jnp.where(zero_branch, 1.0, ridge)
    args = (table, num_samples, lam)
    # G is O(1) and evaluated to a few ulps; 32 eps stops Newton before it dithers on rounding
    # noise (which under vmap would hold the whole batch to the bisection cap). Newton converges
    # quadratically, so the iterate that passes is already at the noise level; one more Newton
    # step, kept inside the bracket, removes any doubt.
    u, stats = solve_increasing(
        _log_equation,
        lo,
        hi,
        0.5 * (lo + hi),
        args,
        g_tol=32.0 * jnp.finfo(lo.dtype).eps,
        max_steps=max_steps,
    )
    g, g_u = _log_equation(u, *args)
    u = jnp.clip(u - g / jnp.where(g_u > 0, g_u, jnp.inf), lo, hi)
    # The κ = 0 branch is exact by definition (nothing solved there).
    stats = stats._replace(converged=stats.converged | zero_branch)
    return jnp.where(zero_branch, jnp.zeros_like(u), jnp.exp(u)), stats


def _residual(kappa, table, num_samples, ridge):
    """F(κ) = κ·G(log κ) = κ − λ − κ n₁(κ)/P on the interpolant, and ∂F/∂κ at the root.

    Off the κ = 0 branch ∂F/∂κ = G + ∂G/∂u = ∂G/∂u at G = 0, so dκ = −κ(∂G/∂θ·dθ)/(∂G/∂u) =
    κ du (THEORY §5.5); the table is a differentiable function of (e, w̄), so this also carries
    their tangents. On the κ = 0 branch (λ = 0, rank ≤ P) F = −λ near κ = 0, with
    ∂F/∂κ = 1 − rank/P, as in `effective_ridge`.
    """
    zero_branch, lam = _safe_ridge(table, num_samples, ridge)
    u = jnp.log(jnp.where(zero_branch, 1.0, kappa))
    g, g_u = _log_equation(u, table, num_samples, lam)
    value = jnp.where(zero_branch, -ridge, kappa * g)
    slope = jnp.where(zero_branch, 1.0 - table.spectrum[0] / num_samples, g_u)
    return value, slope


@functools.cache
def _kappa_root(max_steps: int | None):
    """``(table, P, λ) ↦ (κ, RootStats)``, differentiated by the implicit function theorem."""
    return implicit_root(functools.partial(_solve, max_steps=max_steps), _residual)


def _point(table, num_samples, ridge, noise_var, max_steps, throw):
    """Every RidgeRisk field at one grid point (the formulas of `ridge_risk`)."""
    kappa, stats = _kappa_root(max_steps)(table, num_samples, ridge)
    # Every field derives from κ, so a convergence check attached to it cannot be dropped.
    kappa = check_converged(kappa, stats.converged, "ridge_risk_grid", throw)
    rank = table.spectrum[0]
    zero_branch = is_zero_branch(rank, num_samples, ridge)
    safe_kappa = jnp.where(zero_branch, 1.0, kappa)
    interpolated, _ = _quantities(table, jnp.log(safe_kappa))
    at_zero, _ = _below(table, kappa)  # exact at κ = 0, and carries dκ on that branch
    df1, d, df2, bias, _, _ = jnp.where(zero_branch, at_zero, interpolated)
    # The errors from the same stable assembly as `ridge_risk` (THEORY §2.5–2.6, §5.6).
    out = assemble(kappa, df1, df2, d, bias, rank, num_samples, ridge, noise_var)
    return out if throw else with_stats(out, stats)


def _grid(eigvals, target_weights, num_samples, ridges, noise_var, num_nodes, max_steps, throw):
    spectrum, below, above = _summary(eigvals, target_weights)
    u_min, step = _node_range(spectrum, num_samples.reshape(-1), ridges.reshape(-1), num_nodes)
    values = _tabulate(eigvals, target_weights, u_min, step, num_nodes)
    table = _Table(values, u_min, step, spectrum, below, above)

    def point(p, ridge, s2):
        return _point(table, p, ridge, s2, max_steps=max_steps, throw=throw)

    return map_flat(point, num_samples, ridges, noise_var)


_grid_jit = jax.jit(_grid, static_argnums=(5, 6, 7))


def _check_array(x, name, *, positive):
    if jnp.size(x) == 0:
        raise fail(name, "must not be empty")
    x = check(x, ~jnp.isfinite(x), name, "contains NaN or inf")
    if positive:
        return check(x, x <= 0, name, "must be > 0")
    return check(x, x < 0, name, "must be >= 0")


def check_num_nodes(num_nodes, dtype) -> int:
    """``num_nodes`` checked (an int >= 4), or the default of the dtype."""
    if num_nodes is None:
        return default_num_nodes(dtype)
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 4:
        raise ValueError(f"jaxridge: argument `num_nodes` must be an int >= 4, got {num_nodes!r}")
    return num_nodes


def grid_variables(num_samples, ridges, noise_var, dtype):
    """``P > 0``, ``λ >= 0``, ``σ_ε² >= 0`` checked and broadcast to one shape."""
    num_samples = _check_array(
        as_float(num_samples, dtype, "num_samples"), "num_samples", positive=True
    )
    ridges = _check_array(as_float(ridges, dtype, "ridges"), "ridges", positive=False)
    noise_var = _check_array(as_float(noise_var, dtype, "noise_var"), "noise_var", positive=False)
    try:
        shape = jnp.broadcast_shapes(num_samples.shape, ridges.shape, noise_var.shape)
    except ValueError:
        raise ValueError(
            "jaxridge: arguments `num_samples`, `ridges` and `noise_var` must broadcast "
            f"together, got shapes {num_samples.shape}, {ridges.shape}, {noise_var.shape}"
        ) from None
    return tuple(jnp.broadcast_to(x, shape) for x in (num_samples, ridges, noise_var))


@readable_errors
def ridge_risk_grid(
    eigvals: Float[ArrayLike, " n"],
    target_weights: Float[ArrayLike, " n"],
    num_samples: Float[ArrayLike, "*shape"],
    ridges: Float[ArrayLike, "*shape"],
    noise_var: Float[ArrayLike, "*shape"] = 0.0,
    *,
    num_nodes: int | None = None,
    throw: bool = True,
    max_steps: int | None = None,
) -> RidgeRisk:
    """:func:`~jaxridge.theory.ridge_risk` on a whole grid of (P, λ, σ_ε²), fast.

    The spectrum is tabulated once on ``num_nodes`` points in ``log κ`` (one pass over the
    eigenvalues per node); each grid point then costs O(1): a safeguarded Newton solve of
    ``1 − λ/κ − n₁(κ)/P = 0`` on a quintic Hermite interpolant, and the closed forms of THEORY
    §2.5–2.6. Agrees with ``jax.vmap(ridge_risk)`` to the interpolation error, which is of order
    ``h⁶`` in the node spacing ``h`` (≈ 1e-13 relative at the float64 default for spectra spanning
    up to ~10¹⁷; see the module docstring). Differentiable in every argument (forward, reverse and
    higher order): κ carries the implicit-function-theorem tangent of the interpolated equation.
    jit-able; grids of the same shape reuse one compilation, also for another N in the same
    bucket of spectrum lengths (the spectrum is zero-padded to it; module docstring).

    Args:
        eigvals: population eigenvalues ``e_k >= 0``, shape ``(N,)``.
        target_weights: ``w̄_k``, shape ``(N,)``.
        num_samples: ``P > 0``, any shape broadcastable with ``ridges`` and ``noise_var``.
        ridges: ``λ >= 0``. ``λ = 0`` is the ridgeless limit (κ = 0 when rank(Σ) ≤ P).
        noise_var: ``σ_ε² >= 0``.
        num_nodes: number of interpolation nodes ``M >= 4`` (static; default 2048 in float64,
            512 in float32). The error scales like ``((u_max − u_min)/(M − 1))⁶``.
        throw: raise ``RuntimeError`` if the κ solve does not converge at some grid point (the
            default). With ``throw=False`` nothing is raised and the result carries
            ``converged``, ``num_steps`` and ``residual`` per grid point instead.
        max_steps: iteration cap of each point's solve (static int); default from the dtype.

    Returns:
        A :class:`~jaxridge.theory.RidgeRisk` whose fields all have the broadcast shape of
        ``(num_samples, ridges, noise_var)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge import spectra, theory
        >>> e, w = spectra.power_law(10_000, alpha=1.5, r=0.4)
        >>> P = jnp.logspace(0, 6, 100)
        >>> lam = jnp.logspace(-12, 2, 100)
        >>> grid = theory.ridge_risk_grid(e, w, P[:, None], lam[None, :], 0.1)
        >>> grid.test.shape
        (100, 100)
    """
    eigvals, target_weights, num_samples, ridges, noise_var = (
        check_real(x, name)
        for x, name in (
            (eigvals, "eigvals"),
            (target_weights, "target_weights"),
            (num_samples, "num_samples"),
            (ridges, "ridges"),
            (noise_var, "noise_var"),
        )
    )
    dtype = common_dtype(eigvals, target_weights, num_samples, ridges, noise_var)
    num_nodes = check_num_nodes(num_nodes, dtype)
    eigvals, target_weights = check_spectrum(eigvals, target_weights, dtype)
    num_samples, ridges, noise_var = grid_variables(num_samples, ridges, noise_var, dtype)
    eigvals, target_weights = pad_spectrum(eigvals, target_weights)
    return _grid_jit(
        eigvals,
        target_weights,
        num_samples,
        ridges,
        noise_var,
        num_nodes,
        check_steps(max_steps),
        bool(throw),
    )
