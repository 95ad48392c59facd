"""Check and time everything on one machine in one call (meant for a GPU; runs anywhere).

Each section runs in its own subprocess with a time limit, so one failure or overrun does not
lose the others; what each wrote (log, JSON) is packed into ``--out/bench_gpu.tar.gz`` and the
figures into ``--out/figures_<scale>.tar.gz`` after every section, so a call cut short still
returns what finished.

Sections (``--sections``, comma-separated, in this order by default):

``env``        devices, versions, ``nvidia-smi``
``tests``      the default test suite in float64 on this backend (notebooks excluded; they run
               in the ``notebooks`` section), ``pytest -n WORKERS``
``theory``     ``bench_theory.py`` in float64 and float32
``empirical``  ``bench_empirical.py --case gpu``: the figure-sized curve at N = 10⁴, time per
               cell, eigendecomposition fraction, NumPy/scikit-learn baselines on this machine's
               CPU
``sweep``      ``bench_sweep.py --case gpu``: the same grid through ``jaxridge.sweep.run`` (in
               memory and to disk) against the bare kernels
``features``   ``bench_features.py``
``fit``        ``bench_fit.py``
``notebooks``  every notebook at ``--scale`` (default ``paper``): wall time, exit status, the
               notebook's own theory-vs-Monte-Carlo assertion; figures packed into
               ``figures_<scale>.tar.gz``

The summary (one row per section or notebook: status, seconds) is printed last and written to
``summary.json``.

Usage::

    python benchmarks/bench_gpu.py --out OUT [--sections env,tests,...] [--budget 560]
        [--scale paper] [--notebooks 03,07]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
ORDER = ("env", "tests", "theory", "empirical", "sweep", "features", "fit", "notebooks")
ENV_PROBE = """
import json, platform, jax, jaxlib
import jaxridge
info = dict(
    python=platform.python_version(), jax=jax.__version__, jaxlib=jaxlib.__version__,
    backend=jax.default_backend(), devices=[str(d) for d in jax.devices()],
    device_kind=getattr(jax.devices()[0], "device_kind", ""), jaxridge=jaxridge.__version__,
)
print(json.dumps(info))
"""


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("MPLBACKEND", "Agg")
    # Several processes may share one accelerator (test workers): allocate on demand.
    env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _run(cmd, log: Path, timeout: float, env: dict, cwd: Path = ROOT) -> tuple[str, float]:
    """Run ``cmd`` with its output in ``log``; status is ok, failed (rc) or timeout."""
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        fh.write("$ " + " ".join(map(str, cmd)) + "\n")
        fh.flush()
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            rc = proc.wait(timeout=max(timeout, 1.0))
            status = "ok" if rc == 0 else f"failed (rc {rc})"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            status = f"timeout ({timeout:.0f} s)"
    return status, time.perf_counter() - t0


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(ln.strip() for ln in text[-lines:])[-300:]


class Driver:
    def __init__(
        self,
        out: Path,
        budget: float,
        workers: int,
        scale: str,
        parallel: int = 1,
        nb_limit: float = 600.0,
        tests_limit: float = 240.0,
    ):
        self.parallel = parallel
        self.nb_limit = nb_limit
        self.tests_limit = tests_limit
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        # Logs and JSON live beside --out, which receives only the summary and two tarballs.
        self.work = Path(tempfile.mkdtemp(prefix="bench_gpu_"))
        self.deadline = time.perf_counter() + budget
        self.workers = workers
        self.scale = scale
        self.rows: list[dict] = []

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def record(self, name, status, seconds, log=None, **extra):
        row = dict(name=name, status=status, seconds=round(seconds, 2), **extra)
        if log is not None and status != "ok":
            row["tail"] = _tail(log)
        self.rows.append(row)
        print(f"[{name}] {status} in {seconds:.1f} s", flush=True)
        self.pack()

    def pack(self):
        (self.out / "summary.json").write_text(json.dumps(self.rows, indent=1))
        with tarfile.open(self.out / "bench_gpu.tar.gz", "w:gz") as tar:
            for path in sorted(self.work.glob("*")):
                if path.is_file():
                    tar.add(path, arcname=path.name)
        figures = self.work / "figures"
        if figures.exists():
            with tarfile.open(self.out / f"figures_{self.scale}.tar.gz", "w:gz") as tar:
                tar.add(figures, arcname=f"figures_{self.scale}")

    def step(self, name, cmd, limit, env=None):
        """One subprocess section, stopped at ``limit`` or at the budget."""
        limit = min(limit, self.left() - 5)
        if limit < 20:
            self.record(name, "skipped (budget)", 0.0)
            return
        log = self.work / f"{name}.log"
        status, seconds = _run(cmd, log, limit, env or _env())
        self.record(name, status, seconds, log)

    # -------------------------------------------------------------------------- sections

    def env(self):
        log = self.work / "env.log"
        status, seconds = _run([sys.executable, "-c", ENV_PROBE], log, 120, _env())
        info = {}
        try:
            info = json.loads(log.read_text().strip().splitlines()[-1])
        except (ValueError, IndexError):
            pass
        smi = (
            subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv"],
                capture_output=True,
                text=True,
            )
            if _has("nvidia-smi")
            else None
        )
        info.update(
            gpu=smi.stdout.strip() if smi is not None else "none",
            cpu_count=os.cpu_count(),
            machine=platform.platform(),
        )
        (self.work / "env.json").write_text(json.dumps(info, indent=1))
        print(json.dumps(info), flush=True)
        self.record("env", status, seconds, log)

    def tests(self):
        cmd = [sys.executable, "-m", "pytest", "-m", "not slow", "-v", "-p", "no:cacheprovider"]
        cmd += ["-n", str(self.workers), "--dist", "loadfile", "--tb=short"]
        cmd += ["--ignore", str(ROOT / "tests" / "test_notebooks.py"), str(ROOT / "tests")]
        self.step("tests", cmd, self.tests_limit, _env(JAX_ENABLE_X64=1))
        log = self.work / "tests.log"
        if not log.exists():
            return
        counts = {}
        for word in ("PASSED", "FAILED", "SKIPPED", "ERROR"):
            counts[word.lower()] = log.read_text(errors="replace").count(f" {word} ")
        self.rows[-1].update(counts)
        self.pack()

    def bench(self, name, script, args, limit):
        cmd = [sys.executable, str(BENCH / script), *args]
        self.step(name, cmd, limit)

    def notebooks(self, only):
        paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
        if only:  # in the order given (e.g. the longest first when several run at once)
            paths = [p for n in only for p in paths if p.name[:2] == n]
        figures = self.work / "figures"
        figures.mkdir(exist_ok=True)
        env = _env(JAXRIDGE_SCALE=self.scale, JAXRIDGE_FIGURES=figures)
        if self.parallel <= 1:
            for path in paths:
                self.step(f"nb {path.stem}", [sys.executable, str(path)], self.nb_limit, env)
            return
        # Several notebooks share the machine at once (their wall times are then upper bounds
        # of a lone run): a pool of subprocesses, each stopped at its limit or at the budget.
        from concurrent.futures import ThreadPoolExecutor

        def one(path):
            limit = min(self.nb_limit, self.left() - 5)
            if limit < 20:
                return path, "skipped (budget)", 0.0, None
            log = self.work / f"nb {path.stem}.log"
            return (path, *_run([sys.executable, str(path)], log, limit, env), log)

        with ThreadPoolExecutor(self.parallel) as pool:
            for path, status, seconds, log in pool.map(one, paths):
                self.record(f"nb {path.stem}", status, seconds, log, parallel=self.parallel)


def _has(program: str) -> bool:
    from shutil import which

    return which(program) is not None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=None, help="folder for the summary and the tarballs (default: temporary)"
    )
    parser.add_argument("--json", default=None, help="also write the summary here (with meta)")
    parser.add_argument(
        "--sections",
        default=None,
        help=f"subset of {ORDER} (default: all; with --quick: env,theory)",
    )
    parser.add_argument("--budget", type=float, default=560.0, help="total seconds")
    parser.add_argument("--workers", type=int, default=8, help="pytest workers")
    parser.add_argument("--scale", default="paper", choices=("ci", "default", "paper"))
    parser.add_argument("--notebooks", default="", help="notebook numbers, e.g. 03,07")
    parser.add_argument("--quick", action="store_true", help="benchmarks' --quick cases")
    parser.add_argument("--parallel", type=int, default=1, help="notebooks run at once")
    parser.add_argument("--nb-limit", type=float, default=600.0, help="seconds per notebook")
    parser.add_argument("--tests-limit", type=float, default=240.0, help="seconds for tests")
    args = parser.parse_args(argv)

    if args.sections is None:
        args.sections = "env,theory" if args.quick else ",".join(ORDER)
    if args.out is None:
        args.out = tempfile.mkdtemp(prefix="bench_gpu_out_")
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(ORDER))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {ORDER}")
    d = Driver(
        Path(args.out),
        args.budget,
        args.workers,
        args.scale,
        parallel=args.parallel,
        nb_limit=args.nb_limit,
        tests_limit=args.tests_limit,
    )
    quick = ["--quick"] if args.quick else []
    case = [] if args.quick else ["--case", "gpu"]
    for name in sections:
        if name == "env":
            d.env()
        elif name == "tests":
            d.tests()
        elif name == "theory":
            d.bench(
                "theory f64", "bench_theory.py", quick + ["--json", d.work / "theory.json"], 150
            )
            d.bench(
                "theory f32",
                "bench_theory.py",
                quick + ["--float32", "--json", d.work / "theory_f32.json"],
                150,
            )
        elif name == "empirical":
            extra = [] if args.quick else ["--repeats", "1", "--baseline-ridges", "1"]
            d.bench(
                "empirical",
                "bench_empirical.py",
                quick + case + extra + ["--json", d.work / "empirical.json"],
                300,
            )
        elif name == "sweep":
            d.bench(
                "sweep",
                "bench_sweep.py",
                quick + case + ["--devices", "1", "--json", d.work / "sweep.json"],
                400,
            )
        elif name == "features":
            d.bench(
                "features", "bench_features.py", quick + ["--json", d.work / "features.json"], 300
            )
        elif name == "fit":
            d.bench("fit", "bench_fit.py", quick + ["--json", d.work / "fit.json"], 300)
        elif name == "notebooks":
            d.notebooks([s.strip().zfill(2) for s in args.notebooks.split(",") if s.strip()])

    print()
    print(f"{'section':34s} {'status':22s} {'s':>8s}")
    for row in d.rows:
        print(f"{row['name']:34s} {row['status']:22s} {row['seconds']:8.1f}")
        if "tail" in row:
            print(f"    {row['tail']}")
    d.pack()
    if args.json:
        import jax

        meta = dict(
            jax=jax.__version__,
            backend=jax.default_backend(),
            device=str(jax.devices()[0]),
            machine=platform.platform(),
            cpu_count=os.cpu_count(),
            out=str(d.out),
        )
        Path(args.json).write_text(json.dumps(dict(meta=meta, results=d.rows), indent=1))
    failed = [r["name"] for r in d.rows if not r["status"].startswith(("ok", "skipped"))]
    if failed:
        raise SystemExit(f"failed or timed out: {', '.join(failed)}")


if __name__ == "__main__":
    main()
