"""`jaxridge.enable_compilation_cache`: programs persist across processes, opt-in only.

JAX's cache is process-wide state, so everything that turns it on runs in a fresh interpreter
(``HOME`` pointed at a temporary folder, so that no default can reach the real one); only
argument checks and the default-path rule run in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import pytest

import jaxridge
from jaxridge import _config
from tests.sweep import TINY

ROOT = Path(__file__).resolve().parents[1]

# Counts JAX's compilation-cache events (public `jax.monitoring`) around a small computation:
# eager `ridge_risk` (many small programs) and a jitted, vmapped curve (one larger program).
RUN = """
import json, sys
import jax
import jax.monitoring

events = {}

def count(name, **kwargs):
    if name.startswith("/jax/compilation_cache/"):
        key = name.rsplit("/", 1)[1]
        events[key] = events.get(key, 0) + 1

jax.monitoring.register_event_listener(count)
import jax.numpy as jnp
import jaxridge
from jaxridge import spectra, theory

folder = jaxridge.enable_compilation_cache(*sys.argv[1:])
e, w = spectra.power_law(64, alpha=1.5, r=0.4)
point = theory.ridge_risk(e, w, 20.0, 1e-3, 0.01)
curve = jax.jit(jax.vmap(lambda p: theory.ridge_risk(e, w, p, 1e-3, 0.01, throw=False).test))
values = [float(point.test), float(point.kappa)]
values += [float(v) for v in curve(jnp.geomspace(2.0, 200.0, 5))]
print(json.dumps(dict(folder=str(folder), events=events, values=[v.hex() for v in values])))
"""

LATE_AND_MOVED = """
import json, os, sys
import jax, jax.numpy as jnp
import jaxridge

first, second = sys.argv[1:]
jax.jit(lambda x: x + 1.0)(jnp.ones(3)).block_until_ready()  # compiled before the cache is on
jaxridge.enable_compilation_cache(first)
jax.jit(lambda x: x * 2.0)(jnp.ones(3)).block_until_ready()
in_first = sorted(os.listdir(first))
jaxridge.enable_compilation_cache(second)
jax.jit(lambda x: x - 3.0)(jnp.ones(3)).block_until_ready()
print(json.dumps([in_first, sorted(os.listdir(first)), sorted(os.listdir(second))]))
"""

IMPORT = """
import json
import jax

before = dict(jax.config.values)
import jaxridge, jaxridge.cli, jaxridge.notebook, jaxridge.plot, jaxridge.sweep

after = dict(jax.config.values)
changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
print(json.dumps(dict(changed=changed, cache_dir=jax.config.jax_compilation_cache_dir)))
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JAXRIDGE_CACHE_DIR", "XDG_CACHE_HOME", "JAX_COMPILATION_CACHE_DIR")
    }
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home), PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    )
    env.update(extra)
    return env


def _python(script: str, *args: str, env: dict[str, str], cwd: Path | None = None):
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_second_process_loads_every_program_from_the_cache(tmp_path):
    cache = tmp_path / "xla"
    # First process: the folder comes from $JAXRIDGE_CACHE_DIR (no argument) and is created.
    first = _python(RUN, env=_env(tmp_path, JAXRIDGE_CACHE_DIR=str(cache)))
    assert first["folder"] == str(cache)
    written = sorted(os.listdir(cache))
    assert first["events"].get("cache_misses", 0) == len(written) > 0, first["events"]
    # Second process: the same folder as an argument; every program is loaded, none compiled
    # into the cache again, and the results are the same to the bit.
    second = _python(RUN, str(cache), env=_env(tmp_path))
    assert second["folder"] == str(cache)
    assert second["events"].get("cache_misses", 0) == 0, second["events"]
    assert second["events"].get("cache_hits", 0) == len(written), second["events"]
    assert sorted(os.listdir(cache)) == written
    assert second["values"] == first["values"]
    assert not any((tmp_path / "home").iterdir())  # nothing went to the default folder


def test_cache_turned_on_late_or_moved_takes_effect(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    in_first, in_first_after, in_second = _python(
        LATE_AND_MOVED, str(first), str(second), env=_env(tmp_path)
    )
    assert in_first, "a program compiled after the call was not cached"
    assert in_first_after == in_first, "the cache kept writing to the old folder"
    assert in_second and not set(in_second) & set(in_first)


def test_importing_jaxridge_sets_no_jax_config(tmp_path):
    result = _python(IMPORT, env=_env(tmp_path))
    assert result == dict(changed=[], cache_dir=None)


def test_cli_commands_write_the_cache_by_default(tmp_path):
    # One theory-only chunk of the tiny sweep: seconds, and still a compiled grid.
    edits = [
        ('compute = ["theory", "monte_carlo"]', 'compute = ["theory"]'),
        ("alpha = [1.5, 2.0]", "alpha = 1.5"),
        ("noise_var = [0.0, 0.05]", "noise_var = 0.05"),
    ]
    text = TINY
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    spec = tmp_path / "tiny.toml"
    spec.write_text(text)
    cache = tmp_path / "xla"
    proc = subprocess.run(
        [sys.executable, "-m", "jaxridge.cli", "run", str(spec), "--out", str(tmp_path / "out")],
        env=_env(tmp_path, JAXRIDGE_CACHE_DIR=str(cache)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert any(cache.iterdir())


def test_default_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("JAXRIDGE_CACHE_DIR", raising=False)
    assert _config._default_cache_dir() == tmp_path / "home" / ".cache" / "jaxridge" / "xla"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _config._default_cache_dir() == tmp_path / "xdg" / "jaxridge" / "xla"
    monkeypatch.setenv("JAXRIDGE_CACHE_DIR", str(tmp_path / "mine"))
    assert _config._default_cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("JAXRIDGE_CACHE_DIR", "")  # empty means unset
    assert _config._default_cache_dir() == tmp_path / "xdg" / "jaxridge" / "xla"


class _BytesPath:
    def __fspath__(self) -> bytes:
        return b"/tmp/cache"


@pytest.mark.parametrize(
    ("path", "error", "match"),
    [
        (3, TypeError, "argument `path` must be a str or os.PathLike"),
        (b"/tmp/cache", TypeError, "argument `path` must be a str or os.PathLike"),
        (_BytesPath(), TypeError, "argument `path` must be a text path"),
        ("", ValueError, "argument `path` must not be empty"),
        (" ", ValueError, "argument `path` must not be empty"),
        ("FILE", ValueError, r"argument `path` \(.*\) must be a folder"),
    ],
    ids=["int", "bytes", "bytes-pathlike", "empty", "blank", "file"],
)
def test_bad_path_fails_naming_path_and_changes_nothing(path, error, match, tmp_path):
    if path == "FILE":
        path = tmp_path / "a-file"
        path.write_text("")
    before = dict(jax.config.values)
    with pytest.raises(error, match=match):
        jaxridge.enable_compilation_cache(path)
    assert dict(jax.config.values) == before
