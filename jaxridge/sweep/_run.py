"""The sweep runner: chunks of work, sharded over devices, written as they finish.

A *chunk* is one point of the outer axes (spectrum parameters, ``noise_var``, ``width``). It
computes the whole (num_samples × ridge) plane:

* theory, linear model: one :func:`jaxridge.theory.ridge_risk_grid` call on the flattened plane
  (with a ``[samples]`` correlation: a vmapped :func:`jaxridge.theory.correlated_ridge_risk`,
  each P with the exact spectrum of its K, ``spectra.leading_eigvals``);
* theory, random features: a jitted ``vmap`` of :func:`jaxridge.theory.rf_risk` (or
  ``deep_rf_risk``) over the flattened plane, in batches that fit ``max_bytes``;
* Monte Carlo, linear model: :func:`jaxridge.empirical.learning_curve` with the sweep's device
  mesh (one draw and one decomposition per (P, seed) for every ridge, seeds split over the
  devices; with ``[samples]`` its ``sample_cov`` is the K of the largest P);
* Monte Carlo, random features: :func:`jaxridge.empirical.rf_ridge_risk` (or
  ``deep_rf_ridge_risk``) per sample size (its shapes depend on P; each P compiles once), on
  ``num_replicates`` independent seed grids; means and standard errors over the replicates.

Sharding: the batch axes — the seeds of the linear Monte Carlo and the flattened (P, λ) plane
of the theory — are placed with a ``NamedSharding`` over a 1-D ``Mesh`` of the devices and the
same jitted kernels run on them; XLA partitions the batch. Inputs are padded to a multiple of
the device count (extra seeds/points are computed and dropped), so the results equal a
single-device run. Random-feature Monte Carlo runs on the default device. On a CPU mesh of more
than one (host) device the linear Monte Carlo runs one seed per device per call (see
``one_unit_per_device`` in ``jaxridge._batching``: batched LAPACK calls deadlock there in
jaxlib 0.10).

Randomness: chunk ``c`` (its index in C order over the outer axes) uses the key
``fold_in(key(seed), c)``; linear Monte Carlo seed ``s`` of that chunk is ``fold_in(chunk key,
s)`` exactly as in ``learning_curve``; random-feature sample size ``i`` uses ``fold_in(chunk
key, i)``. A chunk's result therefore depends on nothing but the spec and its index, which is
what makes resuming exact.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from .. import __version__, empirical, spectra, theory
from .._batching import balanced_calls, batch_size, pad, replicate, shard, to_host
from . import _cost, names
from ._dataset import chunk_dataset, chunk_points, combine, require_xarray
from ._spec import SweepSpec
from ._store import Store

__all__ = ["run"]


# ------------------------------------------------------------------------------ devices


def _mesh(spec: SweepSpec) -> Mesh:
    devices = jax.devices()
    if spec.devices != "all":
        if spec.devices > len(devices):
            raise ValueError(
                f"jaxridge: argument `devices` = {spec.devices} exceeds the {len(devices)} "
                f"visible device(s)"
            )
        devices = devices[: spec.devices]
    # Auto axes: placement by NamedSharding, as the rest of the runner assumes.
    auto = (jax.sharding.AxisType.Auto,)
    return jax.make_mesh((len(devices),), ("batch",), axis_types=auto, devices=devices)


# ------------------------------------------------------------------------------ spectra


def _spectrum(spec: SweepSpec, params: dict, dtype):
    kind = spec.spectrum["kind"]
    if kind == "power_law":
        return spectra.power_law(
            params["num_features"],
            params["alpha"],
            params["r"],
            normalize=params.get("normalize", False),
            dtype=dtype,
        )
    if kind == "isotropic":
        return spectra.isotropic(params["num_features"], params.get("norm2", 1.0), dtype=dtype)
    if kind == "blocks":
        return spectra.blocks(
            params["sizes"],
            params["values"],
            params["weights"],
            target_norm=params.get("target_norm"),
            dtype=dtype,
        )
    return spectra.from_file(params["path"], name="spectrum.path", dtype=dtype)


def _chunk_params(spec: SweepSpec, point: dict) -> dict:
    params = {k: v for k, v in spec.spectrum.items() if k != "kind"}
    params.update(spec.fixed())
    for name, (_, value) in point.items():
        params[name] = value
    if spec.model == "deep_random_features" and "width" in point:
        params["width"] = spec.width_values()[point["width"][0]]
    return params


# ------------------------------------------------------------------------------ theory


def _plane(spec: SweepSpec):
    axes = {a.name: a.values for a in spec.axes()}
    ps = np.asarray(axes["num_samples"], np.float64)
    lams = np.asarray(axes["ridge"], np.float64)
    return ps, lams


def _linear_theory(eigvals, weights, noise_var, ps, lams, mesh, dtype) -> dict:
    flat_p = np.repeat(ps, len(lams)).astype(dtype)
    flat_l = np.tile(lams, len(ps)).astype(dtype)
    count = flat_p.shape[0]
    padded = -(-count // mesh.size) * mesh.size
    if mesh.size > 1:
        p_in = shard(pad(flat_p, padded), mesh)
        l_in = shard(pad(flat_l, padded), mesh)
        eigvals, weights = replicate(eigvals, mesh), replicate(weights, mesh)
    else:
        p_in, l_in = jnp.asarray(flat_p), jnp.asarray(flat_l)
    out = theory.ridge_risk_grid(eigvals, weights, p_in, l_in, jnp.asarray(noise_var, dtype))
    return {
        names.theory(name): to_host(value)[:count].reshape(len(ps), len(lams))
        for name, value in _fields(out).items()
    }


def _correlated_point(eigvals, weights, noise_var, sample_eigvals, num_samples, ridge, *, noise):
    return theory.correlated_ridge_risk(
        eigvals, weights, sample_eigvals, num_samples, ridge, noise_var, noise=noise
    )


# One jitted vmap per noise model (the model is static).
_correlated_batch = {
    noise: jax.jit(
        jax.vmap(
            functools.partial(_correlated_point, noise=noise), in_axes=(None, None, None, 0, 0, 0)
        )
    )
    for noise in ("correlated", "iid")
}


def _correlated_theory(eigvals, weights, noise_var, k_rows, ps, lams, noise, mesh, dtype):
    """``correlated_ridge_risk`` on the (P, λ) plane, each P with its exact K spectrum (the
    zero-padded rows of ``spectra.leading_eigvals``), one vmapped program sharded like
    ``_linear_theory``."""
    flat_p = np.repeat(ps, len(lams)).astype(dtype)
    flat_l = np.tile(lams, len(ps)).astype(dtype)
    flat_k = np.repeat(np.asarray(k_rows), len(lams), axis=0).astype(dtype)
    count = flat_p.shape[0]
    padded = -(-count // mesh.size) * mesh.size
    args = (eigvals, weights, jnp.asarray(noise_var, dtype))
    # Padding points repeat the first one (a solvable problem), and are dropped.
    rows = [pad_with_first(a, padded) for a in (flat_k, flat_p, flat_l)]
    if mesh.size > 1:
        args = tuple(replicate(a, mesh) for a in args)
        rows = [shard(a, mesh) for a in rows]
    else:
        rows = [jnp.asarray(a) for a in rows]
    out = _correlated_batch[noise](*args, *rows)
    return {
        names.theory(name): to_host(value)[:count].reshape(len(ps), len(lams))
        for name, value in _fields(out).items()
    }


def pad_with_first(a: np.ndarray, length: int) -> np.ndarray:
    """``a`` extended along axis 0 to ``length`` with copies of its first entry."""
    extra = length - a.shape[0]
    return a if extra == 0 else np.concatenate([a, np.repeat(a[:1], extra, axis=0)])


def _rf_point(eigvals, weights, widths, noise_var, feature_vars, num_samples, ridge):
    if widths.shape[0] == 1:
        return theory.rf_risk(
            eigvals, weights, widths[0], num_samples, ridge, noise_var, feature_var=feature_vars[0]
        )
    return theory.deep_rf_risk(
        eigvals, weights, widths, num_samples, ridge, noise_var, feature_vars=feature_vars
    )


_rf_batch = jax.jit(jax.vmap(_rf_point, in_axes=(None, None, None, None, None, 0, 0)))


def _rf_theory(spec, eigvals, weights, widths, noise_var, fvar, ps, lams, mesh, dtype) -> dict:
    flat_p = np.repeat(ps, len(lams)).astype(dtype)
    flat_l = np.tile(lams, len(ps)).astype(dtype)
    count = flat_p.shape[0]
    dim = eigvals.shape[0]
    unit = _cost.rf_theory_point_bytes(dim, spec.itemsize())
    per_device = batch_size(unit, spec.max_bytes, -(-count // mesh.size))
    num_calls, per_call = balanced_calls(count, per_device * mesh.size, mesh.size)
    flat_p, flat_l = pad(flat_p, num_calls * per_call), pad(flat_l, num_calls * per_call)
    widths = jnp.asarray(np.asarray(widths, np.float64), dtype)
    feature_vars = jnp.full(widths.shape, fvar, dtype)
    noise = jnp.asarray(noise_var, dtype)
    args = (eigvals, weights, widths, noise, feature_vars)
    if mesh.size > 1:
        args = tuple(replicate(a, mesh) for a in args)
    pieces = []
    for c in range(num_calls):
        sl = slice(c * per_call, (c + 1) * per_call)
        p_in, l_in = flat_p[sl], flat_l[sl]
        if mesh.size > 1:
            p_in, l_in = shard(p_in, mesh), shard(l_in, mesh)
        out = _rf_batch(*args, p_in, l_in)
        pieces.append({k: to_host(v) for k, v in _fields(out).items()})
    return {
        names.theory(k): np.concatenate([p[k] for p in pieces])[:count].reshape(len(ps), len(lams))
        for k in pieces[0]
    }


# ------------------------------------------------------------------------------ Monte Carlo


def _linear_mc(
    spec, key, eigvals, weights, noise_var, sizes, lams, mesh, dtype, sample_cov=None
) -> dict:
    correlated = {}
    if sample_cov is not None:
        correlated = dict(sample_cov=sample_cov, noise=spec.samples["noise"])
    out = empirical.learning_curve(
        key,
        eigvals,
        weights,
        np.asarray(sizes, np.int32),
        jnp.asarray(lams, dtype),
        jnp.asarray(noise_var, dtype),
        spec.num_seeds,
        max_bytes=spec.max_bytes,
        independent=spec.fit,
        mesh=mesh,
        **correlated,
    )
    result = {}
    for name, value in _fields(out).items():
        # (P, seeds, L) -> (P, L, seeds)
        _summarise(result, name, np.moveaxis(to_host(value), 1, 2), spec.keep_seeds, dtype)
    return result


def _summarise(result: dict, name: str, values: np.ndarray, keep: bool, dtype) -> None:
    mean, stderr = empirical.summarise(np.asarray(values, np.float64), axis=-1)
    result[names.mc(name)] = mean.astype(dtype)
    result[names.stderr(names.mc(name))] = stderr.astype(dtype)
    if keep:
        result[names.seeds(names.mc(name))] = values.astype(dtype)


def _rf_mc(spec, key, eigvals, weights, widths, noise_var, fvar, sizes, lams, dtype) -> dict:
    """Random-feature Monte Carlo: mean and standard error over independent replicate grids.

    Replicate ``r`` of sample size ``i`` uses the key ``fold_in(fold_in(chunk key, i), r)``; each
    replicate is one ``num_seeds × num_feature_seeds`` grid of :func:`empirical.rf_ridge_risk`
    (or the deep version), whose pooled estimates share their draws, so the error bar comes
    from the scatter of the replicate means. Every call of a given P reuses one compiled
    program (shapes depend on P, not on the replicate).
    """
    ridges = jnp.asarray(lams, dtype)
    common = dict(
        noise_var=jnp.asarray(noise_var, dtype),
        num_data_seeds=spec.num_seeds,
        num_feature_seeds=spec.num_feature_seeds,
    )

    def one(sub, num_samples):
        if spec.model == "random_features":
            return empirical.rf_ridge_risk(
                sub,
                eigvals,
                weights,
                int(widths[0]),
                int(num_samples),
                ridges,
                feature_var=jnp.asarray(fvar, dtype),
                **common,
            )
        return empirical.deep_rf_ridge_risk(
            sub,
            eigvals,
            weights,
            tuple(int(w) for w in widths),
            int(num_samples),
            ridges,
            feature_vars=jnp.full((len(widths),), fvar, dtype),
            **common,
        )

    rows = []  # rows[i][field]: (replicates, L)
    for i, num_samples in enumerate(sizes):
        size_key = jax.random.fold_in(key, i)
        # Replicate r uses fold_in(size_key, r) (the convention of `empirical.replicate`).
        reps = empirical.replicate(
            lambda k, p=num_samples: jax.tree.map(to_host, _fields(one(k, p))),
            size_key,
            spec.num_replicates,
        )
        rows.append(reps)
    out: dict = {}
    for k in rows[0]:
        values = np.stack([row[k] for row in rows])  # (P, R, L)
        _summarise(out, k, np.moveaxis(values, 1, -1), False, dtype)  # over replicates
    return out


# Fit settings: Adam warm-up, Levenberg–Marquardt polish, 8 vmapped restarts (noisy curves can
# have a second local minimum along the α·r valley). One compiled kernel serves every ridge.
FIT_PARAMS = ("alpha", "r", "noise_var")
_FIT_SETTINGS = dict(steps=60, refine_steps=40, num_restarts=8)


def _linear_fit(mc: dict, num_features: int, ps, lams, dtype) -> dict:
    """Fit (α, r, σ²) to the Monte-Carlo E_g curve of every ridge (weights: (mean/stderr)²)."""
    from .. import fit as _fit

    mean = np.asarray(mc[names.mc("test")], np.float64)
    stderr = np.asarray(mc[names.stderr(names.mc("test"))], np.float64)
    sizes = np.asarray(ps, dtype)
    out = {names.fit(n): np.full(len(lams), np.nan) for n in FIT_PARAMS}
    out.update({names.stderr(names.fit(n)): np.full(len(lams), np.nan) for n in FIT_PARAMS})
    out[names.fit("chi2")] = np.full(len(lams), np.nan)
    out[names.fit("test")] = np.full(mean.shape, np.nan)
    for j, lam in enumerate(lams):
        m, s = mean[:, j], stderr[:, j]
        usable = np.isfinite(m) & np.isfinite(s) & (m > 0) & (s > 0)
        if usable.sum() <= len(FIT_PARAMS):
            continue  # too few usable points: leave NaN
        weights = np.where(usable, (m / np.where(usable, s, 1.0)) ** 2, 0.0)
        result = _fit.fit_learning_curve(
            sizes,
            np.where(usable, m, 1.0).astype(dtype),
            fixed={"num_features": int(num_features), "ridge": float(lam)},
            weights=weights.astype(dtype),
            **_FIT_SETTINGS,
        )
        for n in FIT_PARAMS:
            out[names.fit(n)][j] = float(result.params[n])
            out[names.stderr(names.fit(n))][j] = float(result.stderr[n])
        dof = max(int(usable.sum()) - len(FIT_PARAMS), 1)
        out[names.fit("chi2")][j] = float(result.loss) * float(weights.sum()) / dof
        out[names.fit("test")][:, j] = np.asarray(result.curve, np.float64)
    return {k: v.astype(dtype) for k, v in out.items()}


def _fields(module) -> dict:
    """The result's array fields; solver status fields are None here (``throw=True``)."""
    values = {f: getattr(module, f) for f in type(module).__dataclass_fields__}
    return {f: v for f, v in values.items() if v is not None}


