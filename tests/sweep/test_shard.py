"""Sharding over the four host CPU devices of the test session equals the single-device run."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from jax.sharding import NamedSharding

from jaxridge.sweep import _run, run
from tests.helpers import assert_allclose, tol
from tests.sweep import tiny_spec


def test_sharded_equals_single_device(monkeypatch):
    if len(jax.devices()) < 4:
        pytest.skip("needs 4 devices (tests/conftest.py forces 4 host CPU devices)")
    placed = []
    kernel = _run.run_grid

    def spy(keys, *args, **kwargs):
        placed.append(keys.sharding)
        return kernel(keys, *args, **kwargs)

    monkeypatch.setattr(_run, "run_grid", spy)
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
