"""One figure for a whole sweep result (an ``xarray.Dataset`` from ``jaxridge.sweep``) (private).

Schema read: coordinates among ``alpha, r, num_features, noise_var, width, num_samples, ridge,
seed``; variables ``theory_<field>``, ``mc_<field>``, ``mc_<field>_stderr``,
``mc_<field>_seeds`` (dim ``seed``); attribute ``model``. xarray itself is never imported here:
the Dataset's own methods are enough.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backend_bases import FigureCanvasBase

from ..sweep import names
from ._axes import curves, fail, legend_entries
from ._style import format_value, label, series_colors, style

# The default x axis: the swept size axis (sample size, then model size), else the ridge.
_PREFERRED_X = ("num_samples", "width", "num_features", "ridge")
# Parameter names of a sweep, in the order a title lists them.
_PARAMETERS = ("alpha", "r", "num_features", "width", "noise_var", "num_samples", "ridge")
MAX_FIELDS = 8


def available_fields(ds) -> list[str]:
    """Fields with a theory or Monte-Carlo variable in ``ds``, in the Dataset's order."""
    out = []
    for name in ds.data_vars:
        name = str(name)
        if names.is_summary(name):
            continue
        if name.startswith(names.SOURCES) and names.field(name) not in out:
            out.append(names.field(name))
    return out


def _values(da, indexers: dict, x: str) -> tuple[np.ndarray, np.ndarray | None]:
    """1-D values along ``x`` (and the seed standard error when ``da`` still has seeds)."""
    da = da.isel({k: v for k, v in indexers.items() if k in da.dims})
    stderr = None
    if "seed" in da.dims:
        seeds = da.sizes["seed"]
        stderr = da.std("seed", ddof=1) / math.sqrt(seeds) if seeds > 1 else None
        da = da.mean("seed")
        stderr = None if stderr is None else stderr.transpose(*da.dims)
    if x not in da.dims:
        raise AssertionError  # callers only pass variables that have the x dimension
    da = da.transpose(x, ...)
    if da.ndim != 1:
        raise AssertionError
    return np.asarray(da.values, dtype=float), (
        None if stderr is None else np.asarray(stderr.values, dtype=float)
    )


def _layer_widths(row) -> tuple:
    """The widths of a deep model from a zero-padded row of the ``widths`` coordinate."""
    return tuple(int(w) for w in np.ravel(row) if w > 0)


def _coord(ds, dim: str, i):
    """The value of dimension ``dim`` at position ``i`` (a deep model's widths as a tuple)."""
    if dim == "width" and "widths" in ds.coords and ds["widths"].dims[0] == "width":
        return _layer_widths(ds["widths"].isel(width=int(i)).values)
    return ds[dim].values[int(i)] if dim in ds.coords else int(i)


def _fixed_parameters(ds) -> dict:
    """Parameters with a single value: size-1 coordinates, and scalar attributes of the spec."""
    fixed = {}
    for name in _PARAMETERS:
        if name in ds.coords and ds[name].size == 1:
            fixed[name] = ds[name].values.item()
        elif name in ds.attrs and name not in ds.dims:
            value = np.asarray(ds.attrs[name])
            if value.dtype.kind in "iuf" and value.ndim <= 1:
                fixed[name] = value.item() if value.ndim == 0 else tuple(value.tolist())
    if "width" in ds.dims and ds.sizes["width"] == 1 and "widths" in ds.coords:
        fixed["width"] = _layer_widths(ds["widths"].values)
    return fixed


