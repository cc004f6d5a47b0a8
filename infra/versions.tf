terraform {
  required_version = ">= 1.5"

  # Exact versions: the ones infra/provider-schema.json was extracted from (npm run
  # infra:schema), which test/infra-schema.test.ts checks every argument against. Change
  # them together with PROVIDERS in infra/provider-schema.ts.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
    # Only for google_project_service_identity, which the GA provider lacks.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "6.50.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.13.1"
    }
  }

  # State lives in a GCS bucket made once by infra/bootstrap.sh, one state per stack: the
  # prefix is the stack's name_prefix (docs/deploy.md, cloudbuild.yaml):
  #   terraform init -backend-config=bucket=STATE_BUCKET -backend-config=prefix=NAME_PREFIX
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
