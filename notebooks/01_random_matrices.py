# %% [markdown]
# # A random-matrix primer: semicircle, Marchenko–Pastur, power-law and deep Wishart spectra
#
# Histograms of sampled eigenvalues against their deterministic-equivalent densities (THEORY
# §2.2–2.4, §7 item 1): the Wigner semicircle (N = 2000), white Wishart matrices for
# q = N/P ∈ {0.1, 0.32, 1, 3.2, 10} with the Marchenko–Pastur law (N = 3000), power-law
# ("structured") Wishart matrices with population e_k = k^−1.2 (N = 1000) against the
# Silverstein density and the population law ∝ λ^(−1−1/α), and a product of two white Wishart
# factors with widths [200, 1000, 6000], whose density solves an S-transform polynomial.

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
from jaxridge import notebook

jaxridge.enable_float64()
jaxridge.enable_compilation_cache()  # compiled programs kept on disk: reruns start sooner
timer = notebook.Timer()
print("scale:", notebook.scale(), "| backend:", jax.default_backend())

# %% [markdown]
# ## Sampling and the binned check
#
# Eigenvalues come from `numpy.linalg.eigvalsh` of the smaller of the two Gram matrices; the
# zero eigenvalues of a rank-deficient matrix are appended explicitly, so every histogram is
# normalised over all eigenvalues of the matrix, like the densities (whose atom at 0 is not
# drawn). The numeric check compares, per panel, the fraction of eigenvalues falling in each
# of a few bins with the theory mass of that bin (Gauss–Legendre quadrature of the density).

# %%
from numpy.polynomial.legendre import leggauss

from jaxridge import plot, spectra, theory

Q_VALUES = np.array([0.1, 0.32, 1.0, 3.2, 10.0])
ALPHA = 1.2
semicircle_size = notebook.pick(ci=200, default=1000, paper=2000)
wishart_size = notebook.pick(ci=200, default=1000, paper=3000)
power_law_size = notebook.pick(ci=200, default=1000, paper=1000)
widths = notebook.pick(ci=[20, 100, 600], default=[100, 500, 3000], paper=[200, 1000, 6000])
seeds = notebook.pick(ci=4, default=2, paper=1)
deep_seeds = notebook.pick(ci=10, default=10, paper=10)


rng = np.random.default_rng(0)


def gram_eigvals(x):
    """All eigenvalues of XᵀX for X of shape (..., P, N): eigh of the smaller Gram, zeros padded."""
    p, n = x.shape[-2:]
    xt = np.swapaxes(x, -1, -2)
    eigs = np.linalg.eigvalsh(xt @ x if n <= p else x @ xt)
    zeros = np.zeros((*x.shape[:-2], n - min(n, p)))
    return np.concatenate([zeros, eigs], axis=-1)


def wishart_eigvals(eigvals, num_samples, num_seeds):
    """Eigenvalues of Σ̂ = XᵀX/P, X = Z·diag(√e), for `num_seeds` draws, flattened."""
    z = rng.standard_normal((num_seeds, num_samples, eigvals.size))
    return (gram_eigvals(z * np.sqrt(eigvals)) / num_samples).ravel()


NODES, WEIGHTS = leggauss(24)


def bin_nodes(edges, log=False):
    """Gauss–Legendre nodes (bins × 24) and weights for ∫ρ over each bin (in log x if `log`)."""
    lo, hi = (np.log(edges[:-1]), np.log(edges[1:])) if log else (edges[:-1], edges[1:])
    half, mid = (hi - lo)[:, None] / 2, (hi + lo)[:, None] / 2
    u = mid + half * NODES
    x = np.exp(u) if log else u
    weight = half * WEIGHTS * (x if log else 1.0)
    return x, weight


results = {}


def binned_check(name, samples, edges, rho_nodes, weight, num_eigs):
    """Empirical fraction per bin vs the theory mass; records the worst deviation in σ units."""
    counts, _ = np.histogram(samples, bins=edges)
    observed = counts / samples.size
    expected = np.sum(np.asarray(rho_nodes) * weight, axis=1)
    sigma = np.sqrt(expected * (1 - expected) / samples.size)
    results[name] = (observed, expected, sigma, num_eigs)
    worst = np.max(np.abs(observed - expected))
    print(f"{name:26s} max |Δ mass| per bin {worst:.4f} (max theory σ {sigma.max():.4f})")


# %% [markdown]
# ## Wigner semicircle
#
# W = (G + Gᵀ)/√(2N) with G an N × N standard Gaussian matrix: ρ(x) = √(4 − x²)/(2π).


