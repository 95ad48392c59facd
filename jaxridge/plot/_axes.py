"""Theory curves against Monte Carlo, power-law guides and crossover markers (private).

Public through :mod:`jaxridge.plot`. Every function draws on ``ax`` (a new figure when ``None``)
and returns it; arrays may be NumPy or JAX (converted with ``np.asarray``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
from jaxtyping import ArrayLike, Float
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from ._style import GUIDE_COLOR, PALETTE, VLINE_COLOR

# Monte-Carlo points: (mean, stderr) with stderr possibly None, or a bare mean.
Empirical = tuple[Float[ArrayLike, " m"], Float[ArrayLike, " m"] | None] | Float[ArrayLike, " m"]

GUIDE_GID = "jaxridge-guide"
VLINE_GID = "jaxridge-vline"
# Legend entries drawn by this module, kept on the Axes so later calls (a guide, a second
# `curves` call) extend one legend instead of replacing it.
_LEGEND_ATTR = "_jaxridge_legend"
_COLOR_ATTR = "_jaxridge_color_index"


# --------------------------------------------------------------------------------------------
# validation and small helpers


def fail(name: str, message: str):
    """Raise the package's ValueError for a bad argument."""
    raise ValueError(f"jaxridge: argument `{name}` {message}")


def as_vector(values, name: str) -> np.ndarray:
    """A non-empty 1-D float array (NaN and inf allowed: they are gaps in a curve)."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        fail(name, f"must be a numeric array, got {type(values).__name__}")
    if array.ndim != 1:
        fail(name, f"must be a 1-D array, got shape {array.shape}")
    if array.size == 0:
        fail(name, "must not be empty")
    return array


def as_series(values, name: str, key, length: int, against: str) -> np.ndarray:
    """An entry of a label → array mapping, with the length of its abscissa."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        fail(name, f"entry {key!r} must be a numeric array, got {type(values).__name__}")
    if array.shape != (length,):
        fail(name, f"entry {key!r} has shape {array.shape}, expected ({length},) like `{against}`")
    return array


def as_mapping(value, name: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        fail(name, f"must be a mapping label → array, got {type(value).__name__}")
    return value


def new_axes(ax: Axes | None, figsize=(4.8, 3.6)) -> Axes:
    """``ax``, or the axes of a new figure."""
    if ax is not None:
        if not isinstance(ax, Axes):
            fail("ax", f"must be a matplotlib Axes or None, got {type(ax).__name__}")
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def cycle_colors() -> list:
    colors = mpl.rcParams["axes.prop_cycle"].by_key().get("color")
    return list(colors) if colors else list(PALETTE)


def assign_colors(ax: Axes, labels: Sequence, colors) -> dict:
    """A colour per label: from ``colors`` (mapping or sequence), else the next cycle colours."""
    given: dict = {}
    if isinstance(colors, Mapping):
        given = dict(colors)
    elif colors is not None:
        if isinstance(colors, str) or len(colors) < len(labels):
            fail("colors", f"must be a mapping label → colour or a sequence of >= {len(labels)}")
        given = dict(zip(labels, colors, strict=False))
    cycle = cycle_colors()
    start = getattr(ax, _COLOR_ATTR, 0)
    out = {}
    for key in labels:
        if key in given:
            out[key] = given[key]
        else:
            out[key] = cycle[start % len(cycle)]
            start += 1
    setattr(ax, _COLOR_ATTR, start)
    return out


def _add_legend_entries(ax: Axes, entries: list) -> None:
    setattr(ax, _LEGEND_ATTR, [*getattr(ax, _LEGEND_ATTR, []), *entries])


def legend_entries(ax: Axes) -> list:
    """The (handle, text) legend entries this module put on ``ax``, in order."""
    return list(getattr(ax, _LEGEND_ATTR, []))


def refresh_legend(ax: Axes, **kwargs) -> None:
    """Draw (or redraw) the legend of everything this module put on ``ax``."""
    entries = legend_entries(ax)
    if entries:
        handles, texts = zip(*entries, strict=True)
        ax.legend(list(handles), list(texts), **kwargs)


def decorate(ax, *, logx, logy, xlabel, ylabel, title):
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)


def _split_empirical(value, key):
    """(mean, stderr) from a pair, or (mean, None) from a bare array."""
    if isinstance(value, tuple | list) and len(value) == 2:
        first, second = value
        if np.ndim(first) >= 1 and (second is None or np.ndim(second) >= 1):
            return first, second
    return value, None


# --------------------------------------------------------------------------------------------
# public functions


