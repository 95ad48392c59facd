"""One eigendecomposition of a training set, from which every ridge is cheap (THEORY §2.1).

For a design ``X`` (P × N) and labels ``y``, let ``X = Σᵢ sᵢ uᵢ vᵢᵀ`` (thin SVD) and
``gᵢ = sᵢ²/P``: the non-zero eigenvalues shared by the empirical covariance ``Σ̂ = XᵀX/P``
(N × N) and the Gram matrix ``G = XXᵀ/P`` (P × P). :func:`decompose` computes them with a single
``eigh`` of the *smaller* of the two matrices and stores what every ridge quantity needs:

=====================  =========  =============================================================
field                  symbol     meaning
=====================  =========  =============================================================
``eigvals``            gᵢ         eigenvalues of the decomposed matrix (length r = min(N, P)),
                                  ascending; those below ``max(N, P)·eps·max g`` are set to 0
``eigvecs``            uᵢ or vᵢ   (r, r) eigenvectors of the decomposed matrix: of G (Gram side,
                                  ``side == "samples"``) or of Σ̂ (``side == "features"``)
``design``             X          the design matrix itself (so Σ̂'s eigenvectors on the Gram
                                  side are ``Xᵀuᵢ/sᵢ``, see :attr:`Decomposition.feature_vecs`)
``coef``               cᵢ         ``vᵢᵀXᵀy/P = √(gᵢ/P)·uᵢᵀy`` (0 where gᵢ = 0)
``proj2``              bᵢ²        ``(uᵢᵀy)²``; on the Gram side this includes the null directions
``residual2``          ‖y⊥‖²      the part of ‖y‖² not in ``proj2`` (covariance side only)
``num_samples``        P          true number of samples (rows beyond it are zero padding)
``num_features``       N          true number of features (columns beyond it are zero padding)
=====================  =========  =============================================================

Then, with ``aᵢ(λ) = cᵢ/(gᵢ + λ)`` (0 where gᵢ = 0):

* ``ŵ(λ) = Σᵢ aᵢ(λ) vᵢ`` — at λ = 0 the minimum-norm least-squares solution (pseudo-inverse);
* ``df̂ = Σ gᵢ/(gᵢ+λ)``, ``Tr[(G+λ)⁻¹] = Σ_{g>0} 1/(gᵢ+λ) + (P − rank)/λ``;
* ``P·E_tr = Σ (λ/(gᵢ+λ))² bᵢ² + ‖y⊥‖²`` (the factor is 1 where gᵢ = 0);
* ``tr_N(Σ̂ − z)⁻¹ = [Σ_{g>0} 1/(gᵢ − z) + (N − rank)/(−z)]/N`` and likewise with P for G.

Zero padding. Rows of zeros in ``X``/``y`` and columns of zeros in ``X`` leave Σ̂'s non-zero
spectrum, ŵ and every quantity above unchanged, *provided* the true P and N are used in the
normalisations; pass them as ``num_samples``/``num_features``. The extra zero eigenvalues that
padding adds to G (or Σ̂) fall below the threshold and are counted through the true sizes.
"""

from __future__ import annotations

import functools
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._validate import as_float, check, check_choice, common_dtype, fail, readable_errors

__all__ = ["Decomposition", "decompose", "empirical_spectrum", "resolvent_trace"]

_HI = jax.lax.Precision.HIGHEST


class Decomposition(eqx.Module):
    """One eigendecomposition of a training set ``(X, y)``; see the module docstring.

    A pytree: pass it through ``jit``/``vmap``. ``num_rows`` and ``num_cols`` are the static
    (possibly padded) shape of ``X``.
    """

    eigvals: Array
    eigvecs: Array
    design: Array
    coef: Array
    proj2: Array
    residual2: Array
    num_samples: Array
    num_features: Array
    num_rows: int = eqx.field(static=True)
    num_cols: int = eqx.field(static=True)
    side: str = eqx.field(static=True)

    @property
    def feature_vecs(self) -> Array:
        """(N, r) eigenvectors vᵢ of Σ̂ (zero columns where gᵢ = 0 on the Gram side).

        On the Gram side this costs one (N × P × P) product; :func:`ridge_weights` avoids it.
        """
        if self.side == "features":
            return self.eigvecs
        positive = self.eigvals > 0
        inv_s = _safe_recip(jnp.sqrt(self.num_samples * self.eigvals), positive)
        return jnp.matmul(self.design.T, self.eigvecs, precision=_HI) * inv_s[None, :]

    @property
    def rank(self) -> Array:
        """Number of non-zero empirical eigenvalues (a float array, for arithmetic)."""
        return jnp.sum(self.eigvals > 0, axis=-1).astype(self.eigvals.dtype)


