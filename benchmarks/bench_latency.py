"""Latency of every public entry point in a fresh process: first call and steady state.

What a user waits for when a script or notebook starts: each entry point runs in its own new
Python process (float64), which reports

* ``import s``: ``import jax`` + ``import jaxridge`` (and its submodules);
* ``first s``: from just before the first call to ``block_until_ready`` on its result — trace,
  lower, compile and run (building the arguments is timed apart, ``setup_s`` in the JSON);
* ``steady s``: the same call again, same arguments (median of ``REPEATS``);
* ``new length s``: in the same process, the first call on a spectrum of another length
  (2000 → 1800 eigenvalues, one bucket of the theory's padding; 1000 → 900 for Monte
  Carlo, which is not padded): whether a new length compiles again;
* the time spent tracing, lowering and compiling (XLA) during the first call, from
  ``jax.monitoring``, and the persistent-cache hits and misses of the process.

Each entry point is measured in three processes: without the persistent compilation cache
(``no cache``); with :func:`jaxridge.enable_compilation_cache` on an empty temporary folder
(``cache fill``, JSON only); and again with that folder, now full (``cache warm``). The
command-line ``jaxridge demo`` is timed the same way, as the wall time of the whole command
(interpreter start, imports and compilation included). The baseline is the no-cache column.

Sizes: theory at a power-law spectrum of D = 2000 eigenvalues (α = 1.5, r = 0.4), grids of
50 × 50 (P, λ); Monte Carlo at the demo's size (N = 1000, 16 sample sizes, 10 seeds); fitting
as in ``bench_fit.py --quick``. ``rf_risk_grid`` is reported ``missing`` when this checkout
does not have it.

Usage: ``python benchmarks/bench_latency.py [--quick] [--only NAME[,NAME]] [--json PATH]``
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

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3
ALPHA, R, NOISE = 1.5, 0.4, 0.01
RIDGES = (1e-4, 1e-2)

# Case grid: entry point -> (spectrum length, length of the second call, first-call target in
# seconds, what is computed). The call itself is built by `_build` in the child process.
CASES = {
    "theory.ridge_risk": (2000, 1800, 5.0, "one (P, λ) point"),
    "theory.effective_ridge": (2000, 1800, 5.0, "κ at one (P, λ)"),
    "theory.rf_risk": (2000, 1800, 5.0, "one point, N = 1000 features"),
    "theory.deep_rf_risk": (2000, 1800, 5.0, "one point, widths (1500, 1000)"),
    "theory.ridge_risk_grid": (2000, 1800, 5.0, "50 × 50 (P, λ) grid"),
    "theory.scaling.local_slope": (2000, 1800, 5.0, "d log E_g / d log P at 16 P"),
    "theory.rf_risk_grid": (2000, 1800, 5.0, "50 × 50 (P, λ) grid, N = 1000"),
    "empirical.learning_curve": (1000, 900, 10.0, "16 P ≤ 250, 2 λ, 10 seeds"),
    "empirical.width_curve": (1000, 900, 10.0, "16 N ≤ D, P = 250, 2 λ, 10 seeds"),
    "empirical.rf_ridge_risk": (1000, 900, 10.0, "N = 500, P = 250, 2 λ, 5 × 2 seeds"),
    "fit.fit_learning_curve": (1000, 900, 10.0, "50 points, 2 restarts, 30 + 20 steps"),
    "jaxridge demo": (1000, None, 15.0, "the CLI's default sweep (warm target 5 s)"),
}
QUICK = {
    "theory.ridge_risk": (500, 450, 5.0, "one (P, λ) point"),
    "theory.ridge_risk_grid": (500, 450, 5.0, "20 × 20 (P, λ) grid"),
    "jaxridge demo": (100, None, 15.0, "a small demo: N = 100, 4 P ≤ 40"),
}
# What --quick runs without --only: one entry point through all three modes (a smoke run of
# seconds); `--quick --only NAME` runs others small.
QUICK_DEFAULT = ("theory.ridge_risk",)
DEMO_QUICK_ARGS = ["--num-features", "100", "--max-samples", "40", "--points", "4"]
DEMO_WARM_TARGET = 5.0


# ------------------------------------------------------------------------------ child process


def _build(name: str, n: int, quick: bool):
    """The zero-argument call of entry point ``name`` on a spectrum of length ``n``, or None."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from jaxridge import empirical, fit, spectra, theory

    e, w = jax.block_until_ready(spectra.power_law(n, alpha=ALPHA, r=R))
    grid = 20 if quick else 50
    ps = jnp.geomspace(10.0, 1e5, grid)[:, None]
    lams = jnp.logspace(-8.0, 0.0, grid)[None, :]
    ridges = jnp.asarray(RIDGES)
    key = jax.random.key(0)
    sizes = sorted({int(round(p)) for p in np.geomspace(10, 250, 16)})
    if name == "theory.ridge_risk":
        return lambda: theory.ridge_risk(e, w, 500.0, 1e-3, NOISE)
    if name == "theory.effective_ridge":
        return lambda: theory.effective_ridge(e, 500.0, 1e-3)
    if name == "theory.rf_risk":
        return lambda: theory.rf_risk(e, w, 1000.0, 500.0, 1e-3, NOISE)
    if name == "theory.deep_rf_risk":
        widths = jnp.asarray([1500.0, 1000.0])
        return lambda: theory.deep_rf_risk(e, w, widths, 500.0, 1e-3, NOISE)
    if name == "theory.ridge_risk_grid":
        return lambda: theory.ridge_risk_grid(e, w, ps, lams, NOISE)
    if name == "theory.scaling.local_slope":
        x = jnp.geomspace(10.0, 1e4, 16)
        return lambda: theory.scaling.local_slope(
            lambda p: theory.ridge_risk(e, w, p, 1e-3, NOISE).test, x
        )
    if name == "theory.rf_risk_grid":
        rf_risk_grid = getattr(theory, "rf_risk_grid", None)
        if rf_risk_grid is None:
            try:
                from jaxridge.theory.rf_grid import rf_risk_grid
            except ImportError:
                return None
        return lambda: rf_risk_grid(e, w, 1000.0, ps, lams, 0.0)
    if name == "empirical.learning_curve":
        return lambda: empirical.learning_curve(key, e, w, sizes, ridges, NOISE, 10)
    if name == "empirical.width_curve":
        widths = sorted({int(round(v)) for v in np.geomspace(10, n, 16)})
        return lambda: empirical.width_curve(key, e, w, widths, 250, ridges, NOISE, 10)
    if name == "empirical.rf_ridge_risk":
        return lambda: empirical.rf_ridge_risk(
            key, e, w, 500, 250, ridges, NOISE, num_data_seeds=5, num_feature_seeds=2
        )
    if name == "fit.fit_learning_curve":
        sample_sizes = jnp.geomspace(10.0, n / 4, 50)
        errors = jax.vmap(lambda p: theory.ridge_risk(e, w, p, 1e-3, NOISE).test)(sample_sizes)
        errors = jax.block_until_ready(errors)
        return lambda: fit.fit_learning_curve(
            sample_sizes,
            errors,
            init={"alpha": 2.0, "r": 0.5},
            fixed={"num_features": n, "ridge": 1e-3},
            steps=30,
            refine_steps=20,
            num_restarts=2,
        )
    raise ValueError(f"unknown entry point {name!r}")


