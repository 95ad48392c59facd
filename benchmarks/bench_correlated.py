"""Correlated samples (THEORY §9): the deterministic equivalent on a (P, λ) grid, jaxridge vs a
SciPy per-point loop, side by side in one run.

Case: power-law Σ (α = 1.5, r = 0.4) with N terms, the P → ∞ AR(1) sample correlation (ρ = 0.9)
as M symbol values (one K spectrum serves every P), noise correlated like the samples,
σ² = 0.05, P log-spaced in [10, 10⁵], λ in [1e-8, 1]. Timed:

* ``jit(vmap(correlated_ridge_risk))`` over the flattened grid — first call (trace + compile +
  run) and steady state (median of repeated, blocked runs);
* the baseline a researcher writes today: per point, ``scipy.optimize.brentq`` on the same
  equation G(log κ) = log n₁^K(λP/(κ n)) − log n₁^Σ(κ) with NumPy sums, then E_g and E_tr in
  NumPy, in a Python loop — timed on an evenly spread subset and scaled to the grid.

And the Monte Carlo: a correlated learning curve (AR(1) ρ = 0.9 as a dense K, noise ∝ K, every
ridge with CorrGCV) by ``empirical.learning_curve(..., sample_cov=K)`` — one compiled program,
first call and steady — against the NumPy loop a researcher writes: per (P, seed) a Cholesky-
correlated draw, ``numpy.linalg.eigh`` of the smaller Gram/covariance matrix, every ridge in
closed form, CorrGCV's κ̃̂ by ``brentq``.

Usage: ``python benchmarks/bench_correlated.py [--quick] [--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

CASES = {
    "full": dict(num_features=5_000, num_symbol=2_000, grid=(40, 40), baseline_points=200),
    "quick": dict(num_features=500, num_symbol=200, grid=(8, 8), baseline_points=16),
}
MC_CASES = {
    "full": dict(num_features=500, sizes=(20, 1000, 8), seeds=10, ridges=20),
    "quick": dict(num_features=40, sizes=(10, 80, 3), seeds=2, ridges=3),
}
ALPHA, R, RHO, NOISE = 1.5, 0.4, 0.9, 0.05
REPEATS = 5


def scipy_point(e, w, k, p, lam, noise):
    """One point with SciPy: κ by Brent's method in log κ, then the errors of THEORY §9.3."""
    weight = p / k.shape[0]

    def g(u):
        kappa = np.exp(u)
        n = np.sum(e / (e + kappa))
        kt = lam * p / (kappa * n)
        return np.log(weight * np.sum(k / (k + kt))) - np.log(n)

    kappa = np.exp(brentq(g, -60.0, 60.0, xtol=1e-14, rtol=1e-14))
    r = e / (e + kappa)
    n, n2 = r.sum(), (r * r).sum()
    kt = lam * p / (kappa * n)
    rk = k / (k + kt)
    n2k = weight * np.sum(rk * rk)
    gamma = (n2 / n) * (n2k / n)
    bias = kappa**2 * np.sum(w**2 * e / (e + kappa) ** 2)
    test = (bias + noise * n2 * n2k / n**2) / (1.0 - gamma)
    return kappa, test


def numpy_curve(e, w, k_matrix, sizes, ridges, noise, seeds, rng):
    """The NumPy loop: mean E_g and mean CorrGCV estimate of E_g per (P, λ)."""
    root = np.linalg.cholesky(k_matrix)
    n = e.shape[0]
    test = np.zeros((len(sizes), len(ridges)))
    corr = np.zeros_like(test)
    for i, p in enumerate(sizes):
        k = np.linalg.eigvalsh(k_matrix[:p, :p])
        for _ in range(seeds):
            z = rng.standard_normal((p, n + 1))
            draw = root[:p, :p] @ z
            x = draw[:, 1:] * np.sqrt(e)
            y = x @ w + np.sqrt(noise) * draw[:, 0]
            if p <= n:  # Gram side: ŵ = Xᵀ(XXᵀ + λP)⁻¹y
                g, u = np.linalg.eigh(x @ x.T / p)
                b = u.T @ y
                coef = u @ (b[None, :] / (g[None, :] + ridges[:, None])).T / p  # (P, L)
                what = (x.T @ coef).T
            else:
                g, v = np.linalg.eigh(x.T @ x / p)
                b = v.T @ (x.T @ y / p)
                what = (v @ (b[None, :] / (g[None, :] + ridges[:, None])).T).T
            test[i] += np.sum(e * (what - w) ** 2, axis=1) / seeds
            train = np.mean((y[None, :] - what @ x.T) ** 2, axis=1)
            df = np.sum(g[None, :] / (g[None, :] + ridges[:, None]), axis=1)
            for j, d in enumerate(df):
                kt = np.exp(brentq(lambda v, d=d, k=k: np.sum(k / (k + np.exp(v))) - d, -60, 60))
                t_k = np.sum(k * (kt / (k + kt)) ** 2) / p
                corr[i, j] += (train[j] / t_k - noise) / seeds
    return test, corr


