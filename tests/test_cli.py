"""The `jaxridge` command: demo output files, info, exit codes and user errors."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np

from jaxridge import cli, spectra, theory
from tests.helpers import X64


def test_demo_writes_table_csv_and_png(tmp_path, capsys):
    out = tmp_path / "demo"
    precision = [] if X64 else ["--float32"]
    code = cli.main(
        [
            "demo",
            "--num-features",
            "300",
            "--max-samples",
            "200",
            "--points",
            "8",
            "--out",
            str(out),
            "--alpha",
            "2.0",
            "--r",
            "0.5",
            "--ridge",
            "1e-3",
        ]
        + precision
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "E_g" in printed and "learning_curve.csv" in printed
    with (out / "learning_curve.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8
    # The CSV holds the theory curve: re-evaluate one row independently of the CLI.
    p = float(rows[3]["num_samples"])
    e, w = spectra.power_law(300, 2.0, 0.5)
    expected = theory.ridge_risk(e, w, p, 1e-3, 0.01)
    np.testing.assert_allclose(float(rows[3]["test"]), float(expected.test), rtol=1e-5)
    png = out / "learning_curve.png"
    assert png.exists() and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_info_and_usage_errors(capsys):
    assert cli.main(["info"]) == 0
    assert "jax" in capsys.readouterr().out
    assert cli.main([]) == 2
    proc = subprocess.run(
        [sys.executable, "-m", "jaxridge.cli", "demo", "--ridge", "-1"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--ridge" in proc.stderr and "Traceback" not in proc.stderr
