"""The sweep runner: labelled results equal the library's kernels called directly."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import __version__, empirical, spectra, theory
from jaxridge.sweep import SweepSpec, run
from tests.helpers import DTYPE, X64, assert_allclose, tol
from tests.sweep import DTYPE_NAME, tiny_spec

# The solver status fields (None unless throw=False) are not stored by the sweep.
STATUS = ("converged", "num_steps", "residual")
RIDGE_FIELDS = tuple(f for f in theory.RidgeRisk.__dataclass_fields__ if f not in STATUS)
# Without a [samples] section there is no corrgcv (it needs a sample covariance).
MC_FIELDS = tuple(f for f in empirical.EmpiricalRisk.__dataclass_fields__ if f != "corrgcv")


@pytest.fixture(scope="module")
def tiny():
    spec = tiny_spec()
    return spec, run(spec, progress=False)


def test_layout_coordinates_and_attributes(tiny):
    spec, ds = tiny
    assert dict(ds.sizes) == {"alpha": 2, "noise_var": 2, "num_samples": 3, "ridge": 2, "seed": 3}
    assert list(ds.alpha.values) == [1.5, 2.0]
    assert list(ds.noise_var.values) == [0.0, 0.05]
    assert list(ds.num_samples.values) == [6, 12, 30]
    assert list(ds.ridge.values) == [1e-3, 1e-1]
    expected = {f"theory_{f}" for f in RIDGE_FIELDS}
    for f in MC_FIELDS:
        expected |= {f"mc_{f}", f"mc_{f}_stderr", f"mc_{f}_seeds"}
    assert set(ds.data_vars) == expected
    assert ds.mc_test_seeds.dims == ("alpha", "noise_var", "num_samples", "ridge", "seed")
    assert ds.theory_test.dtype == DTYPE and ds.mc_test.dtype == DTYPE
    assert SweepSpec.from_toml(ds.attrs["spec"]) == spec
    assert ds.attrs["model"] == "linear" and ds.attrs["jaxridge_version"] == __version__
    assert ds.attrs["num_features"] == 24 and ds.attrs["r"] == 0.4
    for name in ds.data_vars:
        assert np.all(np.isfinite(ds[name].values)), name


def test_theory_equals_ridge_risk_grid(tiny):
    spec, ds = tiny
    p = jnp.asarray([6.0, 12.0, 30.0], DTYPE)[:, None]
    lam = jnp.asarray([1e-3, 1e-1], DTYPE)[None, :]
    for alpha in (1.5, 2.0):
        e, w = spectra.power_law(24, alpha, 0.4, dtype=DTYPE)
        expected = theory.ridge_risk_grid(e, w, p, lam, jnp.asarray(0.05, DTYPE))
        cell = ds.sel(alpha=alpha, noise_var=0.05)
        for f in RIDGE_FIELDS:
            assert_allclose(cell[f"theory_{f}"].values, getattr(expected, f), rtol=tol(1e-12, 1e-5))


def test_monte_carlo_equals_learning_curve(tiny):
    spec, ds = tiny
    # Chunk 3 = (alpha=2.0, noise_var=0.05) in C order; its key is fold_in(key(seed), 3).
    key = jax.random.fold_in(jax.random.key(3), 3)
    e, w = spectra.power_law(24, 2.0, 0.4, dtype=DTYPE)
    ridges = jnp.asarray([1e-3, 1e-1], DTYPE)
    expected = empirical.learning_curve(key, e, w, [6, 12, 30], ridges, jnp.asarray(0.05, DTYPE), 3)
    cell = ds.sel(alpha=2.0, noise_var=0.05)
    for f in MC_FIELDS:
        seeds = np.moveaxis(np.asarray(getattr(expected, f)), 1, 2)  # (P, L, seed)
        assert_allclose(cell[f"mc_{f}_seeds"].values, seeds, rtol=tol(1e-10, 1e-5))
        wide = seeds.astype(np.float64)
        assert_allclose(cell[f"mc_{f}"].values, wide.mean(-1), rtol=tol(1e-10, 1e-5))
        stderr = wide.std(-1, ddof=1) / np.sqrt(3)
        assert_allclose(cell[f"mc_{f}_stderr"].values, stderr, rtol=tol(1e-8, 1e-3))
    # Chunks draw independently: the two noise-free chunks of different alpha differ.
    a, b = ds.mc_test_seeds.isel(noise_var=0).values
    assert not np.allclose(a, b)


def test_precision_mismatch_is_an_error():
    if X64:
        pytest.skip("float64 is enabled in this pass")
    with pytest.raises(ValueError, match="argument `dtype` is float64"):
        run(tiny_spec(dtype="float64"), progress=False)


RF = f"""
name = "rf"
model = "random_features"
compute = ["theory", "monte_carlo"]
dtype = "{DTYPE_NAME}"
num_seeds = 2
num_feature_seeds = 2
num_replicates = 3
devices = 1

[spectrum]
kind = "isotropic"
num_features = 20
norm2 = 1.0

