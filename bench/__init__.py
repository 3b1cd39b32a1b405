"""The template's own benchmarks: the claims the template makes about every project it
generates (the tuning harness's overhead and what parallel trials buy, the scoring path against
`mlflow.pyfunc.spark_udf`, how long a generated project's suite and its generation take).

They run inside a generated project, with its virtualenv and its `benchmarks` harness
(`benchmarks.common`): the template's `make bench` generates one, runs the project's own
benchmarks there, then these, and writes one JSON file (schema.json) holding both.
"""
