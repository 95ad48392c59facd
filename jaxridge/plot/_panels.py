"""Eigenvalue histograms, bias–variance decompositions and regime maps (private).

Public through :mod:`jaxridge.plot`.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
from jaxtyping import ArrayLike, Float, Shaped
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ._axes import (
    as_mapping,
    as_series,
    as_vector,
    assign_colors,
    cycle_colors,
    decorate,
    fail,
    new_axes,
)
from ._style import PALETTE, label, series_colors


def spectrum(
    samples: Float[ArrayLike, "*shape"],
    density: tuple[Float[ArrayLike, " n"], Float[ArrayLike, " n"]] | None = None,
    *,
    ax: Axes | None = None,
    bins=80,
    logx: bool = False,
    logy: bool = False,
    label: str | None = None,
    density_label: str | None = "theory",
    color=None,
    floor: float | None = None,
    xlabel: str | None = "eigenvalue",
    ylabel: str | None = "density",
    title: str | None = None,
) -> Axes:
    """Histogram of empirical eigenvalues, density-normalised, with an optional theory density.

    On a log x axis the bins are log-spaced and the null space (eigenvalues <= ``floor``) is
    left out; the histogram stays normalised by the total count, so it integrates to the
    fraction of eigenvalues shown, like the continuous part of the theory density.

    Args:
        samples: eigenvalues, any shape (e.g. ``(num_seeds, n)``), flattened.
        density: the theory density as a pair ``(x, rho)`` of equal-length arrays, or ``None``.
        ax: axes to draw on; a new figure when ``None``.
        bins: number of bins, or the bin edges.
        logx, logy: logarithmic axes (log-spaced bins when ``logx``).
        label: legend text of the histogram.
        density_label: legend text of the theory density.
        color: histogram colour (default: the first cycle colour).
        floor: on a log x axis, eigenvalues <= ``floor`` count as zero; default
            ``100 · eps · max|samples|`` in the samples' precision.
        xlabel, ylabel, title: axis labels and title.

    Returns:
        The axes.

    Example:
        >>> spectrum(eigs, density=(grid, marchenko_pastur(grid)), logy=True)
    """
    raw = np.asarray(samples)
    if raw.size == 0:
        fail("samples", "must not be empty")
    try:
        values = raw.astype(float).ravel()
    except (TypeError, ValueError):
        fail("samples", f"must be a numeric array, got {raw.dtype}")
    if not np.all(np.isfinite(values)):
        fail("samples", "contains NaN or inf")
    total = values.size
    if logx:
        if floor is None:
            eps = np.finfo(raw.dtype if raw.dtype.kind == "f" else float).eps
            floor = 100.0 * eps * float(np.max(np.abs(values)))
        values = values[values > floor]
        if values.size == 0:
            fail("samples", f"has no eigenvalue above {floor:g} to show on a log axis")
    if np.ndim(bins) == 0:
        count = int(bins)
        if count < 1 or count != bins:
            fail("bins", f"must be a positive int or an array of edges, got {bins!r}")
        low, high = float(values.min()), float(values.max())
        if high <= low:
            low, high = (low * 0.9, low * 1.1) if low > 0 else (low - 0.5, high + 0.5)
        edges = np.geomspace(low, high, count + 1) if logx else np.linspace(low, high, count + 1)
    else:
        edges = as_vector(bins, "bins")
        if edges.size < 2 or np.any(np.diff(edges) <= 0):
            fail("bins", "must hold at least two increasing edges")
    counts, edges = np.histogram(values, bins=edges)
    heights = counts / (total * np.diff(edges))
    if density is not None:
        try:
            grid, rho = density
        except (TypeError, ValueError):
            fail("density", "must be a pair (x, rho) of arrays")
        grid = as_vector(grid, "density")
        rho = as_series(rho, "density", "rho", grid.size, "density[0]")

    ax = new_axes(ax)
    if color is None:
        color = cycle_colors()[0]
    if logy:
        # no filled area down to 0 on a log axis: outline only
        ax.stairs(heights, edges, color=color, linewidth=1.2, label=label, baseline=None)
    else:
        ax.stairs(heights, edges, fill=True, color=color, alpha=0.45, label=label)
    if density is not None:
        ax.plot(grid, rho, color="0.1", linewidth=1.5, label=density_label)
    decorate(ax, logx=logx, logy=logy, xlabel=xlabel, ylabel=ylabel, title=title)
    if label is not None or (density is not None and density_label is not None):
        ax.legend()
    return ax


def decomposition(
    x: Float[ArrayLike, " n"],
    terms: Mapping[str, Float[ArrayLike, " n"]],
    *,
    ax: Axes | None = None,
    stacked: bool = True,
    total: Float[ArrayLike, " n"] | None = None,
    logx: bool = True,
    logy: bool | None = None,
    total_label: str = r"$E_g$",
    colors=None,
    xlabel: str | None = None,
    ylabel: str | None = "error",
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    r"""The fine-grained bias–variance terms, stacked (areas) or as lines, with the total on top.

    Args:
        x: abscissa, shape ``(n,)``.
        terms: name → array of shape ``(n,)``. Field names (``"bias"``, ``"var_x"``,
            ``"var_f"``, ``"var_xf"``, ``"var_xnoise"`` …) are shown with the paper's symbols
            (Bias², Var_X …); other names as given.
        ax: axes to draw on; a new figure when ``None``.
        stacked: stacked areas (the terms must then be finite and >= 0) or lines.
        total: optional total (e.g. E_g), a black line; with ``stacked`` it should match the top.
        logx: logarithmic x axis.
        logy: logarithmic y axis; default: linear when stacked, log for lines.
        total_label: legend text of ``total``.
        colors: name → colour, or a sequence in order; default: the colour cycle.
        xlabel, ylabel, title: axis labels and title.
        legend: draw the legend.

    Returns:
        The axes.

    Example:
        >>> risk = theory.rf_risk(e, w, N, P, ridge)          # vmapped over a grid of P
        >>> decomposition(P, {"bias": risk.bias, "var_x": risk.var_x, "var_f": risk.var_f},
        ...               total=risk.test)
    """
    terms = as_mapping(terms, "terms")
    if not terms:
        fail("terms", "must name at least one term")
    x = as_vector(x, "x")
    series = {k: as_series(v, "terms", k, x.size, "x") for k, v in terms.items()}
    if stacked:
        for key, y in series.items():
            if not np.all(np.isfinite(y)) or np.any(y < 0):
                fail("terms", f"entry {key!r} must be finite and >= 0 to stack; use stacked=False")
    if total is not None:
        total = as_series(total, "total", "total", x.size, "x")
    if logy is None:
        logy = not stacked
    ax = new_axes(ax)
    names = list(series)
    color = assign_colors(ax, names, colors)
    texts = [label(str(k)) for k in names]
    if stacked:
        ax.stackplot(
            x,
            *series.values(),
            labels=texts,
            colors=[color[k] for k in names],
            alpha=0.8,
            linewidth=0.0,
        )
    else:
        for key, text in zip(names, texts, strict=True):
            ax.plot(x, series[key], color=color[key], label=text)
    if total is not None:
        ax.plot(x, total, color="black", linewidth=2.0, label=total_label, zorder=3)
    decorate(ax, logx=logx, logy=logy, xlabel=xlabel, ylabel=ylabel, title=title)
    if legend:
        ax.legend()
    return ax


def phase_diagram(
    x: Float[ArrayLike, " nx"],
    y: Float[ArrayLike, " ny"],
    labels: Shaped[ArrayLike, "ny nx"],
    *,
    ax: Axes | None = None,
    names=None,
    colors=None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    r"""A categorical map of the dominant regime over a 2-D parameter plane (THEORY §7 item 12).

    Args:
        x: the plane's abscissa, shape ``(nx,)`` (e.g. ℓ with λ = P^−ℓ).
        y: the plane's ordinate, shape ``(ny,)`` (e.g. q with N = P^q).
        labels: the regime at each point, shape ``(ny, nx)``: integer codes or strings.
        ax: axes to draw on; a new figure when ``None``.
        names: legend text per regime: a mapping code → text, or a sequence indexed by integer
            code; default: the labels themselves.
        colors: a mapping code → colour or a sequence in sorted code order; default: the palette.
        xlabel, ylabel, title: axis labels and title.
        legend: draw the legend (one patch per regime present).

    Returns:
        The axes.

    Example:
        >>> phase_diagram(ell, q, regime, names={0: r"Bias$^2$", 1: r"Var$_F$"},
        ...               xlabel=r"$\ell$", ylabel="$q$")
    """
    x = as_vector(x, "x")
    y = as_vector(y, "y")
    codes = np.asarray(labels)
    if codes.shape != (y.size, x.size):
        fail("labels", f"has shape {codes.shape}, expected (len(y), len(x)) = {(y.size, x.size)}")
    present, index = np.unique(codes, return_inverse=True)
    index = index.reshape(codes.shape)
    if names is None:
        texts = [str(v) for v in present]
    elif isinstance(names, Mapping):
        texts = [str(names.get(v.item(), v)) for v in present]
    else:
        if codes.dtype.kind not in "iu" or present.min() < 0 or present.max() >= len(names):
            fail("names", f"as a sequence must have an entry for every integer code {present}")
        texts = [str(names[int(v)]) for v in present]
    if colors is None:
        palette = series_colors(present.size)
    elif isinstance(colors, Mapping):
        palette = [colors.get(v.item(), PALETTE[i % len(PALETTE)]) for i, v in enumerate(present)]
    else:
        if len(colors) < present.size:
            fail("colors", f"must have >= {present.size} entries, one per regime present")
        palette = list(colors)[: present.size]
    ax = new_axes(ax)
    cmap = mpl.colors.ListedColormap(palette)
    ax.pcolormesh(x, y, index, cmap=cmap, vmin=-0.5, vmax=present.size - 0.5, shading="nearest")
    ax.grid(False)
    decorate(ax, logx=False, logy=False, xlabel=xlabel, ylabel=ylabel, title=title)
    if legend:
        handles = [Patch(facecolor=c, edgecolor="none") for c in palette]
        ax.legend(handles, texts, loc="best", frameon=True, framealpha=0.85)
    return ax
