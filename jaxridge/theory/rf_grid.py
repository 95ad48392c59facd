"""Random-feature risk on whole (P, λ) grids from one tabulation of the data spectrum.

Every data-side quantity of the (deep) linear random-feature equivalent (THEORY §3.2–3.3) is a
spectral sum of Σ at the feature-side renormalised ridge κ₂ alone:

* ``n = n₁(κ₂) = Σ r`` and ``n₁ − n₂ = Σ r x`` enter the master equation and χ;
* ``Bias² = κ₂² tf₁′ = Σ c x²`` and ``κ₂ tf₂ = Σ c r x`` enter the errors,

with ``r = e/(e+κ₂)``, ``x = κ₂/(e+κ₂)``, ``c = w̄²e``. The layer factors ``B_ℓ`` depend on κ₂
only through ``n`` (closed form for an isotropic layer, the inner solve ``κ_F(n)`` on its column
spectrum for a structured one). :func:`rf_risk_grid` therefore tabulates these sums once per
spectrum — the table of :func:`~jaxridge.theory.ridge_risk_grid` (``theory.grid``), quintic
Hermite in ``u = log κ₂`` with exact asymptotic forms beyond ``e^±40`` of the extreme
eigenvalues — and then solves every grid point with O(1) work on the data side: the master
equation ``h(κ₂) = λ`` in ``log κ₂`` by the same safeguarded Newton as
:func:`~jaxridge.theory.rf_risk` (the same residual, ``_features_solve.log_master_terms``, fed
with interpolated sums), then the same error formulas (``_features_solve.assemble``). The
ridgeless root κ₀ (``n₁(κ₀) = min(P, N_ℓ)``), which brackets κ₂ and is κ₂ itself at ``λ = 0``, is
solved on the same table.

Accuracy. The interpolant has a relative error of order ``h⁶`` in the node spacing (≈ 1e-13 at
the float64 default, module docstring of ``theory.grid``); κ₂ inherits it (∂ log h/∂ log κ₂ ≥ 1).
The deficits ``P − n`` and ``N_ℓ − n`` are formed from ``rank − n₁`` (tabulated as a sum of
positive terms) where ``n₁ > rank/2`` and directly otherwise. Where the ridgeless limit makes
the binding deficit vanish (λ → 0 below rank Σ, no feature noise) it is re-derived from the
master equation (``_features_solve.refine_deficits``, as in the per-point solver), so the fields
keep their relative accuracy there too (tests: 50-digit references at λ = 1e-11 and, on the
threshold P = N, 1e-15). With feature noise the vanishing factor of λ = κ₁ (1 − n_C/P) (κ₁ when
N_L < P, P − n_C when N_L > P) is likewise taken from the equation (``_features_solve.assemble``;
test: 40-digit reference at λ = 1e-12), and λ = 0 lies on that boundary exactly; at λ = 0 on a
threshold (a pole) either solver may return ``inf`` or a value ~1/ε too large.

Cost. The table is ``num_nodes`` fused passes over the spectrum; each grid point then costs a few
dozen flops per Newton step on the data side. A structured layer keeps its exact inner solve of
``κ_F(n)`` over the column spectrum (O(N_F) per step), so grids with structured weights are
faster than ``vmap(rf_risk)`` by the ratio of D to N_F rather than by the full ratio.

Names are those of :func:`~jaxridge.theory.rf_risk` (module ``theory.features``); every field of
the :class:`~jaxridge.theory.RFRisk` has the broadcast shape of ``(num_samples, ridges,
noise_var)``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import ArrayLike, Float

from .._batching import map_flat
from .._validate import check_converged, check_real, check_steps, readable_errors
from . import grid as _grid
from ._features_solve import (
    assemble,
    deficit_from_base,
    h_terms,
    kappa2_bracket,
    layer_terms,
    log_master_terms,
    master_flags,
    master_stats,
    refine_deficits,
    solve_master,
)
from ._implicit import implicit_root
from ._numerics import kappa_log_bracket
from .features import RFRisk, deep_model, shallow_layer
from .linear import with_stats

__all__ = ["deep_rf_risk_grid", "rf_risk_grid"]

# Rows of the table of ``theory.grid``: n₁, n₁ − n₂, Bias², rank − n₁, κ tf₂.
_N1, _D, _BIAS, _M, _T = 0, 1, 3, 4, 5


def _data_terms(table, kappa2):
    """(n, n − n₂, base, drop, Bias², κ₂tf₂) at κ₂ from the table; exact at κ₂ = 0.

    Deficits are ``X − n = (X − base) + drop``: ``base = rank``, ``drop = rank − n₁`` where
    ``n₁ > rank/2`` (a sum of small positive terms there), else ``base = n₁``, ``drop = 0``.
    Values of ``base`` and ``drop`` carry no derivative (the deficits take theirs from ``X − n``).
    """
    positive = kappa2 > 0
    u = jnp.log(jnp.where(positive, kappa2, 1.0))
    inside, _ = _grid._quantities(table, u)
    at_zero, _ = _grid._below(table, kappa2)  # exact at κ₂ = 0 (the rank of Σ binds)
    n, d, _, bias, m, t = jnp.where(positive, inside, at_zero)
    use_m = m < n
    rank = table.spectrum[0]
    base = jax.lax.stop_gradient(jnp.where(use_m, rank, n))
    drop = jax.lax.stop_gradient(jnp.where(use_m, m, 0.0))
    return n, d, base, drop, bias, t


def _log_master(u, table, num_samples, ridge, fnoise, ridgeless, widths, fvars, spectra, *, layout):
    """The per-point solver's log-residual (``log_master_terms``) with interpolated sums."""
    (n, d, m), _ = _grid._quantities(table, u, jnp.array([_N1, _D, _M]))
    use_m = m < n
    rank = table.spectrum[0]
    base = jnp.where(use_m, rank, n)
    drop = jnp.where(use_m, m, 0.0)
    return log_master_terms(
        u,
        n,
        d,
        drop,
        base,
        num_samples,
        ridge,
        fnoise,
        ridgeless,
        widths,
        fvars,
        spectra,
        layout=layout,
    )


