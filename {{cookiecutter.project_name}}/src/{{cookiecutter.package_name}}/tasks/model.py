"""Model steps: train a challenger, validate it against the champion, deploy, roll back."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
from pyspark.sql import DataFrame

from .. import faults
from ..caching import cached, clear
from ..cohorts import Cohort, columns_needed, columns_read, evaluate, where_column
from ..context import Platform
from ..errors import ConfigError, DataError, RegistryError, RejectedError
from ..evaluation import (
    calibration,
    calibration_figure,
    metrics,
    pr_figure,
    pr_overlay,
    roc_figure,
    roc_overlay,
)
from ..features import entity_view
from ..features.definitions import definitions, digest, model_definitions
from ..gate import Decision, Rule, decide, deployment, recorded
from ..importance import importance_figure
from ..report import Evidence, png, render
from ..scoring import (
    LoadedModel,
    cohort_problems,
    definition_problems,
    described,
    feature_problems,
    scored_here,
)
from ..spine import labelled
from ..split import check_split, with_part
from ..training import model_requirements, train_model
from ..uncertainty import Comparison, compare, estimate
from ..yamlfiles import show
from .data import feature_state_id, in_population, with_condition


def _data_snapshot(p: Platform) -> dict[str, str]:
    """What identifies the data a model was trained on."""
    parts = {
        "features": feature_state_id(p),
        "labels": p.tables.metadata(p.settings.label.source).get("fingerprint", ""),
    }
    return {
        "data_snapshot": digest(parts),
        "data.features": parts["features"],
        "data.labels": parts["labels"],
    }


def training_rows(p: Platform) -> DataFrame:
    """The label rows (entity key, as-of date, label) the models learn from and are judged on."""
    settings = p.settings
    source = settings.label.source
    watermark = p.store.state().get("watermark")
    latest = date.fromisoformat(watermark) if watermark else None
    rows = labelled(entity_view(settings, source, p.tables.read(source)), settings, latest)
    return in_population(p, rows)


def current_features(p: Platform) -> DataFrame:
    """The feature table, refused when it was computed from other definitions than today's or
    lacks a feature of the cart: `features` must run first."""
    settings, cart = p.settings, p.cart
    state = p.store.state()
    if not state:
        raise DataError(["the feature table does not exist yet: run features first"])
    current = definitions(settings, cart.mappings, p.functions)
    old = state.get("definitions", {})
    changed = sorted(g for g in {*old, *current} if old.get(g) != current.get(g))
    if changed:
        raise DataError(
            [
                f"the feature table was computed from other definitions of {', '.join(changed)} "
                f"than {cart.mappings_file} and {settings.source_of('sources')} hold now: "
                "run features first"
            ]
        )
    table = p.store.read()
    have = set(table.columns)
    missing = [f for f in cart.features if f not in have]
    if missing:
        raise DataError(
            [
                f"the feature table has no column {f!r} (group {cart.groups[f]!r} of "
                f"{cart.mappings_file}): run features first"
                for f in missing
            ]
        )
    return table


def _lineage(p: Platform) -> dict[str, str]:
    commit, dirty = p.tracking.code_state()
    return {"git_commit": commit, "git_dirty": dirty}


def _conf_texts(p: Platform) -> dict[str, str]:
    """The configuration files as written, for the run: what decided this model."""
    settings = p.settings
    files = {
        **settings.files,
        "mappings": settings.features.mappings,
        "selection": settings.features.selection,
    }
    return {
        f"conf/{role}-{path.name}": path.read_text(encoding="utf-8")
        for role, path in files.items()
        if path.is_file()
    }


def train(p: Platform) -> None:
    """labels + supermarket -> a tuned model, registered and given the alias `challenger`."""
    settings, cart = p.settings, p.cart
    current_features(p)
    data = cached(
        with_part(
            p.store.training_set(training_rows(p), list(cart.features)),
            settings.split,
            list(settings.entity.key),
        )
    )
    # enough rows of both classes in each part, before any trial (and before any run)
    check_split(data, settings, cart.population.name if cart.population else None)
    table_definitions = p.store.state()["definitions"]
    lineage = {
        **_lineage(p),
        **_data_snapshot(p),
        "features.groups": ",".join(cart.selected_groups),
        "features.definitions": model_definitions(table_definitions, cart.selected_groups),
        **({"features.cohort": cart.population.tag} if cart.population else {}),
    }
    name, estimator = settings.registry.model_name, settings.training.estimator
    with p.start_run(f"train-{estimator}", {"step": "train", **lineage}) as run:
        fitted = train_model(data, cart, settings.training, p.spark)
        p.tracking.log_trials(run.id, fitted.tuned.trials, settings.training.tuner)
        scores = metrics(fitted.holdout_label, fitted.holdout_score)
        logged = p.store.log_model(
            fitted.model, fitted.kind, name, fitted.example, model_requirements(fitted.kind)
        )
        p.tracking.log_run_contents(
            params={
                "estimator": estimator,
                "tuner": settings.training.tuner,
                "max_evals": settings.training.max_evals,
                "n_features": len(cart.features),
                **{f"best.{k}": v for k, v in fitted.tuned.best_params.items()},
                **{f"rows.{k}": v for k, v in fitted.sizes.items()},
            },
            metrics={
                **{f"holdout_{k}": v for k, v in scores.items()},
                "best_val_roc_auc": fitted.tuned.best_validation_auc,
            },
            tags={"model_id": logged.model_id},
            figures={
                "plots/roc.png": roc_figure(
                    fitted.holdout_label, fitted.holdout_score, "Holdout ROC"
                ),
                "plots/precision_recall.png": pr_figure(
                    fitted.holdout_label, fitted.holdout_score, "Holdout precision-recall"
                ),
                "plots/feature_importance.png": importance_figure(fitted.importance),
            },
            documents={
                "feature_list.json": {
                    **cart.as_dict(),
                    "definitions": {g: table_definitions.get(g) for g in cart.selected_groups},
                },
                "config.json": settings.model_dump(mode="json"),
                "feature_importance.json": fitted.importance.as_dict(),
                "single_feature_auc.json": fitted.single_feature_auc,
                "tuning.json": [
                    {
                        "number": t.number,
                        "status": t.status,
                        "params": t.params,
                        "seconds": t.seconds,
                        **t.metrics,
                    }
                    for t in fitted.tuned.trials
                ],
                **_conf_texts(p),
            },
            model_id=logged.model_id,  # the metrics belong to the logged model too
        )
    version = logged.version
    clear(p.spark)  # steps hand data on through tables only
    p.registry.tag_version(
        name, version, {"run_id": run.id, "model_id": logged.model_id, **lineage}
    )
    p.registry.set_alias(name, "challenger", version)
    print(
        f"  {len(fitted.tuned.trials)} trials; holdout ROC AUC {scores['roc_auc']:.3f}; "
        f"registered {name} version {version} as @challenger"
    )


def _gate_rule(p: Platform) -> Rule:
    gate = p.settings.gate
    return Rule(
        gate.primary_metric,
        gate.min_delta,
        gate.relative,
        dict(gate.floors),
        gate.decide_on,
        dict(gate.cohorts.floors),
        gate.cohorts.max_drop,
    )


def _holdout_scores(p: Platform, models: dict[str, LoadedModel]) -> dict[str, pd.DataFrame]:
    """(label, score) of each model on the same rows: the holdout entities' labels of today,
    with features as of each row's date. Refuses models whose features are gone or retyped."""
    table = current_features(p)
    problems = [
        problem
        for model in models.values()
        for problem in feature_problems(model, table.schema, "the feature table")
    ]
    if problems:
        raise DataError(problems)
    cohorts = p.settings.cohorts
    wheres = {n: s.where for n, s in cohorts.slices.items() if s.where is not None}
    sliced = [
        *columns_needed(cohorts),
        *(c for where in wheres.values() for c in columns_read(where, p.cart.available)),
    ]
    inputs = list(dict.fromkeys([*(c for m in models.values() for c in m.columns.all), *sliced]))
    key = list(p.settings.entity.key)
    looked_up = p.store.lookup(training_rows(p), inputs)
    holdout = with_part(looked_up, p.settings.split, key).where("part = 'holdout'")
    holdout = cached(_with_filters(p, holdout, wheres))
    keys = p.settings.entity.keys
    keep = [*keys, "label", *columns_needed(cohorts), *(where_column(n) for n in wheres)]
    # Row for row the same holdout, in the same order: the comparison is paired.
    return {
        role: frame.sort_values(keys).reset_index(drop=True)
        for role, frame in scored_here(models, holdout, keep).items()
    }


