# %% [markdown]
# # The theory inside an optimisation loop: learning the optimal ridge schedule λ*(P)
#
# The deterministic-equivalent test error is an ordinary differentiable JAX function of the
# ridge and of the spectrum's parameters (implicit differentiation of κ, THEORY §5.5), so it
# can sit inside an optax training loop. Here Adam learns the optimal ridge λ*(P) of noisy
# power-law ridge regression for a whole grid of P at once (`vmap` over P of a `lax.scan`
# loop), checked against SciPy's bounded scalar minimiser, and compared with the asymptotic
# schedule λ* ∝ P^−ℓ*, ℓ* = α/(1+2α·min(r,1)) and rate ν* = 2αr′/(1+2αr′) (THEORY §4, V13).
# A gradient with respect to α at the optimum checks the envelope theorem. Not a figure of the
# paper.

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
# ## The objective
#
# Power-law data, α = 1.5, r = 0.4, σ² = 1 (noise-dominated enough for a monotone schedule
# over the whole grid), spectrum truncated at N ≫ P. The loss is
# log E_g as a function of u = log λ (well scaled over many decades of λ).

# %%
import optax
from jax import lax
from scipy.optimize import minimize_scalar

from jaxridge import plot, spectra, theory

ALPHA, R, NOISE_VAR = 1.5, 0.4, 1.0
num_features = notebook.pick(ci=4000, default=20000, paper=200000)
num_sizes = notebook.pick(ci=6, default=16, paper=24)
steps = notebook.pick(ci=300, default=400, paper=400)
sizes = np.geomspace(10.0, num_features / 20, num_sizes)


def log_test_error(log_ridge, num_samples, alpha):
    eigvals, target = spectra.power_law(num_features, alpha, R)
    risk = theory.ridge_risk(eigvals, target, num_samples, jnp.exp(log_ridge), NOISE_VAR)
    return jnp.log(risk.test)


# %% [markdown]
# ## Adam on log λ, for every P at once
#
# One `lax.scan` of Adam steps (learning rate decaying from 0.3), `vmap`-ed over the P grid
# and compiled once; each step is a value-and-gradient through the implicit solver.

