"""The template's `make bench`, inside a generated project:
python -m bench --project-report FILE [--size default|tiny] [--cases ...] [--out FILE]

Runs the template's benchmarks in order (T3 first, before this process starts Spark) and
writes one JSON file (schema.json): the machine, the settings, the project's own report
(``--project-report``, written by its `make bench` just before), and for each benchmark its
figures (medians of ``--repeat`` runs, every run listed) and its targets, each met or not.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import (
    PROJECT,
    BenchError,
    Context,
    ProblemsError,
    chosen_cases,
    machine,
    run_cases,
    stopped,
    write_report,
)

from . import scoring, suite, tuning
from .context import Claims, module
from .sizes import SIZES

CASES = {"suite": suite.run_case, "tuning": tuning.run_case, "scoring": scoring.run_case}
LABELS = {"tuning": "T1", "scoring": "T2", "suite": "T3"}
TEMPLATE = Path(__file__).resolve().parents[1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--project-report", type=Path, required=True, help="its make bench JSON")
    parser.add_argument("--size", choices=SIZES, default="default")
    parser.add_argument("--env", default="local", help="a local environment (default: local)")
    parser.add_argument(
        "--cases", default="all", help=f"comma-separated, of {', '.join(CASES)} (default: all)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (at least 3)")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file")
    parser.add_argument("--cookiecutter", help="the cookiecutter command, to time generation")
    return parser


def _project_report(path: Path, size: str) -> dict:
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BenchError(f"--project-report {path}: cannot be read ({error})") from None
    if report.get("size") != size:
        raise BenchError(
            f"--project-report {path}: is for size {report.get('size')!r}, not {size!r}: run the "
            "project's make bench at the same SIZE first"
        )
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started, clock = datetime.now(UTC), time.perf_counter()
    project = Context(args.size, args.env, args.repeat, PROJECT / ".bench" / args.size)
    claims = Claims(project, TEMPLATE, args.cookiecutter)
    try:
        names = chosen_cases(args.cases, CASES, args.repeat)
        report = _project_report(args.project_report, args.size)
        results = run_cases(CASES, LABELS, names, claims, args.size)
    except (BenchError, ProblemsError) as error:
        return stopped(error)
    out = {
        "schema_version": 1,
        "template_commit": module("adapters.tracking").git_commit(TEMPLATE),
        "size": args.size,
        "repeat": args.repeat,
        "targets_apply": args.size == "default",
        "started_at": started.isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - clock, 1),
        "machine": machine(),
        "project": report,
        "results": {LABELS[n]: {"name": n, **results[n]} for n in sorted(results, key=LABELS.get)},
    }
    write_report(out, args.out, [*report["results"].items(), *out["results"].items()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
