"""What every benchmark shares: sizes, settings relocated to a bench folder, medians, targets,
and a description of the machine."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import psutil

from {{ cookiecutter.package_name }}.config import Settings, load_settings
from {{ cookiecutter.package_name }}.errors import ProblemsError

PROJECT = Path(__file__).resolve().parents[1]
# for the template's own benchmarks, which run here
PACKAGE = "{{ cookiecutter.package_name }}"


class BenchError(Exception):
    """A benchmark could not run; the message says why and what to do."""


class BenchArgumentError(BenchError):
    """The command line asks for something no benchmark does (exit 2)."""


@dataclass(frozen=True)
class Size:
    """How big each benchmark is. ``None`` keeps what the configuration says."""

    members: int | None  # synthetic members (P1 and the data of P2-P3)
    max_evals: int | None  # tuning trials of the pipeline run (P1)
    floors: dict[str, float] | None  # gate floors; a tiny plan cannot meet the real ones
    inference_rows: int  # P2
    new_events_fraction: float  # P3


SIZES = {
    # What the project is configured with (about 100,000 members, 20 trials by default).
    "default": Size(None, None, None, 1_000_000, 0.02),
    # Checks that every benchmark runs and the JSON is whole; its figures mean nothing.
    "tiny": Size(3_000, 2, {}, 20_000, 0.02),
}


def relocated(settings: Settings, folder: Path, size: Size) -> Settings:
    """``settings`` writing everything under ``folder`` (tables, MLflow store, worklists), at
    ``size``. Refuses anything but the local platform: the benchmarks measure this machine."""
    where = f"conf/envs/{settings.env}.yml"
    if settings.spark.master is None or settings.storage.catalog is not None:
        raise BenchError(
            f"{where}: the benchmarks run on this machine; use an environment with spark.master "
            "set and storage.catalog null (ENV=local)"
        )
    if settings.features.store != "tables":
        raise BenchError(f"{where}: features.store must be 'tables' for the benchmarks")
    folder = folder.resolve()
    store = f"sqlite:///{folder / 'mlflow.db'}"
    update: dict[str, Any] = {
        "storage": settings.storage.model_copy(update={"warehouse_dir": folder / "warehouse"}),
        "tracking": settings.tracking.model_copy(
            update={
                "tracking_uri": store,
                "registry_uri": store,
                "artifact_location": (folder / "mlartifacts").as_uri(),
            }
        ),
        "delivery": settings.delivery.model_copy(update={"csv_dir": folder / "delivery"}),
    }
    if size.members is not None and settings.ingest.synthetic is not None:
        synthetic = settings.ingest.synthetic.model_copy(update={"members": size.members})
        update["ingest"] = settings.ingest.model_copy(update={"synthetic": synthetic})
    if size.max_evals is not None:
        update["training"] = settings.training.model_copy(update={"max_evals": size.max_evals})
    if size.floors is not None:
        update["gate"] = settings.gate.model_copy(update={"floors": size.floors})
    return settings.model_copy(update=update)


def bench_settings(
    env: str, folder: Path, size: Size, conf_dir: Path = PROJECT / "conf"
) -> Settings:
    return relocated(load_settings(env, conf_dir), folder, size)


@dataclass
class Context:
    """One `make bench`: its size, where it writes, and the platform P2-P3 share."""

    size_name: str
    env: str
    repeat: int
    folder: Path  # .bench/<size>

    @property
    def size(self) -> Size:
        return SIZES[self.size_name]

    @property
    def pipeline_folder(self) -> Path:
        """Where P1 runs; its last run is the data and the champion of P2-P3."""
        return self.folder / "pipeline"

    def settings(self, folder: Path) -> Settings:
        return bench_settings(self.env, folder, self.size)

    def platform_at(self, folder: Path):
        """The local platform with everything under ``folder``, checked as a run checks it."""
        from {{ cookiecutter.package_name }}.context import Platform
        from {{ cookiecutter.package_name }}.pipeline import preflight

        settings = self.settings(folder)
        return Platform(settings, preflight(settings))

    @cached_property
    def platform(self):
        """The local platform over the pipeline folder, run first if P1 did not."""
        from .pipeline import ensure_pipeline

        ensure_pipeline(self)
        return self.platform_at(self.pipeline_folder)


def measured(values: list[float], digits: int = 3) -> dict[str, Any]:
    """The median of ``values`` with every run, as the JSON holds them."""
    return {
        "median": round(statistics.median(values), digits),
        "runs": [round(v, digits) for v in values],
    }


def target(metric: str, value: float, op: str, limit: float) -> dict[str, Any]:
    """A target from the issue: ``metric`` ``op`` ``limit``, and whether ``value`` meets it."""
    met = value <= limit if op == "<=" else value >= limit
    return {"metric": metric, "op": op, "limit": limit, "value": round(value, 4), "met": met}


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of ``action()`` and what it returned."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def run_sampled(command: list[str], cwd: Path, log: Path, env: dict | None = None) -> tuple:
    """Run ``command`` to its end: (wall seconds, peak of the summed RSS of it and every
    process it starts, in bytes). Its output goes to ``log``; a failure raises with the tail."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        root, peak = psutil.Process(child.pid), 0
        while child.poll() is None:
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for process in processes:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += process.memory_info().rss
            peak = max(peak, total)
            time.sleep(0.1)
        child.wait()
        seconds = time.perf_counter() - start
    if child.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-30:])
        raise BenchError(f"{' '.join(command)} exited {child.returncode} (log: {log}):\n{tail}")
    return seconds, peak


