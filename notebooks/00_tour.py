# %% [markdown]
# # A five-minute tour of jaxridge
#
# A power-law ridge problem (THEORY §4.1, e_k = k^−α, e_k w̄_k² = k^−(1+2αr), α = 1.5, r = 0.4):
# its spectrum, the deterministic-equivalent risk (THEORY §2.3–2.6) on a whole (P, λ) grid in one
# compiled call, a Monte-Carlo learning curve with error bars and GCV against the theory, the
# optimal ridge found with `jax.grad` through the implicit solver (THEORY §5.5), and the
# scaling-exponent table of THEORY §4.3 against local slopes measured by autodiff.

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
from jaxridge.theory import scaling

plot.apply_style()

ALPHA, R = 1.5, 0.4
N = notebook.pick(ci=300, default=1000, paper=4000)  # features of the Monte-Carlo problem
NUM_SEEDS = notebook.pick(ci=4, default=16, paper=100)
P_MAX = notebook.pick(ci=100, default=400, paper=1000)
RIDGE = 1e-4
eigvals, weights = spectra.power_law(N, alpha=ALPHA, r=R)
print(
    f"N = {N}, Tr Σ = {float(eigvals.sum()):.3f}, signal w̄ᵀΣw̄ = "
    f"{float(jnp.sum(eigvals * weights**2)):.3f}"
)

# %% [markdown]
# ## 1. Theory on a grid
#
# `theory.ridge_risk` solves for the renormalised ridge κ at one (P, λ) point; `jax.vmap` twice
# and one `jax.jit` evaluate a whole grid in a single compiled program (here with label noise
# σ_ε² = 0.05, so that each P has an optimal ridge).

# %%
NOISE = 0.05  # label-noise variance σ_ε² of this example: it makes an optimal ridge appear
P_OPT = notebook.pick(ci=100.0, default=200.0, paper=200.0)
risk_grid = jax.jit(
    jax.vmap(jax.vmap(theory.ridge_risk, (None, None, None, 0, None)), (None, None, 0, None, None))
)
P_grid = jnp.sort(
    jnp.append(jnp.geomspace(1.0, 10 * N, notebook.pick(ci=29, default=79, paper=119)), P_OPT)
)
lam_grid = jnp.geomspace(1e-8, 1.0, notebook.pick(ci=41, default=121, paper=161))
grid = risk_grid(eigvals, weights, P_grid, lam_grid, NOISE)
print("E_g on the (P, λ) grid:", grid.test.shape)

# %% [markdown]
# ## 2. A Monte-Carlo learning curve
#
# `empirical.learning_curve` draws one growing training set per seed, fits every ridge exactly
# from one eigendecomposition per size, and measures E_g exactly from the known Σ. GCV
# estimates E_g from training data only.

# %%
P_mc = np.unique(np.geomspace(10, P_MAX, notebook.pick(ci=5, default=10, paper=14)).astype(int))
mc = empirical.learning_curve(
    jax.random.key(0),
    eigvals,
    weights,
    P_mc,
    jnp.array([RIDGE]),
    0.0,
    NUM_SEEDS,
    # A fresh training set per (P, seed) makes the points independent; nested draws (one per
    # seed, cut at every P) are cheaper on a CPU.
    independent=notebook.scale() == "paper",
    bucket_growth=notebook.pick(ci=None, default=None, paper=1.5),  # fewer programs to compile
)
mc_test = np.asarray(mc.test[..., 0])  # (sizes, seeds)
mc_gcv = np.asarray(mc.gcv[..., 0])
mean, stderr = mc_test.mean(1), mc_test.std(1, ddof=1) / np.sqrt(NUM_SEEDS)
# The theory line and the theory at the Monte-Carlo sizes, in one call.
P_line = jnp.geomspace(P_mc[0], P_mc[-1], 60)
both = jax.vmap(theory.ridge_risk, (None, None, 0, None))(
    eigvals, weights, jnp.concatenate([P_line, jnp.asarray(P_mc, float)]), RIDGE
)
curve = jax.tree_util.tree_map(lambda x: x[: P_line.size], both)
curve_mc = jax.tree_util.tree_map(lambda x: x[P_line.size :], both)

# %% [markdown]
# ## 3. Gradients through the solver
#
# Every solver is implicitly differentiable, so the optimal ridge of a noisy problem is a few
# Newton steps on log λ with `jax.grad` (and its own derivative), no grid search needed.


# %%
def test_error(log_ridge):
    return theory.ridge_risk(eigvals, weights, P_OPT, jnp.exp(log_ridge), NOISE).test


