"""Every ridge from one decomposition: weights, degrees of freedom, κ̂, training error, GCV.

All functions take a :class:`~jaxridge.empirical.Decomposition` and a vector of ridges and
return one value per ridge (THEORY §2.1, §2.6). Conventions at λ = 0 (the limit λ → 0⁺):
the weights are the minimum-norm least-squares solution, ``df̂ = rank``, ``κ̂ = 0`` when
``rank < P`` (under-parameterised) and ``P/Σ 1/gᵢ`` when ``rank = P``, and the GCV estimate is
its finite limit (below).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._validate import as_float, check_vector, common_dtype, readable_errors
from ._decomposition import Decomposition, decompose

__all__ = ["ridge_path", "ridge_statistics", "ridge_weights"]

_HI = jax.lax.Precision.HIGHEST


def _per_ridge(decomposition: Decomposition, ridges):
    """Broadcast (L, 1) ridges against (1, r) eigenvalues; masks for the null space."""
    g = decomposition.eigvals[None, :]
    lam = ridges[:, None]
    positive = g > 0
    denom = jnp.where(positive, g + lam, 1.0)
    return g, lam, positive, denom


def _checked_ridges(decomposition, ridges):
    ridges = as_float(ridges, decomposition.eigvals.dtype, "ridges")
    return check_vector(ridges, "ridges", nonnegative=True)


@readable_errors
def ridge_weights(
    decomposition: Decomposition, ridges: Float[ArrayLike, " l"]
) -> Float[Array, "l n"]:
    """``ŵ(λ) = (Σ̂ + λ)⁻¹ Xᵀy/P = Σᵢ cᵢ/(gᵢ+λ) vᵢ`` for every ridge; λ = 0 is the pseudo-inverse.

    Args:
        decomposition: from :func:`decompose`.
        ridges: ``λ >= 0``, shape ``(L,)``.

    Returns:
        Weights of shape ``(L, N)``.
    """
    return weights_unchecked(decomposition, _checked_ridges(decomposition, ridges))


@readable_errors
def ridge_statistics(decomposition: Decomposition, ridges: Float[ArrayLike, " l"]):
    """Training-data statistics of the ridge path, each of shape ``(L,)`` (see
    :func:`statistics_unchecked` for the formulas): ``(df1, kappa, train, gcv_out)``.

    Args:
        decomposition: from :func:`decompose`.
        ridges: ``λ >= 0``, shape ``(L,)``.
    """
    return statistics_unchecked(decomposition, _checked_ridges(decomposition, ridges))


@jax.jit
def weights_unchecked(decomposition: Decomposition, ridges):
    """:func:`ridge_weights` without input checks (the compiled engine's inner call)."""
    ridges = jnp.asarray(ridges, decomposition.eigvals.dtype)
    _, _, positive, denom = _per_ridge(decomposition, ridges)
    a = jnp.where(positive, decomposition.coef[None, :] / denom, 0.0)
    if decomposition.side == "features":
        return jnp.matmul(a, decomposition.eigvecs.T, precision=_HI)
    # Gram side: vᵢ = Xᵀuᵢ/sᵢ, so ŵ = ((a/s) Uᵀ) X — two thin products, never the (N, r) V.
    g = decomposition.eigvals
    inv_s = jnp.where(
        g > 0, 1.0 / jnp.sqrt(decomposition.num_samples * jnp.where(g > 0, g, 1.0)), 0.0
    )
    t = jnp.matmul(a * inv_s[None, :], decomposition.eigvecs.T, precision=_HI)  # (L, P)
    return jnp.matmul(t, decomposition.design, precision=_HI)


@jax.jit
def statistics_unchecked(decomposition: Decomposition, ridges):
    """Training-data statistics of the ridge path, each of shape ``(L,)`` (no input checks).

    Returns ``(df1, kappa, train, gcv_out)``:

    * ``df1 = Tr[Σ̂(Σ̂+λ)⁻¹] = Σ gᵢ/(gᵢ+λ)``;
    * ``kappa = κ̂ = P/Tr[(G+λ)⁻¹] = Pλ/(λ Σ_{g>0} 1/(gᵢ+λ) + P − rank)`` (form used when
      ``rank < P``; ``P/Σ 1/(gᵢ+λ)`` when ``rank = P``, which is finite at λ = 0);
    * ``train = E_tr = (1/P)‖y − Xŵ‖² = (1/P)[Σ_{g>0} (λ/(gᵢ+λ))² bᵢ² + ‖y⊥‖²]``;
    * ``gcv_out = (κ̂/λ)² E_tr = κ̂²‖(G+λ)⁻¹y‖²/P``, the GCV estimate of the out-of-sample error
      ``E_out`` (subtract σ² for ``E_g``). Derivation of a form finite at λ = 0: since
      ``κ̂/λ = P/(λS + P − rank)`` with ``S = Σ_{g>0} 1/(gᵢ+λ)``, when ``rank < P`` it is
      ``(P/(λS + P − rank))²·E_tr`` → ``E_tr/(1 − rank/P)²`` at λ = 0; when ``rank = P`` there is
      no null space, ``‖y⊥‖ = 0`` and it is ``κ̂² Σ bᵢ²/(gᵢ+λ)² / P`` → ``κ̂² y ᵀG⁻²y/P``.
    """
    dtype = decomposition.eigvals.dtype
    ridges = jnp.asarray(ridges, dtype)
    g, lam, positive, denom = _per_ridge(decomposition, ridges)
    p = decomposition.num_samples
    inv = jnp.where(positive, 1.0 / denom, 0.0)
    df1 = jnp.sum(jnp.where(positive, g * inv, 0.0), axis=-1)
    s = jnp.sum(inv, axis=-1)
    deficit = p - decomposition.rank
    under = deficit > 0
    lam1 = ridges
    kappa_under = p * lam1 / jnp.where(under, lam1 * s + deficit, 1.0)
    kappa_full = p / jnp.where(s > 0, s, 1.0)
    kappa = jnp.where(under, kappa_under, kappa_full)
    # λ/(g+λ) is 1 on the null space (g = 0), including at λ = 0.
    shrink = jnp.where(positive, lam * inv, 1.0)
    b2 = decomposition.proj2[None, :]
    train = (jnp.sum(shrink * shrink * b2, axis=-1) + decomposition.residual2) / p
    ratio = p / jnp.where(under, lam1 * s + deficit, 1.0)
    q = jnp.sum(jnp.where(positive, b2 * inv * inv, 0.0), axis=-1)
    gcv_out = jnp.where(under, ratio * ratio * train, kappa * kappa * q / p)
    return df1, kappa, train, gcv_out


@readable_errors
def ridge_path(
    X: Float[ArrayLike, "p n"], y: Float[ArrayLike, " p"], ridges: Float[ArrayLike, " l"]
) -> Float[Array, "l n"]:
    """Ridge solutions ``argmin_w (1/P)‖y − Xw‖² + λ‖w‖²`` for every λ, from one ``eigh``.

    Decomposes the smaller of ``XᵀX/P`` (N × N) and ``XXᵀ/P`` (P × P) once, then every λ is a
    diagonal rescaling and one matrix product. ``λ = 0`` gives the minimum-norm least-squares
    solution ``X⁺y`` (eigenvalues below ``max(N, P)·eps·max g`` are treated as zero), never NaN.

    Args:
        X: design matrix, shape ``(P, N)``.
        y: labels, shape ``(P,)``.
        ridges: ``λ >= 0``, shape ``(L,)``.

    Returns:
        Weights of shape ``(L, N)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxridge.empirical import ridge_path
        >>> X = jax.random.normal(jax.random.key(0), (30, 50))
        >>> w = ridge_path(X, X[:, 0], jnp.array([0.0, 1e-3, 1.0]))
        >>> w.shape
        (3, 50)
    """
    dtype = common_dtype(X, y, ridges)
    ridges = check_vector(as_float(ridges, dtype, "ridges"), "ridges", nonnegative=True)
    return weights_unchecked(decompose(as_float(X, dtype, "X"), as_float(y, dtype, "y")), ridges)
