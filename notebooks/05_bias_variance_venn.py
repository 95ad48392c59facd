# %% [markdown]
# # Venn diagrams of the bias–variance decomposition
#
# The test error splits by the law of total variance over its sources of randomness: for
# linear regression (LR) the data X and the label noise ε, E_g = Bias² + Var_X + Var_Xε; for
# linear random features (LRF) also the feature weights F, E_g = Bias² + Var_X + Var_F +
# Var_XF + Var_Xε + Var_XFε (THEORY §2.6, §3.3, §7 item 5). Each region of a Venn diagram of
# the sources carries the value of its term at one representative point (isotropic data,
# LR: N = 250, P = N/2, λ = 10⁻³, σ_ε = 0.5; LRF: D = 200, N = 100, P = D/4, λ = 10⁻³,
# σ_ε = 0.25), from the deterministic equivalent, checked against a Monte-Carlo ANOVA.

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
# ## Theory at the two representative points
#
# The paper's sizes are used for the diagrams at every scale (the theory is instantaneous);
# the Monte-Carlo check below runs at the scale's size with the same ratios P/N, N/D.

# %%
from matplotlib.patches import Circle, Rectangle

from jaxridge import empirical, plot, spectra, theory

RIDGE = 1e-3
LR_NOISE_VAR = 0.25  # σ_ε = 0.5
RF_NOISE_VAR = 0.0625  # σ_ε = 0.25
LR_TERMS = ["bias", "var_x", "var_noise"]
RF_TERMS = ["bias", "var_x", "var_f", "var_xf", "var_xnoise", "var_xfnoise"]


def lr_point(n):
    """LR theory at N = n, P = n/2 (isotropic, ‖w̄‖ = 1)."""
    eigvals, target = spectra.isotropic(n)
    return theory.ridge_risk(eigvals, target, n / 2, RIDGE, LR_NOISE_VAR)


def rf_point(d):
    """LRF theory at D = d, N = d/2, P = d/4 (isotropic, ‖w̄‖ = 1, v = 1/D)."""
    eigvals, target = spectra.isotropic(d)
    return theory.rf_risk(eigvals, target, d / 2, d / 4, RIDGE, RF_NOISE_VAR)


lr = lr_point(250)
rf = rf_point(200)
for name, risk, terms in [("LR", lr, LR_TERMS), ("LRF", rf, RF_TERMS)]:
    values = {k: float(getattr(risk, k)) for k in terms}
    total = sum(values.values())
    print(name, {k: round(v, 5) for k, v in values.items()}, f"E_g = {float(risk.test):.6f}")
    # The decomposition is exact: the terms add up to E_g to rounding.
    assert abs(total - float(risk.test)) <= 1e-10 * float(risk.test), (name, total, risk.test)
    assert all(v >= 0 for v in values.values()), values

# %% [markdown]
# ## The diagrams
#
# One circle per source (equal sizes: the areas are not proportional to the terms). The
# region inside a set of circles and outside the others is the variance explained jointly by
# exactly those sources; Bias² sits outside every circle. Regions that vanish identically
# (Var_ε, and for LRF Var_Fε, by the X ↦ −X symmetry) are marked 0.


def region_text(value, total):
    return f"{value:.3g}\n({100 * value / total:.0f}%)"


def venn(ax, centres, names, regions, bias, total, title):
    """Circles at `centres` labelled `names`; `regions` maps a text position to (label, value)."""
    colors = plot.PALETTE
    ax.add_patch(Rectangle((-2.0, -1.95), 4.0, 3.9, fill=False, lw=1.2, color="0.3"))
    for (x, y), name, color in zip(centres, names, colors, strict=False):
        ax.add_patch(Circle((x, y), 1.0, alpha=0.25, color=color, lw=0))
        ax.add_patch(Circle((x, y), 1.0, fill=False, color=color, lw=1.5))
        dx, dy = x / max(np.hypot(x, y), 1e-9), y / max(np.hypot(x, y), 1e-9)
        ax.text(x + 1.12 * dx, y + 1.12 * dy, name, ha="center", va="center", fontsize=14,
                color=color, weight="bold")  # fmt: skip
    for (x, y), (label, value) in regions.items():
        text = label + "\n" + (region_text(value, total) if value is not None else "0")
        ax.text(x, y, text, ha="center", va="center", fontsize=9)
    ax.text(-1.9, -1.85, plot.label("bias") + " = " + region_text(bias, total).replace("\n", " "),
            ha="left", va="bottom", fontsize=10)  # fmt: skip
    ax.text(1.9, 1.85, rf"$E_g$ = {total:.4g}", ha="right", va="top", fontsize=10)
    ax.set_xlim(-2.05, 2.05)
    ax.set_ylim(-2.0, 2.0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)