# Value, gradient and second derivative in log λ, compiled together.
derivatives = jax.jit(
    lambda u: (test_error(u), jax.grad(test_error)(u), jax.grad(jax.grad(test_error))(u))
)
log_ridge = jnp.log(1e-2)
for _ in range(8):
    _, slope, curvature = derivatives(log_ridge)
    log_ridge = log_ridge - slope / jnp.maximum(curvature, 1e-12)
best_ridge = float(jnp.exp(log_ridge))
h = 1e-4  # central finite difference in log λ, to compare with the implicit gradient
grad_at = float(derivatives(jnp.log(1e-3))[1])
fd = float(derivatives(jnp.log(1e-3) + h)[0] - derivatives(jnp.log(1e-3) - h)[0]) / (2 * h)
print(f"dE_g/dlogλ at λ=1e-3: autodiff {grad_at:.8e}, finite difference {fd:.8e}")
row = int(jnp.argmin(jnp.abs(P_grid - P_OPT)))  # E_g(λ) at P_OPT is a row of the grid
scan = grid.test[row]
grid_best = float(lam_grid[scan.argmin()])
print(f"optimal ridge by Newton: {best_ridge:.4e} (grid argmin {grid_best:.4e})")

# %% [markdown]
# ## 4. Scaling exponents
#
# `scaling.exponents` gives the asymptotic exponent ν of E_g ∝ P^−ν (THEORY §4.3) with the
# ridge scaled as λ = P^−ℓ; `scaling.local_slope` measures d log E_g / d log P of the theory by
# forward-mode autodiff. A long spectrum (N ≫ P) stands in for N = ∞.

# %%
N_LONG = notebook.pick(ci=20_000, default=400_000, paper=2_000_000)
P_SLOPE = jnp.geomspace(10.0, notebook.pick(ci=300.0, default=3000.0, paper=1e4), 25)
cases = [  # (alpha, r, ridge exponent ℓ (inf: ridgeless), noise variance)
    (1.5, 0.4, np.inf, 0.0),
    (1.5, 1.5, np.inf, 0.0),
    (1.5, 0.4, 0.5, 0.0),
    (2.0, 0.3, 1.0, 0.0),
    (1.5, 0.4, float(scaling.noise_crossover_ridge_exponent(1.5, 0.4)), 0.1),
]


@jax.jit
def slopes(alpha, r, ell, noise_var, P):
    e, w = spectra.power_law(N_LONG, alpha, r)
    finite = jnp.isfinite(ell)
    safe_ell = jnp.where(finite, ell, 1.0)

    def error(p):
        lam = jnp.where(finite, p ** (-safe_ell), 0.0)
        return theory.ridge_risk(e, w, p, lam, noise_var).test

    return scaling.local_slope(error, P)


table = []
for alpha, r, ell, noise_var in cases:
    predicted = scaling.exponents(
        alpha, r, noise=noise_var > 0, ridge_exponent=None if np.isinf(ell) else ell
    )
    measured = np.asarray(slopes(alpha, r, ell, noise_var, P_SLOPE))
    table.append((alpha, r, ell, noise_var, predicted, measured))
    print(
        f"α={alpha:<4} r={r:<4} ℓ={ell:<6.3g} σ²={noise_var:<4} {predicted.regime:>16}: "
        f"ν = {predicted.exponent:.4f}, local slope at P={float(P_SLOPE[-1]):.0f}: "
        f"{-measured[-1]:.4f}"
    )

# %% [markdown]
# ## Figures

# %%
fig, axes = plt.subplots(2, 2, figsize=(10, 7.6))
ax = axes[0, 0]
k = np.arange(1, N + 1)
ax.loglog(k, eigvals, label=r"$e_k = k^{-\alpha}$")
ax.loglog(k, eigvals * weights**2, label=r"$e_k \bar w_k^2 = k^{-(1+2\alpha r)}$")
ax.set_xlabel("$k$")
ax.set_title(rf"spectrum and target ($\alpha$={ALPHA}, $r$={R})")
ax.legend()

ax = axes[0, 1]
mesh = ax.pcolormesh(
    np.asarray(P_grid),
    np.asarray(lam_grid),
    np.log10(np.asarray(grid.test)).T,
    shading="auto",
    cmap="viridis",
)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel(plot.label("num_samples"))
ax.set_ylabel(plot.label("ridge"))
ax.set_title(rf"theory $\log_{{10}} E_g(P, \lambda)$, $\sigma_\varepsilon^2$={NOISE}")
fig.colorbar(mesh, ax=ax)

