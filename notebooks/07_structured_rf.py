# %% [markdown]
# # Structured linear random features: the variance-dominated regime
#
# Power-law data (e_k = k^−α, e_k w̄_k² = k^−(1+2αr)) learned by N isotropic random features at a
# tiny ridge. The bias falls like P^−2α·min(r,1) until the variance due to the features,
# Var_F + Var_XF ∝ P^{1−α}/N, overtakes it at P_f = N^{1/(1+α)} (r > 1); the width binds at P = N
# (THEORY §3.3, §4.4). Paper parameters (THEORY §7 item 7): D = 10⁴, N = 1000, α = 1.5, r = 1.2,
# λ = 10⁻⁵, σ_ε = 0, P ∈ [1, 10⁴].

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

alpha, r = 1.5, 1.2
ridge = 1e-5
noise_var = 0.0
D = notebook.pick(ci=300, default=2000, paper=10_000)  # data dimension
N = notebook.pick(ci=60, default=200, paper=1000)  # width
P_max = D
P_mc = notebook.pick(
    ci=[8, 20, 150],
    default=[2, 5, 12, 30, 80, 500, 1000, 2000],
    paper=[2, 5, 10, 20, 50, 100, 300, 600, 2000, 5000, 10_000],
)
# `reps` independent replicates of an (n_X × n_F) seed grid; error bars: standard error of the
# replicate means. Five at every scale, so that the Student-t factor of the final check stays
# moderate (8.6; it is 31.6 for 3 replicates).
seeds = notebook.pick(ci=3, default=4, paper=8)
reps = 5

eigvals, target = spectra.power_law(D, alpha, r)
P_theory = jnp.geomspace(1.0, P_max, notebook.pick(ci=60, default=200, paper=300))
P_f = N ** (1 / (1 + alpha * (2 * min(r, 1) - 1)))  # Var_F overtakes the bias (THEORY §4.4)

# %% [markdown]
# ## Theory: one jitted `vmap` of `rf_risk` over P

