"""The `jaxridge` command: demo, run, plot, info; exit codes and user errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from jaxridge import cli
from jaxridge.sweep import load
from tests.helpers import X64
from tests.sweep import TINY


def _not_blank(png):
    import matplotlib.image

    image = matplotlib.image.imread(png)
    assert png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.std(image[..., :3]) > 0.05  # drawn lines and points, not a blank canvas


def test_run_resume_and_plot(tmp_path, capsys):
    pytest.importorskip("jaxridge.plot")
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    out = tmp_path / "out"
    assert cli.main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "computed 4 of 4 chunks" in printed and "results.nc" in printed
    ds = load(out)
    assert ds.sizes["alpha"] == 2 and "mc_gcv" in ds
    assert cli.main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
    assert "computed 0 of 4 chunks" in capsys.readouterr().out
    assert cli.main(["plot", str(out / "results.nc")]) == 0
    _not_blank(out / "results.png")
    assert cli.main(["plot", str(out), "--x", "bogus"]) == 1
    assert "argument `--x`" in capsys.readouterr().err


def test_demo_writes_results_table_and_figure(tmp_path, capsys):
    pytest.importorskip("jaxridge.plot")
    out = tmp_path / "demo"
    precision = [] if X64 else ["--float32"]
    args = ["demo", "--num-features", "24", "--max-samples", "30", "--points", "3"]
    args += ["--num-seeds", "3", "--out", str(out), "--no-progress"] + precision
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "E_g theory" in printed and "GCV" in printed and "±" in printed
    ds = load(out / "results.nc")
    assert ds.sizes["ridge"] == 2 and list(ds.num_samples.values) == [10, 17, 30]
    assert ds.attrs["alpha"] == 1.5 and ds.attrs["noise_var"] == 0.01
    _not_blank(out / "results.png")


def test_user_errors_exit_1_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace("ridge = [1e-3, 1e-1]", "ridge = [-1.0]"))
    assert cli.main(["run", str(bad), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "argument `grid.ridge` must be >= 0" in err and "Traceback" not in err
    assert cli.main(["run", str(tmp_path / "missing.toml")]) == 1
    assert "cannot read the spec file" in capsys.readouterr().err
    assert cli.main(["plot", str(tmp_path)]) == 1
    assert "holds no sweep results" in capsys.readouterr().err


def test_info_and_usage_errors(capsys):
    assert cli.main(["info"]) == 0
    printed = capsys.readouterr().out
    assert "jax" in printed and "xarray" in printed and "device" in printed
    assert cli.main([]) == 2
    proc = subprocess.run(
        [sys.executable, "-m", "jaxridge.cli", "demo", "--ridge", "-1"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--ridge" in proc.stderr and "Traceback" not in proc.stderr
