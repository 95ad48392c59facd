"""Tests of jaxridge.plot: the artists drawn are the data given, on the axes asked for."""

import matplotlib

matplotlib.use("Agg")

import subprocess  # noqa: E402
import sys  # noqa: E402

import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection, QuadMesh  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.patches import StepPatch  # noqa: E402

from jaxridge import plot  # noqa: E402
from jaxridge.plot._axes import GUIDE_GID, VLINE_GID  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _legend_texts(ax):
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def _curves(ax):
    """Lines drawn by `curves` as theory (solid, not guides, markers, error-bar parts)."""
    return [
        ln
        for ln in ax.lines
        if ln.get_linestyle() == "-" and ln.get_marker() in ("None", None, "")
        if ln.get_gid() not in (GUIDE_GID, VLINE_GID)
    ]


X = np.geomspace(1.0, 1e3, 30)
XMC = np.array([2.0, 8.0, 32.0, 128.0, 512.0])


def _power(x, c, p):
    return c * np.asarray(x) ** p


# --------------------------------------------------------------------------------------------
# import contract


def test_import_is_lazy_and_missing_matplotlib_gives_install_hint():
    code = (
        "import sys\n"
        "import jaxridge\n"
        "assert 'matplotlib' not in sys.modules, 'import jaxridge imported matplotlib'\n"
        "sys.modules['matplotlib'] = None\n"
        "try:\n"
        "    import jaxridge.plot\n"
        "except ImportError as error:\n"
        "    assert \"pip install 'jaxridge[plot]'\" in str(error), str(error)\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------------------------
# curves


def test_curves_draws_theory_lines_errorbars_and_gcv_rings():
    eg, etr = _power(X, 1.0, -1.2), _power(X, 0.1, -0.5)
    mean, stderr = _power(XMC, 1.1, -1.2), _power(XMC, 0.05, -1.2)
    gcv = _power(XMC, 0.9, -1.2)
    ax = plot.curves(
        X,
        theory={"$E_g$": eg, "$E_{tr}$": etr},
        empirical={"$E_g$": (mean, stderr)},
        gcv={"$E_g$": gcv},
        x_empirical=XMC,
        xlabel="$P$",
        ylabel="error",
        title="learning curve",
    )
    lines = _curves(ax)
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[0].get_xdata(), X)
    np.testing.assert_array_equal(lines[0].get_ydata(), eg)
    np.testing.assert_array_equal(lines[1].get_ydata(), etr)
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 1
    data_line, _, (segments,) = bars[0].lines
    np.testing.assert_array_equal(data_line.get_xdata(), XMC)
    np.testing.assert_array_equal(data_line.get_ydata(), mean)
    lows_highs = np.array([seg[:, 1] for seg in segments.get_segments()])
    np.testing.assert_allclose(lows_highs, np.stack([mean - stderr, mean + stderr], 1))
    # points and rings share the colour of their theory line
    assert data_line.get_color() == lines[0].get_color() != lines[1].get_color()
    (ring,) = [ln for ln in ax.lines if ln.get_label() == "GCV"]
    np.testing.assert_array_equal(ring.get_xdata(), XMC)
    np.testing.assert_array_equal(ring.get_ydata(), gcv)
    assert ring.get_markerfacecolor() == "none"
    assert ring.get_markeredgecolor() == lines[0].get_color()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("$P$", "error", "learning curve")
    assert _legend_texts(ax) == ["$E_g$", "$E_{tr}$", "GCV"]


def test_curves_accepts_jax_arrays_colors_and_linear_axes():
    y = jnp.linspace(0.0, 1.0, X.size)
    fig, ax = plt.subplots()
    out = plot.curves(
        jnp.asarray(X),
        theory={"a": y},
        empirical={"b": y[:5]},  # a bare mean: points without error bars
        x_empirical=jnp.asarray(XMC),
        ax=ax,
        colors={"a": "red", "b": "black"},
        logx=False,
        logy=False,
        legend=False,
    )
    assert out is ax
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "linear"
    assert ax.get_legend() is None
    assert _curves(ax)[0].get_color() == "red"
    (bar,) = ax.containers
    assert bar.lines[0].get_color() == "black" and not bar.has_yerr
    np.testing.assert_allclose(bar.lines[0].get_ydata(), np.asarray(y[:5]))


