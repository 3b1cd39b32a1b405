"""T1: what the tuning harness costs, and what parallel trials buy.

Overhead: the pipeline's tuning (the configured tuner's TPE over its search space, each trial fitted
and scored on the validation part, then every trial logged to MLflow) against bare fits of the
same model with the same hyperparameters on the same rows. Everything that is not the fit counts
as overhead: suggesting, scoring the validation part, logging. An untimed warm-up comes first
(imports, caches, the MLflow experiment): the pipeline pays those once a run, not per trial.

Parallel trials: a single-node objective of at least ``long_trial_seconds`` per trial (a
gradient-boosting fit with early stopping off, sized to this machine), tuned with Hyperopt's
``Trials``, with ``SparkTrials(parallelism=2)`` (Spark tasks) and with Optuna's two threads
(``n_jobs=2``, what serverless compute allows), all chosen by the pipeline's ``make_tuner``.
Once with each fit held to one thread (the harness's own speed-up), once with the library's
default of every core (what a 2-core laptop sees: both fits of a round share the same cores).
"""

from __future__ import annotations

import math
import statistics
import time

from benchmarks.common import measured, target, timed

from .context import Claims, module

LONG_ESTIMATOR = "hist_gradient_boosting"
# (name, tuner, trials at a time): one at a time, Spark tasks, threads of the driver
MODES = (
    ("trials", "hyperopt", 1),
    ("spark_trials", "hyperopt", 2),
    ("optuna_threads", "optuna", 2),
)


def _data(ctx: Claims):
    training_rows = module("tasks.model").training_rows
    Columns, with_part = module("model_inputs").Columns, module("split").with_part

    p = ctx.platform
    spine = training_rows(p)
    key = list(p.settings.entity.key)
    data = with_part(p.store.training_set(spine, list(p.cart.features)), p.settings.split, key)
    return data, Columns.of(p.cart)


def overhead(ctx: Claims, data, columns) -> dict:
    from pyspark.sql import functions as F

    estimators, training = module("estimators"), module("training")
    ESTIMATORS, build_sklearn, build_spark = (
        estimators.ESTIMATORS,
        estimators.build_sklearn,
        estimators.build_spark,
    )
    model_frame = module("model_inputs").model_frame
    pandas_parts, tune = training.pandas_parts, training.tune
    sklearn_objective, spark_objective = training.sklearn_objective, training.spark_objective
    make_tuner = module("tuners").make_tuner

    p, settings = ctx.platform, ctx.platform.settings.training
    estimator, seed, n = settings.estimator, settings.seed, ctx.size.overhead_trials
    space = settings.search_spaces[estimator]
    if ESTIMATORS[estimator].kind == "sklearn":
        parts = pandas_parts(data, columns)
        objective = sklearn_objective(estimator, columns, parts["train"], parts["validation"], seed)
        x, y = model_frame(parts["train"], columns), parts["train"]["label"].to_numpy()

        def bare_fit(params: dict) -> None:
            build_sklearn(estimator, params, columns.categorical, seed).fit(x, y)
    else:
        train = data.where(F.col("part") == "train").cache()
        validation = data.where(F.col("part") == "validation").cache()
        train.count(), validation.count()
        objective = spark_objective(estimator, columns, train, validation, seed)

        def bare_fit(params: dict) -> None:
            build_spark(estimator, params, columns.numeric, columns.categorical, seed).fit(train)

    def one_at_a_time():
        return make_tuner(settings.tuner, ESTIMATORS[estimator].kind == "sklearn", 1, p.spark)

    def harness():
        tuned = tune(objective, space, estimator, n, seed, one_at_a_time())
        with p.start_run("bench-tuning", {"step": "bench"}) as run:
            p.tracking.log_trials(run.id, tuned.trials, settings.tuner)
        return tuned

    _ = p.tracking  # the experiment exists before timing
    warm = tune(objective, space, estimator, 2, seed, one_at_a_time())
    bare_fit(warm.trials[0].params)  # imports, caches and the experiment exist before timing
    ratios, harness_s, bare_s = [], [], []
    for i in range(ctx.repeat):
        seconds, tuned = timed(harness)
        params = [t.params for t in tuned.trials if t.status == "ok"]
        bare = sum(timed(lambda q=q: bare_fit(q))[0] for q in params)
        ratios.append(seconds / bare - 1)
        harness_s.append(seconds / n)
        bare_s.append(bare / len(params))
        print(f"  overhead run {i + 1}: {seconds:.1f} s tuned, {bare:.1f} s bare fits")
    per_trial = statistics.median(h - b for h, b in zip(harness_s, bare_s, strict=True))
    return {
        "estimator": estimator,
        "tuner": settings.tuner,
        "trials": n,
        "harness_seconds_per_trial": measured(harness_s),
        "bare_fit_seconds_per_trial": measured(bare_s),
        "overhead_seconds_per_trial": round(per_trial, 3),
        "overhead_fraction": measured(ratios, 4),
        "targets": [target("overhead.overhead_fraction", statistics.median(ratios), "<=", 0.10)],
    }


