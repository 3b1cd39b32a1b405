"""Model steps: train a challenger, validate it against the champion, deploy, roll back."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pandas as pd

from ..adapters import registry, tracking
from ..context import Platform
from ..errors import DataError, RegistryError, RejectedError
from ..evaluation import importance_figure, metrics, pr_figure, roc_figure, roc_overlay
from ..gate import Decision, Rule, decide
from ..scoring import LoadedModel, feature_problems, score
from ..training import model_requirements, train_model, with_part


def _data_snapshot(p: Platform) -> dict[str, str]:
    """What identifies the data a model was trained on."""
    parts = {
        "features": json.dumps(p.store.state(), sort_keys=True),
        "labels": p.tables.metadata("labels").get("fingerprint", ""),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "data_snapshot": digest,
        "data.features": parts["features"],
        "data.labels": parts["labels"],
    }


def train(p: Platform) -> None:
    """labels + supermarket -> a tuned model, registered and given the alias `challenger`."""
    settings, cart = p.settings, p.cart
    spine = p.tables.read("labels").select("member_id", "as_of_date", "label")
    data = with_part(p.store.training_set(spine, list(cart.features)), settings.split).cache()
    lineage = {"git_commit": tracking.git_commit(settings.root), **_data_snapshot(p)}
    name, estimator = settings.registry.model_name, settings.training.estimator
    with p.start_run(f"train-{estimator}", {"step": "train", **lineage}) as run:
        fitted = train_model(data, cart, settings.training, p.spark)
        tracking.log_trials(run.info.run_id, fitted.tuned.trials)
        scores = metrics(fitted.holdout_label, fitted.holdout_score)
        tracking.log_run_contents(
            params={
                "estimator": estimator,
                "max_evals": settings.training.max_evals,
                "n_features": len(cart.features),
                **{f"best.{k}": v for k, v in fitted.tuned.best_params.items()},
                **{f"rows.{k}": v for k, v in fitted.sizes.items()},
            },
            metrics={
                **{f"holdout_{k}": v for k, v in scores.items()},
                "best_val_roc_auc": fitted.tuned.best_validation_auc,
            },
            tags={},
            figures={
                "plots/roc.png": roc_figure(
                    fitted.holdout_label, fitted.holdout_score, "Holdout ROC"
                ),
                "plots/precision_recall.png": pr_figure(
                    fitted.holdout_label, fitted.holdout_score, "Holdout precision-recall"
                ),
                "plots/feature_importance.png": importance_figure(
                    fitted.importance, "Feature importance"
                ),
            },
            documents={
                "feature_list.json": cart.as_dict(),
                "config.json": settings.model_dump(mode="json"),
                "feature_importance.json": fitted.importance,
            },
        )
        version = p.store.log_model(
            fitted.model, fitted.kind, name, fitted.example, model_requirements(fitted.kind)
        )
    p.spark.catalog.clearCache()  # steps hand data on through tables only
    registry.tag_version(name, version, {"run_id": run.info.run_id, **lineage})
    registry.set_alias(name, "challenger", version)
    print(
        f"  {len(fitted.tuned.trials)} trials; holdout ROC AUC {scores['roc_auc']:.3f}; "
        f"registered {name} version {version} as @challenger"
    )


def _gate_rule(p: Platform) -> Rule:
    gate = p.settings.gate
    return Rule(gate.primary_metric, gate.min_delta, gate.relative, dict(gate.floors))


def _holdout_scores(p: Platform, models: dict[str, LoadedModel]) -> dict[str, pd.DataFrame]:
    """(label, score) of each model on the same rows: the holdout members' labels of today,
    with features as of each row's date. Refuses models whose features are gone or retyped."""
    table = p.store.read()
    problems = [
        problem
        for model in models.values()
        for problem in feature_problems(model, table.schema, "the feature table")
    ]
    if problems:
        raise DataError(problems)
    inputs = list(dict.fromkeys(c for m in models.values() for c in m.columns.all))
    spine = p.tables.read("labels").select("member_id", "as_of_date", "label")
    holdout = with_part(p.store.lookup(spine, inputs), p.settings.split).where("part = 'holdout'")
    holdout = holdout.cache()
    return {role: score(model, holdout, ["label"]).toPandas() for role, model in models.items()}


def _record_decision(
    p: Platform,
    run_id: str,
    models: dict[str, LoadedModel],
    scored: dict[str, pd.DataFrame],
    results: dict[str, dict[str, float]],
    decision: Decision,
) -> None:
    """The decision, both scores and the reasons: on the validate run and the challenger."""
    name, challenger = p.settings.registry.model_name, models["challenger"]
    against = models["champion"].version if "champion" in models else "none"
    curves = {
        f"{role} v{models[role].version}": (s["label"].to_numpy(), s["score"].to_numpy())
        for role, s in scored.items()
    }
    summary = {
        "decision": decision.verdict,
        "reasons": list(decision.reasons),
        "challenger": {"version": challenger.version, **results["challenger"]},
        "champion": {"version": against, **results.get("champion", {})},
        "rule": p.settings.gate.model_dump(mode="json"),
    }
    tracking.log_run_contents(
        params={"challenger_version": challenger.version, "champion_version": against},
        metrics={f"{role}_{k}": v for role, r in results.items() for k, v in r.items()},
        tags={"gate.decision": decision.verdict, "model": name},
        figures={"gate/roc_overlay.png": roc_overlay(curves, "Same holdout, both models")},
        documents={"gate/comparison.json": summary},
    )
    scores = {f"gate.{role}.{k}": f"{v:.6f}" for role, r in results.items() for k, v in r.items()}
    registry.tag_version(
        name,
        challenger.version,
        {
            "gate.decision": decision.verdict,
            "gate.reasons": " | ".join(decision.reasons),
            "gate.champion_version": against,
            "gate.run_id": run_id,
            **scores,
        },
    )


