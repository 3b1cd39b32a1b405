"""P1: the whole local pipeline, from nothing, in a process of its own, as `make run` runs it.

Measured from outside: wall time, and the peak of the summed resident memory of that process
and every process it starts (the Spark JVM, Python workers). Run as a module it is that process:
``python -m benchmarks.pipeline FOLDER --size S --env E``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

from .common import SIZES, BenchError, Context, bench_settings, measured, run_sampled, target

DONE = "done.json"  # written by a pipeline run that finished, with its step timings


def run_once(ctx: Context) -> tuple[float, int, dict[str, float]]:
    """One run from an empty folder: (wall seconds, peak RSS bytes, seconds per step)."""
    folder = ctx.pipeline_folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "benchmarks.pipeline",
        str(folder),
        "--size",
        ctx.size_name,
        "--env",
        ctx.env,
    ]
    seconds, peak = run_sampled(command, Path.cwd(), folder / "pipeline.log")
    steps = json.loads((folder / DONE).read_text())["step_seconds"]
    return seconds, peak, steps


def ensure_pipeline(ctx: Context) -> None:
    """The pipeline folder holds a finished run at this size (run once, unmeasured, if not)."""
    done = ctx.pipeline_folder / DONE
    if not done.is_file() or json.loads(done.read_text()).get("size") != ctx.size_name:
        print("  (the pipeline has not run at this size: running it once first)")
        run_once(ctx)


def run_case(ctx: Context) -> dict:
    walls, peaks, steps = [], [], []
    for i in range(ctx.repeat):
        seconds, peak, timings = run_once(ctx)
        print(f"  run {i + 1}: {seconds:.1f} s, peak RSS {peak / 2**30:.2f} GiB")
        walls.append(seconds)
        peaks.append(peak / 2**30)
        steps.append(timings)
    settings = ctx.settings(ctx.pipeline_folder)
    wall, peak = statistics.median(walls), statistics.median(peaks)
    return {
        "what": "python -m <package> run: every step, from an empty folder, in its own process",
        "members": settings.ingest.synthetic.members if settings.ingest.synthetic else None,
        "max_evals": settings.training.max_evals,
        "estimator": settings.training.estimator,
        "wall_seconds": measured(walls, 1),
        "peak_rss_gib": measured(peaks, 2),
        "step_seconds": {
            name: round(statistics.median(run[name] for run in steps), 1) for name in steps[0]
        },
        "targets": [
            target("wall_seconds", wall, "<=", 180),
            target("peak_rss_gib", peak, "<=", 4),
        ],
    }


def main(argv: list[str] | None = None) -> int:
    from {{ cookiecutter.package_name }}.errors import ProblemsError
    from {{ cookiecutter.package_name }}.pipeline import STEPS, run

    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", choices=SIZES, default="default")
    parser.add_argument("--env", default="local")
    args = parser.parse_args(argv)
    try:
        settings = bench_settings(args.env, args.folder, SIZES[args.size])
        seconds = run(settings, list(STEPS))
    except ProblemsError as error:
        print(f"{error.kind}:", *error.problems, sep="\n  ", file=sys.stderr)
        return error.exit_code
    except BenchError as error:
        print(error, file=sys.stderr)
        return 2
    summary = {"size": args.size, "step_seconds": seconds}
    (args.folder / DONE).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
