"""P1: the whole local pipeline, from nothing, in a process of its own, as `make run` runs it;
and two steps run alone, as a data scientist reruns one step (or Databricks runs each task).

Measured from outside: wall time, and the peak of the summed resident memory of that process
and every process it starts (the Spark JVM, Python workers). Run as a module it is that process:
``python -m benchmarks.pipeline FOLDER --size S --env E [--steps a,b]``.
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
# The steps timed alone: each in a process of its own, after the steps before it ran in another.
ALONE = ("validate", "deploy")


def run_steps(ctx: Context, folder: Path, steps: list[str], log: str) -> tuple[float, int]:
    """``steps`` in one process of their own over ``folder``: (wall seconds, peak RSS bytes)."""
    command = [sys.executable, "-m", "benchmarks.pipeline", str(folder)]
    command += ["--size", ctx.size_name, "--env", ctx.env, "--steps", ",".join(steps)]
    return run_sampled(command, Path.cwd(), folder / log)


def run_once(ctx: Context) -> tuple[float, int, dict[str, float]]:
    """One run from an empty folder: (wall seconds, peak RSS bytes, seconds per step)."""
    from {{ cookiecutter.package_name }}.pipeline import STEPS

    folder = ctx.pipeline_folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    seconds, peak = run_steps(ctx, folder, list(STEPS), "pipeline.log")
    steps = json.loads((folder / DONE).read_text())["step_seconds"]
    return seconds, peak, steps


def steps_alone(ctx: Context) -> dict[str, float]:
    """Wall seconds of each ALONE step in a process of its own (start-up included), on a folder
    where the steps before the first of them ran in one process, so each finds the state it
    finds inside ``run``. One run each: deploy moves the aliases, so it cannot be repeated."""
    from {{ cookiecutter.package_name }}.pipeline import STEPS

    folder = ctx.folder / "steps-alone"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    order = list(STEPS)
    run_steps(ctx, folder, order[: order.index(ALONE[0])], "before.log")
    return {step: round(run_steps(ctx, folder, [step], f"{step}.log")[0], 1) for step in ALONE}


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
    in_run = {name: statistics.median(run[name] for run in steps) for name in steps[0]}
    alone = steps_alone(ctx)
    print("  alone: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in alone.items()))
    return {
        "what": "python -m <package> run: every step, from an empty folder, in its own process",
        "members": settings.ingest.synthetic.members if settings.ingest.synthetic else None,
        "max_evals": settings.training.max_evals,
        "estimator": settings.training.estimator,
        "wall_seconds": measured(walls, 1),
        "peak_rss_gib": measured(peaks, 2),
        "step_seconds": {name: round(seconds, 1) for name, seconds in in_run.items()},
        "alone_seconds": alone,
        "targets": [
            target("wall_seconds", wall, "<=", 120),
            target("peak_rss_gib", peak, "<=", 2.68),
            # alone, a step pays the start-up run shares: the interpreter, Spark, the store
            target("validate_alone_over_in_run", alone["validate"] / in_run["validate"], "<=", 2),
            target("deploy_alone_seconds", alone["deploy"], "<=", 10),
        ],
    }


def main(argv: list[str] | None = None) -> int:
    from {{ cookiecutter.package_name }}.errors import ProblemsError
    from {{ cookiecutter.package_name }}.pipeline import STEPS, run

    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", choices=SIZES, default="default")
    parser.add_argument("--env", default="local")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated (default: all)")
    args = parser.parse_args(argv)
    try:
        settings = bench_settings(args.env, args.folder, SIZES[args.size])
        seconds = run(settings, args.steps.split(","))
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