# %%
rf_curve = jax.jit(
    jax.vmap(lambda P: theory.rf_risk(eigvals, target, float(N), P, ridge, noise_var))
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
            key, eigvals, target, N, P, jnp.array([ridge]),
            noise_var=noise_var, num_data_seeds=seeds, num_feature_seeds=seeds,
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


def resolved(mean, se):
    """Monte-Carlo points whose mean exceeds 2 standard errors; NaN (no point) elsewhere."""
    ok = mean > 2 * se
    return np.where(ok, mean, np.nan), np.where(ok, se, np.nan)


def upper_limits(ax, label, mean, se):
    """▽ at mean + 2 SE where the mean is not resolved, in the colour of the theory line."""
    show = (mean <= 2 * se) & (mean + 2 * se > 0)
    color = next(line.get_color() for line in ax.get_lines() if line.get_label() == label)
    ax.plot(x_mc[show], (mean + 2 * se)[show], linestyle="none", marker="v", color=color,
            markersize=5, zorder=3)  # fmt: skip


with plot.style():
    fig, ax = plt.subplots(figsize=(6.0, 4.4))
    plot.curves(
        x_th,
        theory={
            r"$E_g$": th.test, r"Bias$^2$": th.bias, r"Var$_X$": th.var_x,
            r"Var$_F$ + Var$_{XF}$": var_feat,
        },
        empirical={
            r"$E_g$": (mc.test, mc_se.test), r"Bias$^2$": resolved(mc.bias, mc_se.bias),
            r"Var$_X$": resolved(mc.var_x, mc_se.var_x), r"Var$_F$ + Var$_{XF}$": mc_var_feat,
        },
        gcv={r"$E_g$": mc.gcv},
        x_empirical=x_mc,
        ax=ax,
        xlabel=r"$P$",
        ylabel="error",
    )  # fmt: skip
    upper_limits(ax, r"Bias$^2$", mc.bias, mc_se.bias)
    upper_limits(ax, r"Var$_X$", mc.var_x, mc_se.var_x)
    ax.text(1.0, -0.1, "▽: Monte-Carlo mean < 2 SE, drawn at mean + 2 SE", ha="right", va="top",
            transform=ax.transAxes, fontsize="x-small", color="0.3")  # fmt: skip
    # Guides anchored on the theory terms they describe, set off by a factor 3.
    P_bias = np.geomspace(1.5, P_f * 2, 20)
    nu_bias = -2 * alpha * min(r, 1)
    plot.guide(ax, P_bias, nu_bias, anchor=(3.0, at(th.bias, 3.0)), scale=3.0,
               label=plot.power_label(nu_bias))  # fmt: skip
    P_var = np.geomspace(P_f, N / 1.5, 20)
    mid = float(np.sqrt(P_f * N))
    plot.guide(ax, P_var, 1 - alpha, anchor=(mid, at(var_feat, mid)), scale=3.0, linestyle="-.",
               label=rf"$\propto P^{{{1 - alpha:.3g}}}/N$")  # fmt: skip
    plot.vlines(ax, [P_f, N], [r"$N^{1/(1+\alpha)}$", r"$P = N$"])
    ax.set_ylim(1e-9 if N >= 200 else 1e-7, 3.0)
    ax.set_title(rf"$D={D}$, $N={N}$, $\alpha={alpha}$, $r={r}$, $\lambda=10^{{-5}}$")
    notebook.save(fig, "07_structured_rf_errors")
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
    notebook.save(fig, "07_structured_rf_parameters")
    plt.show()

# %% [markdown]
# ## Numeric check
#
# Power-law targets concentrated on the top modes do not self-average: the relative scatter of
# one (X, F) fit's E_g is O(1), and the replicate standard error measures it. Allow `k` = 4
# standard errors plus a finite-size term (O(1/√N) corrections to the deterministic equivalent:
# 25 % at N = 60 (ci), 10 % at N ≥ 200). κ̂₁ (GCV) and df̂ self-average and get a quarter of it.
#
# Bias² and Var_X are checked too, though at large P mostly against their own noise. The ANOVA
# (THEORY §5.8) gets them as differences of sums much larger than the result, Bias² = ‖m − w̄‖² −
# Var_X/n_X − Var_F/n_F − Var_XF/(n_X n_F): once the feature variance dominates, one grid's Bias²
# scatters by about 1–2 % of E_g with 4 × 4 seeds (0.5 % with 8 × 8) and its Var_X by 0.1–0.5 %,
# while the terms themselves fall two to six decades below E_g. Those points are noise around
# the theory, and the figure marks them (mean < 2 SE) as upper limits. It is not rounding: the
# float64 ANOVA differences carry relative errors of 10⁻¹⁶, the fits 10⁻¹¹. Their bound is
# therefore mostly the standard error itself, estimated from only `reps` replicate means, so
# their `k` is the two-sided 99.9 % Student-t quantile with reps − 1 degrees of freedom (8.6 for
# 5 replicates, as notebook 09 does for its noise term), and their allowance the finite-size
# term above plus 1/(2·min(P, N)) for the O(1/P) corrections at the smallest P (as in 06, 09, 10).

# %%
from scipy import stats

k = 4.0
finite_size = notebook.pick(ci=0.25, default=0.1, paper=0.05)
for name in ["test", "kappa1", "df1"]:
    got, se = np.asarray(getattr(mc, name)), np.asarray(getattr(mc_se, name))
    want = np.asarray(getattr(th_mc, name))
    rel = finite_size if name == "test" else finite_size / 4
    err = np.abs(got - want)
    print(f"{name:7s} max rel. deviation {max(err / want):.3f}, max |dev|/se {max(err / se):.2f}")
    assert np.all(err <= k * se + rel * want), (name, got, want, se)
k_terms = stats.t.ppf(1 - 0.5e-3, reps - 1)
small_p = 1.0 / (2.0 * np.minimum(np.asarray(P_mc, float), N))
for name in ["bias", "var_x"]:
    got, se = np.asarray(getattr(mc, name)), np.asarray(getattr(mc_se, name))
    want = np.asarray(getattr(th_mc, name))
    err = np.abs(got - want)
    print(f"{name:7s} max |dev|/se {max(err / se):.2f}, max bound/theory "
          f"{max((k_terms * se + (finite_size + small_p) * want) / want):.3g}")  # fmt: skip
    assert np.all(err <= k_terms * se + (finite_size + small_p) * want), (name, got, want, se)

# %%
timer.report("07_structured_rf")
