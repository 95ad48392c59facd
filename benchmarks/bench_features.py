"""Benchmark: linear random-feature theory grid and Monte-Carlo curve vs per-point loops.

Cases
  * theory: ``rf_risk`` (N = 2000) and ``deep_rf_risk`` (widths 3000, 2000) on a 50 × 50
    (P, λ) grid (power-law data, D = 10⁴), three ways in one run: the loop a researcher writes
    today — SciPy ``brentq`` on the master equation in log κ₂ for every grid point, then the
    error formula (THEORY §3.3; κ₂ only for the deep model), timed on a subset of the grid and
    scaled to it —, one jitted ``vmap`` of the per-point solver, and the tabulated evaluators
    ``rf_risk_grid`` / ``deep_rf_risk_grid``; first call (trace + compile + run) and steady
    state of each, and the grid's largest relative difference from the per-point solver over
    every field.
  * Monte Carlo: ``rf_ridge_risk`` over a λ curve (one eigendecomposition per (X, F) draw, all
    draws vmapped); baseline: NumPy loop over seeds and λ with one ``numpy.linalg.solve`` of the
    feature-space normal equations per λ, timed on a subset of the seed pairs and reported per
    (fit, λ).

Compile time (first call) is reported apart from the steady state; steady-state times are the
median of several repeats (the machine is shared, so timings are noisy). Every timed JAX call is
blocked with ``block_until_ready``. Results are printed and written to
``benchmarks/results/bench_features.json``.

Usage: ``python benchmarks/bench_features.py [--quick]`` (``--quick`` runs in < 30 s).
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

import jaxridge

jaxridge.enable_float64()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from jaxridge import empirical, spectra, theory  # noqa: E402

CASES = {
    "full": dict(
        theory=dict(
            d=10_000,
            n=2000.0,
            grid_p=50,
            grid_lam=50,
            baseline_points=100,
            alpha=1.5,
            r=0.6,
            noise_var=0.04,
        ),
        mc=dict(
            d=1000,
            n=500,
            p=300,
            num_ridges=30,
            seeds=(4, 4),
            baseline_pairs=4,
            alpha=1.5,
            r=0.6,
            noise_var=0.04,
        ),
        repeats=3,
    ),
    "quick": dict(
        theory=dict(
            d=2000,
            n=400.0,
            grid_p=20,
            grid_lam=20,
            baseline_points=20,
            alpha=1.5,
            r=0.6,
            noise_var=0.04,
        ),
        mc=dict(
            d=300,
            n=200,
            p=150,
            num_ridges=10,
            seeds=(2, 2),
            baseline_pairs=2,
            alpha=1.5,
            r=0.6,
            noise_var=0.04,
        ),
        repeats=3,
    ),
}


def _timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ------------------------------------------------------------------------------------------
# Baselines.
# ------------------------------------------------------------------------------------------


def scipy_rf_test_error(e, w, n_feat, p, lam, noise_var, v):
    """E_g of isotropic LRF at one point: brentq on log h(κ₂) = log λ, then THEORY §3.3."""

    def n1(k):
        return np.sum(e / (e + k))

    m = min(p, n_feat)
    k0 = np.exp(brentq(lambda u: n1(np.exp(u)) - m, -80.0, 80.0, xtol=1e-14))

    def log_h(u):
        k = np.exp(u)
        n = n1(k)
        return u + np.log(1 - n / p) + np.log(v * (n_feat - n)) - np.log(lam)

    lo = np.log(k0) + 1e-10
    hi = lo + 1.0
    while log_h(hi) <= 0:
        hi += 2.0 * (hi - lo)
    k = np.exp(brentq(log_h, lo, hi, xtol=1e-14))
    n = n1(k)
    n2 = np.sum(e**2 / (e + k) ** 2)
    tau = 1.0 / (1.0 + (n - n2) / n * n / (n_feat - n))
    g1 = (n - (n - n2) * tau) / p
    tf1p = np.sum(w**2 * e / (e + k) ** 2)
    tf2 = np.sum(w**2 * e**2 / (e + k) ** 2)
    return (k**2 * tf1p + (1 - tau) * k * tf2 + noise_var * g1) / (1 - g1)


def numpy_mc_curve(rng, e, w, n_feat, p, lams, noise_var, pairs):
    """Per seed pair and per λ: np.linalg.solve of the N×N normal equations, then E_g."""
    d = e.size
    out = np.zeros((pairs, lams.size))
    for i in range(pairs):
        x = rng.standard_normal((p, d)) * np.sqrt(e)
        y = x @ w + np.sqrt(noise_var) * rng.standard_normal(p)
        f = rng.standard_normal((d, n_feat)) / np.sqrt(d)
        z = x @ f
        gram = z.T @ z / p
        rhs = z.T @ y / p
        for k, lam in enumerate(lams):
            a = np.linalg.solve(gram + lam * np.eye(n_feat), rhs)
            out[i, k] = np.sum(e * (f @ a - w) ** 2)
    return out


# ------------------------------------------------------------------------------------------


def scipy_deep_kappa2(e, widths, p, lam, v):
    """κ₂ of an isotropic deep LRF at one point: brentq on log h(κ₂) = log λ with
    h = κ₂ (1 − n/P) Π_ℓ v (N_ℓ − n) (the root only: a lower bound on a full loop's cost)."""

    def n1(k):
        return np.sum(e / (e + k))

    m = min([p, *widths])
    k0 = np.exp(brentq(lambda u: n1(np.exp(u)) - m, -80.0, 80.0, xtol=1e-14))

    def log_h(u):
        n = n1(np.exp(u))
        return u + np.log(1 - n / p) + sum(np.log(v * (x - n)) for x in widths) - np.log(lam)

    lo = np.log(k0) + 1e-10
    hi = lo + 1.0
    while log_h(hi) <= 0:
        hi += 2.0 * (hi - lo)
    return np.exp(brentq(log_h, lo, hi, xtol=1e-14))


def _first_and_steady(fn, repeats):
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn())
    first = time.perf_counter() - t0
    return out, first, _timed(fn, repeats)


