"""Batching, in one place: flatten → vmap → reshape, batch sizes from a memory budget, the bucket
ladder of padded sizes, and the placement of a batch axis on a device mesh.

Used by the theory solvers and grids (``theory.linear``, ``theory.grid``, ``theory.features``,
``theory.density``, ``theory.scaling``), the Monte-Carlo engine (``empirical``) and the sweep
runner, so that each rule exists once:

* :func:`map_flat` evaluates a scalar-point function on every element of equally shaped arrays
  (one ``vmap`` over the flattened arrays; every output leaf gets the input shape in front);
* :func:`batch_size` and :func:`balanced_calls` turn the bytes of one unit of work and a budget
  into how many units run at once, and into equal calls that are a multiple of the device count;
* :func:`bucket_ladder` is the static ladder of padded sizes of the Monte-Carlo engine
  (growth :data:`DEFAULT_BUCKET_GROWTH` unless the caller chooses another), and
  :func:`seed_bytes` the engine's memory model of one seed;
* :func:`spectrum_bucket` is the padded length of a population spectrum in the theory solvers,
  and :func:`pad_spectrum` pads eigenvalues and target weights to it with zeros;
* :func:`auto_axes`, :func:`shard`, :func:`replicate`, :func:`pad` and :func:`to_host` place and
  gather a batch axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

__all__ = [
    "DEFAULT_BUCKET_GROWTH",
    "DEFAULT_MAX_BYTES",
    "auto_axes",
    "balanced_calls",
    "batch_size",
    "bucket_ladder",
    "cell_bytes",
    "map_flat",
    "one_unit_per_device",
    "pad",
    "pad_spectrum",
    "replicate",
    "seed_bytes",
    "shard",
    "spectrum_bucket",
    "to_host",
]

DEFAULT_MAX_BYTES = 2**30
DEFAULT_BUCKET_GROWTH = 1.5
SMALLEST_BUCKET = 16
# The smallest padded spectrum: one block of the theory's blocked sums (``theory._numerics.BLOCK``),
# which already round every spectrum up to whole blocks of 64.
SMALLEST_SPECTRUM_BUCKET = 64


# ------------------------------------------------------------------------------ vmap


def map_flat(fn: Callable, *arrays):
    """``fn(a₀[i], a₁[i], …)`` for every index ``i`` of the equally shaped ``arrays``.

    One ``jax.vmap`` over the flattened arrays; each leaf of the result has shape
    ``arrays[0].shape + leaf_shape``. Arguments shared by every point are closed over by ``fn``.
    """
    shape = arrays[0].shape
    out = jax.vmap(fn)(*(a.reshape(-1) for a in arrays))
    return jax.tree.map(lambda leaf: leaf.reshape(shape + leaf.shape[1:]), out)


# ------------------------------------------------------------------------------ budgets


def batch_size(unit_bytes: int, max_bytes: int, count: int) -> int:
    """How many units of ``unit_bytes`` fit ``max_bytes``: at least 1, at most ``count``."""
    return int(np.clip(max_bytes // max(int(unit_bytes), 1), 1, max(int(count), 1)))


def balanced_calls(count: int, per_call_max: int, multiple: int = 1) -> tuple[int, int]:
    """Split ``count`` units into equal calls of at most ``per_call_max`` units, each a multiple
    of ``multiple`` (the device count): returns ``(num_calls, per_call)``; the last call may
    hold up to ``num_calls · per_call − count`` padding units."""
    per_call_max = max(multiple, per_call_max - per_call_max % multiple)
    num_calls = -(-count // per_call_max)
    per_call = -(-count // num_calls)
    per_call = -(-per_call // multiple) * multiple
    return num_calls, per_call


def bucket_ladder(largest: int, growth: float | None, split: int | None = None) -> tuple[int, ...]:
    """Static padded sizes, descending: ``largest``, ``⌈largest/growth⌉``, … down to 16.

    ``split`` (if ``1 <= split < largest``) is added as one more rung, so that no bucket holds
    sizes on both sides of it. The Monte-Carlo engine passes the size at which ``decompose``
    switches between the Gram and the covariance side (``N`` for sample sizes, ``P − 1`` for
    widths): the side of a cell then depends on its true sizes only, as in an unpadded fit, and
    not on the bucket.
    """
    ladder = [int(largest)]
    if growth is not None:
        while ladder[-1] > SMALLEST_BUCKET:
            nxt = max(SMALLEST_BUCKET, math.ceil(ladder[-1] / growth))
            if nxt >= ladder[-1]:
                break
            ladder.append(nxt)
    if split is not None and 1 <= split < ladder[0] and split not in ladder:
        ladder = sorted([*ladder, int(split)], reverse=True)
    return tuple(ladder)


def spectrum_bucket(length: int) -> int:
    """The length a spectrum of ``length`` entries is zero-padded to before a compiled solver.

    The ladder is 64 · {1, 2, 3, 4, 6, 8, 12, 16, 24, …}: powers of two and 1.5 times powers of
    two, from 64 (:data:`SMALLEST_SPECTRUM_BUCKET`), every rung a whole number of the theory's
    blocks of 64. Every length within one rung shares one compiled program. Consecutive rungs
    grow by 1.5 or 4/3, so a padded spectrum has less than 50 % more blocks of 64 than the
    unpadded one (whose blocked sums already round up to whole blocks): at most +50 % work, just
    past a power of two, and about +20 % on average. A length on a rung is not padded. Zero
    eigenvalues with zero target weights are an exact null space of every jaxridge solver (rank
    counts e > 0; each sum gains exact zeros), so padding changes results by rounding only.

    Example:
        >>> [spectrum_bucket(n) for n in (1, 64, 65, 129, 2000, 2048, 2049, 2500)]
        [64, 64, 128, 192, 2048, 2048, 3072, 3072]
    """
    length = int(length)
    if length <= SMALLEST_SPECTRUM_BUCKET:
        return SMALLEST_SPECTRUM_BUCKET
    power = 1 << (length - 1).bit_length()  # the smallest power of two >= length
    three_halves = 3 * power // 4  # 1.5 times the power of two below
    if three_halves >= length and three_halves % SMALLEST_SPECTRUM_BUCKET == 0:
        return three_halves
    return power


def pad_spectrum(*vectors):
    """Equal-length 1-D arrays (eigenvalues, target weights) zero-padded to
    :func:`spectrum_bucket` of their length, as a tuple.

    Called in the Python wrapper of a public solver, after validation and before its compiled
    core, so that the core's program depends on the bucket only. ``jnp.pad`` is differentiable
    (its transpose drops the padding): gradients keep the caller's shape, and it works on traced
    arrays (shapes are static under ``jit`` and ``vmap``).
    """
    length = vectors[0].shape[0]
    extra = spectrum_bucket(length) - length
    if extra == 0:
        return tuple(vectors)
    return tuple(jnp.pad(v, (0, extra)) for v in vectors)


def cell_bytes(rows: int, cols: int, num_ridges: int, itemsize: int) -> int:
    """Rough peak bytes of one Monte-Carlo cell: X (and its masked copy), the r×r matrix, eigh
    workspace, the eigenvectors and the per-ridge weights."""
    r = min(rows, cols)
    return itemsize * (2 * rows * cols + 4 * r * r + 3 * num_ridges * (cols + rows) + 64)


def seed_bytes(ladder, other: int, mode: str, num_ridges: int, itemsize: int) -> int:
    """Peak bytes of one Monte-Carlo seed of a curve: its full draw plus its largest cell.

    ``mode="samples"``: the ladder pads P (N = ``other``); ``mode="features"``: it pads N
    (P = ``other``).
    """
    if mode == "samples":
        draw = ladder[0] * (other + 1)
        cell = max(cell_bytes(b, other, num_ridges, itemsize) for b in ladder)
    else:
        draw = other * (ladder[0] + 1)
        cell = max(cell_bytes(other, b, num_ridges, itemsize) for b in ladder)
    return cell + itemsize * draw


# ------------------------------------------------------------------------------ devices


def one_unit_per_device(mesh: Mesh) -> bool:
    """Whether a batch of LAPACK decompositions must be cut to one per device per call.

    Workaround for a deadlock of jaxlib 0.10's CPU LAPACK kernels, CPU backend only. The
    ``eigh`` of a batch of matrices (``lapack_?syevd_ffi``; every LAPACK FFI kernel does the
    same) worth more than ~2e5 FLOP (batch · 5n³) is split into chunks that are scheduled on
    XLA:CPU's intra-op thread pool, and the calling thread blocks until they are done
    (``ParallelBatchMap`` → ``absl::BlockingCounter::Wait``). That pool is shared by all host
    devices (it has max(cores, devices) threads) and XLA:CPU's thunk executor runs parts of each
    device's program on its workers. With two or more devices, each running a batch of
    decompositions, every worker can end up blocked in such a wait at the same time, and the
    chunks they queued never run: the program hangs with the CPU idle (timing-dependent; tiny
    batches stay below the FLOP threshold). With one unit per device the ``eigh`` batch is 1 and
    LAPACK runs inline on the calling thread, so nothing waits on the pool. The devices already
    share the cores, so this costs little: ``units / devices`` calls instead of one.
    Upstream removed the parallel path from open-source jaxlib builds after 0.11.0
    (jax-ml/jax 859992407d, "Don't try to parallelize LAPACK kernels in opensource builds").
    Accelerators are unaffected and keep their per-device batches.
    """
    return mesh.size > 1 and mesh.devices.flat[0].platform == "cpu"


def auto_axes(mesh: Mesh) -> Mesh:
    """The same devices and axis names with every axis ``Auto``: placement by
    ``NamedSharding`` and XLA's partitioning, whatever axis types the caller's mesh has
    (``jax.make_mesh`` makes ``Explicit`` axes by default, under which slicing a sharded batch
    needs an explicit output sharding)."""
    auto = (jax.sharding.AxisType.Auto,) * len(mesh.axis_names)
    return Mesh(mesh.devices, mesh.axis_names, axis_types=auto)


def shard(x, mesh: Mesh):
    """Place ``x`` split along its first axis over the mesh (its length is a multiple)."""
    return jax.device_put(x, NamedSharding(mesh, P(mesh.axis_names[0])))


def replicate(x, mesh: Mesh):
    """Place a copy of ``x`` on every device of the mesh."""
    return jax.device_put(x, NamedSharding(mesh, P()))


def pad(x: np.ndarray, length: int) -> np.ndarray:
    """Pad the first axis to ``length`` by repeating the last entry (padding is computed and
    dropped, so it must be a valid input)."""
    extra = length - x.shape[0]
    if extra <= 0:
        return x
    return np.concatenate([x, np.repeat(x[-1:], extra, axis=0)], axis=0)


def to_host(x) -> np.ndarray:
    """A device array as NumPy, gathering the shards of other processes in multi-host runs."""
    if getattr(x, "is_fully_addressable", True):
        return np.asarray(x)
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
