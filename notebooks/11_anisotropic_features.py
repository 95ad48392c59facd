# %% [markdown]
# # Anisotropic random-feature weights: how the width correction decays
#
# The random weights get a power-law column spectrum, (F)_ij = √(v s_j) g_ij with s_j = j^−α_F,
# and the variance due to the features, Var_F + Var_XF, is followed as the width N grows at fixed
# P and λ = 0. Far above P it decays like N^−c(α_F) with c = 1 for α_F < ½, (1 − α_F)/α_F for
# ½ ≤ α_F ≤ 1 and 0 for α_F > 1: strongly anisotropic weights never average out (THEORY §4.4,
# "Anisotropic weights"). Paper parameters (THEORY §7 item 11): D = 10⁴, P = 10³, α = 1.7,
# r = 0.8, λ = 0, N ∈ logspace(2, 4, 10), α_F ∈ {0, 0.4, 0.6, 0.7, 0.8, 1.5, 2, 2.5}.

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

alpha, r = 1.7, 0.8
ridge = 0.0
D = notebook.pick(ci=400, default=2000, paper=10_000)  # data dimension
P = D // 10  # number of samples
alpha_fs = jnp.array([0.0, 0.4, 0.6, 0.7, 0.8, 1.5, 2.0, 2.5])  # weight anisotropy α_F
# Widths from P/10 to 10 P (the interpolation peak N = P falls between grid points).
widths = notebook.pick(
    ci=[P // 5, 3 * P, 10 * P],
    default=[int(w) for w in np.geomspace(P / 10, 10 * P, 8)],
    paper=[int(w) for w in np.geomspace(P / 10, 10 * P, 10)],
)
# Monte Carlo at a couple of the widths above P, for a few α_F; `reps` replicates of an
# (n_X × n_F) seed grid give the error bars.
mc_index = notebook.pick(ci=[1, 2], default=[5, 7], paper=[6, 9])  # into `widths`
mc_widths = [widths[i] for i in mc_index]
mc_alpha_index = [0, 2, 5]  # into `alpha_fs`: α_F = 0, 0.6, 1.5
seeds = notebook.pick(ci=3, default=3, paper=6)
reps = notebook.pick(ci=3, default=3, paper=4)

eigvals, target = spectra.power_law(D, alpha, r)


def c_exponent(alpha_f):
    """The decay exponent c(α_F) of Var_F + Var_XF in N at fixed P (THEORY §4.4)."""
    if alpha_f < 0.5:
        return 1.0
    return (1.0 - alpha_f) / alpha_f if alpha_f <= 1.0 else 0.0


def weight_spectrum(width, alpha_f):
    """Column spectrum s_j = j^−α_F, j = 1..N."""
    return jnp.arange(1, width + 1, dtype=float) ** -alpha_f


# %% [markdown]
# ## Theory: at each width, one `vmap` of `rf_risk` over α_F
#
# The column spectrum fixes the width as a shape, so each width compiles once; the α_F values
# share it.


# %%
@jax.jit
def rf_alpha_fs(spectra_batch):
    return jax.vmap(
        lambda s: theory.rf_risk(eigvals, target, None, float(P), ridge, feature_eigvals=s)
    )(spectra_batch)


th = [rf_alpha_fs(jax.vmap(lambda a, n=n: weight_spectrum(n, a))(alpha_fs)) for n in widths]
th = jax.tree.map(lambda *x: np.stack(x, axis=1), *th)  # fields of shape (len(α_F), len(N))
th_var = th.var_f + th.var_xf


# %% [markdown]
# ## Monte Carlo: two-way ANOVA over data and feature seeds, replicated for error bars


# %%
def monte_carlo(width, alpha_f):
    """Replicate mean and standard error of Var_F + Var_XF and E_g at one (N, α_F)."""
    runs = [
        empirical.rf_ridge_risk(
            jax.random.key(1000 * width + rep), eigvals, target, width, P, jnp.array([ridge]),
            num_data_seeds=seeds, num_feature_seeds=seeds,
            feature_eigvals=weight_spectrum(width, alpha_f),
        )
        for rep in range(reps)
    ]  # fmt: skip
    var = np.array([float(run.var_f[0] + run.var_xf[0]) for run in runs])
    test = np.array([float(run.test[0]) for run in runs])
    stats = [(x.mean(), x.std(ddof=1) / np.sqrt(reps)) for x in (var, test)]
    return stats


mc = {(i, j): monte_carlo(widths[i], float(alpha_fs[j])) for i in mc_index for j in mc_alpha_index}

# %% [markdown]
# ## Var_F + Var_XF against the width, with the guides N^−c(α_F)

# %%
x_th = np.asarray(widths, dtype=float)
colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(alpha_fs)))
with plot.style():
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    names = [rf"$\alpha_F={float(a):g}$" for a in alpha_fs]
    points = {
        names[j]: tuple(np.array([mc[(i, j)][0][m] for i in mc_index]) for m in (0, 1))
        for j in mc_alpha_index
    }
    plot.curves(x_th, theory=dict(zip(names, th_var, strict=True)), ax=ax, colors=list(colors),
                legend=False)  # fmt: skip
    plot.curves(x_th[mc_index], empirical=points, ax=ax, legend=False,
                colors={names[j]: colors[j] for j in mc_alpha_index})  # fmt: skip
    # Guides N^−c(α_F) over the widths above 2P, through the theory at the largest width.
    far = x_th[x_th >= 2 * P]
    for i, a in enumerate(alpha_fs):
        c = c_exponent(float(a))
        plot.guide(ax, far, -c, anchor=(x_th[-1], float(th_var[i, -1])), scale=1.6,
                   color=colors[i], linewidth=1.0)  # fmt: skip
    plot.vlines(ax, P, [r"$N = P$"])
    handles = [plt.Line2D([], [], color=colors[i], label=names[i]) for i in range(len(names))]
    guide_label = r"$\propto N^{-c(\alpha_F)}$"
    handles.append(plt.Line2D([], [], color="0.3", linestyle="--", label=guide_label))
    ax.legend(handles=handles, ncol=2, fontsize="small")
    ax.set_xlabel(plot.label("width"))
    ax.set_ylabel(r"Var$_F$ + Var$_{XF}$")
    ax.set_title(rf"$D={D}$, $P={P}$, $\alpha={alpha}$, $r={r}$, $\lambda=0$")
    notebook.save(fig, "11_anisotropic_features_variance")
    plt.show()

