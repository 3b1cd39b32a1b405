"""The order of the pipeline's steps, and what is checked before any of them runs."""

from __future__ import annotations

import time
from collections.abc import Callable

from .adapters import tracking
from .commands import OTHERS
from .commands import STEPS as STEP_NAMES
from .config import Settings
from .consistency import mapping_problems
from .context import Platform
from .errors import ConfigError
from .estimators import ESTIMATORS, space_problems, spark_space_problems
from .features.functions import registered
from .selection import Cart, load_cart
from .synthetic import TABLES as SYNTHETIC_TABLES
from .tasks import checks, data, model, scoring
from .yamlfiles import suggest

# What each command of commands.py does; a name missing here fails at import.
_ACTIONS: dict[str, Callable[[Platform], None]] = {
    "ingest": data.ingest,
    "validate-data": data.validate_data,
    "features": data.features,
    "train": model.train,
    "validate": model.validate,
    "deploy": model.deploy,
    "infer": scoring.infer,
    "deliver": scoring.deliver,
    "rollback": model.rollback,
    "verify": checks.verify,
}
STEPS = {name: _ACTIONS[name] for name in STEP_NAMES}  # in the order `run` runs them
OTHER_COMMANDS = {name: _ACTIONS[name] for name in OTHERS}


def _git_problems(settings: Settings) -> list[str]:
    """A tree with uncommitted changes, where the settings ask for committed code only."""
    if not settings.tracking.require_clean_git:
        return []
    changes = tracking.git_changes(settings.root)
    if not changes:  # clean, or git cannot tell (then the commit is recorded as unknown)
        return []
    where = settings.source_of("tracking", "require_clean_git")
    shown = ", ".join(changes[:5]) + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")
    return [
        f"{where}: tracking.require_clean_git: the working tree has uncommitted changes "
        f"({shown}): {settings.env} runs committed code only; commit or stash them"
    ]


def preflight(settings: Settings) -> Cart:
    """Everything that can be checked without Spark, checked before any step runs: the
    configuration (`check_conf`) and the code's git state."""
    cart = check_conf(settings)
    problems = _git_problems(settings)
    if problems:
        raise ConfigError(problems)
    return cart


def check_conf(settings: Settings) -> Cart:
    """The feature files, every name they and the settings use, and the search space; the
    cart, or a ConfigError listing every problem."""
    cart = load_cart(settings)
    functions = registered(settings.features.modules, settings.source_of("features", "modules"))
    problems = mapping_problems(settings, cart.mappings, functions, cart.mappings_file)
    problems += space_problems(settings)
    problems += [
        f"{settings.source_of('delivery', 'extra_columns')}: delivery.extra_columns[{i}]: "
        f"unknown feature {name!r}" + suggest(name, list(cart.available))
        for i, name in enumerate(settings.delivery.extra_columns)
        if name not in cart.available
    ]
    problems += [
        f"{settings.source_of('training', 'leak_guard')}: training.leak_guard.allow[{i}]: "
        f"unknown feature {name!r}" + suggest(name, list(cart.available))
        for i, name in enumerate(settings.training.leak_guard.allow)
        if name not in cart.available
    ]
    problems += [
        f"{settings.source_of('cohorts', 'slices', name)}: cohorts.slices.{name}.column: "
        f"unknown feature {spec.column!r}" + suggest(spec.column, list(cart.available))
        for name, spec in settings.cohorts.slices.items()
        if spec.column and spec.column not in cart.available
    ]
    for name, spec in settings.sources.items():
        table = spec.table or name
        if spec.format == "synthetic" and table not in SYNTHETIC_TABLES:
            key = "table" if spec.table else "format"
            problems.append(
                f"{settings.source_of('sources', name)}: sources.{name}.{key}: the synthetic "
                f"health plan has no table {table!r}" + suggest(table, list(SYNTHETIC_TABLES))
            )
    if problems:
        raise ConfigError(problems)
    return cart


def run(settings: Settings, steps: list[str]) -> dict[str, float]:
    """Check everything that needs no Spark, then run ``steps`` in order; the seconds each took
    (printed as each ends; the delivery report reads them back from the tracked runs)."""
    platform = Platform(settings, preflight(settings))
    spaces = settings.training.search_spaces
    if "train" in steps and any(ESTIMATORS[n].kind == "spark" for n in spaces):
        problems = spark_space_problems(settings, platform.spark)  # the JVM's own validators
        if problems:
            raise ConfigError(problems)
    if any(name in STEPS for name in steps):  # each opens a tracked run; conf is known good
        platform.open_tracking_in_background()
    seconds: dict[str, float] = {}
    for name in steps:
        print(f"[{name}] env={settings.env}")
        start = time.perf_counter()
        (STEPS.get(name) or OTHER_COMMANDS[name])(platform)
        seconds[name] = time.perf_counter() - start
        print(f"[{name}] done in {seconds[name]:.1f} s")
    return seconds
