"""Monte-Carlo curves on a device mesh (``mesh=``) against the one-device run.

The four host CPU devices of the test session (tests/conftest.py) form the mesh. Seed ``s`` is
the draw ``fold_in(key, s)`` whatever the mesh, so only rounding may differ (per-device batch
shapes change the order of some sums); a one-device mesh runs the very same program.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding

from jaxridge import spectra
from jaxridge.empirical import _engine, learning_curve, width_curve
from tests.helpers import DTYPE, tol

FIELDS = ("kappa", "df1", "test", "test_out", "train", "gcv")
RIDGES = np.array([1e-2, 1.0])
SEEDS = 5  # not a multiple of 4: the sharded run pads with extra seeds and drops them


def _mesh(count):
    if len(jax.devices()) < count:
        pytest.skip(f"needs {count} devices (tests/conftest.py forces 4 host CPU devices)")
    return jax.make_mesh((count,), ("seeds",), devices=jax.devices()[:count])


def _problem():
    return spectra.power_law(20, alpha=1.5, r=0.4, dtype=DTYPE)


def _close(got, want):
    # Same draws; λ >= 1e-2 keeps every cell well conditioned, so rounding stays near eps.
    for f in FIELDS:
        np.testing.assert_allclose(
            getattr(got, f),
            getattr(want, f),
            rtol=tol(1e-11, 1e-3),
            atol=tol(1e-14, 1e-6),
            err_msg=f,
        )


@pytest.mark.parametrize("curve", ["samples", "features"])
def test_sharded_curve_equals_one_device(curve, monkeypatch):
    e, w = _problem()
    ridges = jnp.asarray(RIDGES, DTYPE)
    key = jax.random.key(11)
    if curve == "samples":
        args = (key, e, w, [6, 15, 28], ridges, 0.05, SEEDS)
        fn = learning_curve
    else:
        args = (key, e, w, [5, 12, 20], 14, ridges, 0.05, SEEDS)
        fn = width_curve
    placed = []
    kernel = _engine.run_grid

    def spy(keys, *rest, **kwargs):
        placed.append(keys.sharding)
        return kernel(keys, *rest, **kwargs)

    single = fn(*args)
    monkeypatch.setattr(_engine, "run_grid", spy)
    sharded = fn(*args, mesh=_mesh(4))
    # Every call's seeds were split over the four devices (one seed each on a CPU mesh: 2
    # calls of 4 for 5 seeds), and the result has the one-device shapes.
    assert len(placed) == 2
    assert all(isinstance(s, NamedSharding) and len(s.device_set) == 4 for s in placed)
    assert sharded.test.shape == single.test.shape
    _close(sharded, single)


def test_one_device_mesh_is_the_default_program():
    e, w = _problem()
    args = (jax.random.key(3), e, w, [6, 15, 28], jnp.asarray(RIDGES, DTYPE), 0.05, SEEDS)
    chex.assert_trees_all_equal(learning_curve(*args, mesh=_mesh(1)), learning_curve(*args))


def test_sharded_chunks_equal_one_device():
    # A budget of one seed per device per call: 5 seeds in 2 calls of 4 on four devices.
    e, w = _problem()
    args = (jax.random.key(8), e, w, [9, 24], jnp.asarray(RIDGES, DTYPE), 0.0, SEEDS)
    _close(learning_curve(*args, mesh=_mesh(4), max_bytes=1), learning_curve(*args))


@pytest.mark.parametrize("noise", ["correlated", "iid"])
def test_sharded_correlated_curve_equals_one_device(noise):
    # With a sample covariance the root and the per-size spectra are replicated over the mesh
    # and the seeds split as before: the same draws, CorrGCV included.
    e, w = _problem()
    ridges = jnp.asarray(RIDGES, DTYPE)
    k = spectra.correlation_matrix("ar1", 28, 0.7, dtype=DTYPE)
    args = (jax.random.key(3), e, w, [6, 15, 28], ridges, 0.05, SEEDS)
    want = learning_curve(*args, sample_cov=k, noise=noise)
    got = learning_curve(*args, sample_cov=k, noise=noise, mesh=_mesh(4))
    _close(got, want)
    np.testing.assert_allclose(got.corrgcv, want.corrgcv, rtol=tol(1e-11, 1e-3))
