"""The only code that knows where the pipeline runs: a laptop or a Databricks workspace."""