def test_curves_second_call_extends_legend_and_colour_cycle():
    ax = plot.curves(X, theory={"a": X})
    plot.curves(X, theory={"b": 2 * X}, ax=ax)
    assert _legend_texts(ax) == ["a", "b"]
    first, second = _curves(ax)
    assert first.get_color() != second.get_color()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"theory": {"a": np.ones(3)}}, "theory"),
        ({"empirical": {"a": (np.ones(X.size), np.ones(2))}}, "empirical"),
        ({"empirical": {"a": (np.ones(X.size), -np.ones(X.size))}}, "empirical"),
        ({"gcv": {"a": np.ones(2)}}, "gcv"),
        ({"theory": {"a": X}, "x_empirical": np.ones((2, 2))}, "x_empirical"),
        ({"theory": [X]}, "theory"),
        ({}, "theory"),
    ],
)
def test_curves_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        plot.curves(X, **kwargs)
    assert not plt.get_fignums(), "no figure is created for invalid input"


# --------------------------------------------------------------------------------------------
# guide and vlines


def _guide_line(ax):
    (line,) = [ln for ln in ax.lines if ln.get_gid() == GUIDE_GID]
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata()), line


def test_guide_passes_through_anchor_with_the_right_slope():
    ax = plot.curves(X, theory={"a": _power(X, 3.0, -1.0)})
    span = np.geomspace(10.0, 500.0, 20)
    plot.guide(ax, span, -1.5, anchor=(20.0, 0.4), label=plot.power_label(-1.5))
    xg, yg, line = _guide_line(ax)
    np.testing.assert_array_equal(xg, span)
    np.testing.assert_allclose(np.diff(np.log(yg)) / np.diff(np.log(xg)), -1.5, rtol=1e-12)
    np.testing.assert_allclose(np.interp(np.log(20.0), np.log(xg), np.log(yg)), np.log(0.4))
    assert line.get_linestyle() == "--"
    assert _legend_texts(ax) == ["a", r"$\propto P^{-1.5}$"]


def test_guide_default_anchor_is_the_first_curve_scaled():
    ax = plot.curves(X, theory={"a": _power(X, 3.0, -1.0)})
    span = np.array([10.0, 1000.0])  # log-middle 100, the curve has a point near there
    plot.guide(ax, span, -2.0, scale=2.0)
    xg, yg, _ = _guide_line(ax)
    x0 = X[np.argmin(np.abs(np.log(X) - np.log(100.0)))]
    np.testing.assert_allclose(yg, 2.0 * 3.0 / x0 * (xg / x0) ** -2.0, rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((np.array([1.0, 2.0]), -1.0), {}, "anchor"),  # empty axes: nothing to anchor to
        ((np.array([0.0, 2.0]), -1.0), {"anchor": (1.0, 1.0)}, "x"),
        ((np.array([1.0, 2.0]), np.nan), {"anchor": (1.0, 1.0)}, "exponent"),
        ((np.array([1.0, 2.0]), -1.0), {"anchor": (1.0, 1.0), "scale": 0.0}, "scale"),
    ],
)
def test_guide_bad_input(args, kwargs, name):
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        plot.guide(ax, *args, **kwargs)


def test_vlines_marks_positions_with_labels():
    ax = plot.curves(X, theory={"a": X})
    plot.vlines(ax, [10.0, 100.0], ["$N$", r"$N^{1/(1+\alpha)}$"])
    marks = [ln for ln in ax.lines if ln.get_gid() == VLINE_GID]
    assert [ln.get_xdata()[0] for ln in marks] == [10.0, 100.0]
    assert all(ln.get_linestyle() == ":" for ln in marks)
    assert [t.get_text().strip() for t in ax.texts] == ["$N$", r"$N^{1/(1+\alpha)}$"]
    plot.vlines(ax, 5.0)
    assert len([ln for ln in ax.lines if ln.get_gid() == VLINE_GID]) == 3
    with pytest.raises(ValueError, match="argument `labels`"):
        plot.vlines(ax, [1.0, 2.0], ["one"])


# --------------------------------------------------------------------------------------------
# spectrum


def test_spectrum_histogram_integrates_to_one_with_theory_overlay():
    samples = np.random.default_rng(0).gamma(2.0, size=(4, 500))  # (seeds, eigenvalues)
    grid = np.linspace(0.0, 10.0, 50)
    rho = grid * np.exp(-grid)
    samples = jnp.asarray(samples)  # float32 without x64: compare with the values given
    ax = plot.spectrum(samples, density=(grid, rho), bins=40, label="empirical")
    (patch,) = [p for p in ax.patches if isinstance(p, StepPatch)]
    heights, edges = patch.get_data().values, patch.get_data().edges
    assert heights.size == 40
    np.testing.assert_allclose(np.sum(heights * np.diff(edges)), 1.0, rtol=1e-12)
    np.testing.assert_allclose(
        heights, np.histogram(np.asarray(samples), bins=edges, density=True)[0], rtol=1e-12
    )
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), rho)
    assert _legend_texts(ax) == ["empirical", "theory"]


