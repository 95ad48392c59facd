"""Population spectra and targets: ``(eigvals, target_weights)`` pairs.

Every function returns the eigenvalues ``e_k`` of the covariance Σ (in its eigenbasis, so Σ =
diag(e)) and the target weights ``w̄_k`` in that basis, as float arrays of length N.

Convention (THEORY §1, §4.1): the power law is ``e_k = k^−α`` and ``e_k w̄_k² = k^−(1+2αr)``,
unnormalised, i.e. ``w̄_k = k^−(1+α(2r−1))/2``. α is the capacity exponent (α > 1 for a finite
trace) and r the source exponent (rates saturate at r = 1).

``num_features`` and block sizes fix shapes, so they are Python ints (static under ``jit``);
exponents, values and weights are traced and differentiable.

Sample correlations (THEORY §9.4): the eigenvalues of a stationary P × P correlation matrix K of
the training rows (``K_ii = 1``), for :func:`jaxridge.theory.correlated_ridge_risk`:
:func:`ar1_correlation` (``K_ij = ρ^|i−j|``), :func:`nearest_neighbour_correlation`
(tridiagonal, ``b/2`` off the diagonal) and :func:`power_law_correlation`
(``K_ij = (1 + |i−j|)^−χ``). Each gives the exact eigenvalues of the finite K, or with
``infinite=True`` the P → ∞ limit as a normalised spectrum: the symbol
``f(θ) = Σ_m K_{|m|} e^{imθ}`` at the midpoints ``θ_j = π(j + ½)/M`` of ``[0, π]`` (f is even),
whose empirical distribution is the limiting spectrum of K (Szegő). The closed-form
S-transforms of the limits are :func:`ar1_s_transform` and :func:`nearest_neighbour_s_transform`
(the power law has none). :func:`correlation_matrix` gives the matrix K itself (for
``empirical.sample_data`` and the learning curves' ``sample_cov``) and :func:`leading_eigvals`
the exact spectra of its leading P × P blocks, zero-padded to one shape, so that a whole
learning curve's theory is one vmapped ``correlated_ridge_risk``.
"""

from __future__ import annotations

import functools
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from . import _validate as _v

