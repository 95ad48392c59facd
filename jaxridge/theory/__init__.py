"""Deterministic equivalents: pure, jit/vmap-able, implicitly differentiable solvers."""

from . import scaling as scaling
from .correlated import CorrelatedRidgeRisk as CorrelatedRidgeRisk
from .correlated import CorrelatedTestPoint as CorrelatedTestPoint
from .correlated import correlated_ridge_risk as correlated_ridge_risk
from .correlated import correlated_test_point as correlated_test_point
from .correlated import kappa_from_df as kappa_from_df
from .density import marchenko_pastur_density as marchenko_pastur_density
from .density import marchenko_pastur_edges as marchenko_pastur_edges
from .density import product_wishart_density as product_wishart_density
from .density import sample_covariance_density as sample_covariance_density
from .density import semicircle_density as semicircle_density
from .features import RFRisk as RFRisk
from .features import deep_rf_risk as deep_rf_risk
from .features import rf_risk as rf_risk
from .grid import ridge_risk_grid as ridge_risk_grid
from .linear import RidgeRisk as RidgeRisk
from .linear import effective_ridge as effective_ridge
from .linear import ridge_risk as ridge_risk
from .rf_grid import deep_rf_risk_grid as deep_rf_risk_grid
from .rf_grid import rf_risk_grid as rf_risk_grid
