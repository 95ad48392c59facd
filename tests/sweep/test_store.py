"""Incremental results: a crashed sweep resumes, loses nothing, recomputes nothing finished."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from jaxridge.sweep import load, run
from tests.sweep import TINY, tiny_spec

ROOT = Path(__file__).resolve().parents[2]


class Crash(Exception):
    pass


def _crash_after(count):
    seen = []

    def callback(index):
        seen.append(index)
        if len(seen) == count:
            raise Crash

    return seen, callback


def _same_results(a, b):
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    for name in a.coords:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert {k: v for k, v in a.attrs.items() if k != "created"} == {
        k: v for k, v in b.attrs.items() if k != "created"
    }


def test_crash_then_resume_computes_only_missing_chunks(tmp_path):
    spec = tiny_spec()
    out = tmp_path / "sweep"
    seen, crash = _crash_after(2)
    with pytest.raises(Crash):
        run(spec, out, progress=False, callback=crash)
    assert seen == [0, 1]
    assert sorted(p.name for p in (out / "chunks").iterdir()) == [
        "chunk-000000.nc",
        "chunk-000000.sha256",
        "chunk-000001.nc",
        "chunk-000001.sha256",
    ]
    assert not (out / "results.nc").exists()
    with pytest.raises(ValueError, match="unfinished sweep \\(2 of 4 chunks\\)"):
        load(out)
    partial = load(out, partial=True)
    assert partial.attrs["chunks_done"] == "2/4"
    assert np.all(np.isfinite(partial.theory_test.isel(alpha=0).values))
    assert np.all(np.isnan(partial.theory_test.isel(alpha=1).values))

    resumed = []
    ds = run(spec, out, progress=False, callback=resumed.append)
    assert resumed == [2, 3]
    _same_results(ds, run(spec, progress=False))  # equals an uninterrupted in-memory run
    _same_results(ds, load(out))
    _same_results(ds, load(out / "results.nc"))

    # A finished sweep is a no-op: nothing is computed, the file is not rewritten.
    stamp = (out / "results.nc").stat().st_mtime_ns
    again = []
    _same_results(ds, run(spec, out, progress=False, callback=again.append))
    assert again == [] and (out / "results.nc").stat().st_mtime_ns == stamp


def test_created_is_the_first_start_across_resumes(tmp_path, monkeypatch):
    # `created` is recorded when a folder's run first starts: a resumed run, a load and a
    # recombination after a lost results.nc all report it, whatever the clock says by then.
    from jaxridge.sweep import _dataset, _store

    out = tmp_path / "sweep"
    with pytest.raises(Crash):
        run(tiny_spec(), out, progress=False, callback=_crash_after(1)[1])
    first = load(out, partial=True).attrs["created"]
    later = "2099-01-01T00:00:00+00:00"
    monkeypatch.setattr(_dataset, "now_iso", lambda: later)
    monkeypatch.setattr(_store, "now_iso", lambda: later)
    ds = run(tiny_spec(), out, progress=False)
    assert ds.attrs["created"] == first != later
    (out / "results.nc").unlink()
    assert run(tiny_spec(), out, progress=False).identical(ds)
    assert load(out).identical(ds)
    # A different spec written over the folder is a new run.
    other = run(tiny_spec(seed=4), out, overwrite=True, progress=False)
    assert other.attrs["created"] == later


def test_a_different_spec_needs_overwrite(tmp_path):
    out = tmp_path / "sweep"
    spec = tiny_spec()
    seen, crash = _crash_after(1)
    with pytest.raises(Crash):
        run(spec, out, progress=False, callback=crash)
    (out / "chunks" / ".tmp-stale.nc").write_bytes(b"partial write")
    other = tiny_spec(seed=4)
    with pytest.raises(ValueError, match="argument `spec` differs"):
        run(other, out, progress=False)
    # Run-only settings are not a different spec; a stale temporary file is cleaned up.
    seen2, crash2 = _crash_after(1)
    with pytest.raises(Crash):
        run(tiny_spec(max_bytes=500_000_000), out, progress=False, callback=crash2)
    assert seen2 == [1]
    assert not (out / "chunks" / ".tmp-stale.nc").exists()
    computed = []
    ds = run(other, out, overwrite=True, progress=False, callback=computed.append)
    assert computed == [0, 1, 2, 3] and ds.attrs["spec_hash"] == other.fingerprint()


@pytest.mark.slow
def test_killed_process_resumes(tmp_path):
    spec_file = tmp_path / "tiny.toml"
    spec_file.write_text(TINY.replace('name = "tiny"', 'name = "killed"'))
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jaxridge.cli", "run", str(spec_file), "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first = out / "chunks" / "chunk-000000.nc"
    deadline = time.monotonic() + 300
    while not first.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {p.name for p in (out / "chunks").glob("chunk-*.nc")}
    assert "chunk-000000.nc" in done_before
    from jaxridge.sweep import SweepSpec

    spec = SweepSpec.from_toml(spec_file)
    computed = []
    ds = run(spec, out, progress=False, callback=computed.append)
    assert {f"chunk-{i:06d}.nc" for i in computed} == {
        f"chunk-{i:06d}.nc" for i in range(4)
    } - done_before
    _same_results(ds, run(spec, progress=False))
    assert isinstance(xr.load_dataset(out / "results.nc"), xr.Dataset)
