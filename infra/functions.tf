# The three Cloud Functions (2nd gen), built from the same zip (npm run package:functions);
# functions/index.ts registers all three entry points.

resource "google_cloudfunctions2_function" "analyze" {
  name        = "${var.name_prefix}-analyze"
  location    = var.region
  description = "memegen: an upload landed in the inbox → faces and expressions → a render request"

  build_config {
    runtime         = "nodejs22"
    entry_point     = "analyze"
    service_account = google_service_account.build.id
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
  name        = "${var.name_prefix}-render"
  location    = var.region
  description = "memegen: a render request → the meme and its final status in the public bucket"

  build_config {
    runtime         = "nodejs22"
    entry_point     = "render"
    service_account = google_service_account.build.id
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
  name        = "${var.name_prefix}-upload"
  location    = var.region
  description = "memegen: the upload page and signed upload URLs"

  build_config {
    runtime         = "nodejs22"
    entry_point     = "upload"
    service_account = google_service_account.build.id
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

# Warns at plan/apply time if the page would be served from an origin the inbox's CORS
# rule does not allow (browsers would then fail to PUT the photo).
check "upload_page_origin" {
  assert {
    condition     = contains(local.page_origins, regex("^https://[^/]+", google_cloudfunctions2_function.upload.service_config[0].uri))
    error_message = "The upload page's origin is not in the inbox bucket's CORS origins."
  }
}
