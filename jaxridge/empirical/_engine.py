"""The compiled Monte-Carlo engine shared by ``ridge_risk``, ``learning_curve`` and ``width_curve``.

One *cell* is one (size, seed) pair: draw a training set, decompose it once, evaluate every ridge.
A grid of sizes runs as one compiled program:

* each seed draws its largest training set once (``draw_normals``: one threefry stream per row);
  every size of the grid is cut from that draw, so data sets are nested and the sampling code is
  compiled once;
* the grid axis is a ``lax.scan``; each size is zero-padded to a *bucket* from a static ladder
  ``b₀ = max size, b_{j+1} = ⌈b_j / growth⌉`` (down to 16), chosen at run time by ``lax.switch``,
  so a cell costs about ``min(N, P)³`` rather than ``max³`` while the sizes stay traced values
  (a new grid with the same largest size and length does not recompile);
* the seeds run through ``lax.map(..., batch_size=)`` with a batch chosen from an estimate of the
  bytes of one seed's draw and largest cell, so a grid that does not fit in ``max_bytes`` runs
  in pieces (the switch index depends on the size only, so it stays a real branch under vmap).

Seeds use ``fold_in(key, seed)`` and rows ``fold_in(seed_key, row)`` (see ``_sampling``), so the
draws depend neither on the bucket nor on the batch. The ladder also has a rung where
``decompose`` switches side (``N`` for sample sizes, ``P − 1`` for widths; see
``bucket_ladder`` in ``jaxridge._batching``), so every cell uses the side its true sizes pick,
and the bucket changes results by rounding only (padding changes the order of sums and the size
of ``eigh``). That rounding is amplified like any other by the conditioning of the fit: at λ = 0
with P within a few of N, ~eps·cond(X)² between buckets.

With a device mesh (:func:`run_curve`), the seeds are padded to equal calls that are a multiple
of the device count and each call's keys are split over the mesh; XLA partitions the vmapped
seeds. The padding seeds are computed and dropped, so the result is that of one device.
"""

from __future__ import annotations

import dataclasses
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array

from .._batching import (
    auto_axes,
    balanced_calls,
    batch_size,
    one_unit_per_device,
    replicate,
    seed_bytes,
    shard,
)
from .._validate import check_fits_memory
from ._corrgcv import sample_trace
from ._decomposition import decompose_unchecked
from ._ridge import statistics_unchecked, weights_unchecked
from ._sampling import draw_normals, seed_keys

__all__ = ["EmpiricalRisk", "correlate", "run_curve", "run_grid"]


class EmpiricalRisk(eqx.Module):
    """Monte-Carlo estimates of ridge regression, one value per (…, seed, ridge).

    Field names match :class:`jaxridge.theory.RidgeRisk` where the quantity is the same.

    ========  ===========================================================================
    field     meaning
    ========  ===========================================================================
    kappa     κ̂ = P / Tr[(G + λ)⁻¹] (empirical renormalised ridge, THEORY §2.1)
    df1       df̂ = Tr[Σ̂(Σ̂ + λ)⁻¹] (unnormalised, like ``theory`` ``df1``)
    test      E_g = (ŵ − w̄)ᵀΣ(ŵ − w̄), exact for the known Σ (no test set)
    test_out  E_g + σ²
    train     E_tr = (1/P)‖y − Xŵ‖²
    gcv       GCV estimate of E_g: (κ̂/λ)² E_tr − σ² (its finite limit at λ = 0)
    corrgcv   with a sample covariance K only (else None): the CorrGCV estimate of E_g,
              ``corrgcv(train, df1, eigvals of K) − σ²`` (THEORY §9.5); NaN where CorrGCV is
              undefined (an interpolating fit: λ = 0 with P <= N)
    ========  ===========================================================================

    With correlated samples ``gcv`` is still plain GCV (biased there: it is the estimate that
    CorrGCV corrects).
    """

    kappa: Array
    df1: Array
    test: Array
    test_out: Array
    train: Array
    gcv: Array
    corrgcv: Array | None = None


def correlate(root, draw, iid_noise):
    """Rows correlated by a square root R of K: ``R @ [ξ, Z]``; with ``iid_noise`` column 0
    (the label noise) stays ``ξ``. A lower-triangular R keeps the first P rows a draw of K's
    leading P × P block, so nested curves stay nested."""
    rooted = jnp.matmul(root, draw, precision=jax.lax.Precision.HIGHEST)
    return rooted.at[:, 0].set(draw[:, 0]) if iid_noise else rooted


