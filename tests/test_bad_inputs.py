"""Bad input anywhere in the public API: a jaxridge message naming the argument, never a result.

One table walks every public entry point: for each argument a list of bad values of its kind
(wrong types, complex, empty, wrong rank, NaN/inf, out of range, overflowing sizes). Each call
must raise ``ValueError`` whose message names the argument as ``argument `name```. Types,
complex values, shapes and emptiness are known while tracing, so they must also fail the same way
inside ``jit`` and ``vmap``; values (NaN, a negative ridge) fail at run time there. Files, sweep
specs and the CLI get their own tables below.
"""

from __future__ import annotations

import json
import re
import tomllib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxridge
from jaxridge import cli, empirical, fit, spectra, theory
from jaxridge.sweep import SweepSpec, load, run
from jaxridge.theory import scaling
from tests.sweep import TINY, tiny_spec

N = 8
E = np.linspace(1.0, 0.1, N)
W = np.ones(N)
KEY = jax.random.key(0)
X = np.random.default_rng(0).standard_normal((6, N))
Y = np.ones(6)
P_CURVE = np.array([5.0, 10.0, 20.0, 40.0, 80.0])
ERR_CURVE = P_CURVE**-0.8

# Bad values by kind of argument.
NOT_NUMBERS = [None, "0.1", b"1", "abc", {"a": 1}, True]
VECTOR = [*NOT_NUMBERS, ["a", "b"], [[1.0], [1.0, 2.0]], E + 1j, [], np.ones((2, N)), np.nan]
SCALAR = [*NOT_NUMBERS, 1.0 + 1.0j, np.ones(2), np.nan, np.inf]
COUNT = [0, -3, 2.5, "10", None, True, np.nan, np.inf, 1 + 0j, 2**32 + 10, np.ones(2)]
SIZES = [[], [0], [2.5], "abc", None, [2**32 + 10], [[4, 8]], [np.nan]]
KEYS = [None, 5, "key", np.ones(2)]