# ------------------------------------------------------------------------------ one chunk


def compute_chunk(spec: SweepSpec, index: int, point: dict, mesh: Mesh) -> dict:
    """Every requested variable of chunk ``index`` as NumPy arrays over (P, λ[, seed])."""
    dtype = np.dtype(spec.dtype)
    params = _chunk_params(spec, point)
    eigvals, weights = _spectrum(spec, params, dtype)
    noise_var = float(params["noise_var"])
    ps, lams = _plane(spec)
    key = jax.random.fold_in(jax.random.key(spec.seed), index)
    out: dict = {}
    if spec.model == "linear" and spec.samples is not None:
        # Correlated samples: one K for the largest P; P samples use its leading block.
        k_matrix = spectra.correlation_matrix(
            spec.samples["kind"], int(ps.max()), params[spec.samples_param()], dtype=dtype
        )
        if spec.theory:
            k_rows = spectra.leading_eigvals(k_matrix, [int(p) for p in ps])
            noise = spec.samples["noise"]
            out.update(
                _correlated_theory(
                    eigvals, weights, noise_var, k_rows, ps, lams, noise, mesh, dtype
                )
            )
        if spec.monte_carlo:
            out.update(
                _linear_mc(spec, key, eigvals, weights, noise_var, ps, lams, mesh, dtype, k_matrix)
            )
        return out
    if spec.model == "linear":
        if spec.theory:
            out.update(_linear_theory(eigvals, weights, noise_var, ps, lams, mesh, dtype))
        if spec.monte_carlo:
            out.update(_linear_mc(spec, key, eigvals, weights, noise_var, ps, lams, mesh, dtype))
        if spec.fit:
            out.update(_linear_fit(out, eigvals.shape[0], ps, lams, dtype))
        return out
    width = params["width"]
    widths = tuple(width) if isinstance(width, tuple | list) else (int(width),)
    fvar = spec.feature_var if spec.feature_var is not None else 1.0 / eigvals.shape[0]
    if spec.theory:
        out.update(
            _rf_theory(spec, eigvals, weights, widths, noise_var, fvar, ps, lams, mesh, dtype)
        )
    if spec.monte_carlo:
        out.update(_rf_mc(spec, key, eigvals, weights, widths, noise_var, fvar, ps, lams, dtype))
    return out


