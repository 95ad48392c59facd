"""Every notebook runs at ``JAXRIDGE_SCALE=ci``, writes its figures, and matches its .ipynb pair.

The notebooks are jupytext percent scripts (``notebooks/NN_topic.py``, the source of truth) with
paired, output-free ``.ipynb`` files for Colab. Each one asserts its own theory-vs-Monte-Carlo
agreement, so a passing run is a real check. They opt into float64 themselves, so they run in
the float64 pass only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 17, [p.name for p in NOTEBOOKS]


def _code_cells(text: str) -> list[str]:
    """Code of the percent-format cells, comment lines and blank lines dropped."""
    cells, current, markdown = [], [], False
    for line in text.splitlines():
        if line.startswith("# %%"):
            if current and not markdown:
                cells.append("\n".join(current))
            current, markdown = [], "[markdown]" in line
            continue
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            current.append(line.rstrip())
    if current and not markdown:
        cells.append("\n".join(current))
    return [c for c in cells if c]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_ipynb_pair_in_sync_and_stripped(path):
    pair = path.with_suffix(".ipynb")
    assert pair.exists(), f"missing {pair.name}: run `jupytext --to ipynb {path.name}`"
    nb = json.loads(pair.read_text())
    code = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        assert not cell.get("outputs"), f"{pair.name}: outputs must be stripped"
        assert cell.get("execution_count") is None, f"{pair.name}: execution counts present"
        source = "".join(cell["source"])
        lines = [
            ln.rstrip()
            for ln in source.splitlines()
            if ln.strip() and not ln.strip().startswith("#")
        ]
        if lines:
            code.append("\n".join(lines))
    assert code == _code_cells(path.read_text()), f"{pair.name} is out of date with {path.name}"


@pytest.fixture(scope="module")
def compilation_cache(tmp_path_factory):
    """One temporary compilation-cache folder for every notebook of the run (never the user's
    own): a program one notebook compiled is loaded by the next."""
    return tmp_path_factory.mktemp("xla")


# 10–60 s each on 2 cores, most of it compilation: run with the slow checks (CI runs them).
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_ci_scale(path, tmp_path, x64, compilation_cache):
    env = dict(os.environ)
    env.update(
        JAXRIDGE_SCALE="ci",
        JAXRIDGE_FIGURES=str(tmp_path / "figures"),
        JAXRIDGE_CACHE_DIR=str(compilation_cache),
        MPLBACKEND="Agg",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    # One host device: the notebooks are single-device programs.
    env.pop("JAX_NUM_CPU_DEVICES", None)
    proc = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    figures = sorted((tmp_path / "figures").glob("*.png"))
    assert figures, "the notebook saved no figure"
    for fig in figures:
        assert fig.stat().st_size > 10_000, f"{fig.name} looks empty"
    assert f"{path.stem}:" in proc.stdout, "the notebook did not report its wall time"
    assert any(compilation_cache.iterdir()), "the notebook did not turn the compilation cache on"


def test_scale_and_pick(monkeypatch):
    from jaxridge import notebook

    monkeypatch.delenv("JAXRIDGE_SCALE", raising=False)
    assert notebook.scale() == "default"
    for name, expected in [("ci", 1), ("default", 2), ("PAPER", 3)]:
        monkeypatch.setenv("JAXRIDGE_SCALE", name)
        assert notebook.pick(ci=1, default=2, paper=3) == expected
    monkeypatch.setenv("JAXRIDGE_SCALE", "huge")
    with pytest.raises(ValueError, match="JAXRIDGE_SCALE"):
        notebook.scale()


def test_save_writes_into_figure_dir(monkeypatch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from jaxridge import notebook

    monkeypatch.setenv("JAXRIDGE_FIGURES", str(tmp_path / "out"))
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    path = notebook.save(fig, "example")
    plt.close(fig)
    assert path == tmp_path / "out" / "example.png"
    assert path.stat().st_size > 1000
