# Everything that differs between environments arrives here; the environment roots pass it.

variable "project" {
  description = "Project name; every job name starts with \"<environment>-<project>\"."
  type        = string
}

variable "environment" {
  description = "Environment name: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "developer" {
  description = "Whose dev deployment this is (terraform/envs/dev): their name goes into every job name, dev-<developer>-<project>-..., and every task passes it to the code (--developer), which fills in the $${developer} of conf/envs/dev.yml. Empty for staging and prod."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([a-z][a-z0-9_]{0,39})?$", var.developer))
    error_message = "developer must be lowercase letters, digits and _, starting with a letter, at most 40 characters (or empty)."
  }
}

variable "manage_git_credential" {
  description = "Azure DevOps: make the Microsoft Entra git credential of the identity Terraform signs in as (the environment's service principal). Only Azure Databricks can use it, so false on AWS and Google Cloud (register the principal's Azure DevOps credential outside Terraform, as for GitHub) and in a dev deployment, where the developer's own credential is used."
  type        = bool
  default     = {{ "true" if cookiecutter.cloud == "azure" else "false" }}
}

variable "force_destroy" {
  description = "Whether destroying the environment drops its schema with every table in it (true in a dev deployment only)."
  type        = bool
  default     = false
}

variable "git_url" {
  description = "HTTPS URL of this repository: the jobs check out their code from it."
  type        = string

  validation {
    condition     = startswith(var.git_url, "https://")
    error_message = "git_url must be the repository's https:// URL (set TF_VAR_git_url in the pipeline)."
  }
}

variable "git_provider" {
  description = "Databricks name of the git host: azureDevOpsServices or gitHub."
  type        = string

  validation {
    condition     = contains(["azureDevOpsServices", "gitHub"], var.git_provider)
    error_message = "git_provider must be azureDevOpsServices or gitHub."
  }
}

variable "git_branch" {
  description = "Branch whose code this environment's jobs run (main for staging, release for prod)."
  type        = string
}

variable "run_as" {
  description = "Who the jobs run as and who owns what they write: the application (client) id of the environment's service principal, or in a developer's dev deployment the developer's user name (an e-mail address)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F-]{36}$", var.run_as)) || can(regex("^[^@\\s]+@[^@\\s]+$", var.run_as))
    error_message = "run_as must be the service principal's application id (a UUID; the platform bootstrap outputs it) or, for a dev deployment, a user name (e-mail address)."
  }
}

variable "read_group" {
  description = "Group allowed to view the jobs, the experiment, the tables and the model."
  type        = string
}

variable "notification_email" {
  description = "Address that receives job failure notices."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+$", var.notification_email))
    error_message = "notification_email must be an e-mail address."
  }
}

variable "failure_webhook_ids" {
  description = "Ids of workspace notification destinations (Teams, Slack, PagerDuty...) told of job failures."
  type        = list(string)
  default     = []
}

variable "catalog" {
  description = "Unity Catalog catalog of this environment (it must exist; the schema is created in it)."
  type        = string
}

variable "schema" {
  description = "Schema for this project's tables, volume and (with Unity Catalog) model."
  type        = string
}

variable "experiment_name" {
  description = "Workspace path of the MLflow experiment."
  type        = string
}

variable "model_name" {
  description = "Registered model name as the code uses it: catalog.schema.model (Unity Catalog) or a workspace-registry name."
  type        = string
}

variable "spark_version" {
  description = "Databricks ML runtime of every job cluster. Moving runtimes is this one edit (keep pyspark in pyproject.toml on the same major version)."
  type        = string
  default     = "17.3.x-cpu-ml-scala2.13"

  validation {
    condition     = can(regex("-ml-", var.spark_version))
    error_message = "spark_version must be an ML runtime (its key contains \"-ml-\"): the jobs need MLflow and the feature-engineering client."
  }
}

variable "compute" {
  description = "What the jobs run on: serverless (jobs compute, a Python environment per job) or classic (a job cluster on an ML runtime)."
  type        = string

  validation {
    condition     = contains(["serverless", "classic"], var.compute)
    error_message = "compute must be serverless or classic (the same as spark.compute in conf/project.yml)."
  }
}

variable "serverless_environment_version" {
  description = "Serverless environment version of the jobs' Python environment (compute = serverless). 4 and later run Spark ML (Python 3.12, Spark 4 through Databricks Connect)."
  type        = string
  default     = "4"
}

variable "serverless_dependencies" {
  description = "What the serverless environment installs (compute = serverless): the dependencies of pyproject.toml but pyspark, which serverless compute provides (Databricks Connect). The template's tests keep the two lists equal."
  type        = list(string)
  default = [
    "databricks-feature-engineering>=0.12,<1",
    "databricks-sdk>=0.56,<1",
    "hyperopt>=0.2.7,<0.4",
    "jinja2>=3.1,<4",
    "mlflow>=3.1,<4",
    "optuna>=4.0,<6",
    "pandas>=2.2,<3",
    "pydantic>=2.7,<3",
    "matplotlib>=3.8",
    "pyyaml>=6",
    "scikit-learn>=1.5,<2",
  ]
}

variable "node_type" {
  description = "VM type of the job clusters (compute = classic; chosen per cloud when the project was generated)."
  type        = string
}

variable "num_workers" {
  description = "Workers of each job cluster, per job."
  type        = map(number)
  default = {
    features  = 2
    training  = 2
    inference = 1
    delivery  = 1
    rollback  = 1
  }
}

variable "pypi_packages" {
  description = "Libraries each task installs on top of the runtime: the project's dependencies the ML runtime lacks (hyperopt is not on 17.3 LTS and later). Same specifiers as pyproject.toml."
  type        = list(string)
  default     = ["hyperopt>=0.2.7,<0.4", "pydantic>=2.7,<3"]
}

variable "schedules" {
  description = "Quartz cron expression (with seconds) of each scheduled job."
  type        = map(string)
}

variable "timezone" {
  description = "Time zone of the schedules (Java/IANA id)."
  type        = string
  default     = "UTC"
}

variable "pause_status" {
  description = "UNPAUSED runs the schedules; PAUSED keeps the jobs but runs them only when started by hand."
  type        = string
  default     = "UNPAUSED"

  validation {
    condition     = contains(["PAUSED", "UNPAUSED"], var.pause_status)
    error_message = "pause_status must be PAUSED or UNPAUSED."
  }
}

variable "max_retries" {
  description = "Retries of a failed task. Every step is idempotent (partition overwrite, alias moves), so a retry is safe."
  type        = number
  default     = 2
}

variable "min_retry_interval_millis" {
  description = "Wait before a task is retried, in milliseconds."
  type        = number
  default     = 300000
}

variable "task_timeout_seconds" {
  description = "Time limit of each task; a task over it is stopped and the run fails (and notifies)."
  type        = map(number)
  default = {
    ingest        = 3600
    validate_data = 1800
    features      = 3600
    train         = 14400
    validate      = 3600
    deploy        = 900
    infer         = 3600
    deliver       = 1800
    rollback      = 900
  }
}

variable "job_timeout_seconds" {
  description = "Time limit of a whole run of each job, retries included."
  type        = map(number)
  default = {
    features  = 14400
    training  = 43200
    inference = 10800
    delivery  = 3600
    rollback  = 1800
  }
}
