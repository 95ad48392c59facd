"""Deterministic-equivalent theory on a (P, λ) grid: jaxridge vs a SciPy per-point loop.

Cases: a power-law spectrum of N terms, a P × λ grid (P log-spaced in [1, 10⁶], λ in
[1e-12, 1e2]), σ² = 0.01. Timed, each in the same run:

* ``vmap(ridge_risk)`` — the generic per-point solver, jitted over the whole grid;
* ``ridge_risk_grid`` — the tabulated grid evaluator (one table per spectrum serves every
  point), when available;
* the baseline a researcher writes today: for each (P, λ), ``scipy.optimize.root_scalar``
  (Newton, analytic derivative) on κ(1 − n₁(κ)/P) − λ with NumPy sums, then E_g, E_tr in NumPy,
  in a Python loop — timed on an evenly spread subset of the grid and reported per point.

Compile time is reported apart; steady state is the median of repeated, blocked runs.
"spectral-term evaluations/s" counts grid points × N per second (one pass over the spectrum
per point), a measure of useful throughput independent of the solver's iteration count.

Usage: ``python benchmarks/bench_theory.py [--quick] [--float32] [--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from scipy.optimize import root_scalar

CASES = {
    "full": dict(num_features=10_000, grid=(100, 100), alphas=(1.5, 2.0), baseline_points=300),
    "quick": dict(num_features=2_000, grid=(20, 20), alphas=(1.5,), baseline_points=60),
}
R, NOISE = 0.4, 0.01
REPEATS = 5


def scipy_point(e, w, p, lam, noise):
    """One grid point the way it is done today: SciPy Newton on the κ equation, NumPy sums."""

    def f(k):
        return k * (1.0 - np.sum(e / (e + k)) / p) - lam

    def fprime(k):
        t = e / (e + k)
        return 1.0 - np.sum(t * t) / p

    k = root_scalar(f, fprime=fprime, x0=lam + e.sum() / p, method="newton", rtol=1e-12).root
    t = e / (e + k)
    n1, n2 = t.sum(), (t * t).sum()
    gamma = n2 / p
    bias = k**2 * np.sum(w**2 * e / (e + k) ** 2)
    test = (bias + noise * gamma) / (1.0 - gamma)
    train = (1.0 - n1 / p) ** 2 * (test + noise)
    return k, test, train


def _time(fn, *args):
    import jax

    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    first = time.perf_counter() - t0
    runs = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = jax.block_until_ready(fn(*args))
        runs.append(time.perf_counter() - t0)
    steady = statistics.median(runs)
    return out, max(first - steady, 0.0), steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small case for smoke tests")
    parser.add_argument("--float32", action="store_true", help="compute in float32")
    parser.add_argument("--json", default=None, help="output JSON path")
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp

    import jaxridge
    from jaxridge import spectra, theory

    if not args.float32:
        jaxridge.enable_float64()
    case = CASES["quick" if args.quick else "full"]
    dtype = jnp.float32 if args.float32 else jnp.float64
    n = case["num_features"]
    n_p, n_l = case["grid"]
    ps = jnp.logspace(0, 6, n_p, dtype=dtype)
    lams = jnp.logspace(-12, 2, n_l, dtype=dtype)
    grid_p, grid_l = (a.ravel() for a in jnp.meshgrid(ps, lams, indexing="ij"))
    points = n_p * n_l

    per_point = jax.jit(jax.vmap(theory.ridge_risk, (None, None, 0, 0, None)))
    grid_fn = getattr(theory, "ridge_risk_grid", None)
    tabulated = (
        jax.jit(lambda e, w, p, lam, s: grid_fn(e, w, p[:, None], lam[None, :], s))
        if grid_fn is not None
        else None
    )

    rows = []
    for alpha in case["alphas"]:
        e, w = spectra.power_law(n, alpha, R, dtype=dtype)
        out, compile_s, steady_s = _time(per_point, e, w, grid_p, grid_l, NOISE)
        result = dict(alpha=alpha, num_features=n, grid=[n_p, n_l])
        result["vmap_ridge_risk"] = dict(
            compile_s=compile_s,
            steady_s=steady_s,
            points_per_s=points / steady_s,
            term_evals_per_s=points * n / steady_s,
        )
        if tabulated is not None:
            out_t, c_t, s_t = _time(tabulated, e, w, ps, lams, NOISE)
            rel = np.max(
                np.abs(np.asarray(out_t.test).ravel() - np.asarray(out.test))
                / np.abs(np.asarray(out.test))
            )
            result["ridge_risk_grid"] = dict(
                compile_s=c_t,
                steady_s=s_t,
                points_per_s=points / s_t,
                term_evals_per_s=points * n / s_t,
                max_rel_diff_test_vs_vmap=float(rel),
            )

        # Baseline on an evenly spread subset of the grid.
        e64, w64 = np.asarray(e, np.float64), np.asarray(w, np.float64)
        idx = np.linspace(0, points - 1, case["baseline_points"]).astype(int)
        gp, gl = np.asarray(grid_p, np.float64), np.asarray(grid_l, np.float64)
        t0 = time.perf_counter()
        base = [scipy_point(e64, w64, gp[i], gl[i], NOISE) for i in idx]
        base_s = (time.perf_counter() - t0) / len(idx)
        base_k = np.array([b[0] for b in base])
        k_ours = np.asarray(out.kappa, np.float64)[idx]
        result["scipy_loop"] = dict(
            per_point_s=base_s,
            points_per_s=1.0 / base_s,
            subset=len(idx),
            max_rel_diff_kappa_vs_jaxridge=float(np.max(np.abs(base_k - k_ours) / k_ours)),
        )
        result["speedup_vmap"] = base_s * points / steady_s
        if tabulated is not None:
            result["speedup_grid"] = base_s * points / result["ridge_risk_grid"]["steady_s"]
        rows.append(result)

    dev = jax.devices()[0]
    meta = dict(
        jax=jax.__version__,
        backend=jax.default_backend(),
        device=f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
        dtype=jnp.dtype(dtype).name,
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
        cpu_count=__import__("os").cpu_count(),
        quick=args.quick,
    )
    print(
        f"theory grid benchmark — jax {meta['jax']}, {meta['backend']} ({meta['device']}), "
        f"{meta['dtype']}, grid {n_p}x{n_l}, N={n}"
    )
    header = (
        f"{'alpha':>5} {'method':>18} {'compile s':>10} {'steady s':>9} "
        f"{'points/s':>10} {'terms/s':>9} {'vs SciPy':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        base = r["scipy_loop"]
        print(
            f"{r['alpha']:5.2f} {'scipy loop':>18} {'-':>10} {base['per_point_s'] * points:9.2f} "
            f"{base['points_per_s']:10.0f} {base['points_per_s'] * n:9.2e} {1.0:9.1f}"
        )
        for key, label in (
            ("vmap_ridge_risk", "vmap(ridge_risk)"),
            ("ridge_risk_grid", "ridge_risk_grid"),
        ):
            if key not in r:
                continue
            m = r[key]
            print(
                f"{r['alpha']:5.2f} {label:>18} {m['compile_s']:10.2f} {m['steady_s']:9.3f} "
                f"{m['points_per_s']:10.0f} {m['term_evals_per_s']:9.2e} "
                f"{base['per_point_s'] * m['points_per_s']:9.1f}"
            )
    print(
        "(SciPy loop timed on an evenly spread subset of "
        f"{rows[0]['scipy_loop']['subset']} points and scaled to the grid)"
    )
    path = (
        Path(args.json)
        if args.json
        else (
            Path(__file__).parent
            / "results"
            / ("bench_theory_quick.json" if args.quick else "bench_theory.json")
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(meta=meta, results=rows), indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
