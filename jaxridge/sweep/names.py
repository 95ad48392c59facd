"""The names of a sweep's result variables, defined once (sweep, plot and CLI use these).

A result field ``f`` (a :class:`~jaxridge.theory.RidgeRisk`, ``RFRisk`` or Monte-Carlo field)
is stored as ``theory_f`` (deterministic equivalent), ``mc_f`` (Monte-Carlo mean over seeds or
replicates), ``mc_f_stderr`` (its standard error) and, with ``keep_seeds``, ``mc_f_seeds``;
fitted exponents as ``fit_p`` and ``fit_p_stderr``.

Example:
    >>> from jaxridge.sweep import names
    >>> names.mc("test"), names.stderr(names.mc("test")), names.field("theory_kappa")
    ('mc_test', 'mc_test_stderr', 'kappa')
"""

from __future__ import annotations

__all__ = ["FIT", "MC", "SEEDS", "SOURCES", "STDERR", "THEORY", "field", "fit", "is_summary"]
__all__ += ["mc", "seeds", "stderr", "theory"]

THEORY = "theory_"
MC = "mc_"
FIT = "fit_"
STDERR = "_stderr"
SEEDS = "_seeds"
# The prefixes of a field's value (not its error bar or per-seed values), in drawing order.
SOURCES = (THEORY, MC)


def theory(name: str) -> str:
    """``theory_<name>``."""
    return THEORY + name


def mc(name: str) -> str:
    """``mc_<name>``."""
    return MC + name


def fit(name: str) -> str:
    """``fit_<name>``."""
    return FIT + name


def stderr(variable: str) -> str:
    """``<variable>_stderr``, the standard error of a stored mean."""
    return variable + STDERR


def seeds(variable: str) -> str:
    """``<variable>_seeds``, the per-seed values behind a stored mean."""
    return variable + SEEDS


def is_summary(variable: str) -> bool:
    """True for a standard error or per-seed variable (not a value to draw)."""
    return variable.endswith(STDERR) or variable.endswith(SEEDS)


def field(variable: str) -> str:
    """The result field of a theory or Monte-Carlo variable (``"mc_test"`` → ``"test"``);
    other names are returned unchanged."""
    for prefix in SOURCES:
        if variable.startswith(prefix):
            return variable[len(prefix) :]
    return variable
