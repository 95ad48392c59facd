# %% [markdown]
# # Unstructured linear regression: renormalised ridge, double descent, GCV
#
# Isotropic data Σ = I_N with a flat target (‖w̄‖² = 1) and label noise σ_ε = 0.5, ridge
# λ = 10⁻³, swept over q = N/P ∈ [10⁻², 10²] (THEORY §7 item 2; formulas in §2.3–2.8). Panel (a)
# shows κ, the GCV κ̂, df¹, df² and γ; (b) the errors E_g, E_tr, Bias², Var_X, Var_Xε and the
# GCV estimate against N/P; (c) the same on linear axes against P/N: the double-descent peak at
# P = N. Paper sizes: N = 250, 21 values of q, 50 seeds.

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

plot.apply_style()

N = notebook.pick(ci=40, default=100, paper=250)
NUM_Q = notebook.pick(ci=9, default=21, paper=21)
NUM_SEEDS = notebook.pick(ci=4, default=16, paper=50)
RIDGE, NOISE_VAR = 1e-3, 0.5**2
eigvals, weights = spectra.isotropic(N, norm2=1.0)

# Monte-Carlo sample sizes: P = N/q on the log grid of panels (a, b), and P/N ∈ [0.1, 2] for the
# double-descent panel (c); all run in one compiled learning curve.
q_mc = np.logspace(-2, 2, NUM_Q)
P_log = np.unique(np.maximum(1, np.round(N / q_mc)).astype(int))
P_lin = np.unique(np.round(N * np.linspace(0.1, 2.0, notebook.pick(ci=7, default=20, paper=20))))
P_lin = P_lin.astype(int)
P_mc = np.unique(np.concatenate([P_log, P_lin]))
print(f"N = {N}, {P_mc.size} sample sizes from {P_mc.min()} to {P_mc.max()}, {NUM_SEEDS} seeds")

# %% [markdown]
# ## Monte Carlo
#
# One eigendecomposition per (P, seed) gives the exact ridge solution; E_g is exact for the known
# Σ; κ̂ = P/Tr[(G+λ)⁻¹] and the GCV estimate (κ̂/λ)²E_tr − σ_ε² use the training data only.

# %%
mc = empirical.learning_curve(
    jax.random.key(2),
    eigvals,
    weights,
    P_mc,
    jnp.array([RIDGE]),
    NOISE_VAR,
    NUM_SEEDS,
    bucket_growth=notebook.pick(ci=None, default=None, paper=1.5),
    independent=notebook.scale() == "paper",  # independent points; nested draws are cheaper
)


def stats(values):
    values = np.asarray(values[..., 0])
    return values.mean(1), values.std(1, ddof=1) / np.sqrt(NUM_SEEDS)


mc_test, mc_train, mc_gcv = stats(mc.test), stats(mc.train), stats(mc.gcv)
mc_kappa, mc_df1 = stats(mc.kappa), stats(mc.df1 / N)

# %% [markdown]
# ## Theory
#
# `theory.ridge_risk` on a fine grid of P (vmapped), plus the Monte-Carlo sizes, in one call.

# %%
q_line = np.logspace(-2, 2, 241)
x_line = np.linspace(0.1, 2.0, 400)  # P/N
P_all = np.concatenate([N / q_line, N * x_line, P_mc.astype(float)])
th = jax.vmap(theory.ridge_risk, (None, None, 0, None, None))(
    eigvals, weights, jnp.asarray(P_all), RIDGE, NOISE_VAR
)
th = jax.tree_util.tree_map(np.asarray, th)
cut = np.cumsum([q_line.size, x_line.size])
th_log, th_lin, th_mc = (
    jax.tree_util.tree_map(lambda a, i=i: np.split(a, cut)[i], th) for i in range(3)
)
# Closed form of THEORY §2.8 as a cross-check of the solver: κ = ½[(q+λ−1) + √((1−q−λ)²+4λ)].
q_all = N / P_all
closed = 0.5 * ((q_all + RIDGE - 1) + np.sqrt((1 - q_all - RIDGE) ** 2 + 4 * RIDGE))
print("max relative |κ − closed form|:", float(np.max(np.abs(th.kappa / closed - 1))))

# %% [markdown]
# ## (a) Renormalised ridge, degrees of freedom, γ


# %%
def parameters(th, x):
    return {
        plot.label("kappa"): th.kappa,
        r"$\mathrm{df}^1$": th.df1 / N,
        r"$\mathrm{df}^2$": th.df2 / N,
        plot.label("gamma"): th.gamma,
    }


