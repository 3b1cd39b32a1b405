output "experiment_id" {
  description = "Id of the environment's MLflow experiment."
  value       = databricks_mlflow_experiment.this.id
}