def child(name: str, n: int, n2: int, cache: str | None, quick: bool) -> dict:
    """Measure one entry point in this (fresh) process; see the module docstring."""
    t0 = time.perf_counter()
    import jax
    import jax.monitoring

    jax.config.update("jax_enable_x64", True)
    import jaxridge
    import jaxridge.empirical
    import jaxridge.fit
    import jaxridge.theory

    import_s = time.perf_counter() - t0
    phases = {"trace": 0.0, "lower": 0.0, "compile": 0.0}
    events: dict[str, int] = {}
    names = {
        "/jax/core/compile/jaxpr_trace_duration": "trace",
        "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
        "/jax/core/compile/backend_compile_duration": "compile",
    }

    def on_duration(event, seconds, **kwargs):
        if event in names:
            phases[names[event]] += seconds

    def on_event(event, **kwargs):
        if event.startswith("/jax/compilation_cache/"):
            key = event.rsplit("/", 1)[1]
            events[key] = events.get(key, 0) + 1

    jax.monitoring.register_event_duration_secs_listener(on_duration)
    jax.monitoring.register_event_listener(on_event)
    if cache is not None:
        jaxridge.enable_compilation_cache(cache)
    dev = jax.devices()[0]
    out = dict(
        jax=jax.__version__,
        backend=jax.default_backend(),
        device=f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
        import_s=import_s,
    )
    t0 = time.perf_counter()
    call = _build(name, n, quick)
    if call is None:
        return dict(out, missing=True)
    out["setup_s"] = time.perf_counter() - t0
    before = dict(phases)
    t0 = time.perf_counter()
    jax.block_until_ready(call())
    out["first_s"] = time.perf_counter() - t0
    out["first_phases_s"] = {k: phases[k] - before[k] for k in phases}
    runs = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        jax.block_until_ready(call())
        runs.append(time.perf_counter() - t0)
    out["steady_s"] = statistics.median(runs)
    other = _build(name, n2, quick)
    t0 = time.perf_counter()
    jax.block_until_ready(other())
    out["new_length_s"] = time.perf_counter() - t0
    out["cache_events"] = events
    return out


