# Databricks notebook source
# MAGIC %md
# MAGIC # infer
# MAGIC Task `infer` of the inference job. Scores the feature snapshot with the champion and
# MAGIC writes the predictions with their lineage.
# MAGIC
# MAGIC A shell: the widgets below are the task's parameters, and all logic is in the package
# MAGIC (`{{ cookiecutter.package_name }}.jobs.run_task`), tested with the project.

# COMMAND ----------

import os
import sys

# A job checks out the repository and runs this notebook in notebooks/; the package is in ../src.
sys.path.insert(0, os.path.abspath("../src"))

# COMMAND ----------

dbutils.widgets.text("env", "dev")
dbutils.widgets.text("developer", "")  # set by the jobs of make dev-deploy
dbutils.widgets.text("score_date", "")

# COMMAND ----------

from {{ cookiecutter.package_name }}.jobs import run_task

run_task(
    "infer",
    env=dbutils.widgets.get("env"),
    conf_dir="../conf",
    developer=dbutils.widgets.get("developer"),
    score_date=dbutils.widgets.get("score_date"),
)
