"""Labelled results: one chunk as a small ``xarray.Dataset``, and all chunks combined.

Layout (every sweep): dimensions are the outer axes in spec order, then ``num_samples``,
``ridge`` and, for per-seed values, ``seed``. Variables: ``theory_<field>``, ``mc_<field>``,
``mc_<field>_stderr`` and ``mc_<field>_seeds``; with ``fit``, ``fit_<param>`` and
``fit_<param>_stderr`` (param in alpha, r, noise_var) and ``fit_chi2`` over ``ridge``, and the
fitted curve ``fit_test`` over (num_samples, ridge). A deep random-feature ``width`` axis is
labelled by position, with the layer widths in the auxiliary coordinate ``widths(width, layer)``.
"""

from __future__ import annotations

import datetime
import itertools

import numpy as np

from ._spec import SweepSpec

__all__ = ["chunk_dataset", "chunk_points", "combine", "require_xarray"]

SPEC_HASH_ATTR = "spec_hash"


def require_xarray():
    """Import xarray, or raise ImportError with the install hint of the ``sweep`` extra."""
    try:
        import xarray as xr
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "jaxridge.sweep needs xarray and netCDF4: pip install 'jaxridge[sweep]'"
        ) from exc
    return xr


def chunk_points(spec: SweepSpec) -> list[dict]:
    """The outer-axis values of every chunk, in C order of the outer axes (chunk index order)."""
    outer = [a for a in spec.axes() if a.outer]
    points = []
    for combo in itertools.product(*(range(len(a.values)) for a in outer)):
        points.append({a.name: (i, a.values[i]) for a, i in zip(outer, combo, strict=True)})
    return points


def _inner_coords(spec: SweepSpec) -> dict:
    inner = {a.name: np.asarray(a.values) for a in spec.axes() if not a.outer}
    if spec.monte_carlo:
        inner["num_samples"] = inner["num_samples"].astype(np.int64)
    inner["ridge"] = inner["ridge"].astype(np.float64)
    return inner


def chunk_dataset(spec: SweepSpec, index: int, point: dict, arrays: dict):
    """One chunk's results as a Dataset over (num_samples, ridge[, seed]).

    ``arrays`` maps variable names to arrays of shape (P, L) or (P, L, S). The outer-axis values
    are stored as scalar coordinates so a chunk file is readable on its own.
    """
    xr = require_xarray()
    coords = _inner_coords(spec)
    data_vars = {}
    for name, value in arrays.items():
        if np.ndim(value) == 1:
            dims = ("ridge",)  # one fitted value per ridge (fit_<param>, fit_chi2)
        else:
            dims = ("num_samples", "ridge", "seed")[: np.ndim(value)]
        data_vars[name] = (dims, np.asarray(value))
    if any(np.ndim(v) == 3 for v in arrays.values()):
        coords["seed"] = np.arange(spec.num_seeds)
    ds = xr.Dataset(data_vars, coords=coords)
    for name, (_, value) in point.items():
        ds.coords[name] = value
    ds.attrs["chunk"] = int(index)
    return ds


def _attr_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, tuple | list):
        return [_attr_value(v) for v in value]
    if isinstance(value, dict):
        return str(value)
    return value


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second (the ``created`` attribute)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def combine(spec: SweepSpec, chunks: dict, *, version: str, created: str | None = None):
    """Assemble chunk Datasets (index -> Dataset) into the sweep's Dataset.

    Missing chunks (a partial load) leave NaN in their cells. ``created`` (default: now) is the
    time the run was first started, as recorded in its folder.
    """
    xr = require_xarray()
    axes = spec.axes()
    outer = [a for a in axes if a.outer]
    outer_shape = tuple(len(a.values) for a in outer)
    points = chunk_points(spec)
    first = next(iter(chunks.values()))
    inner = _inner_coords(spec)
    coords: dict = {a.name: np.asarray(a.values) for a in outer}
    coords.update(inner)
    if "seed" in first.dims:
        coords["seed"] = np.arange(spec.num_seeds)
    data_vars = {}
    for name, var in first.data_vars.items():
        full = np.full(outer_shape + var.shape, np.nan, dtype=var.dtype)
        for index, ds in chunks.items():
            where = tuple(points[index][a.name][0] for a in outer)
            full[where] = ds[name].values
        data_vars[name] = (tuple(a.name for a in outer) + var.dims, full)
    out = xr.Dataset(data_vars, coords=coords)
    if spec.model == "deep_random_features":
        widths = spec.width_values()
        if any(a.name == "width" for a in outer):
            depth = max(len(w) for w in widths)
            table = np.zeros((len(widths), depth), np.int64)
            for i, w in enumerate(widths):
                table[i, : len(w)] = w
            out.coords["widths"] = (("width", "layer"), table)
    for key, value in spec.fixed().items():
        out.attrs[key] = _attr_value(value)
    out.attrs.update(
        spec=spec.to_toml(),
        spec_hash=spec.fingerprint(),
        jaxridge_version=version,
        model=spec.model,
        name=spec.name,
        created=created or now_iso(),
    )
    return out
