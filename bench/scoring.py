"""T2: batch inference, read -> score -> write, on the same rows with the same model: the
generated pipeline's path (`scoring.score`: the model shipped once in a mapInPandas function)
against `mlflow.pyfunc.spark_udf`, the path most templates use. Loading the model counts in
both. The rows are the ones the project's own inference benchmark (P2) wrote; both paths write
(key, as-of date, score) as Parquet.
"""

from __future__ import annotations

import shutil
import statistics

from benchmarks.common import measured, target, timed
from benchmarks.inference import input_rows

from .context import Claims, module


def run_case(ctx: Claims) -> dict:
    import mlflow
    from pyspark.sql import functions as F

    score = module("scoring").score
    p, rows = ctx.platform, ctx.project.size.inference_rows
    name, keys = p.settings.registry.model_name, p.settings.entity.keys
    champion = p.registry.load(name, "champion", p.spark)
    model = f"{name} version {champion.version} ({champion.kind})"
    if champion.kind != "sklearn":
        return {
            "rows": rows,
            "model": model,
            "spark_udf": "not run: spark_udf would start Spark inside each Python worker",
            "targets": [],
        }
    source = input_rows(ctx.project, champion.columns, rows)
    out = ctx.folder / "scoring"

    def ours() -> None:
        loaded = p.registry.load(name, "champion", p.spark)
        score(loaded, p.spark.read.parquet(source), keys).write.mode("overwrite").parquet(
            str(out / "ours")
        )

    def spark_udf() -> None:
        udf = mlflow.pyfunc.spark_udf(
            p.spark, champion.uri, result_type="array<double>", env_manager="local"
        )
        df = p.spark.read.parquet(source)
        inputs = [  # the signature takes numbers as doubles: a peer casts them first
            F.col(c).cast("double").alias(c) if c in champion.columns.numeric else F.col(c)
            for c in champion.columns.all
        ]
        scored = df.select(*keys, udf(F.struct(*inputs))[1].alias("score"))
        scored.write.mode("overwrite").parquet(str(out / "spark_udf"))

    paths = {"ours": ours, "spark_udf": spark_udf}
    seconds: dict[str, list[float]] = {path: [] for path in paths}
    for _ in range(ctx.repeat):
        for path, action in paths.items():
            shutil.rmtree(out / path, ignore_errors=True)
            seconds[path].append(timed(action)[0])
    totals = {
        path: p.spark.read.parquet(str(out / path)).agg(F.count("*"), F.sum("score")).first()
        for path in paths
    }
    for path, (count, _) in totals.items():
        if count != rows:
            raise AssertionError(f"T2: the {path} path wrote {count} rows of {rows}")
    difference = abs(totals["ours"][1] - totals["spark_udf"][1]) / rows
    if difference > 1e-9:
        raise AssertionError(f"T2: the two paths' mean scores differ by {difference}")
    ratios = [a / b for a, b in zip(seconds["spark_udf"], seconds["ours"], strict=True)]
    result = {
        "rows": rows,
        "model": model,
        "seconds": {path: measured(values, 2) for path, values in seconds.items()},
        "rows_per_second": {
            path: round(rows / statistics.median(values)) for path, values in seconds.items()
        },
        "speedup_over_spark_udf": measured(ratios),
        "targets": [target("speedup_over_spark_udf", statistics.median(ratios), ">=", 2.0)],
    }
    print(f"  rows per second: {result['rows_per_second']}")
    return result
