"""`make bench`: python -m benchmarks [--size default|tiny] [--cases ...] [--out FILE]

Runs the chosen benchmarks in order and writes one JSON file (described by schema.json): the
machine, the settings, and for each benchmark its figures (medians of ``--repeat`` runs, every
run listed) and its targets, each met or not. The targets are for the default size on two cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from {{ cookiecutter.package_name }}.adapters.tracking import git_commit
from {{ cookiecutter.package_name }}.errors import ProblemsError

from . import incremental, inference, pipeline
from .common import (
    PROJECT,
    SIZES,
    BenchError,
    Context,
    chosen_cases,
    machine,
    run_cases,
    stopped,
    write_report,
)

CASES = {  # P1..P3, in the order they run
    "pipeline": pipeline.run_case,
    "inference": inference.run_case,
    "incremental": incremental.run_case,
}
LABELS = {"pipeline": "P1", "inference": "P2", "incremental": "P3"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", choices=SIZES, default="default")
    parser.add_argument("--env", default="local", help="a local environment (default: local)")
    parser.add_argument(
        "--cases",
        default="all",
        help=f"comma-separated, of {', '.join(CASES)} (default: all)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (at least 3)")
    parser.add_argument(
        "--out", type=Path, help="the JSON file (default: reports/bench-<size>.json)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = args.out or PROJECT / "reports" / f"bench-{args.size}.json"
    ctx = Context(args.size, args.env, args.repeat, PROJECT / ".bench" / args.size)
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    try:
        names = chosen_cases(args.cases, CASES, args.repeat)
        ctx.settings(ctx.pipeline_folder)  # an unusable environment stops here, not midway
        results = run_cases(CASES, LABELS, names, ctx, args.size)
    except (BenchError, ProblemsError) as error:
        return stopped(error)
    report = {
        "schema_version": 2,
        "project": PROJECT.name,
        "git_commit": git_commit(PROJECT),
        "size": args.size,
        "repeat": args.repeat,
        "targets_apply": args.size == "default",
        "started_at": started.isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - clock, 1),
        "machine": machine(),
        "results": {LABELS[name]: {"name": name, **results[name]} for name in results},
    }
    write_report(report, out, report["results"].items())
    return 0


if __name__ == "__main__":
    sys.exit(main())
