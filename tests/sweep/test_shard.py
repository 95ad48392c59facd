"""Sharding over the four host CPU devices of the test session equals the single-device run."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding

from jaxridge import empirical, spectra
from jaxridge.empirical import _engine
from jaxridge.sweep import SweepSpec, load, names, run
from tests.helpers import assert_allclose, tol
from tests.sweep import tiny_spec

ROOT = Path(__file__).resolve().parents[2]


def test_sharded_equals_single_device(monkeypatch):
    if len(jax.devices()) < 4:
        pytest.skip("needs 4 devices (tests/conftest.py forces 4 host CPU devices)")
    placed = []
    kernel = _engine.run_grid  # what empirical.learning_curve(mesh=...) calls per batch

    def spy(keys, *args, **kwargs):
        placed.append(keys.sharding)
        return kernel(keys, *args, **kwargs)

    monkeypatch.setattr(_engine, "run_grid", spy)
    # 3 seeds and a 3 x 2 (P, λ) plane on 4 devices: both batch axes need padding.
    spec = tiny_spec(devices=4)
    sharded = run(spec, progress=False)
    assert placed and all(isinstance(s, NamedSharding) for s in placed)
    assert all(len(s.device_set) == 4 for s in placed)
    single = run(tiny_spec(devices=1), progress=False)
    # Same keys, same draws: only rounding differs (the per-device batch shapes differ). In
    # float32 the ill-conditioned cell P = 30 > N = 24, λ = 1e-3 amplifies it to ~1e-4.
    rtol = tol(1e-12, 1e-3)
    for name in single.data_vars:
        # A standard error is a difference of nearly equal numbers when the seeds agree
        # closely: compare it on the scale of the mean it belongs to.
        scale = np.max(np.abs(single[name.removesuffix("_stderr")].values))
        atol = rtol * scale if name.endswith("_stderr") else 0.0
        assert_allclose(
            sharded[name].values, single[name].values, rtol=rtol, atol=atol, err_msg=name
        )
    assert np.array_equal(sharded.num_samples.values, single.num_samples.values)


def test_too_many_devices_is_an_error():
    spec = tiny_spec(devices=len(jax.devices()) + 1)
    with pytest.raises(ValueError, match="argument `devices`"):
        run(spec, progress=False)


# Past the size where jaxlib 0.10 splits a batched eigh over XLA:CPU's thread pool (batch · 5n³ ≥
# 2e5 FLOP; here 4 seeds per device of 48 x 48 matrices), which deadlocked host devices (see
# jaxridge._batching.one_unit_per_device); the tiny sweeps stay below it. The hang is
# timing-dependent: on 2 cores this spec hung in 14 runs out of 14 before the fix (32 x 32
# matrices: ~80%); now the 4-device run takes ~8 s.
LAPACK_SIZED = """
name = "lapack-sized"
model = "linear"
compute = ["monte_carlo"]
dtype = "float64"
seed = 5
num_seeds = 16
devices = 4

[spectrum]
kind = "power_law"
num_features = 48
alpha = 1.5
r = 0.4

[grid]
num_samples = { linspace = [48, 56, 9] }
ridge = [1e-2, 1e-1]
noise_var = 0.01
"""


def test_sharded_monte_carlo_past_lapack_threshold_does_not_hang(tmp_path, x64):
    # Its own process with 4 host devices, so that a deadlock fails the test after the
    # timeout instead of hanging the suite.
    spec_file = tmp_path / "lapack.toml"
    spec_file.write_text(LAPACK_SIZED)
    out = tmp_path / "out"
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        JAX_NUM_CPU_DEVICES="4",
    )
    cmd = [sys.executable, "-m", "jaxridge.cli", "run", str(spec_file), "--out", str(out)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        pytest.fail("the 4-device sweep hung (batched LAPACK on host devices deadlocks)")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    sharded = load(out)
    data = SweepSpec.from_toml(LAPACK_SIZED).to_dict()
    data["devices"] = 1
    single = run(SweepSpec.from_dict(data), progress=False)
    # Only rounding differs (1 seed per device per call against 16 vmapped seeds): ~1e-14 at
    # most, for E_tr and GCV at P ≈ N (λ ≥ 1e-2 keeps them well conditioned).
    for name in single.data_vars:
        scale = np.max(np.abs(single[name.removesuffix("_stderr")].values))
        atol = 1e-12 * scale if name.endswith("_stderr") else 0.0
        assert_allclose(
            sharded[name].values, single[name].values, rtol=1e-12, atol=atol, err_msg=name
        )


@pytest.mark.parametrize("devices", [1, 4])
def test_sweep_monte_carlo_is_the_public_learning_curve(devices):
    # The sweep's Monte Carlo is `empirical.learning_curve` with the sweep's mesh, bit for bit:
    # chunk c (C order over alpha x noise_var) uses the key fold_in(key(seed), c).
    if len(jax.devices()) < devices:
        pytest.skip("needs 4 devices (tests/conftest.py forces 4 host CPU devices)")
    spec = tiny_spec(devices=devices, compute=["monte_carlo"])
    ds = run(spec, progress=False)
    mesh = jax.make_mesh((devices,), ("seeds",), devices=jax.devices()[:devices])
    dtype = ds.mc_test.dtype
    ridges = jnp.asarray(ds.ridge.values, dtype)
    for c, (alpha, noise_var) in enumerate(itertools.product(ds.alpha.values, ds.noise_var.values)):
        e, w = spectra.power_law(24, float(alpha), 0.4, dtype=dtype)
        key = jax.random.fold_in(jax.random.key(spec.seed), c)
        curve = empirical.learning_curve(
            key, e, w, ds.num_samples.values, ridges, jnp.asarray(noise_var, dtype), 3, mesh=mesh
        )
        cell = ds.sel(alpha=alpha, noise_var=noise_var)
        for field in ("kappa", "df1", "test", "test_out", "train", "gcv"):
            values = np.moveaxis(np.asarray(getattr(curve, field)), 1, 2)  # (P, λ, seed)
            mean, stderr = empirical.summarise(values.astype(np.float64), axis=-1)
            assert np.array_equal(cell[names.seeds(names.mc(field))].values, values), field
            assert np.array_equal(cell[names.mc(field)].values, mean.astype(dtype)), field
            stored = cell[names.stderr(names.mc(field))].values
            assert np.array_equal(stored, stderr.astype(dtype)), field
