"""On-disk results of a sweep: a manifest, one netCDF file per finished chunk, the combined file.

Layout of an output folder::

    manifest.json              the spec (TOML text) and its fingerprint; guards resumes
    chunks/chunk-000012.nc     one finished chunk (written to a temporary name, then renamed)
    chunks/chunk-000012.sha256 the SHA-256 of that chunk file
    results.nc                 every chunk combined, written when the last chunk is done
    results.sha256             its SHA-256

A chunk file exists only once it is complete (``os.replace`` is atomic), so a run killed at any
moment loses at most the chunk in flight, and a resumed run computes exactly the missing chunks.
Each netCDF file's digest is written before the file is renamed into place, so a file on disk
always has one; a file whose bytes do not match it (truncated or damaged after the fact) is
reported and recomputed, never loaded as data. Files of an older layout without a digest are
accepted when they open as netCDF.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import warnings
from pathlib import Path

from ._dataset import now_iso, require_xarray
from ._spec import SweepSpec

__all__ = ["Store", "load"]

MANIFEST = "manifest.json"
RESULTS = "results.nc"
CHUNKS = "chunks"
ENGINE = "netcdf4"
_CHUNK_RE = re.compile(r"^chunk-(\d{6,})\.nc$")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_atomic(path: Path, writer) -> None:
    """Call ``writer(tmp_path)`` on a temporary file beside ``path``, then rename it."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600 files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _digest_path(path: Path) -> Path:
    return path.with_suffix(".sha256")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_netcdf(ds, path: Path) -> None:
    """Write ``ds`` atomically, its digest first (so a file in place always has one)."""

    def writer(tmp: Path) -> None:
        ds.to_netcdf(tmp, engine=ENGINE)
        digest = _sha256(tmp)
        _write_atomic(_digest_path(path), lambda t: t.write_text(digest + "\n"))

    _write_atomic(path, writer)


def _read_netcdf(path: Path):
    xr = require_xarray()
    try:
        return xr.load_dataset(path, engine=ENGINE)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ValueError(
            f"jaxridge: {path} cannot be read as netCDF ({str(exc).splitlines()[0]})"
        ) from None


