"""Smoke test: every benchmark script runs end to end with ``--quick`` and writes its JSON.

The scripts choose their own precision, so they run once (in the float64 pass of CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "benchmarks").glob("bench_*.py"))


# Each quick run compiles for 10–60 s on 2 cores: smoke-tested with the slow checks (CI runs them).
CASES = [pytest.param(s, marks=pytest.mark.slow) for s in SCRIPTS]


@pytest.mark.skipif(
    not jax.config.jax_enable_x64, reason="benchmarks run once, in the float64 pass"
)
@pytest.mark.parametrize("script", CASES, ids=[s.stem for s in SCRIPTS])
def test_benchmark_quick(script, tmp_path):
    out = tmp_path / f"{script.stem}.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, str(script), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    data = json.loads(out.read_text())
    assert data["meta"]["jax"] == jax.__version__
    assert data["results"]
