"""The feature cart: the groups of feature_mappings.yml filtered by feature_selection_config.yml."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import field_validator

from .cohorts import Population, population
from .config import Settings
from .mappings import FeatureMappings
from .yamlfiles import ConfigError, Strict, load_model, load_yaml, show, suggest, validate


class FeatureSelection(Strict):
    include_groups: list[str] | None  # None: every group (written `include_groups: all`)
    exclude_groups: list[str] = []
    include_features: list[str] = []
    exclude_features: list[str] = []
    # The population the model is for: a cohort of data.yml's cohorts.slices (a where slice's
    # name, or <slice>=<value>). None: every labelled row, every entity of the population.
    cohort: str | None = None

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
    """The resolved selection: key columns, then the model's features, in mapping order, with
    the mappings it was picked from."""

    keys: tuple[str, ...]
    features: tuple[str, ...]
    types: dict[str, str]  # feature -> its declared type
    groups: dict[str, str]  # feature -> its group
    mappings: FeatureMappings
    mappings_file: str = "feature_mappings.yml"
    population: Population | None = None  # the cohort the model is for; None: everyone

    @property
    def cohort_tag(self) -> str:
        """What a model of this cart records as its cohort (features.cohort); "": everyone."""
        return self.population.tag if self.population else ""

    @property
    def available(self) -> tuple[str, ...]:
        """Every feature the mappings define, selected or not."""
        return tuple(self.mappings.group_of())

    @property
    def selected_groups(self) -> list[str]:
        """The groups the cart takes at least one feature from, in mapping order."""
        return [g for g in self.mappings.groups if g in set(self.groups.values())]

    def as_dict(self) -> dict:
        """A plain description, for logging next to a model."""
        return {
            "keys": list(self.keys),
            "groups": self.selected_groups,
            "features": [
                {"name": f, "type": self.types[f], "group": self.groups[f]} for f in self.features
            ],
            "cohort": None
            if self.population is None
            else {"name": self.population.name, "where": self.population.where},
        }


# Columns the pipeline adds beside the features (training, scoring, delivery).
RESERVED = ("label", "part", "score", "rank", "score_date", "score_is_probability_of")


def _mapping_problems(mappings: FeatureMappings, keys: tuple[str, ...], source: str) -> list[str]:
    problems = []
    home: dict[str, str] = {}
    for group, spec in mappings.groups.items():
        for feature in spec.features:
            where = f"{source}: groups.{group}.features.{feature}"
            if feature in keys:
                problems.append(
                    f"{where}: {feature!r} is a key column of every row (entity.key, "
                    "entity.as_of); a feature needs a name of its own"
                )
            if feature in RESERVED:
                problems.append(
                    f"{where}: {feature!r} is a name the pipeline gives a column of its own; "
                    "name the feature otherwise (column: keeps the source's name)"
                )
            if feature in home:
                problems.append(
                    f"{where}: {feature!r} is also in group {home[feature]!r}; a feature "
                    "belongs to exactly one group"
                )
            home.setdefault(feature, group)
    return problems


def resolve(
    mappings: FeatureMappings,
    selection: FeatureSelection,
    keys: tuple[str, ...],
    mappings_file: str = "feature_mappings.yml",
    selection_file: str = "feature_selection_config.yml",
) -> Cart:
    """The cart ``selection`` picks from ``mappings``, or a ConfigError naming every problem.

    ``keys`` are the row key of the feature table (the entity key and the as-of column)."""
    problems = _mapping_problems(mappings, keys, mappings_file)
    if problems:
        raise ConfigError(problems)
    groups = list(mappings.groups)
    home = mappings.group_of()

    def check(key: str, names: list[str], known: list[str], kind: str) -> None:
        for i, name in enumerate(names):
            if name not in known:
                problems.append(
                    f"{selection_file}: {key}[{i}]: unknown {kind} {name!r}" + suggest(name, known)
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
    features = tuple(f for f in home if f in wanted)
    for feature in features:
        if mappings.feature(feature).type == "date":
            problems.append(
                f"{selection_file}: selects {feature!r} (group {home[feature]!r}), a date: models "
                "take numbers, booleans and strings; derive a number from it or exclude it"
            )
    if problems:
        raise ConfigError(problems)
    if not features:
        raise ConfigError(
            [
                f"{selection_file}: the selection keeps no feature; include at least one group "
                "or feature"
            ]
        )
    return Cart(
        keys=keys,
        features=features,
        types={f: mappings.feature(f).type for f in features},
        groups={f: home[f] for f in features},
        mappings=mappings,
        mappings_file=mappings_file,
    )


def _listed_features(data: object, settings: Settings, where: str) -> object:
    """Groups whose ``features`` is a list of a ``columns`` source's columns, written out:
    each takes the column's declared type and description."""
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, dict):
        return data
    problems = []
    for name, group in groups.items():
        if not isinstance(group, dict) or not isinstance(group.get("features"), list):
            continue
        source = settings.sources.get(group.get("columns"))
        if source is None:
            problems.append(
                f"{where}: groups.{name}.features: a list of names is for a group of "
                "`columns: <source>`, whose declared columns give each its type; write the "
                "others as name: {type: ..., description: ...}"
            )
            continue
        features = {}
        for i, column in enumerate(group["features"]):
            declared = source.columns.get(column) if isinstance(column, str) else None
            if declared is None:
                problems.append(
                    f"{where}: groups.{name}.features[{i}]: source {group['columns']!r} declares "
                    f"no column {column!r}" + suggest(str(column), list(source.columns))
                )
                continue
            description = declared.description or f"{column} of source {group['columns']}"
            features[column] = {"type": declared.type, "description": description}
        group["features"] = features
    if problems:
        raise ConfigError(problems)
    return data


def load_cart(settings: Settings) -> Cart:
    """Read both feature files named in the settings and resolve the cart."""
    mappings_path: Path = settings.features.mappings
    selection_path: Path = settings.features.selection
    where = show(mappings_path)
    raw = _listed_features(load_yaml(mappings_path), settings, where)
    selection = load_model(FeatureSelection, selection_path)
    cart = resolve(
        validate(FeatureMappings, raw, {(): where}),
        selection,
        tuple(settings.entity.keys),
        mappings_file=show(mappings_path),
        selection_file=show(selection_path),
    )
    if selection.cohort is None:
        return cart
    types = {f: cart.mappings.feature(f).type for f in cart.available}
    try:
        found = population(settings.cohorts, selection.cohort, types)
    except ValueError as error:
        raise ConfigError(
            [f"{show(selection_path)}: cohort: {error} ({settings.source_of('cohorts')})"]
        ) from None
    return replace(cart, population=found)
