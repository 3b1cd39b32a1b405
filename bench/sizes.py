"""How big each of the template's benchmarks is, beside the project's own sizes (whose P1
pipeline run is the data and the champion these measure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    overhead_trials: int  # tuning: trials timed against bare fits
    parallel_trials: int  # tuning: trials of the long objective, per tuner
    long_trial_seconds: float  # tuning: how long one trial of the long objective takes at least
    suite_scope: str | None  # suite: `make test` limited to these tests (PYTEST_ADDOPTS), or all


SIZES = {
    "default": Size(10, 6, 5.0, None),
    # Checks that every benchmark runs and the JSON is whole; its figures mean nothing.
    "tiny": Size(3, 3, 0.3, "tests/unit/test_gate.py"),
}
