# Remote state in a versioned GCS bucket (pass the bucket at `terraform init -backend-config=...`);
# GCS locks the state itself.
terraform {
  backend "gcs" {
    prefix = "{{ cookiecutter.project_name }}/prod"
  }
}
