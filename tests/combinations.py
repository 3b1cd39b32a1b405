"""Option sets for the generation tests: every pair of values of every two choice prompts."""

from __future__ import annotations

from itertools import combinations

from allpairspy import AllPairs
from conftest import CHOICES

SAMPLE_HOSTS = {
    "azure": (
        "https://adb-1111111111111111.1.azuredatabricks.net",
        "https://adb-2.2.azuredatabricks.net",
    ),
    "aws": (
        "https://dbc-11111111-1111.cloud.databricks.com",
        "https://dbc-2222.cloud.databricks.com",
    ),
    "gcp": ("https://1111111111111111.1.gcp.databricks.com", "https://2.2.gcp.databricks.com"),
}


def allowed(answers: dict) -> bool:
    """Pairs the pre-generation hook rejects on purpose."""
    return not (
        answers.get("databricks_feature_store") == "yes"
        and answers.get("model_registry") == "workspace"
    )


def pairwise() -> list[dict]:
    """A small list of option sets in which every allowed pair of choice values appears."""
    names = list(CHOICES)
    rows = AllPairs(
        [CHOICES[n] for n in names],
        filter_func=lambda row: allowed(dict(zip(names, row, strict=False))),
    )
    return [dict(zip(names, row, strict=True)) for row in rows]


def uncovered_pairs(option_sets: list[dict]) -> list[tuple]:
    """Allowed value pairs of two choice prompts that no option set holds."""
    missing = []
    for first, second in combinations(CHOICES, 2):
        for a in CHOICES[first]:
            for b in CHOICES[second]:
                if allowed({first: a, second: b}) and not any(
                    s[first] == a and s[second] == b for s in option_sets
                ):
                    missing.append((first, a, second, b))
    return missing


def answers(index: int, options: dict) -> dict:
    """Full answers for one option set: its choices plus names and hosts that fit them."""
    staging, prod = SAMPLE_HOSTS[options["cloud"]]
    if options["workspace_layout"] == "single_workspace":
        prod = staging
    package = f"combo{index}" if index != 1 else "c" * 40  # one at the longest allowed name
    return {
        **options,
        "project_name": f"combo-{index}",
        "package_name": package,
        "staging_workspace_host": staging if index % 2 == 0 else "",
        "prod_workspace_host": prod if index % 2 == 0 else "",
        "default_branch": "main" if index % 3 else "develop",
        "release_branch": "release" if index % 3 else "release/prod",
        "training_schedule": "0 30 2 ? * SUN" if index % 2 else "0 0 8 ? * MON",
        "schedule_timezone": "Europe/London" if index % 2 else "UTC",
        "notification_email": f"ml-alerts-{index}@example.org",
    }


OPTION_SETS = [answers(i, options) for i, options in enumerate(pairwise())]


IDS = [
    f"{i}-{o['cloud']}-{o['cicd_platform']}-{o['workspace_layout']}-{o['model_registry']}"
    f"-fs_{o['databricks_feature_store']}-{o['job_compute']}-py{o['python_version']}"
    for i, o in enumerate(OPTION_SETS)
]
