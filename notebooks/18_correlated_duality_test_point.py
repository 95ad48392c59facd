# %% [markdown]
# # Correlated samples II: nearest-neighbour K, both renormalised ridges, a correlated test point
#
# The follow-up's remaining figures (THEORY §9.7 items 1, 3 and 5), on jaxridge's correlated
# learning-curve engine (`empirical.learning_curve(..., sample_cov=K)`, which adds CorrGCV per
# cell) and the theory of `theory.correlated_ridge_risk` with each P's exact K
# (`spectra.leading_eigvals`: one vmapped program for the whole curve).
# Left: a learning curve under the nearest-neighbour correlation (b = 0.5), noise-free, with
# GCV and CorrGCV markers. Middle: the two renormalised ridges, κ (features) and κ̃ (samples),
# with their duality κκ̃/λ = P/n, and the df n measured by df̂ = Tr[Σ̂(Σ̂ + λ)⁻¹] and κ̃ by
# CorrGCV's κ̃̂ (n₁^K(κ̃̂) = df̂). Right: the error at a test point τ steps after a training
# window of an AR(1) series (`theory.correlated_test_point`), against a Monte Carlo that
# averages over the test point exactly given each training set.

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
# ## A learning curve under the nearest-neighbour correlation
#
# §9.7 item 5: K = toeplitz(1, b/2) with b = 0.5, power-law data α = 1.2, r = 0.8 (normalised
# to ‖w̄‖_Σ = 1), λ = 10⁻⁵, no label noise. The theory at every P uses the exact spectrum of
# that P's K (the leading block of one K); the Monte Carlo is one `learning_curve` call whose
# seeds each draw one growing correlated series.

# %%
num_features = notebook.pick(ci=100, default=200, paper=400)
num_seeds = notebook.pick(ci=12, default=30, paper=40)
ALPHA, R, RIDGE = 1.2, 0.8, 1e-5
eigvals, target = spectra.power_law(num_features, ALPHA, R)
target = target / jnp.sqrt(jnp.sum(eigvals * target**2))
sizes = np.unique(np.geomspace(10, 3 * num_features, notebook.pick(ci=6, default=12, paper=16)))
sizes = sizes.astype(int)
k_full = spectra.correlation_matrix("nearest_neighbour", int(sizes.max()), 0.5)
k_rows = spectra.leading_eigvals(k_full, sizes)
curve = jax.jit(
    jax.vmap(lambda k, p: theory.correlated_ridge_risk(eigvals, target, k, p, RIDGE, 0.0))
)(k_rows, jnp.asarray(sizes, jnp.float64))
mc = empirical.learning_curve(
    jax.random.key(0),
    eigvals,
    target,
    sizes,
    jnp.asarray([RIDGE]),
    0.0,
    num_seeds,
    sample_cov=k_full,
)
mc_test = empirical.summarise(np.asarray(mc.test[:, :, 0]), axis=1)
mc_gcv = empirical.summarise(np.asarray(mc.gcv[:, :, 0]), axis=1)
mc_corr = empirical.summarise(np.asarray(mc.corrgcv[:, :, 0]), axis=1)

# %% [markdown]
# ## Both renormalised ridges
#
# §9.7 item 1: an exponential K (ξ = 100), α = 1.1, r = 0.8, λ = 10⁻⁴, σ = 0.05 with noise ∝ K.
# κ (feature side) and κ̃ (sample side) against T = P; their product obeys κκ̃/λ = P/n = 1/df
# exactly. df̂ measures n, and κ̃̂ (the ridge whose sample-side df is df̂) measures κ̃.

