"""The synthetic health plan: deterministic, consistent, and labelled by its own definition."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import SyntheticSource
from {{ cookiecutter.package_name }}.synthetic import generate

SPEC = SyntheticSource(
    members=3_000, seed=11, start_date=date(2024, 1, 1), end_date=date(2025, 6, 30)
)


@pytest.fixture(scope="module")
def plan() -> dict[str, pd.DataFrame]:
    return generate(SPEC)


def test_same_seed_same_data_other_seed_other_data(plan) -> None:
    again = generate(SPEC)
    assert all(plan[name].equals(again[name]) for name in plan)
    other = generate(SPEC.model_copy(update={"seed": 12}))
    assert not plan["events"].equals(other["events"])


def test_shapes_and_keys(plan) -> None:
    assert len(plan["members"]) == 3_000 and plan["members"]["member_id"].is_unique
    assert set(plan["events"]["event_type"]) == {
        "admission",
        "ed_visit",
        "diagnosis",
        "prescription",
    }
    assert not plan["labels"].duplicated(["member_id", "as_of_date"]).any()
    assert (
        plan["events"]["event_date"]
        .between(pd.Timestamp(SPEC.start_date), pd.Timestamp(SPEC.end_date))
        .all()
    )


def test_few_events_fall_outside_eligibility(plan) -> None:
    joined = plan["events"].merge(plan["eligibility"], on="member_id")
    inside = joined["event_date"].between(joined["start_date"], joined["end_date"])
    outside = 1 - inside.groupby([joined["member_id"], joined["event_date"]]).any().mean()
    assert 0 < outside < 0.01


def test_label_is_an_unplanned_admission_within_the_horizon(plan) -> None:
    admissions = plan["events"].query("event_type == 'admission' and code == 'unplanned'")
    joined = plan["labels"].merge(admissions, on="member_id", how="left")
    days = (joined["event_date"] - joined["as_of_date"]).dt.days
    hit = (
        joined.assign(hit=(days > 0) & (days <= SPEC.label_horizon_days))
        .groupby(["member_id", "as_of_date"])["hit"]
        .any()
    )
    labels = plan["labels"].set_index(["member_id", "as_of_date"])["label"]
    assert (labels.sort_index() == hit.sort_index().astype(int)).all()
    assert 0.02 < labels.mean() < 0.12


def test_as_of_dates_are_month_starts_with_a_full_horizon_of_eligibility(plan) -> None:
    labels = plan["labels"]
    assert (labels["as_of_date"].dt.day == 1).all()
    end = labels["as_of_date"] + pd.Timedelta(days=SPEC.label_horizon_days)
    joined = labels.assign(end=end).merge(plan["eligibility"], on="member_id")
    covered = (joined["as_of_date"] >= joined["start_date"]) & (joined["end"] <= joined["end_date"])
    assert covered.groupby([joined["member_id"], joined["as_of_date"]]).any().all()
    assert np.all(labels["as_of_date"] >= pd.Timestamp(date(2024, 6, 29)))
