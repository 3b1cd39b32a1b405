"""The feature cart: groups and single features in and out, and errors naming the culprit."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import (
    ConfigError,
    load_settings,
)
from {{ cookiecutter.package_name }}.mappings import FeatureMappings
from {{ cookiecutter.package_name }}.selection import (
    FeatureSelection,
    load_cart,
    resolve,
)


def group(description: str, **features: str) -> dict:
    return {
        "description": description,
        "python": "anything",
        "sources": ["some_source"],
        "features": {f: {"type": t, "description": f} for f, t in features.items()},
    }


MAPPINGS = FeatureMappings.model_validate(
    {
        "groups": {
            "demographics": group("who", age="integer", sex="string"),
            "utilisation": group("use of care", admissions_365d="integer", ed_visits_90d="integer"),
        }
    }
)
KEYS = ("member_id", "as_of_date")


def select(**fields) -> FeatureSelection:
    return FeatureSelection.model_validate({"include_groups": [], **fields})


def errors(selection: FeatureSelection, mappings: FeatureMappings = MAPPINGS) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        resolve(mappings, selection, KEYS, selection_file="sel.yml", mappings_file="map.yml")
    return caught.value.problems


def test_groups_are_taken_whole_in_mapping_order() -> None:
    cart = resolve(MAPPINGS, select(include_groups=["utilisation", "demographics"]), KEYS)
    assert cart.keys == ("member_id", "as_of_date")
    assert cart.features == ("age", "sex", "admissions_365d", "ed_visits_90d")
    assert cart.types["age"] == "integer"
    assert cart.groups["ed_visits_90d"] == "utilisation"
    assert cart.selected_groups == ["demographics", "utilisation"]


def test_single_features_are_added_and_dropped() -> None:
    cart = resolve(
        MAPPINGS,
        select(
            include_groups=["demographics"],
            include_features=["ed_visits_90d"],
            exclude_features=["sex"],
        ),
        KEYS,
    )
    assert cart.features == ("age", "ed_visits_90d")


def test_all_groups_less_excluded_ones() -> None:
    cart = resolve(MAPPINGS, select(include_groups="all", exclude_groups=["utilisation"]), KEYS)
    assert cart.features == ("age", "sex")


def test_the_keys_come_with_every_cart() -> None:
    cart = resolve(MAPPINGS, select(include_features=["age"]), ("shop", "till", "on"))
    assert cart.keys == ("shop", "till", "on")
    assert cart.features == ("age",)
    assert cart.as_dict() == {
        "keys": ["shop", "till", "on"],
        "groups": ["demographics"],
        "features": [{"name": "age", "type": "integer", "group": "demographics"}],
        "cohort": None,  # for everyone
    }


def test_unknown_group_is_named_with_the_closest_valid_one() -> None:
    assert errors(select(include_groups=["demographic"])) == [
        "sel.yml: include_groups[0]: unknown group 'demographic'; did you mean 'demographics'?"
    ]


def test_unknown_feature_without_close_match_lists_nothing_misleading() -> None:
    [line] = errors(select(include_groups=["demographics"], exclude_features=["zzz"]))
    assert line.startswith("sel.yml: exclude_features[0]: unknown feature 'zzz'; valid: ")


def test_unknown_feature_is_named_with_the_closest_valid_one() -> None:
    [line] = errors(select(include_features=["ed_visit_90d"]))
    assert line.endswith("unknown feature 'ed_visit_90d'; did you mean 'ed_visits_90d'?")


def test_feature_in_two_groups_is_an_error_in_the_mappings() -> None:
    data = MAPPINGS.model_dump()
    data["groups"]["utilisation"]["features"]["age"] = {"type": "integer", "description": "dup"}
    [line] = errors(select(include_groups=["demographics"]), FeatureMappings.model_validate(data))
    assert line == (
        "map.yml: groups.utilisation.features.age: 'age' is also in group 'demographics'; "
        "a feature belongs to exactly one group"
    )


def test_a_feature_may_not_take_a_key_name() -> None:
    data = MAPPINGS.model_dump()
    data["groups"]["utilisation"]["features"]["as_of_date"] = {"type": "date", "description": "d"}
    [line] = errors(select(include_groups=["demographics"]), FeatureMappings.model_validate(data))
    assert line.startswith("map.yml: groups.utilisation.features.as_of_date: 'as_of_date' is a key")


def test_empty_selection_is_an_error() -> None:
    [line] = errors(select(include_groups=["demographics"], exclude_features=["age", "sex"]))
    assert "the selection keeps no feature" in line


def test_a_list_of_a_sources_columns_takes_their_declared_types(one_table) -> None:
    cart = load_cart(load_settings("local", *one_table))
    assert cart.keys == ("patient_id", "as_of_date")
    assert cart.selected_groups == ["vitals", "labs", "history"]
    assert (cart.types["heart_rate"], cart.types["age"]) == ("double", "integer")
    assert cart.mappings.feature("age").description == "age of source discharges"


def test_included_and_excluded_at_once_is_ambiguous() -> None:
    [line] = errors(select(include_groups=["demographics"], exclude_groups=["demographics"]))
    assert line == "sel.yml: exclude_groups: 'demographics' is both included and excluded; keep one"


def test_shipped_feature_files_resolve(conf_dir: Path) -> None:
    cart = load_cart(load_settings("local", conf_dir))
    assert cart.features
    assert set(cart.keys).isdisjoint(cart.features)


def test_typo_in_shipped_selection_names_the_file(conf_dir: Path) -> None:
    path = conf_dir / "feature_selection_config.yml"
    selection = yaml.safe_load(path.read_text())
    selection["include_groups"] = ["demographics", "clinicl"]
    path.write_text(yaml.safe_dump(selection))
    with pytest.raises(ConfigError) as caught:
        load_cart(load_settings("local", conf_dir))
    [line] = caught.value.problems
    assert line.startswith(str(path))
    assert "include_groups[1]: unknown group 'clinicl'; did you mean 'clinical'?" in line


def test_bad_feature_type_names_the_key(conf_dir: Path) -> None:
    path = conf_dir / "feature_mappings.yml"
    text = path.read_text()
    path.write_text(text.replace("age: {type: integer", "age: {type: int"))
    with pytest.raises(ConfigError) as caught:
        load_cart(load_settings("local", conf_dir))
    [line] = caught.value.problems
    assert "groups.demographics.features.age.type" in line
    assert "'int'" in line


def test_include_groups_must_be_given() -> None:
    with pytest.raises(ValueError, match="give a list of groups, or 'all'"):
        FeatureSelection.model_validate({"include_groups": None})
