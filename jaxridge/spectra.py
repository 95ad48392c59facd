"""Population spectra and targets: ``(eigvals, target_weights)`` pairs.

Every function returns the eigenvalues ``e_k`` of the covariance Σ (in its eigenbasis, so Σ =
diag(e)) and the target weights ``w̄_k`` in that basis, as float arrays of length N.

Convention (THEORY §1, §4.1): the power law is ``e_k = k^−α`` and ``e_k w̄_k² = k^−(1+2αr)``,
unnormalised, i.e. ``w̄_k = k^−(1+α(2r−1))/2``. α is the capacity exponent (α > 1 for a finite
trace) and r the source exponent (rates saturate at r = 1).

``num_features`` and block sizes fix shapes, so they are Python ints (static under ``jit``);
exponents, values and weights are traced and differentiable.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from . import _validate as _v

__all__ = ["blocks", "from_data", "from_file", "isotropic", "power_law"]


def _dtype(dtype, *args):
    if dtype is not None:
        return _v.check_float_dtype(dtype, "dtype")
    return _v.common_dtype(*args)


@_v.readable_errors
def power_law(
    num_features: int,
    alpha: ArrayLike,
    r: ArrayLike,
    *,
    normalize: bool = False,
    dtype=None,
) -> tuple[Float[Array, " n"], Float[Array, " n"]]:
    """Power-law spectrum ``e_k = k^−α`` with target ``e_k w̄_k² = k^−(1+2αr)``, k = 1..N.

    Args:
        num_features: N, the number of eigenvalues (a Python int).
        alpha: capacity exponent α (> 0; α > 1 for a trace that stays finite as N → ∞).
        r: source exponent r (any real; r > 1 saturates).
        normalize: if True, rescale w̄ so that the signal variance ``Σ_k e_k w̄_k² = 1``.
        dtype: float dtype (default: promoted from ``alpha`` and ``r``).

    Returns:
        ``(eigvals, target_weights)``, each of shape ``(N,)``; differentiable in α and r.

    Example:
        >>> e, w = power_law(4, alpha=2.0, r=0.5)
        >>> [round(float(x), 4) for x in e]
        [1.0, 0.25, 0.1111, 0.0625]
    """
    n = _v.check_count(num_features, "num_features")
    dtype = _dtype(dtype, alpha, r)
    alpha = _v.check_scalar(_v.as_float(alpha, dtype, "alpha"), "alpha", positive=True)
    r = _v.check_scalar(_v.as_float(r, dtype, "r"), "r")
    log_k = jnp.log(jnp.arange(1, n + 1, dtype=dtype))
    eigvals = jnp.exp(-alpha * log_k)
    target_weights = jnp.exp(-0.5 * (1.0 + alpha * (2.0 * r - 1.0)) * log_k)
    if normalize:
        target_weights = target_weights / jnp.sqrt(jnp.sum(eigvals * target_weights**2))
    return eigvals, target_weights


@_v.readable_errors
def isotropic(
    num_features: int, norm2: ArrayLike = 1.0, *, dtype=None
) -> tuple[Float[Array, " n"], Float[Array, " n"]]:
    """Isotropic covariance Σ = I_N with a flat target of squared norm ``‖w̄‖² = norm2``.

    Args:
        num_features: N.
        norm2: ``W = ‖w̄‖² >= 0``; the target is ``w̄_k = sqrt(W/N)`` (the theory depends on
            ‖w̄‖ only).
        dtype: float dtype (default: promoted from ``norm2``).

    Returns:
        ``(eigvals, target_weights)``, each of shape ``(N,)``.

    Example:
        >>> e, w = isotropic(1000, norm2=1.0)
    """
    n = _v.check_count(num_features, "num_features")
    dtype = _dtype(dtype, norm2)
    norm2 = _v.check_scalar(_v.as_float(norm2, dtype, "norm2"), "norm2", nonnegative=True)
    eigvals = jnp.ones((n,), dtype)
    target_weights = jnp.full((n,), 1.0, dtype) * jnp.sqrt(norm2 / n)
    return eigvals, target_weights


@_v.readable_errors
def blocks(
    sizes: Sequence[int],
    values: Float[ArrayLike, " b"],
    weights: Float[ArrayLike, " b"],
    *,
    target_norm: ArrayLike | None = None,
    dtype=None,
) -> tuple[Float[Array, " n"], Float[Array, " n"]]:
    """Gapped spectrum made of constant blocks (the multiple-descent spectrum of THEORY §7.4).

    Block b holds ``sizes[b]`` eigenvalues equal to ``values[b]``; every target weight in it
    equals ``weights[b]`` (per coordinate). ``target_norm`` then rescales ``‖w̄‖`` if given.

    Args:
        sizes: number of eigenvalues in each block (Python ints, >= 1).
        values: the eigenvalue of each block (>= 0).
        weights: the per-coordinate target weight in each block.
        target_norm: if given, rescale so that ``‖w̄‖ = target_norm``.
        dtype: float dtype (default: promoted from ``values`` and ``weights``).

    Returns:
        ``(eigvals, target_weights)`` of length ``sum(sizes)``.

    Example:
        >>> e, w = blocks([10, 100, 10_000], [1.0, 1e-2, 1e-5], [1.0, 10.0, 100.0],
        ...               target_norm=100.0)
    """
    sizes = tuple(int(s) for s in _v.check_sizes(sizes, "sizes"))
    _v.check_count(sum(sizes), "sizes (their sum)")
    dtype = _dtype(dtype, values, weights)
    values = _v.check_vector(
        _v.as_float(values, dtype, "values"), "values", nonnegative=True, length=len(sizes)
    )
    weights = _v.check_vector(_v.as_float(weights, dtype, "weights"), "weights", length=len(sizes))
    index = jnp.repeat(jnp.arange(len(sizes)), jnp.array(sizes), total_repeat_length=sum(sizes))
    eigvals = values[index]
    target_weights = weights[index]
    if target_norm is not None:
        target_norm = _v.check_scalar(
            _v.as_float(target_norm, dtype, "target_norm"), "target_norm", nonnegative=True
        )
        norm = jnp.sqrt(jnp.sum(target_weights**2))
        target_weights = target_weights * (target_norm / jnp.where(norm > 0, norm, 1.0))
    return eigvals, target_weights


@_v.readable_errors
def from_data(
    X: Float[ArrayLike, "n d"],
    y: Float[ArrayLike, " n"],
    *,
    ridge: ArrayLike = 0.0,
    center: bool = True,
    population: bool = False,
    return_noise: bool = False,
) -> tuple[Float[Array, " d"], Float[Array, " d"]] | tuple[Array, Array, Array]:
    """Estimate ``(eigvals, target_weights)`` of a real data set from a large sample.

    Eigen-decomposes the sample covariance ``C = XᵀX/n = V diag(e) Vᵀ`` (after centring) and
    expresses the (ridge-regularised) least-squares target in its eigenbasis,
    ``w̄ = (diag(e) + λ)⁻¹ VᵀXᵀy/n``, so that the deterministic equivalents predict the learning
    curve of ridge regression on data drawn like ``X`` (THEORY §1: Σ = diag(e) in that basis).
    With ``ridge=0`` directions with ``e_k <= d·eps·max(e)`` get ``w̄_k = 0`` (pseudo-inverse).

    The noise variance is the residual variance of that linear fit: ``RSS/(n − df − c)`` with
    ``df = Σ e_k/(e_k + λ)`` and ``c = 1`` when centring (unbiased for a linear-Gaussian
    population), or ``RSS/n`` with ``population=True``, which treats the sample itself as the
    population (rows drawn from ``X``): then ``w̄`` is exactly the best linear predictor and the
    test error of any ŵ on that population is ``(ŵ − w̄)ᵀΣ(ŵ − w̄) + RSS/n``.

    Args:
        X: samples, shape ``(n, d)``.
        y: labels, shape ``(n,)``.
        ridge: ``λ >= 0`` regularising the target estimate (useful when d is close to n).
        center: subtract the column means of X and the mean of y first.
        population: noise as ``RSS/n`` (the sample is the population), see above.
        return_noise: also return the noise variance.

    Returns:
        ``(eigvals, target_weights)`` (eigenvalues in decreasing order), or
        ``(eigvals, target_weights, noise_var)`` with ``return_noise=True``.

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(0).standard_normal((5000, 3)) * [3.0, 2.0, 1.0]
        >>> e, w = from_data(X, X @ np.array([1.0, 0.0, 0.0]))   # e ≈ [9, 4, 1], |w̄| ≈ [1, 0, 0]
    """
    dtype = _v.common_dtype(X, y)
    X = _v.as_float(X, dtype, "X")
    y = _v.as_float(y, dtype, "y")
    if X.ndim != 2:
        raise ValueError(f"jaxridge: argument `X` must be a 2-D array (n, d), got shape {X.shape}")
    n, d = X.shape
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"jaxridge: argument `y` must have shape ({n},), got {y.shape}")
    if n < 2:
        raise ValueError("jaxridge: argument `X` needs at least 2 rows")
    if X.shape[1] < 1:
        raise ValueError("jaxridge: argument `X` needs at least one column")
    X = _v.check(X, ~jnp.isfinite(X), "X", "contains NaN or inf")
    y = _v.check_vector(y, "y")
    ridge = _v.check_scalar(_v.as_float(ridge, dtype, "ridge"), "ridge", nonnegative=True)
    if center:
        X = X - jnp.mean(X, axis=0, keepdims=True)
        y = y - jnp.mean(y)
    hi = jax.lax.Precision.HIGHEST
    cov = jnp.matmul(X.T, X, precision=hi) / n
    eigvals, eigvecs = jnp.linalg.eigh(0.5 * (cov + cov.T))
    eigvals, eigvecs = jnp.maximum(eigvals[::-1], 0.0), eigvecs[:, ::-1]
    proj = jnp.matmul(eigvecs.T, jnp.matmul(X.T, y, precision=hi), precision=hi) / n
    keep = (eigvals > d * jnp.finfo(dtype).eps * eigvals[0]) | (ridge > 0)
    denom = jnp.where(keep, eigvals + ridge, 1.0)
    target_weights = jnp.where(keep, proj / denom, 0.0)
    if not return_noise:
        return eigvals, target_weights
    fitted = jnp.matmul(X, jnp.matmul(eigvecs, target_weights, precision=hi), precision=hi)
    rss = jnp.sum((y - fitted) ** 2)
    if population:
        noise_var = rss / n
    else:
        dof = jnp.sum(jnp.where(keep, eigvals / denom, 0.0)) + (1.0 if center else 0.0)
        noise_var = rss / jnp.maximum(n - dof, 1.0)
    return eigvals, target_weights, noise_var


@_v.readable_errors
def from_file(
    path: str | os.PathLike, *, name: str = "path", dtype=None
) -> tuple[Float[Array, " n"], Float[Array, " n"]]:
    """Read ``(eigvals, target_weights)`` saved by ``np.savez(path, eigvals=…, target_weights=…)``.

    Args:
        path: an ``.npz`` file holding two 1-D arrays of one length, ``eigvals`` (>= 0, finite)
            and ``target_weights`` (finite).
        name: the argument's name in error messages (a sweep spec passes ``spectrum.path``).
        dtype: float dtype of the result (default: the default float).

    Returns:
        ``(eigvals, target_weights)``, each of shape ``(N,)``.

    Example:
        >>> import numpy as np, tempfile, os
        >>> file = os.path.join(tempfile.mkdtemp(), "spectrum.npz")
        >>> np.savez(file, eigvals=[1.0, 0.5], target_weights=[1.0, 1.0])
        >>> e, w = from_file(file)
        >>> e.shape
        (2,)
    """
    file = Path(path).expanduser()
    where = f"({file})"
    try:
        data = np.load(file, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _v.fail(name, f"{where} cannot be read as an .npz file: {reason}") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise _v.fail(
            name,
            f"{where} is a single {type(data).__name__} (an .npy file?); save the spectrum with "
            "np.savez(path, eigvals=..., target_weights=...)",
        )
    with data:
        missing = [k for k in ("eigvals", "target_weights") if k not in data.files]
        if missing:
            raise _v.fail(
                name,
                f"{where} lacks the array(s) {', '.join(missing)}; it holds "
                f"{', '.join(data.files) or 'nothing'}; expected eigvals and target_weights",
            )
        try:
            eigvals, weights = data["eigvals"], data["target_weights"]
        except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
            raise _v.fail(name, f"{where} is truncated or corrupt: {exc}") from None
    dtype = _dtype(dtype)
    try:  # concrete contents: report them with the file
        eigvals = _v.as_float(eigvals, dtype, "eigvals")
        weights = _v.as_float(weights, dtype, "target_weights")
        eigvals = _v.check_vector(eigvals, "eigvals", nonnegative=True)
        weights = _v.check_vector(weights, "target_weights", length=eigvals.shape[0])
    except ValueError as exc:
        detail = str(exc).removeprefix("jaxridge: argument ")
        raise _v.fail(name, f"{where} holds a bad array: {detail}") from None
    return eigvals, weights
