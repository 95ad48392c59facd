"""Publication-ready figures of theory against experiment (needs ``pip install 'jaxridge[plot]'``).

Every error plot of the paper overlays theory curves (lines), Monte-Carlo points with error bars
and the GCV estimate (hollow markers), often with dashed power-law guides ∝ P^−ν and vertical
lines at crossover scales, on log–log axes. The functions here draw exactly that; each takes
``ax=None`` (a new figure when ``None``) and returns the Axes (``sweep_figure`` the Figure).
Arrays may be NumPy or JAX.

| function | draws |
|---|---|
| ``curves`` | theory lines, Monte-Carlo points ± standard error, GCV markers |
| ``guide`` | a dashed power-law guide y ∝ x^exponent |
| ``vlines`` | dotted vertical markers at crossover scales |
| ``spectrum`` | an eigenvalue histogram with a theory density |
| ``decomposition`` | the fine-grained bias–variance terms, stacked or as lines |
| ``phase_diagram`` | the dominant regime over a 2-D parameter plane |
| ``sweep_figure`` | a whole ``jaxridge.sweep`` result, one panel per field |
| ``style``, ``apply_style`` | publication defaults (fonts, lines, print-safe colours, 150 dpi) |
| ``label``, ``power_label`` | the paper's symbols (P, N, λ, E_g, E_tr, κ, df₁ …), guide legends |

Example:
    >>> from jaxridge import plot
    >>> with plot.style():
    ...     ax = plot.curves(P, theory={"$E_g$": eg}, empirical={"$E_g$": (mc, se)},
    ...                      xlabel=plot.label("num_samples"))
    ...     plot.guide(ax, P, -1.5, scale=2.0, label=plot.power_label(-1.5))
    ...     ax.figure.savefig("learning_curve.png")
"""

try:
    import matplotlib as _matplotlib
except ImportError as _error:  # pragma: no cover - exercised without matplotlib only
    raise ImportError(
        "jaxridge.plot needs matplotlib: pip install 'jaxridge[plot]' (or pip install matplotlib)"
    ) from _error

from ._axes import curves as curves
from ._axes import guide as guide
from ._axes import vlines as vlines
from ._panels import decomposition as decomposition
from ._panels import phase_diagram as phase_diagram
from ._panels import spectrum as spectrum
from ._style import LABELS as LABELS
from ._style import PALETTE as PALETTE
from ._style import apply_style as apply_style
from ._style import label as label
from ._style import power_label as power_label
from ._style import style as style
from ._sweep import sweep_figure as sweep_figure

del _matplotlib  # imported only to check that matplotlib is there