def curves(
    x: Float[ArrayLike, " n"],
    theory: Mapping[str, Float[ArrayLike, " n"]] | None = None,
    empirical: Mapping[str, Empirical] | None = None,
    gcv: Mapping[str, Float[ArrayLike, " m"]] | None = None,
    *,
    ax: Axes | None = None,
    colors=None,
    logx: bool = True,
    logy: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    legend: bool = True,
    x_empirical: Float[ArrayLike, " m"] | None = None,
    x_gcv: Float[ArrayLike, " m"] | None = None,
    marker: str = "o",
    markersize: float = 4.0,
) -> Axes:
    r"""Theory lines, Monte-Carlo points with error bars and GCV markers on one axes.

    A label shared by several mappings gets one colour and one legend entry (line and point
    overlaid); GCV markers (hollow rings in the series' colour) share one legend entry "GCV".

    Args:
        x: abscissa of the theory curves, shape ``(n,)``.
        theory: label → y of shape ``(n,)``, drawn as lines. Labels are free text (mathtext ok).
        empirical: label → ``(mean, stderr)`` (or a bare mean), points with error bars.
        gcv: label → GCV estimate of E_g, hollow markers.
        ax: axes to draw on; a new figure when ``None``.
        colors: label → colour, or a sequence in label order; default: the colour cycle.
        logx, logy: logarithmic axes.
        xlabel, ylabel, title: axis labels and title (mathtext ok).
        legend: draw the legend.
        x_empirical: abscissa of the Monte-Carlo points (default ``x``); Monte Carlo is usually
            run on an integer grid of sample sizes while theory uses a fine grid.
        x_gcv: abscissa of the GCV markers (default ``x_empirical``, else ``x``).
        marker, markersize: Monte-Carlo point style.

    Returns:
        The axes.

    Example:
        >>> ax = curves(P, theory={"$E_g$": eg}, empirical={"$E_g$": (mc, se)},
        ...             gcv={"$E_g$": gcv}, x_empirical=P_mc, xlabel="$P$")
    """
    theory = as_mapping(theory, "theory")
    empirical = as_mapping(empirical, "empirical")
    gcv = as_mapping(gcv, "gcv")
    if not (theory or empirical or gcv):
        fail("theory", "is empty and so are `empirical` and `gcv`: nothing to plot")
    x = as_vector(x, "x")
    xe = x if x_empirical is None else as_vector(x_empirical, "x_empirical")
    xg = (xe if x_empirical is not None else x) if x_gcv is None else as_vector(x_gcv, "x_gcv")
    ename = "x" if x_empirical is None else "x_empirical"
    gname = "x_gcv" if x_gcv is not None else ename
    # validate everything before drawing anything
    lines = {k: as_series(v, "theory", k, x.size, "x") for k, v in theory.items()}
    points = {}
    for key, value in empirical.items():
        mean, stderr = _split_empirical(value, key)
        mean = as_series(mean, "empirical", key, xe.size, ename)
        if stderr is not None:
            stderr = as_series(stderr, "empirical", f"{key} (stderr)", xe.size, ename)
            if np.any(stderr[np.isfinite(stderr)] < 0):
                fail("empirical", f"entry {key!r} has a negative standard error")
            # no bar where the mean or the error is not finite (a gap, as in the line)
            stderr = np.where(np.isfinite(mean) & np.isfinite(stderr), stderr, np.nan)
        points[key] = (mean, stderr)
    rings = {k: as_series(v, "gcv", k, xg.size, gname) for k, v in gcv.items()}

    ax = new_axes(ax)
    order = list(dict.fromkeys([*lines, *points, *rings]))
    color = assign_colors(ax, order, colors)
    handles: dict = {key: [] for key in order}
    for key, y in lines.items():
        (line,) = ax.plot(x, y, color=color[key], label=key, zorder=2)
        handles[key].append(line)
    for key, (mean, stderr) in points.items():
        container = ax.errorbar(
            xe,
            mean,
            yerr=stderr,
            fmt=marker,
            markersize=markersize,
            color=color[key],
            elinewidth=1.0,
            label=key if key not in lines else f"_{key}",
            zorder=3,
        )
        handles[key].append(container)
    gcv_handle = None
    for key, y in rings.items():
        (ring,) = ax.plot(
            xg,
            y,
            linestyle="none",
            marker="o",
            markersize=markersize + 3.0,
            markerfacecolor="none",
            markeredgewidth=1.1,
            color=color[key],
            label="GCV" if gcv_handle is None else "_GCV",
            zorder=4,
        )
        if gcv_handle is None:
            gcv_handle = Line2D(
                [], [], linestyle="none", marker="o", markersize=markersize + 3.0,
                markerfacecolor="none", markeredgewidth=1.1, color="0.25",
            )  # fmt: skip
        if key not in lines and key not in points:
            handles[key].append(ring)
    entries = [(h[0] if len(h) == 1 else tuple(h), key) for key, h in handles.items() if h]
    if gcv_handle is not None and not any(text == "GCV" for _, text in entries):
        entries.append((gcv_handle, "GCV"))
    _add_legend_entries(ax, entries)
    decorate(ax, logx=logx, logy=logy, xlabel=xlabel, ylabel=ylabel, title=title)
    if legend:
        refresh_legend(ax)
    return ax


