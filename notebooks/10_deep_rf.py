# %% [markdown]
# # Deep linear random features
#
# Power-law data learned through a product of random layers, F = F₁F₂ with widths N₁, N₂: the
# master equation gains one S-transform factor per layer (THEORY §3.2) and the errors show the
# same bias-limited, feature-variance-limited and width-limited phases as a single layer (item 7),
# with the narrowest width N = min N_ℓ binding at P = N. Layer ℓ has entry variance 1/N_{ℓ−1}, the
# normalisation of the paper's simulations, passed explicitly to theory and Monte Carlo alike.
# Paper parameters (THEORY §7 item 10): widths [D, N₁, N₂] = [2000, 1000, 1000], α = 1.5,
# r = 0.7, λ = 10⁻⁵, σ_ε = 0, P ∈ [2, 2000].

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

alpha, r = 1.5, 0.7
ridge = 1e-5
noise_var = 0.0
D = notebook.pick(ci=200, default=1000, paper=2000)  # data dimension N₀
widths = notebook.pick(ci=(100, 60), default=(500, 250), paper=(1000, 1000))  # N₁, N₂
N = min(widths)  # the binding width
feature_vars = 1.0 / np.array([D, *widths[:-1]])  # v_ℓ = 1/N_{ℓ−1}
P_max = D
P_mc = notebook.pick(
    ci=[6, 30, 150],
    default=[2, 5, 12, 30, 80, 150, 400, 1000],
    paper=[2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
)
# `reps` independent replicates of an (n_X × n_F) seed grid; error bars: standard error of the
# replicate means.
seeds = notebook.pick(ci=3, default=4, paper=8)
reps = notebook.pick(ci=3, default=4, paper=5)

eigvals, target = spectra.power_law(D, alpha, r)
P_theory = jnp.geomspace(2.0, P_max, notebook.pick(ci=60, default=200, paper=300))
P_f = N ** (1 / (1 + alpha * (2 * min(r, 1) - 1)))  # Var_F overtakes the bias (THEORY §4.4)

# %% [markdown]
# ## Theory: one jitted `vmap` of `deep_rf_risk` over P

# %%
rf_curve = jax.jit(
    jax.vmap(
        lambda P: theory.deep_rf_risk(
            eigvals, target, jnp.asarray(widths, dtype=float), P, ridge, noise_var,
            feature_vars=feature_vars,
        )
    )
)  # fmt: skip
# The plotting grid and the Monte-Carlo points in one call (one compilation).
both = rf_curve(jnp.concatenate([P_theory, jnp.asarray(P_mc, dtype=float)]))
th = jax.tree.map(lambda x: x[: len(P_theory)], both)
th_mc = jax.tree.map(lambda x: x[len(P_theory) :], both)


# %% [markdown]
# ## Monte Carlo: two-way ANOVA over data and feature seeds, replicated for error bars


# %%
def monte_carlo(sizes):
    """Replicate mean and standard error of every field of `deep_rf_ridge_risk` at each P."""

    def grid(key, P):  # one (n_X × n_F) seed grid from a key; its single ridge
        return jax.tree.map(lambda x: x[0], empirical.deep_rf_ridge_risk(
            key, eigvals, target, widths, P, jnp.array([ridge]),
            noise_var=noise_var, num_data_seeds=seeds, num_feature_seeds=seeds,
            feature_vars=feature_vars,
        ))  # fmt: skip

    # Replicate r at size P uses the key fold_in(key(1000 P), r); fields (reps, len(sizes)).
    keys = [jax.random.key(1000 * P) for P in sizes]
    stacked = empirical.replicate_curve(grid, keys, sizes, reps)
    mean, stderr = empirical.summarise(stacked)
    var_feat = stacked.var_f + stacked.var_xf
    return mean, stderr, empirical.summarise(var_feat)


mc, mc_se, mc_var_feat = monte_carlo(P_mc)

# %% [markdown]
# ## Errors: bias-limited, then feature-variance-limited, then width-limited

# %%
x_th, x_mc = np.asarray(P_theory), np.asarray(P_mc, dtype=float)
var_feat = th.var_f + th.var_xf


def at(curve, P):
    """A theory curve at P (log–log interpolation), to anchor a guide on it."""
    return float(np.exp(np.interp(np.log(P), np.log(x_th), np.log(np.asarray(curve)))))


with plot.style():
    fig, ax = plt.subplots(figsize=(6.0, 4.4))
    plot.curves(
        x_th,
        theory={
            r"$E_g$": th.test, r"Bias$^2$": th.bias, r"Var$_X$": th.var_x,
            r"Var$_F$ + Var$_{XF}$": var_feat,
        },
        empirical={
            r"$E_g$": (mc.test, mc_se.test), r"Bias$^2$": (mc.bias, mc_se.bias),
            r"Var$_X$": (mc.var_x, mc_se.var_x), r"Var$_F$ + Var$_{XF}$": mc_var_feat,
        },
        gcv={r"$E_g$": mc.gcv},
        x_empirical=x_mc,
        ax=ax,
        xlabel=r"$P$",
        ylabel="error",
    )  # fmt: skip
    # Guides anchored on the theory terms they describe, set off by a factor 3.
    P_bias = np.geomspace(2.0, P_f * 2, 20)
    nu_bias = -2 * alpha * min(r, 1)
    plot.guide(ax, P_bias, nu_bias, anchor=(3.0, at(th.bias, 3.0)), scale=3.0,
               label=plot.power_label(nu_bias))  # fmt: skip
    P_var = np.geomspace(P_f, N / 1.5, 20)
    mid = float(np.sqrt(P_f * N))
    plot.guide(ax, P_var, 1 - alpha, anchor=(mid, at(var_feat, mid)), scale=3.0, linestyle="-.",
               label=rf"$\propto P^{{{1 - alpha:.3g}}}/N$")  # fmt: skip
    plot.vlines(ax, [P_f, N], [r"$N^{1/(1+\alpha(2r-1))}$", r"$P = N$"])
    ax.set_ylim(1e-7, 3.0)
    ax.set_title(rf"$D={D}$, $N_1={widths[0]}$, $N_2={widths[1]}$, $\alpha={alpha}$, $r={r}$, "
                 r"$\lambda=10^{-5}$")  # fmt: skip
    notebook.save(fig, "10_deep_rf_errors")
    plt.show()

# %% [markdown]
# ## Parameters: κ₁, κ₂, γ₁, γ₂ and the normalised df's n₁/D, n₂/D
#
# κ₂ follows the data resolution P^−α until the width binds; κ₁ (measured by GCV) stays at the
# bare ridge while P ≪ N.

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
        xlabel=r"$P$",
    )  # fmt: skip
    plot.guide(ax, np.geomspace(2.0, N / 2, 20), -alpha, anchor=(4.0, at(th.kappa2, 4.0)),
               scale=3.0, label=plot.power_label(-alpha))  # fmt: skip
    plot.vlines(ax, N, [r"$P = N$"])
    ax.set_ylim(1e-6, 1e1)
    notebook.save(fig, "10_deep_rf_parameters")
    plt.show()

