"""P2: batch inference as the pipeline does it, read -> score -> write: the champion loaded and
shipped once in a mapInPandas function (`scoring.score`), its scores written as Parquet
(key, as-of date, score). Loading the model counts.

The rows are the feature table's, repeated when the table is smaller than the benchmark, with
the champion's input columns.
"""

from __future__ import annotations

import math
import shutil
import statistics

from .common import Context, measured, timed


def input_rows(ctx: Context, columns, rows: int) -> str:
    """The benchmark's input rows as Parquet, written once per bench folder (the template's
    own scoring benchmark reads the same rows)."""
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
    from pyspark.sql import functions as F

    from {{ cookiecutter.package_name }}.scoring import score

    p, rows = ctx.platform, ctx.size.inference_rows
    name, keys = p.settings.registry.model_name, p.settings.entity.keys
    champion = p.registry.load(name, "champion", p.spark)
    source = input_rows(ctx, champion.columns, rows)
    out = ctx.folder / "inference" / "scores"

    def infer() -> None:
        model = p.registry.load(name, "champion", p.spark)
        score(model, p.spark.read.parquet(source), keys).write.mode("overwrite").parquet(str(out))

    seconds = []
    for _ in range(ctx.repeat):
        shutil.rmtree(out, ignore_errors=True)
        seconds.append(timed(infer)[0])
    written = p.spark.read.parquet(str(out)).agg(F.count("*")).first()[0]
    if written != rows:
        raise AssertionError(f"P2: {written} rows written of {rows}")
    result = {
        "rows": rows,
        "model": f"{name} version {champion.version} ({champion.kind})",
        "seconds": measured(seconds, 2),
        "rows_per_second": round(rows / statistics.median(seconds)),
        "targets": [],
    }
    print(f"  rows per second: {result['rows_per_second']:,}")
    return result