def _java_version() -> str:
    try:
        result = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return "not found"
    lines = (result.stderr or result.stdout).splitlines()
    return lines[0] if lines else "unknown"


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "physical_cpus": psutil.cpu_count(logical=False),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "java": _java_version(),
        "packages": {
            name: _version(name)
            for name in (
                "pyspark",
                "mlflow",
                "hyperopt",
                "scikit-learn",
                "pandas",
                "numpy",
                "pyarrow",
            )
        },
    }


# What both `make bench`es (this project's, and the template's run here) do around their cases.


def chosen_cases(cases: str, known: Iterable[str], repeat: int) -> list[str]:
    """The benchmarks ``--cases`` names ("all", or comma-separated); refused, as
    BenchArgumentError, when one is unknown or ``repeat`` is too few for a median."""
    known = list(known)
    names = known if cases == "all" else [c.strip() for c in cases.split(",")]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BenchArgumentError(
            f"--cases: unknown {', '.join(unknown)}; choose from {', '.join(known)}"
        )
    if repeat < 3:
        raise BenchArgumentError(f"--repeat {repeat}: a median needs at least 3 runs")
    return names


def run_cases(
    cases: dict[str, Callable[[Any], dict]],
    labels: dict[str, str],
    names: list[str],
    ctx: Any,
    size: str,
) -> dict[str, dict]:
    """Each chosen case, in the order of ``cases``, saying when it starts and how long it took:
    {name: its result}."""
    results = {}
    for name in (n for n in cases if n in names):
        print(f"[{labels[name]} {name}] size={size}")
        seconds_before = time.perf_counter()
        results[name] = cases[name](ctx)
        print(f"[{labels[name]} {name}] done in {time.perf_counter() - seconds_before:.0f} s")
    return results


def stopped(error: BenchError | ProblemsError) -> int:
    """Say on stderr why the benchmarks stopped, before anything was written; the exit code."""
    if isinstance(error, BenchArgumentError):
        print(error, file=sys.stderr)
        return 2
    if isinstance(error, ProblemsError):
        head = f"benchmark failed, nothing written: {error.kind}:"
        print(head, *error.problems, sep="\n  ", file=sys.stderr)
        return error.exit_code
    print(f"benchmark failed, nothing written: {error}", file=sys.stderr)
    return 1


def write_report(report: dict, out: Path, results: Iterable[tuple[str, dict]]) -> None:
    """``report`` as ``out`` (whole or not at all), then the targets of ``results`` (label,
    result) that were missed, when the report's size is the one they are set for."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".json.partial")
    partial.write_text(json.dumps(report, indent=2) + "\n")
    partial.replace(out)
    missed = [
        f"{label} {t['metric']} = {t['value']} (target {t['op']} {t['limit']})"
        for label, result in results
        for t in result["targets"]
        if not t["met"]
    ]
    print(f"wrote {out}")
    if report["targets_apply"]:
        print("targets missed:" if missed else "every target met", *missed, sep="\n  ")