def _with_filters(p: Platform, holdout: DataFrame, wheres: dict[str, str]) -> DataFrame:
    """``holdout`` with a column per ``where`` cohort: whether the row is in it. A filter Spark
    cannot read is a configuration error naming its key."""
    problems = []
    for name, where in wheres.items():
        holdout, why = with_condition(holdout, where_column(name), where)
        if why:
            problems.append(
                f"{p.settings.source_of('cohorts', 'slices', name)}: cohorts.slices.{name}.where: "
                f"{where!r} is not a boolean expression over the feature table's columns: {why}"
            )
    if problems:
        raise ConfigError(problems)
    return holdout


def _cohorts(p: Platform, scored: dict[str, pd.DataFrame]) -> list[Cohort]:
    """Each declared cohort of the holdout, measured for both models (see cohorts.py)."""
    settings, gate = p.settings.cohorts, p.settings.gate
    if not settings.slices:
        return []
    frame = scored["challenger"].copy()
    columns = {}
    for role, own in scored.items():
        frame[f"__score_{role}"] = own["score"].to_numpy()
        columns[role] = f"__score_{role}"
    problems = [
        f"{p.settings.source_of('cohorts', 'slices', name)}: cohorts.slices.{name}.column: "
        f"{spec.column!r} has {frame[spec.column].nunique():,} values on the holdout, more than "
        f"cohorts.max_values ({settings.max_values}): cut it with bins, or slice another column"
        for name, spec in settings.slices.items()
        if spec.column and spec.bins is None and frame[spec.column].nunique() > settings.max_values
    ]
    if problems:
        raise ConfigError(problems)
    return evaluate(
        frame,
        columns,
        settings,
        gate.primary_metric,
        level=gate.interval.level,
        resamples=gate.interval.cohort_resamples,
        seed=gate.interval.seed,
    )


