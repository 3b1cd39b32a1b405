"""Bad data stops the run at validation, naming the file, the source and the column, with exit 3
and no traceback; nothing downstream is made. Columns a source has but does not declare are
listed (or refused, with validation.strict)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient
from pyspark.sql import functions as F

from {{ cookiecutter.package_name }}.adapters.tables import POINTER, LocalTables
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.validation import fingerprint

from conftest import add_env

GOOD = {
    "members.csv": [
        "MEMBER_KEY,birth_date,sex,plan_type,deprivation_index,rural",
        "M1,1950-05-01,F,medicare_advantage,0.4,false",
        "M2,1980-01-15,M,commercial,0.2,true",
        "M3,1990-03-03,F,medicaid,0.8,false",
    ],
    "eligibility.csv": [
        "member_id,start_date,end_date",
        "M1,2024-01-01,2025-12-31",
        "M2,2024-01-01,2024-12-31",
        "M3,2024-03-01,2025-12-31",
    ],
    "events.csv": [
        "member_id,event_date,event_type,code",
        "M1,2024-02-01,admission,unplanned",
        "M1,2024-03-01,diagnosis,CHF",
        "M2,2024-06-01,ed_visit,ed",
        "M2,2025-03-01,ed_visit,ed",  # after M2's eligibility ended: dropped and counted
        "M3,2024-04-01,prescription,SSRI",
    ],
    "labels.csv": [
        "member_id,as_of_date,label",
        "M1,2024-07-01,1",
        "M2,2024-07-01,0",
        "M3,2024-07-01,0",
    ],
}


def files_env(
    conf_dir: Path,
    data: dict[str, list[str]],
    max_dropped: float = 0.5,
    strict: bool = False,
    batch: dict | None = None,
) -> Path:
    """An environment `files` whose four sources are the CSV files of ``data``."""
    folder = conf_dir.parent / "data"
    folder.mkdir(exist_ok=True)
    for name, lines in data.items():
        (folder / name).write_text("\n".join(lines) + "\n")
    sources = {name[:-4]: {"format": "csv", "path": f"data/{name}"} for name in GOOD}
    sources["members"]["columns"] = {"member_id": {"type": "string", "from": "MEMBER_KEY"}}
    add_env(
        conf_dir,
        "files",
        {
            "sources": sources,
            "validation": {
                "today": "2026-01-01",
                "max_dropped_fraction": max_dropped,
                "strict": strict,
                **({"batch": batch} if batch else {}),
            },
        },
    )
    return folder


def tables_folder(conf_dir: Path) -> Path:
    storage = load_settings("files", conf_dir).storage
    return storage.warehouse_dir / storage.schema_name


def clean_tables(spark, conf_dir: Path) -> LocalTables:
    """The clean tables validate-data writes, read as the steps read them."""
    return LocalTables(spark, tables_folder(conf_dir))


def run_steps(conf_dir: Path) -> int:
    code = main(["ingest", "--env", "files", "--conf-dir", str(conf_dir)])
    return code or main(["validate-data", "--env", "files", "--conf-dir", str(conf_dir)])


def tracked_steps(conf_dir: Path) -> list[str]:
    """The step tag of each run in the project's local tracking store, oldest first."""
    client = MlflowClient(f"sqlite:///{conf_dir.parent / '.local' / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, order_by=["attributes.start_time ASC"])
    return [run.data.tags.get("step", "") for run in runs]


def changed(file: str, old: str | None, new: str | None) -> dict[str, list[str]]:
    """GOOD with one line of ``file`` replaced (old None: appended; new None: removed)."""
    data = {name: list(lines) for name, lines in GOOD.items()}
    lines = data[file]
    if old is None:
        lines.append(new)
    elif new is None:
        lines.remove(old)
    else:
        lines[lines.index(old)] = new
    return data


BAD = [
    (
        "missing-column",
        changed(
            "events.csv", "member_id,event_date,event_type,code", "member_id,event_date,kind,code"
        ),
        "events.csv (source events): missing column 'event_type'; it has: member_id, event_date, kind, code",
    ),
    (
        "missing-mapped-column",
        changed(
            "members.csv",
            "MEMBER_KEY,birth_date,sex,plan_type,deprivation_index,rural",
            "MEMBERKEY,birth_date,sex,plan_type,deprivation_index,rural",
        ),
        "members.csv (source members): missing column 'member_id' (declared as from: 'MEMBER_KEY')",
    ),
    (
        "not-a-date",
        changed("events.csv", "M1,2024-03-01,diagnosis,CHF", "M1,2024-13-45,diagnosis,CHF"),
        "events.csv (source events): column 'event_date': 1 values are not date (e.g. '2024-13-45')",
    ),
    (
        "not-a-number",
        changed(
            "members.csv",
            "M2,1980-01-15,M,commercial,0.2,true",
            "M2,1980-01-15,M,commercial,high,true",
        ),
        "members.csv (source members): column 'deprivation_index': 1 values are not double (e.g. 'high')",
    ),
    (
        "empty-key",
        changed("members.csv", None, ",1970-01-01,F,commercial,0.1,false"),
        "members.csv (source members): column 'member_id': 1 rows have no value",
    ),
    (
        "duplicate-member",
        changed("members.csv", None, "M1,1951-01-01,F,commercial,0.3,false"),
        "members.csv (source members): 1 keys (member_id) appear more than once (e.g. member_id=M1)",
    ),
    (
        "duplicate-label",
        changed("labels.csv", None, "M2,2024-07-01,1"),
        "labels.csv (source labels): 1 keys (member_id, as_of_date) appear more than once (e.g. member_id=M2, as_of_date=2024-07-01)",
    ),
    (
        "future-event",
        changed("events.csv", None, "M3,2099-01-01,ed_visit,ed"),
        "events.csv (source events): column 'event_date': 1 rows are dated after 2026-01-01 (e.g. '2099-01-01')",
    ),
    (
        "label-not-binary",
        changed("labels.csv", "M3,2024-07-01,0", "M3,2024-07-01,2"),
        "labels.csv (source labels): column 'label': 1 labels are neither 0 nor 1 (e.g. '2')",
    ),
    (
        "value-not-allowed",
        changed(
            "events.csv", "M1,2024-02-01,admission,unplanned", "M1,2024-02-01,ADMISSION,unplanned"
        ),
        "events.csv (source events): column 'event_type': 1 values are not among the allowed 'admission', 'ed_visit', 'diagnosis', 'prescription' (e.g. 'ADMISSION'): correct the data, or add the value to sources.events.columns.event_type.allowed",
    ),
    (
        "sex-not-allowed",
        changed(
            "members.csv",
            "M3,1990-03-03,F,medicaid,0.8,false",
            "M3,1990-03-03,female,medicaid,0.8,false",
        ),
        "members.csv (source members): column 'sex': 1 values are not among the allowed 'F', 'M', 'U' (e.g. 'female')",
    ),
    (
        "below-min",
        changed(
            "members.csv",
            "M3,1990-03-03,F,medicaid,0.8,false",
            "M3,1990-03-03,F,medicaid,-0.2,false",
        ),
        "members.csv (source members): column 'deprivation_index': 1 values are below min 0.0 (e.g. '-0.2')",
    ),
    (
        "above-max",
        changed(
            "members.csv", "M3,1990-03-03,F,medicaid,0.8,false", "M3,1990-03-03,F,medicaid,8,false"
        ),
        "members.csv (source members): column 'deprivation_index': 1 values are above max 1.0 (e.g. '8')",
    ),
    (
        "date-below-min",
        changed(
            "members.csv",
            "M3,1990-03-03,F,medicaid,0.8,false",
            "M3,1850-03-03,F,medicaid,0.8,false",
        ),
        "members.csv (source members): column 'birth_date': 1 values are below min 1900-01-01 (e.g. '1850-03-03')",
    ),
    (
        "nan",
        changed(
            "members.csv",
            "M3,1990-03-03,F,medicaid,0.8,false",
            "M3,1990-03-03,F,medicaid,NaN,false",
        ),
        "members.csv (source members): column 'deprivation_index': 1 values are NaN or infinite (e.g. 'NaN'); declare finite: false for 'deprivation_index' to let them through",
    ),
    (
        "infinite",
        changed(
            "members.csv",
            "M2,1980-01-15,M,commercial,0.2,true",
            "M2,1980-01-15,M,commercial,-Infinity,true",
        ),
        "column 'deprivation_index': 1 values are NaN or infinite (e.g. '-Infinity')",
    ),
    (
        "empty-table",
        {**GOOD, "events.csv": GOOD["events.csv"][:1]},
        "events.csv (source events): 0 rows, fewer than sources.events.min_rows (1) in",
    ),
    (
        "one-class-label",
        changed("labels.csv", "M1,2024-07-01,1", "M1,2024-07-01,0"),
        "labels.csv (source labels): column 'label' holds one class only (0 rows of 1, 3 of 0); a model needs both",
    ),
    (
        "span-backwards",
        changed("eligibility.csv", "M3,2024-03-01,2025-12-31", "M3,2025-12-31,2024-03-01"),
        "eligibility.csv (source eligibility): 1 spans end (end_date) before they start (start_date)",
    ),
]


def test_there_are_at_least_fifteen_cases() -> None:
    assert len(BAD) >= 15


def test_good_files_are_renamed_typed_and_filtered(spark, conf_dir: Path, capsys) -> None:
    files_env(conf_dir, GOOD)
    assert run_steps(conf_dir) == 0
    out = capsys.readouterr().out
    assert "events.rows: 5" in out and "events.outside_population: 1" in out
    assert "warning" not in out  # every column is declared
    tables = clean_tables(spark, conf_dir)
    members = tables.read("members")
    assert dict(members.dtypes)["member_id"] == "string"  # renamed from MEMBER_KEY
    assert dict(members.dtypes)["birth_date"] == "date"
    assert tables.read("events").count() == 4


def test_the_validation_pass_records_what_the_written_tables_hold(spark, conf_dir: Path) -> None:
    """The fingerprints and entity counts taken while checking are those of the tables as
    written: the filtered events' too (4 of 5 rows kept; 3 members in the 5 rows checked)."""
    files_env(conf_dir, GOOD)
    assert run_steps(conf_dir) == 0
    tables = clean_tables(spark, conf_dir)
    for name in ("members", "eligibility", "events", "labels"):
        recorded = tables.metadata(name)
        assert recorded["fingerprint"] == fingerprint(tables.read(name)), name
        assert recorded["profile"]["keys"] == 3, name
    assert tables.metadata("events")["fingerprint"].startswith("4-")
    assert tables.metadata("events")["profile"]["rows"] == 5


@pytest.mark.parametrize(("data", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_data_stops_at_validation(spark, conf_dir: Path, capsys, data, message) -> None:
    files_env(conf_dir, data)
    assert run_steps(conf_dir) == 3
    err = capsys.readouterr().err
    assert err.startswith("data error ("), err
    assert message in err, err
    assert "Traceback" not in err
    warehouse = tables_folder(conf_dir)
    assert not (warehouse / "members").exists(), "no clean table may be written"
    assert tracked_steps(conf_dir) == ["ingest"], "validate-data may leave no run"


def test_too_much_outside_the_population_stops(spark, conf_dir: Path, capsys) -> None:
    files_env(conf_dir, GOOD, max_dropped=0.1)
    assert run_steps(conf_dir) == 3
    assert (
        "events.csv (source events): 1 rows (20.0%) are dated outside the population's spans "
        "(source eligibility), more than validation.max_dropped_fraction 10%"
    ) in capsys.readouterr().err


WITH_EXTRA = changed(
    "members.csv",
    "MEMBER_KEY,birth_date,sex,plan_type,deprivation_index,rural",
    "MEMBER_KEY,birth_date,sex,plan_type,deprivation_index,rural,zip,email",
)
for i, line in enumerate(WITH_EXTRA["members.csv"][1:], start=1):
    WITH_EXTRA["members.csv"][i] = line + ",12345,x@example.com"


def test_an_undeclared_column_is_listed_and_left_out(spark, conf_dir: Path, capsys) -> None:
    files_env(conf_dir, WITH_EXTRA)
    assert run_steps(conf_dir) == 0
    out = capsys.readouterr().out
    assert (
        "warning: " + str(conf_dir.parent / "data" / "members.csv") + " (source members): 2 "
        "column(s) not declared in sources.members.columns, left out: zip, email"
    ) in out
    members = clean_tables(spark, conf_dir).read("members")
    assert "zip" not in members.columns and "member_id" in members.columns


def test_with_strict_validation_an_undeclared_column_stops(spark, conf_dir: Path, capsys) -> None:
    files_env(conf_dir, WITH_EXTRA, strict=True)
    assert run_steps(conf_dir) == 3
    err = capsys.readouterr().err
    assert (
        "2 column(s) not declared in sources.members.columns: zip, email; declare them "
        "(validation.strict is on)"
    ) in err
    assert not (tables_folder(conf_dir) / "members").exists()


def test_missing_source_file_stops_ingest(spark, conf_dir: Path, capsys) -> None:
    folder = files_env(conf_dir, GOOD)
    (folder / "labels.csv").unlink()
    assert run_steps(conf_dir) == 3
    assert f"{folder / 'labels.csv'}: no such file or folder" in capsys.readouterr().err


def clean_metadata(conf_dir: Path) -> dict[str, tuple]:
    """Each clean table's current version folder and metadata: a replaced table changes both."""
    pointers = {
        name: json.loads((tables_folder(conf_dir) / name / POINTER).read_text())
        for name in ("members", "eligibility", "events", "labels")
    }
    return {name: (p["version"], p["metadata"]) for name, p in pointers.items()}


def test_a_bad_batch_replaces_no_accepted_table(spark, conf_dir: Path, capsys) -> None:
    files_env(conf_dir, GOOD)
    assert run_steps(conf_dir) == 0
    accepted = clean_metadata(conf_dir)
    files_env(conf_dir, BAD[[c[0] for c in BAD].index("value-not-allowed")][1])
    assert run_steps(conf_dir) == 3
    assert "column 'event_type': 1 values are not among the allowed" in capsys.readouterr().err
    assert clean_metadata(conf_dir) == accepted  # the clean tables are still the good batch


def test_dates_stored_as_numbers_are_named(spark, conf_dir: Path, capsys) -> None:
    folder = files_env(conf_dir, GOOD)
    events = spark.read.option("header", True).csv(str(folder / "events.csv"))
    as_numbers = events.withColumn(
        "event_date", F.regexp_replace("event_date", "-", "").cast("int")
    )
    as_numbers.toPandas().to_parquet(folder / "events.parquet")
    parquet = {"sources": {"events": {"format": "parquet", "path": "data/events.parquet"}}}
    add_env(conf_dir, "files", parquet, base="files")
    assert run_steps(conf_dir) == 3
    err = capsys.readouterr().err
    assert (
        "events.parquet (source events): column 'event_date' is stored as int, which cannot be "
        "read as date: store it as date (or text such as 2024-01-31), or declare its type as it is"
    ) in err
    assert "Traceback" not in err and "AnalysisException" not in err


FEWER_EVENTS = {**GOOD, "events.csv": GOOD["events.csv"][:2]}
NEW_CODE = {
    **GOOD,
    "events.csv": [GOOD["events.csv"][0]]
    + [",".join([*line.split(",")[:3], "Z99"]) for line in GOOD["events.csv"][1:]],
}


def test_a_collapsed_batch_stops_until_it_is_accepted(spark, conf_dir: Path, capsys) -> None:
    files_env(conf_dir, GOOD)
    assert run_steps(conf_dir) == 0
    accepted = clean_metadata(conf_dir)
    files_env(conf_dir, FEWER_EVENTS)
    assert run_steps(conf_dir) == 3
    err = capsys.readouterr().err
    assert (
        "events.csv (source events): 1 rows, 80% fewer than the 5 of the last accepted batch "
        "(validation.batch.max_row_drop 50%); if it is right, accept it once with "
        "validation.batch.on_change: warning"
    ) in err
    assert clean_metadata(conf_dir) == accepted
    files_env(conf_dir, FEWER_EVENTS, batch={"on_change": "warning"})
    assert run_steps(conf_dir) == 0
    assert "warning: " in capsys.readouterr().out
    files_env(conf_dir, FEWER_EVENTS)  # the accepted batch is the new reference
    assert run_steps(conf_dir) == 0


def test_a_new_dominant_value_is_reported(spark, conf_dir: Path, capsys) -> None:
    files_env(conf_dir, GOOD)
    assert run_steps(conf_dir) == 0
    files_env(conf_dir, NEW_CODE, batch={"on_change": "warning", "max_share_shift": 0.3})
    assert run_steps(conf_dir) == 0
    out = capsys.readouterr().out
    assert (
        "events.csv (source events): column 'code': value 'Z99' (a new value) holds 100.0% of "
        "rows, 0.0% in the last accepted batch (validation.batch.max_share_shift 30%)"
    ) in out