# ------------------------------------------------------------------------------ the runner


def _check_precision(spec: SweepSpec) -> None:
    if spec.dtype == "float64" and not jax.config.jax_enable_x64:
        raise ValueError(
            "jaxridge: argument `dtype` is float64 but JAX runs in float32: call "
            'jaxridge.enable_float64() first (the CLI does), or set dtype = "float32"'
        )


def _agreed_done(done: set[int], total: int) -> set[int]:
    """Multi-host runs: every process works on the chunks process 0 found missing."""
    if jax.process_count() == 1:
        return done
    from jax.experimental import multihost_utils

    mask = np.zeros(total, np.int32)
    mask[sorted(done)] = 1
    mask = np.asarray(multihost_utils.broadcast_one_to_all(mask))
    return {int(i) for i in np.flatnonzero(mask)}


def _sync(name: str) -> None:
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


class _Progress:
    """Progress over chunks: a tqdm bar, or one line per finished chunk on stderr.

    ``enabled=None`` (the default) draws the bar when stderr is a terminal and otherwise prints
    lines (logs, ``nohup``, notebooks' ``!jaxridge run``), so a long run is never silent.
    """

    def __init__(self, total: int, initial: int, desc: str, enabled: bool | None):
        self.total, self.left, self.desc = total, total - initial, desc
        self.bar = None
        self.lines = enabled is None and not sys.stderr.isatty()
        if enabled or (enabled is None and not self.lines):
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is part of the sweep extra
                self.lines = True
            else:
                self.bar = tqdm(total=total, initial=initial, desc=desc, unit="chunk", leave=True)
        self.spent, self.done = 0.0, 0
        self.last = time.perf_counter()

    def update(self, index: int) -> None:
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        self.spent, self.done, self.left = self.spent + seconds, self.done + 1, self.left - 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.lines:
            remaining = self.spent / self.done * self.left
            print(
                f"{self.desc}: chunk {index} done in {seconds:.1f} s "
                f"({self.left} of {self.total} left, ~{remaining:.0f} s remaining)",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(
    spec: SweepSpec | str | os.PathLike,
    path: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
    progress: bool | None = None,
    callback: Callable[[int], None] | None = None,
):
    """Run a sweep and return its labelled results as an ``xarray.Dataset``.

    With ``path`` every finished chunk is written at once to ``path/chunks/`` (atomically), so a
    run that is killed resumes where it stopped: calling ``run`` again with the same spec and
    path computes only the missing chunks, and once ``path/results.nc`` exists it just loads
    it. A different spec in the same folder is an error unless ``overwrite``.

    Dataset layout: dimensions are the outer axes (spectrum parameters given as lists,
    ``noise_var``, ``width``) in spec order, then ``num_samples`` and ``ridge``, each with its
    coordinate; variables ``theory_<field>`` (every field of :class:`jaxridge.theory.RidgeRisk`
    or :class:`~jaxridge.theory.RFRisk`), ``mc_<field>`` (seed mean of every field of
    :class:`jaxridge.empirical.EmpiricalRisk`; for random features the estimates of
    :class:`~jaxridge.empirical.RFEmpiricalRisk` pooled over data × feature seeds),
    ``mc_<field>_stderr`` (standard error of the mean over seeds; linear model) and
    ``mc_<field>_seeds`` (dimension ``seed``, with ``keep_seeds``). Attributes: ``spec`` (the
    TOML text), ``spec_hash``, ``jaxridge_version``, ``model``, ``name``, ``created`` and the
    fixed parameter values.

    Args:
        spec: a :class:`SweepSpec`, or the path of a TOML spec file.
        path: output folder (created if needed); ``None`` computes in memory only.
        overwrite: replace results of a different spec found in ``path``.
        progress: ``True`` a progress bar over chunks, ``False`` nothing; ``None`` (default) a
            bar when stderr is a terminal, else one line per finished chunk on stderr (its
            index, seconds and an estimate of the time remaining).
        callback: called with each chunk's index once it is computed (and written).

    Returns:
        The results, loaded in memory.

    Example:
        >>> import jaxridge
        >>> from jaxridge import sweep
        >>> jaxridge.enable_float64()
        >>> ds = sweep.run("examples/sweeps/power_law.toml", "runs/power-law")  # doctest: +SKIP
        >>> ds.mc_test.sel(ridge=1e-4)                                         # doctest: +SKIP
    """
    require_xarray()
    if not isinstance(spec, SweepSpec):
        spec = SweepSpec.from_toml(Path(spec))
    _check_precision(spec)
    store = Store(path, spec) if path is not None else None
    writer = jax.process_index() == 0
    if store is not None:
        if writer:
            store.prepare(overwrite=overwrite)
        _sync("jaxridge.sweep.prepare")
        if store.finished():
            return store.read_results()
    mesh = _mesh(spec)
    points = chunk_points(spec)
    total = len(points)
    done = _agreed_done(store.done(), total) if store is not None else set()
    results: dict = {}
    bar = _Progress(total, len(done), spec.name, progress)
    try:
        for index, point in enumerate(points):
            if index in done:
                continue
            arrays = compute_chunk(spec, index, point, mesh)
            ds = chunk_dataset(spec, index, point, arrays)
            if store is not None:
                if writer:
                    store.write_chunk(index, ds)
            else:
                results[index] = ds
            bar.update(index)
            if callback is not None:
                callback(index)
    finally:
        bar.close()
    if store is None:
        return combine(spec, results, version=__version__)
    # Multi-host: process 0 writes (the folder must be shared); the others read its result.
    out = None
    if writer:
        chunks = store.read_chunks(range(total))
        out = combine(spec, chunks, version=__version__, created=store.created())
        store.write_results(out)
    _sync("jaxridge.sweep.results")
    return out if writer else store.read_results()