def _entries():
    """``(label, call, {argument: (valid value, bad values)})`` for every public entry point."""
    nonneg_vec = [*VECTOR, -E]
    vec = VECTOR
    pos = [*SCALAR, 0.0, -1.0]
    # Closed forms broadcast over arrays: an array is valid there.
    pos_b = [v for v in pos if np.ndim(v) == 0 or isinstance(v, str | bytes)]
    real_b = [v for v in SCALAR if np.ndim(v) == 0 or isinstance(v, str | bytes)]
    nonneg = [*SCALAR, -1.0]
    real = SCALAR
    decomposition = empirical.decompose(X, Y)
    return [
        (
            "theory.ridge_risk",
            theory.ridge_risk,
            {
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, [*vec, np.ones(N + 1)]),
                "num_samples": (10.0, pos),
                "ridge": (0.1, nonneg),
                "noise_var": (0.1, nonneg),
            },
        ),
        (
            "theory.effective_ridge",
            theory.effective_ridge,
            {"eigvals": (E, nonneg_vec), "num_samples": (10.0, pos), "ridge": (0.1, nonneg)},
        ),
        (
            "theory.rf_risk",
            theory.rf_risk,
            {
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                # None is valid here: the width is then len(feature_eigvals).
                "num_features": (20.0, [v for v in pos if v is not None]),
                "num_samples": (10.0, pos),
                "ridge": (0.1, nonneg),
                "noise_var": (0.1, nonneg),
                "feature_var": (0.1, [v for v in pos if v is not None]),
                "feature_eigvals": (np.ones(20), ["x", np.ones(20) + 1j, []]),
                "feature_noise_var": (0.1, nonneg),
            },
        ),
        (
            "theory.deep_rf_risk",
            theory.deep_rf_risk,
            {
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                "widths": ([20.0, 15.0], [None, "ab", [20.0 + 1j, 15.0], [], [np.nan, 1.0]]),
                "num_samples": (10.0, pos),
                "ridge": (0.1, nonneg),
                "noise_var": (0.1, nonneg),
                "feature_noise_var": (0.0, nonneg),
            },
        ),
        (
            "theory.ridge_risk_grid",
            theory.ridge_risk_grid,
            {
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                "num_samples": ([10.0, 20.0], [None, "x", [], [1.0 + 1j], [np.nan], [-1.0]]),
                "ridges": ([0.1, 0.2], [None, "x", [], [1.0 + 1j], [np.inf], [-1.0]]),
                "noise_var": (0.0, [None, "x", 1j, np.nan, -1.0]),
            },
        ),
        (
            "theory.marchenko_pastur_density",
            theory.marchenko_pastur_density,
            {"x": ([0.5, 1.0], [None, "x", [], [1j], [np.nan]]), "ratio": (0.5, pos)},
        ),
        ("theory.marchenko_pastur_edges", theory.marchenko_pastur_edges, {"ratio": (0.5, pos)}),
        (
            "theory.semicircle_density",
            theory.semicircle_density,
            {"x": ([0.5, 1.0], [None, "x", [], [1j]]), "variance": (1.0, pos)},
        ),
        (
            "theory.sample_covariance_density",
            theory.sample_covariance_density,
            {
                "x": ([0.5, 1.0], [None, "x", [], [1j]]),
                "eigvals": (E, nonneg_vec),
                "num_samples": (10.0, pos),
            },
        ),
        (
            "theory.product_wishart_density",
            theory.product_wishart_density,
            {
                "x": ([0.5, 1.0], [None, "x", [], [1j]]),
                "widths": ([1.0, 0.5], [None, "x", [], [1j]]),
            },
        ),
        (
            "scaling.crossover_samples",
            scaling.crossover_samples,
            {"num_features": (100.0, pos_b), "alpha": (1.5, pos_b), "r": (0.5, real_b)},
        ),
        (
            "scaling.ridge_crossover_samples",
            scaling.ridge_crossover_samples,
            {"ridge": (1e-3, pos_b), "alpha": (1.5, pos_b)},
        ),
        (
            "scaling.noise_crossover_ridge_exponent",
            scaling.noise_crossover_ridge_exponent,
            {"alpha": (1.5, pos_b), "r": (0.5, real_b)},
        ),
        ("scaling.resolution_constant", scaling.resolution_constant, {"alpha": (1.5, pos_b)}),
        (
            "scaling.exponents",
            scaling.exponents,
            {"alpha": (1.5, pos), "r": (0.5, real)},
        ),
        (
            "scaling.local_slope",
            lambda x: scaling.local_slope(jnp.sqrt, x),
            {"x": (4.0, [None, "x", 1j, np.nan, 0.0, -1.0])},
        ),
        (
            "spectra.power_law",
            spectra.power_law,
            {"num_features": (N, COUNT), "alpha": (1.5, pos), "r": (0.5, real)},
        ),
        (
            "spectra.isotropic",
            spectra.isotropic,
            {"num_features": (N, COUNT), "norm2": (1.0, nonneg)},
        ),
        (
            "spectra.blocks",
            spectra.blocks,
            {
                "sizes": ([2, 3], SIZES),
                "values": ([1.0, 0.1], [None, "x", [1.0 + 1j, 0.1], [1.0], [-1.0, 1.0]]),
                "weights": ([1.0, 1.0], [None, "x", [1j, 1.0], [np.nan, 1.0]]),
            },
        ),
        (
            "spectra.from_data",
            spectra.from_data,
            {
                "X": (X, [None, "x", X + 1j, np.ones((6, 0)), np.ones(N), X * np.nan]),
                "y": (Y, [None, "x", Y + 1j, np.ones(5)]),
                "ridge": (0.0, nonneg),
            },
        ),
        (
            "empirical.sample_data",
            empirical.sample_data,
            {
                "key": (KEY, KEYS),
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                "num_samples": (6, COUNT),
                "noise_var": (0.1, nonneg),
            },
        ),
        (
            "empirical.decompose",
            empirical.decompose,
            {"X": (X, [None, "x", X + 1j, np.ones(N), np.ones((6, 0))]), "y": (Y, [None, Y + 1j])},
        ),
        (
            "empirical.ridge_path",
            empirical.ridge_path,
            {
                "X": (X, [None, "x", X + 1j, np.ones(N)]),
                "y": (Y, [None, "y", Y + 1j, np.ones(3)]),
                "ridges": ([0.1], [None, "x", [], [1j], [-1.0], [np.nan]]),
            },
        ),
        (
            "empirical.ridge_weights",
            lambda ridges: empirical.ridge_weights(decomposition, ridges),
            {"ridges": ([0.1], [None, "x", [], [1j], [-1.0]])},
        ),
        (
            "empirical.ridge_statistics",
            lambda ridges: empirical.ridge_statistics(decomposition, ridges),
            {"ridges": ([0.1], [None, "x", [], [1j], [-1.0]])},
        ),
        (
            "empirical.resolvent_trace",
            lambda z, side="features": empirical.resolvent_trace(decomposition, z, side=side),
            {"z": (-0.5, [None, "x"]), "side": ("features", ["both", None, 1])},
        ),
        (
            "empirical.ridge_risk",
            empirical.ridge_risk,
            {
                "key": (KEY, KEYS),
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                "num_samples": (6, COUNT),
                "ridges": ([0.1], [None, "x", [], [1j], [-1.0]]),
                "noise_var": (0.1, nonneg),
                "num_seeds": (2, COUNT),
                "max_bytes": (None, [0, -5, "big", 2.5j]),
            },
        ),
        (
            "empirical.learning_curve",
            empirical.learning_curve,
            {
                "key": (KEY, KEYS),
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                "num_samples_grid": ([4, 6], SIZES),
                "ridges": ([0.1], [None, "x", [], [1j], [-1.0]]),
                "noise_var": (0.1, nonneg),
                "num_seeds": (2, COUNT),
                "bucket_growth": (1.5, [1.0, 0.5, "x", np.nan]),
            },
        ),
        (
            "empirical.width_curve",
            empirical.width_curve,
            {
                "key": (KEY, KEYS),
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                "num_features_grid": ([4, 6], [*SIZES, [N + 1]]),
                "num_samples": (6, COUNT),
                "ridges": ([0.1], [None, "x", [], [1j], [-1.0]]),
                "noise_var": (0.1, nonneg),
                "num_seeds": (2, COUNT),
            },
        ),
        (
            "empirical.rf_ridge_risk",
            empirical.rf_ridge_risk,
            {
                "key": (KEY, KEYS),
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                "num_features": (5, COUNT),
                "num_samples": (6, COUNT),
                "ridges": ([0.1], [None, "x", [], [1j], [-1.0]]),
                "noise_var": (0.1, nonneg),
                "num_data_seeds": (2, [*COUNT, 1]),
                "num_feature_seeds": (2, [*COUNT, 1]),
                "feature_noise_var": (0.0, nonneg),
            },
        ),
        (
            "empirical.deep_rf_ridge_risk",
            empirical.deep_rf_ridge_risk,
            {
                "key": (KEY, KEYS),
                "eigvals": (E, nonneg_vec),
                "target_weights": (W, vec),
                "widths": ([5, 4], [None, "ab", [], [0, 4], [2.5, 4], [2**32 + 10, 4]]),
                "num_samples": (6, COUNT),
                "ridges": ([0.1], [None, "x", [], [1j], [-1.0]]),
            },
        ),
        (
            "fit.fit_power_law",
            fit.fit_power_law,
            {
                "x": (P_CURVE, [None, "x", P_CURVE + 1j, [], -P_CURVE, P_CURVE * np.nan]),
                "y": (ERR_CURVE, [None, "y", ERR_CURVE + 1j, np.ones(3), -ERR_CURVE]),
            },
        ),
        (
            "fit.fit_learning_curve",
            lambda num_samples, errors: fit.fit_learning_curve(num_samples, errors, steps=2),
            {
                "num_samples": (P_CURVE, [None, "x", P_CURVE + 1j, [], -P_CURVE]),
                "errors": (ERR_CURVE, [None, "x", ERR_CURVE + 1j, np.ones(3)]),
            },
        ),
    ]


