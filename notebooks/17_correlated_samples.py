# %% [markdown]
# # Correlated samples: learning curves, and why GCV fails where CorrGCV does not
#
# Training rows drawn from a stationary process (a time series, video frames) are correlated
# across samples: X = K^{1/2} Z Σ^{1/2} with K the sample–sample covariance (THEORY §9, the
# follow-up "Risk and cross validation in ridge regression with correlated samples",
# arXiv:2408.04607). The deterministic equivalent gains a second renormalised ridge κ̃ on the
# sample side (`theory.correlated_ridge_risk`), plain GCV underestimates the test error, and
# CorrGCV (`empirical.corrgcv`) corrects it when the noise is correlated like the samples.
# Left: learning curves under AR(1) and power-law correlations, theory lines and Monte-Carlo
# points with GCV and CorrGCV markers. Right: a ridge sweep at fixed P.

# %%
# Setup. In Colab this installs jaxridge (with JAX's CUDA build on GPU runtimes). Sizes follow
# JAXRIDGE_SCALE: "ci" (seconds, what CI runs), "default" (a minute or two on a CPU), "paper".
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    gpu = subprocess.run(["nvidia-smi"], capture_output=True).returncode == 0
    extras = "cuda12,plot,sweep" if gpu else "plot,sweep"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            f"jaxridge[{extras}] @ git+https://github.com/jaxridge/jaxridge",
        ],
        check=True,
    )

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import jaxridge
from jaxridge import empirical, notebook, plot, spectra, theory

jaxridge.enable_float64()
jaxridge.enable_compilation_cache()  # compiled programs kept on disk: reruns start sooner
timer = notebook.Timer()
print("scale:", notebook.scale(), "| backend:", jax.default_backend())

# %% [markdown]
# ## Setting
#
# Power-law data (α = 1.5, r = 0.4, N features), σ² = 0.05 with noise correlated like the
# samples, λ = 10⁻³. Two sample correlations with unit diagonal: AR(1) with correlation time
# ξ = 10 (ρ = e^{−1/ξ}) and the power law K_ij = (1 + |i − j|)^{−1.5}. A run at P samples uses
# the exact eigenvalues of its own P × P K; the dense theory lines use the P → ∞ limit (the
# symbol of K on M points, a normalised spectrum).

# %%
ALPHA, R, NOISE_VAR, RIDGE = 1.5, 0.4, 0.05, 1e-3
num_features = notebook.pick(ci=120, default=400, paper=1000)
num_seeds = notebook.pick(ci=16, default=30, paper=40)
mc_sizes = np.unique(
    np.geomspace(30, 2 * num_features, notebook.pick(ci=3, default=7, paper=9)).astype(int)
)
theory_sizes = np.geomspace(10, 4 * num_features, 60)
eigvals, target = spectra.power_law(num_features, ALPHA, R)
CORRELATIONS = {
    "AR(1), ξ = 10": (spectra.ar1_correlation, float(np.exp(-0.1))),
    "power law, χ = 1.5": (spectra.power_law_correlation, 1.5),
}


def k_matrix(kind, p):
    fn, value = CORRELATIONS[kind]
    lags = np.arange(p)
    column = value**lags if fn is spectra.ar1_correlation else (1.0 + lags) ** -value
    return column[np.abs(lags[:, None] - lags[None, :])]


def one_training_set(key, kind, p, ridges):
    """E_g, GCV and CorrGCV estimates of E_out, and E_out, for one draw and every ridge."""
    km = k_matrix(kind, p)
    X, y = empirical.sample_data(key, eigvals, target, int(p), NOISE_VAR, sample_cov=km)
    d = empirical.decompose(X, y)
    df1, _, train, gcv_out = empirical.ridge_statistics(d, ridges)
    test = jnp.sum(
        eigvals[None, :] * (empirical.ridge_weights(d, ridges) - target[None, :]) ** 2, axis=1
    )
    corr = empirical.corrgcv(train, df1, jnp.linalg.eigvalsh(jnp.asarray(km)))
    return dict(test=test, gcv=gcv_out, corrgcv=corr, test_out=test + NOISE_VAR)


# %% [markdown]
# ## Learning curves
#
# Theory: `correlated_ridge_risk` at each P (symbol of K, one compiled program for the whole
# curve). Monte Carlo: `num_seeds` draws per P, each decomposed once; E_out with GCV (open
# markers) and CorrGCV (crosses) from the training data and K alone.

