"""CorrGCV: the out-of-sample error of ridge from training data and the sample covariance
alone, for correlated training samples (THEORY §9.5).

``Ê_out = E_tr · P / Tr[κ̃̂² K (K + κ̃̂)⁻²]``, with κ̃̂ the sample-side ridge of the empirical
degrees of freedom: ``n₁^K(κ̃̂) = Σ_μ k_μ/(k_μ + κ̃̂) = df̂``, ``df̂ = Tr[Σ̂(Σ̂ + λ)⁻¹]``. For K = I it
is plain GCV, ``E_tr/(1 − df̂/P)²``. It is unbiased when the label noise is correlated like the
samples (then E_tr = t_K·E_out exactly in the deterministic equivalent, t_K = Tr[κ̃²K(K+κ̃)⁻²]/P)
and biased with i.i.d. noise; plain GCV under correlation underestimates E_out. One draw
scatters by several per cent (the effective sample size is ≈ P²/Tr K²).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .. import theory
from .._batching import map_flat
from .._validate import as_float, check, check_vector, common_dtype, readable_errors

__all__ = ["corrgcv", "sample_trace"]


@readable_errors
def corrgcv(
    train: Float[ArrayLike, " *shape"],
    df1: Float[ArrayLike, " *shape"],
    sample_eigvals: Float[ArrayLike, " p"],
) -> Float[Array, " *shape"]:
    """CorrGCV estimate of the out-of-sample error ``E_out`` (module docstring).

    Args:
        train: training errors ``E_tr = (1/P)‖y − Xŵ‖²`` (any shape, e.g. one per ridge).
        df1: the empirical degrees of freedom ``df̂ = Tr[Σ̂(Σ̂ + λ)⁻¹]`` of the same fits
            (``ridge_statistics``' ``df1``), the same shape; ``0 < df̂ < P``. CorrGCV is
            undefined for an interpolating fit (λ = 0 with P <= N: E_tr = 0 and df̂ = P).
        sample_eigvals: the P eigenvalues ``k_μ > 0`` of the training set's sample covariance
            K (P = their number).

    Returns:
        ``Ê_out``, of the shape of ``train``; subtract σ² for an estimate of ``E_g``.

    Example:
        >>> df1, _, train, _ = ridge_statistics(decompose(X, y), ridges)  # doctest: +SKIP
        >>> corrgcv(train, df1, k)                                          # doctest: +SKIP
    """
    dtype = common_dtype(train, df1, sample_eigvals)
    k = check_vector(as_float(sample_eigvals, dtype, "sample_eigvals"), "sample_eigvals")
    k = check(k, k <= 0, "sample_eigvals", "must be > 0 (a positive-definite K)")
    train = as_float(train, dtype, "train")
    df1 = as_float(df1, dtype, "df1")
    if train.shape != df1.shape:
        raise ValueError(
            f"jaxridge: argument `df1` must have the shape of `train` {train.shape}, "
            f"got {df1.shape}"
        )
    train = check(train, ~jnp.isfinite(train) | (train < 0), "train", "must be finite and >= 0")
    p = k.shape[0]
    df1 = check(
        df1,
        ~(df1 > 0) | ~(df1 < p),
        "df1",
        f"must lie in (0, P = {p}); CorrGCV is undefined for an interpolating fit",
    )
    return _corrgcv(train, df1, k)


def sample_trace(sample_eigvals, df, num_samples):
    """``t_K = Tr[κ̃² K (K + κ̃)⁻²]/P`` at the κ̃ of ``n₁^K(κ̃) = df`` (``0 < df < P``).

    Zero entries of ``sample_eigvals`` are padding (they add nothing), so spectra of different
    P can share one shape; ``num_samples`` is the true P.
    """
    k = sample_eigvals
    kappa = theory.kappa_from_df(k, df)
    s = kappa / (k + kappa)
    return jnp.sum(k * s * s) / num_samples


@jax.jit
def _corrgcv(train, df1, k):
    return train / map_flat(lambda df: sample_trace(k, df, k.shape[0]), df1)