def validate(p: Platform) -> None:
    """@challenger and @champion scored on the same, current holdout; the gate decides.

    The decision, both scores and the reasons go on an MLflow run and on the challenger's
    version, where `deploy` reads them.
    """
    name = p.settings.registry.model_name
    with p.start_run("validate", {"step": "validate"}) as run:
        models = {"challenger": registry.load(name, "challenger")}
        if registry.alias_version(name, "champion"):
            models["champion"] = registry.load(name, "champion")
        scored = _holdout_scores(p, models)
        results = {
            role: metrics(s["label"].to_numpy(), s["score"].to_numpy())
            for role, s in scored.items()
        }
        decision = decide(results["challenger"], results.get("champion"), _gate_rule(p))
        _record_decision(p, run.info.run_id, models, scored, results, decision)
    p.spark.catalog.clearCache()
    against = models["champion"].version if "champion" in models else "none"
    challenger = models["challenger"].version
    print(f"  {decision.verdict}: {name} version {challenger} against champion {against}")
    for reason in decision.reasons:
        print(f"    {reason}")


def _record(p: Platform, action: str, moves: dict[str, tuple[str | None, str | None]], **why: str):
    """An audit run for alias moves {alias: (from, to)}: when, which code, on what grounds."""
    tags = {
        **why,
        "step": action,
        "model": p.settings.registry.model_name,
        "git_commit": tracking.git_commit(p.settings.root),
        "moved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **{
            f"alias.{alias}": f"{old or 'none'} -> {new or 'none'}"
            for alias, (old, new) in moves.items()
        },
    }
    return p.start_run(action, tags)


def deploy(p: Platform) -> None:
    """Promote the validated challenger, or say why not. Only a decision made against the
    current champion counts; `champion` is moved by one registry write, the last one."""
    settings, name = p.settings, p.settings.registry.model_name
    p.connect_tracking()
    challenger = registry.alias_version(name, "challenger")
    if challenger is None:
        raise RegistryError(
            [f"model {name!r} has no @challenger to deploy: run train and validate"]
        )
    tags = registry.version_tags(name, challenger)
    if "gate.decision" not in tags:
        raise RegistryError(
            [f"{name} version {challenger} has not been validated: run validate first"]
        )
    champion = registry.alias_version(name, "champion")
    if tags["gate.champion_version"] != (champion or "none"):
        raise RegistryError(
            [
                f"{name} version {challenger} was validated against champion "
                f"{tags['gate.champion_version']}, but the champion is now {champion or 'none'}: "
                "run validate again"
            ]
        )
    if tags["gate.decision"] != "PROMOTE":
        reasons = tags["gate.reasons"].split(" | ")
        print(f"  REJECTED: {name} version {challenger} stays a challenger", end="; ")
        print(f"the champion stays {champion or 'none'}")
        for reason in reasons:
            print(f"    {reason}")
        if settings.gate.fail_on_reject:
            raise RejectedError([f"{name} version {challenger}: {reason}" for reason in reasons])
        return
    moves = {"champion": (champion, challenger), "challenger": (challenger, None)}
    if champion:
        moves["previous_champion"] = (registry.alias_version(name, "previous_champion"), champion)
    with _record(p, "deploy", moves, **{"gate.run_id": tags["gate.run_id"]}) as run:
        if champion:
            registry.set_alias(name, "previous_champion", champion)
        registry.set_alias(name, "champion", challenger)  # the commit point
        registry.delete_alias(name, "challenger")
        registry.tag_version(name, challenger, {"deployed_by_run": run.info.run_id})
    print(f"  PROMOTED: {name} version {challenger} is @champion (was {champion or 'none'})")


def rollback(p: Platform) -> None:
    """Make @previous_champion the champion again, in one registry write."""
    name = p.settings.registry.model_name
    p.connect_tracking()
    previous = registry.alias_version(name, "previous_champion")
    if previous is None:
        raise RegistryError([f"model {name!r} has no @previous_champion: nothing to roll back to"])
    champion = registry.alias_version(name, "champion")
    moves = {"champion": (champion, previous), "previous_champion": (previous, None)}
    with _record(p, "rollback", moves) as run:
        registry.set_alias(name, "champion", previous)  # the commit point
        registry.delete_alias(name, "previous_champion")
        if champion:
            registry.tag_version(name, champion, {"rolled_back_by_run": run.info.run_id})
    print(f"  ROLLED BACK: {name} version {previous} is @champion again (was {champion})")
