"""jaxridge: random-matrix experiments and deterministic equivalents of ridge regression in JAX."""

import importlib.metadata as _metadata

from . import empirical as empirical
from . import fit as fit
from . import spectra as spectra
from . import theory as theory
from ._config import enable_compilation_cache as enable_compilation_cache
from ._config import enable_float64 as enable_float64
from ._validate import checked as checked

try:
    __version__ = _metadata.version("jaxridge")
except _metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"
del _metadata
