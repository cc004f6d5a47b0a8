terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }

  # State lives in a GCS bucket you create once (see README "Deploy"):
  #   terraform init -backend-config=bucket=STATE_BUCKET
  backend "gcs" {
    prefix = "memegen"
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
