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
:func:`bucket_ladder`), so every cell uses the side its true sizes pick, and the bucket changes
results by rounding only (padding changes the order of sums and the size of ``eigh``). That
rounding is amplified like any other by the conditioning of the fit: at λ = 0 with P within a
few of N, ~eps·cond(X)² between buckets.
"""

from __future__ import annotations

import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._validate import check_fits_memory
from ._decomposition import decompose_unchecked
from ._ridge import statistics_unchecked, weights_unchecked
from ._sampling import draw_normals

__all__ = ["EmpiricalRisk", "DEFAULT_MAX_BYTES", "bucket_ladder", "cell_bytes", "run_grid"]

DEFAULT_MAX_BYTES = 2**30
_SMALLEST_BUCKET = 16


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
    ========  ===========================================================================
    """

    kappa: Array
    df1: Array
    test: Array
    test_out: Array
    train: Array
    gcv: Array


def bucket_ladder(largest: int, growth: float | None, split: int | None = None) -> tuple[int, ...]:
    """Static padded sizes, descending: ``largest``, ``⌈largest/growth⌉``, … down to 16.

    ``split`` (if ``1 <= split < largest``) is added as one more rung, so that no bucket holds
    sizes on both sides of it. The engine passes the size at which ``decompose`` switches between
    the Gram and the covariance side (``N`` for sample sizes, ``P − 1`` for widths): the side of a
    cell then depends on its true sizes only, as in an unpadded fit, and not on the bucket.
    """
    ladder = [int(largest)]
    if growth is not None:
        while ladder[-1] > _SMALLEST_BUCKET:
            nxt = max(_SMALLEST_BUCKET, math.ceil(ladder[-1] / growth))
            if nxt >= ladder[-1]:
                break
            ladder.append(nxt)
    if split is not None and 1 <= split < ladder[0] and split not in ladder:
        ladder = sorted([*ladder, int(split)], reverse=True)
    return tuple(ladder)


def cell_bytes(rows: int, cols: int, num_ridges: int, itemsize: int) -> int:
    """Rough peak bytes of one cell: X (and its masked copy), the r×r matrix, eigh workspace,
    the eigenvectors and the per-ridge weights."""
    r = min(rows, cols)
    return itemsize * (2 * rows * cols + 4 * r * r + 3 * num_ridges * (cols + rows) + 64)


def seed_batch(
    ladder, other, mode, num_ridges, itemsize, num_seeds, max_bytes, *, name=None
) -> int:
    """Seeds per batch: the full draw of one seed plus its largest cell must fit ``max_bytes``.

    With ``name`` (the size argument of the caller), a seed that could never fit in this
    machine's memory is an error naming it.
    """
    if mode == "samples":
        draw = ladder[0] * (other + 1)
        per_seed = max(cell_bytes(b, other, num_ridges, itemsize) for b in ladder)
    else:
        draw = other * (ladder[0] + 1)
        per_seed = max(cell_bytes(other, b, num_ridges, itemsize) for b in ladder)
    per_seed += itemsize * draw
    if name is not None:
        check_fits_memory(per_seed, name, "one seed's training set")
    return int(np.clip(max_bytes // per_seed, 1, num_seeds))


def _cell(draw, eigvals, target_weights, noise_var, ridges, size, *, mode, bucket, other, fresh):
    """One padded training set cut from a seed's full draw, decomposed once, every ridge.

    With ``fresh``, ``draw`` is a key and the cell draws its own bucket-sized data from it.
    """
    dtype = eigvals.dtype
    if fresh:
        shape = (bucket, other) if mode == "samples" else (other, bucket)
        draw = draw_normals(draw, shape[0], shape[1], dtype)
    if mode == "samples":
        # Rows beyond P are zero; all N columns.
        rows, num_samples, num_features = bucket, size, jnp.asarray(other, dtype)
        keep = (jnp.arange(rows) < size)[:, None]
        z, xi = draw[:rows, 1:], draw[:rows, 0]
        e, w = eigvals, target_weights
    else:
        # Width: the first `size` features of a `bucket`-wide prefix; columns beyond are zero.
        rows, num_samples, num_features = other, jnp.asarray(other, dtype), size
        cols = jnp.arange(bucket) < size
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


@functools.partial(jax.jit, static_argnames=("mode", "ladder", "batch", "other", "independent"))
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
    *,
    mode,
    ladder,
    batch,
    other,
    independent=False,
):
    """Fields of shape ``(len(sizes), num_seeds, len(ridges))``.

    ``mode="samples"``: ``sizes`` are P (padded to ``ladder`` rows; N = ``other``);
    ``mode="features"``: ``sizes`` are N (padded to ``ladder`` columns; P = ``other``).
    By default each seed draws its largest training set once and every size is cut from it
    (nested data). With ``independent=True`` size ``i`` of seed ``s`` is cut from a fresh draw
    with key ``fold_in(keys[s], i)``, so no two cells share data.
    """
    dtype = eigvals.dtype
    ladder_arr = jnp.asarray(ladder)
    branches = [
        functools.partial(_cell, mode=mode, bucket=b, other=other, fresh=independent)
        for b in ladder
    ]
    if mode == "samples":
        draw_shape = (ladder[0], other)
    else:
        draw_shape = (other, ladder[0])

    def one_seed(key):
        nested = None if independent else draw_normals(key, draw_shape[0], draw_shape[1], dtype)

        def step(carry, item):
            position, size = item
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
            )
            return carry, out

        positions = jnp.arange(sizes.shape[0], dtype=jnp.uint32)
        return jax.lax.scan(step, None, (positions, sizes))[1]

    if batch >= keys.shape[0]:
        out = jax.vmap(one_seed)(keys)
    else:
        out = jax.lax.map(one_seed, keys, batch_size=batch)
    # (seeds, sizes, ridges) -> (sizes, seeds, ridges)
    return jax.tree_util.tree_map(lambda a: jnp.swapaxes(a, 0, 1), out)