def test_spectrum_log_axes_use_log_bins_and_leave_out_the_null_space():
    rng = np.random.default_rng(1)
    positive = np.exp(rng.uniform(np.log(1e-4), 0.0, 300))
    samples = np.concatenate([positive, np.zeros(100), np.full(100, 1e-19)])
    ax = plot.spectrum(samples, bins=30, logx=True, logy=True)
    heights, edges = ax.patches[0].get_data().values, ax.patches[0].get_data().edges
    np.testing.assert_allclose(np.diff(np.log(edges)), np.log(edges[1] / edges[0]))
    np.testing.assert_allclose(edges[[0, -1]], [positive.min(), positive.max()])
    # normalised by the total count: the shown part integrates to the fraction shown
    np.testing.assert_allclose(np.sum(heights * np.diff(edges)), 300 / 500, rtol=1e-12)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


@pytest.mark.parametrize(
    ("samples", "kwargs", "name"),
    [
        (np.array([1.0, np.nan]), {}, "samples"),
        (np.zeros(5), {"logx": True}, "samples"),
        (np.ones(5), {"density": (np.ones(3), np.ones(4))}, "density"),
        (np.ones(5), {"bins": 0}, "bins"),
    ],
)
def test_spectrum_bad_input(samples, kwargs, name):
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        plot.spectrum(samples, **kwargs)


# --------------------------------------------------------------------------------------------
# decomposition and phase diagram


TERMS = {"bias": _power(X, 1.0, -1.0), "var_x": _power(X, 0.3, -0.5), "var_f": 0.01 + 0 * X}


def test_decomposition_stacks_the_terms_under_the_total():
    total = sum(TERMS.values())
    ax = plot.decomposition(X, TERMS, total=total, xlabel="$P$")
    areas = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(areas) == 3
    top = areas[-1].get_paths()[0].vertices
    for xi, ti in zip(X, total, strict=True):
        np.testing.assert_allclose(top[np.isclose(top[:, 0], xi), 1].max(), ti, rtol=1e-12)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), total)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert _legend_texts(ax) == ["Bias$^2$", "Var$_X$", "Var$_F$", "$E_g$"]


def test_decomposition_as_lines_on_log_axes():
    ax = plot.decomposition(X, {**TERMS, "custom": X}, stacked=False)
    assert len(ax.lines) == 4 and ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), TERMS["var_x"])
    assert _legend_texts(ax)[-1] == "custom"


@pytest.mark.parametrize(
    ("terms", "kwargs", "name"),
    [
        ({"bias": np.ones(3)}, {}, "terms"),
        ({"var_xf": -np.ones(X.size)}, {}, "terms"),
        ({}, {}, "terms"),
        ({"bias": np.ones(X.size)}, {"total": np.ones(3)}, "total"),
    ],
)
def test_decomposition_bad_input(terms, kwargs, name):
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        plot.decomposition(X, terms, **kwargs)


def test_phase_diagram_shows_each_regime_once_in_the_legend():
    ell, q = np.linspace(0.0, 2.0, 5), np.linspace(0.0, 3.0, 4)
    regime = np.where(q[:, None] < 1.0, np.where(ell[None, :] < 1.2, 0, 2), 1)
    ax = plot.phase_diagram(
        ell, q, regime, names=["Bias$^2$", "Var$_X$", "Var$_F$"], xlabel=r"$\ell$"
    )
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(regime.shape), regime)
    assert _legend_texts(ax) == ["Bias$^2$", "Var$_X$", "Var$_F$"]
    strings = np.where(regime == 1, "noise", "signal")
    ax = plot.phase_diagram(ell, q, strings)
    assert _legend_texts(ax) == ["noise", "signal"]
    with pytest.raises(ValueError, match="argument `labels`"):
        plot.phase_diagram(ell, q, regime.T)
    with pytest.raises(ValueError, match="argument `names`"):
        plot.phase_diagram(ell, q, regime, names=["only one"])


# --------------------------------------------------------------------------------------------
# sweep_figure


