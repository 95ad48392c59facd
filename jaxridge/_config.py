"""Opt-in settings for scripts and notebooks: float64 and the persistent compilation cache.

Library code never changes JAX's configuration; importing jaxridge sets nothing. Scripts, the
notebooks and the command line opt in by calling these helpers.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax


def enable_float64(enable: bool = True) -> None:
    """Turn on JAX's float64 (``jax_enable_x64``); call it once, before creating arrays.

    The deterministic-equivalent solvers are most accurate in float64 (THEORY §5.7). The library
    computes in the dtype of its inputs and never flips this flag itself.
    """
    jax.config.update("jax_enable_x64", bool(enable))


def _default_cache_dir() -> Path:
    """``$JAXRIDGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/jaxridge/xla``, else ``~/.cache/...``."""
    explicit = os.environ.get("JAXRIDGE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "jaxridge" / "xla"


def _reset_jax_cache() -> None:
    # JAX opens its cache once, at the first compilation after a directory is set, and keeps it
    # (and whether caching is on at all) for the life of the process; resetting makes the next
    # compilation open the new directory. A JAX without this function is left as it is.
    try:
        from jax.experimental.compilation_cache import compilation_cache
    except ImportError:  # pragma: no cover - depends on the JAX version
        return
    reset = getattr(compilation_cache, "reset_cache", None)
    if reset is not None:
        reset()


def enable_compilation_cache(path: str | os.PathLike[str] | None = None) -> Path:
    """Keep compiled programs on disk (JAX's persistent compilation cache) and reuse them.

    A later process that compiles the same program (same function, shapes, dtypes, JAX version
    and device) loads it from ``path`` instead of compiling it again, so the first call of a
    solver in a new process is faster from the second run on. Tracing is not cached: a first
    call still traces its function. Every program is kept, however quickly it compiled. The
    folder can be deleted at any time (it is rebuilt as programs are compiled); it grows
    without a size limit. Only the calling process is affected: nothing is set by importing
    jaxridge, and library functions never call this.

    Call it once at the start of a script, before the first computation. A call after some
    programs have been compiled also works: those stay compiled in memory, and the programs
    compiled from then on use the cache. Calling it again with another ``path`` moves the
    cache there. As JAX warns, a compilation cache is trusted code: do not point ``path`` at
    a folder that others can write to.

    Args:
        path: the cache folder, created if needed. Default: ``$JAXRIDGE_CACHE_DIR`` when set,
            else ``$XDG_CACHE_HOME/jaxridge/xla`` when ``XDG_CACHE_HOME`` is set, else
            ``~/.cache/jaxridge/xla`` (on every platform).

    Returns:
        The absolute path of the cache folder in use.

    Raises:
        TypeError: ``path`` is not a ``str`` or ``os.PathLike``.
        ValueError: ``path`` is empty or names something that is not a folder.
        OSError: the folder cannot be created.

    Example:
        >>> import jaxridge
        >>> str(jaxridge.enable_compilation_cache("/tmp/jaxridge-xla"))  # first thing in a script
        '/tmp/jaxridge-xla'
    """
    if path is None:
        folder = _default_cache_dir()
    else:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(
                "jaxridge: argument `path` must be a str or os.PathLike (a folder), got "
                f"{type(path).__name__}"
            )
        text = os.fspath(path)
        if not isinstance(text, str):
            raise TypeError("jaxridge: argument `path` must be a text path, got bytes")
        if not text.strip():
            raise ValueError("jaxridge: argument `path` must not be empty")
        folder = Path(text)
    folder = folder.expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"jaxridge: argument `path` ({folder}) must be a folder, it is a file")
    folder.mkdir(parents=True, exist_ok=True)

    config = jax.config
    changed = config.jax_compilation_cache_dir != str(folder)
    switched_on = not config.jax_enable_compilation_cache
    config.update("jax_enable_compilation_cache", True)
    config.update("jax_compilation_cache_dir", str(folder))
    # JAX's defaults keep only programs that took over a second to compile; the solvers' first
    # calls are made of many shorter compilations, and those are the ones worth keeping.
    config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    if changed or switched_on:
        _reset_jax_cache()
    return folder
