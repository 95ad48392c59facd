"""Result-variable names are defined once: the runner, the plots and the CLI agree on them."""

from __future__ import annotations

from jaxridge.sweep import names


def test_names_compose_and_split():
    assert names.theory("kappa") == "theory_kappa"
    assert names.mc("test") == "mc_test"
    assert names.stderr(names.mc("gcv")) == "mc_gcv_stderr"
    assert names.seeds(names.mc("test")) == "mc_test_seeds"
    assert names.fit("alpha") == "fit_alpha"
    assert names.field("theory_var_xf") == "var_xf" and names.field("mc_test") == "test"
    assert names.field("ridge") == "ridge"
    assert names.is_summary("mc_test_stderr") and names.is_summary("mc_test_seeds")
    assert not names.is_summary("mc_test") and not names.is_summary("theory_test")


def test_plot_labels_and_fields_use_the_same_names():
    from jaxridge.plot import label
    from jaxridge.plot._sweep import available_fields

    class _Dataset:
        data_vars = ("theory_test", "mc_test", "mc_test_stderr", "mc_gcv_seeds", "theory_kappa")

    assert available_fields(_Dataset()) == ["test", "kappa"]
    assert label(names.mc("test")) == label("test") == label(names.theory("test"))
