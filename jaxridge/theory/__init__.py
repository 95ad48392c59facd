"""Deterministic equivalents: pure, jit/vmap-able, implicitly differentiable solvers."""

from . import scaling as scaling
from .features import RFRisk as RFRisk
from .features import deep_rf_risk as deep_rf_risk
from .features import rf_risk as rf_risk
from .grid import ridge_risk_grid as ridge_risk_grid
from .linear import RidgeRisk as RidgeRisk
from .linear import effective_ridge as effective_ridge
from .linear import ridge_risk as ridge_risk
