# Databricks notebook source
# MAGIC %md
# MAGIC # deliver
# MAGIC Task `deliver` of the inference and delivery jobs. Writes the day's worklist (the top-
# MAGIC ranked entities) and its report to the delivery volume.
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
    "deliver",
    env=dbutils.widgets.get("env"),
    conf_dir="../conf",
    developer=dbutils.widgets.get("developer"),
    score_date=dbutils.widgets.get("score_date"),
)
