# Every job ends (functions/cloud/deadLetterHandler.ts and sweep.ts; README "Job lifecycle"):
#   - deadLetter: a push subscription on the dead-letter topic; a message Pub/Sub gave up on
#     fails its job RETRIES_EXHAUSTED (the original stays in the inbox).
#   - sweep: Cloud Scheduler publishes a tick to the sweep topic every minute; its push
#     subscription calls the sweep, which reads the index of open jobs (jobs/open/<id> in the
#     public bucket, never the whole bucket) and fails or redelivers the overdue ones.

locals {
  # Cloud Scheduler publishes its Pub/Sub targets' messages as its service agent.
  scheduler_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-cloudscheduler.iam.gserviceaccount.com"
}

# ---- Service accounts ---------------------------------------------------------------------

resource "google_service_account" "dead_letter" {
  account_id   = "${var.name_prefix}-dead-letter"
  display_name = "memegen deadLetter: fails the jobs of dead-lettered messages"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "sweep" {
  account_id   = "${var.name_prefix}-sweep"
  display_name = "memegen sweep: fails or redelivers jobs past their deadline"
  depends_on   = [google_project_service.apis]
}

# deadLetter reads and rewrites statuses and drops index entries (get, create, delete in the
# public bucket); it never touches the inbox: the original is kept.
resource "google_storage_bucket_iam_member" "public_dead_letter" {
  bucket = google_storage_bucket.public.name
  role   = "roles/storage.objectUser"
  member = google_service_account.dead_letter.member
}

# The sweep lists the index prefix and rewrites statuses (objectUser: get, list, create,
# delete), looks an upload up in the inbox (get only: legacyObjectReader is storage.objects.get
# alone) and republishes its notification to the uploads topic.
resource "google_storage_bucket_iam_member" "public_sweep" {
  bucket = google_storage_bucket.public.name
  role   = "roles/storage.objectUser"
  member = google_service_account.sweep.member
}

resource "google_storage_bucket_iam_member" "inbox_sweep" {
  bucket = google_storage_bucket.inbox.name
  role   = "roles/storage.legacyObjectReader"
  member = google_service_account.sweep.member
}

resource "google_pubsub_topic_iam_member" "uploads_sweep_publisher" {
  topic  = google_pubsub_topic.uploads.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.sweep.member
}

# ---- Functions ----------------------------------------------------------------------------

resource "google_cloudfunctions2_function" "dead_letter" {
  name        = local.function_names.dead_letter
  location    = var.region
  description = "memegen: a message Pub/Sub gave up on → its job failed RETRIES_EXHAUSTED"

  build_config {
    runtime           = "nodejs22"
    entry_point       = "deadLetter"
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
    available_memory                 = "256Mi"
    available_cpu                    = "1"
    max_instance_request_concurrency = 20
    max_instance_count               = 2
    min_instance_count               = 0
    timeout_seconds                  = 60
    ingress_settings                 = var.worker_ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.dead_letter.email
    environment_variables            = local.function_env
  }

  depends_on = [google_project_service.apis, time_sleep.iam_propagation]
}

resource "google_cloudfunctions2_function" "sweep" {
  name        = local.function_names.sweep
  location    = var.region
  description = "memegen: every minute, fails or redelivers the jobs past their deadline"

  build_config {
    runtime           = "nodejs22"
    entry_point       = "sweep"
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
    available_memory = "256Mi"
    available_cpu    = "1"
    # One sweep at a time: overlapping ticks would only repeat each other's work.
    max_instance_request_concurrency = 1
    max_instance_count               = 1
    min_instance_count               = 0
    timeout_seconds                  = var.sweep_timeout_seconds
    ingress_settings                 = var.worker_ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.sweep.email
    # The shared settings, plus where to redeliver and the stall deadline (sweep only).
    environment_variables = merge(local.function_env, {
      UPLOADS_TOPIC     = google_pubsub_topic.uploads.id
      JOB_STALL_SECONDS = var.job_stall_seconds
    })
  }

  lifecycle {
    precondition {
      # Pub/Sub's next delivery of a job's message comes at most the ack deadline plus the
      # longest backoff (600 s) after the last began (and each beginning resets the stall
      # clock), so the sweep never takes over a job Pub/Sub is still retrying.
      condition     = var.job_stall_seconds > var.push_ack_deadline_seconds + 600
      error_message = "job_stall_seconds must exceed push_ack_deadline_seconds + 600, or the sweep would redeliver jobs Pub/Sub is still retrying."
    }
  }

  depends_on = [google_project_service.apis, time_sleep.iam_propagation]
}

resource "google_cloud_run_service_iam_member" "dead_letter_invoker" {
  location = google_cloudfunctions2_function.dead_letter.location
  service  = google_cloudfunctions2_function.dead_letter.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

resource "google_cloud_run_service_iam_member" "sweep_invoker" {
  location = google_cloudfunctions2_function.sweep.location
  service  = google_cloudfunctions2_function.sweep.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

# ---- Dead letters → deadLetter --------------------------------------------------------------

# Beside the pull subscription that keeps dead letters a week for inspection (pubsub.tf).
resource "google_pubsub_subscription" "dead_letter_handler" {
  name  = "${var.name_prefix}-dead-letter-handler"
  topic = google_pubsub_topic.dead_letter.id

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  expiration_policy {
    ttl = ""
  }

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.dead_letter.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.dead_letter.name}"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.dead_letter.service_config[0].uri
    }
  }

  # Storage errors are retried; a dead letter is never itself dead-lettered (nothing would read it).
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  # Pushes start at once: only after the push identity may invoke the function everywhere.
  depends_on = [time_sleep.invoker_propagation]
}

# ---- The sweep's clock ----------------------------------------------------------------------

resource "google_pubsub_topic" "sweep" {
  name       = "${var.name_prefix}-sweep"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic_iam_member" "sweep_scheduler_publisher" {
  topic  = google_pubsub_topic.sweep.id
  role   = "roles/pubsub.publisher"
  member = local.scheduler_service_agent
}

resource "google_cloud_scheduler_job" "sweep" {
  name        = "${var.name_prefix}-sweep"
  region      = var.region
  description = "memegen: tick for the sweep (jobs past their deadline)"
  schedule    = var.sweep_schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.sweep.id
    data       = base64encode("{}")
  }

  depends_on = [google_project_service.apis, google_pubsub_topic_iam_member.sweep_scheduler_publisher]
}

# A tick not taken within a few minutes is worthless (the next one comes): short retention,
# no dead-lettering.
resource "google_pubsub_subscription" "sweep" {
  name  = "${var.name_prefix}-sweep"
  topic = google_pubsub_topic.sweep.id

  ack_deadline_seconds       = var.sweep_timeout_seconds
  message_retention_duration = "600s"
  expiration_policy {
    ttl = ""
  }

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.sweep.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.sweep.name}"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.sweep.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "60s"
    maximum_backoff = "600s"
  }

  # Pushes start at once: only after the push identity may invoke the function everywhere.
  depends_on = [time_sleep.invoker_propagation]
}
