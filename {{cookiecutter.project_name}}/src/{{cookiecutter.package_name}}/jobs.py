"""What a Databricks job task runs: one pipeline step for one environment, from a notebook's
widgets (classic compute) or a script's arguments (serverless: jobs/run_task.py, `main`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import pipeline
from .commands import TASKS
from .config import as_score_date, load_settings
from .errors import ConfigError


def run_task(
    task: str, env: str, conf_dir: str | Path, score_date: str = "", developer: str = ""
) -> None:
    """Run the step behind ``task`` (e.g. ``validate_data``) with the settings of ``env``.

    ``score_date`` (YYYY-MM-DD) overrides ``inference.score_date``; empty keeps the configured
    one. ``developer`` is whose per-developer environment (dev) this is; empty for a shared
    one. Any problem raises a ``ProblemsError`` that lists every problem, so the task fails and
    the failure notice names them; nothing is written before the configuration checks pass.
    """
    step = TASKS.get(task)
    if step is None:
        raise ConfigError([f"task {task!r}: no such step; tasks: {', '.join(TASKS)}"])
    if not env.strip():
        raise ConfigError(["widget env is empty: set it to the environment (dev, staging or prod)"])
    day = as_score_date(score_date, "widget score_date")
    settings = load_settings(
        env.strip(), conf_dir, developer=developer.strip() or None, score_date=day
    )
    pipeline.run(settings, [step])


def main(argv: list[str], conf_dir: str | Path) -> None:
    """``run_task`` from a script's arguments:
    TASK --env ENV [--score-date YYYY-MM-DD] [--developer NAME]."""
    parser = argparse.ArgumentParser(prog="run_task.py", description=main.__doc__)
    parser.add_argument("task", help=f"one of {', '.join(TASKS)}")
    parser.add_argument("--env", required=True, help="the environment (dev, staging or prod)")
    parser.add_argument("--score-date", default="", help="YYYY-MM-DD; empty: the configured one")
    parser.add_argument(
        "--developer", default="", help="whose per-developer environment (dev) this is"
    )
    args = parser.parse_args(argv)
    run_task(
        args.task,
        env=args.env,
        conf_dir=conf_dir,
        score_date=args.score_date,
        developer=args.developer,
    )