# %%
DUAL = dict(alpha=1.1, r=0.8, ridge=1e-4, noise_var=0.05**2, rho=float(np.exp(-1 / 100)))
dual_e, dual_w = spectra.power_law(num_features, DUAL["alpha"], DUAL["r"])
dual_w = dual_w / jnp.sqrt(jnp.sum(dual_e * dual_w**2))
dual_full = spectra.correlation_matrix("ar1", int(sizes.max()), DUAL["rho"])
dual_rows = spectra.leading_eigvals(dual_full, sizes)
dual = jax.vmap(
    lambda k, p: theory.correlated_ridge_risk(
        dual_e, dual_w, k, p, DUAL["ridge"], DUAL["noise_var"]
    )
)(dual_rows, jnp.asarray(sizes, jnp.float64))
dual_mc = empirical.learning_curve(
    jax.random.key(1),
    dual_e,
    dual_w,
    sizes,
    jnp.asarray([DUAL["ridge"]]),
    DUAL["noise_var"],
    num_seeds,
    sample_cov=dual_full,
)
df_hat = np.asarray(dual_mc.df1[:, :, 0])
kt_hat = np.array(
    [[float(theory.kappa_from_df(dual_rows[i], d)) for d in df_hat[i]] for i in range(len(sizes))]
)
df_stats = empirical.summarise(df_hat, axis=1)
kt_stats = empirical.summarise(kt_hat, axis=1)
duality = np.asarray(dual.kappa * dual.kappa_samples / DUAL["ridge"])

# %% [markdown]
# ## A test point after the training window
#
# §9.7 item 3: N = 50, a window of T = 80 steps of an AR(1) series with ξ = 100, λ = 10⁻⁴,
# σ = 0.5 (noise ∝ K); the test point is τ steps after the window, so its correlation with
# step t of the window is ρ^{T − t + τ}. Given a training set, the test point is Gaussian with
# mean kᵀK⁻¹X and covariance (1 − kᵀK⁻¹k)Σ (its noise alike), so the test error averaged over
# the point is exact for each draw: (1 − kᵀK⁻¹k)(E_g + σ²) + (kᵀK⁻¹(y − Xŵ))². Those are
# averaged over draws; the theory is c·E_out with c from `correlated_test_point`.

# %%
TP = dict(n=50, window=80, ridge=1e-4, noise_var=0.25, rho=float(np.exp(-1 / 100)))
taus = np.array([0, 1, 2, 5, 10, 20, 40, 80, 160])
tp_e, tp_w = spectra.power_law(TP["n"], 1.1, 0.8)
tp_w = tp_w / jnp.sqrt(jnp.sum(tp_e * tp_w**2))
joint = spectra.correlation_matrix("ar1", TP["window"] + int(taus.max()) + 1, TP["rho"])
window_k = joint[: TP["window"], : TP["window"]]
cross = jnp.stack([joint[: TP["window"], TP["window"] + t] for t in taus])
tp_risk = theory.correlated_ridge_risk(
    tp_e, tp_w, jnp.linalg.eigvalsh(window_k), float(TP["window"]), TP["ridge"], TP["noise_var"]
)
points = jax.vmap(
    lambda c: theory.correlated_test_point(
        window_k, c, tp_risk.kappa_samples, tp_risk.test, TP["noise_var"]
    )
)(cross)
regress = jnp.linalg.solve(window_k, cross.T)  # K⁻¹k for every τ, (T, len(taus))
keep = 1.0 - jnp.sum(cross.T * regress, axis=0)


def test_point_error(key):
    """E_out(τ) of one training window, averaged exactly over the test point."""
    X, y = empirical.sample_data(
        key, tp_e, tp_w, TP["window"], TP["noise_var"], sample_cov=window_k
    )
    d = empirical.decompose(X, y)
    what = empirical.ridge_weights(d, jnp.asarray([TP["ridge"]]))[0]
    test = jnp.sum(tp_e * (what - tp_w) ** 2)
    return keep * (test + TP["noise_var"]) + (regress.T @ (y - X @ what)) ** 2


tp_draws = empirical.replicate(
    test_point_error, jax.random.key(2), notebook.pick(ci=100, default=400, paper=1000)
)
tp_mc = empirical.summarise(np.asarray(tp_draws))

