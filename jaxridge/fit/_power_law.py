"""The plain log–log power-law baseline ``y ≈ a·x^−b (+ c)``."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._validate import common_dtype, readable_errors
from ._inputs import array_like, as_points
from ._optim import lm_phase, to_natural, to_unconstrained


class PowerLawFit(eqx.Module):
    """Result of :func:`fit_power_law`: ``y ≈ amplitude·x^−exponent + offset``.

    Attributes:
        amplitude: a.
        exponent: b (a decay exponent: ``y ∝ x^−b``).
        offset: c (0 when not fitted).
        curve: the fitted values at ``x``.
        loss: mean squared log residual.
    """

    amplitude: Array
    exponent: Array
    offset: Array
    curve: Array
    loss: Array


_NAMES = ("amplitude", "exponent", "offset")


def _offset_residuals(u, args):
    logx, logy = args
    a, b, c = (to_natural(_NAMES, u)[k] for k in _NAMES)
    return jnp.log(a * jnp.exp(-b * logx) + c) - logy


@eqx.filter_jit
def _power_law_offset_kernel(u0, logx, logy, steps):
    scale = jnp.asarray(logx.shape[0], logx.dtype)
    u, value, *_ = lm_phase(_offset_residuals, u0, (logx, logy), scale, steps)
    return u, value


@readable_errors
def fit_power_law(
    x: Float[ArrayLike, " n"],
    y: Float[ArrayLike, " n"],
    *,
    offset: bool = False,
    steps: int = 200,
) -> PowerLawFit:
    """Least-squares power law in log–log coordinates: ``y ≈ a·x^−b`` or ``a·x^−b + c``.

    Without ``offset`` this is ordinary least squares of ``log y`` on ``log x`` (closed form).
    With ``offset`` it minimises ``Σ (log(a x^−b + c) − log y)²`` over a > 0, b and c > 0 by
    Levenberg–Marquardt, started from the no-offset fit and c = ½·min y.

    Args:
        x: abscissae (> 0), e.g. sample sizes.
        y: values (> 0), e.g. errors.
        offset: also fit a constant floor c > 0.
        steps: Levenberg–Marquardt steps for the offset fit.

    Returns:
        A :class:`PowerLawFit` (``exponent`` is b, a decay exponent).

    Example:
        >>> import jax.numpy as jnp
        >>> x = jnp.geomspace(1.0, 100.0, 5)
        >>> round(float(fit_power_law(x, 2.0 * x**-0.5).exponent), 6)
        0.5
    """
    dtype = common_dtype(array_like(x, "x"), array_like(y, "y"))
    x = as_points(x, "x", dtype)
    y = as_points(y, "y", dtype)
    if x.shape != y.shape:
        raise ValueError(f"jaxridge: argument `y` must have the shape of `x` {x.shape}")
    if x.shape[0] < 2:
        raise ValueError("jaxridge: argument `x` needs at least 2 points")
    logx, logy = jnp.log(x), jnp.log(y)
    mx, my = jnp.mean(logx), jnp.mean(logy)
    slope = jnp.sum((logx - mx) * (logy - my)) / jnp.sum((logx - mx) ** 2)
    a = jnp.exp(my - slope * mx)
    b = -slope
    c = jnp.zeros((), dtype)
    if offset:
        if x.shape[0] < 3:
            raise ValueError("jaxridge: argument `x` needs at least 3 points with an offset")
        c0 = 0.5 * jnp.min(y)
        # Start from the no-offset fit of y − c0 (positive since c0 < min y).
        ly = jnp.log(y - c0)
        ms = jnp.mean(ly)
        s0 = jnp.sum((logx - mx) * (ly - ms)) / jnp.sum((logx - mx) ** 2)
        start = {"amplitude": jnp.exp(ms - s0 * mx), "exponent": -s0, "offset": c0}
        u0 = to_unconstrained(_NAMES, start, dtype)
        u, _ = _power_law_offset_kernel(u0, logx, logy, int(steps))
        vals = to_natural(_NAMES, u)
        a, b, c = vals["amplitude"], vals["exponent"], vals["offset"]
    curve = a * x ** (-b) + c
    loss = jnp.mean((jnp.log(curve) - logy) ** 2)
    return PowerLawFit(amplitude=a, exponent=b, offset=c, curve=curve, loss=loss)
