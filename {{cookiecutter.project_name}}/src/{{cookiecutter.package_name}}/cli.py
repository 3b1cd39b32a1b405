"""Command line: one pipeline step, `run` for all of them in order, `rollback`, `verify`,
or `ui`.

python -m {{ cookiecutter.package_name }} <step> --env <env>
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .commands import COMMANDS
from .config import as_score_date, load_settings
from .errors import ProblemsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }}",
        description={{ cookiecutter.__description_python }},
    )
    parser.add_argument(
        "step",
        choices=[command.name for command in COMMANDS],
        help="; ".join(f"{command.name}: {command.does}" for command in COMMANDS),
    )
    parser.add_argument(
        "--env",
        default="local",
        help="the environment, by name: its overlay is conf/envs/<env>.yml (default: local)",
    )
    parser.add_argument(
        "--conf-dir", type=Path, default=Path("conf"), help="configuration folder (default: conf)"
    )
    parser.add_argument(
        "--developer",
        help="whose per-developer environment (dev) this is: fills in its ${developer}",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="folder of data.yml and the feature files (default: the configuration folder)",
    )
    parser.add_argument(
        "--score-date",
        default="",
        help="score and deliver for this date (YYYY-MM-DD) instead of inference.score_date",
    )
    parser.add_argument("--port", type=int, default=5000, help="port of `ui` (default: 5000)")
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="with run: each step in a Python process of its own, as Databricks job tasks run",
    )
    return parser


def _run_isolated(argv: list[str], steps: list[str]) -> int:
    """Each step as ``python -m <package> <step> <the same options>``, one process each, in
    order; the first that fails stops the run with its exit code."""
    options = [a for a in argv if a not in ("run", "--isolated")]
    for step in steps:
        done = subprocess.run([sys.executable, "-m", __package__, step, *options], check=False)
        if done.returncode:
            return done.returncode
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the chosen step(s). Exit codes: 0 done, 2 configuration, 3 data, 4 registry state,
    5 challenger rejected with gate.fail_on_reject, 6 verify found a problem, 7 another run is
    writing a table the step writes, 8 the disk refused a write, 9 training made no model.
    Configuration is checked whole first."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        day = as_score_date(args.score_date, "--score-date")
        settings = load_settings(args.env, args.conf_dir, args.data_dir, args.developer, day)
        from . import pipeline  # Spark and MLflow: imported once the settings are known good
        from .adapters.tracking import serve_ui

        if args.step == "ui":
            return serve_ui(settings.tracking, args.port)
        steps = list(pipeline.STEPS) if args.step == "run" else [args.step]
        if args.isolated:
            pipeline.preflight(settings)  # every configuration problem before any process starts
            code = _run_isolated(argv, steps)
            if code:
                return code
        else:
            pipeline.run(settings, steps)
    except ProblemsError as error:
        print(f"{error.kind} ({len(error.problems)}), nothing more was done:", file=sys.stderr)
        for line in error.problems:
            print(f"  {line}", file=sys.stderr)
        return error.exit_code
    if "deliver" in steps and settings.storage.warehouse_dir is not None:
        print("Where to look:")
        print(f"  worklist CSV and report: {settings.delivery.csv_dir}")
        tables = settings.storage.warehouse_dir / settings.storage.schema_name
        print(f"  tables:                  {tables}")
        print("  MLflow runs and models:  make ui, then http://127.0.0.1:5000")
    return 0
