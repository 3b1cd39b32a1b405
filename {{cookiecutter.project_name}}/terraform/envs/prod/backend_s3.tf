# Remote state in a versioned S3 bucket (pass bucket and region at `terraform init -backend-config=...`).
# A lock file next to the state serialises runs (Terraform >= 1.10; it replaces the DynamoDB
# lock table, deprecated since 1.11 — add -backend-config=dynamodb_table=... to keep one).
terraform {
  backend "s3" {
    key          = "{{ cookiecutter.project_name }}/prod.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