def _max_rel_fields(a, b):
    """Largest relative difference over every RFRisk field (finite entries of ``b``)."""
    worst = 0.0
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        x, y = np.asarray(x), np.asarray(y)
        finite = np.isfinite(y) & (y != 0)
        worst = max(worst, float(np.max(np.abs(x[finite] / y[finite] - 1.0), initial=0.0)))
    return worst


def bench_theory(cfg, repeats):
    """rf_risk (one layer) and deep_rf_risk (two layers) on a (P, λ) grid: SciPy per-point loop,
    ``jit(vmap(per-point solver))`` and the tabulated grid evaluator, first call and steady."""
    e, w = spectra.power_law(cfg["d"], 1.5, 0.6)
    ps = jnp.geomspace(50.0, 20_000.0, cfg["grid_p"])
    lams = jnp.geomspace(1e-6, 1.0, cfg["grid_lam"])
    pp, ll = (a.ravel() for a in jnp.meshgrid(ps, lams, indexing="ij"))
    n_feat = cfg["n"]
    noise = cfg["noise_var"]
    widths = jnp.asarray([1.5 * n_feat, n_feat])
    num = pp.size
    en, wn = np.asarray(e), np.asarray(w)
    idx = np.linspace(0, num - 1, cfg["baseline_points"]).astype(int)
    v = 1.0 / cfg["d"]
    rows = []
    for deep in (False, True):
        if deep:
            point = jax.jit(
                jax.vmap(lambda p, lam: theory.deep_rf_risk(e, w, widths, p, lam, noise))
            )

            def tabulated():
                return theory.deep_rf_risk_grid(e, w, widths, ps[:, None], lams[None, :], noise)

            t0 = time.perf_counter()
            base_kappa = [
                scipy_deep_kappa2(en, np.asarray(widths), float(pp[i]), float(ll[i]), v)
                for i in idx
            ]
            base_time = time.perf_counter() - t0
            base_vals, field = np.asarray(base_kappa), "kappa2"
            label = f"deep_rf_risk, widths ({int(widths[0])}, {int(widths[1])})"
            baseline = "scipy brentq per point, kappa2 only (python loop)"
        else:
            point = jax.jit(jax.vmap(lambda p, lam: theory.rf_risk(e, w, n_feat, p, lam, noise)))

            def tabulated():
                return theory.rf_risk_grid(e, w, n_feat, ps[:, None], lams[None, :], noise)

            t0 = time.perf_counter()
            base_vals = np.asarray(
                [
                    scipy_rf_test_error(en, wn, n_feat, float(pp[i]), float(ll[i]), noise, v)
                    for i in idx
                ]
            )
            base_time = time.perf_counter() - t0
            field = "test"
            label = f"rf_risk, N={int(n_feat)}"
            baseline = "scipy brentq per point + error formula (python loop)"
        per_point, first_point, steady_point = _first_and_steady(
            functools.partial(point, pp, ll), repeats
        )
        table, first_grid, steady_grid = _first_and_steady(tabulated, repeats)
        table_flat = jax.tree.map(lambda x: x.reshape(-1), table)
        base_per_point = base_time / idx.size
        rows.append(
            dict(
                case=f"{label}: {cfg['grid_p']}x{cfg['grid_lam']} (P, lambda) grid, D={cfg['d']}",
                points=num,
                baseline=baseline,
                baseline_points=int(idx.size),
                baseline_s_per_point=base_per_point,
                baseline_grid_s=base_per_point * num,
                vmap_first_s=first_point,
                vmap_steady_s=steady_point,
                grid_first_s=first_grid,
                grid_steady_s=steady_grid,
                grid_vs_baseline=base_per_point * num / steady_grid,
                vmap_vs_baseline=base_per_point * num / steady_point,
                grid_vs_vmap=steady_point / steady_grid,
                grid_max_rel_vs_vmap_all_fields=_max_rel_fields(table_flat, per_point),
                max_rel_vs_baseline=float(
                    np.max(np.abs(np.asarray(getattr(table_flat, field))[idx] / base_vals - 1))
                ),
                baseline_field=field,
            )
        )
    return rows