fig, axes = plt.subplots(1, 2, figsize=(10, 3.9), sharey=True)
for ax, x_th, x_mc, xlabel in (
    (axes[0], q_line, N / P_mc, r"$N/P$"),
    (axes[1], 1 / q_line, P_mc / N, r"$P/N$"),
):
    plot.curves(
        x_th,
        theory=parameters(th_log, x_th),
        empirical={plot.label("kappa"): mc_kappa, r"$\mathrm{df}^1$": mc_df1},
        x_empirical=x_mc,
        ax=ax,
        xlabel=xlabel,
        legend=ax is axes[0],
        title=rf"$N$={N}, $\lambda$={RIDGE:g}, $\sigma_\varepsilon^2$={NOISE_VAR}",
    )
axes[0].set_ylabel("value")
axes[0].text(
    0.02,
    0.03,
    r"points: Monte-Carlo $\hat\kappa$ (GCV) and $\hat{\mathrm{df}}^1$",
    transform=axes[0].transAxes,
    fontsize=8,
)
notebook.save(fig, "02_linear_regression_parameters")

# %% [markdown]
# ## (b) Errors and their decomposition against N/P


# %%
def errors(th):
    return {
        plot.label("test"): th.test,
        plot.label("train"): th.train,
        plot.label("bias"): th.bias,
        plot.label("var_x"): th.var_x,
        plot.label("var_noise"): th.var_noise,
    }


fig, ax = plt.subplots(figsize=(5.6, 4.2))
plot.curves(
    q_line,
    theory=errors(th_log),
    empirical={plot.label("test"): mc_test, plot.label("train"): mc_train},
    gcv={plot.label("test"): mc_gcv[0]},
    x_empirical=N / P_mc,
    ax=ax,
    xlabel=r"$N/P$",
    ylabel="error",
    title=rf"$N$={N}, $\lambda$={RIDGE:g}, $\sigma_\varepsilon$={NOISE_VAR**0.5:g}, "
    rf"{NUM_SEEDS} seeds",
)
ax.set_ylim(1e-4, None)
notebook.save(fig, "02_linear_regression_errors")

# %% [markdown]
# ## (c) Double descent against P/N (linear axes)

# %%
inside = (P_mc >= 0.1 * N) & (P_mc <= 2 * N)
fig, ax = plt.subplots(figsize=(5.6, 4.2))
plot.curves(
    x_line,
    theory=errors(th_lin),
    empirical={
        plot.label("test"): (mc_test[0][inside], mc_test[1][inside]),
        plot.label("train"): (mc_train[0][inside], mc_train[1][inside]),
    },
    gcv={plot.label("test"): mc_gcv[0][inside]},
    x_empirical=P_mc[inside] / N,
    ax=ax,
    logx=False,
    logy=False,
    xlabel=r"$P/N$",
    ylabel="error",
    title=rf"double descent, $N$={N}, $\lambda$={RIDGE:g}",
)
ax.set_ylim(0, 1.1 * max(float(np.max(th_lin.test)), float(np.max(mc_test[0][inside]))))
plot.vlines(ax, 1.0, [r"$P=N$"])
notebook.save(fig, "02_linear_regression_double_descent")

# %% [markdown]
# ## Check: theory against Monte Carlo

# %%
# Seed means against the deterministic equivalent at every Monte-Carlo size with P ≥ P_min
# (tiny P are far from the N, P → ∞ limit). Allowance: 4 standard errors of the seed mean plus
# a finite-size bias of order 1/min(N, P) (THEORY §5.8: ≈ 2 % scatter per 12 seeds at
# N = P = 2000), written as a relative `finite` term that shrinks with the scale.
P_min = notebook.pick(ci=10, default=20, paper=25)
finite = notebook.pick(ci=0.2, default=0.1, paper=0.06)
ok = P_mc >= P_min


def check(name, mean_se, expected):
    mean, se = mean_se
    gap = np.abs(mean - expected)[ok]
    allowed = (4 * se + finite * np.abs(expected))[ok]
    print(
        f"{name:>6}: max relative gap {np.max(gap / np.abs(expected[ok])):.4f}, "
        f"max gap/allowed {np.max(gap / allowed):.3f}"
    )
    assert np.all(gap <= allowed), (name, gap, allowed)


check("E_g", mc_test, th_mc.test)
check("E_tr", mc_train, th_mc.train)
check("GCV", mc_gcv, th_mc.test)
check("κ̂", mc_kappa, th_mc.kappa)
check("df̂¹", mc_df1, th_mc.df1 / N)
# The solver equals the isotropic closed form (THEORY §2.8, check V01).
np.testing.assert_allclose(th.kappa, closed, rtol=1e-9)

# %%
timer.report("02_linear_regression")
