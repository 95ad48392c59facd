"""Shared tiny sweeps: every test of the runner uses these shapes, so they compile once."""

from __future__ import annotations

from jaxridge.sweep import SweepSpec
from tests.helpers import X64

DTYPE_NAME = "float64" if X64 else "float32"

TINY = f"""
name = "tiny"
model = "linear"
compute = ["theory", "monte_carlo"]
dtype = "{DTYPE_NAME}"
seed = 3
num_seeds = 3
keep_seeds = true
devices = 1

[spectrum]
kind = "power_law"
num_features = 24
alpha = [1.5, 2.0]
r = 0.4

[grid]
num_samples = [6, 12, 30]
ridge = [1e-3, 1e-1]
noise_var = [0.0, 0.05]
"""


def tiny_spec(**changes) -> SweepSpec:
    """The tiny linear sweep (4 chunks: alpha x noise_var), with top-level keys changed."""
    data = SweepSpec.from_toml(TINY).to_dict()
    data.update(changes)
    return SweepSpec.from_dict(data)
