# %% [markdown]
# # Linear random features: label noise mitigated by the ridge
#
# Noisy power-law data (σ_ε > 0) learned by N isotropic random features. Ridgeless, the noise
# term tends to σ_ε²(α − 1) and E_g does not converge (THEORY §4.2); a ridge λ = P^−ℓ with ℓ < α
# shrinks it like σ_ε² P^{−(α−ℓ)/α} (THEORY §4.3–4.4, noise row), while the bias falls like
# P^−2ℓ·min(r,1). Paper parameters (THEORY §7 item 9): α = 3, r = 0.3, σ_ε = 0.4, λ = P^−2,
# N = 2000 (D = 10⁴ as in items 7–8).

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

alpha, r = 3.0, 0.3
ell = 2.0  # λ = P^−ℓ
noise_var = 0.4**2
D = notebook.pick(ci=300, default=2000, paper=10_000)  # data dimension
N = notebook.pick(ci=60, default=400, paper=2000)  # width
P_max = D
P_mc = notebook.pick(
    ci=[8, 20, 150],
    default=[2, 5, 12, 30, 80, 200, 1000, 2000],
    paper=[2, 5, 10, 20, 50, 100, 300, 600, 2000, 5000, 10_000],
)
# `reps` independent replicates of an (n_X × n_F) seed grid; error bars: standard error of the
# replicate means.
seeds = notebook.pick(ci=3, default=3, paper=8)
reps = notebook.pick(ci=3, default=4, paper=5)

eigvals, target = spectra.power_law(D, alpha, r)
P_theory = jnp.geomspace(1.0, P_max, notebook.pick(ci=60, default=200, paper=300))

# %% [markdown]
# ## Theory: one jitted `vmap` of `rf_risk` over P

# %%
rf_curve = jax.jit(
    jax.vmap(lambda P: theory.rf_risk(eigvals, target, float(N), P, P**-ell, noise_var))
)
# The plotting grid and the Monte-Carlo points in one call (one compilation).
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
            key, eigvals, target, N, P, jnp.array([P**-ell]),
            noise_var=noise_var, num_data_seeds=seeds, num_feature_seeds=seeds,
        ))  # fmt: skip

    # Replicate r at size P uses the key fold_in(key(1000 P), r); fields (reps, len(sizes)).
    keys = [jax.random.key(1000 * P) for P in sizes]
    stacked = empirical.replicate_curve(grid, keys, sizes, reps)
    mean, stderr = empirical.summarise(stacked)
    sums = {
        "features": stacked.var_f + stacked.var_xf,
        "noise": stacked.var_xnoise + stacked.var_xfnoise,
    }
    sums = {k: empirical.summarise(v) for k, v in sums.items()}
    return mean, stderr, sums


mc, mc_se, mc_sums = monte_carlo(P_mc)

# %% [markdown]
# ## Errors: the ridge-limited bias and the decaying noise term

# %%
x_th, x_mc = np.asarray(P_theory), np.asarray(P_mc, dtype=float)
var_feat = th.var_f + th.var_xf
var_noise = th.var_xnoise + th.var_xfnoise


def at(curve, P):
    """A theory curve at P (log–log interpolation), to anchor a guide on it."""
    return float(np.exp(np.interp(np.log(P), np.log(x_th), np.log(np.asarray(curve)))))