# %% [markdown]
# ## Numeric check
#
# Power-law targets concentrated on the top modes do not self-average: the relative scatter of
# one (X, F) fit's E_g is O(1), and the replicate standard error measures it. Allow `k` = 4
# standard errors plus a finite-size term (O(1/√N) corrections to the deterministic equivalent:
# 25 % at N = 60 (ci), 10 % at N = 250, 5 % at N = 1000). κ̂₁ (GCV) and df̂ self-average and get
# a quarter of it. Every quantity also gets 1/(2·min(P, N)) for the O(1/P) corrections at the
# smallest P (κ̂₁ is 6 % off at P = 5 at paper scale, 19 of its tiny standard errors).

# %%
k = 4.0
finite_size = notebook.pick(ci=0.25, default=0.1, paper=0.05)
small_p = 1.0 / (2.0 * np.minimum(np.asarray(P_mc, float), N))
for name in ["test", "kappa1", "df1"]:
    got, se = np.asarray(getattr(mc, name)), np.asarray(getattr(mc_se, name))
    want = np.asarray(getattr(th_mc, name))
    rel = (finite_size if name == "test" else finite_size / 4) + small_p
    err = np.abs(got - want)
    print(f"{name:7s} max rel. deviation {max(err / want):.3f}, max |dev|/se {max(err / se):.2f}")
    assert np.all(err <= k * se + rel * want), (name, got, want, se)

# %%
timer.report("10_deep_rf")
