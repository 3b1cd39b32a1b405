"""Bad data stops the run at validation, naming the file, the source and the column, with exit 3
and no traceback; nothing downstream is made. Columns a source has but does not declare are
listed (or refused, with validation.strict)."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_settings

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
    conf_dir: Path, data: dict[str, list[str]], max_dropped: float = 0.5, strict: bool = False
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
            },
        },
    )
    return folder


def tables_folder(conf_dir: Path) -> Path:
    storage = load_settings("files", conf_dir).storage
    return storage.warehouse_dir / storage.schema_name


def run_steps(conf_dir: Path) -> int:
    code = main(["ingest", "--env", "files", "--conf-dir", str(conf_dir)])
    return code or main(["validate-data", "--env", "files", "--conf-dir", str(conf_dir)])


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
        "span-backwards",
        changed("eligibility.csv", "M3,2024-03-01,2025-12-31", "M3,2025-12-31,2024-03-01"),
        "eligibility.csv (source eligibility): 1 spans end (end_date) before they start (start_date)",
    ),
]


def test_there_are_at_least_six_cases() -> None:
    assert len(BAD) >= 6


def test_good_files_are_renamed_typed_and_filtered(spark, conf_dir: Path, capsys) -> None:
    files_env(conf_dir, GOOD)
    assert run_steps(conf_dir) == 0
    out = capsys.readouterr().out
    assert "events.rows: 5" in out and "events.outside_population: 1" in out
    assert "warning" not in out  # every column is declared
    warehouse = tables_folder(conf_dir)
    members = spark.read.parquet(str(warehouse / "members"))
    assert dict(members.dtypes)["member_id"] == "string"  # renamed from MEMBER_KEY
    assert dict(members.dtypes)["birth_date"] == "date"
    assert spark.read.parquet(str(warehouse / "events")).count() == 4


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
    assert not (conf_dir.parent / ".local" / "mlflow.db").exists(), "nothing may be tracked"


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
    members = spark.read.parquet(str(tables_folder(conf_dir) / "members"))
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
