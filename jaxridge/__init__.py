"""jaxridge: random-matrix experiments and deterministic equivalents of ridge regression in JAX."""

from . import empirical as empirical
from . import spectra as spectra
from . import theory as theory
from ._config import enable_float64 as enable_float64

__version__ = "0.1.0"
from . import fit as fit
