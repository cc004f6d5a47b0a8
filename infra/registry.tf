# The functions' container images. Cloud Functions would otherwise use the gcf-artifacts
# repository it makes itself, which Terraform does not manage (no cleanup policy) and which
# the build account could only be given project-wide roles on.
resource "google_artifact_registry_repository" "functions" {
  repository_id = "${var.name_prefix}-functions"
  location      = var.region
  format        = "DOCKER"
  description   = "memegen: the functions' images and build caches"

  # Every build adds an image per function (and a build cache image). A function's live
  # revision runs its newest image: the newest images_kept versions of every package are
  # kept, whatever their age, so a rollback has something to roll back to; older versions
  # go after image_max_age_days. (A KEEP policy wins over a DELETE one.)
  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-newest"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.images_kept
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "${var.image_max_age_days * 86400}s"
    }
  }

  depends_on = [google_project_service.apis]
}
