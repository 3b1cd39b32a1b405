"""The feature cart: the groups of feature_mappings.yml filtered by feature_selection_config.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from .config import Settings
from .yamlfiles import ConfigError, Strict, load_model, show, suggest

FeatureType = Literal["integer", "double", "string", "boolean", "date"]


class Feature(Strict):
    type: FeatureType
    description: str = Field(min_length=1)


class FeatureGroup(Strict):
    description: str = Field(min_length=1)
    features: dict[str, Feature] = Field(min_length=1)


class FeatureMappings(Strict):
    key_group: str
    groups: dict[str, FeatureGroup] = Field(min_length=1)


class FeatureSelection(Strict):
    include_groups: list[str] | None  # None: every group (written `include_groups: all`)
    exclude_groups: list[str] = []
    include_features: list[str] = []
    exclude_features: list[str] = []

    @field_validator("include_groups", mode="before")
    @classmethod
    def _all_groups(cls, value: object) -> object:
        if value == "all":
            return None
        if value is None:
            raise ValueError("give a list of groups, or 'all'")
        return value


@dataclass(frozen=True)
class Cart:
    """The resolved selection: key columns, then the model's features, in mapping order."""

    keys: tuple[str, ...]
    features: tuple[str, ...]
    types: dict[str, str]
    groups: dict[str, str]  # feature -> its group
    available: tuple[str, ...] = ()  # every feature the mappings define, selected or not

    def as_dict(self) -> dict:
        """A plain description, for logging next to a model."""
        return {
            "keys": list(self.keys),
            "features": [
                {"name": f, "type": self.types[f], "group": self.groups[f]} for f in self.features
            ],
        }


def _mapping_problems(mappings: FeatureMappings, source: str) -> list[str]:
    problems = []
    if mappings.key_group not in mappings.groups:
        problems.append(
            f"{source}: key_group: unknown group {mappings.key_group!r}"
            + suggest(mappings.key_group, list(mappings.groups))
        )
    home: dict[str, str] = {}
    for group, spec in mappings.groups.items():
        for feature in spec.features:
            if feature in home:
                problems.append(
                    f"{source}: groups.{group}.features.{feature}: {feature!r} is also in group "
                    f"{home[feature]!r}; a feature belongs to exactly one group"
                )
            home.setdefault(feature, group)
    return problems


def resolve(
    mappings: FeatureMappings,
    selection: FeatureSelection,
    mappings_file: str = "feature_mappings.yml",
    selection_file: str = "feature_selection_config.yml",
) -> Cart:
    """The cart ``selection`` picks from ``mappings``, or a ConfigError naming every problem."""
    problems = _mapping_problems(mappings, mappings_file)
    if problems:
        raise ConfigError(problems)
    groups = list(mappings.groups)
    home = {f: g for g, spec in mappings.groups.items() for f in spec.features}
    keys = tuple(mappings.groups[mappings.key_group].features)

    def check(key: str, names: list[str], known: list[str], kind: str) -> None:
        for i, name in enumerate(names):
            if name not in known:
                problems.append(
                    f"{selection_file}: {key}[{i}]: unknown {kind} {name!r}" + suggest(name, known)
                )
            elif key.startswith("exclude") and (name == mappings.key_group or name in keys):
                problems.append(
                    f"{selection_file}: {key}[{i}]: {name!r} holds the keys, which every "
                    "selection keeps; remove it"
                )

    taken = groups if selection.include_groups is None else selection.include_groups
    check("include_groups", selection.include_groups or [], groups, "group")
    check("exclude_groups", selection.exclude_groups, groups, "group")
    check("include_features", selection.include_features, list(home), "feature")
    check("exclude_features", selection.exclude_features, list(home), "feature")
    for key, first, second in (
        ("exclude_groups", selection.include_groups or [], selection.exclude_groups),
        ("exclude_features", selection.include_features, selection.exclude_features),
    ):
        for name in sorted(set(first) & set(second)):
            problems.append(
                f"{selection_file}: {key}: {name!r} is both included and excluded; keep one"
            )
    if problems:
        raise ConfigError(problems)

    chosen = {g for g in taken if g not in selection.exclude_groups}
    wanted = {f for f, g in home.items() if g in chosen} | set(selection.include_features)
    wanted -= set(selection.exclude_features)
    features = tuple(f for f in home if f in wanted and f not in keys)
    for feature in features:
        spec = mappings.groups[home[feature]].features[feature]
        if spec.type == "date":
            problems.append(
                f"{selection_file}: selects {feature!r} (group {home[feature]!r}), a date: models "
                "take numbers, booleans and strings; derive a number from it or exclude it"
            )
    if problems:
        raise ConfigError(problems)
    if not features:
        raise ConfigError(
            [
                f"{selection_file}: the selection keeps no feature besides the keys; include at "
                "least one group or feature"
            ]
        )
    return Cart(
        keys=keys,
        features=features,
        types={f: mappings.groups[home[f]].features[f].type for f in (*keys, *features)},
        groups={f: home[f] for f in (*keys, *features)},
        available=tuple(home),
    )


def load_cart(settings: Settings) -> Cart:
    """Read both feature files named in the settings and resolve the cart."""
    mappings_path: Path = settings.features.mappings
    selection_path: Path = settings.features.selection
    return resolve(
        load_model(FeatureMappings, mappings_path),
        load_model(FeatureSelection, selection_path),
        mappings_file=show(mappings_path),
        selection_file=show(selection_path),
    )
