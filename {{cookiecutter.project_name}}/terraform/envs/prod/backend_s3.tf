# Remote state. The storage itself comes from the platform bootstrap and is passed at
# `terraform init -backend-config=...`; only this environment's own state path is fixed here.
terraform {
  backend "s3" {
    key = "{{ cookiecutter.project_name }}/prod.tfstate"
  }
}