ax = axes[1, 0]
ax.loglog(
    lam_grid, scan, label=rf"theory $E_g(\lambda)$, $P$={P_OPT:.0f}, $\sigma_\varepsilon^2$={NOISE}"
)
ax.axvline(
    best_ridge, color="0.4", linestyle=":", label=rf"Newton on $\log\lambda$: {best_ridge:.2g}"
)
ax.set_xlabel(plot.label("ridge"))
ax.set_ylabel(plot.label("test"))
ax.set_title("optimal ridge by jax.grad")
ax.legend()

ax = axes[1, 1]
for i, (alpha, r, ell, noise_var, predicted, measured) in enumerate(table):
    color = plot.PALETTE[i]
    ell_text = r"\infty" if np.isinf(ell) else f"{ell:.2g}"
    ax.semilogx(
        P_SLOPE,
        -measured,
        color=color,
        label=rf"$\alpha$={alpha}, $r$={r}, $\ell$=${ell_text}$, $\sigma^2$={noise_var}",
    )
    ax.axhline(predicted.exponent, color=color, linestyle="--", linewidth=1.0)
ax.set_xlabel(plot.label("num_samples"))
ax.set_ylabel(r"$-\,d\log E_g/d\log P$")
ax.set_title(r"local slopes (lines) vs table $\nu$ (dashed)")
ax.legend(fontsize=7)
notebook.save(fig, "00_tour_theory")

# %%
fig, ax = plt.subplots(figsize=(5.2, 3.9))
plot.curves(
    P_line,
    theory={plot.label("test"): curve.test, plot.label("train"): curve.train},
    empirical={
        plot.label("test"): (mean, stderr),
        plot.label("train"): (
            np.asarray(mc.train[..., 0]).mean(1),
            np.asarray(mc.train[..., 0]).std(1, ddof=1) / np.sqrt(NUM_SEEDS),
        ),
    },
    gcv={plot.label("test"): mc_gcv.mean(1)},
    x_empirical=P_mc,
    ax=ax,
    xlabel=plot.label("num_samples"),
    ylabel="error",
    title=rf"$N$={N}, $\lambda$={RIDGE:g}, {NUM_SEEDS} seeds",
)
plot.guide(
    ax, P_line, -2 * ALPHA * min(R, 1), scale=2.0, label=plot.power_label(-2 * ALPHA * min(R, 1))
)
notebook.save(fig, "00_tour_learning_curve")

# %% [markdown]
# ## Checks

# %%
# Monte Carlo against theory. Power-law targets concentrate on a few top modes and do not
# self-average (THEORY §5.8: ≈ 2.5 % seed scatter per 8 draws at N = 2000, P = 500), so the seed
# mean is compared with 4 standard errors plus a finite-size allowance that shrinks with size
# (the deterministic equivalent is exact only as N, P → ∞; the gap is O(1/P) relative).
finite_size = notebook.pick(ci=0.15, default=0.06, paper=0.04)
theory_mc = np.asarray(curve_mc.test)
gap = np.abs(mean - theory_mc)
print("relative MC − theory gap:", np.round(gap / theory_mc, 4))
print("gap in standard errors:  ", np.round(gap / stderr, 2))
assert np.all(gap <= 4 * stderr + finite_size * theory_mc), (gap, stderr, theory_mc)
# GCV estimates E_g per seed; its seed mean must track the theory with the same allowance
# plus its own seed scatter.
gcv_mean = mc_gcv.mean(1)
gcv_se = mc_gcv.std(1, ddof=1) / np.sqrt(NUM_SEEDS)
assert np.all(np.abs(gcv_mean - theory_mc) <= 4 * gcv_se + 2 * finite_size * theory_mc)
# The implicit gradient equals the finite difference (smooth function, step 1e-4 in log λ).
np.testing.assert_allclose(grad_at, fd, rtol=1e-5)
# The Newton optimum is the grid minimum within one grid step in log λ.
assert abs(np.log(best_ridge / grid_best)) <= float(jnp.log(lam_grid[1] / lam_grid[0]))
# Local slopes approach the tabled exponents slowly (THEORY §5.7); at the largest P they
# must be within 0.25 (ci) / 0.15 of ν.
slope_tol = notebook.pick(ci=0.25, default=0.15, paper=0.1)
for *_, predicted, measured in table:
    assert abs(-measured[-1] - predicted.exponent) <= slope_tol, (predicted, measured[-1])

# %%
timer.report("00_tour")