def _long_objective(columns, train, validation, seed: int, max_iter: int, threads: int | None):
    """A self-contained objective (SparkTrials ships it to a Python worker)."""
    model_frame = module("model_inputs").model_frame

    x_train, y_train = model_frame(train, columns), train["label"].to_numpy()
    x_val, y_val = model_frame(validation, columns), validation["label"].to_numpy()
    categorical = columns.categorical
    # the project's functions travel by reference: a Python worker imports the installed
    # package, not this one
    build_sklearn, typed = module("estimators").build_sklearn, module("estimators").typed

    def objective(params: dict) -> dict:
        from sklearn.metrics import roc_auc_score
        from threadpoolctl import threadpool_limits

        start = time.perf_counter()
        with threadpool_limits(limits=threads):
            model = build_sklearn(LONG_ESTIMATOR, typed(LONG_ESTIMATOR, params), categorical, seed)
            model.set_params(model__early_stopping=False, model__max_iter=max_iter)
            model.fit(x_train, y_train)
            auc = roc_auc_score(y_val, model.predict_proba(x_val)[:, 1])
        seconds = time.perf_counter() - start
        return {"loss": -auc, "status": "ok", "val_roc_auc": auc, "fit_seconds": seconds}

    return objective


def _iterations_for(columns, train, seed: int, seconds: float) -> int:
    """Boosting iterations for one single-threaded fit to take at least ``seconds`` here (the
    first trees cost more than the later ones, so the count is found by growing it)."""
    from threadpoolctl import threadpool_limits

    build_sklearn = module("estimators").build_sklearn
    model_frame = module("model_inputs").model_frame

    x, y, iterations = model_frame(train, columns), train["label"].to_numpy(), 20
    model = build_sklearn(LONG_ESTIMATOR, {"learning_rate": 0.05}, columns.categorical, seed)
    while True:
        model.set_params(model__early_stopping=False, model__max_iter=iterations)
        with threadpool_limits(limits=1):
            elapsed, _ = timed(lambda: model.fit(x, y))
        if elapsed >= seconds * 1.1:
            return iterations
        iterations = math.ceil(iterations * min(4.0, max(1.3, seconds * 1.2 / elapsed)))


def parallel(ctx: Claims, data, columns) -> dict:
    Distribution = module("config").Distribution
    pandas_parts, tune = module("training").pandas_parts, module("training").tune
    make_tuner = module("tuners").make_tuner

    p, seed, n = ctx.platform, ctx.platform.settings.training.seed, ctx.size.parallel_trials
    parts = pandas_parts(data, columns)
    max_iter = _iterations_for(columns, parts["train"], seed, ctx.size.long_trial_seconds)
    space = {  # neither changes how long a fit takes
        "learning_rate": Distribution(distribution="loguniform", low=0.01, high=0.2),
        "l2_regularization": Distribution(distribution="uniform", low=0.0, high=2.0),
    }
    result: dict = {"trials": n, "max_iter": max_iter}
    for variant, threads in (("one_thread_per_fit", 1), ("all_cores_per_fit", None)):
        objective = _long_objective(
            columns, parts["train"], parts["validation"], seed, max_iter, threads
        )
        walls: dict[str, list[float]] = {mode: [] for mode, _, _ in MODES}
        trial_seconds: list[float] = []
        in_spark: dict[str, list[float]] = {"fit": [], "trial": []}
        for _ in range(ctx.repeat):
            for mode, tuner, parallelism in MODES:
                searcher = make_tuner(tuner, True, parallelism, p.spark)
                seconds, tuned = timed(
                    lambda t=searcher, o=objective: tune(o, space, LONG_ESTIMATOR, n, seed, t)
                )
                walls[mode].append(seconds)
                fits = [t.metrics["fit_seconds"] for t in tuned.trials]
                if mode == "trials":
                    trial_seconds.append(statistics.median(fits))
                elif mode == "spark_trials":  # a trial's cost in a Python worker, booked to done
                    in_spark["fit"].append(statistics.median(fits))
                    in_spark["trial"].append(statistics.median(t.seconds for t in tuned.trials))
        speedups = [a / b for a, b in zip(walls["trials"], walls["spark_trials"], strict=True)]
        threaded = [a / b for a, b in zip(walls["trials"], walls["optuna_threads"], strict=True)]
        print(
            f"  {variant}: SparkTrials {statistics.median(speedups):.2f}x Trials, "
            f"Optuna's threads {statistics.median(threaded):.2f}x"
        )
        result[variant] = {
            "trial_seconds": measured(trial_seconds, 2),
            "trials_wall_seconds": measured(walls["trials"], 1),
            "spark_trials_wall_seconds": measured(walls["spark_trials"], 1),
            "speedup": measured(speedups),
            "optuna_threads_wall_seconds": measured(walls["optuna_threads"], 1),
            "optuna_threads_speedup": measured(threaded),
            "spark_trials_fit_seconds": measured(in_spark["fit"], 2),
            "spark_trials_trial_seconds": measured(in_spark["trial"], 2),
        }
    one = result["one_thread_per_fit"]
    result["targets"] = [
        target(
            "parallel.one_thread_per_fit.trial_seconds",
            one["trial_seconds"]["median"],
            ">=",
            ctx.size.long_trial_seconds,
        ),
        target("parallel.one_thread_per_fit.speedup", one["speedup"]["median"], ">=", 1.5),
    ]
    return result


def run_case(ctx: Claims) -> dict:
    data, columns = _data(ctx)
    data = data.cache()
    try:
        costs, speedup = overhead(ctx, data, columns), parallel(ctx, data, columns)
        targets = costs.pop("targets") + speedup.pop("targets")
        return {"overhead": costs, "parallel": speedup, "targets": targets}
    finally:
        ctx.platform.spark.catalog.clearCache()
