"""Sweep specifications: TOML round trip, axes, and clear errors for bad specs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from jaxridge.sweep import SweepSpec

BASE = """
name = "base"
model = "linear"
compute = ["theory", "monte_carlo"]
num_seeds = 4

[spectrum]
kind = "power_law"
num_features = 100
alpha = [1.5, 2.0]
r = 0.4

[grid]
num_samples = { geomspace = [10, 100, 5] }
ridge = [1e-4, 1e-2]
noise_var = [0.0, 0.1]
"""


def _spec(**changes):
    data = SweepSpec.from_toml(BASE).to_dict()
    for key, value in changes.items():
        table, _, sub = key.partition(".")
        if sub:
            if value is None:
                data[table].pop(sub)
            else:
                data[table][sub] = value
        elif value is None:
            data.pop(table)
        else:
            data[table] = value
    return SweepSpec.from_dict(data)


def test_axes_order_values_and_round_trip():
    spec = SweepSpec.from_toml(BASE)
    axes = spec.axes()
    assert [a.name for a in axes] == ["alpha", "noise_var", "num_samples", "ridge"]
    assert [a.outer for a in axes] == [True, True, False, False]
    # geomspace 10..100 in 5 steps, rounded to ints for Monte Carlo.
    expected = [int(round(v)) for v in np.geomspace(10, 100, 5)]
    assert list(axes[2].values) == expected == [10, 18, 32, 56, 100]
    assert spec.fixed() == {"num_features": 100, "r": 0.4}
    again = SweepSpec.from_toml(spec.to_toml())
    assert again == spec and again.fingerprint() == spec.fingerprint()
    # Run-only settings do not change the fingerprint (resume on other hardware); results do.
    assert dataclasses.replace(spec, devices=2).fingerprint() == spec.fingerprint()
    assert dataclasses.replace(spec, seed=1).fingerprint() != spec.fingerprint()


def test_num_replicates_belongs_to_random_features():
    # Linear specs do not carry it (nor does their resume hash); random-feature specs do.
    assert "num_replicates" not in SweepSpec.from_toml(BASE).to_dict()
    rf = _spec(model="random_features", num_replicates=3, **{"grid.width": 50})
    assert rf.to_dict()["num_replicates"] == 3
    assert SweepSpec.from_toml(rf.to_toml()) == rf
    other = dataclasses.replace(rf, num_replicates=5)
    assert other.fingerprint() != rf.fingerprint()


def test_theory_only_keeps_float_sample_sizes_and_scalars_are_not_axes():
    spec = _spec(compute=["theory"], **{"grid.noise_var": 0.1, "spectrum.alpha": 1.5})
    axes = {a.name: a for a in spec.axes()}
    assert set(axes) == {"num_samples", "ridge"}
    np.testing.assert_allclose(axes["num_samples"].values, np.geomspace(10, 100, 5))
    assert spec.fixed()["noise_var"] == 0.1


def test_random_feature_axes():
    rf = _spec(model="random_features", **{"grid.width": [50, 200], "grid.noise_var": 0.0})
    assert [a.name for a in rf.axes()] == ["alpha", "width", "num_samples", "ridge"]
    deep = _spec(model="deep_random_features", **{"grid.width": [[80, 60], [40, 40]]})
    width = [a for a in deep.axes() if a.name == "width"][0]
    assert width.values == (0, 1) and deep.width_values() == [(80, 60), (40, 40)]
    fixed = _spec(model="deep_random_features", **{"grid.width": [80, 60]})
    assert "width" not in [a.name for a in fixed.axes()]
    assert fixed.fixed()["width"] == (80, 60)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"grid.bogus": 1}, "argument `grid` has an unknown key `bogus`"),
        ({"colour": "red"}, "argument `spec` has an unknown key `colour`"),
        ({"spectrum.beta": 1.0}, "argument `spectrum` has an unknown key `beta`"),
        ({"spectrum.norm2": 1.0}, "argument `spectrum` has an unknown key `norm2`"),
        ({"grid.ridge": []}, "argument `grid.ridge` is an empty axis"),
        ({"spectrum.alpha": []}, "argument `spectrum.alpha` is an empty axis"),
        ({"grid.ridge": [1e-3, -1.0]}, "argument `grid.ridge` must be >= 0"),
        ({"grid.noise_var": -0.1}, "argument `grid.noise_var` must be >= 0"),
        ({"grid.num_samples": [10, 20.5]}, "argument `grid.num_samples` must contain ints"),
        ({"grid.num_samples": None}, "argument `grid.num_samples` is required"),
        ({"grid.num_samples": {"geomspace": [10, 100]}}, "needs three numbers"),
        ({"grid.num_samples": {"range": [1, 2, 3]}}, "unknown key `range`"),
        ({"spectrum.alpha": -1.0}, "argument `spectrum.alpha` must be > 0"),
        ({"spectrum.r": None}, "argument `spectrum.r` is required"),
        ({"spectrum.kind": "gaussian"}, "argument `spectrum.kind` must be one of"),
        ({"model": "kernel"}, "argument `model` must be one of"),
        ({"compute": []}, "argument `compute` must not be empty"),
        ({"compute": ["fits"]}, "argument `compute` must list some of"),
        ({"dtype": "float16"}, "argument `dtype` must be float32 or float64"),
        ({"num_seeds": 1}, "argument `num_seeds` must be >= 2"),
        ({"devices": 0}, "argument `devices` must be 'all' or an int"),
        ({"grid.width": [10]}, "argument `grid.width` applies to random-feature models"),
        ({"model": "random_features"}, "argument `grid.width` is required"),
        ({"keep_seeds": True, "model": "random_features", "grid.width": 10}, "keep_seeds"),
        (
            {"num_replicates": 1, "model": "random_features", "grid.width": 10},
            "argument `num_replicates` must be >= 2",
        ),
        ({"num_replicates": 0}, "argument `num_replicates` must be an int >= 1"),
        ({"max_bytes": 10_000}, "argument `max_bytes` = 10,000 is too small"),
        ({"compute": ["theory", "fit"]}, "fit needs monte_carlo"),
        ({"compute": ["monte_carlo", "fit"], "grid.num_samples": [10, 20, 40]}, "at least 5"),
        (
            {"compute": ["monte_carlo", "fit"], "spectrum.normalize": True},
            "fit is available for model = 'linear'",
        ),
    ],
)
def test_bad_specs_name_the_key(changes, match):
    with pytest.raises(ValueError, match=match.replace("(", r"\(")):
        _spec(**changes)


def test_memory_check_counts_the_largest_cell():
    # One seed at P = N = 4000 needs ~ 8 * (2 P N + 4 N^2 + P N) bytes ~ 0.9 GB: rejected at
    # 100 MB, accepted once the budget holds it (the runner then batches one seed at a time).
    big = {"spectrum.num_features": 4000, "grid.num_samples": [100, 4000]}
    with pytest.raises(ValueError, match="one Monte-Carlo seed"):
        _spec(max_bytes=100_000_000, **big)
    _spec(max_bytes=2_000_000_000, **big)
    # Theory alone has no such cell.
    _spec(max_bytes=100_000_000, compute=["theory"], **big)


def test_toml_errors_and_files(tmp_path):
    with pytest.raises(ValueError, match="not valid TOML"):
        SweepSpec.from_toml("model = \n")
    with pytest.raises(ValueError, match="cannot read the spec file"):
        SweepSpec.from_toml(tmp_path / "missing.toml")
    np.savez(tmp_path / "spec.npz", eigvals=np.ones(5), target_weights=np.ones(5))
    text = BASE.replace('kind = "power_law"', 'kind = "file"\npath = "spec.npz"')
    text = "\n".join(
        line for line in text.splitlines() if not line.startswith(("num_features", "alpha", "r "))
    )
    (tmp_path / "s.toml").write_text(text)
    spec = SweepSpec.from_toml(tmp_path / "s.toml")
    assert spec.spectrum["path"] == str(tmp_path / "spec.npz")
    np.savez(tmp_path / "bad.npz", eigvals=np.ones(5))
    (tmp_path / "b.toml").write_text(text.replace("spec.npz", "bad.npz"))
    with pytest.raises(ValueError, match="lacks the array"):
        SweepSpec.from_toml(tmp_path / "b.toml")