def _dataset(alphas=(1.2, 1.5, 2.0), ridges=(1e-4, 1e-2), seeds=0):
    xr = pytest.importorskip("xarray")
    samples = np.array([4, 8, 16, 32, 64, 128])
    alphas, ridges = np.asarray(alphas), np.asarray(ridges)
    grid = np.meshgrid(alphas, samples, ridges, indexing="ij")
    a, p, lam = grid
    dims = ("alpha", "num_samples", "ridge")
    test = p ** (-a / 2) + lam
    train = lam * p ** (-0.5)
    data = {
        "theory_test": (dims, test),
        "theory_train": (dims, train),
        "theory_kappa": (dims, lam + 1.0 / p),
        "mc_test": (dims, 1.05 * test),
        "mc_test_stderr": (dims, 0.02 * test),
        "mc_train": (dims, 0.95 * train),
        "mc_gcv": (dims, 1.1 * test),
    }
    if seeds:
        data["mc_test_seeds"] = (("seed", *dims), np.stack([test] * seeds))
    coords = {"alpha": alphas, "num_samples": samples, "ridge": ridges, "r": [0.4]}
    attrs = {"model": "linear", "spec": "", "num_features": 200, "noise_var": 0.0}
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    ds["theory_train"] = ds["theory_train"].expand_dims(r=[0.4])  # a size-1 dim is squeezed
    return ds


def _visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_sweep_figure_panels_curves_and_png(tmp_path):
    ds = _dataset(alphas=(1.2, 2.0))
    path = tmp_path / "sweep.png"
    fig = plot.sweep_figure(ds, path=path)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert path.stat().st_size > 10_000
    axes = _visible(fig)
    assert len(axes) == 2 * 2  # fields × alpha columns
    for k, ax in enumerate(axes):
        assert len(_curves(ax)) == 2  # one per ridge
        assert len(ax.containers) == 2
        rings = [ln for ln in ax.lines if ln.get_markerfacecolor() == "none"]
        assert len(rings) == (2 if k < 2 else 0)  # GCV on the test panels only
        assert ax.get_xscale() == "log"
        assert ax.get_yscale() == "log"  # per field, the same in every column
    first = axes[0]
    np.testing.assert_array_equal(_curves(first)[1].get_xdata(), ds.num_samples.values)
    np.testing.assert_array_equal(
        _curves(first)[1].get_ydata(), ds.theory_test.isel(alpha=0, ridge=1).values
    )
    assert first.get_title() == r"$\alpha$ = 1.2" and first.get_ylabel() == "$E_g$"
    assert axes[2].get_ylabel() == r"$E_{\mathrm{tr}}$" and axes[2].get_xlabel() == "$P$"
    assert axes[0].get_xlabel() == ""  # x labels on the bottom row only
    (legend,) = fig.legends  # one legend for the figure, outside the panels
    assert [t.get_text() for t in legend.get_texts()] == [
        r"$\lambda$ = 1e-04",
        r"$\lambda$ = 0.01",
        "GCV",
    ]
    suptitle = fig.get_suptitle()
    assert "linear" in suptitle and "GCV" in suptitle
    # fixed parameters: size-1 coordinates and the spec's scalars stored as attributes
    assert "$r$ = 0.4" in suptitle and "$N$ = 200" in suptitle


def test_sweep_figure_labels_deep_widths_by_layer(tmp_path):
    xr = pytest.importorskip("xarray")
    samples = np.array([4, 16, 64])
    dims = ("width", "num_samples")
    test = np.stack([1.0 / samples, 2.0 / samples])
    ds = xr.Dataset(
        {"theory_test": (dims, test), "mc_test": (dims, test)},
        coords={
            "width": [0, 1],
            "num_samples": samples,
            "widths": (("width", "layer"), [[400, 200], [100, 0]]),
        },
        attrs={"model": "deep_random_features", "num_features": 1000},
    )
    fig = plot.sweep_figure(ds, fields="test", path=tmp_path / "deep.pdf")  # format by suffix
    assert (tmp_path / "deep.pdf").read_bytes().startswith(b"%PDF")
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["$N$ = (400, 200)", "$N$ = (100)"]
    assert "$D$ = 1000" in fig.get_suptitle()


def test_sweep_figure_defaults_to_the_swept_size_axis():
    """A model-size sweep (one P, widths x ridges) is drawn against the width, not the ridge."""
    xr = pytest.importorskip("xarray")
    widths = np.array([20, 60, 200, 600])
    dims = ("width", "num_samples", "ridge")
    test = np.ones((4, 1, 2)) / widths[:, None, None]
    ds = xr.Dataset(
        {"theory_test": (dims, test)},
        coords={"width": widths, "num_samples": [200], "ridge": [1e-6, 1e-2]},
        attrs={"model": "random_features", "num_features": 600},
    )
    (ax,) = _visible(plot.sweep_figure(ds, fields="test"))
    np.testing.assert_array_equal(_curves(ax)[0].get_xdata(), widths)
    assert len(_curves(ax)) == 2  # one curve per ridge