def _solve(table, num_samples, ridge, fnoise, widths, fvars, spectra, kappa0, *, layout, max_steps):
    table = jax.lax.stop_gradient(table)
    lam, ridgeless = master_flags(ridge, fnoise)
    lo, hi = kappa2_bracket(
        table.spectrum[1],
        num_samples,
        ridge,
        fnoise,
        widths,
        fvars,
        spectra,
        kappa0,
        layout=layout,
        dtype=kappa0.dtype,
    )
    fn = functools.partial(_log_master, layout=layout)
    args = (table, num_samples, lam, fnoise, ridgeless, widths, fvars, spectra)
    return solve_master(
        fn, args, lo, hi, ridge, fnoise, kappa0, num_layers=len(layout), max_steps=max_steps
    )


def _residual(kappa2, table, num_samples, ridge, fnoise, widths, fvars, spectra, kappa0, *, layout):
    """h(κ₂) − λ and ∂h/∂κ₂ on the interpolated sums (``h_terms``, as in the per-point solver);
    the table is a differentiable function of (e, w̄), so its tangents enter here."""
    del kappa0
    n, d, base, drop, _, _ = _data_terms(table, kappa2)
    def_p = deficit_from_base(num_samples - base, drop, num_samples - n)
    layers = layer_terms(layout, n, drop, base, widths, fvars, spectra)
    return h_terms(kappa2, n, d, def_p, layers, num_samples, ridge, fnoise)


@functools.cache
def _kappa2_root(layout: tuple, max_steps: int | None):
    """``(table, P, λ, σ_ξ², N_ℓ, v_ℓ, s^{(ℓ)}, κ₀) ↦ (κ₂, RootStats)`` by the implicit function
    theorem (κ₀ enters as a value only)."""
    return implicit_root(
        functools.partial(_solve, layout=layout, max_steps=max_steps),
        functools.partial(_residual, layout=layout),
    )


def _point(
    table,
    layout,
    num_samples,
    ridge,
    noise_var,
    fnoise,
    widths,
    fvars,
    spectra,
    *,
    max_steps,
    throw,
    what,
):
    """Every RFRisk field at one grid point."""
    sizes = [num_samples] + [widths[ell] for ell in range(len(layout))]
    m = jax.lax.stop_gradient(jnp.min(jnp.stack(sizes)))
    # κ₀: the linear ridgeless root n₁(κ₀) = m on the same table (0 when rank Σ ≤ m).
    kappa0, kappa0_stats = _grid._solve(
        jax.lax.stop_gradient(table), m, jnp.zeros_like(m), max_steps=None
    )
    kappa2, kappa2_stats = _kappa2_root(layout, max_steps)(
        table, num_samples, ridge, fnoise, widths, fvars, spectra, kappa0
    )
    n, d, base, drop, bias, k2tf2 = _data_terms(table, kappa2)
    def_p = deficit_from_base(num_samples - base, drop, num_samples - n)
    layers = layer_terms(layout, n, drop, base, widths, fvars, spectra)
    def_p, layers = refine_deficits(
        layout,
        kappa2,
        n,
        drop,
        base,
        def_p,
        layers,
        table.spectrum[0],
        num_samples,
        ridge,
        fnoise,
        widths,
        fvars,
        spectra,
    )
    stats = master_stats(kappa2_stats, kappa0_stats, layers)
    # Every field derives from κ₂, so a convergence check attached to it cannot be dropped.
    kappa2 = check_converged(kappa2, stats.converged, what, throw)
    fields = assemble(
        kappa2, n, d, def_p, layers, bias, k2tf2, num_samples, ridge, noise_var, fnoise
    )
    out = RFRisk(**fields)
    return out if throw else with_stats(out, stats)