def bench_mc(cfg, repeats):
    e, w = spectra.power_law(cfg["d"], cfg["alpha"], cfg["r"])
    lams = jnp.geomspace(1e-4, 1.0, cfg["num_ridges"])
    n_x, n_f = cfg["seeds"]
    key = jax.random.key(0)

    def run():
        return empirical.rf_ridge_risk(
            key,
            e,
            w,
            cfg["n"],
            cfg["p"],
            lams,
            cfg["noise_var"],
            num_data_seeds=n_x,
            num_feature_seeds=n_f,
        ).test

    t0 = time.perf_counter()
    jax.block_until_ready(run())
    first = time.perf_counter() - t0
    steady = _timed(run, repeats)
    fit_lams = n_x * n_f * lams.size
    jax_rate = fit_lams / steady

    rng = np.random.default_rng(0)
    pairs = cfg["baseline_pairs"]
    t0 = time.perf_counter()
    numpy_mc_curve(
        rng,
        np.asarray(e),
        np.asarray(w),
        cfg["n"],
        cfg["p"],
        np.asarray(lams),
        cfg["noise_var"],
        pairs,
    )
    base_time = time.perf_counter() - t0
    base_rate = pairs * lams.size / base_time
    return dict(
        case=f"rf_ridge_risk curve: D={cfg['d']}, N={cfg['n']}, P={cfg['p']}, "
        f"{cfg['num_ridges']} ridges, {n_x}x{n_f} seeds (with two-way decomposition)",
        compile_plus_first_s=first - steady,
        steady_s=steady,
        jax_fit_ridges_per_s=jax_rate,
        baseline="numpy loop: per seed pair, per ridge np.linalg.solve (N x N)",
        baseline_pairs=pairs,
        baseline_fit_ridges_per_s=base_rate,
        speedup=jax_rate / base_rate,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (< 30 s)")
    parser.add_argument("--json", default=None, help="output JSON path")
    args = parser.parse_args()
    cfg = CASES["quick" if args.quick else "full"]
    theory_rows = bench_theory(cfg["theory"], cfg["repeats"])
    print(
        f"{'theory case':<70} {'SciPy loop s':>12} {'vmap 1st s':>10} {'vmap s':>8} "
        f"{'grid 1st s':>10} {'grid s':>8} {'grid/SciPy':>10} {'grid/vmap':>9} {'rel diff':>9}"
    )
    for row in theory_rows:
        print(
            f"{row['case']:<70} {row['baseline_grid_s']:12.2f} {row['vmap_first_s']:10.2f} "
            f"{row['vmap_steady_s']:8.3f} {row['grid_first_s']:10.2f} {row['grid_steady_s']:8.3f} "
            f"{row['grid_vs_baseline']:10.1f} {row['grid_vs_vmap']:9.1f} "
            f"{row['grid_max_rel_vs_vmap_all_fields']:9.1e}"
        )
    print(
        "(SciPy loop: timed on a subset of points, scaled to the grid; rel diff: the grid's "
        "largest relative difference from vmap(per-point) over every field and point)"
    )
    mc = bench_mc(cfg["mc"], cfg["repeats"])
    rows = [*theory_rows, mc]
    print(
        f"{'Monte-Carlo case':<70} {'compile s':>9} {'steady s':>9} {'jax rate/s':>12} "
        f"{'base rate/s':>12} {'ratio':>8}"
    )
    print(
        f"{mc['case']:<70} {mc['compile_plus_first_s']:9.2f} {mc['steady_s']:9.3f} "
        f"{mc['jax_fit_ridges_per_s']:12.1f} {mc['baseline_fit_ridges_per_s']:12.1f} "
        f"{mc['speedup']:8.1f}"
    )
    device = jax.devices()[0]
    meta = dict(
        benchmark="bench_features",
        mode="quick" if args.quick else "full",
        jax=jax.__version__,
        backend=jax.default_backend(),
        device=str(device.device_kind),
        dtype="float64",
        machine=dict(
            platform=platform.platform(),
            processor=platform.processor(),
            python=platform.python_version(),
        ),
        timing="steady: median of repeats; *_first_s: first call (trace + compile + run); "
        "compile_plus_first_s (Monte Carlo) = first call minus steady state",
    )
    result = dict(meta=meta, results=rows)
    out = (
        Path(args.json)
        if args.json
        else Path(__file__).parent
        / "results"
        / ("bench_features_quick.json" if args.quick else "bench_features.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
