# The three Cloud Functions (2nd gen), built from the same zip (npm run package:functions);
# functions/index.ts registers every entry point and each loads only its own module
# (functions/entries/). Images go to our own Artifact Registry repository, which has a
# cleanup policy (registry.tf).


resource "google_cloudfunctions2_function" "analyze" {
  name        = local.function_names.analyze
  location    = var.region
  description = "memegen: an upload landed in the inbox → faces and expressions → a render request"

  build_config {
    runtime           = "nodejs22"
    entry_point       = "analyze"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = var.analyze.memory
    available_cpu                    = var.analyze.cpu
    max_instance_request_concurrency = var.analyze.concurrency
    max_instance_count               = var.analyze.max_instances
    min_instance_count               = 0
    timeout_seconds                  = var.analyze.timeout_seconds
    ingress_settings                 = var.worker_ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.analyze.email
    environment_variables            = local.function_env
  }

  depends_on = [google_project_service.apis, time_sleep.iam_propagation]
}

resource "google_cloudfunctions2_function" "render" {
  name        = local.function_names.render
  location    = var.region
  description = "memegen: a render request → the meme and its final status in the public bucket"

  build_config {
    runtime           = "nodejs22"
    entry_point       = "render"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = var.render.memory
    available_cpu                    = var.render.cpu
    max_instance_request_concurrency = var.render.concurrency
    max_instance_count               = var.render.max_instances
    min_instance_count               = 0
    timeout_seconds                  = var.render.timeout_seconds
    ingress_settings                 = var.worker_ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.render.email
    environment_variables            = local.function_env
  }

  depends_on = [google_project_service.apis, time_sleep.iam_propagation]
}

resource "google_cloudfunctions2_function" "upload" {
  name        = local.function_names.upload
  location    = var.region
  description = "memegen: the upload page and signed upload URLs"

  build_config {
    runtime           = "nodejs22"
    entry_point       = "upload"
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = var.upload.memory
    available_cpu                    = var.upload.cpu
    max_instance_request_concurrency = var.upload.concurrency
    max_instance_count               = var.upload.max_instances
    min_instance_count               = 0
    timeout_seconds                  = var.upload.timeout_seconds
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.upload.email
    environment_variables            = local.function_env
  }

  depends_on = [google_project_service.apis, time_sleep.iam_propagation]
}