def _comparison(p: Platform, scored: dict[str, pd.DataFrame]) -> Comparison | None:
    """The paired bootstrap of the challenger's gain over the champion, or None (no champion
    scored)."""
    if "champion" not in scored:
        return None
    gate = p.settings.gate
    challenger, champion = scored["challenger"], scored["champion"]
    return compare(
        gate.primary_metric,
        challenger["label"].to_numpy(),
        challenger["score"].to_numpy(),
        champion["score"].to_numpy(),
        level=gate.interval.level,
        resamples=gate.interval.resamples,
        seed=gate.interval.seed,
    )


def _record_decision(
    p: Platform,
    run_id: str,
    models: dict[str, LoadedModel],
    scored: dict[str, pd.DataFrame],
    results: dict[str, dict[str, float]],
    decision: Decision,
    comparison: Comparison | None,
    cohorts: list[Cohort],
) -> str:
    """The decision, both scores, the reasons and the report: on the validate run and the
    challenger. Returns the report's URI."""
    name, challenger = p.settings.registry.model_name, models["challenger"]
    against = recorded(p.registry.alias_version(name, "champion"))
    curves = {
        f"{role} v{models[role].version}": (s["label"].to_numpy(), s["score"].to_numpy())
        for role, s in scored.items()
    }
    calibrations = {named: calibration(*curve) for named, curve in curves.items()}
    held = f"{len(scored['challenger']):,} holdout rows, 10 bins of equal rows"
    summary = {
        "decision": decision.verdict,
        "reasons": list(decision.reasons),
        "challenger": {"version": challenger.version, **results["challenger"]},
        "champion": {"version": against, **results.get("champion", {})},
        "rule": p.settings.gate.model_dump(mode="json"),
        "comparison": comparison.as_dict() if comparison else None,
        "cannot_be_met": list(decision.cannot_be_met),
        "cohorts": [c.as_dict() for c in cohorts],
        "calibration": {
            named: {k: v for k, v in found.items() if k != "bins"}
            for named, found in calibrations.items()
        },
    }
    figures = {  # drawn once: logged as they are, and inlined in the report
        "roc": png(roc_overlay(curves, "Same holdout, both models")),
        "precision_recall": png(pr_overlay(curves, "Same holdout, both models")),
        "calibration": png(
            calibration_figure(
                calibrations, p.settings.label.positive_class, f"Calibration ({held})"
            )
        ),
    }
    p.tracking.log_run_contents(
        params={"challenger_version": challenger.version, "champion_version": against},
        metrics={f"{role}_{k}": v for role, r in results.items() for k, v in r.items()},
        tags={
            "gate.decision": decision.verdict,
            "model": name,
            **{f"{role}_model_id": models[role].model_id for role in scored},
        },
        figures={
            "gate/roc_overlay.png": figures["roc"],
            "gate/pr_overlay.png": figures["precision_recall"],
            "gate/calibration.png": figures["calibration"],
        },
        documents={
            "gate/comparison.json": summary,
            "gate/calibration.json": calibrations,
            **({"gate/cohorts.json": [c.as_dict() for c in cohorts]} if cohorts else {}),
        },
    )
    training = p.tracking.run_record(challenger.run_id, REPORT_DOCUMENTS, REPORT_IMAGES)
    images = {key: training.pop(key) for key in REPORT_IMAGES if training.get(key)}
    evidence = Evidence(
        model=name,
        version=challenger.version,
        champion=against,
        validate_run=run_id,
        decision=decision,
        rule=summary["rule"],
        results=results,
        primary=_primary(p, scored, comparison),
        comparison=comparison,
        cohorts=cohorts,
        calibrations=calibrations,
        positive_class=p.settings.label.positive_class,
        lineage=_report_lineage(p, challenger, models.get("champion")),
        training=training,
        figures={**figures, **images},
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    html = render(evidence)  # on the validate run, and on the run the version came from
    p.tracking.attach_text(run_id, html, "gate/report.html")
    report = p.tracking.attach_text(challenger.run_id, html, f"reports/validate-{run_id}.html")
    own = calibrations[f"challenger v{challenger.version}"]
    scores = {f"gate.{role}.{k}": f"{v:.6f}" for role, r in results.items() for k, v in r.items()}
    p.registry.tag_version(
        name,
        challenger.version,
        {
            "gate.decision": decision.verdict,
            "gate.reasons": _tag_text(" | ".join(decision.reasons)),
            "gate.champion_version": against,
            "gate.run_id": run_id,
            "gate.report": report,
            **scores,
            **_interval_tags(comparison),
            "gate.calibration": (
                f"mean score {own['mean_predicted']:.4f}, observed rate "
                f"{own['observed_rate']:.4f}, ECE {own['expected_calibration_error']:.4f}, "
                f"Brier {own['brier']:.4f} over {own['rows']} holdout rows"
            ),
        },
    )
    return report


# What the report reads from the challenger's training run: {name: artifact path}.
REPORT_DOCUMENTS = {
    "feature_list": "feature_list.json",
    "feature_importance": "feature_importance.json",
    "tuning": "tuning.json",
}
REPORT_IMAGES = {"importance": "plots/feature_importance.png"}


def _primary(p: Platform, scored: dict[str, pd.DataFrame], comparison: Comparison | None) -> dict:
    """The primary metric's interval for each model: the comparison's, or, with no champion,
    the challenger's own over the same resamples settings."""
    if comparison is not None:
        return {"challenger": comparison.challenger, "champion": comparison.champion}
    gate, own = p.settings.gate, scored["challenger"]
    return {
        "challenger": estimate(
            gate.primary_metric,
            own["label"].to_numpy(),
            own["score"].to_numpy(),
            level=gate.interval.level,
            resamples=gate.interval.resamples,
            seed=gate.interval.seed,
        )
    }


LINEAGE_TAGS = (
    "run_id",
    "model_id",
    "git_commit",
    "git_dirty",
    "data_snapshot",
    "data.features",
    "data.labels",
    "features.groups",
    "features.definitions",
    "features.cohort",
)


def _report_lineage(
    p: Platform, challenger: LoadedModel, champion: LoadedModel | None
) -> dict[str, str]:
    """Where the challenger came from (its version's lineage tags) and what it was judged
    against."""
    tags = p.registry.version_tags(challenger.name, challenger.version)
    found = {f"challenger {key}": tags[key] for key in LINEAGE_TAGS if key in tags}
    found["challenger model URI"] = challenger.uri
    if champion is not None:
        found["champion version"] = champion.version
        found["champion run_id"] = champion.run_id
        found["champion model_id"] = champion.model_id or "not recorded"
    return found


TAG_CHARACTERS = 5_000  # hosted registries take shorter tag values than the local store


def _tag_text(text: str) -> str:
    """``text`` as a tag value: cut short (with many cohorts) where the registry might refuse it;
    the whole of it is in gate/comparison.json."""
    if len(text) <= TAG_CHARACTERS:
        return text
    more = " | ... (cut short: the rest is in gate/comparison.json)"
    return text[: TAG_CHARACTERS - len(more)] + more


def _interval_tags(comparison: Comparison | None) -> dict[str, str]:
    """The gain's interval as version tags: what a reviewer reads beside the decision."""
    if comparison is None:
        return {}
    c = comparison
    return {
        "gate.gain": f"{c.gain.value:.6f}",
        "gate.gain_low": f"{c.gain.low:.6f}",
        "gate.gain_high": f"{c.gain.high:.6f}",
        "gate.interval": f"{c.level:.0%} {c.method}, {c.resamples} resamples, seed {c.seed}",
        "gate.holdout_rows": str(c.rows),
        "gate.holdout_positives": str(c.positives),
    }


def _comparable_champion(p: Platform, champion: LoadedModel) -> list[str]:
    """Why the champion cannot be scored on today's feature table (other definitions)."""
    return definition_problems(champion, p.store.state().get("definitions", {}))


def validate(p: Platform) -> None:
    """@challenger and @champion scored on the same, current holdout; the gate decides.

    The decision, both scores and the reasons go on an MLflow run and on the challenger's
    version, where `deploy` reads them, with the validation report (report.py). A champion
    trained on other feature definitions than today's table cannot be scored on it: the
    challenger is then judged on the floors alone, and the reasons say so.
    """
    name = p.settings.registry.model_name
    with p.start_run("validate", {"step": "validate"}) as run:
        models = {"challenger": p.registry.load(name, "challenger", p.spark)}
        stale = definition_problems(models["challenger"], p.store.state().get("definitions", {}))
        stale += cohort_problems(
            models["challenger"], p.cart.cohort_tag, show(p.settings.features.selection)
        )
        if stale:
            raise DataError([f"{line}: run train again" for line in stale])
        against = p.registry.alias_version(name, "champion")
        notes = []
        if against:
            champion = p.registry.load(name, "champion", p.spark)
            notes = _comparable_champion(p, champion)
            if not notes:
                models["champion"] = champion
            if champion.cohort != p.cart.cohort_tag:
                print(
                    f"  note: champion version {against} was trained for "
                    f"{described(champion.cohort)}; both models are judged on the challenger's "
                    "holdout"
                )
        scored = _holdout_scores(p, models)
        results = {
            role: metrics(s["label"].to_numpy(), s["score"].to_numpy())
            for role, s in scored.items()
        }
        comparison = _comparison(p, scored)
        cohorts = _cohorts(p, scored)
        decision = decide(
            results["challenger"], results.get("champion"), _gate_rule(p), comparison, cohorts
        )
        if notes:
            reasons = [r for r in decision.reasons if not r.startswith("no champion")]
            note = f"champion version {against} cannot be scored on today's features"
            decision = Decision(decision.promote, (*reasons, f"{note}: floors only"))
            for line in notes:
                print(f"  warning: {line}")
        for line in decision.cannot_be_met:
            print(f"  warning: {p.settings.source_of('gate', 'min_delta')}: {line}")
        report = _record_decision(p, run.id, models, scored, results, decision, comparison, cohorts)
    clear(p.spark)
    challenger = models["challenger"].version
    print(f"  {decision.verdict}: {name} version {challenger} against champion {recorded(against)}")
    for reason in decision.reasons:
        print(f"    {reason}")
    print(f"  report: {report}")


def _record(p: Platform, action: str, moves: dict[str, tuple[str | None, str | None]], **why: str):
    """An audit run for an attempt to move aliases {alias: (from, to)}: when, which code, on
    what grounds, and what came of it (``outcome``)."""
    tags = {
        **why,
        "step": action,
        "model": p.settings.registry.model_name,
        **_lineage(p),
        "moved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **{
            f"alias.{alias}": f"{recorded(old)} -> {recorded(new)}"
            for alias, (old, new) in moves.items()
        },
    }
    return p.start_run(action, tags)


