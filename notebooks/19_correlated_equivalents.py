# %% [markdown]
# # Correlated samples III: the deterministic equivalent's pieces, checked one by one
#
# THEORY §9.7 item 2 (the follow-up's deterministic-equivalent checks). For the AR(1) sample
# correlation (correlation time ξ, ρ = e^{−1/ξ}):
# left, the sample-side ridge κ̃ as a function of the normalised df, from the closed-form
# S-transform (κ̃ = (1 − df)/(df·S_K(df)), `spectra.ar1_s_transform`) and by inverting the df of
# K's P → ∞ spectrum (`theory.kappa_from_df` on the symbol); middle, E_out and E_tr against λ
# (theory and Monte Carlo from one decomposition per draw for every λ) with the factors that
# turn E_tr into E_out: plain GCV's 1/(1 − df̂/P)² and CorrGCV's P/Tr[κ̃²K(K + κ̃)⁻²]; right,
# 1 − γ (the variance amplification's denominator) with and without the correlation.

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
# ## κ̃ against df: closed form and inversion
#
# The P → ∞ spectrum of K is its symbol on M points (a normalised spectrum: each value weighs
# P/M). Inverting its df, n₁^K(κ̃)/P = df, must give the closed form's κ̃ at every df.

# %%
RHO = float(np.exp(-1 / 10))
symbol = spectra.ar1_correlation(
    notebook.pick(ci=2000, default=4000, paper=8000), RHO, infinite=True
)
dfs = np.linspace(0.02, 0.98, 49)
closed = (1.0 - dfs) / (dfs * np.asarray(spectra.ar1_s_transform(jnp.asarray(dfs), RHO)))
inverted = np.asarray(
    jax.vmap(lambda df: theory.kappa_from_df(symbol, df * symbol.shape[0]))(jnp.asarray(dfs))
)

# %% [markdown]
# ## E_out and E_tr against λ, and the factors GCV and CorrGCV apply
#
# Σ = I (N features), ‖w̄‖ = 1, σ² = 0.1 with noise ∝ K, T = 2N samples of the series. Each
# draw is decomposed once for all λ (`empirical.ridge_risk(..., sample_cov=K)`, whose
# `corrgcv` field is CorrGCV's estimate); the theory uses the exact spectrum of this K.

# %%
num_features = notebook.pick(ci=100, default=300, paper=500)
num_samples = 2 * num_features
NOISE_VAR = 0.1
ridges = jnp.asarray(np.geomspace(1e-3, 10.0, notebook.pick(ci=9, default=17, paper=25)))
eigvals, target = spectra.isotropic(num_features)
k_matrix = spectra.correlation_matrix("ar1", num_samples, RHO)
k_eigs = jnp.linalg.eigvalsh(k_matrix)
risk = jax.vmap(
    lambda lam: theory.correlated_ridge_risk(
        eigvals, target, k_eigs, float(num_samples), lam, NOISE_VAR
    )
)(ridges)
iid_rows = jax.vmap(
    lambda lam: theory.ridge_risk(eigvals, target, float(num_samples), lam, NOISE_VAR)
)(ridges)
mc = empirical.ridge_risk(
    jax.random.key(0),
    eigvals,
    target,
    num_samples,
    ridges,
    NOISE_VAR,
    notebook.pick(ci=12, default=30, paper=40),
    sample_cov=k_matrix,
)
mc_out = empirical.summarise(np.asarray(mc.test_out))
mc_train = empirical.summarise(np.asarray(mc.train))
ratio = empirical.summarise(np.asarray(mc.train) / np.asarray(mc.test_out))
mc_corr = empirical.summarise(np.asarray(mc.corrgcv) + NOISE_VAR)  # CorrGCV's E_out estimate
# E_tr/E_out in theory, CorrGCV's t_K = Tr[κ̃²K(K + κ̃)⁻²]/P, and plain GCV's (1 − n/P)².
kt = np.asarray(risk.kappa_samples)[:, None]
k_np = np.asarray(k_eigs)[None, :]
t_k = np.sum(k_np * (kt / (k_np + kt)) ** 2, axis=1) / num_samples
gcv_factor = (1.0 - np.asarray(risk.df1) / num_samples) ** 2

