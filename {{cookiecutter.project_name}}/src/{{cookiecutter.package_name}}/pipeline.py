"""The order of the pipeline's steps, and what is checked before any of them runs."""

from __future__ import annotations

import time
from collections.abc import Callable

from .config import Settings
from .context import Platform
from .errors import ConfigError
from .selection import Cart, load_cart
from .tasks import checks, data, model, scoring
from .training import hyperopt_space
from .yamlfiles import suggest

STEPS: dict[str, Callable[[Platform], None]] = {
    "ingest": data.ingest,
    "validate-data": data.validate_data,
    "features": data.features,
    "train": model.train,
    "validate": model.validate,
    "deploy": model.deploy,
    "infer": scoring.infer,
    "deliver": scoring.deliver,
}
OTHER_COMMANDS: dict[str, Callable[[Platform], None]] = {
    "rollback": model.rollback,
    "verify": checks.verify,
}


def preflight(settings: Settings) -> Cart:
    """Everything that can be checked without Spark, checked before any step runs."""
    cart = load_cart(settings)
    hyperopt_space(settings.training.search_spaces[settings.training.estimator])
    problems = [
        f"{settings.source_of('delivery', 'extra_columns')}: delivery.extra_columns[{i}]: "
        f"unknown feature {name!r}" + suggest(name, list(cart.available))
        for i, name in enumerate(settings.delivery.extra_columns)
        if name not in cart.available
    ]
    if problems:
        raise ConfigError(problems)
    return cart


def run(settings: Settings, steps: list[str]) -> Platform:
    """Check everything that needs no Spark, then run ``steps`` in order, timing each."""
    platform = Platform(settings, preflight(settings))
    for name in steps:
        print(f"[{name}] env={settings.env}")
        start = time.perf_counter()
        (STEPS.get(name) or OTHER_COMMANDS[name])(platform)
        platform.timings[name] = time.perf_counter() - start
        print(f"[{name}] done in {platform.timings[name]:.1f} s")
    return platform
