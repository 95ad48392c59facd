"""Bucketed (zero-padded) Monte-Carlo grids do not depend on the bucket ladder.

Every cell draws its rows from ``fold_in(seed_key, μ)`` whatever its padding, and the bucket
ladder has a rung at the size where ``decompose`` switches side (``N`` for sample sizes, ``P − 1``
for widths), so a cell is decomposed on the side its true sizes pick. The bucket then only
changes rounding: ``bucket_growth=None``, the default 1.5 and 1.2 agree to a few hundred eps on
well-conditioned cells, and exactly where a structural zero is involved (E_tr at λ = 0 when
P <= N: before the rung, the covariance side of a large bucket gave ~eps²·‖y‖² instead of 0, a
relative difference of 1.0).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxridge import spectra
from jaxridge._batching import bucket_ladder
from jaxridge.empirical import learning_curve, ridge_risk, width_curve
from tests.helpers import DTYPE

FIELDS = ("kappa", "df1", "test", "test_out", "train", "gcv")
RIDGES = np.array([0.0, 1e-2, 1.0])
NOISE = 0.1
SEEDS = 2
N = 20
# Ladders (with the rung at N = 20): None (30, 20), default 1.5 (30, 20, 16), 1.2 (30, 25, 21,
# 20, 18, 16). Without the rung, None put every P <= N in the 30-row bucket (covariance side)
# and 1.2 put P = 20 in the 21-row one, against the Gram side of the default. No P within a few
# of N other than N itself: there the λ = 0 fit is so ill-conditioned that rounding alone
# differs by ~eps·cond(X)² between buckets (P = 17 gives ~1e3 eps in float32).
GRID = [3, 10, 20, 30]
# Widths at P = 20 (rung at P − 1 = 19): below P (covariance side), at P − 1, and above P.
P_WIDTH = 20
WIDTHS = [4, 10, 19, 30]
# Same training sets, different padding: float64 agrees to ~1e-13 (1e-10 asserted); float32 to
# tens of eps on these well-conditioned cells.
RTOL = 1e-10 if DTYPE == jnp.float64 else 1000 * float(jnp.finfo(DTYPE).eps)


def _problem(n=N):
    return spectra.power_law(n, alpha=1.5, r=0.4, dtype=DTYPE)


def _assert_same(got, want, what):
    # atol = 0: exact zeros (E_tr at λ = 0 for P <= N, κ̂ at λ = 0 for P > N) must stay exact.
    for f in FIELDS:
        np.testing.assert_allclose(
            np.asarray(getattr(got, f)),
            np.asarray(getattr(want, f)),
            rtol=RTOL,
            atol=0,
            err_msg=f"{f}: {what}",
        )


@functools.cache
def _learning(growth, independent):
    e, w = _problem()
    ridges = jnp.asarray(RIDGES, DTYPE)
    return learning_curve(
        jax.random.key(11),
        e,
        w,
        GRID,
        ridges,
        NOISE,
        SEEDS,
        bucket_growth=growth,
        independent=independent,
    )


@functools.cache
def _width(growth, independent):
    e, w = _problem(max(WIDTHS))
    ridges = jnp.asarray(RIDGES, DTYPE)
    return width_curve(
        jax.random.key(12),
        e,
        w,
        WIDTHS,
        P_WIDTH,
        ridges,
        NOISE,
        SEEDS,
        bucket_growth=growth,
        independent=independent,
    )


@pytest.mark.parametrize("independent", [False, True])
@pytest.mark.parametrize("growth", [None, 1.2])
def test_learning_curve_does_not_depend_on_buckets(growth, independent):
    _assert_same(_learning(growth, independent), _learning(1.5, independent), f"growth {growth}")


@pytest.mark.parametrize("independent", [False, True])
@pytest.mark.parametrize("growth", [None, 1.2])
def test_width_curve_does_not_depend_on_buckets(growth, independent):
    _assert_same(_width(growth, independent), _width(1.5, independent), f"growth {growth}")


@pytest.mark.parametrize("growth", [None, 1.5, 1.2])
def test_interpolating_train_error_is_exactly_zero(growth):
    # λ = 0 with P < N interpolates: E_tr = 0 exactly on the Gram side, whatever the bucket.
    # (Not asserted at P = N: in float32 the smallest eigenvalue of G can fall below the null
    # threshold there, and E_tr is then that direction's share of ‖y‖², in every ladder alike.)
    train = np.asarray(_learning(growth, False).train)
    assert np.all(train[np.asarray(GRID) < N, :, 0] == 0)


@pytest.mark.parametrize("index", [1, 2])  # P = 10 (a 30-row bucket for None), P = N
def test_learning_curve_cells_are_ridge_risk(index):
    # Cell (i, s) is ridge_risk(key, …, P_i) at seed s: the same rows, decomposed on the same
    # side, only padded (ridge_risk pads nothing).
    e, w = _problem()
    risk = ridge_risk(
        jax.random.key(11), e, w, GRID[index], jnp.asarray(RIDGES, DTYPE), NOISE, SEEDS
    )
    for growth in [None, 1.5, 1.2]:
        cell = jax.tree_util.tree_map(lambda a: a[index], _learning(growth, False))
        _assert_same(cell, risk, f"P = {GRID[index]}, growth {growth}")


@pytest.mark.parametrize("index", [1, 2])  # N = 10 (a 30-wide bucket for None), N = P − 1
def test_width_curve_cells_are_ridge_risk_on_the_truncated_spectrum(index):
    # Width N of seed s is ridge_risk(key, eigvals[:N], target_weights[:N], P) at seed s (the
    # partitionable PRNG makes the first N covariates of a row independent of the row length).
    e, w = _problem(max(WIDTHS))
    n = WIDTHS[index]
    risk = ridge_risk(
        jax.random.key(12), e[:n], w[:n], P_WIDTH, jnp.asarray(RIDGES, DTYPE), NOISE, SEEDS
    )
    for growth in [None, 1.5, 1.2]:
        cell = jax.tree_util.tree_map(lambda a: a[index], _width(growth, False))
        _assert_same(cell, risk, f"N = {n}, growth {growth}")


@pytest.mark.parametrize("growth", [None, 1.5, 1.2])
@pytest.mark.parametrize("split", [1, 7, 16, 29, 30, 64, 99])
def test_ladder_has_a_rung_at_the_split(growth, split):
    ladder = bucket_ladder(100, growth, split=split)
    assert list(ladder) == sorted(set(ladder), reverse=True)
    assert ladder[0] == 100 and split in ladder
    assert set(bucket_ladder(100, growth)) <= set(ladder)
    # The bucket of a size (the smallest rung >= it) never straddles the split.
    for size in range(1, 101):
        bucket = min(b for b in ladder if b >= size)
        assert (size <= split) == (bucket <= split)


def test_ladder_ignores_a_split_outside_the_sizes():
    assert bucket_ladder(50, None, split=50) == (50,)
    assert bucket_ladder(50, None, split=80) == (50,)
    assert bucket_ladder(50, None, split=0) == (50,)
    assert bucket_ladder(50, 1.5, split=None) == bucket_ladder(50, 1.5)