def guide(
    ax: Axes,
    x: Float[ArrayLike, " n"],
    exponent: float,
    *,
    anchor: tuple[float, float] | None = None,
    label: str | None = None,
    scale: float = 1.0,
    color=GUIDE_COLOR,
    linestyle="--",
    linewidth: float = 1.2,
) -> Axes:
    r"""A dashed power-law guide y = c·x^exponent over the range ``x``.

    Args:
        ax: the axes (its first curve anchors the guide by default).
        x: where to draw the guide, positive, shape ``(n,)`` (e.g. ``np.geomspace(10, 1e3)``).
        exponent: the power, e.g. ``-2 * alpha * min(r, 1)``.
        anchor: a point ``(x0, y0)`` the guide passes through. Default: the point of the first
            curve on ``ax`` nearest (in log x) to the middle of ``x``, its y times ``scale``.
        label: legend text, e.g. ``power_label(-1.5)`` → r"$\propto P^{-1.5}$"; none if ``None``.
        scale: factor applied to the anchor's y, to set the guide off the curve (e.g. 2 or 0.5).
        color, linestyle, linewidth: line style.

    Returns:
        The axes.

    Example:
        >>> guide(ax, P, -2 * alpha * min(r, 1), scale=2.0, label=power_label(-2 * alpha * r))
    """
    if not isinstance(ax, Axes):
        fail("ax", f"must be a matplotlib Axes, got {type(ax).__name__}")
    x = as_vector(x, "x")
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        fail("x", "must be finite and > 0 for a power law")
    exponent = float(exponent)
    scale = float(scale)
    if not np.isfinite(exponent):
        fail("exponent", "is NaN or inf")
    if not np.isfinite(scale) or scale <= 0:
        fail("scale", "must be finite and > 0")
    if anchor is None:
        curve = next((ln for ln in ax.lines if ln.get_gid() not in (GUIDE_GID, VLINE_GID)), None)
        if curve is None:
            fail("anchor", "is required when `ax` has no curve to anchor the guide to")
        xd = np.asarray(curve.get_xdata(), dtype=float)
        yd = np.asarray(curve.get_ydata(), dtype=float)
        ok = np.isfinite(xd) & np.isfinite(yd) & (xd > 0) & (yd > 0)
        if not np.any(ok):
            fail("anchor", "is required: the first curve on `ax` has no positive finite point")
        xd, yd = xd[ok], yd[ok]
        middle = 0.5 * (np.log(x.min()) + np.log(x.max()))
        i = int(np.argmin(np.abs(np.log(xd) - middle)))
        x0, y0 = xd[i], yd[i] * scale
    else:
        try:
            x0, y0 = (float(v) for v in anchor)
        except (TypeError, ValueError):
            fail("anchor", f"must be a pair (x0, y0), got {anchor!r}")
        if not (np.isfinite(x0) and np.isfinite(y0) and x0 > 0):
            fail("anchor", f"must be finite with x0 > 0, got {anchor!r}")
        y0 *= scale
    y = y0 * (x / x0) ** exponent
    (line,) = ax.plot(
        x,
        y,
        linestyle=linestyle,
        linewidth=linewidth,
        color=color,
        label=label if label is not None else "_guide",
        gid=GUIDE_GID,
        zorder=1,
    )
    if label is not None:
        _add_legend_entries(ax, [(line, label)])
        refresh_legend(ax)
    return ax


def vlines(
    ax: Axes,
    xs: float | Float[ArrayLike, " k"],
    labels: Sequence[str] | None = None,
    *,
    color=VLINE_COLOR,
    linestyle=":",
    linewidth: float = 1.3,
) -> Axes:
    """Dotted vertical markers, e.g. at crossover scales P = N or P = N^{1/(1+α)}.

    Args:
        ax: the axes.
        xs: a position or a sequence of positions.
        labels: text written along each line (mathtext ok), one per position, or ``None``.
        color, linestyle, linewidth: line style.

    Returns:
        The axes.

    Example:
        >>> vlines(ax, [N, N ** (1 / (1 + alpha))], ["$N$", r"$N^{1/(1+\\alpha)}$"])
    """
    if not isinstance(ax, Axes):
        fail("ax", f"must be a matplotlib Axes, got {type(ax).__name__}")
    xs = as_vector(np.atleast_1d(np.asarray(xs, dtype=float)), "xs")
    if not np.all(np.isfinite(xs)):
        fail("xs", "contains NaN or inf")
    if labels is not None:
        if isinstance(labels, str):
            labels = [labels]
        if len(labels) != xs.size:
            fail("labels", f"has {len(labels)} entries for {xs.size} positions in `xs`")
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    for i, position in enumerate(xs):
        ax.axvline(position, color=color, linestyle=linestyle, linewidth=linewidth, gid=VLINE_GID)
        if labels is not None and labels[i]:
            ax.text(
                position,
                0.97,
                f" {labels[i]}",
                transform=transform,
                rotation=90,
                ha="right",
                va="top",
                color=color,
                fontsize="small",
            )
    return ax
