"""Input validation shared by every public function.

Eagerly (concrete inputs) a bad argument raises ``ValueError`` naming the argument. Under a JAX
transformation (``jit``, ``vmap``, ``grad``) values are unknown at trace time, so the same check is
attached to the data with ``eqx.error_if``: the computation raises at run time instead of
silently returning NaN. Types, dtypes, shapes, ranks and emptiness are known while tracing and are
always raised at once, eagerly and under every transformation.

Every message has one format, ``jaxridge: argument `name` <what is wrong>``, built by
:func:`fail`. A solver that did not converge (:func:`check_converged`, the ``throw=True``
convention of the theory solvers) says ``jaxridge: `function` did not converge ...`` and is a
``RuntimeError``.

One exception type everywhere: a public function is wrapped by :func:`readable_errors`, which
turns the run-time error of a traced check (an ``EquinoxRuntimeError`` under ``vmap``/``grad``,
whose first line is a stack banner) into the same ``ValueError`` as the eager check, its message
jaxridge's line alone. Inside a user's own ``jax.jit`` the check fires when the compiled program
runs, after every jaxridge frame has returned, as a ``jax.errors.JaxRuntimeError``; wrapping
that program in :func:`readable_errors` (public as ``jaxridge.checked``) gives the
``ValueError`` there too. JAX also logs a traceback for every failed callback; for jaxridge's own
argument checks that log is dropped (the error itself carries the message).
"""

from __future__ import annotations

import functools
import logging
import os
import re

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "INDEX_MAX",
    "as_float",
    "check",
    "check_converged",
    "check_count",
    "check_steps",
    "check_choice",
    "checked",
    "check_float_dtype",
    "check_key",
    "check_positive_number",
    "check_real",
    "check_fits_memory",
    "check_scalar",
    "check_sizes",
    "check_spectrum",
    "check_vector",
    "common_dtype",
    "fail",
    "is_concrete",
    "memory_limit",
    "readable_errors",
]

# Sizes index arrays and count PRNG streams (``fold_in(key, row)``) in int32 / uint32: a size past
# this wraps around silently, so it is an error.
INDEX_MAX = 2**31 - 1


def fail(name: str, message: str) -> ValueError:
    """The error for a bad argument: ``jaxridge: argument `name` <message>``."""
    return ValueError(f"jaxridge: argument `{name}` {message}")


# A jaxridge message inside a longer error text (a run-time error's banner and stack): a bad
# argument, or a solver that did not converge.
_MESSAGE = re.compile(r"jaxridge: (?:argument `[^`]+`|`[^`]+` did not converge)[^\n]*")


def _argument_error(exc: BaseException) -> Exception | None:
    """The error carried by a run-time error of a traced check, or None.

    A bad argument is a ``ValueError``; a solver that did not converge a ``RuntimeError``.
    """
    match = _MESSAGE.search(str(exc))
    if match is None:
        return None
    text = match.group(0)
    return RuntimeError(text) if "did not converge" in text else ValueError(text)


def readable_errors(fn):
    """Wrap ``fn`` so a jaxridge argument check that fires at run time raises ``ValueError``.

    The error's message is jaxridge's one line (``jaxridge: argument `ridge` must be >= 0``),
    as when the check fires eagerly; any other error passes through unchanged. The result is
    waited for, so an asynchronously dispatched program's error surfaces here. Public as
    ``jaxridge.checked``: wrap a jitted program that calls jaxridge, e.g.
    ``jaxridge.checked(jax.jit(loss))(params)``.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            out = fn(*args, **kwargs)
            if not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(out)):
                out = jax.block_until_ready(out)
            return out
        except (eqx.EquinoxRuntimeError, jax.errors.JaxRuntimeError) as exc:
            error = _argument_error(exc)
            if error is None:
                raise
            raise error from None

    return wrapper


# The public name: ``jaxridge.checked(jax.jit(f))``.
checked = readable_errors


class _DropArgumentErrorLogs(logging.Filter):
    """Drop JAX's "pure_callback failed" traceback log when the failure is a jaxridge check."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return exc is None or _MESSAGE.search(str(exc)) is None


logging.getLogger("jax._src.callback").addFilter(_DropArgumentErrorLogs())


def is_concrete(x) -> bool:
    """True when ``x`` holds actual values (not a tracer inside ``jit``/``vmap``/``grad``)."""
    return not isinstance(x, jax.core.Tracer)