def corruption(path: Path) -> str | None:
    """Why the netCDF file ``path`` cannot be trusted, or None when it is intact."""
    digest = _digest_path(path)
    if digest.exists():
        try:
            expected = digest.read_text().strip()
            actual = _sha256(path)
        except OSError as exc:
            return f"unreadable ({exc})"
        return (
            None
            if actual == expected
            else "its bytes do not match its SHA-256 (truncated or damaged)"
        )
    xr = require_xarray()
    try:  # an older layout without digests: accept what opens as netCDF
        with xr.open_dataset(path, engine=ENGINE) as ds:
            for var in ds.data_vars.values():
                var.values  # noqa: B018 - reading every array is the check
    except Exception as exc:  # noqa: BLE001 - any failure to read means "recompute"
        return (
            f"unreadable as netCDF ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        )
    return None


class Store:
    """The output folder of one sweep (see the module docstring for its layout)."""

    def __init__(self, path: str | os.PathLike, spec: SweepSpec):
        self.path = Path(path)
        self.spec = spec
        self.manifest = self.path / MANIFEST
        self.chunks = self.path / CHUNKS
        self.results = self.path / RESULTS
        self.corrupt: dict[int, str] = {}

    def existing_spec(self) -> SweepSpec | None:
        """The spec recorded in the folder's manifest, or None for a new folder."""
        if not self.manifest.exists():
            return None
        try:
            data = json.loads(self.manifest.read_text())
            return SweepSpec.from_toml(data["spec"])
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            raise ValueError(
                f"jaxridge: the manifest {self.manifest} is unreadable ({exc}); "
                "use overwrite=True (--overwrite) to start again"
            ) from None

    def prepare(self, *, overwrite: bool) -> None:
        """Create the folder, or check that it holds results of the same spec.

        With ``overwrite`` the results of a different spec are deleted first (only the files
        this layout names; nothing else in the folder is touched).
        """
        old = self.existing_spec()
        if old is not None and old.fingerprint() != self.spec.fingerprint():
            if not overwrite:
                raise ValueError(
                    f"jaxridge: argument `spec` differs from the spec of the results in "
                    f"{self.path} (name {old.name!r}); pass overwrite=True (--overwrite) to "
                    "replace them, or choose another output folder"
                )
            self.clear()
        elif old is None and (self.results.exists() or self.chunks.exists()):
            if not overwrite:
                raise ValueError(
                    f"jaxridge: {self.path} holds sweep files without a manifest; pass "
                    "overwrite=True (--overwrite) to replace them"
                )
            self.clear()
        try:
            self.chunks.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(
                f"jaxridge: argument `path` ({self.path}) cannot hold the results: "
                f"{exc.strerror or exc}"
            ) from None
        for folder in (self.path, self.chunks):  # temporaries of a run killed mid-write
            for stale in folder.glob(".tmp-*"):
                if stale.is_file():
                    stale.unlink(missing_ok=True)
        # The run's creation time is that of its first start: a resumed or recombined run
        # reports the same `created` attribute.
        created = self.created() if old is not None and self.manifest.exists() else None
        manifest = {
            "spec": self.spec.to_toml(),
            "spec_hash": self.spec.fingerprint(),
            "num_chunks": self.num_chunks(),
            "created": created or now_iso(),
        }
        _write_atomic(self.manifest, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))

    def created(self) -> str | None:
        """When the run in this folder was first started (ISO 8601, UTC), if recorded."""
        try:
            return json.loads(self.manifest.read_text()).get("created")
        except (OSError, ValueError):
            return None

    def clear(self) -> None:
        for pattern in ("chunk-*.nc", "chunk-*.sha256"):
            for file in self.chunks.glob(pattern) if self.chunks.exists() else []:
                file.unlink()
        for file in (self.results, _digest_path(self.results), self.manifest):
            file.unlink(missing_ok=True)

    def num_chunks(self) -> int:
        count = 1
        for axis in self.spec.axes():
            if axis.outer:
                count *= len(axis.values)
        return count

    def chunk_path(self, index: int) -> Path:
        return self.chunks / f"chunk-{index:06d}.nc"

    def done(self) -> set[int]:
        """Indices of the intact chunks on disk.

        A chunk file that fails its integrity check is left out, with a warning naming it: the
        run recomputes it (and replaces the file).
        """
        if not self.chunks.exists():
            return set()
        found = set()
        self.corrupt = {}
        for file in sorted(self.chunks.iterdir()):
            match = _CHUNK_RE.match(file.name)
            if match and int(match.group(1)) < self.num_chunks():
                reason = corruption(file)
                if reason is None:
                    found.add(int(match.group(1)))
                else:
                    self.corrupt[int(match.group(1))] = reason
                    warnings.warn(
                        f"jaxridge: chunk {int(match.group(1))} ({file}) is corrupt: {reason}; "
                        "it will be recomputed",
                        UserWarning,
                        stacklevel=2,
                    )
        return found

    def write_chunk(self, index: int, ds) -> None:
        _write_netcdf(ds, self.chunk_path(index))

    def read_chunks(self, indices) -> dict:
        return {i: _read_netcdf(self.chunk_path(i)) for i in sorted(indices)}

    def finished(self) -> bool:
        """True when ``results.nc`` is on disk and intact (a damaged one is rebuilt)."""
        if not self.results.exists():
            return False
        reason = corruption(self.results)
        if reason is not None:
            warnings.warn(
                f"jaxridge: {self.results} is corrupt: {reason}; it will be rebuilt from the "
                "chunks",
                UserWarning,
                stacklevel=2,
            )
            return False
        return True

    def write_results(self, ds) -> None:
        _write_netcdf(ds, self.results)

    def read_results(self):
        return _read_netcdf(self.results)


def load(path: str | os.PathLike, *, partial: bool = False):
    """Load the results of a sweep as an ``xarray.Dataset`` (in memory).

    Args:
        path: a sweep's output folder or its ``results.nc``.
        partial: for an unfinished sweep, combine the chunks written so far (cells of missing
            chunks are NaN). Without it an unfinished sweep is an error.

    Returns:
        The labelled results (see :func:`jaxridge.sweep.run`).

    Example:
        >>> ds = load("runs/power-law")                       # doctest: +SKIP
        >>> ds.theory_test.sel(ridge=1e-4)                    # doctest: +SKIP
    """
    from .. import __version__
    from ._dataset import combine

    path = Path(path)
    if path.is_file():
        reason = corruption(path)
        if reason is not None:
            raise ValueError(f"jaxridge: argument `path` ({path}) is corrupt: {reason}")
        return _read_netcdf(path)
    if not path.is_dir():
        raise ValueError(f"jaxridge: argument `path` ({path}) is neither a folder nor a file")
    if (path / RESULTS).exists() and corruption(path / RESULTS) is None:
        return _read_netcdf(path / RESULTS)
    if not (path / MANIFEST).exists():
        raise ValueError(f"jaxridge: argument `path` ({path}) holds no sweep results")
    store = Store(path, SweepSpec.from_toml(json.loads((path / MANIFEST).read_text())["spec"]))
    done = store.done()
    total = store.num_chunks()
    if len(done) < total and (not partial or not done):
        damaged = (
            f"; corrupt, to be recomputed: chunk {', '.join(map(str, sorted(store.corrupt)))}"
            if store.corrupt
            else ""
        )
        raise ValueError(
            f"jaxridge: argument `path` ({path}) holds an unfinished sweep ({len(done)} of "
            f"{total} chunks{damaged}); run it again to resume, or "
            "load(path, partial=True)"
        )
    ds = combine(store.spec, store.read_chunks(done), version=__version__, created=store.created())
    if len(done) < total:
        ds.attrs["chunks_done"] = f"{len(done)}/{total}"
    return ds