# %%
ridges = jnp.asarray([RIDGE])
curves, points = {}, {}
for kind, (fn, value) in CORRELATIONS.items():
    symbol = fn(2000, value, infinite=True)
    curve = jax.jit(
        jax.vmap(
            lambda p, k=symbol: theory.correlated_ridge_risk(
                eigvals, target, k, p, RIDGE, NOISE_VAR
            )
        )
    )(jnp.asarray(theory_sizes))
    curves[kind] = np.asarray(curve.test_out)
    rows = []
    for p in mc_sizes:
        reps = empirical.replicate(
            lambda key, p=p, kind=kind: one_training_set(key, kind, p, ridges),
            jax.random.key(int(p)),
            num_seeds,
        )
        stats = {name: empirical.summarise(np.asarray(v)[:, 0]) for name, v in reps.items()}
        exact = theory.correlated_ridge_risk(
            eigvals,
            target,
            jnp.linalg.eigvalsh(jnp.asarray(k_matrix(kind, p))),
            float(p),
            RIDGE,
            NOISE_VAR,
        )
        rows.append(
            dict(
                p=p,
                exact=float(exact.test),
                **{k: (float(s.mean), float(s.stderr)) for k, s in stats.items()},
            )
        )
    points[kind] = rows

# %% [markdown]
# ## The ridge sweep at fixed P
#
# P = 2N under AR(1): E_out against λ, with the GCV and CorrGCV estimates averaged over the
# draws. GCV sits far below the truth at every λ; CorrGCV follows it.

# %%
sweep_p = int(2 * num_features)
sweep_ridges = jnp.asarray(np.geomspace(1e-4, 1.0, notebook.pick(ci=5, default=12, paper=16)))
kind = "AR(1), ξ = 10"
reps = empirical.replicate(
    lambda key: one_training_set(key, kind, sweep_p, sweep_ridges), jax.random.key(7), num_seeds
)
sweep = {name: empirical.summarise(np.asarray(v)) for name, v in reps.items()}
k_sweep = jnp.linalg.eigvalsh(jnp.asarray(k_matrix(kind, sweep_p)))
sweep_theory = jax.vmap(
    lambda lam: theory.correlated_ridge_risk(
        eigvals, target, k_sweep, float(sweep_p), lam, NOISE_VAR
    )
)(sweep_ridges)

# %%
with plot.style():
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    for color, kind in zip(("C0", "C3"), CORRELATIONS, strict=True):
        ax.plot(theory_sizes, curves[kind], color=color, label=f"theory, {kind}")
        rows = points[kind]
        ps = [r["p"] for r in rows]
        ax.errorbar(
            ps,
            [r["test_out"][0] for r in rows],
            yerr=[r["test_out"][1] for r in rows],
            fmt="o",
            color=color,
            ms=4,
        )
        ax.plot(ps, [r["gcv"][0] for r in rows], "s", mfc="none", color=color, ms=6)
        ax.plot(ps, [r["corrgcv"][0] for r in rows], "x", color=color, ms=7)
    ax.plot([], [], "s", mfc="none", color="k", label="GCV")
    ax.plot([], [], "x", color="k", label="CorrGCV")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$P$")
    ax.set_ylabel(r"$E_{\mathrm{out}}$")
    ax.legend(fontsize=8)
    lams = np.asarray(sweep_ridges)
    bx.plot(lams, np.asarray(sweep_theory.test_out), color="k", label="theory")
    bx.errorbar(
        lams,
        sweep["test_out"].mean,
        yerr=sweep["test_out"].stderr,
        fmt="o",
        color="k",
        ms=4,
        label="Monte Carlo",
    )
    bx.plot(lams, sweep["gcv"].mean, "s", mfc="none", color="C1", label="GCV")
    bx.plot(lams, sweep["corrgcv"].mean, "x", color="C2", ms=7, label="CorrGCV")
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel(r"$\lambda$")
    bx.set_title(f"AR(1), $P = {sweep_p}$")
    bx.legend(fontsize=8)
    notebook.save(fig, "17_correlated_samples")

# %% [markdown]
# ## Numeric check
#
# At every Monte-Carlo point the mean E_g is within 3 standard errors of the exact finite-K
# theory, plus 10 % for the O(1/N) finite-size bias of the deterministic equivalent at these
# small N (at N = 120, P = 240 it is 6 % already for K = I: 0.0174 ± 0.0004 measured over 60
# draws against 0.0165). Over the ridge sweep the
# mean CorrGCV/E_out is within 3 standard errors (of the per-draw ratio) plus 5 % of 1, and
# plain GCV is below 0.8 of E_out wherever the ridge does not dominate the fit (λ ≤ 0.1; at
# λ = 1 few directions are fitted and GCV is only ~10 % low): its failure, THEORY §9.5.

# %%
for kind, rows in points.items():
    for r in rows:
        mean, se = r["test"]
        assert abs(mean - r["exact"]) <= 3 * se + 0.1 * r["exact"], (kind, r)
ratio = empirical.summarise(np.asarray(reps["corrgcv"]) / np.asarray(reps["test_out"]))
assert np.all(np.abs(ratio.mean - 1.0) <= 3 * ratio.stderr + 0.05), (ratio.mean, ratio.stderr)
low = np.asarray(sweep_ridges) <= 0.1
assert np.all(sweep["gcv"].mean[low] < 0.8 * sweep["test_out"].mean[low]), sweep["gcv"].mean
print(f"check passed: CorrGCV/E_out = {np.round(ratio.mean, 3)}")

# %%
timer.report("17_correlated_samples")
