output "job_ids" {
  description = "Id of each job, by job name in the module (features, training, inference, delivery, rollback)."
  value       = { for name, job in databricks_job.this : name => job.id }
}

output "job_urls" {
  description = "Workspace URL of each job."
  value       = { for name, job in databricks_job.this : name => job.url }
}

output "experiment_id" {
  description = "Id of the environment's MLflow experiment."
  value       = databricks_mlflow_experiment.this.id
}

output "schema" {
  description = "Full name of the schema that holds the project's tables and delivery volume."
  value       = databricks_schema.this.id
}
