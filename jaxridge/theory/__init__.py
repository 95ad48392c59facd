"""Deterministic equivalents: pure, jit/vmap-able, implicitly differentiable solvers."""

from .linear import RidgeRisk as RidgeRisk
from .linear import effective_ridge as effective_ridge
from .linear import ridge_risk as ridge_risk
