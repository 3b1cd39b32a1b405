"""The pipeline's own benchmarks: `make bench` writes one JSON file (schema.json describes it).

P1 the whole local pipeline (wall time, peak memory, each step), P2 batch inference (rows per
second), P3 incremental features (against recomputing every snapshot): what a team needs to
measure its own model on its own data. Each figure is the median of several runs. The
template's claims (tuning overhead, parallel trials, scoring against spark_udf, suite time) are
measured by the template's own benchmarks, which run inside a generated project.
"""
