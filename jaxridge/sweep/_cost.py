"""Memory estimates of the units of work of a sweep, and batch sizes that fit a budget.

The estimates are the peak bytes of the largest arrays one unit holds (a Monte-Carlo seed of the
linear model, one data seed of a random-feature model with all its feature draws, one theory
point of a random-feature model). They decide how many units run at once per device, and a spec
whose single unit exceeds ``max_bytes`` is rejected up front.
"""

from __future__ import annotations

from .. import spectra
from .._batching import DEFAULT_BUCKET_GROWTH, bucket_ladder, seed_bytes

# Vectors of length D that one random-feature theory point keeps alive (a generous bound).
_RF_THEORY_VECTORS = 32


def spectrum_lengths(spec) -> list[int]:
    """The spectrum lengths (N, or D for random features) the sweep visits."""
    table = spec.spectrum
    kind = table["kind"]
    if kind in ("power_law", "isotropic"):
        for axis in spec.axes():
            if axis.name == "num_features":
                return [int(v) for v in axis.values]
        return [int(table["num_features"])]
    if kind == "blocks":
        return [int(sum(table["sizes"]))]
    return [len(spectra.from_file(table["path"], name="spectrum.path")[0])]


def linear_mc_seed_bytes(max_samples: int, num_features: int, num_ridges: int, itemsize: int):
    """Peak bytes of one Monte-Carlo seed of a linear learning curve (draw + largest cell)."""
    ladder = bucket_ladder(max_samples, DEFAULT_BUCKET_GROWTH, split=num_features)
    return seed_bytes(ladder, num_features, "samples", num_ridges, itemsize)


def rf_mc_bytes(num_samples, dim, widths, num_ridges, data_seeds, feature_seeds, itemsize):
    """Peak bytes of one random-feature Monte-Carlo cell (one data seed at a time, every
    feature seed batched, plus the (data × feature × ridge × D) fits kept for the ANOVA)."""
    width = int(widths[-1])
    small = min(num_samples, width)
    layers = sum(a * b for a, b in zip((dim, *widths[:-1]), widths, strict=True))
    per_feature = layers + 2 * num_samples * width + 3 * small * small + dim * small
    per_feature += num_ridges * (4 * dim + num_samples)
    fits = 4 * data_seeds * feature_seeds * num_ridges * dim
    return itemsize * (num_samples * dim + feature_seeds * per_feature + fits)


def rf_theory_point_bytes(dim: int, itemsize: int) -> int:
    return itemsize * _RF_THEORY_VECTORS * dim


def smallest_unit_bytes(spec) -> tuple[int, str]:
    """The bytes of the largest indivisible unit of work of ``spec``, and its description."""
    itemsize = spec.itemsize()
    n_max = max(spectrum_lengths(spec))
    ridges = [a for a in spec.axes() if a.name == "ridge"][0].values
    sizes = spec.num_samples_values()
    need, what = itemsize * 16 * n_max, f"one theory table row (N={n_max})"
    if spec.model != "linear":
        need, what = rf_theory_point_bytes(n_max, itemsize), f"one theory point (D={n_max})"
    if not spec.monte_carlo:
        return need, what
    p_max = int(max(sizes))
    if spec.model == "linear":
        mc = linear_mc_seed_bytes(p_max, n_max, len(ridges), itemsize)
        if spec.samples is not None:  # the correlated copy of a seed's draw
            mc += itemsize * (p_max + 1) * (n_max + 1)
        label = f"one Monte-Carlo seed (P={p_max}, N={n_max})"
    else:
        widths = spec.width_values()
        as_tuples = [w if isinstance(w, tuple) else (w,) for w in widths]
        mc, label = 0, ""
        for w in as_tuples:
            b = rf_mc_bytes(
                p_max, n_max, w, len(ridges), spec.num_seeds, spec.num_feature_seeds, itemsize
            )
            if b > mc:
                mc, label = b, f"one Monte-Carlo cell (P={p_max}, D={n_max}, widths={list(w)})"
    return (mc, label) if mc > need else (need, what)