def _node_range(spectrum, layout, num_samples, ridges, fnoise, widths, fvars, spectra, num_nodes):
    """Nodes covering, at every grid point, the bracket of κ₂ (where it is solved) and that of
    κ₀ (where rank Σ > m = min(P, N_ℓ)); κ₀'s lower bound e_min (rank − m)/m stands in for κ₀
    in κ₂'s bracket, which it only widens."""
    rank, trace, smallest, _ = spectrum

    def bracket(p, lam):
        sizes = [p] + [widths[ell] for ell in range(len(layout))]
        m = jnp.min(jnp.stack(sizes))
        lo0, hi0, zero0 = kappa_log_bracket(rank, trace, smallest, m, jnp.zeros_like(m))
        kappa0_low = jnp.where(zero0, 0.0, jnp.exp(lo0))
        lo, hi = kappa2_bracket(
            trace,
            p,
            lam,
            fnoise,
            widths,
            fvars,
            spectra,
            kappa0_low,
            layout=layout,
            dtype=spectrum.dtype,
        )
        solved = (lam > 0) | (fnoise > 0)
        lo = jnp.minimum(jnp.where(solved, lo, jnp.inf), jnp.where(zero0, jnp.inf, lo0))
        hi = jnp.maximum(jnp.where(solved, hi, -jnp.inf), jnp.where(zero0, -jnp.inf, hi0))
        return lo, hi

    lo, hi = jax.vmap(bracket)(num_samples.reshape(-1), ridges.reshape(-1))
    return _grid.nodes_covering(spectrum, jnp.min(lo), jnp.max(hi), num_nodes)


@functools.partial(jax.jit, static_argnums=(9, 10, 11, 12, 13))
def _rf_grid(
    eigvals,
    target_weights,
    num_samples,
    ridges,
    noise_var,
    fnoise,
    widths,
    fvars,
    spectra,
    layout,
    num_nodes,
    max_steps,
    throw,
    what,
):
    spectrum, below, above = _grid._summary(eigvals, target_weights)
    u_min, step = _node_range(
        spectrum, layout, num_samples, ridges, fnoise, widths, fvars, spectra, num_nodes
    )
    values = _grid._tabulate(eigvals, target_weights, u_min, step, num_nodes)
    table = _grid._Table(values, u_min, step, spectrum, below, above)

    def point(p, lam, s2):
        return _point(
            table,
            layout,
            p,
            lam,
            s2,
            fnoise,
            widths,
            fvars,
            spectra,
            max_steps=max_steps,
            throw=throw,
            what=what,
        )

    return map_flat(point, num_samples, ridges, noise_var)


def _evaluate(model, num_samples, ridges, noise_var, num_nodes, throw, max_steps, what):
    num_nodes = _grid.check_num_nodes(num_nodes, model.dtype)
    num_samples, ridges, noise_var = _grid.grid_variables(
        num_samples, ridges, noise_var, model.dtype
    )
    return _rf_grid(
        model.eigvals,
        model.target_weights,
        num_samples,
        ridges,
        noise_var,
        model.feature_noise_var,
        model.widths,
        model.feature_vars,
        model.feature_eigvals,
        model.layout,
        num_nodes,
        check_steps(max_steps),
        bool(throw),
        what,
    )


