"""Command line: one pipeline step, or ``run`` for all of them in order.

python -m {{ cookiecutter.package_name }} <step> --env <env>
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import pipeline
from .config import load_settings
from .errors import ConfigError, DataError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }}",
        description={{ cookiecutter.description | tojson }},
    )
    parser.add_argument(
        "step", choices=[*pipeline.STEPS, "run"], help="one step, or 'run' for all in order"
    )
    parser.add_argument(
        "--env", default="local", help="settings overlay conf/envs/<env>.yml (default: local)"
    )
    parser.add_argument(
        "--conf-dir", type=Path, default=Path("conf"), help="configuration folder (default: conf)"
    )
    return parser


EXIT_CODES = {ConfigError: 2, DataError: 3}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen step(s): 0 on success, 2 for unusable configuration, 3 for unusable data.

    Configuration is checked whole before any step starts Spark.
    """
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.env, args.conf_dir)
        steps = list(pipeline.STEPS) if args.step == "run" else [args.step]
        pipeline.run(settings, steps)
    except (ConfigError, DataError) as error:
        kind = "configuration" if isinstance(error, ConfigError) else "data"
        print(f"{kind} error ({len(error.problems)}), nothing more was done:", file=sys.stderr)
        for line in error.problems:
            print(f"  {line}", file=sys.stderr)
        return EXIT_CODES[type(error)]
    return 0