def _unfinished_promotion(p: Platform, champion: str | None):
    """The deploy run that made ``champion`` the champion and stopped before it finished its
    record (crashed, or killed, after the commit point), or None."""
    if champion is None:
        return None
    name = p.settings.registry.model_name
    run = p.tracking.latest_run(
        f"tags.step = 'deploy' and tags.outcome = 'promoted' and tags.model = '{name}'",
    )
    if run is None or run.status == "FINISHED" or "record_finished_by_run" in run.tags:
        return None
    moved = run.tags.get("alias.champion", "").rpartition(" -> ")[2]
    return run if moved == champion else None


def _finish_promotion(p: Platform, champion: str, challenger: str | None, crashed) -> None:
    """Do what the deploy run ``crashed`` left undone after its commit point, and say so."""
    name = p.settings.registry.model_name
    if challenger == champion:
        p.registry.delete_alias(name, "challenger")
    moves = {"challenger": (challenger, None)} if challenger == champion else {}
    why = {"promoted_by_run": crashed.id, "challenger_version": champion}
    with _record(p, "deploy", moves, outcome="already promoted", **why) as run:
        tags = p.registry.version_tags(name, champion)
        if "deployed_by_run" not in tags:
            p.registry.tag_version(name, champion, {"deployed_by_run": crashed.id})
        p.tracking.set_run_tags(crashed.id, {"record_finished_by_run": run.id})
    print(
        f"  already PROMOTED: {name} version {champion} is @champion since deploy run "
        f"{crashed.id}, which stopped before finishing its record; finished it now"
    )