@readable_errors
def rf_risk_grid(
    eigvals: Float[ArrayLike, " d"],
    target_weights: Float[ArrayLike, " d"],
    num_features: ArrayLike | None,
    num_samples: Float[ArrayLike, "*shape"],
    ridges: Float[ArrayLike, "*shape"],
    noise_var: Float[ArrayLike, "*shape"] = 0.0,
    *,
    feature_var: ArrayLike | None = None,
    feature_eigvals: Float[ArrayLike, " n"] | None = None,
    feature_noise_var: ArrayLike = 0.0,
    num_nodes: int | None = None,
    throw: bool = True,
    max_steps: int | None = None,
) -> RFRisk:
    """:func:`~jaxridge.theory.rf_risk` on a whole grid of (P, λ, σ_ε²), fast.

    The data spectrum is tabulated once on ``num_nodes`` points in ``log κ₂`` (one pass over the
    eigenvalues per node, the table of :func:`~jaxridge.theory.ridge_risk_grid`); every grid
    point then solves the master equation on the interpolant and evaluates THEORY §3.3 (module
    docstring). Agrees with ``rf_risk`` point by point to the interpolation error (≈ 1e-13
    relative at the float64 default). Differentiable in every float argument (forward, reverse,
    higher order) by the implicit function theorem on the interpolated equation; jit-able, and
    grids of the same shape (and spectra in the same length bucket) reuse one compilation.

    Args:
        eigvals, target_weights, num_features: as in :func:`~jaxridge.theory.rf_risk`.
        num_samples: ``P > 0``, any shape broadcastable with ``ridges`` and ``noise_var``.
        ridges: ``λ >= 0`` (``0`` gives the ridgeless limit).
        noise_var: ``σ_ε² >= 0``.
        feature_var, feature_eigvals, feature_noise_var: as in :func:`~jaxridge.theory.rf_risk`
            (one model for the whole grid).
        num_nodes: interpolation nodes ``M >= 4`` (static; default 2048 in float64, 512 in
            float32), as in :func:`~jaxridge.theory.ridge_risk_grid`.
        throw: raise ``RuntimeError`` if a solve does not converge at some grid point (the
            default); with ``throw=False`` the result carries ``converged``, ``num_steps`` and
            ``residual`` per grid point instead.
        max_steps: iteration cap of each point's master-equation solve (static int).

    Returns:
        An :class:`~jaxridge.theory.RFRisk` whose fields all have the broadcast shape of
        ``(num_samples, ridges, noise_var)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge import spectra, theory
        >>> e, w = spectra.power_law(2000, alpha=1.5, r=0.6)
        >>> P = jnp.geomspace(10.0, 1e4, 50)
        >>> lam = jnp.logspace(-6, 0, 50)
        >>> grid = theory.rf_risk_grid(e, w, 1000.0, P[:, None], lam[None, :], 0.04)
        >>> grid.test.shape
        (50, 50)
    """
    widths, fvars, spectra = shallow_layer(num_features, feature_var, feature_eigvals)
    return _evaluate(
        _model(
            eigvals,
            target_weights,
            widths,
            fvars,
            spectra,
            feature_noise_var,
            ("num_features", "feature_var", "feature_eigvals"),
            (num_samples, ridges, noise_var),
        ),
        num_samples,
        ridges,
        noise_var,
        num_nodes,
        throw,
        max_steps,
        "rf_risk_grid",
    )


@readable_errors
def deep_rf_risk_grid(
    eigvals: Float[ArrayLike, " d"],
    target_weights: Float[ArrayLike, " d"],
    widths: Float[ArrayLike, " L"],
    num_samples: Float[ArrayLike, "*shape"],
    ridges: Float[ArrayLike, "*shape"],
    noise_var: Float[ArrayLike, "*shape"] = 0.0,
    *,
    feature_vars: Float[ArrayLike, " L"] | None = None,
    feature_eigvals=None,
    feature_noise_var: ArrayLike = 0.0,
    num_nodes: int | None = None,
    throw: bool = True,
    max_steps: int | None = None,
) -> RFRisk:
    """:func:`~jaxridge.theory.deep_rf_risk` on a whole grid of (P, λ, σ_ε²), fast.

    The tabulation of :func:`rf_risk_grid` with one factor per layer in the master equation.
    Arguments as in :func:`~jaxridge.theory.deep_rf_risk`, except ``num_samples``, ``ridges``
    and ``noise_var`` (broadcast together) and ``num_nodes`` (as in :func:`rf_risk_grid`).

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxridge import spectra, theory
        >>> e, w = spectra.power_law(1000, alpha=1.5, r=0.6)
        >>> grid = theory.deep_rf_risk_grid(
        ...     e, w, jnp.array([800.0, 600.0]), jnp.geomspace(10.0, 1e4, 20), 1e-3
        ... )
        >>> grid.test.shape
        (20,)
    """
    return _evaluate(
        _model(
            eigvals,
            target_weights,
            widths,
            feature_vars,
            feature_eigvals,
            feature_noise_var,
            ("widths", "feature_vars", "feature_eigvals"),
            (num_samples, ridges, noise_var),
        ),
        num_samples,
        ridges,
        noise_var,
        num_nodes,
        throw,
        max_steps,
        "deep_rf_risk_grid",
    )


def _model(eigvals, target_weights, widths, fvars, spectra, fnoise, names, grid_args):
    """The checked model with the grid variables' values checked for realness first."""
    grid_args = tuple(
        check_real(x, name)
        for x, name in zip(grid_args, ("num_samples", "ridges", "noise_var"), strict=True)
    )
    return deep_model(eigvals, target_weights, widths, fvars, spectra, fnoise, names, grid_args)
