# %% [markdown]
# # Unstructured linear random features: the fine-grained bias–variance decomposition
#
# Isotropic data (Σ = I_D, ‖w̄‖² = 1) and isotropic random weights F ∈ ℝ^{D×N} with entry
# variance 1/D: every term of the fine-grained decomposition (Bias², Var_X, Var_F, Var_XF,
# Var_Xε, Var_XFε; THEORY §3.3) against the number of samples, with the coupled renormalised
# ridges κ₁, κ₂ and the γ's and df's of THEORY §3.2. Paper parameters (THEORY §7 item 6):
# D = 200, N = 100, λ = 10⁻³, σ_ε = 0.25, P/D ∈ [10⁻², 10²], 25 × 25 seeds.

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

# %%
from jaxridge import empirical, plot, spectra, theory

D = notebook.pick(ci=40, default=200, paper=200)  # data dimension
N = notebook.pick(ci=20, default=100, paper=100)  # width (number of random features)
ridge = 1e-3
noise_var = 0.25**2
# Monte-Carlo sample sizes as multiples of D (the interpolation peak P = N is left out).
mc_ratios = notebook.pick(
    ci=[0.2, 1.0, 5.0],
    default=[0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
    paper=[0.01, 0.03, 0.1, 0.2, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
)
# Seeds: `reps` independent replicates of an (n_X × n_F) grid; the error bars are the standard
# error of the replicate means (25 × 25 fits per point in the paper).
seeds = notebook.pick(ci=3, default=5, paper=11)
reps = notebook.pick(ci=3, default=4, paper=5)

eigvals, target = spectra.isotropic(D, 1.0)
P_theory = D * jnp.geomspace(1e-2, 1e2, notebook.pick(ci=60, default=200, paper=400))
P_mc = [max(2, int(round(D * q))) for q in mc_ratios]

# %% [markdown]
# ## Theory: one jitted `vmap` of `rf_risk` over P

# %%
rf_curve = jax.jit(
    jax.vmap(lambda P: theory.rf_risk(eigvals, target, float(N), P, ridge, noise_var))
)
# Theory on the plotting grid and at the Monte-Carlo points in one call (one compilation).
both = rf_curve(jnp.concatenate([P_theory, jnp.asarray(P_mc, dtype=float)]))
th = jax.tree.map(lambda x: x[: len(P_theory)], both)
th_mc = jax.tree.map(lambda x: x[len(P_theory) :], both)


# %% [markdown]
# ## Monte Carlo: two-way ANOVA over data and feature seeds, replicated for error bars


# %%
def monte_carlo(sizes):
    """Replicate mean and standard error of every field of `rf_ridge_risk` at each P."""

    def grid(key, P):  # one (n_X × n_F) seed grid from a key; its single ridge
        return jax.tree.map(lambda x: x[0], empirical.rf_ridge_risk(
            key, eigvals, target, N, P, jnp.array([ridge]),
            noise_var=noise_var, num_data_seeds=seeds, num_feature_seeds=seeds,
        ))  # fmt: skip

    # Replicate r at size P uses the key fold_in(key(1000 P), r); fields (reps, len(sizes)).
    keys = [jax.random.key(1000 * P) for P in sizes]
    stacked = empirical.replicate_curve(grid, keys, sizes, reps)
    mean, stderr = empirical.summarise(stacked)
    return mean, stderr


mc, mc_se = monte_carlo(P_mc)

# %% [markdown]
# ## Errors and the fine-grained decomposition

# %%
terms = ["test", "train", "bias", "var_x", "var_f", "var_xf", "var_xnoise", "var_xfnoise"]
# One colour per term across both panels.
term_colors = dict(zip(map(plot.label, terms), [*plot.PALETTE[:7], "#8C564B"], strict=True))
x_th, x_mc = np.asarray(P_theory) / D, np.asarray(P_mc) / D
with plot.style():
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.2), sharey=True)
    groups = [["test", "train", "bias", "var_x"], ["var_f", "var_xf", "var_xnoise", "var_xfnoise"]]
    for ax, names in zip(axes, groups, strict=True):
        plot.curves(
            x_th,
            theory={plot.label(k): getattr(th, k) for k in names},
            empirical={plot.label(k): (getattr(mc, k), getattr(mc_se, k)) for k in names},
            gcv={plot.label("test"): mc.gcv} if "test" in names else None,
            x_empirical=x_mc,
            ax=ax,
            colors=term_colors,
            xlabel=r"$P/D$",
        )
        plot.vlines(ax, N / D, [r"$P = N$"])
    axes[0].set_ylabel("error")
    axes[0].set_ylim(1e-5, 1e2)
    fig.suptitle(
        rf"Unstructured LRF: $D={D}$, $N={N}$, $\lambda=10^{{-3}}$, $\sigma_\varepsilon=0.25$"
    )
    notebook.save(fig, "06_unstructured_rf_errors")
    plt.show()

