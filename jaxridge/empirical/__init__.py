"""Monte-Carlo experiments: sampling, one decomposition for every ridge, resolvents, estimators.

Names in the API and the paper's symbols (THEORY §1, §2.1, §5.8):

======================  ======  ==============================================================
argument / field        symbol  meaning
======================  ======  ==============================================================
``eigvals``             e_k     population covariance spectrum (Σ = diag(e))
``target_weights``      w̄_k     target weights in the eigenbasis of Σ
``num_samples``         P       number of training samples (a Python int: it fixes shapes)
``num_features``        N       number of features (input dimension)
``ridges``              λ       ridges, ``>= 0`` (λ = 0 is the minimum-norm solution)
``noise_var``           σ_ε²    label-noise variance
``X``, ``y``                    design matrix (P × N) and labels
Σ̂, G                            empirical covariance XᵀX/P (N × N), Gram matrix XXᵀ/P (P × P)
``kappa``               κ̂       P / Tr[(G + λ)⁻¹]
``df1``                 df̂      Tr[Σ̂(Σ̂ + λ)⁻¹]
``test`` / ``test_out``  E_g     (ŵ − w̄)ᵀΣ(ŵ − w̄) / E_g + σ²
``train``               E_tr    (1/P)‖y − Xŵ‖²
``gcv``                 Ê_g     (κ̂/λ)² E_tr − σ²
======================  ======  ==============================================================
"""

from ._corrgcv import corrgcv as corrgcv
from ._decomposition import Decomposition as Decomposition
from ._decomposition import decompose as decompose
from ._decomposition import empirical_spectrum as empirical_spectrum
from ._decomposition import resolvent_trace as resolvent_trace
from ._engine import EmpiricalRisk as EmpiricalRisk
from ._replicate import MeanStderr as MeanStderr
from ._replicate import replicate as replicate
from ._replicate import replicate_curve as replicate_curve
from ._replicate import summarise as summarise
from ._ridge import ridge_path as ridge_path
from ._ridge import ridge_statistics as ridge_statistics
from ._ridge import ridge_weights as ridge_weights
from ._risk import learning_curve as learning_curve
from ._risk import ridge_risk as ridge_risk
from ._risk import width_curve as width_curve
from ._sampling import sample_data as sample_data
from .features import RFEmpiricalRisk as RFEmpiricalRisk
from .features import deep_rf_ridge_risk as deep_rf_ridge_risk
from .features import rf_ridge_risk as rf_ridge_risk