def _subset(count: int, limit: int) -> np.ndarray:
    """At most ``limit`` indices of ``range(count)``, evenly spaced, ends included."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.round(np.linspace(0, count - 1, limit)).astype(int))


def _is_log(values: Sequence[np.ndarray]) -> bool:
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    return bool(finite.size and np.all(finite > 0) and finite.max() >= 10.0 * finite.min())


def sweep_figure(
    ds,
    *,
    x: str | None = None,
    fields: Sequence[str] = ("test", "train"),
    path: str | Path | None = None,
    max_curves: int = 6,
    max_columns: int = 4,
    title: str | None = None,
):
    """Theory against Monte Carlo for a sweep result: one panel per field.

    Dimensions with a single value are squeezed and listed in the title. The x axis is
    the swept size axis: ``num_samples`` when swept, else ``width``, else ``num_features``;
    failing those ``ridge``, else the first swept dimension. The remaining swept dimensions
    are faceted: the innermost by colour (at most ``max_curves`` values, evenly spaced, the
    title says so when some are left out), the next one by panel columns (at most
    ``max_columns``); any further one is held at its first value (said in the title).
    Theory variables ``theory_<field>`` are lines, Monte-Carlo means ``mc_<field>`` points with
    error bars ``mc_<field>_stderr``, ``mc_gcv`` hollow rings on the ``test`` panel and, for
    correlated samples, ``mc_corrgcv`` crosses.

    Args:
        ds: an ``xarray.Dataset`` from ``jaxridge.sweep.run`` (or ``jaxridge.sweep.load``).
        x: the dimension on the x axis (default: the swept size axis, see above).
        fields: the fields to plot, one panel (row) each: ``"test"``, ``"train"``, ``"kappa"``,
            ``"df1"``, ``"bias"`` … (at most 8).
        path: save the figure there; the format follows the suffix (``.png``, ``.pdf``, ``.svg``).
        max_curves: most curves per panel.
        max_columns: most panel columns for the second faceted dimension.
        title: figure title (default: the model and the fixed parameters).

    Returns:
        The matplotlib Figure.

    Example:
        >>> ds = jaxridge.sweep.run(spec)
        >>> fig = jaxridge.plot.sweep_figure(ds, fields=("test", "train", "kappa"),
        ...                                  path="sweep.png")
    """
    if not (hasattr(ds, "data_vars") and hasattr(ds, "sizes") and hasattr(ds, "isel")):
        fail("ds", f"must be an xarray.Dataset from jaxridge.sweep, got {type(ds).__name__}")
    if isinstance(fields, str):
        fields = (fields,)
    fields = tuple(fields)
    known = available_fields(ds)
    if not fields:
        fail("fields", f"must name at least one field; available: {known}")
    if len(fields) > MAX_FIELDS:
        fail("fields", f"names {len(fields)} fields; at most {MAX_FIELDS} panels")
    for field in fields:
        if field not in known:
            fail("fields", f"names unknown field {field!r}; available: {known}")
    for name, value in (("max_curves", max_curves), ("max_columns", max_columns)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            fail(name, f"must be an int >= 1, got {value!r}")
    if path is not None:
        path = Path(path)
        supported = FigureCanvasBase.get_supported_filetypes()
        if path.suffix.lower().lstrip(".") not in supported:
            fail("path", f"must end in one of {sorted(supported)}, got {str(path)!r}")
    model = ds.attrs.get("model")

    # variables drawn, per field
    drawn = {}
    for field in fields:
        wanted = [names.theory(field), names.mc(field), names.stderr(names.mc(field))]
        if field == "test":
            wanted += [names.mc("gcv"), names.mc("corrgcv")]
        drawn[field] = [n for n in wanted if n in ds.data_vars]
    dims: list[str] = []
    for variables in drawn.values():
        for name in variables:
            for dim in ds[name].dims:
                if dim not in dims and dim != "seed":
                    dims.append(str(dim))
    fixed = _fixed_parameters(ds)
    swept = [d for d in dims if ds.sizes[d] > 1]
    if x is None:
        x = next((d for d in _PREFERRED_X if d in swept), swept[0] if swept else None)
        if x is None:
            fail("ds", "has no dimension with more than one value to plot against")
    elif x not in swept:
        fail("x", f"must be a swept dimension of the plotted fields {swept}, got {x!r}")
    for field, variables in drawn.items():
        drawn[field] = [n for n in variables if x in ds[n].dims]
        if not drawn[field]:
            fail("fields", f"field {field!r} does not vary with `x` = {x!r}")

    notes = []
    base = {d: 0 for d in dims if ds.sizes[d] == 1}
    extra = [d for d in swept if d != x]
    color_dim = extra[-1] if extra else None
    column_dim = extra[-2] if len(extra) >= 2 else None
    for held in extra[:-2]:
        base[held] = 0
        fixed[held] = _coord(ds, held, 0)
        notes.append(f"{label(held, model)} held at its first value (of {ds.sizes[held]})")
    color_index = _subset(ds.sizes[color_dim], max_curves) if color_dim else np.array([0])
    column_index = _subset(ds.sizes[column_dim], max_columns) if column_dim else np.array([0])
    for dim, index in ((color_dim, color_index), (column_dim, column_index)):
        if dim is not None and index.size < ds.sizes[dim]:
            notes.append(f"{index.size} of {ds.sizes[dim]} values of {label(dim, model)} shown")

    xs = np.asarray(ds[x].values if x in ds.coords else np.arange(ds.sizes[x]), dtype=float)
    palette = series_colors(color_index.size)
    # one y scale per field, the same in every column
    logy = {
        f: _is_log(
            [np.ravel(ds[n].values) for n in drawn[f] if n in (names.theory(f), names.mc(f))]
        )
        for f in fields
    }

    with style():
        import matplotlib.pyplot as plt

        if column_dim is not None:
            nrows, ncols = len(fields), column_index.size
            cells = [(f, j) for f in fields for j in range(ncols)]
        else:
            ncols = min(len(fields), 4)
            nrows = math.ceil(len(fields) / ncols)
            cells = [(f, 0) for f in fields]
        fig = plt.figure(figsize=(0.4 + 3.7 * ncols, 0.9 + 3.0 * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax in axes[len(cells) :]:
            ax.set_visible(False)
        for k, ((field, j), ax) in enumerate(zip(cells, axes, strict=False)):
            where = dict(base)
            column_title = None
            if column_dim is not None:
                where[column_dim] = int(column_index[j])
                value = format_value(_coord(ds, column_dim, column_index[j]))
                column_title = f"{label(column_dim, model)} = {value}" if k < ncols else None
            theory, empirical, gcv, corrgcv, colors = {}, {}, {}, {}, {}
            for i, c in enumerate(color_index):
                if color_dim is not None:
                    where[color_dim] = int(c)
                    key = f"{label(color_dim, model)} = {format_value(_coord(ds, color_dim, c))}"
                else:
                    key = label(field, model)
                colors[key] = palette[i]
                th_name, mc_name = names.theory(field), names.mc(field)
                if th_name in drawn[field]:
                    theory[key] = _values(ds[th_name], where, x)[0]
                if mc_name in drawn[field]:
                    mean, stderr = _values(ds[mc_name], where, x)
                    if names.stderr(mc_name) in drawn[field]:
                        stderr = _values(ds[names.stderr(mc_name)], where, x)[0]
                    empirical[key] = (mean, stderr)
                if names.mc("gcv") in drawn[field]:
                    gcv[key] = _values(ds[names.mc("gcv")], where, x)[0]
                if names.mc("corrgcv") in drawn[field]:
                    corrgcv[key] = _values(ds[names.mc("corrgcv")], where, x)[0]
            bottom = k + ncols >= len(cells)
            curves(
                xs,
                theory=theory,
                empirical=empirical,
                gcv=gcv,
                ax=ax,
                colors=colors,
                logx=_is_log([xs]),
                logy=logy[field],
                xlabel=label(x, model) if bottom else None,
                ylabel=label(field, model),
                title=column_title,
                legend=False,
            )
            for key, values in corrgcv.items():  # correlated samples: CorrGCV crosses
                ax.plot(xs, values, "x", color=colors[key], ms=6, zorder=3)
            if k == 0 and color_dim is not None:
                # one legend for the figure, outside the panels so it hides no data
                entries = legend_entries(ax)
                handles, texts = zip(*entries, strict=True)
                fig.legend(list(handles), list(texts), loc="outside right upper")
        if title is None:
            parts = [str(model).replace("_", " ")] if model else []
            fixed_text = ", ".join(
                f"{label(d, model)} = {format_value(v)}" for d, v in fixed.items()
            )
            if fixed_text:
                parts.append(fixed_text)
            title = " · ".join(parts)
            kinds = ["lines: theory"]
            if any(n.startswith(names.MC) for variables in drawn.values() for n in variables):
                kinds.append("points: Monte Carlo (mean ± s.e.)")
            if any(names.mc("gcv") in variables for variables in drawn.values()):
                kinds.append("rings: GCV")
            if any(names.mc("corrgcv") in variables for variables in drawn.values()):
                kinds.append("crosses: CorrGCV")
            title = "\n".join(t for t in (title, ", ".join(kinds), "; ".join(notes)) if t)
        fig.suptitle(title, fontsize="medium")
        if path is not None:
            fig.savefig(path, dpi=150)
    return fig