def _cases():
    for label, _, table in _entries():
        for name, (_, bads) in table.items():
            for i, bad in enumerate(bads):
                yield pytest.param(label, name, bad, id=f"{label}-{name}-{i}")


_ENTRIES = None


def _entry(label):
    global _ENTRIES
    if _ENTRIES is None:
        _ENTRIES = {lab: (call, table) for lab, call, table in _entries()}
    return _ENTRIES[label]


def _call(label, name, bad):
    call, table = _entry(label)
    kwargs = {k: v for k, (v, _) in table.items() if v is not None}
    kwargs[name] = bad
    return call, kwargs


@pytest.mark.parametrize(("label", "name", "bad"), list(_cases()))
def test_every_bad_argument_is_named(label, name, bad):
    call, kwargs = _call(label, name, bad)
    with pytest.raises(ValueError, match=f"jaxridge: argument `{name}"):
        jax.block_until_ready(call(**kwargs))


# Tens of seconds on 2 cores (compilation): with the slow checks, which CI runs.
@pytest.mark.slow
def test_the_valid_calls_of_the_table_run():
    """Control: every entry's valid arguments give a finite result (so the table tests input)."""
    for label, call, table in _entries():
        out = call(**{k: v for k, (v, _) in table.items() if v is not None})
        leaves = [np.asarray(x) for x in jax.tree.leaves(out) if hasattr(x, "dtype")]
        assert out is not None, label
        assert not any(np.any(np.isnan(x)) for x in leaves), label