# %%
with plot.style():
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(15, 4.2))
    ax.plot(dfs, closed, color="k", label="closed form $(1-df)/(df\\,S_K)$")
    ax.plot(dfs[::3], inverted[::3], "o", mfc="none", color="C3", label="inverted symbol df")
    ax.set_yscale("log")
    ax.set_xlabel("$df = n/P$")
    ax.set_ylabel(r"$\tilde\kappa$")
    ax.set_title(r"AR(1), $\xi = 10$, $P \to \infty$")
    ax.legend(fontsize=8)
    lams = np.asarray(ridges)
    bx.plot(lams, np.asarray(risk.test_out), color="C0", label=r"$E_{out}$ theory")
    bx.errorbar(lams, mc_out.mean, yerr=mc_out.stderr, fmt="o", color="C0", ms=4)
    bx.plot(lams, np.asarray(risk.train), color="C1", label=r"$E_{tr}$ theory")
    bx.errorbar(lams, mc_train.mean, yerr=mc_train.stderr, fmt="o", color="C1", ms=4)
    bx.plot(
        lams,
        np.asarray(risk.train) / gcv_factor,
        ":",
        color="C2",
        label=r"$E_{tr}/(1-n/P)^2$ (GCV)",
    )
    bx.plot(lams, np.asarray(risk.train) / t_k, "--", color="C3", label=r"$E_{tr}/t_K$ (CorrGCV)")
    bx.plot(lams, mc_corr.mean, "x", color="C3", ms=7, label="CorrGCV, Monte Carlo")
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel(r"$\lambda$")
    bx.set_title(rf"$N = {num_features}$, $T = {num_samples}$, noise $\propto K$")
    bx.legend(fontsize=7)
    cx.plot(lams, 1.0 - np.asarray(risk.gamma), color="C3", label="AR(1) samples")
    cx.plot(lams, 1.0 - np.asarray(iid_rows.gamma), color="C0", label="i.i.d. samples")
    cx.set_xscale("log")
    cx.set_xlabel(r"$\lambda$")
    cx.set_ylabel(r"$1 - \gamma$")
    cx.legend(fontsize=8)
    notebook.save(fig, "19_correlated_equivalents")

# %% [markdown]
# ## Numeric check
#
# The closed-form κ̃ equals the inverted one to 1e-8 relative (the midpoint rule on a smooth
# periodic symbol converges geometrically). With noise ∝ K, E_tr = t_K·E_out exactly in the
# deterministic equivalent, so the theory's ratio equals t_K to rounding; the Monte-Carlo mean
# of E_tr/E_out per draw is within 3 standard errors plus 5 % of t_K at every λ (5 % for the
# O(1/N) bias at N = 100), and the Monte-Carlo E_out within 3 standard errors plus 5 % of the
# theory, and so is the Monte-Carlo CorrGCV estimate. Plain GCV's factor misses t_K by more
# than 30 % at the smallest λ. (1 − γ is drawn, not asserted: the correlated and i.i.d.
# curves cross near λ = 0.03 here.)

# %%
np.testing.assert_allclose(inverted, closed, rtol=1e-8)
np.testing.assert_allclose(np.asarray(risk.train / risk.test_out), t_k, rtol=1e-10)
assert np.all(np.abs(ratio.mean - t_k) <= 3 * ratio.stderr + 0.05 * t_k), (ratio.mean, t_k)
want = np.asarray(risk.test_out)
assert np.all(np.abs(mc_out.mean - want) <= 3 * mc_out.stderr + 0.05 * want), (mc_out.mean, want)
assert np.all(np.abs(mc_corr.mean - want) <= 3 * mc_corr.stderr + 0.05 * want), mc_corr.mean
assert abs(gcv_factor[0] / t_k[0] - 1.0) > 0.3, (gcv_factor[0], t_k[0])
print(f"check passed: E_tr/E_out = t_K; GCV factor / t_K at λ = 1e-3: {gcv_factor[0] / t_k[0]:.2f}")

# %%
timer.report("19_correlated_equivalents")