def _numeric_dtype(x):
    """The dtype ``x`` would have as an array, or None when it is not a real numeric input."""
    if x is None or isinstance(x, str | bytes):
        return None
    if hasattr(x, "dtype") and hasattr(x, "shape"):
        dtype = np.dtype(x.dtype) if not isinstance(x.dtype, np.dtype) else x.dtype
    else:
        try:
            dtype = np.asarray(x).dtype
        except (TypeError, ValueError):
            return None
    if dtype.kind not in "iuf" and not jnp.issubdtype(dtype, jnp.floating):
        return None
    # as JAX will hold it (float64 is float32 unless x64 is on): asking for float64 would warn
    return jax.dtypes.canonicalize_dtype(dtype)


def common_dtype(*args) -> jnp.dtype:
    """The floating dtype of a computation: promoted from the inputs, default float otherwise.

    Inputs that are not real numbers (``None``, strings, complex …) are left out here; the
    argument's own conversion (:func:`as_float`) then reports them by name.
    """
    # Python scalars stay weakly typed (as in jnp.result_type): they never raise the precision.
    weak = [a for a in args if type(a) in (int, float)]
    strong = [a for a in args if type(a) not in (int, float)]
    # Integer arrays (sizes) take the float of the others, as in JAX's standard promotion,
    # and without promoting integers against floats (valid under strict promotion too).
    dtypes = [d for d in map(_numeric_dtype, strong) if d is not None]
    inputs = [*(d for d in dtypes if jnp.issubdtype(d, jnp.floating)), *weak]
    dtype = jnp.result_type(*inputs) if inputs else jnp.result_type(float)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    return dtype


def _describe(x) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def check_real(x, name: str):
    """``x`` if it is real numbers (a list or tuple becomes a NumPy array); otherwise fail.

    Rejected with a message naming the argument: ``None``, strings, booleans, complex values
    (their imaginary part would be dropped), ragged or object sequences. The dtype is kept.
    """
    if isinstance(x, jax.core.Tracer):
        kind = "f" if jnp.issubdtype(x.dtype, jnp.floating) else np.dtype(x.dtype).kind
    elif x is None or isinstance(x, str | bytes):
        raise fail(name, f"must be a real number or array of them, got {_describe(x)}")
    else:
        try:
            if not hasattr(x, "dtype"):
                x = np.asarray(x) if isinstance(x, list | tuple) else x
            kind = (x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype).kind
        except (TypeError, ValueError) as exc:
            reason = str(exc).splitlines()[0]
            raise fail(name, f"must be a real number or array of them ({reason})") from None
        if kind == "O":
            try:
                x = np.asarray(x, dtype=np.float64)
                kind = "f"
            except (TypeError, ValueError):
                raise fail(
                    name, f"must be a real number or array of them, got {_describe(x)}"
                ) from None
    if kind == "c":
        raise fail(name, "must be real, got a complex value (its imaginary part would be lost)")
    if kind == "b":
        raise fail(name, "must be a real number or array of them, got a boolean")
    if kind not in "iuf" and kind != "V":
        raise fail(name, f"must be a real number or array of them, got {_describe(x)}")
    if kind == "V" and not jnp.issubdtype(x.dtype, jnp.floating):  # bfloat16 and friends
        raise fail(name, f"must be a real number or array of them, got {_describe(x)}")
    return x


def as_float(x, dtype, name: str):
    """``x`` (validated by :func:`check_real`) as an array of the floating ``dtype``."""
    return jnp.asarray(check_real(x, name), dtype=dtype)


def check_key(key, name: str = "key"):
    """A single PRNG key: a new-style typed key, or a raw ``uint32[2]`` key (wrapped)."""
    if isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.ndim != 0:
            raise fail(name, f"must be a single key, got shape {key.shape}")
        return key
    text = "must be a PRNG key (jax.random.key or jax.random.PRNGKey)"
    if key is None or isinstance(key, str | bytes | int | float | complex):
        raise fail(name, f"{text}, got {_describe(key)}")
    try:
        key = jnp.asarray(key)
    except (TypeError, ValueError):
        raise fail(name, f"{text}, got {_describe(key)}") from None
    if key.shape != (2,) or key.dtype != jnp.uint32:
        raise fail(name, f"{text}, got dtype {key.dtype} and shape {key.shape}")
    return jax.random.wrap_key_data(key)