# %% [markdown]
# ## Parameters: κ₁, κ₂, γ₁, γ₂ and the normalised df's n₁/D, n₂/D
#
# Monte Carlo measures κ₁ by GCV, κ̂₁ = λ/(1 − df̂/P), and n₁ = df̂ = Tr[Ẑ(Ẑ+λ)⁻¹].

# %%
with plot.style():
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    plot.curves(
        x_th,
        theory={
            r"$\kappa_1$": th.kappa1, r"$\kappa_2$": th.kappa2,
            r"$\gamma_1$": th.gamma1, r"$\gamma_2$": th.gamma2,
            r"$\mathrm{df}_1$": th.df1 / D, r"$\mathrm{df}_2$": th.df2 / D,
        },
        empirical={
            r"$\kappa_1$": (mc.kappa1, mc_se.kappa1),
            r"$\mathrm{df}_1$": (mc.df1 / D, mc_se.df1 / D),
        },
        x_empirical=x_mc,
        ax=ax,
        xlabel=r"$P/D$",
    )  # fmt: skip
    plot.vlines(ax, N / D, [r"$P = N$"])
    ax.set_ylim(1e-4, 1e2)
    notebook.save(fig, "06_unstructured_rf_parameters")
    plt.show()

# %% [markdown]
# ## Numeric check
#
# The Monte-Carlo mean must match the theory within `k` standard errors plus a finite-size
# allowance: deterministic equivalents carry O(1/√D) corrections (D = 40 at ci scale, about 15 %
# on the errors; D = 200 otherwise, about 7 %; the paper's D is the default's). κ̂₁ (GCV) and df̂
# self-average, so they get a tighter bound. Every quantity also gets 1/(2·min(P, N)) for the
# O(1/P) corrections at the smallest P (P = 2 … 40 here; 2.8 % on κ̂₁ at P = 40 at paper scale).
# E_g, E_tr and the GCV estimate are checked at every Monte-Carlo point.

# %%
k = 4.0
finite_size = notebook.pick(ci=0.2, default=0.08, paper=0.08)
small_p = 1.0 / (2.0 * np.minimum(np.asarray(P_mc, float), N))
for name in ["test", "train", "kappa1", "df1"]:
    got, se = np.asarray(getattr(mc, name)), np.asarray(getattr(mc_se, name))
    want = np.asarray(getattr(th_mc, name))
    rel = (finite_size if name in ("test", "train") else finite_size / 4) + small_p
    err = np.abs(got - want)
    print(f"{name:7s} max rel. deviation {np.max(err / want):.3f}")
    assert np.all(err <= k * se + rel * want), (name, got, want, se)
gcv_err = np.abs(mc.gcv - np.asarray(th_mc.test))
print(f"gcv     max rel. deviation {np.max(gcv_err / np.asarray(th_mc.test)):.3f}")
assert np.all(gcv_err <= k * mc_se.gcv + finite_size * np.asarray(th_mc.test))

# %%
timer.report("06_unstructured_rf")
