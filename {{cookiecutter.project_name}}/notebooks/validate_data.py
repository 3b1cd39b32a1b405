# Databricks notebook source
# MAGIC %md
# MAGIC # validate_data
# MAGIC Task `validate_data` of the features job. Checks the raw tables (schema, types, keys,
# MAGIC dates, population) as the sources declare and stops the job on bad data.
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
    "validate_data",
    env=dbutils.widgets.get("env"),
    conf_dir="../conf",
    developer=dbutils.widgets.get("developer"),
)
