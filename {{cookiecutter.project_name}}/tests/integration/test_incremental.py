"""Incremental features: a run computes only the snapshots its changes can affect, says why,
and never leaves snapshots of other definitions or stale values behind.

Triggers: new rows of an append-only source (the look-back), a change to a source that is not
append-only, a change to a feature definition (the mappings, a registered function's code), and
a change to the snapshot dates."""

from __future__ import annotations

import shutil
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.context import Platform
from {{ cookiecutter.package_name }}.errors import ConfigError, DataError
from {{ cookiecutter.package_name }}.pipeline import preflight
from {{ cookiecutter.package_name }}.tasks.data import features
from {{ cookiecutter.package_name }}.tasks.model import current_features
from {{ cookiecutter.package_name }}.validation import fingerprint

from conftest import EXAMPLE_CONF, add_env

MEMBERS = [("A", date(1960, 1, 1), "F", "commercial", 0.5, False)]
SPANS = [("A", date(2024, 1, 1), date(2024, 12, 31))]
EVENTS = [
    ("A", date(2024, 1, 10), "ed_visit", "ed"),
    ("A", date(2024, 5, 20), "ed_visit", "ed"),
]
SCHEMAS = {
    "members": "member_id string, birth_date date, sex string, plan_type string, deprivation_index double, rural boolean",
    "eligibility": "member_id string, start_date date, end_date date",
    "events": "member_id string, event_date date, event_type string, code string",
}
TEAM_MODULE = '''
    from pyspark.sql import functions as F

    from {{ cookiecutter.package_name }}.features.functions import aisle


    @aisle("test_visits_total")
    def visits_total(inputs):
        """Every event up to the as-of date."""
        events = inputs.sources["events"]
        counted = (
            inputs.spine.join(events, inputs.key)
            .where(F.col("event_date") <= F.col(inputs.as_of))
            .groupBy(*inputs.keys)
            .agg(F.count("*").cast("int").alias("visits_total"))
        )
        return inputs.spine.join(counted, inputs.keys, "left")
'''
TEAM_GROUP = {
    "description": "A group of the team's own code.",
    "python": "test_visits_total",
    "sources": ["events"],
    "features": {"visits_total": {"type": "integer", "description": "Events so far."}},
}


