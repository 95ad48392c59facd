"""Command-line interface: ``jaxridge demo``, ``run``, ``plot`` and ``info``.

``demo`` is the README's main job: a default sweep of a power-law ridge problem, theory against
Monte Carlo (with GCV), a results file, a figure and a short table. ``run`` computes a sweep
described by a TOML spec (resumable), ``plot`` draws a results file, ``info`` prints versions,
devices, precision and the cache folder.

``demo``, ``run`` and ``plot`` turn on JAX's persistent compilation cache
(:func:`jaxridge.enable_compilation_cache`, folder ``$JAXRIDGE_CACHE_DIR`` or
``~/.cache/jaxridge/xla``), so a second run skips most of the compilation; ``--no-cache`` turns
it off.

Exit codes: 0 success, 1 an error in the input or the environment (printed without a
traceback), 2 a usage error, 130 interrupted (finished chunks are kept; run again to resume).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


# ------------------------------------------------------------------------------ helpers


def _set_precision(dtype: str) -> None:
    import jax

    from . import enable_float64

    if dtype == "float64" and not jax.config.jax_enable_x64:
        enable_float64()


def _compilation_cache(args: argparse.Namespace) -> None:
    """Turn on the persistent compilation cache unless ``--no-cache``.

    A cache that cannot be opened (an unwritable folder) is reported on stderr and the command
    goes on without it: the cache only saves time, it never changes a result.
    """
    if not args.cache:
        return
    from . import enable_compilation_cache

    try:
        enable_compilation_cache()
    except (OSError, ValueError) as exc:
        print(f"jaxridge {args.command}: compilation cache off: {exc}", file=sys.stderr)


def _folder_name(name: str) -> str:
    """The default output folder of a sweep: its name, made safe as one path component."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
    return safe or "sweep"


def _figure(ds, png: Path, x: str | None = None) -> Path | None:
    """Draw ``ds`` with :func:`jaxridge.plot.sweep_figure`; None when plotting is unavailable."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from .plot import sweep_figure
    except ImportError as exc:
        print(f"plot skipped: {exc} (pip install 'jaxridge[plot]')", file=sys.stderr)
        return None
    import matplotlib.pyplot as plt

    fig = sweep_figure(ds, x=x, path=png)
    plt.close(fig)
    return png


def _fmt(mean: float, stderr: float | None = None) -> str:
    if stderr is None:
        return f"{mean:10.3e}"
    return f"{mean:10.3e} ± {stderr:8.1e}"


def _table(ds, max_rows: int = 8) -> list[str]:
    """Theory E_g vs Monte-Carlo mean ± stderr and GCV, per ridge, on a subset of P."""
    import numpy as np

    lines = []
    sizes = ds.num_samples.values
    rows = np.unique(np.linspace(0, len(sizes) - 1, min(max_rows, len(sizes))).astype(int))
    squeeze = {d: 0 for d in ds.dims if d not in ("num_samples", "ridge", "seed")}
    sub = ds.isel(squeeze)
    from .sweep import names

    test, gcv = names.mc("test"), names.mc("gcv")
    have_mc = test in ds
    have_th = names.theory("test") in ds
    for ridge in ds.ridge.values:
        cell = sub.sel(ridge=ridge)
        head = f"{'P':>8}"
        if have_th:
            head += f" {'E_g theory':>10}"
        if have_mc:
            head += f" {'E_g Monte Carlo':>21} {'GCV':>21}"
        lines += [f"ridge = {ridge:g}", head, "-" * len(head)]
        for i in rows:
            text = f"{sizes[i]:8g}"
            if have_th:
                text += f" {_fmt(float(cell[names.theory('test')][i]))}"
            if have_mc:
                err = cell.get(names.stderr(test))
                gerr = cell.get(names.stderr(gcv))
                text += " " + _fmt(float(cell[test][i]), None if err is None else float(err[i]))
                text += " " + _fmt(float(cell[gcv][i]), None if gerr is None else float(gerr[i]))
            lines.append(text)
    notes = []
    if len(rows) < len(sizes):
        notes.append(f"{len(rows)} of {len(sizes)} P values shown, all are in the results file")
    if squeeze:
        notes.append("first value of " + ", ".join(squeeze))
    if notes:
        lines.append("(" + "; ".join(notes) + ")")
    return lines


# ------------------------------------------------------------------------------ commands


def _demo_spec(args: argparse.Namespace):
    from .sweep import SweepSpec

    return SweepSpec(
        name="demo",
        model="linear",
        compute=("theory", "monte_carlo"),
        dtype="float32" if args.float32 else "float64",
        seed=args.seed,
        num_seeds=args.num_seeds,
        spectrum={
            "kind": "power_law",
            "num_features": args.num_features,
            "alpha": args.alpha,
            "r": args.r,
        },
        grid={
            "num_samples": {"geomspace": [10, args.max_samples, args.points]},
            "ridge": list(args.ridge),
            "noise_var": args.noise_var,
        },
    )


def _values_text(values) -> str:
    """A short rendering of an axis' values: all of them when few, else first … last."""
    shown = [f"{v:g}" if isinstance(v, int | float) else str(v) for v in values]
    if len(shown) <= 4:
        return ", ".join(shown)
    return f"{shown[0]} … {shown[-1]} ({len(shown)} values)"