# ----------------------------------------------------------------- inside jit and vmap

TRACED = [
    ("theory.ridge_risk", "eigvals", E + 1j),
    ("theory.ridge_risk", "eigvals", np.ones((2, N))),
    ("theory.ridge_risk", "ridge", 1.0 + 1.0j),
    ("theory.rf_risk", "target_weights", W + 1j),
    ("theory.effective_ridge", "num_samples", np.ones(3)),
    ("theory.ridge_risk_grid", "ridges", np.zeros((0,))),
    ("theory.marchenko_pastur_density", "x", np.zeros((0,))),
    ("empirical.ridge_risk", "eigvals", E + 1j),
    ("spectra.power_law", "alpha", 1.5 + 1j),
    ("empirical.decompose", "X", X + 1j),
]


@pytest.mark.parametrize(("label", "name", "bad"), TRACED, ids=lambda v: str(v)[:24])
def test_types_and_shapes_fail_while_tracing(label, name, bad):
    call, kwargs = _call(label, name, bad)
    bad = jnp.asarray(bad)
    with pytest.raises(ValueError, match=f"jaxridge: argument `{name}`"):
        jax.jit(lambda v: call(**{**kwargs, name: v}))(bad)
    if bad.ndim >= 1 and bad.shape[0] > 0:
        with pytest.raises(ValueError, match=f"jaxridge: argument `{name}`"):
            jax.vmap(lambda v: call(**{**kwargs, name: jnp.stack([v] * bad.shape[0])}))(bad)


@pytest.mark.parametrize(
    ("label", "name", "bad"),
    [
        ("theory.ridge_risk", "ridge", -1.0),
        ("theory.ridge_risk", "eigvals", np.where(np.arange(N) == 3, np.nan, E)),
        ("theory.rf_risk", "num_features", 0.0),
    ],
)
def test_values_fail_at_run_time_under_jit(label, name, bad):
    call, kwargs = _call(label, name, bad)
    with pytest.raises(Exception, match=f"jaxridge: argument `{name}`"):
        jax.block_until_ready(jax.jit(lambda v: call(**{**kwargs, name: v}))(jnp.asarray(bad)))