# %% [markdown]
# ## Measured decay exponents
#
# The local slope of the theory between the two largest widths, against c(α_F). Convergence to
# c is slow near α_F = ½ and 1 (THEORY §4.4 quotes −0.41 at α_F = 0.75 for N ∈ [10⁵, 10⁶]).

# %%
slopes = np.log(th_var[:, -1] / th_var[:, -2]) / np.log(x_th[-1] / x_th[-2])
for a, slope in zip(alpha_fs, slopes, strict=True):
    c = c_exponent(float(a))
    print(f"alpha_F = {float(a):4.2f}: local slope {slope:+.3f}, expected {-c:+.3f}")

# %% [markdown]
# ## Numeric check
#
# At each Monte-Carlo width and α_F, the replicate mean of Var_F + Var_XF and of E_g must match
# the theory within `k` = 4 standard errors plus a finite-size allowance: the deterministic
# equivalent carries O(1/√P) corrections (P = 40 at ci scale: 25 %; P ≥ 200: 10 %).

# %%
k = 4.0
finite_size = notebook.pick(ci=0.25, default=0.1, paper=0.05)
for (i, j), ((var, var_se), (test, test_se)) in mc.items():
    want_var, want_test = float(th_var[j, i]), float(th.test[j, i])
    print(f"N={widths[i]:6d} alpha_F={float(alpha_fs[j]):3.1f}: Var_F+Var_XF {var:.3e} vs "
          f"{want_var:.3e} (se {var_se:.1e}); E_g {test:.3e} vs {want_test:.3e} "
          f"(se {test_se:.1e})")  # fmt: skip
    assert abs(var - want_var) <= k * var_se + finite_size * want_var, (i, j)
    assert abs(test - want_test) <= k * test_se + finite_size * want_test, (i, j)

# %%
timer.report("11_anisotropic_features")
