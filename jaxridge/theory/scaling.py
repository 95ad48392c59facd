"""Power-law scaling: exponent tables, crossover scales and local slopes by autodiff.

For a power-law problem (THEORY §4.1: ``e_k = k^−α``, ``e_k w̄_k² = k^−(1+2αr)``) the excess test
error decays as ``E_g ∝ P^−ν``. :func:`exponents` returns ν and the name of the dominant regime
from the tables of THEORY §4.3 (linear ridge) and §4.4 (linear random features), with the ridge
and the width scaled with the data as ``λ = P^−ℓ`` and ``N = P^q``. :func:`local_slope` measures
``d log E / d log x`` of any differentiable theory function by forward-mode autodiff, which is how
the asymptotic exponents are checked against the solvers (THEORY §5.5, §5.7).

Names in the API and the paper's symbols:

======================  ======  ===========================================================
argument / field        symbol  meaning
======================  ======  ===========================================================
``alpha``               α       capacity exponent of the spectrum, ``e_k = k^−α`` (α > 1)
``r``                   r       source exponent, ``e_k w̄_k² = k^−(1+2αr)`` (r > 0)
``noise``               σ_ε>0   whether there is label noise
``ridge_exponent``      ℓ       ridge schedule ``λ = P^−ℓ`` (``None``: ridgeless, ℓ = ∞)
``width_exponent``      q       width schedule ``N = P^q`` (random features; ``None``: N = ∞)
``feature_alpha``       α_F     feature-weight spectrum ``j^−α_F`` (``None``: isotropic, α_F = 0)
``exponent``            ν       ``E_g ∝ P^−ν``
``num_features``        N       width (random features) at which a crossover is computed
``num_samples``         P       number of training samples
======================  ======  ===========================================================

Conventions (where THEORY leaves a choice):

* ``ridge_exponent=None`` is the ridgeless limit and behaves exactly like any ℓ ≥ α (the ridge is
  below the data-resolution scale ``C_α P^−α``). Negative ℓ (a ridge growing with P) is rejected.
* ``ridge_exponent="optimal"`` selects the ℓ that maximises ν (:func:`optimal_ridge_exponent`);
  when several do, the smallest (the largest ridge) is used. The regime is then reported as
  ``"optimally tuned"`` when that ℓ* < α (the ridge binds: the noisy rows of the tables), and as
  the ridgeless regime otherwise (noiseless problems are best left ridgeless).
* With noise and no effective ridge (ℓ ≥ α, and q ≥ 1 for random features) ν = 0 and the regime
  is ``"noise-dominated"``: E_g tends to a positive constant (``σ_ε²(α−1)`` for linear ridge).
* ν is the smallest exponent among the contributions listed in ``.terms``; a tie is reported
  as the first in the order bias, width, feature variance, noise, except that an exact tie
  between a ridge-limited bias and the noise term is the ``"optimally tuned"`` balance.
* ``r`` enters through ``min(r, 1)`` (bias; rates saturate at r = 1, with log corrections at
  r = 1) and ``min(r, ½)`` (width and feature-variance terms).
* Random features: the feature-variance term ``Var_F + Var_XF`` is present at every finite
  width exponent q, also under-parameterised (q < 1), where the ridge rather than the width sets
  κ₂ whenever ℓ/α < q (THEORY §4.4 item 3, corrected). THEORY gives its exponent
  ``(α − c)·min(1, ℓ/α) + q·c`` for r ≥ ½; for r < ½ jaxridge uses
  ``min(1, ℓ/α)·(2α·min(r, ½) − c) + q·c``, which equals that formula for r ≥ ½ and the
  isotropic r < ½ law ``P^{1−2αr}/N`` for c = 1 (an extrapolation, flagged in ``notes``). When
  that term grows as κ₂ shrinks (2α·min(r, ½) < c) and q < 1, ``min(1, ℓ/α)`` is capped at q
  (κ₂ cannot fall below the width's N^−α), where it equals the width-limited term; the local
  slopes of :func:`~jaxridge.theory.rf_risk` confirm both choices (tests/theory/test_scaling.py).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from types import MappingProxyType

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike

from .._batching import map_flat
from .._validate import as_float, check, check_real, common_dtype, readable_errors

__all__ = [
    "ScalingExponents",
    "crossover_samples",
    "exponents",
    "local_slope",
    "noise_crossover_ridge_exponent",
    "optimal_ridge_exponent",
    "resolution_constant",
    "ridge_crossover_samples",
    "width_correction_exponent",
]

_MODELS = ("linear", "random_features")

# Regime names (a small closed vocabulary; tests and plots can match on them).
DATA_LIMITED = "data-limited"
RIDGE_LIMITED = "ridge-limited"
NOISE_DOMINATED = "noise-dominated"
OPTIMALLY_TUNED = "optimally tuned"
WIDTH_LIMITED = "width-limited"
FEATURE_VARIANCE_LIMITED = "feature-variance-limited"


@dataclasses.dataclass(frozen=True)
class ScalingExponents:
    """The asymptotic learning-curve exponent of one regime (``E_g ∝ P^−exponent``).

    Attributes:
        exponent: ν, the decay exponent of the excess test error in P (0: no decay).
        regime: name of the dominant contribution (``"data-limited"``, ``"ridge-limited"``,
            ``"noise-dominated"``, ``"optimally tuned"``, ``"width-limited"``,
            ``"feature-variance-limited"``).
        terms: exponent of every contribution present, by regime name (the smallest wins).
        ridge_exponent: ℓ used (``math.inf`` for ridgeless; ℓ* when ``"optimal"`` was asked).
        width_exponent: q used (``math.inf`` when N = ∞ or for linear ridge).
        model: ``"linear"`` or ``"random_features"``.
        notes: caveats (saturation at r = 1, slow convergence, extrapolated formulas).
    """

    exponent: float
    regime: str
    terms: MappingProxyType
    ridge_exponent: float
    width_exponent: float
    model: str
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Validation of the (Python-number) table inputs.
# --------------------------------------------------------------------------------------------


def _number(x, name: str, *, lower: float | None = None, strict: bool = False) -> float:
    x = check_real(x, name)
    if np.ndim(x) != 0:
        raise ValueError(
            f"jaxridge: argument `{name}` must be a real number, got shape {np.shape(x)}"
        )
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"jaxridge: argument `{name}` must be a real number, got {x!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"jaxridge: argument `{name}` must be finite, got {value}")
    if lower is not None and (value <= lower if strict else value < lower):
        rel = ">" if strict else ">="
        raise ValueError(f"jaxridge: argument `{name}` must be {rel} {lower}, got {value}")
    return value


def _array(x, name: str, dtype, *, lower: float | None = 0.0, strict: bool = True):
    """A traced-friendly real array: finite, and > (or >=) ``lower`` when given."""
    x = as_float(x, dtype, name)
    x = check(x, ~jnp.isfinite(x), name, "contains NaN or inf")
    if lower is not None:
        bad = x <= lower if strict else x < lower
        x = check(x, bad, name, f"must be {'>' if strict else '>='} {lower:g}")
    return x


def _check_model(model: str) -> str:
    if model not in _MODELS:
        raise ValueError(f"jaxridge: argument `model` must be one of {_MODELS}, got {model!r}")
    return model


def _ridge_exp(ridge_exponent) -> float:
    if ridge_exponent is None:
        return math.inf
    return _number(ridge_exponent, "ridge_exponent", lower=0.0)


def _width_exp(width_exponent, model: str) -> float:
    if width_exponent is None:
        return math.inf
    if model == "linear":
        raise ValueError(
            "jaxridge: argument `width_exponent` applies to model='random_features' only"
        )
    return _number(width_exponent, "width_exponent", lower=0.0, strict=True)


@readable_errors
def width_correction_exponent(feature_alpha) -> float:
    """Exponent ``c(α_F)`` of the finite-width correction ``Var_F + Var_XF ∝ N^−c`` (THEORY §4.4).

    ``c = 1`` for α_F < ½, ``(1 − α_F)/α_F`` for ½ ≤ α_F ≤ 1, and 0 for α_F > 1.

    Args:
        feature_alpha: α_F ≥ 0, the decay of the feature-weight spectrum ``j^−α_F``
            (``None`` or 0: isotropic feature weights).

    Returns:
        c as a Python float.

    Example:
        >>> width_correction_exponent(0.6)   # 2/3
        0.6666666666666667
    """
    if feature_alpha is None:
        return 1.0
    a = _number(feature_alpha, "feature_alpha", lower=0.0)
    if a < 0.5:
        return 1.0
    if a <= 1.0:
        return (1.0 - a) / a
    return 0.0


# --------------------------------------------------------------------------------------------
# The tables (THEORY §4.3, §4.4) as lines in ℓ.
# --------------------------------------------------------------------------------------------


def _terms(alpha, r, noise, ell, q, c, model):
    """Exponent of every contribution to E_g at (ℓ, q), by regime name, in priority order."""
    r1 = min(r, 1.0)
    rh = min(r, 0.5)
    eff = min(alpha, ell)  # κ ≍ max(λ, P^−α) ∝ P^−min(α, ℓ)
    terms = {}
    # Signal / bias: 2·min(α, ℓ)·min(r, 1) (data-limited when the ridge is below resolution).
    terms[DATA_LIMITED if ell >= alpha else RIDGE_LIMITED] = 2.0 * eff * r1
    if model == "random_features" and math.isfinite(q):
        if q <= 1.0:
            # Under-parameterised in features: E_g ∝ N^{−2α min(r,½)} = P^{−2αq min(r,½)}.
            terms[WIDTH_LIMITED] = 2.0 * alpha * q * rh
        # Var_F + Var_XF ≍ κ₂^{2 min(r,½) − c/α} N^{−c} at every q (THEORY §4.4 item 3): for
        # q < 1 the ridge, not the width, sets κ₂ ≍ λ whenever ℓ/α < q, and this term can then
        # be the smallest. κ₂ ≍ P^{−α·m} with m = min(1, ℓ/α) as in THEORY's formula.
        m = eff / alpha
        slope = 2.0 * alpha * rh - c
        if q < 1.0 and slope < 0.0:
            # A term that grows as κ₂ shrinks (r < ½ with 2αr < c) must use the κ₂ the width
            # actually allows, κ₂ ≳ N^{−α} = P^{−αq}; it then equals the width term. (With
            # slope ≥ 0 the cap could only lower this term to the width term, which is present:
            # the minimum is the same, and THEORY's uncapped value is kept in `terms`.)
            m = min(m, q)
        terms[FEATURE_VARIANCE_LIMITED] = m * slope + q * c
    if noise:
        # Noise: σ² P^{−(1 − min(1, ℓ/α, q))}; for linear ridge q = ∞.
        terms[NOISE_DOMINATED] = 1.0 - min(1.0, ell / alpha, q)
    return terms


def _dominant(terms):
    nu = min(terms.values())
    tied = [name for name, value in terms.items() if math.isclose(value, nu, abs_tol=1e-12)]
    if RIDGE_LIMITED in tied and NOISE_DOMINATED in tied:
        return nu, OPTIMALLY_TUNED
    return nu, tied[0]


def _candidate_ridge_exponents(alpha, r, noise, q, c, model):
    """Every ℓ in [0, α] where a piece of the piecewise-linear ν(ℓ) may have its maximum."""
    # On [0, α] every term is linear in ℓ except the noise term, which bends at ℓ = qα.
    lines = []  # (slope, intercept) of each linear piece
    r1, rh = min(r, 1.0), min(r, 0.5)
    lines.append((2.0 * r1, 0.0))
    if model == "random_features" and math.isfinite(q):
        if q <= 1.0:
            lines.append((0.0, 2.0 * alpha * q * rh))
        lines.append(((2.0 * alpha * rh - c) / alpha, q * c))
    if noise:
        lines.append((-1.0 / alpha, 1.0))
        if math.isfinite(q):
            lines.append((0.0, 1.0 - min(1.0, q)))
    points = {0.0, alpha}
    if math.isfinite(q):
        points.add(q * alpha)
    for i, (s1, b1) in enumerate(lines):
        for s2, b2 in lines[i + 1 :]:
            if s1 != s2:
                points.add((b2 - b1) / (s1 - s2))
    return sorted(p for p in points if 0.0 <= p <= alpha)


@readable_errors
def optimal_ridge_exponent(
    alpha, r, *, noise=True, width_exponent=None, feature_alpha=None, model="linear"
) -> float:
    """The ridge exponent ℓ* (``λ = P^−ℓ*``) that maximises the learning-curve exponent ν.

    ν(ℓ) is the minimum of piecewise-linear functions of ℓ, so its maximum is found exactly
    among their breakpoints and pairwise intersections. When several ℓ give the same ν the
    smallest is returned (the largest ridge that is still optimal); for noiseless linear ridge
    that is ℓ* = α (any ℓ ≥ α, i.e. ridgeless, is optimal). For noisy linear ridge it is the
    line of Cui et al., ``ℓ* = α/(1 + 2α·min(r, 1))`` (THEORY §4.3).

    Args:
        alpha, r, noise, width_exponent, feature_alpha, model: as in :func:`exponents`.

    Returns:
        ℓ* as a Python float in ``[0, α]``.

    Example:
        >>> round(optimal_ridge_exponent(1.5, 0.4), 4)   # 1.5 / 2.2
        0.6818
    """
    model = _check_model(model)
    alpha = _number(alpha, "alpha", lower=1.0, strict=True)
    r = _number(r, "r", lower=0.0, strict=True)
    q = _width_exp(width_exponent, model)
    c = width_correction_exponent(feature_alpha)
    best_ell, best_nu = alpha, -math.inf
    for ell in _candidate_ridge_exponents(alpha, r, bool(noise), q, c, model):
        nu = min(_terms(alpha, r, bool(noise), ell, q, c, model).values())
        if nu > best_nu + 1e-12:
            best_ell, best_nu = ell, nu
    return best_ell


@readable_errors
def exponents(
    alpha,
    r,
    *,
    noise: bool = False,
    ridge_exponent=None,
    width_exponent=None,
    feature_alpha=None,
    model: str = "linear",
) -> ScalingExponents:
    """Asymptotic exponent ν of ``E_g ∝ P^−ν`` and the dominant regime (THEORY §4.3–4.4).

    Linear ridge (``model="linear"``), with ``r′ = min(r, 1)`` and ``λ = P^−ℓ``:

    ===========================  ===================  ===============================
    regime                       condition            ν
    ===========================  ===================  ===============================
    data-limited                 noiseless, ℓ ≥ α     2α r′
    ridge-limited                noiseless, ℓ < α     2ℓ r′
    noise-dominated (ridgeless)  noisy, ℓ ≥ α         0
    ridge- / noise-dominated     noisy, ℓ < α         min(2ℓ r′, 1 − ℓ/α)
    optimally tuned              noisy, ℓ = ℓ*        2α r′/(1 + 2α r′)
    ===========================  ===================  ===============================

    Random features (``model="random_features"``, ``N = P^q``) add the width-limited term
    ``2αq·min(r, ½)`` (q ≤ 1) and the feature-variance term
    ``min(1, ℓ/α)(2α·min(r, ½) − c) + q·c`` (every q, ``c = c(α_F)``), and the noise term becomes
    ``1 − min(1, ℓ/α, q)``; ν is the smallest term. Under-parameterised in features (q < 1) the
    feature variance is the smallest term when the ridge sets κ₂ (ℓ/α < q) and
    ``ℓ(1 − c/α) + qc`` is below the bias ``2ℓ·min(r, 1)``.

    Args:
        alpha: capacity exponent α > 1.
        r: source exponent r > 0.
        noise: whether the labels are noisy (σ_ε > 0).
        ridge_exponent: ℓ ≥ 0 with ``λ = P^−ℓ``; ``None`` for ridgeless; ``"optimal"`` for
            the ℓ* of :func:`optimal_ridge_exponent`.
        width_exponent: q > 0 with ``N = P^q`` (random features only; ``None``: N = ∞).
        feature_alpha: α_F ≥ 0 of anisotropic feature weights (random features; ``None``:
            isotropic).
        model: ``"linear"`` or ``"random_features"``.

    Returns:
        A :class:`ScalingExponents` with ``.exponent`` (ν) and ``.regime``.

    Raises:
        ValueError: α ≤ 1, r ≤ 0, ℓ < 0, q ≤ 0, an unknown model, or a width/feature
            argument with ``model="linear"``.

    Example:
        >>> round(exponents(1.5, 0.4).exponent, 6)           # data-limited: 2αr
        1.2
        >>> exponents(1.5, 0.4, noise=True, ridge_exponent="optimal").regime
        'optimally tuned'
    """
    model = _check_model(model)
    alpha = _number(alpha, "alpha", lower=1.0, strict=True)
    r = _number(r, "r", lower=0.0, strict=True)
    noise = bool(noise)
    q = _width_exp(width_exponent, model)
    if feature_alpha is not None and model == "linear":
        raise ValueError(
            "jaxridge: argument `feature_alpha` applies to model='random_features' only"
        )
    c = width_correction_exponent(feature_alpha)
    optimal = isinstance(ridge_exponent, str)
    if optimal:
        if ridge_exponent != "optimal":
            raise ValueError(
                "jaxridge: argument `ridge_exponent` must be a number >= 0, None or 'optimal', "
                f"got {ridge_exponent!r}"
            )
        ell = optimal_ridge_exponent(
            alpha,
            r,
            noise=noise,
            width_exponent=width_exponent,
            feature_alpha=feature_alpha,
            model=model,
        )
    else:
        ell = _ridge_exp(ridge_exponent)
    terms = _terms(alpha, r, noise, ell, q, c, model)
    nu, regime = _dominant(terms)
    if optimal and ell < alpha:
        regime = OPTIMALLY_TUNED
    notes = []
    if math.isclose(r, 1.0):
        notes.append("r = 1: the bias carries a logarithmic correction")
    if r > 1.0:
        notes.append("r > 1 saturates: the rates equal those at r = 1")
    if model == "random_features" and feature_alpha is not None and r < 0.5 and math.isfinite(q):
        notes.append("anisotropic feature weights with r < 1/2: extrapolated formula")
    if (
        model == "random_features"
        and feature_alpha is not None
        and float(feature_alpha) > 1.0
        and ell < alpha + float(feature_alpha) - 1.0
    ):
        notes.append(
            "feature_alpha > 1 with a binding ridge: the summable feature spectrum renormalises "
            "the ridge (κ₂ ≍ λ^{α/(α+α_F−1)}, not λ); the c = 0 rates assume λ → 0 and the "
            "solver's slopes fall below them"
        )
    if model == "random_features" and regime == FEATURE_VARIANCE_LIMITED and 0.5 < c < 1.0:
        notes.append("the anisotropic width correction converges slowly (THEORY §5.7)")
    return ScalingExponents(
        exponent=float(nu),
        regime=regime,
        terms=MappingProxyType(dict(terms)),
        ridge_exponent=float(ell),
        width_exponent=float(q),
        model=model,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Crossover scales.
# --------------------------------------------------------------------------------------------


@readable_errors
def noise_crossover_ridge_exponent(alpha: ArrayLike, r: ArrayLike) -> Array:
    """The noiseless-to-noisy crossover line of Cui et al.: ``ℓ = α/(1 + 2α·min(r, 1))``.

    At a fixed ridge exponent ℓ, a noisy learning curve follows the noiseless exponent
    ``2ℓ·min(r, 1)`` when ℓ is below this line and the noisy one ``1 − ℓ/α`` above it; on the
    line the two balance and the ridge is optimally tuned (THEORY §4.3).

    Args:
        alpha: α > 1.
        r: r > 0.

    Returns:
        ℓ (a JAX scalar; differentiable and vmappable).

    Example:
        >>> float(noise_crossover_ridge_exponent(1.5, 0.4))   # 1.5/2.2
        0.6818181818181818
    """
    dtype = common_dtype(alpha, r)
    alpha = _array(alpha, "alpha", dtype)
    r = _array(r, "r", dtype, lower=None)
    return alpha / (1.0 + 2.0 * alpha * jnp.minimum(r, 1.0))


@readable_errors
def crossover_samples(
    num_features: ArrayLike, alpha: ArrayLike, r: ArrayLike, *, feature_alpha=None
) -> Array:
    """Sample size ``P_f`` beyond which the feature variance overtakes the bias (ridgeless RF).

    In the over-parameterised random-feature phase the bias decays as ``P^{−2α min(r,1)}``
    while ``Var_F + Var_XF ∝ P^{c − 2α min(r,½)}/N^c``; they cross at

        ``P_f = N^{c/(c + 2α(min(r,1) − min(r,½)))}``,

    which for isotropic feature weights (c = 1) and r ≥ ½ is THEORY §4.4's
    ``P_f = N^{1/(1 + α(2min(r,1) − 1))}`` (``N^{1/(1+α)}`` for r > 1), and ``P_f = N`` for
    r ≤ ½. With c = 0 (α_F > 1) there is no crossover and ``inf`` is returned.

    Args:
        num_features: the width N > 0.
        alpha: α > 1.
        r: r > 0.
        feature_alpha: α_F of anisotropic feature weights (``None``: isotropic).

    Returns:
        P_f (a JAX scalar or array broadcast over the inputs).

    Example:
        >>> float(crossover_samples(1000.0, 1.5, 1.2))   # 1000^{1/2.5}
        15.848931924611136
    """
    c = width_correction_exponent(feature_alpha)
    dtype = common_dtype(num_features, alpha, r)
    n = _array(num_features, "num_features", dtype)
    alpha = _array(alpha, "alpha", dtype)
    r = _array(r, "r", dtype, lower=None)
    gap = 2.0 * alpha * (jnp.minimum(r, 1.0) - jnp.minimum(r, 0.5))
    if c == 0.0:
        return jnp.full(jnp.broadcast_shapes(n.shape, jnp.shape(gap)), jnp.inf, dtype)
    return n ** (c / (c + gap))


@readable_errors
def resolution_constant(alpha: ArrayLike) -> Array:
    """``C_α = [(π/α)/sin(π/α)]^α``: the ridgeless κ₀ ≈ C_α P^−α of a power law (THEORY §4.2).

    Example:
        >>> round(float(resolution_constant(2.0)), 4)   # π²/4
        2.4674
    """
    alpha = _array(alpha, "alpha", common_dtype(alpha), lower=1.0)
    x = jnp.pi / alpha
    return (x / jnp.sin(x)) ** alpha


@readable_errors
def ridge_crossover_samples(ridge: ArrayLike, alpha: ArrayLike) -> Array:
    """Sample size where the ridge λ meets the data-resolution scale ``C_α P^−α``.

    Below ``P_λ = (C_α/λ)^{1/α}`` the curve is data-limited (κ ≈ C_α P^−α); above it, at a
    fixed ridge, it is ridge-limited (κ ≈ λ) and stops improving (THEORY §4.2).

    Args:
        ridge: λ > 0.
        alpha: α > 1.

    Returns:
        P_λ.

    Example:
        >>> round(float(ridge_crossover_samples(1e-4, 2.0)), 2)
        157.08
    """
    dtype = common_dtype(ridge, alpha)
    ridge = _array(ridge, "ridge", dtype)
    alpha = _array(alpha, "alpha", dtype, lower=1.0)
    return (resolution_constant(alpha) / ridge) ** (1.0 / alpha)


# --------------------------------------------------------------------------------------------
# Local slopes.
# --------------------------------------------------------------------------------------------


@readable_errors
def local_slope(fn: Callable[[Array], Array], x: ArrayLike) -> Array:
    """Local log–log slope ``d log fn(x) / d log x = x·fn′(x)/fn(x)`` by forward-mode autodiff.

    For a learning curve ``E(P) ∝ P^−ν`` this returns ``−ν``. ``fn`` maps a scalar to a positive
    scalar (e.g. ``lambda p: ridge_risk(e, w, p, lam).test``); it is differentiated exactly
    through the implicit solvers, which is more accurate than finite-difference slopes
    (THEORY §5.5). An array ``x`` is mapped elementwise with ``jax.vmap``; the function itself is
    vmappable and jittable.

    Args:
        fn: scalar → positive scalar, differentiable.
        x: point(s) ``x > 0`` at which to take the slope.

    Returns:
        The slope(s), same shape as ``x``.

    Example:
        >>> import jax.numpy as jnp
        >>> float(local_slope(lambda p: 3.0 * p**-1.5, 10.0))
        -1.5
    """
    if not callable(fn):
        raise ValueError(f"jaxridge: argument `fn` must be a function, got {fn!r}")
    x = _array(x, "x", common_dtype(x))
    if x.size == 0:
        raise ValueError("jaxridge: argument `x` must not be empty")

    def one(x0):
        # A tangent equal to x itself gives x·f′(x): the derivative in log x.
        value, tangent = jax.jvp(fn, (x0,), (x0,))
        if jnp.ndim(value) != 0:
            raise ValueError(
                f"jaxridge: argument `fn` must return a scalar, got shape {jnp.shape(value)}"
            )
        return tangent / value

    if x.ndim == 0:
        return one(x)
    return map_flat(one, x)