# ------------------------------------------------------------------------------ parent process


def _env(cache: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JAXRIDGE_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR", "JAX_NUM_CPU_DEVICES")
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    if cache is not None:
        env["JAXRIDGE_CACHE_DIR"] = cache
    return env


def _run_child(name, n, n2, cache, quick) -> dict:
    args = [sys.executable, __file__, "--child", name, "--n", str(n), "--n2", str(n2)]
    args += (["--cache", cache] if cache else []) + (["--quick"] if quick else [])
    proc = subprocess.run(args, capture_output=True, text=True, env=_env(None), timeout=600)
    if proc.returncode != 0:
        return dict(error=(proc.stderr or proc.stdout).strip().splitlines()[-1:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _run_demo(out_dir: Path, cache: str | None, quick: bool) -> dict:
    args = [sys.executable, "-m", "jaxridge.cli", "demo", "--out", str(out_dir), "--no-progress"]
    args += DEMO_QUICK_ARGS if quick else []
    args += [] if cache else ["--no-cache"]
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=_env(cache), timeout=600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return dict(error=(proc.stderr or proc.stdout).strip().splitlines()[-1:])
    inner = next((ln for ln in proc.stdout.splitlines() if " cells (theory" in ln), "")
    return dict(first_s=wall, command_line=inner)


def measure(name: str, spec: tuple, quick: bool) -> dict:
    n, n2, target, what = spec
    row = dict(entry_point=name, what=what, num_features=n, second_length=n2, target_s=target)
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        cache = str(Path(tmp) / "xla")
        for mode, folder in (("no_cache", None), ("cache_fill", cache), ("cache_warm", cache)):
            if name == "jaxridge demo":
                row[mode] = _run_demo(Path(tmp) / f"demo-{mode}", folder, quick)
            else:
                row[mode] = _run_child(name, n, n2, folder, quick)
            if row[mode].get("missing"):
                row["missing"] = True
                break
        if not row.get("missing"):
            row["cache_entries"] = len(os.listdir(cache)) if os.path.isdir(cache) else 0
    return row


def _cell(mode: dict | None, key: str, digits: int = 2) -> str:
    if mode is None or key not in mode:
        return "–"
    return f"{mode[key]:.{digits}f}"


def _verdict(row) -> str:
    if row.get("missing"):
        return "–"
    cold, warm = row["no_cache"].get("first_s"), row["cache_warm"].get("first_s")
    if cold is None or warm is None:
        return "error"
    target = row["target_s"]
    text = f"≤ {target:g}: {'yes' if cold <= target else 'no'}"
    if row["entry_point"] == "jaxridge demo":
        text += f"; warm ≤ {DEMO_WARM_TARGET:g}: {'yes' if warm <= DEMO_WARM_TARGET else 'no'}"
    return text


def table(rows) -> list[str]:
    head = (
        f"{'entry point':<28} {'import s':>8} {'first s':>8} {'first s':>8} {'steady s':>9} "
        f"{'new len s':>9} {'XLA s':>12}  first call target"
    )
    sub = (
        f"{'':<28} {'':>8} {'no cache':>8} {'warm':>8} {'':>9} {'no cache':>9} {'cold → warm':>12}"
    )
    lines = [head, sub, "-" * len(head)]
    for r in rows:
        if r.get("missing"):
            lines.append(f"{r['entry_point']:<28} missing (not in this checkout)")
            continue
        cold, warm = r["no_cache"], r["cache_warm"]
        if "error" in cold or "error" in warm:
            err = (cold.get("error") or warm.get("error") or [""])[-1]
            lines.append(f"{r['entry_point']:<28} error: {err[:70]}")
            continue
        xla = "–"
        if "first_phases_s" in cold:
            xla = (
                f"{cold['first_phases_s']['compile']:.2f} → {warm['first_phases_s']['compile']:.2f}"
            )
        lines.append(
            f"{r['entry_point']:<28} {_cell(cold, 'import_s'):>8} {_cell(cold, 'first_s'):>8} "
            f"{_cell(warm, 'first_s'):>8} {_cell(cold, 'steady_s', 4):>9} "
            f"{_cell(cold, 'new_length_s'):>9} {xla:>12}  {_verdict(r)}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="ridge_risk only, small (a smoke run); with --only: those, small",
    )
    parser.add_argument("--only", default=None, help="comma-separated entry points (see CASES)")
    parser.add_argument("--json", default=None, help="output JSON path")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--n2", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.n, args.n2, args.cache, args.quick)))
        return 0

    cases = {k: QUICK[k] for k in QUICK_DEFAULT} if args.quick else CASES
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in CASES]
        if unknown:
            parser.error(f"--only: unknown entry point(s) {unknown}; choose from {list(CASES)}")
        cases = {k: (QUICK.get(k) if args.quick else None) or CASES[k] for k in wanted}
    # One throwaway import so that every measured process finds the files in the OS cache.
    subprocess.run([sys.executable, "-c", "import jaxridge"], env=_env(None), check=True)
    load_before = os.getloadavg()
    start = time.perf_counter()
    rows = []
    for name, spec in cases.items():
        rows.append(measure(name, spec, args.quick))
        print(f"  measured {name} ({time.perf_counter() - start:.0f} s)", flush=True)
    first = (
        next((r["no_cache"] for r in rows if "jax" in r.get("no_cache", {})), None)
        or _parent_versions()
    )
    meta = dict(
        benchmark="bench_latency",
        jax=first["jax"],
        backend=first["backend"],
        device=first["device"],
        dtype="float64",
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
        cpu_count=os.cpu_count(),
        loadavg_before=load_before,
        loadavg_after=os.getloadavg(),
        wall_s=time.perf_counter() - start,
        quick=args.quick,
        repeats=REPEATS,
    )
    print(
        f"latency benchmark — fresh processes, jax {meta['jax']}, {meta['backend']} "
        f"({meta['device']}), float64; load average {load_before[0]:.1f} before, "
        f"{meta['loadavg_after'][0]:.1f} after"
    )
    print("\n".join(table(rows)))
    print(
        "(first = from just before the first call to block_until_ready; steady = median of "
        f"{REPEATS} more calls; new len = first call on a spectrum of another length in the "
        "same process; XLA s = backend compile time within the first call; demo: wall time "
        "of the whole command)"
    )
    suffix = "_quick" if args.quick else ""
    path = (
        Path(args.json)
        if args.json
        else ROOT / "benchmarks" / "results" / f"bench_latency{suffix}.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(meta=meta, results=rows), indent=2, ensure_ascii=False))
    print(f"wrote {path}")
    failed = [
        r["entry_point"]
        for r in rows
        if any("error" in r.get(m, {}) for m in ("no_cache", "cache_fill", "cache_warm"))
    ]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _parent_versions() -> dict:
    import jax

    dev = jax.devices()[0]
    return dict(
        jax=jax.__version__,
        backend=jax.default_backend(),
        device=f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
    )


if __name__ == "__main__":
    sys.exit(main())
