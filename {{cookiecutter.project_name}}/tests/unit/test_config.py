"""Settings: overlays, path resolution, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.config import (
    ConfigError,
    available_envs,
    load_settings,
    uses_developer,
)

from conftest import add_env


def test_every_shipped_environment_loads(conf_dir: Path) -> None:
    envs = available_envs(conf_dir)
    assert envs == ["ci", "dev", "local", "prod", "staging", "test"]
    for env in envs:
        developer = "ada" if uses_developer(env, conf_dir) else None
        assert load_settings(env, conf_dir, developer=developer).env == env
    assert [env for env in envs if uses_developer(env, conf_dir)] == ["dev"]


@pytest.fixture
def per_developer(conf_dir: Path) -> Path:
    """conf with an environment `mine` whose schema, experiment and model are per developer."""
    add_env(
        conf_dir,
        "mine",
        {
            "storage": {"schema_name": "tables_${developer}"},
            "tracking": {"experiment_name": "/Shared/mine-${developer}"},
            "registry": {"model_name": "model-${developer}"},
        },
    )
    return conf_dir


def test_only_a_value_makes_an_environment_per_developer(per_developer: Path) -> None:
    assert uses_developer("mine", per_developer)
    staging = per_developer / "envs" / "staging.yml"
    staging.write_text("# never ${developer} here: staging is shared\n" + staging.read_text())
    assert not uses_developer("staging", per_developer)
    assert not uses_developer("nowhere", per_developer)


def test_a_developer_fills_in_a_per_developer_environment(per_developer: Path) -> None:
    settings = load_settings("mine", per_developer, developer="ada")
    assert settings.developer == "ada"
    assert settings.storage.schema_name == "tables_ada"
    assert settings.tracking.experiment_name == "/Shared/mine-ada"
    assert settings.registry.model_name == "model-ada"
    assert load_settings("mine", per_developer, developer="bo").storage.schema_name == "tables_bo"


def test_a_per_developer_environment_needs_a_developer(per_developer: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings("mine", per_developer)
    [problem] = error.value.problems
    assert "environment 'mine' is per developer" in problem
    assert problem.count("envs/mine.yml: ") == 1 and "storage.schema_name" in problem
    assert "tracking.experiment_name" in problem and "pass --developer NAME" in problem


def test_a_shared_environment_refuses_a_developer(conf_dir: Path) -> None:
    # staging's names are everyone's: a developer's run there would write into them
    with pytest.raises(ConfigError, match="environment 'staging' is shared, not per developer"):
        load_settings("staging", conf_dir, developer="ada")


@pytest.mark.parametrize("developer", ["Ada", "1ada", "ada-lovelace", "a" * 41, ""])
def test_a_developer_name_must_fit_every_name_it_goes_into(
    per_developer: Path, developer: str
) -> None:
    with pytest.raises(ConfigError, match=f"developer {developer!r} is not a usable name"):
        load_settings("mine", per_developer, developer=developer)


def test_overlay_overrides_only_what_it_names(conf_dir: Path) -> None:
    local = load_settings("local", conf_dir)
    staging = load_settings("staging", conf_dir)
    assert local.spark.master == "local[2]"
    assert local.spark.shuffle_partitions == 4  # from envs/local.yml
    assert staging.spark.master is None
    assert staging.spark.shuffle_partitions == 200  # project.yml, not overridden
    assert staging.storage.catalog is not None
    assert staging.registry.model_name != local.registry.model_name
    assert local.project == staging.project  # untouched sections are shared


def test_local_paths_resolve_under_the_project_folder(conf_dir: Path) -> None:
    settings = load_settings("local", conf_dir)
    root = conf_dir.parent.resolve()
    assert settings.root == root
    assert settings.storage.warehouse_dir == root / ".local" / "warehouse"
    assert settings.tracking.tracking_uri == f"sqlite:///{root / '.local' / 'mlflow.db'}"
    assert settings.tracking.artifact_location == (root / ".local" / "mlartifacts").as_uri()
    assert settings.features.mappings == root / "conf" / "feature_mappings.yml"


def test_databricks_uris_are_left_alone(conf_dir: Path) -> None:
    settings = load_settings("prod", conf_dir)
    assert settings.tracking.tracking_uri == "databricks"
    assert settings.tracking.artifact_location is None


def test_settings_are_read_only(conf_dir: Path) -> None:
    settings = load_settings("local", conf_dir)
    with pytest.raises(ValidationError):
        settings.spark.shuffle_partitions = 1


def problems(env: str, conf_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(env, conf_dir)
    return caught.value.problems


def test_unknown_key_in_overlay_names_file_key_and_suggestion(conf_dir: Path) -> None:
    add_env(conf_dir, "local", {"spark": {"shufle_partitions": 4}})
    [line] = problems("local", conf_dir)
    assert line.startswith(str(conf_dir / "envs" / "local.yml"))
    assert "spark.shufle_partitions: unknown key; did you mean 'shuffle_partitions'?" in line


def test_unknown_section_lists_valid_keys(conf_dir: Path) -> None:
    add_env(conf_dir, "local", {"sparkle": {}})
    [line] = problems("local", conf_dir)
    assert "sparkle: unknown key" in line
    assert "spark" in line


def test_wrong_type_names_file_key_and_value(conf_dir: Path) -> None:
    add_env(conf_dir, "staging", {"spark": {"shuffle_partitions": "many"}}, base="staging")
    [line] = problems("staging", conf_dir)
    assert line.startswith(str(conf_dir / "envs" / "staging.yml"))
    assert "spark.shuffle_partitions" in line
    assert "'many'" in line


def test_error_in_project_file_is_blamed_on_it(conf_dir: Path) -> None:
    project = conf_dir / "project.yml"
    project.write_text(
        project.read_text().replace("shuffle_partitions: 200", "shuffle_partitions: 0")
    )
    [line] = problems("staging", conf_dir)  # staging does not override it
    assert line.startswith(str(project))
    assert "spark.shuffle_partitions" in line


def test_missing_section_is_reported(conf_dir: Path) -> None:
    project = conf_dir / "project.yml"
    text = project.read_text()
    project.write_text(text[: text.index("spark:")] + text[text.index("storage:") :])
    assert problems("staging", conf_dir) == [f"{project}: spark: Field required"]


def test_all_problems_are_reported_at_once(conf_dir: Path) -> None:
    add_env(conf_dir, "local", {"spark": {"master": 3, "shuffle_partitions": -1}, "bogus": 1})
    lines = problems("local", conf_dir)
    assert len(lines) == 3
    assert {line.split(": ")[1] for line in lines} == {
        "spark.master",
        "spark.shuffle_partitions",
        "bogus",
    }


def test_an_environment_named_like_a_path_is_refused(conf_dir: Path) -> None:
    [line] = problems("../project", conf_dir)  # conf/envs/../project.yml exists: not read
    assert line.startswith("environment '../project' is not a name")


def test_a_pipeline_table_of_another_environment_may_not_be_a_source(conf_dir: Path) -> None:
    prod = load_settings("prod", conf_dir)
    own = f"{prod.storage.catalog}.{prod.storage.schema_name}.{prod.inference.table}"
    data = conf_dir / "data.yml"
    declared = yaml.safe_load(data.read_text())
    declared["sources"]["events"].update(format="table", table=own.upper())
    data.write_text(yaml.safe_dump(declared))
    [line] = problems("prod", conf_dir)
    assert line.startswith(f"{data}: sources.events.table: {own.upper()!r} is a table the ")
    assert "pipeline writes (inference.table): a source must come from outside the pipeline" in line
    load_settings("local", conf_dir)  # a local run has no catalog: the name is another table's


@pytest.mark.parametrize("name", ["dev.risk.admission-risk", "a.b.c.d", "dev..model"])
def test_a_unity_catalog_model_name_is_up_to_three_names(conf_dir: Path, name: str) -> None:
    add_env(
        conf_dir,
        "uc",
        {"tracking": {"registry_uri": "databricks-uc"}, "registry": {"model_name": name}},
        base="prod",
    )
    [line] = problems("uc", conf_dir)
    assert f"registry.model_name: {name!r} is not a Unity Catalog model name" in line
    assert "[catalog.][schema.]model" in line


def test_a_choice_may_offer_none_where_the_estimator_takes_it(conf_dir: Path) -> None:
    from {{ cookiecutter.package_name }}.estimators import space_problems, typed

    add_env(
        conf_dir,
        "local",
        {
            "training": {
                "search_spaces": {
                    "hist_gradient_boosting": {
                        "max_depth": {"distribution": "choice", "options": [None, 3, 6.0]}
                    }
                }
            }
        },
    )
    assert space_problems(load_settings("local", conf_dir)) == []
    assert typed("hist_gradient_boosting", {"max_depth": None, "max_iter": 50.0}) == {
        "max_depth": None,
        "max_iter": 50,
    }


def test_unknown_environment_lists_the_known_ones(conf_dir: Path) -> None:
    [line] = problems("qa", conf_dir)
    assert "no such environment 'qa'" in line
    assert "dev, local, prod, staging" in line


def test_duplicate_key_is_refused_with_its_line(conf_dir: Path) -> None:
    (conf_dir / "envs" / "local.yml").write_text("spark:\n  master: local[1]\n  master: local[2]\n")
    [line] = problems("local", conf_dir)
    assert f"{conf_dir / 'envs' / 'local.yml'}:3:" in line
    assert "'master' is given twice (first on line 2)" in line


def test_yaml_syntax_error_names_line_and_column(conf_dir: Path) -> None:
    (conf_dir / "envs" / "local.yml").write_text("spark:\n  master: [local\n")
    [line] = problems("local", conf_dir)
    assert line.startswith(f"{conf_dir / 'envs' / 'local.yml'}:")
    assert "invalid YAML" in line


def test_file_that_is_not_a_mapping(conf_dir: Path) -> None:
    (conf_dir / "envs" / "local.yml").write_text("- spark\n")
    [line] = problems("local", conf_dir)
    assert "must hold a mapping of keys, not a list" in line


def test_an_overlay_holds_only_what_differs(conf_dir: Path) -> None:
    (conf_dir / "envs" / "qa.yml").write_text("storage:\n  warehouse_dir: .local/qa\n")
    settings = load_settings("qa", conf_dir)
    assert settings.spark.shuffle_partitions == 200  # from project.yml
    assert settings.storage.warehouse_dir == conf_dir.parent.resolve() / ".local" / "qa"


def test_a_run_needs_one_place_for_its_tables(conf_dir: Path) -> None:
    (conf_dir / "envs" / "qa.yml").write_text("# nothing differs\n")
    [line] = problems("qa", conf_dir)
    assert line == (
        f"{conf_dir / 'project.yml'}: storage.catalog: set exactly one of catalog (Databricks) "
        "and warehouse_dir (local)"
    )


def test_anchors_and_merge_keys_work(conf_dir: Path) -> None:
    local = load_settings("local", conf_dir)  # envs/local.yml reuses one store via an anchor
    assert local.tracking.registry_uri == local.tracking.tracking_uri
    local = conf_dir / "envs" / "local.yml"
    local.write_text(
        local.read_text().replace(
            "spark:\n  master: local[2]\n  shuffle_partitions: 4\n",
            "spark:\n  <<: {master: 'local[1]', shuffle_partitions: 2}\n  shuffle_partitions: 3\n",
        )
    )
    settings = load_settings("local", conf_dir)
    assert settings.spark.master == "local[1]"  # from the merged mapping
    assert settings.spark.shuffle_partitions == 3  # an explicit key wins over a merged one
