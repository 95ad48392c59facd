"""Numerics shared by the theory solvers: blocked fused sums, a safe ratio, the κ bracket.

Everything here is a pure function of arrays, used by ``linear``, ``grid``, ``density`` and
``features``; none of it is public.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = [
    "BLOCK",
    "amplified",
    "as_blocks",
    "fused_sums",
    "is_zero_branch",
    "kappa_log_bracket",
    "ratio",
    "spectrum_summary",
    "stable_gaps",
]

BLOCK = 64


def as_blocks(x):
    """Lay a 1-D spectrum out as ``(ceil(N/64), 64)``, zero-padded (zeros add nothing to sums).

    Done once per call, outside the solver loop, so that :func:`fused_sums` can reduce blocks.
    """
    n = x.shape[-1]
    return jnp.pad(x, (0, (-n) % BLOCK)).reshape(-1, BLOCK)


def _fused_sums(*terms):
    """Full sums of several same-shaped arrays with ONE variadic reduction over the last axis.

    XLA does not fuse sibling reductions that share an expensive producer (the reciprocal
    1/(e+κ)); it materialises it, which costs ~15x under vmap. A variadic reduce keeps every sum
    in a single pass over the spectrum — but it accumulates sequentially (0.8 % error over 10⁶
    float32 terms), so terms come in blocks (:func:`as_blocks`): sequential within a block of 64,
    then a tree sum (``jnp.sum``) over blocks.
    """
    zeros = tuple(jnp.zeros((), t.dtype) for t in terms)
    partial = jax.lax.reduce(
        terms,
        zeros,
        lambda a, b: tuple(x + y for x, y in zip(a, b, strict=True)),
        (terms[0].ndim - 1,),
    )
    return tuple(jnp.sum(p) for p in partial)


# Sums are linear: their tangent is the sum of the tangents. This replaces JAX's rule for the
# variadic reduce, which fails on symbolic-zero tangents (e.g. grad in target_weights alone).
fused_sums = jax.custom_jvp(_fused_sums)
fused_sums.__doc__ = _fused_sums.__doc__
fused_sums.defjvp(
    lambda primals, tangents: (fused_sums(*primals), tuple(jnp.sum(t) for t in tangents))
)


@jax.custom_jvp
def ratio(x, y):
    """x / y whose derivative never forms y⁻².

    JAX differentiates x/y as dx/y − x·dy·y⁻²; for eigenvalues below ~1e-19 in float32, y²
    underflows and the κ = 0 branch (x = 0) gives 0·inf = NaN. Here d(x/y) = (dx − (x/y)·dy)/y.
    """
    return x / y


@ratio.defjvp
def _ratio_jvp(primals, tangents):
    x, y = primals
    dx, dy = tangents
    q = ratio(x, y)
    return q, ratio(dx - q * dy, y)


def amplified(numerator, one_minus_gamma):
    """numerator/(1 − γ), +inf at the threshold (0 when the numerator is exactly 0)."""
    ok = one_minus_gamma > 0
    safe = jnp.where(ok, one_minus_gamma, 1.0)
    return jnp.where(ok, numerator / safe, jnp.where(numerator > 0, jnp.inf, 0.0))


def spectrum_summary(eigvals):
    """``(rank, TrΣ, e_min)`` over the positive eigenvalues (``e_min = inf`` if there is none)."""
    positive = eigvals > 0
    rank = jnp.sum(positive).astype(eigvals.dtype)
    trace = jnp.sum(eigvals)
    smallest = jnp.min(jnp.where(positive, eigvals, jnp.inf))
    return rank, trace, smallest


def is_zero_branch(rank, num_samples, ridge):
    """λ = 0 and rank(Σ) ≤ P: the ridgeless solution has κ = 0 (THEORY §5.4)."""
    return (ridge == 0) & (rank <= num_samples)


def kappa_log_bracket(rank, trace, smallest, num_samples, ridge):
    """The bracket of κ (THEORY §2.3/§5.3) in ``log κ``, elementwise.

    Lower bound: κ ≥ max(λ, κ₀), and n₁(κ) ≥ rank·e_min/(e_min+κ) gives
    κ₀ ≥ e_min (rank − P)/P when rank > P. Upper bound: κ ≤ λ + TrΣ/P, and κ ≤ λ/(1 − rank/P)
    when rank < P.

    Returns:
        ``(lo, hi, zero_branch)``; on the κ = 0 branch the bracket is that of λ = 1 (solvable,
        and discarded by the caller).
    """
    tiny = jnp.finfo(jnp.result_type(trace)).tiny
    zero_branch = is_zero_branch(rank, num_samples, ridge)
    lam = jnp.where(zero_branch, 1.0, ridge)
    smallest = jnp.where(jnp.isfinite(smallest), smallest, 1.0)
    kappa_lo = jnp.maximum(lam, smallest * jnp.maximum(rank - num_samples, 0.0) / num_samples)
    kappa_hi = lam + trace / num_samples
    under = rank < num_samples
    kappa_hi_under = lam / jnp.where(under, 1.0 - rank / num_samples, 1.0)
    kappa_hi = jnp.where(under & (kappa_hi_under < kappa_hi), kappa_hi_under, kappa_hi)
    lo = jnp.log(jnp.maximum(kappa_lo, tiny))
    hi = jnp.maximum(jnp.log(jnp.maximum(kappa_hi, tiny)), lo)
    return lo, hi, zero_branch


def stable_gaps(rank, num_samples, ridge, kappa, n1_minus_n2):
    """a = 1 − n₁/P and 1 − γ = a + (n₁ − n₂)/P without cancellation (THEORY §5.6).

    a = λ/κ for λ > 0; a = 0 for λ = 0, κ > 0; a = 1 − rank/P on the κ = 0 branch.
    """
    zero_branch = is_zero_branch(rank, num_samples, ridge)
    safe_kappa = jnp.where(kappa > 0, kappa, 1.0)
    a = jnp.where(zero_branch, 1.0 - rank / num_samples, ridge / safe_kappa)
    return a, a + n1_minus_n2 / num_samples
