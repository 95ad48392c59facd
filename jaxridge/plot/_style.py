"""Publication style, colours and the paper's symbols for every field and axis (private).

Imported by :mod:`jaxridge.plot` only, after it has checked that matplotlib is installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib as mpl
import numpy as np

from ..sweep import names

# Okabe–Ito colours, ordered so the first ones stay distinct in greyscale print; yellow last.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

GUIDE_COLOR = "0.3"
VLINE_COLOR = "0.45"

STYLE_RC: dict = {
    "font.size": 10.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 11.0,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "legend.fontsize": 8.5,
    "figure.titlesize": 11.0,
    "lines.linewidth": 1.8,
    "lines.markersize": 5.0,
    "errorbar.capsize": 2.0,
    "axes.linewidth": 0.8,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "axes.grid": True,
    "axes.grid.which": "major",
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.handlelength": 2.2,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "mathtext.fontset": "dejavusans",
    "figure.dpi": 100.0,
    "figure.constrained_layout.use": True,
    "savefig.dpi": 150.0,
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Publication defaults inside a ``with`` block (restored afterwards).

    Font sizes for a single-column figure, thicker lines, small error-bar caps, the Okabe–Ito
    colour cycle (colour-blind safe, readable in greyscale print), inward ticks, a light grid,
    constrained ("tight") layout, and 150 dpi when saving.

    Example:
        >>> from jaxridge import plot
        >>> with plot.style():
        ...     ax = plot.curves(P, theory={"$E_g$": eg})
    """
    with mpl.rc_context(STYLE_RC):
        yield


def apply_style() -> None:
    """Apply the :func:`style` defaults globally (for the rest of the session or notebook).

    Example:
        >>> from jaxridge import plot
        >>> plot.apply_style()
    """
    mpl.rcParams.update(STYLE_RC)


# The paper's symbols for coordinates and result fields, in one place. Fields of RidgeRisk,
# RFRisk and the Monte-Carlo risks share names, so one table serves theory and experiment.
LABELS: dict[str, str] = {
    # coordinates (sweep axes)
    "num_samples": r"$P$",
    "num_features": r"$N$",
    "width": r"$N$",
    "ridge": r"$\lambda$",
    "noise_var": r"$\sigma_\varepsilon^2$",
    "alpha": r"$\alpha$",
    "r": r"$r$",
    "seed": "seed",
    # errors
    "test": r"$E_g$",
    "test_out": r"$E_{\mathrm{out}}$",
    "train": r"$E_{\mathrm{tr}}$",
    "gcv": r"$E_g^{\mathrm{GCV}}$",
    # renormalised ridges and degrees of freedom
    "kappa": r"$\kappa$",
    "kappa1": r"$\kappa_1$",
    "kappa2": r"$\kappa_2$",
    "tau": r"$\tau$",
    "df1": r"$\mathrm{df}_1$",
    "df2": r"$\mathrm{df}_2$",
    "gamma": r"$\gamma$",
    "gamma1": r"$\gamma_1$",
    "gamma2": r"$\gamma_2$",
    # bias–variance terms
    "bias": r"Bias$^2$",
    "var_x": r"Var$_X$",
    "var_noise": r"Var$_{X\varepsilon}$",
    "var_f": r"Var$_F$",
    "var_xf": r"Var$_{XF}$",
    "var_xnoise": r"Var$_{X\varepsilon}$",
    "var_xfnoise": r"Var$_{XF\varepsilon}$",
}

# Random-feature models: the data dimension is D and the width N (THEORY §1).
_RF_LABELS = {"num_features": r"$D$"}


def label(name: str, model: str | None = None) -> str:
    """The paper's symbol for a field or coordinate name (the name itself when unknown).

    Args:
        name: a field (``"test"``, ``"kappa"``, ``"var_x"`` …) or a coordinate
            (``"num_samples"``, ``"ridge"`` …); a ``theory_``/``mc_`` prefix is ignored.
        model: the sweep's model; for random-feature models ``num_features`` is D.

    Returns:
        A matplotlib mathtext string, e.g. ``"$E_g$"`` for ``"test"``.

    Example:
        >>> label("num_samples"), label("var_xf")
        ('$P$', 'Var$_{XF}$')
    """
    name = names.field(name)
    if model is not None and "feature" in model and name in _RF_LABELS:
        return _RF_LABELS[name]
    return LABELS.get(name, name)


def power_label(exponent: float, variable: str = "P") -> str:
    r"""Legend text of a power-law guide, e.g. ``r"$\propto P^{-1.5}$"``.

    Args:
        exponent: the power.
        variable: the symbol of the abscissa (mathtext without dollars).

    Returns:
        The label.

    Example:
        >>> power_label(-1.5)
        '$\\propto P^{-1.5}$'
    """
    return rf"$\propto {variable}^{{{float(exponent):.3g}}}$"


def format_value(value) -> str:
    """A coordinate value for a legend or title: compact, ``1e-05`` rather than ``0.00001``."""
    if isinstance(value, tuple | list):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    value = np.asarray(value).item()
    if isinstance(value, float):
        if value != 0 and not 1e-2 <= abs(value) < 1e4:
            return np.format_float_scientific(value, precision=2, trim="-", exp_digits=2)
        return f"{value:.3g}"
    return str(value)


def series_colors(count: int) -> list:
    """``count`` distinct colours: the palette, or a perceptually uniform map beyond it."""
    if count <= len(PALETTE) - 1:
        return list(PALETTE[:count])
    cmap = mpl.colormaps["viridis"]
    return [cmap(t) for t in np.linspace(0.0, 0.85, count)]
