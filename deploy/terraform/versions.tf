terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70, < 7.0"
    }
  }

  # Remote state (recommended for teams): an S3 bucket with versioning and encryption, and S3-native
  # locking (Terraform >= 1.10). Nothing is hard-coded here; pass the values at init:
  #   terraform init -backend-config="bucket=<your-state-bucket>" -backend-config="region=<region>"
  #
  # backend "s3" {
  #   key          = "ashapp/terraform.tfstate"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ "app.kubernetes.io/part-of" = "ashapp", "ashapp:name" = var.name }, var.tags)
  }
}
