"""Sweeps over grids of spectra, sizes, ridges and seeds: labelled, resumable, sharded results.

``SweepSpec`` describes a sweep (TOML or Python), ``run`` computes it chunk by chunk (theory and
Monte Carlo, sharded over the visible devices, written to disk as it goes so a killed run
resumes), and ``load`` reads the results back as an ``xarray.Dataset``. Needs the ``sweep``
extra (``pip install 'jaxridge[sweep]'``: xarray, netCDF4, tqdm).
"""

from . import names as names
from ._run import run as run
from ._spec import SweepSpec as SweepSpec
from ._store import load as load
