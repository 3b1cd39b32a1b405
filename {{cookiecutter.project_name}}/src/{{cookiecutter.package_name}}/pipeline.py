"""The order of the pipeline's steps and the wiring of each step to its adapters; nothing else."""

from __future__ import annotations

import time
from collections.abc import Callable

from .adapters.spark import get_spark
from .adapters.tracking import configure_tracking
from .config import Settings
from .selection import load_cart


def check(settings: Settings) -> None:
    """Prove the settings, the feature cart, Spark and MLflow are usable before any work."""
    cart = load_cart(settings)
    groups = sorted({cart.groups[f] for f in cart.features})
    print(f"  features: {len(cart.features)} from {', '.join(groups)}; keys {', '.join(cart.keys)}")
    spark = get_spark(settings.spark, settings.storage, app_name=settings.project.name)
    print(f"  spark {spark.version} on {settings.spark.master or 'the platform session'}")
    experiment_id = configure_tracking(settings.tracking)
    print(
        f"  mlflow {settings.tracking.tracking_uri}, "
        f"experiment {settings.tracking.experiment_name!r} ({experiment_id})"
    )


STEPS: dict[str, Callable[[Settings], None]] = {"check": check}


def run(settings: Settings, steps: list[str]) -> dict[str, float]:
    """Run ``steps`` in order, printing each one's wall time; returns the times in seconds."""
    timings: dict[str, float] = {}
    for name in steps:
        print(f"[{name}] env={settings.env}")
        start = time.perf_counter()
        STEPS[name](settings)
        timings[name] = time.perf_counter() - start
        print(f"[{name}] done in {timings[name]:.1f} s")
    return timings
