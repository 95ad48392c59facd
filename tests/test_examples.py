"""The example sweeps: each is a valid spec that states its cost, and says what it shows."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from jaxridge.sweep import SweepSpec, run
from tests.helpers import X64

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "sweeps").glob("*.toml"))


def test_there_are_examples():
    assert {p.stem for p in EXAMPLES} >= {"power_law", "random_features", "width"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_valid_and_states_its_cpu_time(path):
    spec = SweepSpec.from_toml(path)
    assert spec.axes()
    header = " ".join(line for line in path.read_text().splitlines() if line.startswith("#"))
    assert re.search(r"Expected time: about \d+", header), "the comment must state the CPU time"
    assert "jaxridge run examples/sweeps/" + path.name in header


def test_width_example_shows_a_double_descent_at_n_equals_p():
    """Theory of the width example: a peak at N = P for the small ridge, none for the large."""
    spec = SweepSpec.from_toml(EXAMPLES[[p.stem for p in EXAMPLES].index("width")])
    data = spec.to_dict()
    data["compute"] = ["theory"]
    data["dtype"] = "float64" if X64 else "float32"
    ds = run(SweepSpec.from_dict(data), progress=False)
    (num_samples,) = ds.num_samples.values
    widths = ds.width.values
    small, large = ds.theory_test.isel(num_samples=0).transpose("ridge", "width").values
    peak = int(np.argmax(small))
    assert widths[peak] == num_samples  # the interpolation threshold N = P
    assert small[peak] > 4 * small[: peak - 1].min() and small[peak] > 2 * small[-1]
    assert np.argmax(large) == 0 and np.all(np.diff(large[: len(large) // 2]) < 0)
