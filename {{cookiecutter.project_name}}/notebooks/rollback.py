# Databricks notebook source
# MAGIC %md
# MAGIC # rollback
# MAGIC Task `rollback` of the rollback job (no schedule; run it by hand). Points the champion
# MAGIC alias back at the previous champion and records the move.
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

# COMMAND ----------

from {{ cookiecutter.package_name }}.jobs import run_task

run_task(
    "rollback",
    env=dbutils.widgets.get("env"),
    conf_dir="../conf",
    developer=dbutils.widgets.get("developer"),
)