# %%
with plot.style():
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(15, 4.2))
    ax.plot(sizes, np.asarray(curve.test), color="k", label="theory")
    ax.errorbar(
        sizes, mc_test.mean, yerr=mc_test.stderr, fmt="o", color="C0", ms=4, label="Monte Carlo"
    )
    ax.plot(sizes, mc_gcv.mean, "s", mfc="none", color="C1", label="GCV")
    ax.plot(sizes, mc_corr.mean, "x", color="C2", ms=7, label="CorrGCV")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$P$")
    ax.set_ylabel("$E_g$")
    ax.set_title("nearest neighbour, $b = 0.5$")
    ax.legend(fontsize=8)
    bx.plot(sizes, np.asarray(dual.kappa), color="C0", label=r"$\kappa$")
    bx.plot(sizes, np.asarray(dual.kappa_samples), color="C3", label=r"$\tilde\kappa$")
    bx.errorbar(
        sizes,
        kt_stats.mean,
        yerr=kt_stats.stderr,
        fmt="x",
        color="C3",
        label=r"$\hat{\tilde\kappa}$ from $\hat{df}$",
    )
    bx.plot(sizes, duality, "--", color="k", label=r"$\kappa\tilde\kappa/\lambda = P/n$")
    bx.plot(sizes, np.asarray(dual.df1), color="C2", label="$n$")
    bx.errorbar(
        sizes, df_stats.mean, yerr=df_stats.stderr, fmt="o", color="C2", ms=4, label=r"$\hat{df}$"
    )
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("$T = P$")
    bx.set_title(r"AR(1), $\xi = 100$")
    bx.legend(fontsize=7)
    cx.plot(taus + 1, np.asarray(points.test_out), color="k", label=r"theory $c\,E_{out}$")
    cx.errorbar(
        taus + 1, tp_mc.mean, yerr=tp_mc.stderr, fmt="o", color="C0", ms=4, label="Monte Carlo"
    )
    cx.axhline(float(tp_risk.test_out), color="gray", ls=":", label="independent test point")
    cx.set_xscale("log")
    cx.set_xlabel(r"$\tau + 1$")
    cx.set_ylabel(r"$E_{out}(\tau)$")
    cx.set_title(rf"window $T = {TP['window']}$, $N = {TP['n']}$")
    cx.legend(fontsize=8)
    notebook.save(fig, "18_correlated_duality_test_point")

# %% [markdown]
# ## Numeric check
#
# Learning curve: the Monte-Carlo E_g is within 3 standard errors plus 15 % of the exact
# finite-K theory at every P (the curve's seeds share their data across P; the 15 % covers the
# finite-size bias of the deterministic equivalent at N = 100 near the threshold), and CorrGCV
# (noise-free: unbiased) is within 3 standard errors plus 20 % of E_g. Duality: κκ̃/λ = P/n to
# rounding; df̂ within 3 standard errors plus 3 % of n. Test point: the Monte Carlo within 3
# standard errors plus 3 % of c·E_out at every τ, and E_out(τ) rises to the independent test
# point's value once the point is far from the window.

# %%
exact = np.asarray(curve.test)
assert np.all(np.abs(mc_test.mean - exact) <= 3 * mc_test.stderr + 0.15 * exact), (
    mc_test.mean,
    exact,
)
assert np.all(np.abs(mc_corr.mean - mc_test.mean) <= 3 * mc_corr.stderr + 0.2 * mc_test.mean)
np.testing.assert_allclose(duality, sizes / np.asarray(dual.df1), rtol=1e-10)
n_theory = np.asarray(dual.df1)
assert np.all(np.abs(df_stats.mean - n_theory) <= 3 * df_stats.stderr + 0.03 * n_theory)
want = np.asarray(points.test_out)
assert np.all(np.abs(tp_mc.mean - want) <= 3 * tp_mc.stderr + 0.03 * want), (tp_mc.mean, want)
assert np.all(np.diff(want) > 0) and want[-1] > 0.5 * float(tp_risk.test_out)
print("check passed: test point E_out(τ)/E_out =", np.round(want / float(tp_risk.test_out), 3))

# %%
timer.report("18_correlated_duality_test_point")
