"""Deploy and rollback on a real (SQLite) registry: the gate cannot be skipped, one alias write
commits a promotion, every attempt is recorded (promoted, rejected or refused), and a failure
midway leaves a valid champion."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.context import Platform
from {{ cookiecutter.package_name }}.errors import (
    RegistryError,
    RejectedError,
)
from {{ cookiecutter.package_name }}.pipeline import preflight
from {{ cookiecutter.package_name }}.tasks.model import (
    deploy,
    rollback,
)


@pytest.fixture
def p(conf_dir: Path) -> Platform:
    settings = load_settings("local", conf_dir)
    platform = Platform(settings, preflight(settings))
    _ = platform.tracking  # points MLflow at the project's stores
    mlflow.MlflowClient().create_registered_model(settings.registry.model_name)
    return platform


def challenger(p: Platform, decision: str | None = "PROMOTE", against: str = "none") -> str:
    """A new version aliased @challenger, tagged as `validate` would have tagged it."""
    name = p.settings.registry.model_name
    version = str(
        mlflow.MlflowClient().create_model_version(name, source="file:///nowhere").version
    )
    p.registry.set_alias(name, "challenger", version)
    if decision:
        reasons = "roc_auc 0.8 >= floor 0.7 | roc_auc 0.8 vs champion 0.7: gain +0.1 meets ..."
        p.registry.tag_version(
            name,
            version,
            {
                "gate.decision": decision,
                "gate.champion_version": against,
                "gate.reasons": reasons,
                "gate.run_id": f"validate-run-of-{version}",
            },
        )
    return version


def aliases(p: Platform) -> dict[str, str | None]:
    name = p.settings.registry.model_name
    return {
        a: p.registry.alias_version(name, a)
        for a in ("champion", "previous_champion", "challenger")
    }


def audit(p: Platform, step: str) -> list:
    client = mlflow.MlflowClient()
    return client.search_runs(
        [p.tracking.experiment_id], f"tags.step = '{step}'", order_by=["start_time DESC"]
    )


def test_first_promotion_and_its_record(p: Platform) -> None:
    version = challenger(p)
    deploy(p)
    assert aliases(p) == {"champion": version, "previous_champion": None, "challenger": None}
    [run] = audit(p, "deploy")
    assert run.info.status == "FINISHED"
    assert run.data.tags["alias.champion"] == f"none -> {version}"
    assert run.data.tags["outcome"] == "promoted"
    assert {"git_commit", "git_dirty", "moved_at", "model"} <= set(run.data.tags)
    assert run.data.tags["gate.run_id"] == f"validate-run-of-{version}"  # the decision it acted on
    tags = p.registry.version_tags(p.settings.registry.model_name, version)
    assert tags["deployed_by_run"] == run.info.run_id


def test_later_promotion_keeps_the_old_champion_for_rollback(p: Platform) -> None:
    first = challenger(p)
    deploy(p)
    second = challenger(p, against=first)
    deploy(p)
    assert aliases(p) == {"champion": second, "previous_champion": first, "challenger": None}
    assert audit(p, "deploy")[0].data.tags["alias.previous_champion"] == f"none -> {first}"


def test_an_unvalidated_challenger_is_never_deployed(p: Platform) -> None:
    version = challenger(p, decision=None)
    with pytest.raises(
        RegistryError, match=f"version {version} has not been validated: run validate first"
    ):
        deploy(p)
    assert aliases(p)["champion"] is None
    [refused] = audit(p, "deploy")
    assert refused.data.tags["outcome"] == "refused"
    assert refused.data.tags["challenger_version"] == version
    assert "has not been validated" in refused.data.tags["reason"]
    assert not any(k.startswith("alias.") for k in refused.data.tags)  # nothing moved


def test_a_decision_against_another_champion_is_stale(p: Platform) -> None:
    first = challenger(p)
    deploy(p)
    challenger(p, against="none")  # validated before `first` became champion
    with pytest.raises(
        RegistryError, match=f"validated against champion none, but the champion is now {first}"
    ):
        deploy(p)
    assert aliases(p)["champion"] == first


def test_nothing_to_deploy(p: Platform) -> None:
    with pytest.raises(RegistryError, match="has no @challenger to deploy"):
        deploy(p)
    [refused] = audit(p, "deploy")
    assert (refused.data.tags["outcome"], refused.data.tags["challenger_version"]) == (
        "refused",
        "none",
    )


def test_a_rejected_challenger_moves_nothing(p: Platform, capsys) -> None:
    first = challenger(p)
    deploy(p)
    second = challenger(p, decision="REJECT", against=first)
    deploy(p)
    assert aliases(p) == {"champion": first, "previous_champion": None, "challenger": second}
    out = capsys.readouterr().out
    assert f"REJECTED: {p.settings.registry.model_name} version {second} stays a challenger" in out
    assert "roc_auc 0.8 >= floor 0.7" in out
    rejected_run, promoted_run = audit(p, "deploy")
    assert rejected_run.data.tags["outcome"] == "rejected"
    assert rejected_run.data.tags["gate.run_id"] == f"validate-run-of-{second}"
    assert promoted_run.data.tags["outcome"] == "promoted"
    gate = p.settings.gate.model_copy(update={"fail_on_reject": True})
    p.settings = p.settings.model_copy(update={"gate": gate})
    with pytest.raises(RejectedError) as rejected:
        deploy(p)
    assert rejected.value.exit_code == 5
    assert aliases(p)["champion"] == first


def test_a_failure_before_the_commit_point_leaves_the_champion_in_place(
    p: Platform, monkeypatch
) -> None:
    first = challenger(p)
    deploy(p)
    challenger(p, against=first)
    real = p.registry.set_alias

    def fail_on_champion(name: str, alias: str, version: str) -> None:
        if alias == "champion":
            raise ConnectionError("registry unreachable")
        real(name, alias, version)

    monkeypatch.setattr(p.registry, "set_alias", fail_on_champion)
    with pytest.raises(ConnectionError):
        deploy(p)
    assert aliases(p)["champion"] == first  # still the valid, old champion
    assert audit(p, "deploy")[0].info.status == "FAILED"  # the attempt is on record


def test_rollback_restores_the_previous_champion_in_one_move(p: Platform) -> None:
    first = challenger(p)
    deploy(p)
    second = challenger(p, against=first)
    deploy(p)
    rollback(p)
    assert aliases(p) == {"champion": first, "previous_champion": None, "challenger": None}
    [run] = audit(p, "rollback")
    assert run.data.tags["alias.champion"] == f"{second} -> {first}"
    tags = p.registry.version_tags(p.settings.registry.model_name, second)
    assert tags["rolled_back_by_run"] == run.info.run_id
    with pytest.raises(RegistryError, match="no @previous_champion: nothing to roll back to"):
        rollback(p)
