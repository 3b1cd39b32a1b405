"""The search over a YAML search space, by Hyperopt or Optuna (``training.tuner``).

The search space is written once, in the vocabulary of `config.Distribution`, and `support`
says what each entry means whichever library samples it:

- ``uniform``: a float from ``low`` to ``high``;
- ``loguniform``: a float from ``low`` to ``high``, uniform in its logarithm;
- ``quniform``: a multiple of ``q`` from ``low`` to ``high``, both rounded to the nearest
  multiple of ``q`` (Hyperopt's ``round(uniform(low, high) / q) * q``);
- ``choice``: one of ``options``.

Both tuners run TPE, seeded; each trial is the objective called with a dict of hyperparameter
values, returning ``{"status": "ok" | "fail", "val_roc_auc": ..., "fit_seconds": ...}``. What
they return is the same list of `Trial`, so the trials are logged alike (tracking.log_trials).

Parallel trials: Hyperopt runs single-node trials in Spark tasks (``SparkTrials``, which needs
the classic ``sparkContext``); Optuna runs them in threads on the driver (``n_jobs``), which
serverless compute allows. A scikit-learn fit spends its time in native code that releases
the GIL, so threads run fits side by side, each held to its share of the cores: two fits of a
process that each take every core fight over them (benchmark P2 measured the pair at half the
speed of one fit after the other on two cores).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Distribution


@dataclass(frozen=True)
class Support:
    """The values a search-space entry can take, as both tuners are given them."""

    low: float | None = None
    high: float | None = None
    step: float | None = None  # quniform: values are multiples of it
    log: bool = False
    options: tuple[Any, ...] | None = None  # choice


def support(d: Distribution) -> Support:
    """What ``d`` means, whichever library samples it (see the module's docstring)."""
    if d.distribution == "choice":
        return Support(options=tuple(d.options or ()))
    if d.distribution == "quniform":
        q = d.q
        return Support(low=round(d.low / q) * q, high=round(d.high / q) * q, step=q)
    return Support(low=d.low, high=d.high, log=d.distribution == "loguniform")


def hyperopt_space(space: dict[str, Distribution]) -> dict[str, Any]:
    """The search space as Hyperopt expressions."""
    from hyperopt import hp

    expressions = {}
    for name, d in space.items():
        s = support(d)
        if s.options is not None:
            expressions[name] = hp.choice(name, list(s.options))
        elif s.step is not None:  # Hyperopt rounds itself: given the bounds as written
            expressions[name] = hp.quniform(name, d.low, d.high, d.q)
        elif s.log:
            expressions[name] = hp.loguniform(name, math.log(s.low), math.log(s.high))
        else:
            expressions[name] = hp.uniform(name, s.low, s.high)
    return expressions


def optuna_params(trial, space: dict[str, Distribution]) -> dict[str, Any]:
    """One draw of the search space, suggested by an Optuna trial."""
    params = {}
    for name, d in space.items():
        s = support(d)
        if s.options is not None:
            params[name] = trial.suggest_categorical(name, list(s.options))
        elif s.step is not None:
            params[name] = trial.suggest_float(name, s.low, s.high, step=s.step)
        else:
            params[name] = trial.suggest_float(name, s.low, s.high, log=s.log)
    return params


@dataclass(frozen=True)
class Trial:
    number: int
    params: dict[str, Any]  # as the tuner drew them (`typed` makes them the estimator's types)
    status: str  # ok | fail
    metrics: dict[str, float]
    started: float  # epoch seconds
    seconds: float


Objective = Callable[[dict], dict]
RECORDED = ("val_roc_auc", "fit_seconds")  # what a trial's result holds for MLflow


@dataclass(frozen=True)
class Hyperopt:
    """Hyperopt TPE; ``trials`` is ``Trials`` (one at a time) or ``SparkTrials``."""

    trials: Any

    @property
    def parallelism(self) -> int:
        return getattr(self.trials, "parallelism", 1)

    def search(
        self, objective: Objective, space: dict[str, Distribution], max_evals: int, seed: int
    ) -> list[Trial]:
        from hyperopt import fmin, space_eval, tpe
        from hyperopt.exceptions import AllTrialsFailed

        def minimised(params: dict) -> dict:
            result = objective(params)
            if result.get("status") != "ok":
                return result
            return {**result, "loss": -result["val_roc_auc"]}

        expressions = hyperopt_space(space)
        # every trial failing is recorded like any other outcome: `tune` says so
        with contextlib.suppress(AllTrialsFailed):
            fmin(
                minimised,
                expressions,
                algo=tpe.suggest,
                max_evals=max_evals,
                trials=self.trials,
                rstate=np.random.default_rng(seed),
                show_progressbar=False,
            )
        done = []
        for record in self.trials.trials:
            values = {k: v[0] for k, v in record["misc"]["vals"].items() if v}
            result = record.get("result", {})
            started, ended = record.get("book_time"), record.get("refresh_time")
            done.append(
                Trial(
                    number=record["tid"],
                    params=space_eval(expressions, values),
                    status=result.get("status", "fail"),
                    metrics={k: float(v) for k, v in result.items() if k in RECORDED},
                    started=started.timestamp() if started else time.time(),
                    seconds=(ended - started).total_seconds() if started and ended else 0.0,
                )
            )
        return done


@dataclass(frozen=True)
class Optuna:
    """Optuna's TPE sampler; ``n_jobs`` trials at a time, each in a thread of this process."""

    n_jobs: int = 1

    @property
    def parallelism(self) -> int:
        return self.n_jobs

    def search(
        self, objective: Objective, space: dict[str, Distribution], max_evals: int, seed: int
    ) -> list[Trial]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per trial
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
        )

        def maximised(trial) -> float:
            with _share_of_cores(self.n_jobs):
                result = objective(optuna_params(trial, space))
            trial.set_user_attr("status", result.get("status", "fail"))
            trial.set_user_attr("metrics", {k: float(result[k]) for k in RECORDED if k in result})
            # NaN makes Optuna record the trial as failed
            return result["val_roc_auc"] if result.get("status") == "ok" else math.nan

        study.optimize(maximised, n_trials=max_evals, n_jobs=self.n_jobs)
        done = []
        for record in study.trials:
            started, ended = record.datetime_start, record.datetime_complete
            done.append(
                Trial(
                    number=record.number,
                    params=dict(record.params),
                    status=record.user_attrs.get("status", "fail"),
                    metrics=dict(record.user_attrs.get("metrics", {})),
                    started=started.timestamp() if started else time.time(),
                    seconds=(ended - started).total_seconds() if started and ended else 0.0,
                )
            )
        return sorted(done, key=lambda t: t.number)


def _share_of_cores(trials_at_once: int):
    """Native thread pools (OpenMP, BLAS) of the calling thread held to its share of the cores
    while ``trials_at_once`` trials run in threads of this process; nothing changed for one."""
    if trials_at_once == 1:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=max(1, (os.cpu_count() or 1) // trials_at_once))


Tuner = Hyperopt | Optuna


def make_tuner(tuner: str, single_node: bool, parallelism: int, spark=None) -> Tuner:
    """The configured tuner. ``parallelism`` > 1 runs single-node trials side by side (Hyperopt:
    SparkTrials over ``spark``; Optuna: threads); Spark ML trials run one at a time, as a
    Spark ML fit already spreads over the cluster and cannot run inside a Spark task."""
    parallel = parallelism if single_node else 1
    if tuner == "optuna":
        return Optuna(n_jobs=parallel)
    from hyperopt import SparkTrials, Trials

    if parallel > 1:
        return Hyperopt(SparkTrials(parallelism=parallel, spark_session=spark))
    return Hyperopt(Trials())