RUN_TIME = [
    ("theory.ridge_risk", "ridge", -1.0),
    ("theory.rf_risk", "num_features", 0.0),
    ("theory.ridge_risk", "num_samples", -3.0),
]


@pytest.mark.parametrize(("label", "name", "bad"), RUN_TIME, ids=lambda v: str(v)[:24])
def test_one_exception_type_with_jaxridge_first_line(label, name, bad, capfd):
    """Eager, vmap, grad and a checked jit all raise ValueError; its first line is jaxridge's."""
    call, kwargs = _call(label, name, bad)

    def scalar(v):
        out = call(**{**kwargs, name: v})
        return jnp.sum(out.test if hasattr(out, "test") else out)

    first_line = re.compile(f"jaxridge: argument `{name}` [^`]+")
    runs = {
        "eager": lambda: scalar(jnp.asarray(bad)),
        "vmap": lambda: jax.vmap(scalar)(jnp.asarray([bad, bad])),
        "grad": lambda: jax.grad(scalar)(jnp.asarray(bad)),
        "checked jit": lambda: jaxridge.checked(jax.jit(scalar))(jnp.asarray(bad)),
    }
    for how, attempt in runs.items():
        with pytest.raises(ValueError) as info:
            attempt()
        assert type(info.value) is ValueError, how
        assert first_line.fullmatch(str(info.value).splitlines()[0]), (how, str(info.value))
    # a bare jax.jit raises JAX's runtime error, still carrying the message; no logged traceback
    with pytest.raises(jax.errors.JaxRuntimeError, match=f"jaxridge: argument `{name}`"):
        jax.block_until_ready(jax.jit(scalar)(jnp.asarray(bad)))
    assert "pure_callback failed" not in capfd.readouterr().err


def test_checked_passes_other_errors_and_results_through():
    f = jaxridge.checked(lambda x: x + 1)
    assert float(f(jnp.asarray(1.0))) == 2.0
    with pytest.raises(TypeError, match="unsupported"):
        jaxridge.checked(lambda: 1 + "a")()


# --------------------------------------------------------------- the five silent cases


def test_sizes_past_the_index_type_raise_instead_of_wrapping():
    with pytest.raises(ValueError, match="argument `num_samples_grid`.*largest supported"):
        empirical.learning_curve(KEY, E, W, [10, 2**32 + 10], [0.1])
    with pytest.raises(ValueError, match="argument `num_samples`.*largest supported"):
        empirical.ridge_risk(KEY, E, W, 2**32 + 10, [0.1])
    with pytest.raises(ValueError, match="argument `num_features_grid`.*largest supported"):
        empirical.width_curve(KEY, E, W, [4, 2**31], 6, [0.1])


def test_sizes_that_can_never_fit_in_memory_raise():
    # 2·10⁹ samples × 8 features of 4+ bytes: far more than any machine this runs on.
    with pytest.raises(ValueError, match="argument `num_samples`.*GiB, more than this machine"):
        empirical.ridge_risk(KEY, np.ones(64), np.ones(64), 2_000_000_000, [0.1])
    with pytest.raises(ValueError, match="argument `num_samples`.*GiB"):
        empirical.rf_ridge_risk(KEY, np.ones(64), np.ones(64), 8, 2_000_000_000, [0.1])


@pytest.mark.parametrize("dtype", [jnp.int32, np.int64, "complex64", jnp.bool_, "bogus"])
def test_spectra_reject_non_floating_dtypes(dtype):
    with pytest.raises(ValueError, match="argument `dtype` must be a floating dtype"):
        spectra.power_law(10, alpha=1.5, r=0.5, dtype=dtype)
    with pytest.raises(ValueError, match="argument `dtype`"):
        spectra.isotropic(10, dtype=dtype)