[grid]
num_samples = [8]
ridge = [1e-2, 1e-1]
noise_var = 0.1
width = [10, 30]
"""


@pytest.mark.slow
@pytest.mark.parametrize("deep", [False, True], ids=["shallow", "deep"])
def test_random_features_equal_their_kernels(deep):
    text = RF
    if deep:
        text = text.replace('"random_features"', '"deep_random_features"')
        text = text.replace("width = [10, 30]", "width = [[10, 15], [30, 15]]")
    spec = SweepSpec.from_toml(text)
    ds = run(spec, progress=False)
    assert "mc_var_f" in ds and "theory_var_xf" in ds and "mc_var_f_stderr" in ds
    e, w = spectra.isotropic(20, dtype=DTYPE)
    widths = (30, 15) if deep else (30,)
    fvar = jnp.asarray(1.0 / 20, DTYPE)
    # Chunk 1 (width 30), sample size 0, replicates r = 0, 1, 2: key fold_in(…(…, 1), 0), r).
    size_key = jax.random.fold_in(jax.random.fold_in(jax.random.key(0), 1), 0)
    keys = [jax.random.fold_in(size_key, r) for r in range(3)]
    ridges = jnp.asarray([1e-2, 1e-1], DTYPE)
    noise = jnp.asarray(0.1, DTYPE)
    if deep:
        th = theory.deep_rf_risk(
            e,
            w,
            jnp.asarray(widths, DTYPE),
            8.0,
            ridges[1],
            noise,
            feature_vars=jnp.full((2,), fvar),
        )
        reps = [
            empirical.deep_rf_ridge_risk(
                k,
                e,
                w,
                widths,
                8,
                ridges,
                noise,
                num_data_seeds=2,
                num_feature_seeds=2,
                feature_vars=jnp.full((2,), fvar),
            )
            for k in keys
        ]
    else:
        th = theory.rf_risk(e, w, 30.0, 8.0, ridges[1], noise, feature_var=fvar)
        reps = [
            empirical.rf_ridge_risk(
                k,
                e,
                w,
                30,
                8,
                ridges,
                noise,
                num_data_seeds=2,
                num_feature_seeds=2,
                feature_var=fvar,
            )
            for k in keys
        ]
    cell = ds.isel(width=1, num_samples=0)
    for f in (f for f in theory.RFRisk.__dataclass_fields__ if f not in STATUS):
        assert_allclose(cell[f"theory_{f}"].values[1], getattr(th, f), rtol=tol(1e-10, 1e-4))
    for f in empirical.RFEmpiricalRisk.__dataclass_fields__:
        values = np.stack([np.asarray(getattr(m, f), np.float64) for m in reps])  # (3, L)
        mean, stderr = values.mean(0), values.std(0, ddof=1) / np.sqrt(3)
        assert_allclose(cell[f"mc_{f}"].values, mean, rtol=tol(1e-10, 1e-4))
        assert_allclose(
            cell[f"mc_{f}_stderr"].values, stderr, rtol=tol(1e-8, 1e-3), atol=tol(1e-14, 1e-6)
        )
    # The replicates are independent draws: their scatter is not zero.
    assert np.all(cell["mc_test_stderr"].values > 0)


@pytest.mark.slow
def test_fit_equals_a_direct_fit_of_independent_curves(x64):
    # compute = [..., "fit"]: Monte Carlo with a fresh draw per (P, seed) cell, then
    # fit_learning_curve on each ridge's curve, weighted by (mean/stderr)²: the runner's numbers
    # equal that pipeline written out by hand, and the truth is within 4 standard errors.
    from jaxridge import fit as fit_

    spec = SweepSpec.from_dict(
        dict(
            name="fit",
            model="linear",
            compute=["monte_carlo", "fit"],
            dtype="float64",
            seed=11,
            num_seeds=16,
            devices=1,
            spectrum=dict(kind="power_law", num_features=200, alpha=1.5, r=0.4),
            grid=dict(num_samples=[10, 16, 25, 40, 63, 100, 150], ridge=[1e-3], noise_var=0.05),
        )
    )
    ds = run(spec, progress=False)
    e, w = spectra.power_law(200, 1.5, 0.4)
    sizes = [10, 16, 25, 40, 63, 100, 150]
    key = jax.random.fold_in(jax.random.key(11), 0)
    mc = empirical.learning_curve(key, e, w, sizes, jnp.asarray([1e-3]), 0.05, 16, independent=True)
    test = np.asarray(mc.test[:, :, 0])
    mean, stderr = test.mean(axis=1), test.std(axis=1, ddof=1) / 4.0
    assert_allclose(ds.mc_test.values[:, 0], mean, rtol=1e-10)
    direct = fit_.fit_learning_curve(
        np.asarray(sizes, float),
        mean,
        fixed={"num_features": 200, "ridge": 1e-3},
        weights=(mean / stderr) ** 2,
        steps=60,
        refine_steps=40,
        num_restarts=8,
    )
    for name, truth in {"alpha": 1.5, "r": 0.4, "noise_var": 0.05}.items():
        got, se = float(ds[f"fit_{name}"].values[0]), float(ds[f"fit_{name}_stderr"].values[0])
        assert_allclose(got, float(direct.params[name]), rtol=1e-8)
        assert_allclose(se, float(direct.stderr[name]), rtol=1e-6)
        assert abs(got - truth) < 4 * se, (name, got, truth, se)
    assert ds.fit_alpha.dims == ("ridge",)
    assert ds.fit_test.dims == ("num_samples", "ridge")
    assert 0 < float(ds.fit_chi2.values[0]) < 4


CORRELATED = dict(
    name="ar1",
    model="linear",
    compute=["theory", "monte_carlo"],
    dtype=DTYPE_NAME,
    seed=5,
    num_seeds=3,
    keep_seeds=True,
    devices=1,
    spectrum=dict(kind="power_law", num_features=30, alpha=1.5, r=0.4),
    grid=dict(num_samples=[12, 30, 45], ridge=[0.0, 1e-2], noise_var=0.1),
)


# Tens of seconds on 2 cores (compilation): with the slow checks, which CI runs.
@pytest.mark.slow
@pytest.mark.parametrize("noise", ["correlated", "iid"])
def test_samples_section_equals_the_public_functions(noise):
    # [samples]: theory = correlated_ridge_risk with each P's exact K spectrum (a reference
    # built here from scipy's Toeplitz and numpy's eigvalsh), Monte Carlo = learning_curve
    # with sample_cov = the K of the largest P; the correlation parameter is an outer axis.
    from scipy.linalg import toeplitz

    spec = SweepSpec.from_dict(
        dict(CORRELATED, samples=dict(kind="ar1", rho=[0.3, 0.8], noise=noise))
    )
    assert SweepSpec.from_toml(spec.to_toml()) == spec
    ds = run(spec, progress=False)
    assert ds.mc_corrgcv.dims == ("rho", "num_samples", "ridge")
    e, w = spectra.power_law(30, 1.5, 0.4, dtype=DTYPE)
    for chunk, rho in enumerate([0.3, 0.8]):
        cell = ds.sel(rho=rho)
        k_full = toeplitz(rho ** np.arange(45.0))
        for i, p in enumerate([12, 30, 45]):
            k = np.linalg.eigvalsh(k_full[:p, :p])
            for j, lam in enumerate([0.0, 1e-2]):
                want = theory.correlated_ridge_risk(e, w, k, p, lam, 0.1, noise=noise)
                for f in ("test", "train", "kappa_samples"):
                    assert_allclose(
                        cell[f"theory_{f}"].values[i, j], getattr(want, f), rtol=tol(1e-10, 1e-4)
                    )
        key = jax.random.fold_in(jax.random.key(5), chunk)
        mc = empirical.learning_curve(
            key,
            e,
            w,
            [12, 30, 45],
            jnp.asarray([0.0, 1e-2], DTYPE),
            jnp.asarray(0.1, DTYPE),
            3,
            sample_cov=jnp.asarray(k_full, DTYPE),
            noise=noise,
        )
        # P = N = 30 at λ = 0 (the interpolation threshold) is left out: rounding there is
        # amplified by cond(X)² (see learning_curve).
        usable = np.ones((3, 2), bool)
        usable[1, 0] = False
        for f in ("test", "train", "corrgcv"):
            seeds = np.moveaxis(np.asarray(getattr(mc, f)), 1, 2)
            assert_allclose(
                cell[f"mc_{f}_seeds"].values[usable], seeds[usable], rtol=tol(1e-10, 1e-4)
            )


@pytest.mark.parametrize(
    "samples, extra, name",
    [
        (dict(kind="ar2", rho=0.5), {}, "samples.kind"),
        (dict(kind="ar1", rho=1.0), {}, "samples.rho"),
        (dict(kind="ar1"), {}, "samples.rho"),
        (dict(kind="ar1", b=0.5), {}, "samples"),
        (dict(kind="nearest_neighbour", b=-1.5), {}, "samples.b"),
        (dict(kind="power_law", chi=0.0), {}, "samples.chi"),
        (dict(kind="ar1", rho=0.5, noise="ar"), {}, "samples.noise"),
        (
            dict(kind="ar1", rho=0.5),
            dict(compute=["theory"], grid=dict(num_samples=[10.5, 20], ridge=0.1)),
            "grid.num_samples",
        ),
    ],
)
def test_samples_section_bad_input(samples, extra, name):
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        SweepSpec.from_dict(dict(CORRELATED, samples=samples, **extra))


def test_samples_need_the_linear_model():
    with pytest.raises(ValueError, match="argument `samples`"):
        SweepSpec.from_dict(
            dict(
                CORRELATED,
                model="random_features",
                samples=dict(kind="ar1", rho=0.5),
                grid=dict(CORRELATED["grid"], width=20),
                keep_seeds=False,
            )
        )