def _threshold(g, num_samples, num_features):
    eps = jnp.finfo(g.dtype).eps
    tol = jnp.maximum(num_samples, num_features) * eps * jnp.max(g)
    return jnp.where(g > tol, g, 0.0)


def _safe_recip(x, positive):
    return jnp.where(positive, 1.0 / jnp.where(positive, x, 1.0), 0.0)


@readable_errors
def decompose(
    X: Float[ArrayLike, "p n"],
    y: Float[ArrayLike, " p"],
    *,
    num_samples: ArrayLike | None = None,
    num_features: ArrayLike | None = None,
) -> Decomposition:
    """Eigendecompose a training set once, for every ridge and every resolvent argument.

    Uses ``eigh`` of ``XXᵀ/P`` when ``X`` has at most as many rows as columns, else of
    ``XᵀX/P`` (float32 matmuls at ``precision=HIGHEST``). Eigenvalues below
    ``max(N, P)·eps·max g`` count as exact zeros (the null space), so λ = 0 is the pseudo-inverse.

    Args:
        X: design matrix, shape ``(P, N)`` (rows beyond ``num_samples`` and columns beyond
            ``num_features`` must be zero padding).
        y: labels, shape ``(P,)`` (zero beyond ``num_samples``).
        num_samples: the true P (default ``X.shape[0]``); may be traced.
        num_features: the true N (default ``X.shape[1]``); may be traced.

    Returns:
        A :class:`Decomposition`.

    Example:
        >>> import jax
        >>> from jaxridge import spectra
        >>> from jaxridge.empirical import decompose, resolvent_trace, sample_data
        >>> e, w = spectra.isotropic(200)
        >>> X, y = sample_data(jax.random.key(0), e, w, 100)
        >>> d = decompose(X, y)
        >>> m = resolvent_trace(d, -0.1)          # tr_N (Σ̂ + 0.1)⁻¹
    """
    dtype = common_dtype(X, y)
    X = as_float(X, dtype, "X")
    y = as_float(y, dtype, "y")
    if X.ndim != 2:
        raise ValueError(f"jaxridge: argument `X` must be a 2-D array, got shape {X.shape}")
    rows, cols = X.shape
    if y.shape != (rows,):
        raise ValueError(f"jaxridge: argument `y` must have shape {(rows,)}, got {y.shape}")
    if rows < 1 or cols < 1:
        raise ValueError(f"jaxridge: argument `X` must not be empty, got shape {X.shape}")
    X = check(X, ~jnp.all(jnp.isfinite(X)), "X", "contains NaN or inf")
    y = check(y, ~jnp.all(jnp.isfinite(y)), "y", "contains NaN or inf")
    p = as_float(rows if num_samples is None else num_samples, dtype, "num_samples")
    n = as_float(cols if num_features is None else num_features, dtype, "num_features")
    p = check(p, (p < 1) | (p > rows), "num_samples", f"must be in [1, {rows}]")
    n = check(n, (n < 1) | (n > cols), "num_features", f"must be in [1, {cols}]")
    return decompose_unchecked(X, y, p, n)


@jax.jit
def decompose_unchecked(X, y, p, n) -> Decomposition:
    """:func:`decompose` without input checks (for kernels whose inputs are already valid)."""
    dtype = X.dtype
    rows, cols = X.shape
    if rows <= cols:
        # Gram side. X = Σ sᵢ uᵢ vᵢᵀ with sᵢ = √(P gᵢ): vᵢ = Xᵀuᵢ/sᵢ, cᵢ = (sᵢ/P)·uᵢᵀy.
        gram = jnp.matmul(X, X.T, precision=_HI) / p
        g, u = jnp.linalg.eigh(gram)
        g = _threshold(g, p, n)
        positive = g > 0
        b = jnp.matmul(u.T, y, precision=_HI)
        vecs = u
        coef = jnp.sqrt(g / p) * b
        proj2 = b * b
        residual2 = jnp.zeros((), dtype)
    else:
        # Covariance side. cᵢ = vᵢᵀXᵀy/P, bᵢ² = P cᵢ²/gᵢ; the part of y outside the column
        # span is computed directly as ‖y − X ŵ_LS‖² (no cancellation in ‖y‖² − Σ bᵢ²).
        cov = jnp.matmul(X.T, X, precision=_HI) / p
        g, v = jnp.linalg.eigh(cov)
        g = _threshold(g, p, n)
        positive = g > 0
        h = jnp.matmul(X.T, y, precision=_HI) / p
        coef = jnp.where(positive, jnp.matmul(v.T, h, precision=_HI), 0.0)
        inv_g = _safe_recip(g, positive)
        proj2 = p * coef * coef * inv_g
        w_ls = jnp.matmul(v, coef * inv_g, precision=_HI)
        resid = y - jnp.matmul(X, w_ls, precision=_HI)
        residual2 = jnp.sum(resid * resid)
        vecs = v
    return Decomposition(
        eigvals=g,
        eigvecs=vecs,
        design=X,
        coef=coef,
        proj2=proj2,
        residual2=residual2,
        num_samples=p,
        num_features=n,
        num_rows=rows,
        num_cols=cols,
        side="samples" if rows <= cols else "features",
    )


