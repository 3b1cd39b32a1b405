"""Fingerprints of what defines the feature table: one per group, one for its rows.

A group's fingerprint covers its declaration, the declarations (columns, key, time) of the
sources it reads and, for a Python group, the code of the module that defines its function. The
rows' fingerprint covers the entity and the population. The table keeps them; when one changes,
every snapshot is recomputed, and a model trained on other definitions is refused.
"""

from __future__ import annotations

import hashlib
import json

from ..config import Settings
from ..mappings import FeatureMappings
from .functions import AisleFunction, code_fingerprint

ROWS = "@rows"  # the key of the rows' fingerprint (a group name cannot start with "@" in YAML
# without quotes, so it does not collide in practice)


def digest(value: object) -> str:
    """A short, stable hash of a JSON-able value."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _declared(settings: Settings, name: str) -> dict:
    spec = settings.sources[name]
    return spec.model_dump(mode="json", include={"columns", "key", "time", "unique"})


def source_declaration(settings: Settings, name: str) -> str:
    """What a clean table is validated against: its source's declaration (not where it is
    read from), as a digest. `validate-data` records it; `features` compares."""
    spec = settings.sources[name]
    return digest(spec.model_dump(mode="json", exclude={"format", "path", "table", "options"}))


def definitions(
    settings: Settings, mappings: FeatureMappings, functions: dict[str, AisleFunction]
) -> dict[str, str]:
    """{group: fingerprint, ROWS: fingerprint} for the current configuration and code."""
    found = {}
    for name, group in mappings.groups.items():
        parts: dict = {
            "group": group.model_dump(mode="json", exclude={"description"}),
            "sources": {s: _declared(settings, s) for s in group.reads if s in settings.sources},
        }
        for feature in parts["group"]["features"].values():
            feature.pop("description", None)
        if group.kind == "columns":
            parts["max_staleness_days"] = settings.features.max_staleness_days
        if group.python:
            parts["code"] = code_fingerprint(functions[group.python])
        found[name] = digest(parts)
    population = settings.population
    found[ROWS] = digest(
        {
            "entity": settings.entity.model_dump(mode="json", include={"key", "as_of"}),
            "population": population.model_dump(mode="json"),
            "source": _declared(settings, population.source),
        }
    )
    return found


def model_definitions(definitions: dict[str, str], groups: list[str]) -> str:
    """One fingerprint for the definitions a model's features come from: its groups' and the
    rows'. Recorded with each model version; scoring compares it with the feature table's."""
    return digest({g: definitions.get(g) for g in sorted({*groups, ROWS})})