# %%
schedule = optax.exponential_decay(0.3, transition_steps=steps // 6, decay_rate=0.5)
optimizer = optax.adam(schedule)
value_and_grad = jax.value_and_grad(log_test_error)


def learn_ridge(num_samples):
    def step(carry, _):
        u, state = carry
        loss, grad = value_and_grad(u, num_samples, ALPHA)
        updates, state = optimizer.update(grad, state, u)
        return (optax.apply_updates(u, updates), state), loss

    u0 = jnp.log(1e-2)
    (u, _), history = lax.scan(step, (u0, optimizer.init(u0)), None, length=steps)
    return u, history


log_ridge, history = jax.jit(jax.vmap(learn_ridge))(jnp.asarray(sizes))
ridge_adam = np.exp(np.asarray(log_ridge))
error_adam = np.exp(np.asarray(jax.vmap(log_test_error, (0, 0, None))(log_ridge, sizes, ALPHA)))

# %% [markdown]
# ## Reference: SciPy's bounded Brent search on the same objective
#
# `minimize_scalar(method="bounded")` on u = log λ ∈ [log 10⁻¹², log 10], one P at a time,
# calling the jitted objective (no gradients).

# %%
objective = jax.jit(log_test_error)
ridge_ref, error_ref = [], []
for p in sizes:
    res = minimize_scalar(
        lambda u, p=p: float(objective(u, p, ALPHA)),
        bounds=(np.log(1e-12), np.log(10.0)),
        method="bounded",
        options={"xatol": 1e-7},
    )
    ridge_ref.append(np.exp(res.x))
    error_ref.append(np.exp(res.fun))
ridge_ref, error_ref = np.array(ridge_ref), np.array(error_ref)
for p, la, lr, ea, er in zip(sizes, ridge_adam, ridge_ref, error_adam, error_ref, strict=True):
    print(f"P = {p:8.1f}: λ* Adam {la:.5e}  SciPy {lr:.5e}   E_g(λ*) Adam {ea:.6e}  SciPy {er:.6e}")

# Asymptotic schedule and rate (THEORY §4): fitted slopes over the upper half of the grid.
ell_star = ALPHA / (1 + 2 * ALPHA * min(R, 1))
nu_star = 2 * ALPHA * min(R, 1) / (1 + 2 * ALPHA * min(R, 1))
upper = sizes >= np.sqrt(sizes[0] * sizes[-1])
slope_ridge = -np.polyfit(np.log(sizes[upper]), np.log(ridge_adam[upper]), 1)[0]
slope_error = -np.polyfit(np.log(sizes[upper]), np.log(error_adam[upper]), 1)[0]
print(
    f"λ* ∝ P^-{slope_ridge:.3f} (asymptote ℓ* = {ell_star:.3f});  "
    f"E_g(λ*) ∝ P^-{slope_error:.3f} (asymptote ν* = {nu_star:.4f})"
)

# %% [markdown]
# ## A spectrum parameter: the envelope theorem
#
# d/dα of the optimally tuned error E*(α) = min_λ E_g(λ; α) equals the partial derivative ∂E_g/∂α
# at fixed λ = λ*(α), because ∂E_g/∂λ = 0 there. The left side is a central difference of
# re-optimised errors (SciPy), the right side one `jax.grad` through the solver.

# %%
p_mid = float(sizes[num_sizes // 2])
u_mid = float(np.log(ridge_ref[num_sizes // 2]))
partial = float(jax.grad(log_test_error, argnums=2)(u_mid, p_mid, ALPHA))


def optimal_log_error(alpha):
    res = minimize_scalar(
        lambda u: float(objective(u, p_mid, alpha)),
        bounds=(np.log(1e-12), np.log(10.0)),
        method="bounded",
        options={"xatol": 1e-9},
    )
    return res.fun


h = 1e-3
envelope = (optimal_log_error(ALPHA + h) - optimal_log_error(ALPHA - h)) / (2 * h)
print(
    f"P = {p_mid:.0f}: ∂ log E_g/∂α at λ* = {partial:.6f};  d log E*/dα (re-optimised) = "
    f"{envelope:.6f}"
)

# %% [markdown]
# ## Figure
#
# Left: the learned λ*(P) (Adam, points) against SciPy (rings) and the asymptotic slope −ℓ*.
# Middle: E_g at the optimum with its asymptotic rate −ν*, and E_g at a fixed ridge for
# contrast. Right: the Adam loss curves (log E_g relative to its optimum) for every P.

# %%
fixed_ridge = 1e-3
error_fixed = np.exp(
    np.asarray(
        jax.vmap(objective, (None, 0, None))(jnp.log(fixed_ridge), jnp.asarray(sizes), ALPHA)
    )
)
with plot.style():
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(13, 3.8))
    ax.plot(sizes, ridge_adam, "o", color="C0", ms=4, label=r"Adam $\lambda^*$")
    ax.plot(sizes, ridge_ref, "o", color="C1", ms=8, mfc="none", label="SciPy (bounded Brent)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(plot.label("num_samples"))
    ax.set_ylabel(r"optimal ridge $\lambda^*$")
    plot.guide(ax, sizes[upper], -ell_star, scale=1.6, label=None)
    ax.plot([], [], "--", color="0.4", label=plot.power_label(-ell_star) + r" ($\ell^*$)")
    ax.legend(fontsize="small")
    ax.set_title(rf"$\alpha={ALPHA}$, $r={R}$, $\sigma^2={NOISE_VAR}$")
    plot.curves(
        sizes,
        theory={
            r"$E_g(\lambda^*)$": error_adam,
            rf"$E_g(\lambda=10^{{{int(np.log10(fixed_ridge))}}})$": error_fixed,
        },
        ax=bx,
        xlabel=plot.label("num_samples"),
        ylabel=plot.label("test"),
    )
    plot.guide(bx, sizes[upper], -nu_star, scale=0.6, label=plot.power_label(-nu_star))
    gap = np.asarray(history) - np.log(error_ref)[:, None]
    for i in range(num_sizes):
        cx.plot(
            np.arange(1, steps + 1),
            np.maximum(gap[i], 1e-16),
            color=plt.cm.viridis(i / max(num_sizes - 1, 1)),
            lw=1,
        )
    cx.set_xscale("log")
    cx.set_yscale("log")
    cx.set_xlabel("Adam step")
    cx.set_ylabel(r"$\log E_g - \log E_g(\lambda^*)$")
    cx.set_title("one curve per $P$ (dark: small $P$)")
    notebook.save(fig, "16_optimisation_loop")

# %% [markdown]
# ## Numeric check
#
# The Adam schedule matches SciPy's bounded search: the optimal errors agree to 10⁻⁸ relative
# (the objective is flat at the optimum: a relative error δ in λ* moves E_g by O(δ²)), and
# λ* itself to 10⁻³ (SciPy's tolerance is 10⁻⁷ in log λ; Adam with a step decayed 64-fold
# settles well below 10⁻³ in log λ). The envelope theorem holds to 10⁻⁴ (central difference
# with step 10⁻³ in α, error O(h²) plus the re-optimisation tolerance). The fitted schedule
# exponent is within 0.15 of ℓ* (pre-asymptotic corrections at P ≤ N/20, THEORY §5.7).

# %%
assert np.allclose(error_adam, error_ref, rtol=1e-8, atol=0), np.max(
    np.abs(error_adam / error_ref - 1)
)
assert np.allclose(ridge_adam, ridge_ref, rtol=1e-3), np.max(np.abs(ridge_adam / ridge_ref - 1))
assert abs(partial - envelope) < 1e-4 * max(1.0, abs(envelope)), (partial, envelope)
assert abs(slope_ridge - ell_star) < 0.15, (slope_ridge, ell_star)
print(
    f"check passed: max |E_g ratio − 1| = {np.max(np.abs(error_adam / error_ref - 1)):.1e}, "
    f"max |λ* ratio − 1| = {np.max(np.abs(ridge_adam / ridge_ref - 1)):.1e}"
)

# %%
timer.report("16_optimisation_loop")
