terraform {
  required_version = ">= 1.6"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
    azuread = {
      source  = "hashicorp/azuread"
      version = "~> 3.0"
    }
    azuredevops = {
      source  = "microsoft/azuredevops"
      version = "~> 1.0"
    }
    databricks = {
      source  = "databricks/databricks"
      version = "~> 1.99"
    }
    github = {
      source  = "integrations/github"
      version = "~> 6.0"
    }
  }
}