def deploy(p: Platform) -> None:
    """Promote the validated challenger, or say why not. Only a decision made against the
    current champion counts; `champion` is moved by one registry write, the last one. Every
    attempt leaves an audit run, whether it promoted, was rejected or was refused. Run again
    after a crash past the commit point, it finishes that promotion's record and says so."""
    settings, name = p.settings, p.settings.registry.model_name
    challenger = p.registry.alias_version(name, "challenger")
    tags = p.registry.version_tags(name, challenger) if challenger else {}
    champion = p.registry.alias_version(name, "champion")
    crashed = _unfinished_promotion(p, champion)
    if crashed is not None:
        _finish_promotion(p, champion, challenger, crashed)
        if challenger in (None, champion):
            return
    attempt = {
        "challenger_version": recorded(challenger),
        "challenger_model_id": tags.get("model_id", ""),
    }
    verdict = deployment(name, challenger, tags, champion)
    if verdict.outcome == "refused":
        refusal = verdict.reasons[0]
        with _record(p, "deploy", {}, outcome="refused", reason=refusal, **attempt):
            pass
        raise RegistryError([refusal])
    why = {"gate.run_id": tags["gate.run_id"], **attempt}
    if verdict.outcome == "rejected":
        reasons = verdict.reasons
        with _record(p, "deploy", {}, outcome="rejected", **why):
            pass
        print(f"  REJECTED: {name} version {challenger} stays a challenger", end="; ")
        print(f"the champion stays {recorded(champion)}")
        for reason in reasons:
            print(f"    {reason}")
        if settings.gate.fail_on_reject:
            raise RejectedError([f"{name} version {challenger}: {reason}" for reason in reasons])
        return
    moves = {"champion": (champion, challenger), "challenger": (challenger, None)}
    if champion:
        moves["previous_champion"] = (p.registry.alias_version(name, "previous_champion"), champion)
    with _record(p, "deploy", moves, outcome="promoted", **why) as run:
        if champion:
            p.registry.set_alias(name, "previous_champion", champion)
        p.registry.set_alias(name, "champion", challenger)  # the commit point
        faults.point("deploy:champion-moved", run_id=run.id)
        p.registry.delete_alias(name, "challenger")
        faults.point("deploy:challenger-cleared", run_id=run.id)
        p.registry.tag_version(name, challenger, {"deployed_by_run": run.id})
    print(f"  PROMOTED: {name} version {challenger} is @champion (was {recorded(champion)})")


def rollback(p: Platform) -> None:
    """Make @previous_champion the champion again, in one registry write."""
    name = p.settings.registry.model_name
    previous = p.registry.alias_version(name, "previous_champion")
    if previous is None:
        raise RegistryError([f"model {name!r} has no @previous_champion: nothing to roll back to"])
    champion = p.registry.alias_version(name, "champion")
    moves = {"champion": (champion, previous), "previous_champion": (previous, None)}
    model_id = p.registry.version_tags(name, previous).get("model_id", "")
    with _record(p, "rollback", moves, outcome="rolled back", model_id=model_id) as run:
        p.registry.set_alias(name, "champion", previous)  # the commit point
        p.registry.delete_alias(name, "previous_champion")
        if champion:
            p.registry.tag_version(name, champion, {"rolled_back_by_run": run.id})
    print(f"  ROLLED BACK: {name} version {previous} is @champion again (was {champion})")
