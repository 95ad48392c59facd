"""Sweep runner throughput (cells/s) on 1 and 4 devices, and its overhead over the bare kernels.

Case: linear ridge on power-law spectra, theory + Monte Carlo (GCV included; the ``--quick``
smoke case computes the theory only, to keep compile time short), outer axes
alpha × noise_var (one chunk each), a (P × λ) plane per chunk. A *cell* is one (chunk, P, λ)
point: its theory fields and the Monte-Carlo fields of every seed. Each device count runs in its
own process (``JAX_NUM_CPU_DEVICES=K`` on CPU). Timed, in the same
process:

* ``jaxridge.sweep.run`` in memory — first call (compile included) and steady state;
* ``jaxridge.sweep.run`` writing chunk files and ``results.nc`` to a fresh folder (steady);
* the bare kernels on the same grid: a Python loop over the chunks calling
  ``theory.ridge_risk_grid`` and ``empirical.learning_curve`` directly (steady; one device).

The overhead ratio is runner time / bare-kernel time (1.0 = no overhead).

Usage: ``python benchmarks/bench_sweep.py [--quick] [--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "full": dict(
        num_features=1000,
        alphas=[1.5, 2.0],
        noise_vars=[0.0, 0.01],
        sizes=[10, 500, 12],
        ridges=[1e-4, 1e-3, 1e-2, 1e-1],
        num_seeds=8,
        repeats=3,
        compute=("theory", "monte_carlo"),
    ),
    "quick": dict(
        num_features=40,
        alphas=[1.5, 2.0],
        noise_vars=[0.01],
        sizes=[8, 40, 3],
        ridges=[1e-3, 1e-1],
        num_seeds=4,
        repeats=1,
        compute=("theory",),
    ),
    # The figure-sized Monte-Carlo curve (α = 2, r = 1.8, N = 10⁴, 20 P from 10 to N, 30 λ)
    # as one chunk through the runner: meant for a GPU.
    "gpu": dict(
        num_features=10_000,
        alphas=[2.0],
        r=1.8,
        noise_vars=[0.01],
        sizes=[10, 10_000, 20],
        ridges=[float(x) for x in __import__("numpy").geomspace(1e-6, 1.0, 30)],
        num_seeds=3,  # as bench_empirical.py's gpu case: one seed at this size fills a GPU
        repeats=1,
        compute=("theory", "monte_carlo"),
        max_bytes=30_000_000_000,  # one seed at P = N = 10⁴ needs 5.6 GB
    ),
}
DEVICE_COUNTS = (1, 4)


def _spec(case, seed=0):
    from jaxridge.sweep import SweepSpec

    return SweepSpec(
        name="bench",
        model="linear",
        compute=case["compute"],
        dtype="float64",
        seed=seed,
        num_seeds=case["num_seeds"],
        max_bytes=case.get("max_bytes", 1_000_000_000),
        spectrum={
            "kind": "power_law",
            "num_features": case["num_features"],
            "alpha": case["alphas"],
            "r": case.get("r", 0.4),
        },
        grid={
            "num_samples": {"geomspace": case["sizes"]},
            "ridge": case["ridges"],
            "noise_var": case["noise_vars"],
        },
    )


def _bare(spec):
    """The same grid through the kernels, chunk by chunk (what a script would do)."""
    import jax
    import jax.numpy as jnp

    from jaxridge import empirical, spectra, theory

    axes = {a.name: a.values for a in spec.axes()}
    sizes = list(axes["num_samples"])
    p = jnp.asarray(sizes, jnp.float64)[:, None]
    lam = jnp.asarray(axes["ridge"], jnp.float64)
    outs = []
    index = 0
    for alpha in axes["alpha"]:
        e, w = spectra.power_law(spec.spectrum["num_features"], alpha, spec.spectrum["r"])
        for noise in axes.get("noise_var", [spec.grid["noise_var"]]):
            key = jax.random.fold_in(jax.random.key(spec.seed), index)
            outs.append(theory.ridge_risk_grid(e, w, p, lam[None, :], noise))
            if spec.monte_carlo:
                outs.append(
                    empirical.learning_curve(
                        key, e, w, sizes, lam, noise, spec.num_seeds, max_bytes=spec.max_bytes
                    )
                )
            index += 1
    return jax.block_until_ready(outs)


def _median_time(fn, repeats):
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def worker(case_name: str) -> dict:
    import jax

    import jaxridge
    from jaxridge import sweep

    jaxridge.enable_float64()
    case = CASES[case_name]
    spec = _spec(case)
    axes = spec.axes()
    chunks = 1
    for a in axes:
        if a.outer:
            chunks *= len(a.values)
    cells = chunks * len(spec.num_samples_values()) * len(case["ridges"])

    t0 = time.perf_counter()
    ds = sweep.run(spec, progress=False)
    first = time.perf_counter() - t0
    print(f"first call (compile + run): {first:.2f} s", file=sys.stderr, flush=True)
    steady = _median_time(lambda: sweep.run(spec, progress=False), case["repeats"])
    print(f"steady: {steady:.2f} s", file=sys.stderr, flush=True)

    def to_disk():
        with tempfile.TemporaryDirectory() as tmp:
            sweep.run(spec, Path(tmp) / "out", progress=False)

    disk = _median_time(to_disk, case["repeats"])
    print(f"to disk: {disk:.2f} s", file=sys.stderr, flush=True)
    _bare(spec)  # compile
    bare = _median_time(lambda: _bare(spec), case["repeats"])
    return dict(
        devices=len(jax.devices()),
        chunks=chunks,
        cells=cells,
        seeds=spec.num_seeds,
        first_call_s=first,
        steady_s=steady,
        to_disk_s=disk,
        bare_kernels_s=bare,
        cells_per_s=cells / steady,
        cells_per_s_to_disk=cells / disk,
        overhead_ratio=steady / bare,
        overhead_ratio_to_disk=disk / bare,
        finite=bool(all(bool(ds[v].notnull().all()) for v in ds.data_vars)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small case for smoke tests")
    parser.add_argument("--json", default=None, help="output JSON path")
    parser.add_argument("--case", choices=sorted(CASES), default=None, help="case (default full)")
    parser.add_argument(
        "--devices",
        default=None,
        help="comma-separated host device counts, one process each (default 1,4; on an "
        "accelerator the visible devices are used and this only repeats the run)",
    )
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    case_name = args.case or ("quick" if args.quick else "full")
    if args.worker is not None:
        print(json.dumps(worker(case_name)))
        return

    counts = [int(c) for c in args.devices.split(",")] if args.devices else list(DEVICE_COUNTS)
    rows = []
    for count in counts:
        env = dict(os.environ, JAX_NUM_CPU_DEVICES=str(count))
        root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        cmd = [sys.executable, __file__, "--worker", "1", "--case", case_name]
        # The worker's stderr (progress, errors) passes straight through.
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env)
        if proc.returncode != 0:
            raise SystemExit(f"worker with {count} device(s) failed")
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    import jax

    dev = jax.devices()[0]
    meta = dict(
        jax=jax.__version__,
        backend=jax.default_backend(),
        device=f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
        dtype="float64",
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
        cpu_count=os.cpu_count(),
        case_name=case_name,
        case=CASES[case_name],
    )
    case = CASES[case_name]
    print(
        f"sweep benchmark — jax {meta['jax']}, {meta['backend']}, float64, N={case['num_features']}"
        f", {rows[0]['chunks']} chunks x {len(case['ridges'])} ridges x {case['sizes'][2]} P, "
        f"{case['num_seeds']} seeds"
    )
    header = (
        f"{'devices':>7} {'first s':>8} {'steady s':>9} {'disk s':>7} {'bare s':>7} "
        f"{'cells/s':>8} {'runner/bare':>11} {'(disk)':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['devices']:7d} {r['first_call_s']:8.2f} {r['steady_s']:9.3f} "
            f"{r['to_disk_s']:7.3f} {r['bare_kernels_s']:7.3f} {r['cells_per_s']:8.1f} "
            f"{r['overhead_ratio']:11.2f} {r['overhead_ratio_to_disk']:7.2f}"
        )
    path = (
        Path(args.json)
        if args.json
        else Path(__file__).parent
        / "results"
        / ("bench_sweep.json" if case_name == "full" else f"bench_sweep_{case_name}.json")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(meta=meta, results=rows), indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
