"""Test configuration.

The suite runs twice in CI: ``JAX_ENABLE_X64=1`` and ``JAX_ENABLE_X64=0`` (JAX reads the variable
itself). Four host CPU devices are requested (``jax_num_cpu_devices``, before any backend starts)
so sharding can be tested on CPU; subprocesses that need them set ``JAX_NUM_CPU_DEVICES``. Rank
and dtype promotion are strict.
"""

import jax
import pytest

jax.config.update("jax_num_cpu_devices", 4)
jax.config.update("jax_numpy_rank_promotion", "raise")
# No implicit promotion between dtypes (int with float, float32 with float64, real with
# complex): the library casts explicitly, so a silent change of precision fails a test.
jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture
def x64():
    """Skip a check that is only meaningful in float64 (e.g. finite-difference gradients)."""
    if not jax.config.jax_enable_x64:
        pytest.skip("float64-only check (run with JAX_ENABLE_X64=1)")


@pytest.fixture(autouse=True)
def _keep_precision():
    """Each pass runs in one precision: undo any in-process opt-in (e.g. the CLI's float64)."""
    before = bool(jax.config.jax_enable_x64)
    yield
    if bool(jax.config.jax_enable_x64) != before:
        jax.config.update("jax_enable_x64", before)