with plot.style():
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.4))
    s = 0.55
    venn(
        axes[0],
        [(-s, 0.0), (s, 0.0)],
        ["X", "ε"],
        {
            (-1.0, 0.0): (plot.label("var_x"), float(lr.var_x)),
            (0.0, 0.0): (plot.label("var_noise"), float(lr.var_noise)),
            (1.0, 0.0): (r"Var$_\varepsilon$", None),
        },
        float(lr.bias),
        float(lr.test),
        r"LR: $N=250$, $P=N/2$, $\lambda=10^{-3}$, $\sigma_\varepsilon=0.5$",
    )
    top, side = (0.0, 0.6), (0.6 * np.cos(np.pi / 6), -0.6 * np.sin(np.pi / 6))
    cx, cf, ce = (-side[0], side[1]), (side[0], side[1]), top
    venn(
        axes[1],
        [cx, cf, ce],
        ["X", "F", "ε"],
        {
            (-0.95, -0.5): (plot.label("var_x"), float(rf.var_x)),
            (0.95, -0.5): (plot.label("var_f"), float(rf.var_f)),
            (0.0, 1.15): (r"Var$_\varepsilon$", None),
            (0.0, -0.85): (plot.label("var_xf"), float(rf.var_xf)),
            (-0.72, 0.55): (plot.label("var_xnoise"), float(rf.var_xnoise)),
            (0.72, 0.55): (r"Var$_{F\varepsilon}$", None),
            (0.0, 0.0): (plot.label("var_xfnoise"), float(rf.var_xfnoise)),
        },
        float(rf.bias),
        float(rf.test),
        r"LRF: $D=200$, $N=100$, $P=D/4$, $\lambda=10^{-3}$, $\sigma_\varepsilon=0.25$",
    )
    notebook.save(fig, "05_bias_variance_venn")
    plt.show()

# %% [markdown]
# ## Monte Carlo: ANOVA over the sources
#
# LR: `n_X` training sets, each fitted with and without its label noise (the noise-free fit is
# the ε-average of the noisy one, since the fit is linear in y). Per draw, the Σ-norm of
# noisy − clean is an unbiased estimate of Var_Xε; the sample variance of the clean fits
# estimates Var_X, and ‖mean − w̄‖² − Var_X/n_X estimates Bias². LRF: the two-way
# random-effects ANOVA of `empirical.rf_ridge_risk` over an n_X × n_F grid (THEORY §5.8).
# Both are repeated over independent replicates for error bars (one compiled function each).

# %%
lr_size = notebook.pick(ci=60, default=250, paper=250)
rf_size = notebook.pick(ci=80, default=200, paper=200)
lr_seeds = notebook.pick(ci=32, default=200, paper=1000)
rf_seeds = notebook.pick(ci=4, default=8, paper=25)
reps = notebook.pick(ci=4, default=8, paper=8)


@jax.jit
def lr_anova(key):
    """Unbiased Bias², Var_X, Var_Xε of LR from `lr_seeds` draws (isotropic, Σ = I)."""
    n, p = lr_size, lr_size // 2
    target = jnp.full(n, 1 / np.sqrt(n))

    def fit(k):
        kx, ke = jax.random.split(k)
        x = jax.random.normal(kx, (p, n))
        y_clean = x @ target
        noise = np.sqrt(LR_NOISE_VAR) * jax.random.normal(ke, (p,))
        # Kernel form (P < N): ŵ = Xᵀ(XXᵀ + Pλ)⁻¹y, both labels in one solve.
        rhs = jnp.stack([y_clean, y_clean + noise], axis=1)
        w = x.T @ jnp.linalg.solve(x @ x.T + p * RIDGE * jnp.eye(p), rhs)
        return w[:, 0], w[:, 1]

    clean, noisy = jax.vmap(fit)(jax.random.split(key, lr_seeds))
    mean = clean.mean(axis=0)
    var_x = jnp.sum((clean - mean) ** 2) / (lr_seeds - 1)
    return {
        "bias": jnp.sum((mean - target) ** 2) - var_x / lr_seeds,
        "var_x": var_x,
        "var_noise": jnp.mean(jnp.sum((noisy - clean) ** 2, axis=1)),
    }


def rf_anova(key):
    eigvals, target = spectra.isotropic(rf_size)
    out = empirical.rf_ridge_risk(
        key, eigvals, target, rf_size // 2, rf_size // 4, jnp.array([RIDGE]),
        noise_var=RF_NOISE_VAR, num_data_seeds=rf_seeds, num_feature_seeds=rf_seeds,
    )  # fmt: skip
    return {k: getattr(out, k)[0] for k in [*RF_TERMS, "test"]}


def replicate(fn, offset):
    runs = [jax.tree.map(float, fn(jax.random.key(offset + r))) for r in range(reps)]
    stacked = {k: np.array([run[k] for run in runs]) for k in runs[0]}
    mean = {k: v.mean() for k, v in stacked.items()}
    stderr = {k: v.std(ddof=1) / np.sqrt(reps) for k, v in stacked.items()}
    return mean, stderr


lr_mc, lr_se = replicate(lr_anova, 0)
rf_mc, rf_se = replicate(rf_anova, 100)
lr_th = lr_point(lr_size)
rf_th = rf_point(rf_size)

# %% [markdown]
# ## Numeric check
#
# Each Monte-Carlo term must match the theory at the same size within k = 4 standard errors
# (over `reps` replicates) plus a finite-size allowance relative to E_g: the deterministic
# equivalents carry O(1/√N) corrections (N = 60–80 at ci scale, about 12 % of E_g; N = 200–250
# otherwise, about 6 %).

# %%
k = 4.0
finite_size = notebook.pick(ci=0.12, default=0.06, paper=0.06)
for name, mc, se, th, terms in [
    ("LR", lr_mc, lr_se, lr_th, LR_TERMS),
    ("LRF", rf_mc, rf_se, rf_th, RF_TERMS),
]:
    total = float(th.test)
    for term in terms:
        want, got = float(getattr(th, term)), mc[term]
        print(
            f"{name:3s} {term:11s} theory {want:.5f}  MC {got:.5f} ± {se[term]:.5f}  "
            f"(deviation {abs(got - want) / total:.3f} E_g)"
        )
        assert abs(got - want) <= k * se[term] + finite_size * total, (name, term, got, want)

# %%
timer.report("05_bias_variance_venn")