def check_choice(value, name: str, choices) -> str:
    """One of a few option strings."""
    if not isinstance(value, str) or value not in choices:
        raise fail(name, f"must be one of {', '.join(map(repr, choices))}, got {_describe(value)}")
    return value


def check_positive_number(value, name: str, *, above: float = 0.0, integer: bool = False):
    """A Python option number (not traced) that must be > ``above`` (an int with ``integer``)."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if ok and integer and not float(value).is_integer():
        ok = False
    if not ok or not np.isfinite(value) or not value > above:
        kind = "an int" if integer else "a number"
        raise fail(name, f"must be {kind} > {above:g}, got {_describe(value)}")
    return int(value) if integer else float(value)


def check_float_dtype(dtype, name: str = "dtype"):
    """A floating dtype (``None`` passes through): integer or complex dtypes fail."""
    if dtype is None:
        return None
    try:
        dtype = jnp.dtype(dtype)
    except TypeError:
        raise fail(name, f"must be a floating dtype, got {dtype!r}") from None
    if not jnp.issubdtype(dtype, jnp.floating):
        raise fail(name, f"must be a floating dtype (e.g. jnp.float32), got {dtype}")
    return dtype


def check(x, bad, name: str, message: str):
    """Raise (eagerly) or attach a runtime error (traced) where ``bad`` holds.

    Args:
        x: the array to return (the check is attached to it when traced).
        bad: boolean array, True where the argument is invalid.
        name: the argument's name, quoted in the error.
        message: what is wrong, e.g. ``"must be >= 0"``.

    Returns:
        ``x``, with the check attached when traced.
    """
    text = str(fail(name, message))
    if is_concrete(bad) and is_concrete(x):
        if bool(np.any(np.asarray(bad))):
            raise ValueError(text)
        return x
    return eqx.error_if(x, bad, text)


def check_converged(x, converged, what: str, throw: bool):
    """Raise (eagerly) or attach a runtime error (traced) where a solve did not converge.

    Args:
        x: the result to return (the check is attached to it when traced).
        converged: boolean array, False where the solver stopped without converging.
        what: the public function's name, quoted in the error.
        throw: when False, return ``x`` unchecked (the caller reports per-point flags).
    """
    if not throw:
        return x
    text = (
        f"jaxridge: `{what}` did not converge at some point; pass throw=False to get "
        "per-point `converged`, `num_steps` and `residual` instead of this error"
    )
    if is_concrete(converged) and all(is_concrete(leaf) for leaf in jax.tree.leaves(x)):
        if not bool(np.all(np.asarray(converged))):
            raise RuntimeError(text)
        return x
    leaves, treedef = jax.tree.flatten(x)
    if not leaves:
        return x
    leaves[0] = eqx.error_if(leaves[0], ~converged, text)
    return jax.tree.unflatten(treedef, leaves)


def check_steps(max_steps):
    """``max_steps``: None (the dtype's default) or an int >= 1 (static)."""
    if max_steps is None:
        return None
    return check_count(max_steps, "max_steps", minimum=1)


def check_vector(
    x,
    name: str,
    *,
    nonnegative: bool = False,
    length: int | None = None,
    positive_entry: bool = False,
):
    """Check a rank-1, finite (optionally non-negative, optionally with an entry > 0) float
    vector.

    Concrete values are checked on the host with NumPy: that compiles nothing, so a vector of a
    new length costs no compilation here (a spectrum padded to a bucket then reuses its compiled
    solver at once). Traced values get the checks attached (:func:`check`).
    """
    if jnp.ndim(x) != 1:
        raise ValueError(
            f"jaxridge: argument `{name}` must be a 1-D array, got shape {jnp.shape(x)}"
        )
    if length is not None and jnp.shape(x)[0] != length:
        raise ValueError(
            f"jaxridge: argument `{name}` must have length {length}, got {jnp.shape(x)[0]}"
        )
    if jnp.shape(x)[0] < 1:
        raise ValueError(f"jaxridge: argument `{name}` must not be empty")
    if is_concrete(x):
        host = np.asarray(x)
        if not np.all(np.isfinite(host)):
            raise fail(name, "contains NaN or inf")
        if nonnegative and np.any(host < 0):
            raise fail(name, "must be >= 0 (got a negative entry)")
        if positive_entry and not np.any(host > 0):
            raise fail(name, "must have a positive entry")
        return x
    x = check(x, ~jnp.isfinite(x), name, "contains NaN or inf")
    if nonnegative:
        x = check(x, x < 0, name, "must be >= 0 (got a negative entry)")
    if positive_entry:
        x = check(x, ~jnp.any(x > 0), name, "must have a positive entry")
    return x


def check_spectrum(eigvals, target_weights, dtype, *, positive_entry: bool = False):
    """``eigvals`` (finite, >= 0; with ``positive_entry`` at least one > 0) and
    ``target_weights`` (finite, the same length) as 1-D arrays of ``dtype``."""
    eigvals = check_vector(
        as_float(eigvals, dtype, "eigvals"),
        "eigvals",
        nonnegative=True,
        positive_entry=positive_entry,
    )
    target_weights = check_vector(
        as_float(target_weights, dtype, "target_weights"), "target_weights", length=eigvals.shape[0]
    )
    return eigvals, target_weights


def check_scalar(x, name: str, *, positive: bool = False, nonnegative: bool = False):
    """Check a finite scalar (rank 0); ``positive`` means > 0, ``nonnegative`` means >= 0."""
    if jnp.ndim(x) != 0:
        raise ValueError(
            f"jaxridge: argument `{name}` must be a scalar, got shape {jnp.shape(x)}; "
            "use jax.vmap to evaluate a grid"
        )
    x = check(x, ~jnp.isfinite(x), name, "is NaN or inf")
    if positive:
        x = check(x, x <= 0, name, "must be > 0")
    if nonnegative:
        x = check(x, x < 0, name, "must be >= 0")
    return x


def check_count(value, name: str, minimum: int = 1, maximum: int = INDEX_MAX) -> int:
    """A shape-fixing count: a Python int (or an integral number) in ``[minimum, maximum]``."""
    text = f"jaxridge: argument `{name}` must be an int >= {minimum}, got {_describe(value)}"
    if isinstance(value, bool) or isinstance(value, jax.core.Tracer):
        raise ValueError(text + ("" if isinstance(value, bool) else " (a traced value)"))
    if np.ndim(value) != 0 or isinstance(value, complex | str | bytes):
        raise ValueError(text)
    try:
        as_int = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(text) from None
    if as_int != value or as_int < minimum:
        raise ValueError(text)
    if as_int > maximum:
        raise fail(name, f"is {as_int}, more than the largest supported size {maximum}")
    return as_int


def check_sizes(values, name: str, maximum: int = INDEX_MAX) -> np.ndarray:
    """A non-empty 1-D sequence of shape-fixing sizes (ints in ``[1, maximum]``), as int64."""
    if isinstance(values, jax.core.Tracer):
        raise fail(name, "fixes array shapes and must be concrete (not traced)")
    if values is None or isinstance(values, str | bytes):
        raise fail(name, f"must be a non-empty 1-D sequence of ints, got {_describe(values)}")
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        raise fail(
            name, f"must be a non-empty 1-D sequence of ints, got {_describe(values)}"
        ) from None
    if arr.ndim != 1 or arr.shape[0] < 1:
        raise fail(name, "must be a non-empty 1-D sequence of ints")
    if arr.dtype.kind == "O":
        try:
            arr = np.asarray([check_count(v, name, 1, maximum) for v in arr], dtype=np.int64)
        except ValueError:
            raise fail(name, "must contain integers >= 1") from None
    if arr.dtype.kind not in "iuf":
        raise fail(name, f"must contain integers, got {_describe(values)}")
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise fail(name, "must contain integers")
    if np.any(arr < 1):
        raise fail(name, "must contain sizes >= 1")
    if np.any(arr > maximum):
        raise fail(
            name, f"contains {int(np.max(arr))}, more than the largest supported size {maximum}"
        )
    return arr.astype(np.int64)


def memory_limit() -> int:
    """Bytes one computation can ever hold: the default device's memory (host RAM on CPU)."""
    try:
        stats = jax.devices()[0].memory_stats() or {}
    except Exception:  # noqa: BLE001 - some backends do not report memory
        stats = {}
    if stats.get("bytes_limit"):
        return int(stats["bytes_limit"])
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 2**63 - 1


def check_fits_memory(num_bytes: int, name: str, what: str) -> None:
    """Fail, naming the argument, when one unit of work can never fit in memory."""
    limit = memory_limit()
    if num_bytes > limit:
        raise fail(
            name,
            f"makes {what} need {num_bytes / 2**30:.3g} GiB, more than this machine's "
            f"{limit / 2**30:.3g} GiB",
        )
