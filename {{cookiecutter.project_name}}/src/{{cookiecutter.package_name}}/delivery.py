"""The worklist: the highest scores of a date, ranked, with a report."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def worklist(
    predictions: DataFrame, key: list[str], top_n: int | None, threshold: float | None
) -> DataFrame:
    """Predictions ranked by score (1 = highest), cut at ``top_n`` rows or at ``threshold``.

    Ties are broken by the entity ``key``, so the same predictions always give the same list.
    """
    order = Window.orderBy(F.desc("score"), *[F.asc(k) for k in key])
    ranked = predictions.withColumn("rank", F.row_number().over(order))
    cut = F.col("rank") <= top_n if top_n is not None else F.col("score") >= threshold
    return ranked.where(cut)


def report(predictions: DataFrame, delivered: int) -> dict:
    """Counts and the score distribution of one date's predictions."""
    quantiles = [0.5, 0.9, 0.99]
    row = predictions.agg(
        F.count("*").alias("scored"),
        F.mean("score").alias("mean"),
        F.max("score").alias("max"),
        F.percentile_approx("score", quantiles).alias("q"),
    ).collect()[0]
    distribution = {"mean": row["mean"], "max": row["max"]}
    distribution.update({f"p{int(q * 100)}": v for q, v in zip(quantiles, row["q"], strict=True)})
    return {"scored": row["scored"], "delivered": delivered, "score": distribution}