# %%
g = rng.standard_normal((seeds, semicircle_size, semicircle_size))
wigner = np.linalg.eigvalsh((g + np.swapaxes(g, -1, -2)) / np.sqrt(2 * semicircle_size)).ravel()
grid = np.linspace(-2.2, 2.2, 800)
edges = np.linspace(-2.0, 2.0, 13)
x_nodes, w_nodes = bin_nodes(edges)
binned_check("semicircle", wigner, edges, theory.semicircle_density(x_nodes), w_nodes,
             semicircle_size)  # fmt: skip

with plot.style():
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    plot.spectrum(wigner, (grid, theory.semicircle_density(grid)), ax=ax, bins=60,
                  label=f"N = {semicircle_size}", xlabel=r"$\lambda$",
                  ylabel=r"$\rho(\lambda)$", title="Wigner semicircle")  # fmt: skip
    notebook.save(fig, "01_random_matrices_semicircle")
    plt.show()

# %% [markdown]
# ## White Wishart: Marchenko–Pastur for q = N/P ∈ {0.1, 0.32, 1, 3.2, 10}
#
# Σ̂ = XᵀX/P with X ∈ ℝ^{P×N} standard Gaussian, P = N/q. For q > 1 a fraction 1 − 1/q of the
# eigenvalues sits at 0 (not shown); the histograms start just below the lower edge.

# %%
with plot.style():
    fig, axes = plt.subplots(1, len(Q_VALUES), figsize=(17, 3.6))
    for ax, q, color in zip(axes, Q_VALUES, plot.PALETTE, strict=False):
        num_samples = int(round(wishart_size / q))
        eigs = wishart_eigvals(np.ones(wishart_size), num_samples, seeds)
        q_exact = wishart_size / num_samples
        lower, upper = (float(v) for v in theory.marchenko_pastur_edges(q_exact))
        grid = np.linspace(max(lower * 0.9, 1e-4 * upper), upper * 1.05, 800)
        bins = np.linspace(max(lower - 0.05 * (upper - lower), 1e-9), upper * 1.05, 60)
        plot.spectrum(eigs, (grid, theory.marchenko_pastur_density(grid, q_exact)), ax=ax,
                      bins=bins, logy=True, color=color, label=rf"$q = {q:g}$",
                      xlabel=r"$\lambda$", ylabel=r"$\rho(\lambda)$" if q == Q_VALUES[0] else None,
                      title=rf"$q = N/P = {q:g}$")  # fmt: skip
        edges = np.linspace(lower, upper, 11)
        x_nodes, w_nodes = bin_nodes(edges)
        rho = theory.marchenko_pastur_density(x_nodes, q_exact)
        binned_check(
            f"white Wishart q={q:g}", eigs, edges, rho, w_nodes, min(wishart_size, num_samples)
        )
    fig.suptitle(rf"White Wishart, $N = {wishart_size}$: Marchenko–Pastur")
    notebook.save(fig, "01_random_matrices_wishart")
    plt.show()

# %% [markdown]
# ## Power-law Wishart: e_k = k^−1.2
#
# Same q values, population Σ = diag(k^−α). The deterministic-equivalent density of Σ̂
# (`theory.sample_covariance_density`, THEORY §2.2–2.3 continued to λ = −z) is evaluated for
# all five q in one `vmap`-ed call; the population density (1/(αN)) λ^(−1−1/α) on
# [N^−α, 1] is the dashed line.

# %%
eigvals_pl, _ = spectra.power_law(power_law_size, ALPHA, 1.0)
eigvals_pl = eigvals_pl / eigvals_pl[0]  # e_k = k^-α exactly
samples_pl = [int(round(power_law_size / q)) for q in Q_VALUES]
grid_pl = np.geomspace(1e-5, 20.0, 600)
edges_pl = np.geomspace(1e-3, 3.0, 13)
x_nodes, w_nodes = bin_nodes(edges_pl, log=True)
# One compiled call: the plotting grid and the quadrature nodes, for every q.
points = np.concatenate([grid_pl, x_nodes.ravel()])
density_pl = jax.jit(jax.vmap(theory.sample_covariance_density, (None, None, 0)))(
    jnp.asarray(points), eigvals_pl, jnp.asarray(samples_pl, dtype=float)
)
density_pl = np.asarray(density_pl)
population = np.where(
    (grid_pl >= float(eigvals_pl[-1])) & (grid_pl <= 1.0),
    grid_pl ** (-1 - 1 / ALPHA) / (ALPHA * power_law_size),
    np.nan,
)
with plot.style():
    fig, axes = plt.subplots(1, len(Q_VALUES), figsize=(17, 3.6), sharey=True)
    for i, (ax, q, color) in enumerate(zip(axes, Q_VALUES, plot.PALETTE, strict=False)):
        eigs = wishart_eigvals(np.asarray(eigvals_pl), samples_pl[i], seeds)
        plot.spectrum(eigs, (grid_pl, density_pl[i, : grid_pl.size]), ax=ax, bins=50,
                      logx=True, logy=True, color=color, label=rf"$q = {q:g}$",
                      xlabel=r"$\lambda$", ylabel=r"$\rho(\lambda)$" if i == 0 else None,
                      title=rf"$q = N/P = {q:g}$")  # fmt: skip
        ax.plot(
            grid_pl,
            population,
            "--",
            color="0.45",
            lw=1.2,
            label=r"population $\propto\lambda^{-1-1/\alpha}$",
        )
        ax.set_ylim(1e-4, 1e5)
        ax.set_xlim(grid_pl[0], grid_pl[-1])
        if i == 0:
            ax.legend(fontsize=8)
        rho = density_pl[i, grid_pl.size :].reshape(x_nodes.shape)
        binned_check(f"power-law Wishart q={q:g}", eigs, edges_pl, rho, w_nodes,
                     min(power_law_size, samples_pl[i]))  # fmt: skip
    fig.suptitle(rf"Power-law Wishart, $e_k = k^{{-{ALPHA}}}$, $N = {power_law_size}$")
    notebook.save(fig, "01_random_matrices_power_law")
    plt.show()

