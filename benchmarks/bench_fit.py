"""Benchmark: fitting (α, r, σ²) to a 50-point learning curve, jaxridge vs SciPy.

jaxridge: :func:`jaxridge.fit.fit_learning_curve` — restarts under ``vmap``, Adam then
Levenberg–Marquardt, gradients through the implicit κ solver, everything in one jitted kernel.
Baseline (what a researcher writes today): ``scipy.optimize.least_squares`` on the same loss
(residuals ``log E_model − log E_measured``), with a per-point ``scipy.optimize.brentq`` solve
of the κ equation inside the residual and a finite-difference Jacobian.

Both fit the same exact theory curve, so the parameter error is the optimisation error.
Timings are medians over repeats on a shared machine (noisy); the JAX compile time is reported
apart from the steady state (a refit with new data of the same shape does not recompile).

Usage: ``python benchmarks/bench_fit.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

import jaxridge
from jaxridge import fit, spectra, theory

# Module-level case grid: (name, num_features N, points, truth, ridge).
CASES = [
    dict(name="N=2000", num_features=2000, num_points=50, truth=(1.5, 0.4, 0.01), ridge=1e-3),
    dict(name="N=10000", num_features=10000, num_points=50, truth=(2.0, 0.7, 0.05), ridge=1e-4),
]
QUICK_CASES = [
    dict(name="N=1000 quick", num_features=1000, num_points=50, truth=(1.5, 0.4, 0.01), ridge=1e-3),
]
# jaxridge configurations: the defaults of `fit_learning_curve`, longer restarts + Adam + LM
# polish, and LM alone from the start point.
JAX_SETTINGS = {
    "defaults": dict(),
    "adam+LM x4": dict(steps=100, refine_steps=30, num_restarts=4),
    "LM only": dict(steps=0, refine_steps=25, num_restarts=1),
}
QUICK_JAX_SETTINGS = {"adam+LM x2": dict(steps=30, refine_steps=20, num_restarts=2)}
START = (2.0, 0.5)  # α, r initial values for both methods (σ² starts at half the smallest error)


def truth_curve(case):
    alpha, r, s2 = case["truth"]
    ps = jnp.geomspace(10.0, case["num_features"] / 4, case["num_points"])
    e, w = spectra.power_law(case["num_features"], alpha, r)
    errors = jax.vmap(lambda p: theory.ridge_risk(e, w, p, case["ridge"], s2).test)(ps)
    return np.asarray(ps), np.asarray(errors)


# ------------------------------------------------------------------------------------------
# SciPy baseline: per-point root finding for κ, finite-difference least squares.
# ------------------------------------------------------------------------------------------


def scipy_eg(alpha, r, s2, p, ridge, k):
    e = k**-alpha
    w2 = k ** (-(1 + alpha * (2 * r - 1)))

    def g(u):  # G(κ) = 1 − λ/κ − n₁(κ)/P in u = log κ (increasing)
        kappa = np.exp(u)
        return 1 - ridge / kappa - np.sum(e / (e + kappa)) / p

    lo, hi = np.log(ridge), np.log(ridge + e.sum() / p)
    kappa = np.exp(scipy.optimize.brentq(g, lo, hi, xtol=1e-14, rtol=1e-14))
    s = kappa / (e + kappa)
    one_minus_gamma = ridge / kappa + np.sum(e * s / (e + kappa)) / p
    gamma = np.sum((e / (e + kappa)) ** 2) / p
    bias = np.sum(w2 * e * s * s)
    return (bias + s2 * gamma) / one_minus_gamma


def scipy_fit(ps, errors, case, variant):
    """``variant="reparam"``: α = 1 + eᵘ, r = eᵘ, σ² = eᵘ unconstrained (as jaxridge does);
    ``variant="bounds"``: natural parameters with box bounds (the naive set-up)."""
    k = np.arange(1, case["num_features"] + 1.0)
    log_y = np.log(errors)

    def residuals(theta):
        alpha, r, s2 = theta
        model = [scipy_eg(alpha, r, s2, p, case["ridge"], k) for p in ps]
        return np.log(model) - log_y

    x0 = np.array([START[0], START[1], 0.5 * errors.min()])
    tols = dict(xtol=1e-12, ftol=1e-12, gtol=1e-12)
    if variant == "bounds":
        out = scipy.optimize.least_squares(
            residuals, x0, bounds=([1.0 + 1e-6, 1e-6, 0.0], [20.0, 20.0, np.inf]), **tols
        )
        return out.x, out.nfev + 3 * (out.njev or 0)

    def to_natural(u):
        return np.array([1.0 + np.exp(u[0]), np.exp(u[1]), np.exp(u[2])])

    u0 = np.array([np.log(x0[0] - 1.0), np.log(x0[1]), np.log(x0[2])])
    out = scipy.optimize.least_squares(lambda u: residuals(to_natural(u)), u0, **tols)
    # Residual evaluations: nfev plus 3 per finite-difference Jacobian.
    return to_natural(out.x), out.nfev + 3 * (out.njev or 0)


# ------------------------------------------------------------------------------------------


def jax_fit(ps, errors, case, settings):
    out = fit.fit_learning_curve(
        ps,
        errors,
        init={"alpha": START[0], "r": START[1]},
        fixed={"num_features": case["num_features"], "ridge": case["ridge"]},
        **settings,
    )
    jax.block_until_ready((out.params, out.curve, out.loss_history))
    return out


def steps_to_converge(history, final, atol=1e-10):
    """First step whose loss is within ``atol`` (mean squared log residual) of the final one."""
    hist = np.asarray(history)
    hit = np.nonzero(hist <= final + atol)[0]
    return int(hit[0]) + 1 if hit.size else len(hist)


def param_error(values, truth):
    return float(max(abs(v / t - 1) for v, t in zip(values, truth, strict=True)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small case, < 30 s")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--json", default=None, help="output JSON path")
    parser.add_argument("--case", action="append", help="run only this case (repeatable)")
    args = parser.parse_args(argv)
    jaxridge.enable_float64()
    cases = QUICK_CASES if args.quick else CASES
    if args.case:
        cases = [c for c in cases if c["name"] in args.case]
    settings = QUICK_JAX_SETTINGS if args.quick else JAX_SETTINGS
    repeats = args.repeats or (2 if args.quick else 3)
    rows = []
    for case in cases:
        ps, errors = truth_curve(case)
        sp = {}
        for variant in ("reparam", "bounds"):
            times, vals, nfev = [], None, None
            for _ in range(max(1, repeats - 1)):
                t0 = time.perf_counter()
                vals, nfev = scipy_fit(ps, errors, case, variant)
                times.append(time.perf_counter() - t0)
            sp[variant] = (statistics.median(times), [float(v) for v in vals], int(nfev))
        for label, cfg in settings.items():
            t0 = time.perf_counter()
            out = jax_fit(ps, errors, case, cfg)
            first = time.perf_counter() - t0
            times = []
            for i in range(repeats):
                noisy = errors * (1 + 1e-12 * i)  # new data, same shapes: no recompilation
                t0 = time.perf_counter()
                out = jax_fit(ps, noisy, case, cfg)
                times.append(time.perf_counter() - t0)
            jax_time = statistics.median(times)
            jax_vals = [float(out.params[n]) for n in ("alpha", "r", "noise_var")]
            rows.append(
                dict(
                    case=case["name"],
                    method=f"jaxridge {label}",
                    settings=cfg,
                    num_points=case["num_points"],
                    num_features=case["num_features"],
                    truth=list(case["truth"]),
                    compile_plus_first_s=first,
                    steady_s=jax_time,
                    steps_to_converge=steps_to_converge(out.loss_history, float(out.loss)),
                    total_steps=int(out.loss_history.shape[0]),
                    params=jax_vals,
                    max_rel_error=param_error(jax_vals, case["truth"]),
                    scipy_reparam_over_this=sp["reparam"][0] / jax_time,
                )
            )
        for variant, (t, vals, nfev) in sp.items():
            rows.append(
                dict(
                    case=case["name"],
                    method=f"scipy least_squares ({variant})",
                    num_points=case["num_points"],
                    num_features=case["num_features"],
                    truth=list(case["truth"]),
                    compile_plus_first_s=None,
                    steady_s=t,
                    steps_to_converge=nfev,
                    total_steps=nfev,
                    params=vals,
                    max_rel_error=param_error(vals, case["truth"]),
                    scipy_reparam_over_this=sp["reparam"][0] / t,
                )
            )
    print(
        f"{'case':<13} {'method':<34} {'compile+1st':>11} {'steady':>8} {'steps':>9} "
        f"{'max rel err':>11} {'scipy(reparam)/this':>19}"
    )
    for r in rows:
        first = "-" if r["compile_plus_first_s"] is None else f"{r['compile_plus_first_s']:.2f}s"
        print(
            f"{r['case']:<13} {r['method']:<34} {first:>11} {r['steady_s']:>7.3f}s "
            f"{r['steps_to_converge']:>4d}/{r['total_steps']:<4d} {r['max_rel_error']:>11.1e} "
            f"{r['scipy_reparam_over_this']:>19.2f}"
        )
    print(
        f"(steady = median of {repeats} repeats on a shared machine; jaxridge steps = optimizer "
        "+ LM steps until the loss is within 1e-10 of its final value, each one "
        "value-and-gradient or residuals-and-Jacobian of all points at once; scipy steps = "
        "residual evaluations incl. finite differences, each 50 brentq solves)"
    )
    device = jax.devices()[0]
    meta = dict(
        jax=jax.__version__,
        backend=jax.default_backend(),
        device=getattr(device, "device_kind", str(device)),
        dtype=str(jnp.zeros(()).dtype),
        machine=dict(
            node=platform.node(),
            processor=platform.processor() or platform.machine(),
            cpu_count=os.cpu_count(),
            python=platform.python_version(),
        ),
        quick=args.quick,
        repeats=repeats,
    )
    path = args.json or os.path.join(
        os.path.dirname(os.path.abspath(__file__)),
        "results",
        "bench_fit_quick.json" if args.quick else "bench_fit.json",
    )
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(dict(meta=meta, results=rows), f, indent=2)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
