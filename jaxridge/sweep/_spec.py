"""The sweep specification: a frozen dataclass, read from and written to TOML, validated.

A spec names the model, the population spectrum, the grid axes and seeds, what to compute and
how (dtype, memory budget, devices). A list (or a ``{geomspace = [a, b, n]}`` generator) makes an
axis; a scalar is a fixed value. See :class:`SweepSpec` for the format.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import INDEX_MAX

__all__ = ["SweepSpec"]

MODELS = ("linear", "random_features", "deep_random_features")
COMPUTE = ("theory", "monte_carlo", "fit")
DTYPES = ("float32", "float64")
GENERATORS = ("geomspace", "linspace", "logspace")

# Spectrum parameters per kind: name -> (default, may be an axis, kind of value).
# Kinds: "count" (int >= 1), "real", "positive", "nonnegative", "bool", "counts" (list of ints),
# "reals" (list of floats), "path".
_REQUIRED = object()
SPECTRUM_PARAMS: dict[str, dict[str, tuple[Any, bool, str]]] = {
    "power_law": {
        "num_features": (_REQUIRED, True, "count"),
        "alpha": (_REQUIRED, True, "positive"),
        "r": (_REQUIRED, True, "real"),
        "normalize": (False, False, "bool"),
    },
    "isotropic": {
        "num_features": (_REQUIRED, True, "count"),
        "norm2": (1.0, True, "nonnegative"),
    },
    "blocks": {
        "sizes": (_REQUIRED, False, "counts"),
        "values": (_REQUIRED, False, "reals"),
        "weights": (_REQUIRED, False, "reals"),
        "target_norm": (None, True, "nonnegative"),
    },
    "file": {"path": (_REQUIRED, False, "path")},
}
GRID_KEYS = ("num_samples", "ridge", "noise_var", "width")
# Correlated samples (THEORY §9): kind -> its parameter (may be an axis) and that value's kind.
SAMPLES_PARAMS = {
    "ar1": ("rho", "nonnegative"),
    "nearest_neighbour": ("b", "real"),
    "power_law": ("chi", "positive"),
}
NOISE_MODELS = ("correlated", "iid")
TOP_KEYS = (
    "name",
    "model",
    "compute",
    "dtype",
    "seed",
    "num_seeds",
    "num_feature_seeds",
    "num_replicates",
    "keep_seeds",
    "feature_var",
    "max_bytes",
    "devices",
    "spectrum",
    "grid",
    "samples",
)
# Keys that change how a sweep runs but never its results (left out of the resume hash).
RUN_ONLY_KEYS = ("max_bytes", "devices")


def _fail(name: str, message: str) -> ValueError:
    return ValueError(f"jaxridge: argument `{name}` {message}")


def _check_keys(table: Mapping, known, name: str) -> None:
    if not isinstance(table, Mapping):
        raise _fail(name, f"must be a table, got {table!r}")
    for key in table:
        if key not in known:
            raise _fail(name, f"has an unknown key `{key}`; expected one of {', '.join(known)}")


def _expand(value, name: str):
    """A list, a scalar, or a generator table -> (values as a list, is_axis)."""
    if isinstance(value, Mapping):
        _check_keys(value, GENERATORS, name)
        if len(value) != 1:
            raise _fail(name, f"must use exactly one of {', '.join(GENERATORS)}")
        ((kind, args),) = value.items()
        if not isinstance(args, list | tuple) or len(args) != 3:
            raise _fail(name, f"{{{kind} = [start, stop, num]}} needs three numbers, got {args!r}")
        start, stop, num = args
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise _fail(name, f"{{{kind} = [start, stop, num]}} needs an int num >= 1")
        if kind == "geomspace":
            if not (_is_real(start) and _is_real(stop) and start > 0 and stop > 0):
                raise _fail(name, "{geomspace = [start, stop, num]} needs start, stop > 0")
            return [float(x) for x in np.geomspace(start, stop, num)], True
        if not (_is_real(start) and _is_real(stop)):
            raise _fail(name, f"{{{kind} = [start, stop, num]}} needs real start and stop")
        fn = np.linspace if kind == "linspace" else np.logspace
        return [float(x) for x in fn(start, stop, num)], True
    if isinstance(value, list | tuple):
        if len(value) == 0:
            raise _fail(name, "is an empty axis; give at least one value")
        return list(value), True
    return [value], False


def _is_real(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _check_value(x, kind: str, name: str):
    if kind == "bool":
        if not isinstance(x, bool):
            raise _fail(name, f"must be true or false, got {x!r}")
        return x
    if kind == "path":
        if not isinstance(x, str) or not x or "\x00" in x:
            raise _fail(name, f"must be a file path (a string), got {x!r}")
        return _check_text(x, name)
    if kind in ("counts", "reals"):
        if not isinstance(x, list | tuple) or len(x) == 0:
            raise _fail(name, f"must be a non-empty list, got {x!r}")
        return [_check_value(v, "count" if kind == "counts" else "real", name) for v in x]
    if kind == "count":
        if isinstance(x, float) and x.is_integer():
            x = int(x)
        if isinstance(x, bool) or not isinstance(x, int) or x < 1:
            raise _fail(name, f"must contain ints >= 1, got {x!r}")
        if x > INDEX_MAX:
            raise _fail(name, f"contains {x}, more than the largest supported size {INDEX_MAX}")
        return x
    if not _is_real(x):
        raise _fail(name, f"must contain finite numbers, got {x!r}")
    if kind == "positive" and not x > 0:
        raise _fail(name, f"must be > 0, got {x!r}")
    if kind == "nonnegative" and not x >= 0:
        raise _fail(name, f"must be >= 0, got {x!r}")
    return float(x)


@dataclasses.dataclass(frozen=True)
class Axis:
    """One labelled grid axis: its coordinate name and values (``outer``: one chunk per value)."""

    name: str
    values: tuple
    outer: bool


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A sweep: model, spectrum, grid axes, seeds, what to compute and how.

    Build one from TOML with :meth:`from_toml`, from a mapping with :meth:`from_dict`, or
    directly; every constructor validates (``ValueError`` naming the offending key). The TOML
    format, with every top-level key and its default::

        name = "power-law"
        model = "linear"              # linear | random_features | deep_random_features
        compute = ["theory", "monte_carlo"]   # GCV comes with monte_carlo
        dtype = "float64"             # or "float32"
        seed = 0
        num_seeds = 20                # Monte-Carlo seeds (random features: data seeds)
        num_feature_seeds = 4         # random features: feature seeds
        num_replicates = 4            # random features: independent seed grids per cell
        keep_seeds = false            # also store per-seed values (linear model)
        feature_var = 0.001           # random features: entry variance (default 1/D)
        max_bytes = 1_000_000_000     # memory budget per device for one batch
        devices = "all"               # or how many devices to shard over

        [spectrum]
        kind = "power_law"            # power_law | isotropic | blocks | file
        num_features = 2000           # N (D, the input dimension, for random features)
        alpha = [1.5, 2.0]            # a list makes an axis; a scalar is fixed
        r = 0.4

        [grid]
        num_samples = { geomspace = [10, 2000, 16] }   # or a list
        ridge = [1e-4, 1e-2]
        noise_var = 0.0
        width = [100, 400]            # random features; deep: [[800, 600], [400, 400]]

        [samples]                     # optional: correlated training rows (linear model)
        kind = "ar1"                  # ar1 (rho) | nearest_neighbour (b) | power_law (chi)
        rho = 0.9                     # the kind's parameter; a list makes an axis
        noise = "correlated"          # label noise ∝ K, or "iid"

    Spectrum kinds and their keys: ``power_law`` (``num_features``, ``alpha``, ``r``,
    ``normalize``), ``isotropic`` (``num_features``, ``norm2``), ``blocks`` (``sizes``,
    ``values``, ``weights``, ``target_norm``), ``file`` (``path`` of an ``.npz`` holding
    ``eigvals`` and ``target_weights``; relative to the TOML file). Generators:
    ``{geomspace|linspace = [start, stop, num]}``, ``{logspace = [lo, hi, num]}`` (powers of
    ten). With ``monte_carlo``, ``num_samples`` and widths are rounded to ints and repeats
    dropped.

    Attributes:
        name: a label for the sweep.
        model: ``"linear"``, ``"random_features"`` or ``"deep_random_features"``.
        spectrum: the ``[spectrum]`` table (``kind`` and its parameters).
        grid: the ``[grid]`` table (``num_samples``, ``ridge``, ``noise_var``, ``width``).
        compute: a non-empty subset of ``("theory", "monte_carlo", "fit")``. ``fit`` (linear
            model on a power-law spectrum, with ``monte_carlo``) fits ``alpha``, ``r`` and
            ``noise_var`` to each Monte-Carlo learning curve (one per chunk and ridge) with
            :func:`jaxridge.fit.fit_learning_curve`, weighted by the points' seed scatter; the
            Monte Carlo then draws a fresh training set for every (P, seed) cell
            (``independent=True``) so that the points, and the fit's standard errors, are
            independent.
        dtype: ``"float64"`` or ``"float32"``.
        seed: the root PRNG seed.
        num_seeds: Monte-Carlo seeds per cell (random features: data seeds), >= 2.
        num_feature_seeds: random features: feature seeds per cell, >= 2.
        num_replicates: random features: independent ``num_seeds × num_feature_seeds`` grids
            per cell, >= 2. A cell's ``mc_*`` is their mean and ``mc_*_stderr`` the standard
            error of that mean from their scatter (the estimates of one grid share its data
            and feature draws, so a single grid gives no honest error bar). A cell costs
            ``num_replicates × num_seeds × num_feature_seeds`` ridge fits.
        keep_seeds: also store the per-seed Monte-Carlo values (linear model only).
        feature_var: random features: the entry variance of the weights (default 1/D).
        max_bytes: memory budget per device for one batch of work.
        devices: ``"all"`` or the number of devices to shard over.
        samples: ``None`` (i.i.d. rows), or the ``[samples]`` table: the sample correlation
            K of THEORY §9.4 (``spectra.correlation_matrix(kind, P, value)``) and the noise
            model. Theory is then :func:`jaxridge.theory.correlated_ridge_risk` with each P's
            exact K spectrum, Monte Carlo :func:`jaxridge.empirical.learning_curve` with
            ``sample_cov`` (adding ``mc_corrgcv``); ``num_samples`` must then be integers.
            Linear model only, and not with ``fit`` (which fits the i.i.d. theory).

    Example:
        >>> spec = SweepSpec.from_toml('''
        ... model = "linear"
        ... compute = ["theory"]
        ... [spectrum]
        ... kind = "power_law"
        ... num_features = 500
        ... alpha = 1.5
        ... r = 0.4
        ... [grid]
        ... num_samples = [10, 100]
        ... ridge = 1e-3
        ... ''')
        >>> [axis.name for axis in spec.axes()]
        ['num_samples', 'ridge']
    """

    model: str
    spectrum: Mapping[str, Any]
    grid: Mapping[str, Any]
    name: str = "sweep"
    compute: tuple[str, ...] = ("theory", "monte_carlo")
    dtype: str = "float64"
    seed: int = 0
    num_seeds: int = 20
    num_feature_seeds: int = 4
    num_replicates: int = 4
    keep_seeds: bool = False
    feature_var: float | None = None
    max_bytes: int = 1_000_000_000
    devices: str | int = "all"
    samples: Mapping[str, Any] | None = None

    # ------------------------------------------------------------------ construction

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name:
            raise _fail("name", f"must be a non-empty string, got {self.name!r}")
        _check_text(self.name, "name")
        if self.model not in MODELS:
            raise _fail("model", f"must be one of {', '.join(MODELS)}, got {self.model!r}")
        compute = [self.compute] if isinstance(self.compute, str) else list(self.compute)
        compute = ["monte_carlo" if c == "gcv" else c for c in compute]
        for c in compute:
            if c not in COMPUTE:
                raise _fail("compute", f"must list some of theory, monte_carlo, fit; got {c!r}")
        if not compute:
            raise _fail("compute", "must not be empty; give theory and/or monte_carlo")
        if "fit" in compute and "monte_carlo" not in compute:
            raise _fail("compute", "fit needs monte_carlo (it fits the Monte-Carlo curves)")
        set_(self, "compute", tuple(c for c in COMPUTE if c in compute))
        if self.dtype not in DTYPES:
            raise _fail("dtype", f"must be float32 or float64, got {self.dtype!r}")
        counts = (("seed", 0), ("num_seeds", 1), ("num_feature_seeds", 1), ("num_replicates", 1))
        for key, minimum in counts:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise _fail(key, f"must be an int >= {minimum}, got {value!r}")
        if self.monte_carlo and self.num_seeds < 2:
            raise _fail("num_seeds", "must be >= 2 for monte_carlo (standard errors need 2)")
        if self.monte_carlo and self.model != "linear" and self.num_feature_seeds < 2:
            raise _fail("num_feature_seeds", "must be >= 2 for random-feature Monte Carlo")
        if self.monte_carlo and self.model != "linear" and self.num_replicates < 2:
            raise _fail(
                "num_replicates",
                "must be >= 2 for random-feature Monte Carlo (standard errors need 2)",
            )
        if not isinstance(self.keep_seeds, bool):
            raise _fail("keep_seeds", f"must be true or false, got {self.keep_seeds!r}")
        if self.keep_seeds and self.model != "linear":
            raise _fail(
                "keep_seeds",
                "is only available for model = 'linear' (random-feature Monte Carlo returns "
                "estimates pooled over the seed grid)",
            )
        if self.feature_var is not None:
            if self.model == "linear":
                raise _fail("feature_var", "applies to random-feature models only")
            set_(self, "feature_var", _check_value(self.feature_var, "positive", "feature_var"))
        mb = self.max_bytes
        if isinstance(mb, bool) or not isinstance(mb, int) or mb < 1:
            raise _fail("max_bytes", f"must be an int >= 1, got {mb!r}")
        dev = self.devices
        if dev != "all" and (isinstance(dev, bool) or not isinstance(dev, int) or dev < 1):
            raise _fail("devices", f"must be 'all' or an int >= 1, got {dev!r}")
        set_(self, "spectrum", self._check_spectrum(self.spectrum))
        set_(self, "grid", self._check_grid(self.grid))
        if self.samples is not None:
            set_(self, "samples", self._check_samples(self.samples))
        if self.fit:
            if (
                self.model != "linear"
                or self.spectrum["kind"] != "power_law"
                or self.spectrum.get("normalize", False)
            ):
                raise _fail(
                    "compute",
                    "fit is available for model = 'linear' with spectrum.kind = 'power_law' "
                    "and normalize = false (it fits alpha, r and noise_var of the power law)",
                )
            if len(self.num_samples_values()) < 5:
                raise _fail("grid.num_samples", "needs at least 5 sizes to fit 3 parameters")
        self._check_memory()

    def _check_spectrum(self, table) -> dict:
        _check_keys(
            table, ("kind", *sorted({k for p in SPECTRUM_PARAMS.values() for k in p})), "spectrum"
        )
        kind = table.get("kind")
        if kind not in SPECTRUM_PARAMS:
            raise _fail(
                "spectrum.kind", f"must be one of {', '.join(SPECTRUM_PARAMS)}, got {kind!r}"
            )
        params = SPECTRUM_PARAMS[kind]
        _check_keys(table, ("kind", *params), "spectrum")
        out: dict[str, Any] = {"kind": kind}
        for key, value in table.items():
            if key == "kind":
                continue
            default, axis_ok, vkind = params[key]
            name = f"spectrum.{key}"
            if axis_ok:
                values, _ = _expand(value, name)
                for v in values:
                    _check_value(v, vkind, name)
            else:
                _check_value(value, vkind, name)
            out[key] = _plain(value)
        for key, (default, _, _) in params.items():
            if default is _REQUIRED and key not in out:
                raise _fail(f"spectrum.{key}", f"is required for kind = {kind!r}")
        if kind == "blocks":
            n = len(out["sizes"])
            for key in ("values", "weights"):
                if len(out[key]) != n:
                    raise _fail(f"spectrum.{key}", f"must have one entry per block ({n})")
            if any(v < 0 for v in out["values"]):
                raise _fail("spectrum.values", "must be >= 0")
        return out

    def _check_samples(self, table) -> dict:
        params = sorted({name for name, _ in SAMPLES_PARAMS.values()})
        _check_keys(table, ("kind", *params, "noise"), "samples")
        kind = table.get("kind")
        if kind not in SAMPLES_PARAMS:
            raise _fail("samples.kind", f"must be one of {', '.join(SAMPLES_PARAMS)}, got {kind!r}")
        name, vkind = SAMPLES_PARAMS[kind]
        _check_keys(table, ("kind", name, "noise"), "samples")
        if name not in table:
            raise _fail(f"samples.{name}", f"is required for kind = {kind!r}")
        values, _ = _expand(table[name], f"samples.{name}")
        for v in values:
            _check_value(v, vkind, f"samples.{name}")
            if kind == "ar1" and not v < 1:
                raise _fail("samples.rho", f"must satisfy 0 <= rho < 1, got {v!r}")
            if kind == "nearest_neighbour" and not abs(v) < 1:
                raise _fail("samples.b", f"must satisfy |b| < 1, got {v!r}")
        noise = table.get("noise", "correlated")
        if noise not in NOISE_MODELS:
            raise _fail("samples.noise", f"must be correlated or iid, got {noise!r}")
        if self.model != "linear":
            raise _fail("samples", "is available for model = 'linear' only")
        if self.fit:
            raise _fail("compute", "fit is not available with [samples] (it fits i.i.d. theory)")
        for v in _expand(self.grid["num_samples"], "grid.num_samples")[0]:
            if not (isinstance(self.grid["num_samples"], Mapping) or float(v).is_integer()):
                raise _fail("grid.num_samples", f"must be integers with [samples], got {v!r}")
        return {"kind": kind, name: _plain(table[name]), "noise": noise}

    def _check_grid(self, table) -> dict:
        _check_keys(table, GRID_KEYS, "grid")
        out: dict[str, Any] = {}
        for key in ("num_samples", "ridge"):
            if key not in table:
                raise _fail(f"grid.{key}", "is required")
        rf = self.model != "linear"
        if rf and "width" not in table:
            raise _fail("grid.width", f"is required for model = {self.model!r}")
        if not rf and "width" in table:
            raise _fail("grid.width", "applies to random-feature models only")
        for key, value in table.items():
            name = f"grid.{key}"
            if key == "width" and self.model == "deep_random_features":
                configs = value if value and isinstance(value[0], list | tuple) else [value]
                if not isinstance(value, list | tuple) or not value:
                    raise _fail(name, "must be a list of layer widths or a list of such lists")
                for widths in configs:
                    _check_value(widths, "counts", name)
            else:
                values, _ = _expand(value, name)
                vkind = {
                    "num_samples": "positive",
                    "ridge": "nonnegative",
                    "noise_var": "nonnegative",
                    "width": "count",
                }[key]
                if key == "width" or (key == "num_samples" and self.monte_carlo):
                    # Shapes: generated values are rounded, written ones must be integers.
                    if isinstance(value, Mapping):
                        values = [round(v) for v in values]
                    vkind = "count"
                for v in values:
                    _check_value(v, vkind, name)
            out[key] = _plain(value)
        out.setdefault("noise_var", 0.0)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: str | Path | None = None):
        """Build a spec from a mapping with the TOML layout (unknown keys are errors).

        Args:
            data: the parsed TOML document (or an equivalent dict).
            base_dir: folder against which a relative ``spectrum.path`` is resolved.

        Returns:
            A validated :class:`SweepSpec`.
        """
        _check_keys(data, TOP_KEYS, "spec")
        for key in ("model", "spectrum", "grid"):
            if key not in data:
                raise _fail(key, "is required")
        kwargs = dict(data)
        spectrum = dict(kwargs["spectrum"]) if isinstance(kwargs["spectrum"], Mapping) else None
        if spectrum is not None and isinstance(spectrum.get("path"), str) and base_dir:
            path = Path(spectrum["path"]).expanduser()
            spectrum["path"] = str(path if path.is_absolute() else Path(base_dir) / path)
            kwargs["spectrum"] = spectrum
        if "compute" in kwargs and isinstance(kwargs["compute"], list):
            kwargs["compute"] = tuple(kwargs["compute"])
        return cls(**kwargs)

    @classmethod
    def from_toml(cls, source: str | Path):
        """Read a spec from a TOML file (a path) or from TOML text.

        A ``str`` containing a newline or ``=`` is TOML text; anything else is a path.

        Args:
            source: the path of a ``.toml`` file, or its text.

        Returns:
            A validated :class:`SweepSpec`.
        """
        base_dir = None
        if isinstance(source, Path) or ("\n" not in source and "=" not in source):
            path = Path(source)
            try:
                text = path.read_text()
            except OSError as exc:
                raise ValueError(f"jaxridge: cannot read the spec file {path}: {exc}") from None
            base_dir = path.resolve().parent
        else:
            text = source
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"jaxridge: the spec is not valid TOML: {exc}") from None
        return cls.from_dict(data, base_dir=base_dir)

    def to_dict(self) -> dict[str, Any]:
        """The spec as a plain mapping with the TOML layout (generators kept as written)."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in ("feature_var", "samples") and value is None:
                continue
            if field.name == "num_replicates" and self.model == "linear":
                continue  # random features only (and linear specs keep their resume hash)
            out[field.name] = list(value) if isinstance(value, tuple) else value
        top = [k for k in TOP_KEYS if k in out]
        return {k: out[k] for k in top}

    def to_toml(self) -> str:
        """The spec as TOML text; ``SweepSpec.from_toml(spec.to_toml()) == spec``."""
        data = self.to_dict()
        lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, Mapping)]
        for table in ("spectrum", "grid", "samples"):
            if table not in data:
                continue
            lines.append("")
            lines.append(f"[{table}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in data[table].items())
        return "\n".join(lines) + "\n"

    def fingerprint(self) -> str:
        """SHA-256 of the spec without the keys that cannot change results (resume guard)."""
        data = self.to_dict()
        for key in RUN_ONLY_KEYS:
            data.pop(key, None)
        canon = "\n".join(f"{k}={_toml_value(v)}" for k, v in data.items())
        return hashlib.sha256(canon.encode()).hexdigest()

    # ------------------------------------------------------------------ derived views

    @property
    def monte_carlo(self) -> bool:
        return "monte_carlo" in self.compute

    @property
    def theory(self) -> bool:
        return "theory" in self.compute

    @property
    def fit(self) -> bool:
        return "fit" in self.compute

    def axes(self) -> list[Axis]:
        """Every grid axis in dataset order: outer axes (one chunk per point), then inner.

        Outer: the spectrum parameters given as lists (in the order written), ``noise_var``,
        ``width``. Inner: ``num_samples``, ``ridge`` (always dimensions, even of length 1).
        """
        out = []
        for key, value in self.spectrum.items():
            if key == "kind" or not SPECTRUM_PARAMS[self.spectrum["kind"]][key][1]:
                continue
            values, is_axis = _expand(value, f"spectrum.{key}")
            if is_axis:
                kind = SPECTRUM_PARAMS[self.spectrum["kind"]][key][2]
                out.append(Axis(key, tuple(_coerce(values, kind)), True))
        if self.samples is not None:
            name = self.samples_param()
            values, is_axis = _expand(self.samples[name], f"samples.{name}")
            if is_axis:
                out.append(Axis(name, tuple(float(v) for v in values), True))
        values, is_axis = _expand(self.grid["noise_var"], "grid.noise_var")
        if is_axis:
            out.append(Axis("noise_var", tuple(float(v) for v in values), True))
        if "width" in self.grid:
            widths = self.width_values()
            if len(widths) > 1 or self._width_is_axis():
                labels = (
                    tuple(widths) if self.model == "random_features" else tuple(range(len(widths)))
                )
                out.append(Axis("width", labels, True))
        out.append(Axis("num_samples", tuple(self.num_samples_values()), False))
        ridges, _ = _expand(self.grid["ridge"], "grid.ridge")
        out.append(Axis("ridge", tuple(float(v) for v in ridges), False))
        return out

    def _width_is_axis(self) -> bool:
        value = self.grid["width"]
        if self.model == "deep_random_features":
            return bool(value) and isinstance(value[0], list | tuple)
        return isinstance(value, list | tuple | Mapping)

    def width_values(self) -> list:
        """Widths: ints (random features) or tuples of layer widths (deep)."""
        value = self.grid["width"]
        if self.model == "deep_random_features":
            configs = value if isinstance(value[0], list | tuple) else [value]
            return [tuple(int(w) for w in c) for c in configs]
        values, _ = _expand(value, "grid.width")
        return _unique_ints(values)

    def num_samples_values(self) -> list:
        values, _ = _expand(self.grid["num_samples"], "grid.num_samples")
        if self.monte_carlo or self.samples is not None:
            return _unique_ints(values)
        return [float(v) for v in values]

    def fixed(self) -> dict[str, Any]:
        """The fixed (non-axis) values of the spectrum and grid parameters."""
        out = {}
        axes = {a.name for a in self.axes()}
        for key, value in self.spectrum.items():
            if key != "kind" and key not in axes:
                out[key] = value
        if self.samples is not None and self.samples_param() not in axes:
            out[self.samples_param()] = float(self.samples[self.samples_param()])
        if "noise_var" not in axes:
            out["noise_var"] = float(self.grid["noise_var"])
        if "width" in self.grid and "width" not in axes:
            out["width"] = self.width_values()[0]
        return out

    def samples_param(self) -> str:
        """The name of the ``[samples]`` kind's parameter (``rho``, ``b`` or ``chi``)."""
        return SAMPLES_PARAMS[self.samples["kind"]][0]

    def itemsize(self) -> int:
        return 8 if self.dtype == "float64" else 4

    def _check_memory(self) -> None:
        from ._cost import smallest_unit_bytes

        need, what = smallest_unit_bytes(self)
        if need > self.max_bytes:
            raise _fail(
                "max_bytes",
                f"= {self.max_bytes:,} is too small: {what} needs about {need:,} bytes even in "
                "the smallest batch; raise max_bytes or shrink the grid",
            )


def _coerce(values, kind):
    if kind == "count":
        return _unique_ints(values)
    return [float(v) for v in values]


def _unique_ints(values) -> list[int]:
    seen: list[int] = []
    for v in values:
        iv = int(round(v))
        if iv not in seen:
            seen.append(iv)
    return seen


def _plain(value):
    """Deep-copy a TOML value into plain lists/dicts (so the spec owns its data)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


_TOML_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped."""
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _check_text(x, name: str) -> str:
    """A string that TOML, JSON and file systems can store (valid Unicode, no NUL)."""
    try:
        x.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(name, f"must be valid Unicode text, got {x!r}") from None
    return x


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")
