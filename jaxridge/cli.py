"""Command-line interface: ``jaxridge demo`` and ``jaxridge info``.

``demo`` is the README's main job: a default power-law ridge problem, its deterministic-equivalent
learning curve printed as a table and saved as CSV (and PNG when matplotlib is installed).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_USAGE, EXIT_ERROR = 0, 2, 1

DEMO_FIELDS = ("kappa", "df1", "gamma", "bias", "var_x", "var_noise", "test", "train")


def _demo(args: argparse.Namespace) -> int:
    import jax
    import jax.numpy as jnp

    from . import enable_float64, spectra, theory

    if not args.float32:
        enable_float64()
    start = time.perf_counter()
    eigvals, weights = spectra.power_law(args.num_features, args.alpha, args.r)
    num_samples = jnp.logspace(0, jnp.log10(args.max_samples), args.points)
    curve_fn = jax.jit(jax.vmap(theory.ridge_risk, (None, None, 0, None, None)))
    curve = curve_fn(eigvals, weights, num_samples, args.ridge, args.noise_var)
    curve = jax.tree_util.tree_map(lambda x: jax.device_get(x), curve)
    elapsed = time.perf_counter() - start

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = [
        [float(num_samples[i])] + [float(getattr(curve, f)[i]) for f in DEMO_FIELDS]
        for i in range(args.points)
    ]
    csv_path = out / "learning_curve.csv"
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["num_samples", *DEMO_FIELDS])
        writer.writerows(rows)

    print(
        f"jaxridge demo: power law alpha={args.alpha}, r={args.r}, N={args.num_features}, "
        f"ridge={args.ridge:g}, noise_var={args.noise_var:g} "
        f"({jnp.dtype(eigvals.dtype).name}, {jax.default_backend()})"
    )
    header = f"{'P':>10} {'kappa':>11} {'df1':>10} {'E_g':>11} {'E_train':>11} {'Bias2':>11}"
    print(header)
    print("-" * len(header))
    step = max(1, args.points // 12)
    for row in rows[::step]:
        p, kappa, df1, _, bias, _, _, test, train = row
        print(f"{p:10.1f} {kappa:11.4e} {df1:10.2f} {test:11.4e} {train:11.4e} {bias:11.4e}")
    print(f"theory curve of {args.points} points in {elapsed:.2f} s (compile included)")
    print(f"wrote {csv_path}")
    try:
        png_path = _demo_plot(rows, args, out)
        print(f"wrote {png_path}")
    except ImportError:
        print("matplotlib not installed: skipped the PNG (pip install 'jaxridge[plot]')")
    return EXIT_OK


def _demo_plot(rows, args, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = [r[0] for r in rows]
    col = {f: [r[1 + i] for r in rows] for i, f in enumerate(DEMO_FIELDS)}
    fig, ax = plt.subplots(figsize=(6.0, 4.2), dpi=150)
    ax.loglog(p, col["test"], lw=2, label=r"$E_g$ (test)")
    ax.loglog(p, col["train"], lw=1.5, ls="--", label=r"$E_{tr}$ (train)")
    ax.loglog(p, col["bias"], lw=1, label=r"Bias$^2$")
    var = [a + b for a, b in zip(col["var_x"], col["var_noise"], strict=True)]
    ax.loglog(p, var, lw=1, label=r"Var$_X$ + Var$_{X\varepsilon}$")
    ax.set_xlabel("number of samples $P$")
    ax.set_ylabel("error")
    ax.set_title(
        rf"power law $\alpha={args.alpha}$, $r={args.r}$, $\lambda={args.ridge:g}$, "
        rf"$\sigma^2={args.noise_var:g}$",
        fontsize=10,
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    path = out / "learning_curve.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def _info(args: argparse.Namespace) -> int:
    import platform

    import jax

    from . import __version__

    print(f"jaxridge {__version__}")
    print(f"python   {platform.python_version()}")
    print(f"jax      {jax.__version__}")
    print(f"backend  {jax.default_backend()}")
    for d in jax.devices():
        print(f"device   {d.platform}:{d.id} {getattr(d, 'device_kind', '')}")
    print(f"float64  {'enabled' if jax.config.jax_enable_x64 else 'disabled (JAX_ENABLE_X64=1)'}")
    return EXIT_OK


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _nonnegative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxridge",
        description="Random-matrix experiments and deterministic equivalents of ridge regression.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="theory learning curve of a default power-law problem (table, CSV, PNG)",
        description="Deterministic-equivalent learning curve E_g(P) of ridge regression on a "
        "power-law spectrum e_k = k^-alpha with target e_k w_k^2 = k^-(1+2 alpha r).",
    )
    demo.add_argument("--alpha", type=float, default=1.5, help="capacity exponent (default 1.5)")
    demo.add_argument("--r", type=float, default=0.4, help="source exponent (default 0.4)")
    demo.add_argument(
        "--num-features",
        type=_positive_int,
        default=10_000,
        help="spectrum length N (default 10000)",
    )
    demo.add_argument(
        "--max-samples",
        type=_positive_int,
        default=5_000,
        help="largest P of the curve (default 5000)",
    )
    demo.add_argument(
        "--points", type=_positive_int, default=60, help="number of P values (default 60)"
    )
    demo.add_argument("--ridge", type=_nonnegative_float, default=1e-4, help="ridge (1e-4)")
    demo.add_argument(
        "--noise-var",
        type=_nonnegative_float,
        default=0.01,
        help="label-noise variance (default 0.01)",
    )
    demo.add_argument("--out", default="jaxridge-demo", help="output folder (jaxridge-demo)")
    demo.add_argument("--float32", action="store_true", help="compute in float32")
    demo.set_defaults(func=_demo)
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
    except (ValueError, OSError) as exc:
        print(f"jaxridge {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