def _plan(spec) -> str:
    """What a sweep will compute: chunks, cells per chunk, seeds, devices."""
    import jax

    outer = [a for a in spec.axes() if a.outer]
    inner = [a for a in spec.axes() if not a.outer]
    chunks = 1
    for axis in outer:
        chunks *= len(axis.values)
    cells = 1
    for axis in inner:
        cells *= len(axis.values)
    devices = len(jax.devices()) if spec.devices == "all" else spec.devices
    per = "; ".join(f"{a.name} = {_values_text(a.values)}" for a in outer)
    text = f"plan: sweep {spec.name!r} ({spec.model}, {spec.dtype}): {chunks} chunk(s)"
    text += f" (one per {per})" if outer else ""
    text += ", each " + " × ".join(f"{len(a.values)} {a.name}" for a in inner) + f" = {cells} cells"
    if spec.monte_carlo:
        seeds = f"{spec.num_seeds} seeds"
        if spec.model != "linear":
            seeds = (
                f"{spec.num_replicates} replicates × {spec.num_seeds} data seeds × "
                f"{spec.num_feature_seeds} feature seeds"
            )
        text += f", {seeds} per cell"
    text += f"; computes {' + '.join(spec.compute)}"
    text += f"; {devices} {jax.default_backend()} device(s)"
    return text


def _axes_text(ds) -> str:
    """The result's axes with their values (not just their sizes)."""
    parts = []
    for dim in ds.dims:
        if dim == "seed":
            parts.append(f"seed ({ds.sizes[dim]})")
        elif dim in ds.coords:
            parts.append(f"{dim} = {_values_text(ds[dim].values.tolist())}")
        else:
            parts.append(f"{dim} ({ds.sizes[dim]} values)")
    return "; ".join(parts)


