"""Cohorts: slices cut the holdout into cohorts, each measured like the whole; small ones are
listed as too small to judge, and the gate applies its cohort rules to the others. The slices
here are this test's own, not the example's."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F

from {{ cookiecutter.package_name }}.cohorts import (
    bin_names,
    evaluate,
    members,
    population,
    where_column,
)
from {{ cookiecutter.package_name }}.declarations import CohortSettings, CohortSlice
from {{ cookiecutter.package_name }}.gate import Rule, decide
from {{ cookiecutter.package_name }}.uncertainty import compare

BOUNDS = {"level": 0.9, "resamples": 200, "seed": 0}


def test_bins_name_half_open_ranges() -> None:
    assert bin_names([18, 65]) == ["<18", "[18, 65)", ">=65"]
    assert bin_names([0.5]) == ["<0.5", ">=0.5"]


def test_a_number_falls_in_exactly_one_bin_and_nulls_are_a_cohort_of_their_own() -> None:
    frame = pd.DataFrame({"age": [3, 18, 64, 65, 90, None]})
    found = members(frame, "age_band", CohortSlice(column="age", bins=[18, 65]))
    assert {k: v.nonzero()[0].tolist() for k, v in found.items()} == {
        "<18": [0],
        "[18, 65)": [1, 2],
        ">=65": [3, 4],
        "missing": [5],
    }


def test_a_categorical_column_gives_a_cohort_per_value_and_a_filter_one_cohort() -> None:
    frame = pd.DataFrame({"region": ["north", "south", None, "north"]})
    frame[where_column("busy")] = [True, None, False, True]
    by_value = members(frame, "region", CohortSlice(column="region"))
    assert {k: v.sum() for k, v in by_value.items()} == {"north": 2, "south": 1, "missing": 1}
    assert members(frame, "busy", CohortSlice(where="visits > 2"))["true"].tolist() == [
        True,
        False,
        False,
        True,
    ]


def holdout(n: int = 4_000, seed: int = 0) -> pd.DataFrame:
    """A holdout in which the challenger is good for group a and useless for group b (a tenth
    of the rows), and a handful of rows form a tiny group c."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], size=n, p=[0.9, 0.1]).astype(object)
    group[:30] = "c"
    label = (rng.random(n) < 0.25).astype(int)
    signal = np.where(group == "b", 0.0, 2.0)
    challenger = 1 / (1 + np.exp(-(signal * label + rng.normal(0, 1, n))))
    champion = 1 / (1 + np.exp(-(1.5 * label + rng.normal(0, 1, n))))
    return pd.DataFrame({"label": label, "group": group, "s_new": challenger, "s_old": champion})


SETTINGS = CohortSettings(
    min_rows=100, min_positives=10, slices={"group": CohortSlice(column="group")}
)


def test_each_cohort_is_measured_and_a_small_one_is_listed_not_dropped() -> None:
    frame = holdout()
    found = {
        c.name: c
        for c in evaluate(
            frame, {"challenger": "s_new", "champion": "s_old"}, SETTINGS, "roc_auc", **BOUNDS
        )  # fmt: skip
    }
    assert set(found) == {"group=a", "group=b", "group=c"}
    assert sum(c.rows for c in found.values()) == len(frame)  # every row in one cohort
    small = found["group=c"]
    assert (small.judged, small.rows, small.metrics, small.gain) == (False, 30, {}, None)
    good, bad = found["group=a"], found["group=b"]
    assert good.judged and bad.judged
    assert good.metrics["challenger"]["roc_auc"] > 0.8
    assert 0.35 < bad.metrics["challenger"]["roc_auc"] < 0.65  # no signal for b
    assert bad.gain.high < 0  # the champion is clearly better for b
    assert bad.primary["challenger"].low < bad.metrics["challenger"]["roc_auc"]
    assert set(bad.calibration) == {"challenger", "champion"}
    assert good.as_dict()["cohort"] == "group=a"


def test_the_gate_rejects_a_challenger_that_fails_one_cohort() -> None:
    frame = holdout()
    scores = {"challenger": "s_new", "champion": "s_old"}
    cohorts = evaluate(frame, scores, SETTINGS, "roc_auc", **BOUNDS)
    y = frame["label"].to_numpy()
    overall = compare("roc_auc", y, frame["s_new"].to_numpy(), frame["s_old"].to_numpy(), **BOUNDS)
    new, old = {"roc_auc": overall.challenger.value}, {"roc_auc": overall.champion.value}
    assert decide(new, old, Rule(), overall).promote  # better overall
    guarded = Rule(cohort_max_drop=0.05)
    decision = decide(new, old, guarded, overall, cohorts)
    assert not decision.promote
    [drop] = [r for r in decision.reasons if r.startswith("cohort group=b")]
    assert "worse by" in drop and "more than gate.cohorts.max_drop 0.0500" in drop
    assert decision.reasons[-1] == (
        "cohorts: 2 judged, 1 failing the cohort rules; 1 too small to judge: group=c (30 rows, "
        f"{int(frame.label[:30].sum())} positive)"
    )
    floor = decide(new, None, Rule(cohort_floors={"roc_auc": 0.7}), None, cohorts)
    assert not floor.promote  # a first model too: group b is below the cohort floor
    assert any(
        "cohort group=b" in r and "< floor 0.7000 (cohort floor)" in r for r in floor.reasons
    )
    assert decide(new, None, Rule(cohort_floors={"roc_auc": 0.3}), None, cohorts).promote


