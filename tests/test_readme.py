"""Every code block of the README runs as written (Python blocks in a fresh interpreter each,
TOML blocks through the spec parser), so a newcomer can paste any of them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from jaxridge.sweep import SweepSpec

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```$", README, flags=re.M | re.S)
# Blocks that run an example sweep of minutes: checked with the slow suite.
SLOW = ("sweep.run(",)


def _blocks(language: str) -> list[tuple[str, str]]:
    out = []
    for lang, text in BLOCKS:
        if lang == language:
            line = README[: README.index(text)].count("\n") + 1
            out.append((f"README.md:{line}", text))
    return out


PYTHON = [
    pytest.param(text, id=where, marks=[pytest.mark.slow] if any(s in text for s in SLOW) else [])
    for where, text in _blocks("python")
]


def test_readme_has_the_blocks_this_file_runs():
    assert len(PYTHON) >= 3 and len(_blocks("toml")) >= 1 and len(_blocks("bash")) >= 2


@pytest.mark.parametrize("code", PYTHON)
def test_python_block_runs_as_written(code, tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    if "savefig(" in code:
        assert any(p.suffix == ".png" and p.stat().st_size > 10_000 for p in tmp_path.iterdir())


@pytest.mark.parametrize("where_text", _blocks("toml"), ids=lambda v: v[0])
def test_toml_block_is_a_valid_spec(where_text):
    _, text = where_text
    spec = SweepSpec.from_toml(text)
    assert spec.axes()


def test_bash_blocks_parse_and_name_files_that_exist():
    """Every `jaxridge ...` command of a bash block parses, and a spec it runs is valid."""
    from jaxridge import cli

    seen = 0
    for where, text in _blocks("bash"):
        for line in text.splitlines():
            for part in line.split("#")[0].split("&&"):
                words = part.split()
                if words[:1] != ["jaxridge"]:
                    continue
                args = cli.build_parser().parse_args(words[1:])  # a usage error exits here
                seen += 1
                if args.command == "run":
                    assert SweepSpec.from_toml(ROOT / args.spec).axes(), (where, line)
    assert seen >= 3