def monte_carlo_section(quick: bool) -> dict:
    import jax
    import jax.numpy as jnp

    from jaxridge import empirical, spectra

    case = MC_CASES["quick" if quick else "full"]
    n = case["num_features"]
    sizes = np.unique(np.geomspace(*case["sizes"]).astype(int))
    ridges = np.geomspace(1e-4, 1.0, case["ridges"])
    e, w = spectra.power_law(n, ALPHA, R)
    k_matrix = spectra.correlation_matrix("ar1", int(sizes.max()), RHO)

    def run(key):
        return empirical.learning_curve(
            key, e, w, sizes, jnp.asarray(ridges), NOISE, case["seeds"], sample_cov=k_matrix
        )

    t0 = time.perf_counter()
    out = jax.block_until_ready(run(jax.random.key(0)))
    first = time.perf_counter() - t0
    runs = []
    for r in range(1, 1 + REPEATS // 2):
        t0 = time.perf_counter()
        jax.block_until_ready(run(jax.random.key(r)))
        runs.append(time.perf_counter() - t0)
    steady = statistics.median(runs)
    t0 = time.perf_counter()
    base_test, base_corr = numpy_curve(
        np.asarray(e),
        np.asarray(w),
        np.asarray(k_matrix),
        sizes,
        ridges,
        NOISE,
        case["seeds"],
        np.random.default_rng(0),
    )
    base_s = time.perf_counter() - t0
    ours_test = np.asarray(out.test).mean(axis=1)
    ours_corr = np.asarray(out.corrgcv).mean(axis=1)
    return dict(
        num_features=n,
        sizes=sizes.tolist(),
        seeds=case["seeds"],
        ridges=len(ridges),
        jaxridge=dict(first_call_s=first, steady_s=steady),
        numpy_loop_s=base_s,
        speedup_steady=base_s / steady,
        speedup_first_call=base_s / first,
        # Different random draws: seed means agree statistically, not digit by digit.
        median_ratio_test=float(np.median(ours_test / base_test)),
        median_ratio_corrgcv=float(np.median(ours_corr / base_corr)),
    )


def _time(fn, *args):
    import jax

    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    first = time.perf_counter() - t0
    runs = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = jax.block_until_ready(fn(*args))
        runs.append(time.perf_counter() - t0)
    return out, first, statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small case for smoke tests")
    parser.add_argument("--json", default=None, help="output JSON path")
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp

    import jaxridge
    from jaxridge import spectra, theory

    jaxridge.enable_float64()
    case = CASES["quick" if args.quick else "full"]
    n, m = case["num_features"], case["num_symbol"]
    n_p, n_l = case["grid"]
    e, w = spectra.power_law(n, ALPHA, R)
    k = spectra.ar1_correlation(m, RHO, infinite=True)
    ps, lams = np.logspace(1, 5, n_p), np.logspace(-8, 0, n_l)
    grid_p, grid_l = (a.ravel() for a in np.meshgrid(ps, lams, indexing="ij"))
    points = n_p * n_l

    solve = jax.jit(
        jax.vmap(
            lambda p, lam: theory.correlated_ridge_risk(e, w, k, p, lam, NOISE, throw=False),
        )
    )
    out, first, steady = _time(solve, jnp.asarray(grid_p), jnp.asarray(grid_l))
    converged = bool(jnp.all(out.converged))

    e64, w64, k64 = (np.asarray(a, np.float64) for a in (e, w, k))
    idx = np.linspace(0, points - 1, case["baseline_points"]).astype(int)
    t0 = time.perf_counter()
    base = [scipy_point(e64, w64, k64, grid_p[i], grid_l[i], NOISE) for i in idx]
    per_point = (time.perf_counter() - t0) / len(idx)
    base_kappa = np.array([b[0] for b in base])
    base_test = np.array([b[1] for b in base])
    ours_kappa = np.asarray(out.kappa)[idx]
    ours_test = np.asarray(out.test)[idx]
    result = dict(
        num_features=n,
        num_symbol=m,
        grid=[n_p, n_l],
        jaxridge=dict(
            first_call_s=first,
            steady_s=steady,
            points_per_s=points / steady,
            all_converged=converged,
            max_num_steps=int(jnp.max(out.num_steps)),
        ),
        scipy_loop=dict(per_point_s=per_point, grid_s=per_point * points, subset=len(idx)),
        speedup_steady=per_point * points / steady,
        speedup_first_call=per_point * points / first,
        max_rel_diff_kappa=float(np.max(np.abs(ours_kappa - base_kappa) / base_kappa)),
        max_rel_diff_test=float(np.max(np.abs(ours_test - base_test) / base_test)),
    )
    dev = jax.devices()[0]
    meta = dict(
        jax=jax.__version__,
        backend=jax.default_backend(),
        device=f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
        dtype="float64",
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
        cpu_count=os.cpu_count(),
        quick=args.quick,
    )
    print(
        f"correlated-samples theory grid — jax {meta['jax']}, {meta['backend']}, float64, "
        f"grid {n_p}x{n_l}, N={n}, M={m} (AR(1) ρ={RHO} symbol)"
    )
    header = f"{'method':>28} {'first call s':>13} {'steady s':>9} {'points/s':>10} {'vs SciPy':>9}"
    print(header)
    print("-" * len(header))
    base_s = per_point * points
    print(
        f"{'scipy brentq loop':>28} {base_s:13.2f} {base_s:9.2f} {1 / per_point:10.0f} {1.0:9.1f}"
    )
    print(
        f"{'jit(vmap(correlated_ridge_risk))':>28} {first:13.2f} {steady:9.3f} "
        f"{points / steady:10.0f} {result['speedup_steady']:9.1f}"
    )
    print(
        f"(SciPy timed on {len(idx)} evenly spread points, scaled to the grid; max rel. diff "
        f"κ {result['max_rel_diff_kappa']:.1e}, E_g {result['max_rel_diff_test']:.1e}; "
        f"all converged: {converged}, max Newton steps {result['jaxridge']['max_num_steps']})"
    )
    mc = monte_carlo_section(args.quick)
    print(
        f"\ncorrelated Monte-Carlo learning curve — N={mc['num_features']}, "
        f"{len(mc['sizes'])} sizes up to P={max(mc['sizes'])}, {mc['seeds']} seeds, "
        f"{mc['ridges']} ridges, AR(1) ρ={RHO} K, CorrGCV per cell"
    )
    header = f"{'method':>40} {'first call s':>13} {'steady s':>9} {'vs NumPy':>9}"
    print(header)
    print("-" * len(header))
    print(
        f"{'numpy loop (eigh per cell, brentq κ̃)':>40} {mc['numpy_loop_s']:13.2f} "
        f"{mc['numpy_loop_s']:9.2f} {1.0:9.1f}"
    )
    print(
        f"{'learning_curve(sample_cov=K)':>40} {mc['jaxridge']['first_call_s']:13.2f} "
        f"{mc['jaxridge']['steady_s']:9.2f} {mc['speedup_steady']:9.1f}"
    )
    print(
        f"(different draws: median ratio of seed-mean E_g {mc['median_ratio_test']:.3f}, "
        f"of CorrGCV {mc['median_ratio_corrgcv']:.3f})"
    )
    result["monte_carlo"] = mc
    name = "bench_correlated_quick.json" if args.quick else "bench_correlated.json"
    path = Path(args.json) if args.json else Path(__file__).parent / "results" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(meta=meta, results=[result]), indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