# %% [markdown]
# ## Deep (product) white Wishart, widths [N₀, N₁, N₂]
#
# Y = X₁X₂ with X_ℓ ∈ ℝ^{N_{ℓ−1}×N_ℓ} of i.i.d. N(0, 1/N_{ℓ−1}) entries and M = YᵀY
# (N₂ × N₂, rank N₀). Its density solves z·t = (1+t)(1+(N₂/N₀)t)(1+(N₂/N₁)t)
# (`theory.product_wishart_density`); the continuous part carries mass N₀/N₂.

# %%
n0, n1, n2 = widths


x1 = rng.standard_normal((deep_seeds, n0, n1)) / np.sqrt(n0)
x2 = rng.standard_normal((deep_seeds, n1, n2)) / np.sqrt(n1)
deep = gram_eigvals(x1 @ x2).ravel()  # eigenvalues of YᵀY (N₂ per draw, N₂ − N₀ zeros)
top = float(deep.max())
grid_lin = np.linspace(1e-3, 1.1 * top, 800)
low = float(deep[deep > 1e-8 * top].min())
grid_log = np.geomspace(0.5 * low, 1.1 * top, 800)
edges_deep = np.geomspace(low, top, 11)
x_nodes, w_nodes = bin_nodes(edges_deep, log=True)
points = np.concatenate([grid_lin, grid_log, x_nodes.ravel()])
density_deep = np.asarray(theory.product_wishart_density(jnp.asarray(points), widths))
rho_lin = density_deep[: grid_lin.size]
rho_log = density_deep[grid_lin.size : grid_lin.size + grid_log.size]
binned_check("deep Wishart", deep, edges_deep, density_deep[-x_nodes.size :].reshape(x_nodes.shape),
             w_nodes, n0)  # fmt: skip

with plot.style():
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.9))
    label = f"widths {widths}"
    plot.spectrum(deep, (grid_lin, rho_lin), ax=axes[0], bins=np.linspace(0.05, 1.1 * top, 60),
                  label=label, xlabel=r"$\lambda$", ylabel=r"$\rho(\lambda)$",
                  title="linear axes")  # fmt: skip
    plot.spectrum(deep, (grid_log, rho_log), ax=axes[1], bins=50, logx=True, logy=True,
                  label=label, xlabel=r"$\lambda$", ylabel=r"$\rho(\lambda)$",
                  title="log axes")  # fmt: skip
    axes[1].set_ylim(1e-5 * rho_log.max(), 3 * rho_log.max())
    axes[1].set_xlim(grid_log[0], grid_log[-1])
    fig.suptitle(r"Product Wishart $M = X_2^\top X_1^\top X_1 X_2$")
    notebook.save(fig, "01_random_matrices_deep_wishart")
    plt.show()

# %% [markdown]
# ## Numeric check
#
# For every panel and bin, the fraction of eigenvalues must match the theory mass within
# 4 binomial standard errors √(p(1−p)/n) (n = all eigenvalues drawn; eigenvalues repel, so
# the real scatter is smaller) plus a finite-size allowance c/N_eff, N_eff the number of
# non-zero eigenvalues per matrix: edges and the density's shape carry O(1/N) corrections
# (Tracy–Widom edge fluctuations of width N^−2/3 move O(1/N) of mass across a bin boundary).

# %%
k = 4.0
c = notebook.pick(ci=1.5, default=1.5, paper=1.5)
for name, (observed, expected, sigma, num_eigs) in results.items():
    bound = k * sigma + c / num_eigs
    ratio = np.max(np.abs(observed - expected) / bound)
    print(f"{name:26s} worst |Δ|/bound = {ratio:.2f}")
    assert np.all(np.abs(observed - expected) <= bound), (name, observed, expected, bound)

# %%
timer.report("01_random_matrices")
