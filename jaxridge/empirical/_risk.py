"""Monte-Carlo ridge risk at one sample size, and over grids of sample sizes or widths.

``ridge_risk`` is the Monte-Carlo counterpart of :func:`jaxridge.theory.ridge_risk`;
``learning_curve`` sweeps P and ``width_curve`` sweeps N, each as one compiled program
(see ``_engine`` for padding, buckets and chunking).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Float, PRNGKeyArray

from .. import spectra
from .._batching import DEFAULT_BUCKET_GROWTH, DEFAULT_MAX_BYTES, bucket_ladder
from .._validate import (
    as_float,
    check_choice,
    check_count,
    check_key,
    check_positive_number,
    check_scalar,
    check_sizes,
    check_spectrum,
    check_vector,
    common_dtype,
    fail,
    readable_errors,
)
from ._engine import EmpiricalRisk, run_curve
from ._sampling import sample_cov_factors

__all__ = ["learning_curve", "ridge_risk", "width_curve"]


def _prepare(key, eigvals, target_weights, ridges, noise_var, num_seeds):
    key = check_key(key)
    num_seeds = check_count(num_seeds, "num_seeds")
    dtype = common_dtype(eigvals, target_weights, ridges, noise_var)
    eigvals, target_weights = check_spectrum(eigvals, target_weights, dtype)
    ridges = check_vector(as_float(ridges, dtype, "ridges"), "ridges", nonnegative=True)
    noise_var = check_scalar(as_float(noise_var, dtype, "noise_var"), "noise_var", nonnegative=True)
    return key, eigvals, target_weights, ridges, noise_var, num_seeds


def _grid(values, name: str) -> np.ndarray:
    return check_sizes(values, name).astype(np.int32)


def _budget(max_bytes):
    if max_bytes is None:
        return DEFAULT_MAX_BYTES
    return max(1, int(check_positive_number(max_bytes, "max_bytes")))


def _mesh(mesh):
    if mesh is not None and not isinstance(mesh, jax.sharding.Mesh):
        raise fail("mesh", f"must be a jax.sharding.Mesh or None, got {type(mesh).__name__}")
    return mesh


def _growth(bucket_growth):
    if bucket_growth is None:
        return None
    return check_positive_number(bucket_growth, "bucket_growth", above=1.0)


@readable_errors
def ridge_risk(
    key: PRNGKeyArray,
    eigvals: Float[ArrayLike, " n"],
    target_weights: Float[ArrayLike, " n"],
    num_samples: int,
    ridges: Float[ArrayLike, " l"],
    noise_var: ArrayLike = 0.0,
    num_seeds: int = 1,
    *,
    max_bytes: int | None = None,
    sample_cov: Float[ArrayLike, "p p"] | Callable | None = None,
    noise: str = "correlated",
) -> EmpiricalRisk:
    """Monte-Carlo ridge risk: draw ``num_seeds`` training sets, fit every ridge exactly.

    Seed ``s`` uses the training set ``sample_data(fold_in(key, s), eigvals, target_weights,
    num_samples, noise_var)``. Each set is decomposed once (``eigh`` of the smaller of Σ̂ and G)
    and every ridge follows in closed form; the test error is exact for the known Σ. Seeds are
    vmapped (in batches that fit ``max_bytes``).

    Args:
        key: a JAX PRNG key.
        eigvals: population eigenvalues ``e_k >= 0`` (Σ = diag(e)), shape ``(N,)``.
        target_weights: ``w̄_k``, shape ``(N,)``.
        num_samples: P, a Python int >= 1.
        ridges: ``λ >= 0``, shape ``(L,)``; λ = 0 is the minimum-norm interpolator / OLS.
        noise_var: label-noise variance ``σ² >= 0``.
        num_seeds: number of independent training sets (a Python int >= 1).
        max_bytes: memory budget for one batch of seeds (default 1 GiB).
        sample_cov: correlated samples (THEORY §9): the P × P sample covariance K, or a
            callable applying a square root of K to a ``(P, m)`` block, exactly as in
            :func:`sample_data`; the result then has ``corrgcv``.
        noise: with ``sample_cov``: ``"correlated"`` (noise ∝ K) or ``"iid"``.

    Returns:
        An :class:`EmpiricalRisk` whose fields have shape ``(num_seeds, L)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxridge import spectra
        >>> from jaxridge.empirical import ridge_risk
        >>> e, w = spectra.isotropic(400)
        >>> risk = ridge_risk(jax.random.key(0), e, w, 200, jnp.array([0.01, 0.1]), 0.25, 4)
        >>> risk.test.shape
        (4, 2)
    """
    num_samples = check_count(num_samples, "num_samples")
    out = _learning_curve(
        key,
        eigvals,
        target_weights,
        [num_samples],
        ridges,
        noise_var,
        num_seeds,
        max_bytes=max_bytes,
        bucket_growth=None,
        independent=False,
        mesh=None,
        sample_cov=sample_cov,
        noise=noise,
        split=False,  # one unpadded size: its side is already that of the true P and N
    )
    return jax.tree_util.tree_map(lambda x: x[0], out)


@readable_errors
def learning_curve(
    key: PRNGKeyArray,
    eigvals: Float[ArrayLike, " n"],
    target_weights: Float[ArrayLike, " n"],
    num_samples_grid: Sequence[int],
    ridges: Float[ArrayLike, " l"],
    noise_var: ArrayLike = 0.0,
    num_seeds: int = 1,
    *,
    max_bytes: int | None = None,
    bucket_growth: float | None = DEFAULT_BUCKET_GROWTH,
    independent: bool = False,
    mesh: jax.sharding.Mesh | None = None,
    sample_cov: Float[ArrayLike, "p p"] | Callable | None = None,
    noise: str = "correlated",
) -> EmpiricalRisk:
    """Monte-Carlo learning curve over sample sizes, in one compiled program.

    By default cell ``(i, s)`` is ``ridge_risk(key, …, num_samples_grid[i], …)`` at seed ``s``
    (up to rounding): seed ``s`` draws one growing data set and P samples are its first P rows (the
    curves are nested, as when an experimenter adds data, so errors at neighbouring P are
    correlated). With ``independent=True`` every cell has its own training set, drawn as
    ``sample_data(fold_in(fold_in(key, s), i), …, num_samples_grid[i], …)``: the points of a
    seed-averaged curve are then statistically independent, which is what a weighted fit of the
    curve (and its standard errors) assumes. Every P is zero-padded to a bucket size (rows of
    zeros in X and y, with the 1/P normalisations done with the true P: this leaves the ridge
    solution unchanged), so the sizes are run-time values and a new grid with the same largest
    size and length reuses the compiled program. Buckets form the ladder ``max P,
    ⌈max P/growth⌉, …`` (≥ 16) so that small P cost ``min(N, P)³``, not ``max(P)³``;
    ``bucket_growth=None`` pads every size to the largest. Either ladder also has a rung at N, so
    that P <= N is always fit through the P × P Gram matrix and P > N through the N × N
    covariance, as in ``ridge_risk``. The bucket then changes nothing but rounding: the draws are
    per row (``fold_in(seed key, μ)``), the same for every padding, and ``bucket_growth=None``,
    the default and any other growth agree to ~1e-13 relative in float64 (a few hundred eps in
    float32) on well-conditioned cells. Exact zeros stay exact (the λ = 0 training error when
    P < N). Near the interpolation threshold (λ = 0, P within a few of N but not equal) the
    rounding differences are amplified by cond(X)² like any rounding; P = N itself has a bucket
    of its own and is the same in every ladder. Seeds run in batches that fit ``max_bytes``.
    With a device ``mesh`` the seeds are split over it (see ``mesh`` below); seed ``s`` is the
    same draw, so the result equals the one-device run up to rounding.

    Args:
        key: a JAX PRNG key.
        eigvals: population eigenvalues, shape ``(N,)``.
        target_weights: ``w̄_k``, shape ``(N,)``.
        num_samples_grid: the sample sizes P (concrete ints >= 1, any order, repeats allowed).
        ridges: ``λ >= 0``, shape ``(L,)``.
        noise_var: ``σ² >= 0``.
        num_seeds: seeds per sample size.
        max_bytes: memory budget for one batch of cells (default 1 GiB); a larger grid runs
            in more, smaller batches with identical results.
        bucket_growth: ratio between consecutive bucket sizes (> 1), or None.
        independent: a fresh training set for every (size, seed) cell instead of nested
            prefixes of one draw per seed.
        mesh: a ``jax.sharding.Mesh`` (e.g. ``jax.make_mesh((jax.device_count(),),
            ("seeds",))``) to split the seeds over its first axis. ``max_bytes`` is then per
            device and the seeds run in equal calls, each a multiple of the device count (extra
            seeds are computed and dropped). ``None`` (default): the default device.
        sample_cov: correlated samples (THEORY §9): the sample covariance K of the *largest*
            training set, ``(max P, max P)``, or a callable applying a square root of it to a
            ``(max P, m)`` block (applied once to the identity). P samples have the leading
            P × P block of K as their covariance; with the matrix form (whose Cholesky factor
            is the root) the first P rows of a seed's draw are exactly ``sample_data(…,
            sample_cov=K[:P, :P])``, so the curve stays nested; with ``independent=True``
            every cell correlates its own draw the same way. The result then has
            ``corrgcv``, computed with the exact spectrum of each P's K.
        noise: with ``sample_cov``: ``"correlated"`` (label noise σ K^{1/2} ξ, the default)
            or ``"iid"`` (σ ξ).

    Returns:
        An :class:`EmpiricalRisk` with fields of shape ``(len(num_samples_grid), num_seeds, L)``.

    Example:
        >>> import jax, jax.numpy as jnp, numpy as np
        >>> from jaxridge import spectra
        >>> from jaxridge.empirical import learning_curve
        >>> e, w = spectra.power_law(500, alpha=2.0, r=0.5)
        >>> grid = np.unique(np.geomspace(10, 500, 8).astype(int))
        >>> curve = learning_curve(jax.random.key(0), e, w, grid, jnp.array([1e-4]), 0.0, 3)
        >>> curve.test.shape
        (8, 3, 1)
    """
    return _learning_curve(
        key,
        eigvals,
        target_weights,
        num_samples_grid,
        ridges,
        noise_var,
        num_seeds,
        max_bytes=max_bytes,
        bucket_growth=bucket_growth,
        independent=independent,
        mesh=mesh,
        sample_cov=sample_cov,
        noise=noise,
        split=True,
    )


def _learning_curve(
    key,
    eigvals,
    target_weights,
    num_samples_grid,
    ridges,
    noise_var,
    num_seeds,
    *,
    max_bytes,
    bucket_growth,
    independent,
    mesh,
    sample_cov,
    noise,
    split,
):
    prepared = _prepare(key, eigvals, target_weights, ridges, noise_var, num_seeds)
    sizes_name = "num_samples" if not split else "num_samples_grid"
    n = prepared[1].shape[0]
    # A rung at N: P <= N is decomposed on the Gram side and P > N on the covariance side
    # whatever the bucket (as in ridge_risk), so the bucket only changes rounding.
    return _run(
        prepared,
        _grid(num_samples_grid, sizes_name),
        mode="samples",
        split=n if split else None,
        other=n,
        name=sizes_name,
        options=(max_bytes, bucket_growth, independent, mesh, sample_cov, noise),
    )


def _correlation(sample_cov, noise, sizes, mode, num_samples, dtype):
    """``run_curve``'s ``correlation``: (root of K, K's spectrum per size, iid noise) or None.

    Sample sizes use the leading P × P blocks of the K of the largest size
    (``spectra.leading_eigvals``); widths share the one K of their P.
    """
    check_choice(noise, "noise", ("correlated", "iid"))
    if sample_cov is None:
        return None
    root, k = sample_cov_factors(sample_cov, num_samples, dtype)
    if mode == "features":
        spectrum = spectra.leading_eigvals(k, [num_samples])
        spectra_rows = jnp.broadcast_to(spectrum, (sizes.shape[0], num_samples))
    else:
        spectra_rows = spectra.leading_eigvals(k, sizes)
    # A leading block of a positive-definite K is positive definite: no padding row is > 0 and
    # every real eigenvalue must be.
    counts = np.sum(np.asarray(spectra_rows) > 0, axis=1)
    expected = sizes if mode == "samples" else np.full(sizes.shape, num_samples)
    if np.any(counts != expected):
        raise fail(
            "sample_cov", "must be positive definite (a leading block has an eigenvalue <= 0)"
        )
    return root, spectra_rows, noise == "iid"


def _run(prepared, sizes, *, mode, split, other, name, options):
    """``run_curve`` on validated inputs; ``options`` = (max_bytes, bucket_growth, independent,
    mesh, sample_cov, noise) as the caller received them."""
    key, eigvals, target_weights, ridges, noise_var, num_seeds = prepared
    max_bytes, bucket_growth, independent, mesh, sample_cov, noise = options
    ladder = bucket_ladder(int(sizes.max()), _growth(bucket_growth), split=split)
    num_samples = int(sizes.max()) if mode == "samples" else other
    correlation = _correlation(sample_cov, noise, sizes, mode, num_samples, eigvals.dtype)
    return run_curve(
        key,
        num_seeds,
        eigvals,
        target_weights,
        noise_var,
        ridges,
        sizes,
        mode=mode,
        ladder=ladder,
        other=other,
        independent=bool(independent),
        max_bytes=_budget(max_bytes),
        mesh=_mesh(mesh),
        name=name,
        correlation=correlation,
    )


@readable_errors
def width_curve(
    key: PRNGKeyArray,
    eigvals: Float[ArrayLike, " n"],
    target_weights: Float[ArrayLike, " n"],
    num_features_grid: Sequence[int],
    num_samples: int,
    ridges: Float[ArrayLike, " l"],
    noise_var: ArrayLike = 0.0,
    num_seeds: int = 1,
    *,
    max_bytes: int | None = None,
    bucket_growth: float | None = DEFAULT_BUCKET_GROWTH,
    independent: bool = False,
    mesh: jax.sharding.Mesh | None = None,
    sample_cov: Float[ArrayLike, "p p"] | Callable | None = None,
    noise: str = "correlated",
) -> EmpiricalRisk:
    """Monte-Carlo curve over the number of features N (model width), at fixed P.

    The problem at width N is the first N features of the spectrum: ``eigvals[:N]`` and
    ``target_weights[:N]`` (a truncated target, so compare with
    ``theory.ridge_risk(eigvals[:N], target_weights[:N], P, λ)``). Features beyond N are
    zero-padded columns (zero eigenvalues) with the true N used in the normalisations, in
    buckets as in :func:`learning_curve` (with a rung at ``P − 1``, so that N < P is fit through
    the covariance and N >= P through the Gram matrix whatever the bucket: the bucket changes
    rounding only). Seed ``s`` draws one data set of all
    ``max(num_features_grid)`` features; width N uses its first N columns (with JAX's default
    partitionable PRNG these equal ``sample_data`` on the truncated spectrum). With
    ``independent=True`` width ``i`` of seed ``s`` uses its own draw, from key
    ``fold_in(fold_in(key, s), i)``.

    Args:
        key: a JAX PRNG key.
        eigvals: population eigenvalues, shape ``(N_max,)`` with ``N_max >= max(grid)``.
        target_weights: ``w̄_k``, shape ``(N_max,)``.
        num_features_grid: the widths N (concrete ints in ``[1, N_max]``).
        num_samples: P, a Python int >= 1.
        ridges: ``λ >= 0``, shape ``(L,)``.
        noise_var: ``σ² >= 0``.
        num_seeds: seeds per width.
        max_bytes: memory budget for one batch of cells (default 1 GiB).
        bucket_growth: ratio between consecutive bucket widths (> 1), or None.
        independent: a fresh data set for every (width, seed) cell.
        mesh: a ``jax.sharding.Mesh`` (e.g. ``jax.make_mesh((jax.device_count(),),
            ("seeds",))``) to split the seeds over its first axis. ``max_bytes`` is then per
            device and the seeds run in equal calls, each a multiple of the device count (extra
            seeds are computed and dropped). ``None`` (default): the default device.
        sample_cov: correlated samples: the P × P sample covariance K (or a callable square
            root), as in :func:`sample_data`; every width shares it. Adds ``corrgcv``.
        noise: with ``sample_cov``: ``"correlated"`` or ``"iid"``.

    Returns:
        An :class:`EmpiricalRisk` with fields of shape ``(len(num_features_grid), num_seeds, L)``.

    Example:
        >>> curve = width_curve(jax.random.key(0), e, w, [50, 100, 400], 200,
        ...                     jnp.array([1e-3]))                      # doctest: +SKIP
    """
    num_samples = check_count(num_samples, "num_samples")
    prepared = _prepare(key, eigvals, target_weights, ridges, noise_var, num_seeds)
    sizes = _grid(num_features_grid, "num_features_grid")
    n = prepared[1].shape[0]
    if sizes.max() > n:
        raise ValueError(
            "jaxridge: argument `num_features_grid` must not exceed len(eigvals) = "
            f"{n}, got {int(sizes.max())}"
        )
    # A rung at P − 1: N < P is decomposed on the covariance side and N >= P on the Gram side
    # whatever the bucket (as in an unpadded fit), so the bucket only changes rounding.
    return _run(
        prepared,
        sizes,
        mode="features",
        split=num_samples - 1,
        other=num_samples,
        name="num_samples" if num_samples >= int(sizes.max()) else "num_features_grid",
        options=(max_bytes, bucket_growth, independent, mesh, sample_cov, noise),
    )