@readable_errors
def resolvent_trace(
    decomposition: Decomposition,
    z: ArrayLike,
    *,
    side: Literal["features", "samples"] = "features",
) -> Array:
    """Normalised resolvent trace (Stieltjes transform) of the empirical spectrum.

    ``side="features"``: ``m(z) = tr_N (Σ̂ − z)⁻¹ = [Σ_{g>0} 1/(gᵢ − z) + (N − rank)/(−z)]/N``;
    ``side="samples"``: ``tr_P (G − z)⁻¹`` with P in place of N. The zero eigenvalues of the
    larger matrix are included (they are what distinguishes the two). At ``z = −λ`` (λ > 0) this
    is the Marchenko–Pastur ``m(−λ)`` of THEORY §2.8; ``−Im m(x + iη)/π`` is the spectral density
    smoothed at width η.

    Args:
        decomposition: from :func:`decompose`.
        z: real or complex array of any shape (not on the spectrum; ``z = 0`` gives inf when
            the matrix is singular).
        side: ``"features"`` (Σ̂ = XᵀX/P) or ``"samples"`` (G = XXᵀ/P).

    Returns:
        An array of ``z``'s shape, complex iff ``z`` is complex.

    Example:
        >>> m = resolvent_trace(d, jnp.array([-0.1, -1.0]))        # doctest: +SKIP
        >>> density = -resolvent_trace(d, x + 1e-2j).imag / jnp.pi  # doctest: +SKIP
    """
    check_choice(side, "side", ("features", "samples"))
    if z is None or isinstance(z, str | bytes):
        raise fail("z", f"must be a real or complex number or array, got {z!r}")
    try:
        z = jnp.asarray(z)
    except (TypeError, ValueError) as exc:
        raise fail("z", f"must be a real or complex number or array ({exc})") from None
    if z.dtype.kind not in "iufc" or z.dtype == jnp.bool_:
        raise fail("z", f"must be a real or complex number or array, got dtype {z.dtype}")
    return _resolvent_trace(decomposition, z, side)


@functools.partial(jax.jit, static_argnums=2)
def _resolvent_trace(decomposition, z, side):
    g = decomposition.eigvals
    with jax.numpy_dtype_promotion("standard"):  # real or complex z: the dtype of the trace
        dtype = jnp.result_type(g.dtype, z.dtype)
    z = z.astype(dtype)
    dim = decomposition.num_features if side == "features" else decomposition.num_samples
    g = g.reshape((1,) * z.ndim + g.shape)
    positive = g > 0
    zz = z.reshape(z.shape + (1,))
    terms = jnp.where(positive, 1.0 / (g.astype(dtype) - zz), 0.0)
    zeros = dim - decomposition.rank
    null = jnp.where(zeros > 0, zeros.astype(dtype) / jnp.where(zeros > 0, -z, 1.0), 0.0)
    return (jnp.sum(terms, axis=-1) + null) / jnp.asarray(dim).astype(dtype)


@readable_errors
def empirical_spectrum(
    decomposition: Decomposition, *, side: Literal["features", "samples"] = "features"
) -> Float[Array, " m"]:
    """All eigenvalues of Σ̂ (``side="features"``, length N) or G (length P), ascending.

    The lengths are the static shape of the decomposed ``X``; eigenvalues below the null
    threshold (including those of zero padding) are reported as exact zeros.
    """
    check_choice(side, "side", ("features", "samples"))
    g = decomposition.eigvals
    size = decomposition.num_cols if side == "features" else decomposition.num_rows
    full = jnp.concatenate([jnp.zeros((size - g.shape[0],), g.dtype), g])
    return jnp.sort(full)