__all__ = [
    "ar1_correlation",
    "ar1_s_transform",
    "blocks",
    "correlation_matrix",
    "from_data",
    "from_file",
    "isotropic",
    "leading_eigvals",
    "nearest_neighbour_correlation",
    "nearest_neighbour_s_transform",
    "power_law",
    "power_law_correlation",
]


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
    # The file is opened here, not by np.load: np.load leaks its handle when the zip directory
    # of a truncated .npz cannot be read.
    try:
        handle = open(file, "rb")  # noqa: SIM115 (closed by the with block below)
    except OSError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _v.fail(name, f"{where} cannot be read as an .npz file: {reason}") from None
    with handle:
        try:
            data = np.load(handle, allow_pickle=False)
        except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise _v.fail(name, f"{where} cannot be read as an .npz file: {reason}") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise _v.fail(
                name,
                f"{where} is a single {type(data).__name__} (an .npy file?); save the spectrum "
                "with np.savez(path, eigvals=..., target_weights=...)",
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


# ------------------------------------------------------------------------------ sample correlations


def _grid(num_points: int, dtype):
    """Midpoints θ_j = π(j + ½)/M of [0, π]."""
    return (jnp.arange(num_points, dtype=dtype) + 0.5) * (jnp.pi / num_points)


def _toeplitz_eigvals(column):
    """Eigenvalues (ascending) of the symmetric Toeplitz matrix with first column ``column``."""
    p = column.shape[0]
    lag = jnp.abs(jnp.arange(p)[:, None] - jnp.arange(p)[None, :])
    return jnp.linalg.eigvalsh(column[lag])


def _correlation_args(num_samples, value, name, dtype):
    p = _v.check_count(num_samples, "num_samples")
    dtype = _dtype(dtype, value)
    return p, dtype, _v.check_scalar(_v.as_float(value, dtype, name), name)


@_v.readable_errors
def ar1_correlation(
    num_samples: int, rho: ArrayLike, *, infinite: bool = False, dtype=None
) -> Float[Array, " p"]:
    """Eigenvalues of the AR(1) (exponential) sample correlation ``K_ij = ρ^|i−j|``.

    A time series sampled at unit steps with correlation time ξ has ``ρ = e^{−1/ξ}``.

    Args:
        num_samples: P (the matrix is P × P), or M, the number of symbol points, with
            ``infinite=True``.
        rho: ``0 <= ρ < 1``.
        infinite: False: the P eigenvalues of the finite K (ascending). True: the P → ∞
            limit as M values of the symbol ``f(θ) = (1 − ρ²)/(1 − 2ρ cos θ + ρ²)``.
        dtype: float dtype (default: promoted from ``rho``).

    Example:
        >>> k = ar1_correlation(800, 0.9)          # the exact spectrum of a 800 x 800 K
    """
    p, dtype, rho = _correlation_args(num_samples, rho, "rho", dtype)
    rho = _v.check(rho, (rho < 0) | (rho >= 1), "rho", "must satisfy 0 <= rho < 1")
    if infinite:
        theta = _grid(p, dtype)
        return (1.0 - rho**2) / (1.0 - 2.0 * rho * jnp.cos(theta) + rho**2)
    return _toeplitz_eigvals(rho ** jnp.arange(p, dtype=dtype))


@_v.readable_errors
def nearest_neighbour_correlation(
    num_samples: int, b: ArrayLike, *, infinite: bool = False, dtype=None
) -> Float[Array, " p"]:
    """Eigenvalues of the nearest-neighbour sample correlation: 1 on the diagonal, ``b/2``
    next to it (``K = toeplitz(1, b/2)``), ``|b| < 1``.

    The finite K is tridiagonal Toeplitz: its eigenvalues are ``1 + b cos(πj/(P + 1))``,
    ``j = 1..P`` (ascending here). The limit's symbol is ``1 + b cos θ``.

    Args:
        num_samples: P, or M symbol points with ``infinite=True``.
        b: ``|b| < 1`` (K positive definite).
        infinite: the P → ∞ limit as M symbol values instead of the finite spectrum.
        dtype: float dtype (default: promoted from ``b``).
    """
    p, dtype, b = _correlation_args(num_samples, b, "b", dtype)
    b = _v.check(b, jnp.abs(b) >= 1, "b", "must satisfy |b| < 1 (K positive definite)")
    if infinite:
        return 1.0 + b * jnp.cos(_grid(p, dtype))
    j = jnp.arange(p, 0, -1, dtype=dtype)
    return jnp.sort(1.0 + b * jnp.cos(jnp.pi * j / (p + 1)))


CORRELATIONS = {"ar1": "rho", "nearest_neighbour": "b", "power_law": "chi"}


@_v.readable_errors
def correlation_matrix(
    kind: str, num_samples: int, value: ArrayLike, *, dtype=None
) -> Float[Array, "p p"]:
    """The P × P stationary sample correlation K whose eigenvalues the ``*_correlation``
    functions give: ``kind`` ``"ar1"`` (``value`` = ρ, ``K_ij = ρ^|i−j|``),
    ``"nearest_neighbour"`` (b: 1 on the diagonal, b/2 next to it) or ``"power_law"``
    (χ: ``K_ij = (1 + |i−j|)^−χ``), with the same checks of ``value``.

    Its leading P' × P' block is the K of P' samples, so one matrix serves a learning curve
    (``empirical.learning_curve(..., sample_cov=K)``).

    Example:
        >>> K = correlation_matrix("ar1", 500, 0.9)
    """
    _v.check_choice(kind, "kind", tuple(CORRELATIONS))
    p, dtype, value = _correlation_args(num_samples, value, CORRELATIONS[kind], dtype)
    lags = jnp.arange(p, dtype=dtype)
    if kind == "ar1":
        value = _v.check(value, (value < 0) | (value >= 1), "rho", "must satisfy 0 <= rho < 1")
        column = value**lags
    elif kind == "nearest_neighbour":
        value = _v.check(value, jnp.abs(value) >= 1, "b", "must satisfy |b| < 1")
        column = jnp.where(lags == 0, 1.0, jnp.where(lags == 1, 0.5 * value, 0.0))
    else:
        value = _v.check(value, value <= 0, "chi", "must be > 0")
        column = (1.0 + lags) ** -value
    lag = jnp.abs(jnp.arange(p)[:, None] - jnp.arange(p)[None, :])
    return column[lag].astype(dtype)


@_v.readable_errors
def leading_eigvals(matrix: Float[ArrayLike, "p p"], sizes: Sequence[int]) -> Float[Array, "m p"]:
    """Eigenvalues of the leading ``P × P`` block of a symmetric ``matrix`` for every ``P`` in
    ``sizes``, each row zero-padded to the largest P (row i: ``max P − P`` zeros, then the
    block's eigenvalues ascending).

    The rows are what :func:`jaxridge.theory.correlated_ridge_risk` reads as padding-aware
    spectra, so a learning curve's theory with each P's exact K is one ``vmap``. Each block is
    decomposed padded to a bucket of a fixed ladder (the padded rows are exactly zero), so the
    number of compiled decompositions is the ladder's length, not the number of sizes.

    Args:
        matrix: symmetric ``(P_max, P_max)``, e.g. :func:`correlation_matrix`.
        sizes: block sizes, ints in ``[1, P_max]``.

    Example:
        >>> k = leading_eigvals(correlation_matrix("ar1", 400, 0.9), [100, 200, 400])
        >>> k.shape
        (3, 400)
    """
    from ._batching import DEFAULT_BUCKET_GROWTH, bucket_ladder

    matrix = _v.as_float(matrix, _dtype(None, matrix), "matrix")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise _v.fail("matrix", f"must be a square matrix, got shape {matrix.shape}")
    matrix = _v.check(matrix, ~jnp.isfinite(matrix), "matrix", "contains NaN or inf")
    p_max = matrix.shape[0]
    sizes = [int(x) for x in _v.check_sizes(sizes, "sizes")]
    if max(sizes) > p_max:
        raise _v.fail("sizes", f"must not exceed the matrix size {p_max}, got {max(sizes)}")
    ladder = bucket_ladder(p_max, DEFAULT_BUCKET_GROWTH, split=None)
    rows, seen = [], {}
    for size in sizes:
        if size not in seen:
            bucket = min(b for b in ladder if b >= size)
            values = _leading_block_eigvals(matrix[:bucket, :bucket], size)
            seen[size] = jnp.pad(values, (p_max - bucket, 0))
        rows.append(seen[size])
    return jnp.stack(rows)


@functools.partial(jax.jit, static_argnums=1)
def _leading_block_eigvals(block, size):
    """Eigenvalues of the leading ``size × size`` block of ``block`` (b × b), ascending, in a
    length-b vector whose first ``b − size`` entries (the zero-padded rows) are exactly 0."""
    b = block.shape[0]
    keep = jnp.arange(b) < size
    masked = jnp.where(keep[:, None] & keep[None, :], block, 0.0)
    values = jnp.linalg.eigvalsh(masked)
    return jnp.where(jnp.arange(b) < b - size, 0.0, values)


# Terms of the power-law symbol's series: the truncated tail is O(T^−χ / θ) at θ > 0.
_SYMBOL_TERMS = 2**22


@_v.readable_errors
def power_law_correlation(
    num_samples: int, chi: ArrayLike, *, infinite: bool = False, dtype=None
) -> Float[Array, " p"]:
    """Eigenvalues of the power-law sample correlation ``K_ij = (1 + |i−j|)^−χ``.

    Positive definite for every χ > 0 (a convex decreasing sequence). No closed-form
    S-transform: the limit is the symbol ``f(θ) = 1 + 2 Σ_{m≥1} (1 + m)^−χ cos(mθ)``, summed
    to 2²² terms by one FFT on a grid of 4M points (the midpoints are its odd points; the
    truncated tail is below ~1e-6 at M ≤ 10⁴ for χ = 1.5 and smaller for larger χ).

    Args:
        num_samples: P, or M symbol points with ``infinite=True``.
        chi: ``χ > 0``; ``infinite=True`` needs ``χ > 1`` (a bounded symbol).
        infinite: the P → ∞ limit as M symbol values instead of the finite spectrum.
        dtype: float dtype (default: promoted from ``chi``).
    """
    p, dtype, chi = _correlation_args(num_samples, chi, "chi", dtype)
    if not infinite:
        chi = _v.check(chi, chi <= 0, "chi", "must be > 0")
        return _toeplitz_eigvals((1.0 + jnp.arange(p, dtype=dtype)) ** -chi)
    chi = _v.check(chi, chi <= 1, "chi", "must be > 1 for the infinite-P symbol")
    length = 4 * p
    lags = jnp.arange(1, _SYMBOL_TERMS, dtype=dtype)
    terms = (1.0 + lags) ** -chi
    # Fold the two-sided series m = ±1, ±2, … onto the FFT grid (aliasing is exact sampling).
    positions = jnp.arange(1, _SYMBOL_TERMS) % length
    folded = jnp.zeros((length,), dtype).at[positions].add(terms)
    folded = folded.at[(-positions) % length].add(terms).at[0].add(1.0)
    values = jnp.real(jnp.fft.fft(folded))
    return values[1::2][:p].astype(dtype)


@_v.readable_errors
def ar1_s_transform(df: ArrayLike, rho: ArrayLike) -> Array:
    """S-transform of the P → ∞ AR(1) correlation in the df parametrisation (THEORY §9.4):
    ``S(df) = (√(1 + (b² − 1) df²) + b·df)/(1 + df)`` with ``b = (1 + ρ²)/(1 − ρ²)``.

    ``κ̃ = (1 − df)/(df · S(df))`` at ``df = n/P`` (THEORY §9.2). Elementwise in ``df``.
    """
    dtype = _v.common_dtype(df, rho)
    df = _v.as_float(df, dtype, "df")
    df = _v.check(df, (df <= 0) | (df > 1), "df", "must lie in (0, 1]")
    rho = _v.check_scalar(_v.as_float(rho, dtype, "rho"), "rho")
    rho = _v.check(rho, (rho < 0) | (rho >= 1), "rho", "must satisfy 0 <= rho < 1")
    b = (1.0 + rho**2) / (1.0 - rho**2)
    return (jnp.sqrt(1.0 + (b * b - 1.0) * df * df) + b * df) / (1.0 + df)


@_v.readable_errors
def nearest_neighbour_s_transform(df: ArrayLike, b: ArrayLike) -> Array:
    """S-transform of the P → ∞ nearest-neighbour correlation (THEORY §9.4):
    ``S(df) = (2 − df)/((1 − df) + √(1 − b² df (2 − df)))``. Elementwise in ``df``."""
    dtype = _v.common_dtype(df, b)
    df = _v.as_float(df, dtype, "df")
    df = _v.check(df, (df <= 0) | (df > 1), "df", "must lie in (0, 1]")
    b = _v.check_scalar(_v.as_float(b, dtype, "b"), "b")
    b = _v.check(b, jnp.abs(b) >= 1, "b", "must satisfy |b| < 1 (K positive definite)")
    return (2.0 - df) / ((1.0 - df) + jnp.sqrt(1.0 - b * b * df * (2.0 - df)))
