"""Predicted vs measured ridge learning curves on scikit-learn's bundled digits data.

The 1797 digit images are treated as the population: training sets of P rows are drawn from it
with replacement, ridge is fitted, and the test error is measured exactly on the whole data set.
The theory sees the data only through :func:`jaxridge.spectra.from_data` — the covariance
spectrum, the best linear target in its eigenbasis and the residual variance — and predicts the
curve with the Gaussian deterministic equivalent :func:`jaxridge.theory.ridge_risk`
(``E_out = E_g + σ²``). Two feature maps: the raw pixels (64 dimensions) and random ReLU
features of them. The label is the parity of the digit (±1).

Usage::

    python examples/digits_learning_curve.py digits.png [--seeds 16] [--features 512]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.datasets import load_digits

import jaxridge
from jaxridge import fit, spectra, theory
from jaxridge.theory.scaling import local_slope

SAMPLE_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024, 1536)


def measured_curve(F, y, ridge, sizes, seeds, rng):
    """Mean and standard error of the population test error E_out over seeds, per P."""
    n, d = F.shape
    means, sems = [], []
    for p in sizes:
        errs = []
        for _ in range(seeds):
            idx = rng.integers(0, n, size=p)
            Xs, ys = F[idx], y[idx]
            if d <= p:
                w = np.linalg.solve(Xs.T @ Xs / p + ridge * np.eye(d), Xs.T @ ys / p)
            else:  # dual form, P × P
                w = Xs.T @ np.linalg.solve(Xs @ Xs.T / p + ridge * np.eye(p), ys / p)
            errs.append(np.mean((y - F @ w) ** 2))
        means.append(np.mean(errs))
        sems.append(np.std(errs, ddof=1) / np.sqrt(seeds))
    return np.array(means), np.array(sems)


@jax.jit
def predicted_curve(eigvals, target_weights, sizes, ridge, noise_var):
    def one(p):
        return theory.ridge_risk(eigvals, target_weights, p, ridge, noise_var).test_out

    def eg(p):
        return theory.ridge_risk(eigvals, target_weights, p, ridge, noise_var).test

    slopes = jax.vmap(lambda p: local_slope(eg, p))(sizes)
    return jax.vmap(one)(sizes), slopes


def run(name, F, y, ridge, seeds, rng):
    F = F - F.mean(axis=0, keepdims=True)
    e, w, noise = spectra.from_data(F, y, population=True, return_noise=True)
    sizes = np.array(SAMPLE_SIZES, dtype=float)
    pred, slopes = predicted_curve(e, w, jnp.asarray(sizes), ridge, noise)
    meas, sem = measured_curve(F, y, ridge, SAMPLE_SIZES, seeds, rng)
    print(f"\n{name}: d = {F.shape[1]}, ridge = {ridge:g}, noise floor σ² = {float(noise):.4f}")
    print(
        f"{'P':>6} {'measured E_out':>16} {'predicted':>10} {'pred/meas':>9} {'dlogE_g/dlogP':>14}"
    )
    for p, m, s, q, sl in zip(
        SAMPLE_SIZES, meas, sem, np.asarray(pred), np.asarray(slopes), strict=True
    ):
        print(f"{p:>6d} {m:>9.4f} ± {s:<6.4f} {q:>10.4f} {q / m:>9.3f} {sl:>14.3f}")
    # Baseline: the plain log–log exponent of the measured excess error.
    excess = np.maximum(meas - float(noise), 1e-12)
    pl = fit.fit_power_law(sizes, excess)
    print(f"log–log fit of the measured excess error: E_g ∝ P^-{float(pl.exponent):.3f}")
    dense = np.geomspace(SAMPLE_SIZES[0], SAMPLE_SIZES[-1], 80)
    dense_pred, _ = predicted_curve(e, w, jnp.asarray(dense), ridge, noise)
    return sizes, meas, sem, (dense, np.asarray(dense_pred)), float(noise)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="path of the PNG to write")
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--features", type=int, default=512, help="number of ReLU features")
    args = parser.parse_args(argv)
    jaxridge.enable_float64()
    start = time.perf_counter()

    digits = load_digits()
    X = digits.data / 16.0
    y = np.where(digits.target % 2 == 0, 1.0, -1.0)
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((X.shape[1], args.features)) / np.sqrt(X.shape[1])
    bias = 0.5 * rng.standard_normal(args.features)
    relu = np.maximum(X @ weights + bias, 0.0)

    results = {
        "raw pixels": run("raw pixels", X, y, 1e-3, args.seeds, rng),
        f"ReLU features (N={args.features})": run(
            f"random ReLU features (N = {args.features})", relu, y, 1e-3, args.seeds, rng
        ),
    }

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, (title, (sizes, meas, sem, pred, noise)) in zip(axes, results.items(), strict=True):
        ax.errorbar(sizes, meas, yerr=2 * sem, fmt="o", label="measured (±2 s.e.)")
        ax.plot(*pred, "-", label="deterministic equivalent")
        ax.axhline(noise, ls=":", color="gray", label="noise floor σ²")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training samples P")
        ax.set_title(f"digits parity, {title}")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("test error E_out")
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"\nwrote {args.output} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
