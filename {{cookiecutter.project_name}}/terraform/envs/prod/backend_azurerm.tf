# Remote state in the storage account the platform bootstrap created (pass its names at
# `terraform init -backend-config=...`). Blob leases lock the state; Entra ID signs in (no keys).
terraform {
  backend "azurerm" {
    key              = "{{ cookiecutter.project_name }}/prod.tfstate"
    use_azuread_auth = true
  }
}
