"""The `jaxridge` command: demo, run, plot, info; exit codes and user errors."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from jaxridge import cli
from jaxridge.sweep import load
from tests.helpers import X64
from tests.sweep import TINY


@pytest.fixture(autouse=True)
def cache_calls(monkeypatch):
    """The commands run in this process: record each time one turns the compilation cache on,
    and leave JAX's configuration alone (the cache itself: tests/test_cache.py, in subprocesses)."""
    import jaxridge

    calls = []
    monkeypatch.setattr(jaxridge, "enable_compilation_cache", lambda path=None: calls.append(path))
    return calls


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
    # the plan comes first, then the axes with their values (not sizes) and what was done
    plan, axes, outcome = printed.splitlines()[:3]
    assert plan.startswith("plan: sweep 'tiny'") and "4 chunk(s)" in plan
    assert "3 num_samples × 2 ridge = 6 cells" in plan and "3 seeds per cell" in plan
    assert re.search(r"; 1 \w+ device\(s\)$", plan)  # the spec asks for devices = 1
    assert "alpha = 1.5, 2" in axes and "num_samples = 6, 12, 30" in axes
    assert "ridge = 0.001, 0.1" in axes and "noise_var = 0, 0.05" in axes
    assert outcome.startswith("computed 4 of 4 chunk(s)") and "results.nc" in outcome
    ds = load(out)
    assert ds.sizes["alpha"] == 2 and "mc_gcv" in ds
    assert cli.main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
    outcome = capsys.readouterr().out.splitlines()[2]
    assert outcome.startswith("already complete: loaded") and "nothing computed" in outcome
    # a kill during the final write: every chunk saved, results.nc missing -> combined, not loaded
    (out / "results.nc").unlink()
    assert cli.main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
    outcome = capsys.readouterr().out.splitlines()[2]
    assert outcome.startswith("all 4 chunk(s) were saved by an earlier run")
    assert "combined them into" in outcome
    assert load(out).identical(ds)
    # and a partial one: two chunks lost
    for index in (1, 3):
        (out / "chunks" / f"chunk-{index:06d}.nc").unlink()
    (out / "results.nc").unlink()
    assert cli.main(["run", str(spec), "--out", str(out), "--no-progress"]) == 0
    outcome = capsys.readouterr().out.splitlines()[2]
    assert outcome.startswith("computed 2 of 4 chunk(s)") and "2 saved by an earlier run" in outcome
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
    assert "6 cells (theory + 3 Monte-Carlo seeds) in" in printed
    assert "P values shown" not in printed  # all three rows are printed
    ds = load(out / "results.nc")
    assert ds.sizes["ridge"] == 2 and list(ds.num_samples.values) == [10, 17, 30]
    assert ds.attrs["alpha"] == 1.5 and ds.attrs["noise_var"] == 0.01
    _not_blank(out / "results.png")
    # the same demo into the finished folder: loaded, and said so (no "cells ... in" timing)
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "already complete: loaded" in printed and "cells (theory" not in printed


def test_table_says_when_rows_are_left_out():
    import xarray as xr

    sizes = np.arange(10, 26)
    ds = xr.Dataset(
        {"theory_test": (("num_samples", "ridge"), np.ones((16, 1)))},
        coords={"num_samples": sizes, "ridge": [0.1]},
    )
    lines = cli._table(ds, max_rows=8)
    assert sum(line.strip().startswith(tuple("123456789")) for line in lines) == 8
    assert lines[-1] == "(8 of 16 P values shown, all are in the results file)"


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
    import jax

    import jaxridge

    assert cli.main(["info"]) == 0
    printed = capsys.readouterr().out
    assert "jax" in printed and "xarray" in printed and "device" in printed
    line = next(t for t in printed.splitlines() if t.startswith("float64"))
    if jax.config.jax_enable_x64:
        assert line.split() == ["float64", "enabled"]
    else:
        assert "disabled (enable: JAX_ENABLE_X64=1 or jaxridge.enable_float64())" in line
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"jaxridge {jaxridge.__version__}"
    assert cli.main([]) == 2
    proc = subprocess.run(
        [sys.executable, "-m", "jaxridge.cli", "demo", "--ridge", "-1"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--ridge" in proc.stderr and "Traceback" not in proc.stderr


def test_run_off_a_terminal_prints_one_line_per_chunk(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    assert cli.main(["run", str(spec), "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4
    for index, line in enumerate(lines):
        left = 3 - index
        assert line.startswith(f"tiny: chunk {index} done in "), line
        assert f"({left} of 4 left, ~" in line and line.endswith(" s remaining)"), line
    assert lines[-1].endswith("(0 of 4 left, ~0 s remaining)")


def test_run_plot_takes_the_swept_size_axis_or_x(tmp_path, capsys, monkeypatch):
    pytest.importorskip("jaxridge.plot")
    drawn = []
    monkeypatch.setattr(cli, "_figure", lambda ds, png, x=None: drawn.append(x) or png)
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    out = str(tmp_path / "out")
    assert cli.main(["run", str(spec), "--out", out, "--plot", "--x", "ridge"]) == 0
    assert drawn == ["ridge"]
    assert cli.main(["run", str(spec), "--out", out, "--plot", "--x", "bogus"]) == 1
    assert "argument `--x`" in capsys.readouterr().err


def test_demo_run_and_plot_turn_the_cache_on_unless_no_cache(tmp_path, capsys, cache_calls):
    parser = cli.build_parser()
    for command in (["demo"], ["run", "spec.toml"], ["plot", "results.nc"]):
        assert parser.parse_args(command).cache is True
        assert parser.parse_args([*command, "--no-cache"]).cache is False
    assert not hasattr(parser.parse_args(["info"]), "cache")
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    out = str(tmp_path / "out")
    assert cli.main(["run", str(spec), "--out", out, "--no-progress", "--no-cache"]) == 0
    assert cache_calls == []
    assert cli.main(["run", str(spec), "--out", out, "--no-progress"]) == 0
    assert cache_calls == [None]  # the default folder: $JAXRIDGE_CACHE_DIR or ~/.cache/...
    # a spec that fails to parse stops before the cache is touched
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [unclosed")
    assert cli.main(["run", str(bad)]) == 1
    assert cache_calls == [None]
    capsys.readouterr()


def test_a_cache_that_cannot_be_opened_is_reported_not_fatal(tmp_path, capsys, monkeypatch):
    import jaxridge

    def refuse(path=None):
        raise PermissionError("[Errno 13] Permission denied: '/cache'")

    monkeypatch.setattr(jaxridge, "enable_compilation_cache", refuse)
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    assert cli.main(["run", str(spec), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "jaxridge run: compilation cache off: [Errno 13] Permission denied" in err


def test_info_names_the_cache_folder(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("JAXRIDGE_CACHE_DIR", str(tmp_path / "xla"))
    assert cli.main(["info"]) == 0
    line = next(t for t in capsys.readouterr().out.splitlines() if t.startswith("cache"))
    assert line == f"cache    {tmp_path / 'xla'} (demo, run, plot; off with --no-cache)"
