"""Benchmark: a figure-sized Monte-Carlo learning curve, jaxridge vs the loops written today.

Case (module-level ``CASES``): power law α = 2, r = 1.8, N = 2000 features, 20 sample sizes
log-spaced from 10 to N, 30 seeds, 30 ridges (``--quick``: a small version that runs in < 30 s).

Timed in the same run:

* **jaxridge** ``learning_curve``: one compiled program (compile time reported apart), steady
  state = median of ``--repeats`` blocked calls;
* **(a) NumPy loop**: for each seed, P and λ build ``XᵀX/P + λI`` and ``np.linalg.solve`` (the
  primal form), plus **(a′)** the same loop on the smaller of the primal and dual systems;
* **(b) scikit-learn** ``Ridge(alpha=P·λ, fit_intercept=False)`` per λ (sklearn minimises
  ‖y − Xw‖² + α‖w‖², i.e. our objective times P with α = Pλ).

The full baselines would take hours on 2 cores, so they are timed on a documented subset of
cells (every sample size, seed 0, ``BASELINE_RIDGES`` of the ridges) and extrapolated per cell:
the cost of one (seed, P, λ) solve does not depend on the seed or on λ. Data generation is not
timed for the baselines (they get the very training sets jaxridge draws, as NumPy arrays), which
favours them. The test errors of the baselines are compared with jaxridge's on those cells.

The bare-``eigh`` time (the same batched eigendecompositions, alone) bounds what any
eigendecomposition-based engine can do; the rest of jaxridge's time is sampling, Gram products
and the per-ridge algebra. Timings on a shared machine are noisy: medians of repeats.

Usage: ``python benchmarks/bench_empirical.py [--quick] [--float32] [--repeats K]``.
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

CASES = {
    "full": dict(num_features=2000, num_sizes=20, min_samples=10, num_seeds=30, num_ridges=30),
    "quick": dict(num_features=200, num_sizes=6, min_samples=10, num_seeds=3, num_ridges=10),
    # The figure-sized curve at the GPU size of the benchmark's definition (N = 10⁴).
    "gpu": dict(
        num_features=10_000,
        num_sizes=20,
        min_samples=10,
        # 3 seeds, not the figure's 30: float64 eigendecompositions up to 10⁴ × 10⁴ take ~2 s
        # per seed on an H100, and at this size one seed fills the GPU, so the time per cell
        # does not depend on the seed count.
        num_seeds=3,
        num_ridges=30,
        max_bytes=30_000_000_000,  # one seed at P = N = 10⁴ needs 5.6 GB
    ),
}
ALPHA, R, NOISE_VAR = 2.0, 1.8, 1e-2
RIDGE_RANGE = (1e-6, 1.0)  # log-spaced; λ = 0 is excluded because the solve baseline fails there
BASELINE_RIDGES = 3  # ridges per cell timed for the baselines (first, middle, last)


def _blocked(fn, *args, **kwargs):
    import jax

    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    jax.block_until_ready(out)
    return out, time.perf_counter() - t0


def _baseline_cells(X, y, e, w, ridges, how):
    """Test errors of one training set for some ridges (``how``: primal, smaller, sklearn)."""
    from sklearn.linear_model import Ridge

    p, n = X.shape
    errs = []
    for lam in ridges:
        if how == "primal" or (how == "smaller" and p >= n):
            what = np.linalg.solve(X.T @ X / p + lam * np.eye(n), X.T @ y / p)
        elif how == "smaller":
            what = X.T @ np.linalg.solve(X @ X.T / p + lam * np.eye(p), y) / p
        else:
            what = Ridge(alpha=p * lam, fit_intercept=False).fit(X, y).coef_
        errs.append(np.sum(e * (what - w) ** 2))
    return np.array(errs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small case, < 30 s")
    parser.add_argument("--case", choices=sorted(CASES), default=None, help="case (default full)")
    parser.add_argument("--json", default=None, help="output JSON path")
    parser.add_argument("--float32", action="store_true", help="run jaxridge in float32")
    parser.add_argument(
        "--baseline-ridges",
        type=int,
        default=BASELINE_RIDGES,
        help="ridges per cell timed for the baselines (then extrapolated)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="steady-state repeats (median)")
    parser.add_argument("--seeds", type=int, default=None, help="override the number of seeds")
    args = parser.parse_args()

    import jax

    import jaxridge
    from jaxridge import spectra
    from jaxridge._batching import bucket_ladder
    from jaxridge.empirical import learning_curve, sample_data

    if not args.float32:
        jaxridge.enable_float64()
    import jax.numpy as jnp

    case_name = args.case or ("quick" if args.quick else "full")
    case = dict(CASES[case_name])
    if args.seeds is not None:
        case["num_seeds"] = args.seeds
    n, s, nr = case["num_features"], case["num_seeds"], case["num_ridges"]
    dtype = jnp.float32 if args.float32 else jnp.float64
    e, w = spectra.power_law(n, ALPHA, R, dtype=dtype)
    sizes = np.unique(np.round(np.geomspace(case["min_samples"], n, case["num_sizes"])).astype(int))
    ridges = jnp.asarray(np.geomspace(*RIDGE_RANGE, nr), dtype)
    key = jax.random.key(0)
    cells = len(sizes) * s * nr

    # jaxridge: first call = trace + compile + run; then steady state.
    budget = dict(max_bytes=case.get("max_bytes"))
    curve, first = _blocked(learning_curve, key, e, w, sizes, ridges, NOISE_VAR, s, **budget)
    print(f"first call (compile + run): {first:.2f} s", flush=True)
    steady_runs = [
        _blocked(learning_curve, key, e, w, sizes, ridges, NOISE_VAR, s, **budget)[1]
        for _ in range(args.repeats)
    ]
    steady = statistics.median(steady_runs)
    print(f"steady: {steady:.3f} s ({cells / steady:.1f} cells/s)", flush=True)
    compile_time = max(first - steady, 0.0)

    # Bare batched eigh of the same sizes (each P uses its bucket, min(N, bucket) square).
    ladder = np.array(bucket_ladder(int(sizes.max()), 1.5))
    bucket = np.array([ladder[np.sum(ladder >= p) - 1] for p in sizes])
    eigh = jax.jit(jnp.linalg.eigh)
    eigh_time = 0.0
    # The matrices are Gram/covariance matrices of the same power-law data (eigh's cost depends
    # on the spectrum through deflation, so a generic random matrix would not be comparable).
    # Large cases time a group of seeds that fits in ~2 GB and scale to all seeds (eigh's cost
    # is linear in the batch).
    for b, count in zip(*np.unique(bucket, return_counts=True), strict=True):
        group = int(max(1, min(s, 2e9 // (int(b) * n * jnp.dtype(dtype).itemsize))))
        x = jax.random.normal(jax.random.key(1), (group, int(b), n), dtype) * jnp.sqrt(e)
        if b <= n:
            a = jnp.einsum("sik,sjk->sij", x, x, precision="highest") / b
        else:
            a = jnp.einsum("sik,sil->skl", x, x, precision="highest") / b
        del x
        _blocked(eigh, a)
        eigh_time += (count * s / group) * statistics.median(
            [_blocked(eigh, a)[1] for _ in range(max(1, args.repeats))]
        )
        print(f"eigh bucket {int(b)}: running total {eigh_time:.3f} s", flush=True)

    # Baselines on the subset: seed 0, every P, BASELINE_RIDGES ridges.
    pick = np.unique(np.linspace(0, nr - 1, args.baseline_ridges).round().astype(int))
    if args.baseline_ridges == 1:
        pick = np.array([nr // 2])
    sub_ridges = np.asarray(ridges, np.float64)[pick]
    en, wn = np.asarray(e, np.float64), np.asarray(w, np.float64)
    base_time = {"primal": 0.0, "smaller": 0.0, "sklearn": 0.0}
    max_rel = {k: 0.0 for k in base_time}
    for i, p in enumerate(sizes):
        X, y = sample_data(jax.random.fold_in(key, 0), e, w, int(p), NOISE_VAR)
        X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
        ours = np.asarray(curve.test[i, 0], np.float64)[pick]
        for how in base_time:
            t0 = time.perf_counter()
            errs = _baseline_cells(X, y, en, wn, sub_ridges, how)
            base_time[how] += time.perf_counter() - t0
            max_rel[how] = max(max_rel[how], float(np.max(np.abs(errs / ours - 1.0))))
    # Extrapolate: the subset has one seed and len(pick) ridges per P.
    scale = s * nr / len(pick)
    base_full = {k: v * scale for k, v in base_time.items()}

    rows = [
        ("jaxridge steady", steady, cells / steady, 1.0),
        ("jaxridge compile", compile_time, float("nan"), float("nan")),
        ("bare batched eigh", eigh_time, float("nan"), eigh_time / steady),
        (
            "(a) NumPy primal solve*",
            base_full["primal"],
            cells / base_full["primal"],
            base_full["primal"] / steady,
        ),
        (
            "(a') NumPy smaller solve*",
            base_full["smaller"],
            cells / base_full["smaller"],
            base_full["smaller"] / steady,
        ),
        (
            "(b) sklearn Ridge*",
            base_full["sklearn"],
            cells / base_full["sklearn"],
            base_full["sklearn"] / steady,
        ),
    ]
    print(f"case: {case_name}  N={n}  P={sizes.tolist()}")
    print(
        f"seeds={s} ridges={nr} cells={cells} dtype={jnp.dtype(dtype).name} "
        f"backend={jax.default_backend()} repeats={args.repeats} (median)"
    )
    print(f"{'method':28s} {'time [s]':>12s} {'cells/s':>12s} {'ratio':>10s}")
    for name, t, rate, ratio in rows:
        print(f"{name:28s} {t:12.3f} {rate:12.1f} {ratio:10.2f}")
    print("ratio = time / jaxridge steady time (for eigh: fraction of jaxridge's time).")
    print(
        f"* extrapolated from {len(sizes)} sizes x 1 seed x {len(pick)} ridges "
        f"(x{scale:g}); measured subset times: "
        + ", ".join(f"{k} {v:.2f} s" for k, v in base_time.items())
    )
    print(
        "max relative difference of E_g vs jaxridge on the subset: "
        + ", ".join(f"{k} {v:.1e}" for k, v in max_rel.items())
    )

    result = dict(
        case=case_name,
        num_features=n,
        num_samples_grid=sizes.tolist(),
        num_seeds=s,
        num_ridges=nr,
        alpha=ALPHA,
        r=R,
        noise_var=NOISE_VAR,
        cells=cells,
        jaxridge=dict(
            first_call_s=first,
            compile_s=compile_time,
            steady_s=steady,
            steady_runs_s=steady_runs,
            cells_per_s=cells / steady,
        ),
        bare_eigh_s=eigh_time,
        eigh_fraction=eigh_time / steady,
        baselines_extrapolated_s=base_full,
        baselines_subset_s=base_time,
        baseline_subset=dict(seeds=1, sizes=len(sizes), ridges=len(pick), scale=scale),
        speedup=dict((k, v / steady) for k, v in base_full.items()),
        max_rel_diff_test_error=max_rel,
        jax_version=jax.__version__,
        backend=jax.default_backend(),
        device=str(jax.devices()[0]),
        dtype=jnp.dtype(dtype).name,
        machine=dict(
            platform=platform.platform(),
            processor=platform.processor(),
            cpu_count=os.cpu_count(),
            python=platform.python_version(),
        ),
    )
    out = Path(__file__).parent / "results" / "bench_empirical.json"
    if case_name != "full":
        out = out.with_name(f"bench_empirical_{case_name}.json")
    out = Path(args.json) if args.json else out
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(
        jax=result.pop("jax_version"),
        backend=result.pop("backend"),
        device=result.pop("device"),
        dtype=result.pop("dtype"),
        machine=result.pop("machine"),
    )
    out.write_text(json.dumps(dict(meta=meta, results=result), indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