def test_no_test_skips_for_a_declared_test_dependency():
    """Every module the suite imports with ``importorskip`` is in the ``test`` extra."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    extra = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["test"]
    declared = {r.split(">")[0].split("=")[0].split("[")[0].strip().lower() for r in extra}
    aliases = {"sklearn": "scikit-learn", "netcdf4": "netcdf4", "mpl_toolkits": "matplotlib"}
    names = set()
    for file in root.joinpath("tests").rglob("*.py"):
        for part in file.read_text().split("importorskip(")[1:]:
            module = part.split(")")[0].strip().strip("\"'").split(".")[0]
            if module and module != "jaxridge":
                names.add(module)
    missing = {m for m in names if aliases.get(m.lower(), m.lower()) not in declared}
    assert not missing, f"importorskip of undeclared test dependencies: {missing}"


# ------------------------------------------------------------------------ files


def _file_cases(tmp_path):
    npy = tmp_path / "spectrum.npy"
    np.save(npy, np.ones(4))
    txt = tmp_path / "spectrum.txt"
    txt.write_text("1 2 3\n")
    truncated = tmp_path / "truncated.npz"
    np.savez(truncated, eigvals=np.ones(50), target_weights=np.ones(50))
    truncated.write_bytes(truncated.read_bytes()[:100])
    missing_key = tmp_path / "missing.npz"
    np.savez(missing_key, eigvals=np.ones(4))
    ragged = tmp_path / "ragged.npz"
    np.savez(ragged, eigvals=np.ones(4), target_weights=np.ones(3))
    negative = tmp_path / "negative.npz"
    np.savez(negative, eigvals=-np.ones(4), target_weights=np.ones(4))
    complex_ = tmp_path / "complex.npz"
    np.savez(complex_, eigvals=np.ones(4) + 1j, target_weights=np.ones(4))
    empty = tmp_path / "empty.npz"
    np.savez(empty, eigvals=np.ones(0), target_weights=np.ones(0))
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, eigvals=np.array([{"a": 1}], dtype=object), target_weights=np.ones(1))
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    return {
        "npy": npy,
        "text": txt,
        "truncated": truncated,
        "missing key": missing_key,
        "ragged": ragged,
        "negative": negative,
        "complex": complex_,
        "empty": empty,
        "pickled": pickled,
        "folder": folder,
        "absent": tmp_path / "absent.npz",
    }


def test_spectrum_files_fail_naming_the_key_and_the_file(tmp_path, capsys):
    for label, file in _file_cases(tmp_path).items():
        with pytest.raises(ValueError, match="argument `path") as info:
            spectra.from_file(file)
        assert str(file) in str(info.value), label
        spec = tmp_path / f"{label.replace(' ', '_')}.toml"
        spec.write_text(
            TINY.replace(
                'kind = "power_law"\nnum_features = 24\nalpha = [1.5, 2.0]\nr = 0.4',
                f'kind = "file"\npath = "{file}"',
            )
        )
        assert cli.main(["run", str(spec), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and "argument `spectrum.path" in err, (label, err)
        assert len(err.strip().splitlines()) == 1, (label, err)


# ------------------------------------------------------------- sweep specs and the CLI

ADVERSARIAL = [
    "two\nlines",
    'quote " and \\ backslash',
    "tab\tcarriage\rreturn",
    "'''",
    '"""',
    "bell \x07 del \x7f escape \x1b",
    "unicode ∑ κ λ 🎉",
    "trailing backslash \\",
    "[spectrum]\nkind = 'isotropic'",
    "# not a comment",
]


