"""Fit model parameters to measured learning curves by gradient descent through the solvers.

:func:`fit_learning_curve` finds the parameters of a power-law ridge (or linear random-feature)
model whose deterministic-equivalent error curve matches measured errors. The model is

    error(P_i) = E_g(e(α), √A·w̄(α, r), P_i, λ_i, σ²)
               = A·[Bias² + Var_X](P_i) + Var_Xε(P_i; σ²),

with ``e_k = k^−α``, ``e_k w̄_k² = k^−(1+2αr)`` truncated at ``k ≤ N`` (:func:`spectra.power_law`)
and E_g the excess test error of :func:`theory.ridge_risk` (or :func:`theory.rf_risk` for
``model="random_features"``). The amplitude A scales the target (signal power), since target
normalisations differ between data sets; the noise variance σ² is in the units of the errors.
The loss is the weighted mean squared error of ``log error``. :func:`fit_power_law` is the
plain log–log baseline ``y = a·x^−b (+ c)``.

Names in the API and the paper's symbols:

==================  ======  ==================================================================
name                symbol  meaning
==================  ======  ==================================================================
``num_samples``     P       training-set sizes of the measured points
``errors``          E_g     measured excess test errors (> 0)
``alpha``           α       capacity exponent, ``e_k = k^−α`` (fitted as 1 + softplus)
``r``               r       source exponent (fitted as softplus, r > 0)
``noise_var``       σ_ε²    label-noise variance (softplus, > 0)
``amplitude``       A       signal amplitude, w̄ → √A·w̄ (exp, > 0; default held at 1)
``ridge``           λ       ridge (exp, > 0; default held at 0 = ridgeless)
``num_features``    N       linear: spectrum truncation / input dimension (int or per-point
                            ints); random features: the width (float or per-point floats)
``input_dim``       D       random features: data spectrum truncation (int)
``feature_var``     v       random features: entry variance of the weights (default 1/D)
``feature_eigvals`` s       random features: column spectrum of the weights (array, fixed)
==================  ======  ==================================================================

Conventions:

* Free parameters are ``alpha``, ``r``, ``noise_var`` plus every name given in ``init``, minus
  every name given in ``fixed``. ``amplitude`` defaults to 1 and ``ridge`` to 0 unless fitted.
* ``fixed["ridge"]`` and ``fixed["num_features"]`` may be arrays with one entry per point, so
  grids over data, width and ridge fit jointly.
* The optimisation is ``steps`` steps of ``optimizer`` (Adam by default) on the unconstrained
  parameters, followed by ``refine_steps`` Levenberg–Marquardt steps (decreasing steps only),
  for ``num_restarts`` starting points in one ``vmap``: restart 0 starts at ``init``, the others
  at ``init`` plus Gaussian noise of scale ``restart_scale`` in unconstrained coordinates
  (``key`` fixes it; default ``PRNGKey(0)``, so fits are reproducible). The restart with the
  lowest final loss is returned. Everything runs in one jitted function; repeated fits with the
  same shapes and static settings do not recompile.
* Standard errors are Gauss–Newton (Laplace) ones at the optimum: ``cov = s²(JᵀWJ)⁻¹`` with J the
  Jacobian of the log-residuals in the natural parameters and ``s² = Σwᵢrᵢ²/(n − k)``. They
  treat the points as independent with equal (or ``1/weights``-proportional) log-variance.
* A model value that is 0 or ``+inf`` (noiseless ridgeless points with P ≥ N, the ridgeless
  interpolation threshold P = N) cannot be compared in log space: such a point contributes a
  fixed residual of ``INVALID_RESIDUAL`` with zero gradient, and the solver is evaluated at a
  shifted, harmless P there so that no NaN reaches the gradient.
"""

from ._learning_curve import FitResult as FitResult
from ._learning_curve import fit_learning_curve as fit_learning_curve
from ._model import INVALID_RESIDUAL as INVALID_RESIDUAL
from ._model import learning_curve_loss as learning_curve_loss
from ._model import learning_curve_model as learning_curve_model
from ._power_law import PowerLawFit as PowerLawFit
from ._power_law import fit_power_law as fit_power_law