def test_reasons_too_long_for_a_tag_are_cut_short_on_the_version() -> None:
    from {{ cookiecutter.package_name }}.tasks.model import TAG_CHARACTERS, _tag_text

    text = " | ".join(f"cohort plan=p{i} (12 rows, 1 positive)" for i in range(400))
    cut = _tag_text(text)
    assert len(cut) == TAG_CHARACTERS and cut.startswith(text[:100])
    assert cut.endswith("(cut short: the rest is in gate/comparison.json)")
    assert _tag_text("roc_auc 0.8 >= floor 0.7") == "roc_auc 0.8 >= floor 0.7"


POPULATIONS = CohortSettings(
    slices={
        "age_band": CohortSlice(column="years", bins=[18, 65.5]),
        "region": CohortSlice(column="region"),
        "insured": CohortSlice(column="insured"),
        "busy": CohortSlice(where="visits >= 3 and region <> 'o''hara'"),
    }
)
TYPES = {"years": "integer", "region": "string", "insured": "boolean", "visits": "integer"}


def test_a_cart_names_its_cohort_as_a_filter_spark_reads() -> None:
    busy = population(POPULATIONS, "busy", TYPES)
    assert busy.where == POPULATIONS.slices["busy"].where
    assert busy.columns == ("region", "visits")  # only the columns the filter names
    assert population(POPULATIONS, "age_band=<18", TYPES).where == "`years` < 18"
    assert population(POPULATIONS, "age_band=[18, 65.5)", TYPES).where == (
        "`years` >= 18 AND `years` < 65.5"
    )
    assert population(POPULATIONS, "age_band=missing", TYPES).where == "`years` IS NULL"
    assert population(POPULATIONS, "insured=True", TYPES).where == "`insured` = true"
    found = population(POPULATIONS, "region=o'hara", TYPES)
    assert (found.where, found.columns) == ("CAST(`region` AS STRING) = 'o\\'hara'", ("region",))
    assert found.tag == "region=o'hara: CAST(`region` AS STRING) = 'o\\'hara'"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("bsy", "'bsy' is not a cohort: name a where slice (busy) or <slice>=<value> of a column"),
        ("busy=true", "'busy=true' is not a cohort"),  # a where slice has no values
        ("region=", "'region=' is not a cohort"),
        ("age_band=18-65", "slice 'age_band' cuts 'years' into <18, [18, 65.5), >=65.5"),
    ],
)
def test_a_cohort_no_slice_makes_is_refused_with_the_names_it_could_be(name, words) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        population(POPULATIONS, name, TYPES)


def test_spark_keeps_exactly_the_rows_the_cohort_holds_on_the_holdout(spark) -> None:
    """The filter a cart trains and scores on, and the membership validate measures, agree."""
    frame = pd.DataFrame(
        {
            "years": [3, 18, 40, 65, 66, 90, None],
            "region": ["north", "o'hara", None, "north", "south", "o'hara", "north"],
            "insured": [True, False, True, None, True, False, True],
            "visits": [5, 3, 0, 7, 1, 4, 3],
        }
    )
    frame["years"] = frame["years"].astype("Int64")
    rows = spark.createDataFrame(frame.astype(object).where(frame.notna(), None)).withColumn(
        "row", F.monotonically_increasing_id()
    )
    ids = [r["row"] for r in rows.select("row").collect()]  # in frame order
    for name, spec in POPULATIONS.slices.items():
        if spec.where is not None:
            busy = ((frame.visits >= 3) & (frame.region != "o'hara")).astype(object)
            frame[where_column(name)] = busy.where(frame.region.notna(), None)  # null: out
        for value, held in members(frame, name, spec).items():
            cohort = name if spec.where is not None else f"{name}={value}"
            kept = rows.where(F.expr(population(POPULATIONS, cohort, TYPES).where))
            assert sorted(r["row"] for r in kept.select("row").collect()) == sorted(
                ids[i] for i in held.nonzero()[0]
            ), cohort