def test_sweep_figure_subsets_many_curves_and_says_so():
    ds = _dataset(alphas=(1.5,), ridges=np.geomspace(1e-6, 1.0, 10))
    fig = plot.sweep_figure(ds, fields=("test", "kappa", "train"), x="num_samples")
    axes = _visible(fig)
    assert len(axes) == 3
    assert all(len(_curves(ax)) == 6 for ax in axes)
    assert "6 of 10 values of $\\lambda$" in fig.get_suptitle()
    fig = plot.sweep_figure(ds, fields="test", x="ridge", max_curves=3)
    (ax,) = _visible(fig)
    np.testing.assert_array_equal(_curves(ax)[0].get_xdata(), ds.ridge.values)
    assert ax.get_xlabel() == r"$\lambda$" and len(_curves(ax)) == 3


def test_sweep_figure_averages_per_seed_values_when_no_mean_is_stored():
    ds = _dataset(alphas=(1.5,), ridges=(1e-3,), seeds=3)
    ds = ds.drop_vars(["mc_test", "mc_test_stderr"]).rename({"mc_test_seeds": "mc_test"})
    fig = plot.sweep_figure(ds, fields=("test",))
    (ax,) = _visible(fig)
    (bar,) = ax.containers
    np.testing.assert_allclose(bar.lines[0].get_ydata(), ds.theory_test.values.ravel())


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"fields": ("test", "nonsense")}, "fields"),
        ({"fields": ()}, "fields"),
        ({"x": "seed"}, "x"),
        ({"path": "figure.unknown"}, "path"),
        ({"max_curves": 0}, "max_curves"),
    ],
)
def test_sweep_figure_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=f"argument `{name}`"):
        plot.sweep_figure(_dataset(), **kwargs)
    with pytest.raises(ValueError, match="argument `ds`"):
        plot.sweep_figure({"theory_test": 1.0})


# --------------------------------------------------------------------------------------------
# style and labels


def test_style_is_scoped_and_apply_style_sets_it():
    before = matplotlib.rcParams["savefig.dpi"]
    with plot.style():
        assert matplotlib.rcParams["savefig.dpi"] == 150
        colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert colors[:2] == list(plot.PALETTE[:2])
    assert matplotlib.rcParams["savefig.dpi"] == before
    with matplotlib.rc_context():
        plot.apply_style()
        assert matplotlib.rcParams["lines.linewidth"] == 1.8
    assert matplotlib.rcParams["savefig.dpi"] == before


def test_labels_use_the_papers_symbols():
    assert plot.label("num_samples") == "$P$"
    assert plot.label("theory_test") == "$E_g$" and plot.label("mc_df1") == r"$\mathrm{df}_1$"
    assert plot.label("num_features") == "$N$"
    assert plot.label("num_features", model="random_features") == "$D$"
    assert plot.label("something_else") == "something_else"
    assert plot.power_label(-1.5) == r"$\propto P^{-1.5}$"
    assert plot.power_label(2, "N") == r"$\propto N^{2}$"


PUBLIC = {
    "LABELS",
    "PALETTE",
    "apply_style",
    "curves",
    "decomposition",
    "guide",
    "label",
    "phase_diagram",
    "power_label",
    "spectrum",
    "style",
    "sweep_figure",
    "vlines",
}


def test_namespace_holds_only_the_public_api():
    # Non-dunder names are the public API or the package's own private submodules (no
    # `_matplotlib`, `np`, helpers of the implementation files).
    names = {n for n in dir(plot) if not (n.startswith("__") and n.endswith("__"))}
    private = {n for n in names if n.startswith("_")}
    assert names - private == PUBLIC
    for name in private:
        module = getattr(plot, name)
        assert getattr(module, "__name__", None) == f"jaxridge.plot.{name}", name


def test_sweep_figure_draws_corrgcv_crosses_on_the_test_panel():
    # Correlated-sample sweeps store mc_corrgcv: one cross series per curve, test panel only.
    ds = _dataset(alphas=(1.2,))
    ds["mc_corrgcv"] = 0.98 * ds["mc_test"]
    fig = plot.sweep_figure(ds)
    test_ax, train_ax = _visible(fig)
    crosses = [ln for ln in test_ax.lines if ln.get_marker() == "x"]
    assert len(crosses) == 2
    np.testing.assert_allclose(crosses[1].get_ydata(), ds.mc_corrgcv.isel(alpha=0, ridge=1).values)
    assert not [ln for ln in train_ax.lines if ln.get_marker() == "x"]
    assert "CorrGCV" in fig.get_suptitle()