def _corrgcv_out(train, df1, sample_spectrum, num_samples):
    """CorrGCV's Ê_out per ridge (``_corrgcv``), NaN where it is undefined (df̂ = P)."""
    ok = (df1 > 0) & (df1 < num_samples)
    trace = jax.vmap(sample_trace, (None, 0, None))(
        sample_spectrum, jnp.where(ok, df1, 0.5 * num_samples), num_samples
    )
    return jnp.where(ok, train / trace, jnp.nan)


def _cell(
    draw,
    eigvals,
    target_weights,
    noise_var,
    ridges,
    size,
    root,
    *,
    mode,
    bucket,
    other,
    fresh,
    iid_noise,
):
    """One padded training set cut from a seed's full draw, decomposed once, every ridge.

    With ``fresh``, ``draw`` is a key and the cell draws its own bucket-sized data from it
    (correlated by the leading block of ``root`` when there is one).
    """
    dtype = eigvals.dtype
    if fresh:
        shape = (bucket, other) if mode == "samples" else (other, bucket)
        draw = draw_normals(draw, shape[0], shape[1], dtype)
        if root is not None:
            draw = correlate(root[: shape[0], : shape[0]], draw, iid_noise)
    if mode == "samples":
        # Rows beyond P are zero; all N columns.
        rows, num_samples, num_features = bucket, size, jnp.asarray(other, dtype)
        keep = (jnp.arange(rows, dtype=dtype) < size)[:, None]
        z, xi = draw[:rows, 1:], draw[:rows, 0]
        e, w = eigvals, target_weights
    else:
        # Width: the first `size` features of a `bucket`-wide prefix; columns beyond are zero.
        rows, num_samples, num_features = other, jnp.asarray(other, dtype), size
        cols = jnp.arange(bucket, dtype=dtype) < size
        keep = jnp.ones((rows, 1), bool)
        z, xi = draw[:, 1 : bucket + 1], draw[:, 0]
        e = jnp.where(cols, eigvals[:bucket], 0.0)
        w = jnp.where(cols, target_weights[:bucket], 0.0)
    x = jnp.where(keep, z * jnp.sqrt(e)[None, :], 0.0)
    y = jnp.where(keep[:, 0], jnp.sum(x * w[None, :], axis=1) + jnp.sqrt(noise_var) * xi, 0.0)
    d = decompose_unchecked(x, y, num_samples, num_features)
    weights = weights_unchecked(d, ridges)
    diff = weights - w[None, :]
    test = jnp.sum(e[None, :] * diff * diff, axis=-1)
    df1, kappa, train, gcv_out = statistics_unchecked(d, ridges)
    return EmpiricalRisk(
        kappa=kappa,
        df1=df1,
        test=test,
        test_out=test + noise_var,
        train=train,
        gcv=gcv_out - noise_var,
    )


@functools.partial(
    jax.jit, static_argnames=("mode", "ladder", "batch", "other", "independent", "iid_noise")
)
# Counts its traces, no limit: tests read `eqx.debug.get_num_traces(run_grid)` to prove that
# new grids of the same size class reuse the compiled program.
@eqx.debug.assert_max_traces(max_traces=None)
def run_grid(
    keys,
    eigvals,
    target_weights,
    noise_var,
    ridges,
    sizes,
    root=None,
    sample_spectra=None,
    *,
    mode,
    ladder,
    batch,
    other,
    independent=False,
    iid_noise=False,
):
    """Fields of shape ``(len(sizes), num_seeds, len(ridges))``.

    ``mode="samples"``: ``sizes`` are P (padded to ``ladder`` rows; N = ``other``);
    ``mode="features"``: ``sizes`` are N (padded to ``ladder`` columns; P = ``other``).
    By default each seed draws its largest training set once and every size is cut from it
    (nested data). With ``independent=True`` size ``i`` of seed ``s`` is cut from a fresh draw
    with key ``fold_in(keys[s], i)``, so no two cells share data.

    Correlated samples: ``root`` is a square root of the sample covariance K of the largest
    training set (``(max P, max P)``, lower triangular for nested curves; ``(P, P)`` for
    widths) and ``sample_spectra[i]`` the eigenvalues of the K of size ``i`` (zero-padded), from
    which each cell computes CorrGCV; ``iid_noise`` keeps the label noise uncorrelated.
    """
    dtype = eigvals.dtype
    ladder_arr = jnp.asarray(ladder, dtype=jnp.int32)
    branches = [
        functools.partial(
            _cell, mode=mode, bucket=b, other=other, fresh=independent, iid_noise=iid_noise
        )
        for b in ladder
    ]
    if mode == "samples":
        draw_shape = (ladder[0], other)
    else:
        draw_shape = (other, ladder[0])

    def one_seed(key):
        nested = None if independent else draw_normals(key, draw_shape[0], draw_shape[1], dtype)
        if nested is not None and root is not None:
            nested = correlate(root, nested, iid_noise)

        def step(carry, item):
            position, size, sample_spectrum = item
            draw = jax.random.fold_in(key, position) if independent else nested
            index = jnp.sum(ladder_arr >= size) - 1
            out = jax.lax.switch(
                index,
                branches,
                draw,
                eigvals,
                target_weights,
                noise_var,
                ridges,
                size.astype(dtype),
                root,
            )
            if sample_spectrum is not None:
                # Outside the switch: the df inversion compiles once, not once per bucket.
                p = size.astype(dtype) if mode == "samples" else jnp.asarray(other, dtype)
                corr = _corrgcv_out(out.train, out.df1, sample_spectrum, p) - noise_var
                out = dataclasses.replace(out, corrgcv=corr)
            return carry, out

        positions = jnp.arange(sizes.shape[0], dtype=jnp.uint32)
        return jax.lax.scan(step, None, (positions, sizes, sample_spectra))[1]

    if batch >= keys.shape[0]:
        out = jax.vmap(one_seed)(keys)
    else:
        out = jax.lax.map(one_seed, keys, batch_size=batch)
    # (seeds, sizes, ridges) -> (sizes, seeds, ridges)
    return jax.tree_util.tree_map(lambda a: jnp.swapaxes(a, 0, 1), out)