with plot.style():
    fig, ax = plt.subplots(figsize=(6.0, 4.4))
    noise_label = r"Var$_{X\varepsilon}$ + Var$_{XF\varepsilon}$"
    mc_noise = mc_sums["noise"]
    plot.curves(
        x_th,
        theory={
            r"$E_g$": th.test, r"Bias$^2$": th.bias, r"Var$_X$": th.var_x,
            r"Var$_F$ + Var$_{XF}$": var_feat, noise_label: var_noise,
        },
        empirical={
            r"$E_g$": (mc.test, mc_se.test), r"Bias$^2$": (mc.bias, mc_se.bias),
            r"Var$_X$": (mc.var_x, mc_se.var_x), r"Var$_F$ + Var$_{XF}$": mc_sums["features"],
            noise_label: mc_noise,
        },
        gcv={r"$E_g$": mc.gcv},
        x_empirical=x_mc,
        ax=ax,
        xlabel=r"$P$",
        ylabel="error",
    )  # fmt: skip
    # Guides anchored on the theory terms they describe, set off by a factor 3.
    nu_bias = -2 * ell * min(r, 1)
    P_bias = np.geomspace(2.0, N / 2, 20)
    plot.guide(ax, P_bias, nu_bias, anchor=(3.0, at(th.bias, 3.0)), scale=3.0,
               label=plot.power_label(nu_bias))  # fmt: skip
    nu_noise = -(alpha - ell) / alpha
    P_noise = np.geomspace(3.0, N / 2, 20)
    plot.guide(ax, P_noise, nu_noise, anchor=(10.0, at(var_noise, 10.0)), scale=3.0, linestyle="-.",
               label=rf"$\propto \sigma_\varepsilon^2 P^{{{nu_noise:.3g}}}$")  # fmt: skip
    plot.vlines(ax, N, [r"$P = N$"])
    ax.get_legend().set_loc("lower left")  # below the curves, in the room made by the y range
    ax.set_ylim(1e-8, 10.0)
    ax.set_title(rf"$D={D}$, $N={N}$, $\alpha={alpha:g}$, $r={r}$, $\sigma_\varepsilon=0.4$, "
                 rf"$\lambda=P^{{-{ell:g}}}$")  # fmt: skip
    notebook.save(fig, "09_rf_noise_mitigated_errors")
    plt.show()

# %% [markdown]
# ## Parameters: κ₁, κ₂, γ₁, γ₂ and the normalised df's n₁/D, n₂/D
#
# κ₁ (measured by GCV) and κ₂ follow the bare ridge P^−ℓ: the ridge, not the data resolution
# P^−α, sets the scale the model resolves.

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
    plot.guide(ax, np.geomspace(2.0, N / 2, 20), -ell, anchor=(4.0, at(th.kappa1, 4.0)),
               scale=3.0, label=plot.power_label(-ell))  # fmt: skip
    plot.vlines(ax, N, [r"$P = N$"])
    ax.set_ylim(1e-9, 1e1)
    notebook.save(fig, "09_rf_noise_mitigated_parameters")
    plt.show()

# %% [markdown]
# ## Numeric check
#
# Power-law targets concentrated on the top modes do not self-average: the relative scatter of
# one (X, F) fit's E_g is O(1), and the replicate standard error measures it. Allow `k` = 4
# standard errors plus a finite-size term (O(1/√N) corrections to the deterministic equivalent:
# 25 % at N = 60 (ci), 10 % at N = 400, 5 % at N = 2000). κ̂₁ (GCV) and df̂ self-average and get a
# quarter of it. Every quantity also gets 1/(2·min(P, N)) for the O(1/P) corrections at the
# smallest P (P = 2 … 20). The noise part Var_Xε + Var_XFε, the subject of the figure, scatters
# most: its error bar comes from only `reps` replicate means, so its `k` is the two-sided 99.9 %
# Student-t quantile with reps − 1 degrees of freedom (8.6 for 5 replicates) rather than 4.

# %%
from scipy import stats

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
(got, se), want = mc_sums["noise"], np.asarray(th_mc.var_xnoise + th_mc.var_xfnoise)
err = np.abs(got - want)
k_noise = stats.t.ppf(1 - 0.5e-3, reps - 1)
print(f"noise   max rel. deviation {max(err / want):.3f}, max |dev|/se {max(err / se):.2f}")
assert np.all(err <= k_noise * se + (finite_size + small_p) * want), (got, want, se)

# %%
timer.report("09_rf_noise_mitigated")