@pytest.mark.parametrize("name", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_spec_strings_round_trip_through_toml(name):
    spec = tiny_spec(name=name)
    again = SweepSpec.from_toml(spec.to_toml())
    assert again == spec and again.name == name
    assert again.fingerprint() == spec.fingerprint()


def test_a_sweep_named_with_a_newline_resumes_and_reloads(tmp_path):
    spec = tiny_spec(name="line one\nline two", compute=("theory",))
    out = tmp_path / "s"
    first = run(spec, out, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert SweepSpec.from_toml(manifest["spec"]) == spec
    again = run(spec, out, progress=False)
    np.testing.assert_array_equal(first.theory_test.values, again.theory_test.values)
    assert load(out).attrs["name"] == "line one\nline two"


@pytest.mark.parametrize(
    "bad",
    ["\ud800 lone surrogate", "", 5, None],
    ids=["surrogate", "empty", "int", "none"],
)
def test_unstorable_names_are_rejected(bad):
    with pytest.raises(ValueError, match="argument `name`"):
        tiny_spec(name=bad)


def test_cli_default_output_folder_is_one_safe_path_component(tmp_path, monkeypatch):
    assert cli._folder_name("../../etc/x\ny") == "_.._etc_x_y"
    assert cli._folder_name("...") == "sweep"
    assert cli._folder_name("power-law_2.toml") == "power-law_2.toml"


SPEC_EDITS = [
    ("num_seeds = 3", "num_seeds = 0", "num_seeds"),
    ("num_seeds = 3", "num_seeds = 3.5", "num_seeds"),
    ("num_seeds = 3", 'num_seeds = "3"', "num_seeds"),
    ("seed = 3", "seed = -1", "seed"),
    ("num_features = 24", "num_features = 4294967306", "spectrum.num_features"),
    ("num_features = 24", "num_features = 0", "spectrum.num_features"),
    ("alpha = [1.5, 2.0]", "alpha = []", "spectrum.alpha"),
    ("alpha = [1.5, 2.0]", "alpha = nan", "spectrum.alpha"),
    ("alpha = [1.5, 2.0]", "alpha = inf", "spectrum.alpha"),
    ("alpha = [1.5, 2.0]", 'alpha = "1.5"', "spectrum.alpha"),
    ("num_samples = [6, 12, 30]", "num_samples = [6, 4294967306]", "grid.num_samples"),
    ("num_samples = [6, 12, 30]", "num_samples = [0]", "grid.num_samples"),
    ("ridge = [1e-3, 1e-1]", "ridge = [nan]", "grid.ridge"),
    ("ridge = [1e-3, 1e-1]", "ridge = { geomspace = [0, 1, 3] }", "grid.ridge"),
    ('kind = "power_law"', 'kind = "bogus"', "spectrum.kind"),
    ('model = "linear"', 'model = "quadratic"', "model"),
    ('dtype = "', 'dtype = "complex64" #', "dtype"),
    ("devices = 1", "devices = -2", "devices"),
]


@pytest.mark.parametrize(("old", "new", "name"), SPEC_EDITS, ids=[e[1] for e in SPEC_EDITS])
def test_bad_spec_values_name_their_key_in_the_cli(tmp_path, capsys, old, new, name):
    assert old in TINY
    spec = tmp_path / "bad.toml"
    spec.write_text(TINY.replace(old, new, 1))
    assert cli.main(["run", str(spec), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"argument `{name}" in err and "Traceback" not in err, err


CLI_ARGS = [
    (["demo", "--num-features", "0"], 2, "--num-features"),
    (["demo", "--num-features", "4294967306"], 1, "spectrum.num_features"),
    (["demo", "--ridge", "nan"], 2, "--ridge"),
    (["demo", "--ridge", "inf"], 1, "grid.ridge"),
    (["demo", "--alpha", "-1"], 1, "spectrum.alpha"),
    (["demo", "--num-seeds", "x"], 2, "--num-seeds"),
    (["run", "spec.toml", "--devices", "0"], 2, "--devices"),
    (["plot", "/nonexistent/results"], 1, "argument `path`"),
    (
        ["demo", "--out", "/dev/null/x", "--points", "2", "--num-features", "8"],
        1,
        "argument `path`",
    ),
]


@pytest.mark.parametrize(
    ("args", "code", "name"), CLI_ARGS, ids=[" ".join(a) for a, _, _ in CLI_ARGS]
)
def test_bad_cli_arguments_name_the_option(args, code, name, capsys):
    try:
        status = cli.main(args)
    except SystemExit as exc:  # argparse's usage errors
        status = exc.code
    assert status == code
    err = capsys.readouterr().err
    assert name in err and "Traceback" not in err, err


def test_unparsable_and_unreadable_specs(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_bytes(b"name = \xff\xfe")
    assert cli.main(["run", str(spec)]) == 1
    assert "Traceback" not in capsys.readouterr().err
    spec.write_text("name = [unclosed")
    assert cli.main(["run", str(spec)]) == 1
    assert "not valid TOML" in capsys.readouterr().err
    assert cli.main(["run", str(tmp_path)]) == 1
    assert "cannot read the spec file" in capsys.readouterr().err


# ------------------------------------------------------- damaged results on disk


def test_a_truncated_or_damaged_chunk_is_recomputed_never_loaded(tmp_path):
    spec = tiny_spec(compute=("theory",))
    out = tmp_path / "s"
    reference = run(spec, out, progress=False)
    (out / "results.nc").unlink()
    (out / "results.sha256").unlink()
    chunk1 = out / "chunks" / "chunk-000001.nc"
    chunk2 = out / "chunks" / "chunk-000002.nc"
    chunk1.write_bytes(chunk1.read_bytes()[:200])  # truncated
    data = bytearray(chunk2.read_bytes())
    data[-40] ^= 0xFF  # one flipped byte: still opens, wrong numbers
    chunk2.write_bytes(bytes(data))

    def corrupt_chunks(record) -> list[str]:
        found = [re.search(r"chunk (\d+) \(.*\) is corrupt", str(w.message)) for w in record]
        return sorted(m.group(1) for m in found if m)

    with pytest.warns(UserWarning) as record:
        with pytest.raises(ValueError, match="unfinished sweep.*to be recomputed: chunk 1, 2"):
            load(out)
    assert corrupt_chunks(record) == ["1", "2"]
    computed = []
    with pytest.warns(UserWarning, match="will be recomputed") as record:
        again = run(spec, out, progress=False, callback=computed.append)
    assert corrupt_chunks(record) == ["1", "2"]
    assert computed == [1, 2]
    for name in reference.data_vars:
        np.testing.assert_array_equal(again[name].values, reference[name].values, err_msg=name)


def test_a_damaged_results_file_is_rebuilt_from_the_chunks(tmp_path):
    spec = tiny_spec(compute=("theory",))
    out = tmp_path / "s"
    reference = run(spec, out, progress=False)
    results = out / "results.nc"
    results.write_bytes(results.read_bytes()[:-64])
    with pytest.raises(ValueError, match="argument `path`.*corrupt"):
        load(results)
    computed = []
    with pytest.warns(UserWarning, match="results.nc is corrupt.*rebuilt"):
        again = run(spec, out, progress=False, callback=computed.append)
    assert computed == []
    np.testing.assert_array_equal(again.theory_test.values, reference.theory_test.values)
    assert load(out).sizes == reference.sizes


def test_temporaries_of_a_killed_write_are_cleaned_on_resume(tmp_path):
    spec = tiny_spec(compute=("theory",))
    out = tmp_path / "s"
    run(spec, out, progress=False)
    (out / "results.nc").unlink()
    stale = [out / ".tmp-abc123.nc", out / "chunks" / ".tmp-xyz.nc"]
    for file in stale:
        file.write_bytes(b"partial")
    keep = out / "notes.txt"
    keep.write_text("mine")
    run(spec, out, progress=False)
    assert not any(f.exists() for f in stale) and keep.read_text() == "mine"
