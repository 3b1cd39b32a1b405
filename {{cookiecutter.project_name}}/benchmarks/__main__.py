"""`make bench`: python -m benchmarks [--size default|tiny] [--cases ...] [--out FILE]

Runs the chosen benchmarks in order and writes one JSON file (described by schema.json): the
machine, the settings, and for each benchmark its figures (medians of ``--repeat`` runs, every
run listed) and its targets, each met or not. The targets are for the default size on two cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from {{ cookiecutter.package_name }}.adapters.tracking import git_commit
from {{ cookiecutter.package_name }}.errors import ProblemsError

from . import incremental, inference, pipeline
from .common import PROJECT, SIZES, BenchError, Context, machine

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
    names = list(CASES) if args.cases == "all" else [c.strip() for c in args.cases.split(",")]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(
            f"--cases: unknown {', '.join(unknown)}; choose from {', '.join(CASES)}",
            file=sys.stderr,
        )
        return 2
    if args.repeat < 3:
        print(f"--repeat {args.repeat}: a median needs at least 3 runs", file=sys.stderr)
        return 2
    out = args.out or PROJECT / "reports" / f"bench-{args.size}.json"
    ctx = Context(args.size, args.env, args.repeat, PROJECT / ".bench" / args.size)
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    results = {}
    try:
        ctx.settings(ctx.pipeline_folder)  # an unusable environment stops here, not midway
        for name in (n for n in CASES if n in names):
            print(f"[{LABELS[name]} {name}] size={args.size}")
            seconds_before = time.perf_counter()
            results[name] = CASES[name](ctx)
            print(f"[{LABELS[name]} {name}] done in {time.perf_counter() - seconds_before:.0f} s")
    except BenchError as error:
        print(f"benchmark failed, nothing written: {error}", file=sys.stderr)
        return 1
    except ProblemsError as error:
        print(
            f"benchmark failed, nothing written: {error.kind}:",
            *error.problems,
            sep="\n  ",
            file=sys.stderr,
        )
        return error.exit_code
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
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".json.partial")
    partial.write_text(json.dumps(report, indent=2) + "\n")
    partial.replace(out)
    missed = [
        f"{label} {t['metric']} = {t['value']} (target {t['op']} {t['limit']})"
        for label, result in report["results"].items()
        for t in result["targets"]
        if not t["met"]
    ]
    print(f"wrote {out}")
    if report["targets_apply"]:
        print("targets missed:" if missed else "every target met", *missed, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
