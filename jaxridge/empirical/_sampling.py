"""Gaussian training sets ``x = Σ^{1/2} z``, ``y = w̄ᵀx + σ ξ`` (THEORY §5.8).

Random streams. Row ``μ`` of a training set drawn with ``key`` uses its own key
``fold_in(key, μ)``, from which N + 1 standard normals are drawn: entry 0 is the label noise ξ_μ,
entries 1…N the covariates z_μ. Consequences, all relied upon and tested:

* data sets are *nested*: the first ``P`` rows of a draw of ``P' > P`` samples are exactly the
  draw of ``P`` samples (so a learning curve grows one data set, as an experimenter would, and
  zero-padding rows never changes the real ones);
* with JAX's default partitionable Threefry PRNG the covariates of the first ``N'`` features do
  not depend on how many features are drawn, which makes the width curves nested in N too;
* seeds are ``fold_in(key, seed)``, so a result never depends on how a grid is chunked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._validate import (
    as_float,
    check,
    check_choice,
    check_count,
    check_key,
    check_scalar,
    check_spectrum,
    common_dtype,
    readable_errors,
)

__all__ = ["draw_normals", "sample_cov_factors", "sample_data", "seed_keys"]


def seed_keys(key: PRNGKeyArray, num_seeds: int) -> PRNGKeyArray:
    """Keys of seeds ``0 … num_seeds − 1``: ``fold_in(key, seed)``."""
    return jax.vmap(jax.random.fold_in, (None, 0))(key, jnp.arange(num_seeds, dtype=jnp.uint32))


def draw_normals(key, num_rows: int, num_features: int, dtype):
    """The raw draws behind :func:`sample_data`: ``(num_rows, num_features + 1)`` normals.

    Column 0 is the label noise ξ, columns 1…N the covariates z (before scaling by √e).
    """
    keys = jax.vmap(jax.random.fold_in, (None, 0))(key, jnp.arange(num_rows, dtype=jnp.uint32))
    return jax.vmap(lambda k: jax.random.normal(k, (num_features + 1,), dtype))(keys)


def _row(key, sqrt_eigvals, target_weights, noise_std):
    # One draw of N + 1 normals: entry 0 is the label noise, entries 1..N the covariates (so the
    # first covariates do not depend on N under the partitionable PRNG).
    dtype = sqrt_eigvals.dtype
    draw = jax.random.normal(key, (sqrt_eigvals.shape[0] + 1,), dtype)
    x = draw[1:] * sqrt_eigvals
    # x·w̄ as a plain sum (a matvec of one row): no TF32 on GPUs.
    y = jnp.sum(x * target_weights) + noise_std * draw[0]
    return x, y


def sample_rows(key, sqrt_eigvals, target_weights, noise_std, num_rows: int, num_samples=None):
    """``num_rows`` rows in the eigenbasis; rows ``>= num_samples`` (traced) are set to zero.

    Row μ depends on ``fold_in(key, μ)`` only, so the real rows do not depend on ``num_rows``.
    """
    keys = jax.vmap(jax.random.fold_in, (None, 0))(key, jnp.arange(num_rows, dtype=jnp.uint32))
    x, y = jax.vmap(_row, (0, None, None, None))(keys, sqrt_eigvals, target_weights, noise_std)
    if num_samples is not None:
        keep = jnp.arange(num_rows) < num_samples
        x = jnp.where(keep[:, None], x, 0.0)
        y = jnp.where(keep, y, 0.0)
    return x, y


@readable_errors
def sample_data(
    key: PRNGKeyArray,
    eigvals: Float[ArrayLike, " n"],
    target_weights: Float[ArrayLike, " n"],
    num_samples: int,
    noise_var: ArrayLike = 0.0,
    *,
    eigvecs: Float[ArrayLike, "n n"] | None = None,
    sample_cov: Float[ArrayLike, "p p"] | Callable | None = None,
    noise: str = "correlated",
) -> tuple[Float[Array, "p n"], Float[Array, " p"]]:
    """Draw a Gaussian training set ``X = Z·diag(√e)``, ``y = X w̄ + σ ξ``.

    ``Z`` (P × N) and ``ξ`` (P) are standard Gaussian. With ``eigvecs = V`` (columns are the
    eigenvectors of a rotated covariance ``Σ = V diag(e) Vᵀ``) the covariates are
    ``X = Z·diag(√e)·Vᵀ`` and ``target_weights`` are still given **in the eigenbasis**: the target
    in input coordinates is ``V w̄``, i.e. ``y = X (V w̄) + σ ξ``. The labels are the same as
    without ``eigvecs`` (ridge regression is rotation invariant), only X is rotated.

    Row μ is drawn from ``fold_in(key, μ)``: the first P rows of a larger draw are this draw.

    Correlated samples (THEORY §9.1): with ``sample_cov`` the rows are correlated,
    ``X = K^{1/2} Z·diag(√e)``, and the label noise is ``σ K^{1/2} ξ`` (``noise="correlated"``)
    or ``σ ξ`` (``noise="iid"``); ``y = X w̄ + noise``. ``sample_cov`` is the P × P matrix K
    (its Cholesky factor L, ``LLᵀ = K``, is the square root used: any square root gives the same
    distribution), or a callable applying a square root of K to a ``(P, m)`` block (so a
    structured K, e.g. Toeplitz, need not be formed): it receives ``[ξ, Z·diag(√e)]``.
    With a lower-triangular root, as here, the first P rows of a stationary process of P' > P
    rows are the draw of P rows.

    Args:
        key: a JAX PRNG key.
        eigvals: population eigenvalues ``e_k >= 0``, shape ``(N,)``.
        target_weights: ``w̄_k`` in the eigenbasis, shape ``(N,)``.
        num_samples: P, a Python int >= 1 (it fixes the shape).
        noise_var: label-noise variance ``σ² >= 0``.
        eigvecs: optional orthogonal ``(N, N)`` matrix V whose columns are Σ's eigenvectors.
        sample_cov: optional sample–sample covariance K, ``(P, P)`` symmetric positive
            definite, or a callable ``block (P, m) -> K^{1/2} @ block``.
        noise: with ``sample_cov``: ``"correlated"`` (noise covariance σ²K) or ``"iid"`` (σ²I).

    Returns:
        ``(X, y)`` of shapes ``(P, N)`` and ``(P,)`` in the inputs' floating dtype.

    Example:
        >>> import jax
        >>> from jaxridge import spectra
        >>> from jaxridge.empirical import sample_data
        >>> e, w = spectra.power_law(100, alpha=2.0, r=0.5)
        >>> X, y = sample_data(jax.random.key(0), e, w, 50, noise_var=0.1)
        >>> X.shape, y.shape
        ((50, 100), (50,))
    """
    num_samples = check_count(num_samples, "num_samples")
    key = check_key(key)
    extra = () if eigvecs is None else (eigvecs,)
    dtype = common_dtype(eigvals, target_weights, noise_var, *extra)
    eigvals, target_weights = check_spectrum(eigvals, target_weights, dtype)
    n = eigvals.shape[0]
    noise_var = check_scalar(as_float(noise_var, dtype, "noise_var"), "noise_var", nonnegative=True)
    if eigvecs is not None:
        eigvecs = as_float(eigvecs, dtype, "eigvecs")
        if eigvecs.shape != (n, n):
            raise ValueError(
                f"jaxridge: argument `eigvecs` must have shape {(n, n)}, got {eigvecs.shape}"
            )
        eigvecs = check(eigvecs, ~jnp.isfinite(eigvecs), "eigvecs", "contains NaN or inf")
    check_choice(noise, "noise", ("correlated", "iid"))
    if sample_cov is None:
        return _sample(key, eigvals, target_weights, noise_var, eigvecs, num_samples)
    x, xi = _sample_raw(key, eigvals, num_samples)
    block = jnp.concatenate([xi[:, None], x], axis=1)
    if callable(sample_cov):
        rooted = jnp.asarray(sample_cov(block))
        if rooted.shape != block.shape:
            raise ValueError(
                f"jaxridge: argument `sample_cov` (a callable) must map a block of shape "
                f"{block.shape} to the same shape, got {rooted.shape}"
            )
        rooted = check(
            rooted.astype(dtype), ~jnp.isfinite(rooted), "sample_cov", "returned NaN or inf"
        )
    else:
        rooted = _apply_root(_sample_cov_root(sample_cov, num_samples, dtype), block)
    signal_noise = rooted[:, 0] if noise == "correlated" else xi
    return _correlated(rooted[:, 1:], signal_noise, target_weights, noise_var, eigvecs)


def sample_cov_factors(sample_cov, num_samples, dtype):
    """``(R, K)``: a square root R (``R Rᵀ = K``) of a checked sample covariance and K itself.

    A matrix K gives its Cholesky factor; a callable root gives ``R = sample_cov(I)`` (it is
    applied once to the P × P identity) and ``K = R Rᵀ``.
    """
    if not callable(sample_cov):
        root = _sample_cov_root(sample_cov, num_samples, dtype)
        return root, as_float(sample_cov, dtype, "sample_cov")
    root = jnp.asarray(sample_cov(jnp.eye(num_samples, dtype=dtype)))
    if root.shape != (num_samples, num_samples):
        raise ValueError(
            f"jaxridge: argument `sample_cov` (a callable) must map a block of shape "
            f"{(num_samples, num_samples)} to the same shape, got {root.shape}"
        )
    root = check(root.astype(dtype), ~jnp.isfinite(root), "sample_cov", "returned NaN or inf")
    return root, jnp.matmul(root, root.T, precision=jax.lax.Precision.HIGHEST)


def _sample_cov_root(sample_cov, num_samples, dtype):
    """The Cholesky factor of a checked sample covariance K (symmetric positive definite)."""
    k = as_float(sample_cov, dtype, "sample_cov")
    if k.shape != (num_samples, num_samples):
        raise ValueError(
            f"jaxridge: argument `sample_cov` must have shape {(num_samples, num_samples)} "
            f"(P × P), got {k.shape}"
        )
    k = check(k, ~jnp.isfinite(k), "sample_cov", "contains NaN or inf")
    scale = jnp.max(jnp.abs(k))
    asymmetric = jnp.max(jnp.abs(k - k.T)) > 64 * jnp.finfo(dtype).eps * scale
    k = check(k, asymmetric, "sample_cov", "must be symmetric")
    root = jnp.linalg.cholesky(k)
    return check(root, ~jnp.all(jnp.isfinite(root)), "sample_cov", "must be positive definite")


@jax.jit
def _apply_root(root, block):
    return jnp.matmul(root, block, precision=jax.lax.Precision.HIGHEST)


@functools.partial(jax.jit, static_argnums=2)
def _sample_raw(key, eigvals, num_samples):
    """The draws of :func:`sample_data` before the labels: ``Z·diag(√e)`` and ξ."""
    draw = draw_normals(key, num_samples, eigvals.shape[0], eigvals.dtype)
    return draw[:, 1:] * jnp.sqrt(eigvals)[None, :], draw[:, 0]


@jax.jit
def _correlated(x, noise, target_weights, noise_var, eigvecs):
    y = jnp.sum(x * target_weights[None, :], axis=1) + jnp.sqrt(noise_var) * noise
    if eigvecs is not None:
        x = jnp.matmul(x, eigvecs.T, precision=jax.lax.Precision.HIGHEST)
    return x, y


@functools.partial(jax.jit, static_argnums=5)
def _sample(key, eigvals, target_weights, noise_var, eigvecs, num_samples):
    x, y = sample_rows(key, jnp.sqrt(eigvals), target_weights, jnp.sqrt(noise_var), num_samples)
    if eigvecs is not None:
        x = jnp.matmul(x, eigvecs.T, precision=jax.lax.Precision.HIGHEST)
    return x, y