class Project:
    """A project folder whose settings a test changes between feature runs, as a team would."""

    def __init__(self, spark, root: Path, monkeypatch):
        self.spark, self.root, self.conf = spark, root, root / "conf"
        shutil.copytree(EXAMPLE_CONF, self.conf)
        (root / "team_aisles.py").write_text(textwrap.dedent(TEAM_MODULE))
        monkeypatch.syspath_prepend(str(root))
        monkeypatch.delitem(sys.modules, "team_aisles", raising=False)  # this test's own file
        self.env({"first": "2024-01-01", "every": "month", "last": "events"})
        self.mappings(lambda groups: groups.update(extra=TEAM_GROUP))

    def env(self, snapshots: dict) -> None:
        """An overlay merges into data.yml's snapshots: the keys it does not give are null."""
        way = dict.fromkeys(("first", "every", "last", "dates", "dates_of")) | snapshots
        features = {"lookback_days": 20, "modules": ["team_aisles"], "snapshots": way}
        add_env(self.conf, "inc", {"features": features})

    def mappings(self, change) -> None:
        path = self.conf / "feature_mappings.yml"
        data = yaml.safe_load(path.read_text())
        change(data["groups"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    def platform(self) -> Platform:
        settings = load_settings("inc", self.conf)
        p = Platform(settings, preflight(settings))
        p.spark = self.spark  # the test session; Platform would build an equal one
        return p

    def put(self, name: str, rows: list) -> None:
        p = self.platform()
        df = p.spark.createDataFrame(rows, SCHEMAS[name])
        metadata = {"fingerprint": fingerprint(df)}
        p.tables.write(df, name, metadata)

    def features(self, capsys) -> str:
        capsys.readouterr()
        features(self.platform())
        return capsys.readouterr().out

    def partitions(self) -> dict[str, frozenset[int]]:
        """Each partition of the feature table: its data files (an untouched one keeps them)."""
        p = self.platform()
        table = p.tables.location(p.settings.features.table)
        return {
            d.name: frozenset(f.stat().st_ino for f in d.glob("*.parquet"))
            for d in table.iterdir()
            if d.name.startswith("as_of_date=")
        }

    def column(self, name: str) -> dict[date, object]:
        return {r.as_of_date: r[name] for r in self.platform().store.read().collect()}


@pytest.fixture
def project(spark, tmp_path, monkeypatch) -> Project:
    project = Project(spark, tmp_path, monkeypatch)
    project.put("members", MEMBERS)
    project.put("eligibility", SPANS)
    project.put("events", EVENTS)
    return project


def redone(before: dict, after: dict) -> set[str]:
    return {name for name in after if after[name] != before.get(name)}


def test_first_run_computes_all_then_nothing_then_only_what_late_data_touches(
    project, capsys
) -> None:
    out = project.features(capsys)
    assert "no feature table yet: every snapshot computed" in out
    first = project.partitions()
    assert len(first) == 5  # 2024-01-01 .. 2024-05-01: the last event is on 2024-05-20
    assert project.platform().store.state()["watermark"] == "2024-05-01"

    assert "nothing processed" in project.features(capsys)  # same data, same definitions
    assert project.partitions() == first

    # Late data: an ED visit dated in May arrives, and a visit in July extends the data.
    late = [("A", date(2024, 5, 25), "ed_visit", "ed"), ("A", date(2024, 7, 3), "ed_visit", "ed")]
    project.put("events", [*EVENTS, *late])
    out = project.features(capsys)
    assert "2 new snapshot date(s)" in out
    assert "append-only source(s) events got new rows: snapshots after 2024-04-11" in out
    after = project.partitions()
    # Watermark 2024-05-01 less 20 days of look-back: May again, then the new June and July.
    assert redone(first, after) == {
        "as_of_date=2024-05-01",
        "as_of_date=2024-06-01",
        "as_of_date=2024-07-01",
    }
    visits = project.column("ed_visits_90d")
    assert visits[date(2024, 4, 1)] == 1  # (Jan 2, Apr 1]: the January visit; untouched
    assert visits[date(2024, 6, 1)] == 2  # (Mar 3, Jun 1]: May 20 and the late May 25
    assert visits[date(2024, 7, 1)] == 2  # the July 3 visit is after July 1: not yet


def test_a_change_to_a_source_that_is_not_append_only_recomputes_every_snapshot(
    project, capsys
) -> None:
    project.features(capsys)
    first = project.partitions()
    project.put("members", [(*MEMBERS[0][:5], True)])  # the member moved to a rural area
    out = project.features(capsys)
    assert "source(s) members changed and are not append-only: every snapshot recomputed" in out
    assert redone(first, project.partitions()) == set(first)
    assert set(project.column("rural").values()) == {True}  # old snapshots too: never stale


def test_a_changed_definition_recomputes_everything_and_stops_training_until_then(
    project, capsys
) -> None:
    project.features(capsys)
    current_features(project.platform())  # the table matches the definitions

    def shorter_window(groups):
        groups["utilisation"]["features"]["ed_visits_90d"]["days"] = 30

    project.mappings(shorter_window)
    with pytest.raises(DataError, match="other definitions of utilisation .* run features first"):
        current_features(project.platform())  # train and validate call this first
    first = project.partitions()
    out = project.features(capsys)
    assert "definitions changed (utilisation): every snapshot recomputed" in out
    assert redone(first, project.partitions()) == set(first)
    assert project.column("ed_visits_90d")[date(2024, 3, 1)] == 0  # Jan 10: 51 days before
    current_features(project.platform())


def test_a_changed_feature_function_recomputes_everything(project, capsys) -> None:
    project.features(capsys)
    assert project.column("visits_total")[date(2024, 5, 1)] == 1
    module = project.root / "team_aisles.py"
    module.write_text(module.read_text().replace('"""Every event', '"""All events'))
    first = project.partitions()
    out = project.features(capsys)
    assert "definitions changed (extra): every snapshot recomputed" in out
    assert redone(first, project.partitions()) == set(first)


def test_changed_snapshot_dates_are_computed_and_dropped_ones_removed(project, capsys) -> None:
    project.features(capsys)
    first = project.partitions()
    project.env({"first": "2024-01-15", "every": "month", "last": "events"})
    out = project.features(capsys)
    assert "5 snapshot(s) no longer configured, removed" in out
    assert "5 new snapshot date(s)" in out  # Jan 15 .. May 15, up to the last event (May 20)
    assert sorted(project.partitions()) == [f"as_of_date=2024-0{m}-15" for m in range(1, 6)]
    assert not set(first) & set(project.partitions())
    project.env({"dates": ["2024-02-15", "2024-03-01"]})
    out = project.features(capsys)
    assert "4 snapshot(s) no longer configured, removed" in out and "1 new snapshot" in out
    assert sorted(project.partitions()) == ["as_of_date=2024-02-15", "as_of_date=2024-03-01"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '.cast("int")',
            "",
            "groups.extra.features.visits_total: function 'test_visits_total' returns it as "
            "bigint; the group declares integer (int)",
        ),
        (
            '.alias("visits_total")',
            '.alias("visit_total")',
            "groups.extra.features.visits_total: function 'test_visits_total' returns no column "
            "'visits_total'; it returns: visit_total",
        ),
        (
            'F.col("event_date")',
            'F.col("event_day")',
            "groups.extra: function 'test_visits_total' failed: AnalysisException:",
        ),
    ],
    ids=["retyped", "renamed", "raises"],
)
def test_a_function_that_computes_other_columns_stops_features_before_it_reads_data(
    project, capsys, old: str, new: str, message: str
) -> None:
    module = project.root / "team_aisles.py"
    module.write_text(module.read_text().replace(old, new))
    sys.modules.pop("team_aisles", None)
    with pytest.raises(ConfigError) as caught:
        project.features(capsys)
    lines = caught.value.problems  # renamed: the missing column and the undeclared one
    assert any(message in line for line in lines), lines
    assert all(line.startswith(str(project.conf / "feature_mappings.yml")) for line in lines)
    assert not (project.platform().tables.path("supermarket")).exists()  # nothing written