def _stamp(path: Path):
    """Identity of a file (inode, size, mtime), or None: tells whether a run rewrote it."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _outcome(out: Path, before, computed: int, total: int, elapsed: float) -> str:
    """What a run did: computed chunks, combined saved ones, or only loaded finished results."""
    results = out / "results.nc"
    if computed:
        text = f"computed {computed} of {total} chunk(s) in {elapsed:.1f} s"
        if computed < total:
            text += f" ({total - computed} saved by an earlier run were reused)"
        return text + f"; wrote {results}"
    if before is not None and _stamp(results) == before:
        return (
            f"already complete: loaded {results} in {elapsed:.1f} s, nothing computed "
            "(delete the folder or use another --out to recompute)"
        )
    return (
        f"all {total} chunk(s) were saved by an earlier run, nothing computed; combined them "
        f"into {results} in {elapsed:.1f} s"
    )


def _demo(args: argparse.Namespace) -> int:
    import jax

    from . import sweep

    start = time.perf_counter()
    spec = _demo_spec(args)
    _set_precision(spec.dtype)
    _compilation_cache(args)
    out = Path(args.out)
    before = _stamp(out / "results.nc")
    computed: list[int] = []
    print(_plan(spec), flush=True)
    ds = sweep.run(spec, out, overwrite=True, progress=args.progress, callback=computed.append)
    elapsed = time.perf_counter() - start
    print(
        f"jaxridge demo: power law alpha={args.alpha}, r={args.r}, N={args.num_features}, "
        f"noise_var={args.noise_var:g}, {args.num_seeds} seeds "
        f"({spec.dtype}, {jax.default_backend()}, {len(jax.devices())} device(s))"
    )
    print("\n".join(_table(ds)))
    cells = ds.sizes["num_samples"] * ds.sizes["ridge"]
    if computed:
        print(f"{cells} cells (theory + {args.num_seeds} Monte-Carlo seeds) in {elapsed:.1f} s")
        print(f"wrote {out / 'results.nc'}")
    else:
        print(_outcome(out, before, 0, 1, elapsed))
    png = _figure(ds, out / "results.png")
    if png is not None:
        print(f"wrote {png}")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    import dataclasses

    from . import sweep

    spec = sweep.SweepSpec.from_toml(Path(args.spec))
    if args.devices is not None:
        spec = dataclasses.replace(spec, devices=args.devices)
    _set_precision(spec.dtype)
    _compilation_cache(args)
    out = Path(args.out) if args.out else Path(_folder_name(spec.name))
    before = _stamp(out / "results.nc")
    computed: list[int] = []
    print(_plan(spec), flush=True)
    start = time.perf_counter()
    ds = sweep.run(
        spec, out, overwrite=args.overwrite, progress=args.progress, callback=computed.append
    )
    elapsed = time.perf_counter() - start
    total = 1
    for axis in spec.axes():
        if axis.outer:
            total *= len(axis.values)
    print(f"sweep {spec.name!r} ({spec.model}): {_axes_text(ds)}")
    print(_outcome(out, before, len(computed), total, elapsed))
    if args.plot:
        _check_x(ds, args.x)
        png = _figure(ds, out / "results.png", x=args.x)
        if png is not None:
            print(f"wrote {png}")
    return EXIT_OK


def _check_x(ds, x: str | None) -> None:
    if x is not None and x not in ds.dims:
        raise ValueError(
            f"jaxridge: argument `--x` must be a dimension of the results "
            f"({', '.join(ds.dims)}), got {x!r}"
        )


def _plot(args: argparse.Namespace) -> int:
    from . import sweep

    source = Path(args.results)
    ds = sweep.load(source)
    _compilation_cache(args)
    results_file = source / "results.nc" if source.is_dir() else source
    png = Path(args.out) if args.out else results_file.with_suffix(".png")
    _check_x(ds, args.x)
    if _figure(ds, png, x=args.x) is None:
        return EXIT_ERROR
    print(f"wrote {png}")
    return EXIT_OK


def _info(args: argparse.Namespace) -> int:
    import importlib.metadata
    import platform

    import jax

    from . import __version__

    print(f"jaxridge {__version__}")
    print(f"python   {platform.python_version()}")
    print(f"jax      {jax.__version__}")
    for name in ("xarray", "netCDF4", "tqdm", "matplotlib"):
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        print(f"{name:<8} {version}")
    print(f"backend  {jax.default_backend()}")
    print(f"process  {jax.process_index()} of {jax.process_count()}")
    for d in jax.devices():
        print(f"device   {d.platform}:{d.id} {getattr(d, 'device_kind', '')}")
    from ._config import _default_cache_dir

    print(f"cache    {_default_cache_dir()} (demo, run, plot; off with --no-cache)")
    if jax.config.jax_enable_x64:
        print("float64  enabled")
    else:
        print("float64  disabled (enable: JAX_ENABLE_X64=1 or jaxridge.enable_float64())")
    return EXIT_OK


# ------------------------------------------------------------------------------ parser


def _version() -> str:
    from . import __version__

    return __version__


_X_HELP = (
    "dimension on the x axis (default: the swept size axis, num_samples, else width, "
    "else num_features)"
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _progress_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar over chunks (default: a bar on a terminal, else one line per "
        "finished chunk on stderr)",
    )


def _cache_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep compiled programs on disk so that the next run starts sooner (default: on; "
        "folder $JAXRIDGE_CACHE_DIR, else $XDG_CACHE_HOME/jaxridge/xla or "
        "~/.cache/jaxridge/xla; see jaxridge.enable_compilation_cache)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxridge",
        description="Random-matrix experiments and deterministic equivalents of ridge regression.",
        epilog="Run 'jaxridge COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"jaxridge {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="default sweep: theory vs Monte Carlo on a power law (table, results.nc, PNG)",
        description="Learning curves E_g(P) of ridge regression on a power-law spectrum "
        "e_k = k^-alpha with target e_k w_k^2 = k^-(1+2 alpha r): deterministic-equivalent "
        "theory, Monte-Carlo mean ± standard error over seeds, and the GCV estimate. Writes "
        "OUT/results.nc and OUT/results.png.",
    )
    demo.add_argument("--alpha", type=float, default=1.5, help="capacity exponent (1.5)")
    demo.add_argument("--r", type=float, default=0.4, help="source exponent (0.4)")
    demo.add_argument(
        "--num-features", type=_positive_int, default=1000, help="spectrum length N (1000)"
    )
    demo.add_argument("--max-samples", type=_positive_int, default=250, help="largest P (250)")
    demo.add_argument("--points", type=_positive_int, default=16, help="number of P values (16)")
    demo.add_argument(
        "--ridge",
        type=_nonnegative_float,
        nargs="+",
        default=[1e-4, 1e-2],
        help="one or more ridges (1e-4 1e-2)",
    )
    demo.add_argument(
        "--noise-var", type=_nonnegative_float, default=0.01, help="label-noise variance (0.01)"
    )
    demo.add_argument("--num-seeds", type=_positive_int, default=10, help="Monte-Carlo seeds (10)")
    demo.add_argument("--seed", type=int, default=0, help="root random seed (0)")
    demo.add_argument("--out", default="jaxridge-demo", help="output folder (jaxridge-demo)")
    demo.add_argument("--float32", action="store_true", help="compute in float32")
    _progress_flag(demo)
    _cache_flag(demo)
    demo.set_defaults(func=_demo)

    run = sub.add_parser(
        "run",
        help="run a sweep from a TOML spec (resumable)",
        description="Run the sweep described by SPEC (see README, 'Sweeps'). Finished chunks "
        "are saved in OUT/chunks/ as they complete; running the same command again resumes an "
        "interrupted sweep, or just reports a finished one. Results: OUT/results.nc.",
    )
    run.add_argument("spec", metavar="SPEC", help="the sweep specification (.toml)")
    run.add_argument("--out", default=None, help="output folder (default: ./<spec name>)")
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace results of a different spec found in the output folder",
    )
    run.add_argument(
        "--devices", type=_positive_int, default=None, help="shard over this many devices"
    )
    run.add_argument("--plot", action="store_true", help="also write OUT/results.png")
    run.add_argument("--x", default=None, help=_X_HELP)
    _progress_flag(run)
    _cache_flag(run)
    run.set_defaults(func=_run)

    plot = sub.add_parser(
        "plot",
        help="plot a results file: theory lines, Monte-Carlo points, GCV",
        description="Draw the results of a sweep (a results.nc file or a sweep folder) to "
        "<results stem>.png beside it, or to --out.",
    )
    plot.add_argument("results", metavar="RESULTS", help="results.nc or a sweep folder")
    plot.add_argument("--x", default=None, help=_X_HELP)
    plot.add_argument("--out", default=None, help="image path (.png or .pdf)")
    _cache_flag(plot)
    plot.set_defaults(func=_plot)

    info = sub.add_parser("info", help="versions, devices and precision")
    info.set_defaults(func=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(
            f"jaxridge {args.command}: interrupted; finished chunks are saved, run the same "
            "command again to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except (ValueError, OSError, ImportError) as exc:
        print(f"jaxridge {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