def run_curve(
    key,
    num_seeds,
    eigvals,
    target_weights,
    noise_var,
    ridges,
    sizes,
    *,
    mode,
    ladder,
    other,
    independent,
    max_bytes,
    mesh,
    name,
    correlation=None,
):
    """:func:`run_grid` for seeds ``fold_in(key, s)``, ``s < num_seeds``, in memory-sized batches.

    ``correlation``: None, or ``(root, sample_spectra, iid_noise)`` for correlated samples
    (see :func:`run_grid`); a seed then also holds its correlated draw.

    Without a mesh: one call, seeds in batches that fit ``max_bytes`` (``lax.map``). With a
    ``jax.sharding.Mesh``: ``max_bytes`` is per device; the seeds run in equal calls (a multiple
    of the device count, padded with extra seeds that are dropped), each call's keys split over
    the mesh's first axis (one seed per device per call on a multi-device CPU mesh; see
    ``jaxridge._batching.one_unit_per_device``).
    """
    itemsize = jnp.dtype(eigvals.dtype).itemsize
    common = dict(mode=mode, ladder=ladder, other=other, independent=independent)
    args = (eigvals, target_weights, noise_var, ridges, jnp.asarray(sizes))
    unit = seed_bytes(ladder, other, mode, ridges.shape[0], itemsize)
    if correlation is not None:
        root, spectra, iid_noise = correlation
        args = (*args, root, spectra)
        common["iid_noise"] = bool(iid_noise)
        unit += itemsize * (ladder[0] + 1) * (other + 1)  # the correlated copy of the draw
    check_fits_memory(unit, name, "one seed's training set")
    if mesh is None:
        batch = batch_size(unit, max_bytes, num_seeds)
        return run_grid(seed_keys(key, num_seeds), *args, batch=batch, **common)
    mesh = auto_axes(mesh)
    per_device = batch_size(unit, max_bytes, -(-num_seeds // mesh.size))
    if one_unit_per_device(mesh):
        per_device = 1  # batched LAPACK deadlocks on multi-device CPU meshes
    num_calls, per_call = balanced_calls(num_seeds, per_device * mesh.size, mesh.size)
    # Seed s is fold_in(key, s) whatever the padding.
    keys = seed_keys(key, num_calls * per_call)
    if mesh.size > 1:
        args = tuple(replicate(a, mesh) for a in args)
    pieces = []
    for c in range(num_calls):
        batch = keys[c * per_call : (c + 1) * per_call]
        if mesh.size > 1:
            batch = shard(batch, mesh)
        pieces.append(run_grid(batch, *args, batch=per_call, **common))
    if num_calls == 1 and per_call == num_seeds:
        return pieces[0]
    # (sizes, seeds, ridges): calls joined along the seeds, the padding dropped.
    return jax.tree.map(lambda *a: jnp.concatenate(a, axis=1)[:, :num_seeds], *pieces)
