"""P3: batch inference, read -> score -> write, on the same rows with the same model: the
pipeline's path (`scoring.score`: the model shipped once in a mapInPandas function) against
`mlflow.pyfunc.spark_udf`, the path most templates use. Loading the model counts in both.

The rows are the feature table's, repeated when the table is smaller than the benchmark, with
the champion's input columns; both paths write (key, as-of date, score) as Parquet.
"""

from __future__ import annotations

import math
import shutil
import statistics

from .common import Context, measured, target, timed


def _input(ctx: Context, columns, rows: int) -> str:
    """The benchmark's input rows as Parquet, written once per bench folder."""
    from pyspark.sql import functions as F

    p = ctx.platform
    path = ctx.folder / "inference" / f"input-{rows}"
    if not (path / "_SUCCESS").is_file():
        table = p.store.read().select(*p.settings.entity.keys, *columns.all)
        have = table.count()
        copies = math.ceil(rows / have)
        if copies > 1:
            table = table.crossJoin(p.spark.range(copies).select(F.col("id").alias("copy")))
            table = table.drop("copy")
        table.limit(rows).write.mode("overwrite").parquet(str(path))
    return str(path)


def run_case(ctx: Context) -> dict:
    import mlflow
    from pyspark.sql import functions as F

    from {{ cookiecutter.package_name }}.scoring import score

    p, rows = ctx.platform, ctx.size.inference_rows
    name, keys = p.settings.registry.model_name, p.settings.entity.keys
    champion = p.registry.load(name, "champion", p.spark)
    source = _input(ctx, champion.columns, rows)
    out = ctx.folder / "inference"

    def ours() -> None:
        model = p.registry.load(name, "champion", p.spark)
        scored = score(model, p.spark.read.parquet(source), keys)
        scored.write.mode("overwrite").parquet(str(out / "ours"))

    def peers() -> None:
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

    paths = {"ours": ours}
    if champion.kind == "sklearn":
        paths["spark_udf"] = peers
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
            raise AssertionError(f"P3: the {path} path wrote {count} rows of {rows}")
    result: dict = {
        "rows": rows,
        "model": f"{name} version {champion.version} ({champion.kind})",
        "seconds": {path: measured(values, 2) for path, values in seconds.items()},
        "rows_per_second": {
            path: round(rows / statistics.median(values)) for path, values in seconds.items()
        },
        "targets": [],
    }
    if "spark_udf" in paths:
        difference = abs(totals["ours"][1] - totals["spark_udf"][1]) / rows
        if difference > 1e-9:
            raise AssertionError(f"P3: the two paths' mean scores differ by {difference}")
        ratios = [a / b for a, b in zip(seconds["spark_udf"], seconds["ours"], strict=True)]
        result["speedup_over_spark_udf"] = measured(ratios)
        result["targets"] = [target("speedup_over_spark_udf", statistics.median(ratios), ">=", 2.0)]
    else:
        result["spark_udf"] = "not run: spark_udf would start Spark inside each Python worker"
    print(f"  rows per second: {result['rows_per_second']}")
    return result
