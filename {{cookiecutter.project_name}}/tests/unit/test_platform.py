"""The platform's tracking store opened in the background while the first step starts Spark:
made once, in another thread, and its errors raised where it is first used."""

from __future__ import annotations

import threading
from pathlib import Path

import mlflow
import pytest

from {{ cookiecutter.package_name }} import context
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.context import Platform
from {{ cookiecutter.package_name }}.pipeline import preflight


@pytest.fixture
def p(conf_dir: Path) -> Platform:
    settings = load_settings("local", conf_dir)
    return Platform(settings, preflight(settings))


def test_tracking_opened_in_the_background_is_the_store_used_later(p: Platform, monkeypatch):
    made: list[str] = []

    class Recorded(context.Tracking):
        def __init__(self, *args):
            made.append(threading.current_thread().name)
            super().__init__(*args)

    monkeypatch.setattr(context, "Tracking", Recorded)
    p.open_tracking_in_background()
    p.open_tracking_in_background()  # a second call opens nothing more
    tracking = p.tracking  # waits for the thread
    experiment = mlflow.get_experiment_by_name(p.settings.tracking.experiment_name)
    assert tracking.experiment_id == experiment.experiment_id
    assert mlflow.get_tracking_uri() == p.settings.tracking.tracking_uri
    assert p.tracking is p.tracking
    assert len(made) == 1 and made[0].startswith("open-tracking")


def test_a_store_that_fails_to_open_fails_where_tracking_is_first_used(p: Platform, monkeypatch):
    class RefusedError(Exception):
        pass

    def refuse(*args):
        raise RefusedError("the tracking store refused the connection")

    monkeypatch.setattr(context, "Tracking", refuse)
    p.open_tracking_in_background()  # raises nothing here
    with pytest.raises(RefusedError, match="refused the connection"):
        _ = p.tracking
