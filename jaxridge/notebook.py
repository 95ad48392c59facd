"""Small helpers shared by the notebooks in ``notebooks/``: size scale, figure output, timing.

The notebooks run at three sizes, chosen by the environment variable ``JAXRIDGE_SCALE``:

==========  ==============================================================================
``ci``      a few seconds on a CPU: tiny sizes, few seeds (what the test suite runs)
``default`` a minute or two on a laptop CPU, figures already close to the paper's
``paper``   the paper's sizes and seed counts (THEORY §7), meant for a GPU
==========  ==============================================================================

Figures are written to ``JAXRIDGE_FIGURES`` (default ``figures/`` next to the working
directory).

Example:
    >>> from jaxridge import notebook
    >>> num_seeds = notebook.pick(ci=4, default=20, paper=50)
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, TypeVar

SCALES = ("ci", "default", "paper")
T = TypeVar("T")


def scale() -> str:
    """The size scale named by ``JAXRIDGE_SCALE`` (``"default"`` when unset)."""
    value = os.environ.get("JAXRIDGE_SCALE", "default").strip().lower() or "default"
    if value not in SCALES:
        raise ValueError(
            f"jaxridge: environment variable `JAXRIDGE_SCALE` must be one of {SCALES}, "
            f"got {value!r}"
        )
    return value


def pick(*, ci: T, default: T, paper: T) -> T:
    """The value for the current scale.

    Args:
        ci: value at ``JAXRIDGE_SCALE=ci``.
        default: value at ``default``.
        paper: value at ``paper``.

    Returns:
        One of the three arguments.
    """
    return {"ci": ci, "default": default, "paper": paper}[scale()]


def figure_dir() -> Path:
    """Folder for saved figures (``JAXRIDGE_FIGURES``, default ``./figures``), created."""
    path = Path(os.environ.get("JAXRIDGE_FIGURES", "figures"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(fig: Any, name: str) -> Path:
    """Save a matplotlib figure as ``<figure_dir>/<name>.png`` and print the path.

    Args:
        fig: a matplotlib Figure.
        name: file stem, e.g. ``"02_linear_regression_errors"``.

    Returns:
        The path written.
    """
    path = figure_dir() / f"{name}.png"
    fig.savefig(path, dpi=150, bbox_inches="tight")
    print(f"saved {path}")
    return path


class Timer:
    """Wall time since construction; ``report()`` prints it with the scale.

    Example:
        >>> timer = Timer()
        >>> timer.report("01_random_matrices")  # doctest: +SKIP
        01_random_matrices: 3.2 s at scale 'ci'
    """

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def report(self, name: str) -> float:
        seconds = self.elapsed()
        print(f"{name}: {seconds:.1f} s at scale {scale()!r}")
        return seconds
