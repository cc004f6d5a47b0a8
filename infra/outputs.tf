output "upload_page_url" {
  description = "Open this in a browser to make a meme (the trailing slash matters: the page loads api/… relative to it)."
  value       = "${google_cloudfunctions2_function.upload.service_config[0].uri}/"
}

output "api_url" {
  description = "POST {contentType, size, caption?, style?, lang?} here for a signed upload URL."
  value       = "${google_cloudfunctions2_function.upload.service_config[0].uri}/api/uploads"
}

output "public_base_url" {
  description = "PUBLIC_BASE_URL: statuses are <this>/memes/<id>.json, memes <this>/memes/<id>.jpg."
  value       = local.public_base_url
}

output "inbox_bucket" {
  description = "Private bucket uploads land in (gsutil cp photo.jpg gs://<this>/)."
  value       = google_storage_bucket.inbox.name
}

output "public_bucket" {
  description = "Public-read bucket of memes and status documents."
  value       = google_storage_bucket.public.name
}

output "source_bucket" {
  description = "Staging bucket of the functions' source zip."
  value       = google_storage_bucket.source.name
}

output "topics" {
  description = "Pub/Sub topic ids."
  value = {
    uploads     = google_pubsub_topic.uploads.id
    render      = google_pubsub_topic.render.id
    dead_letter = google_pubsub_topic.dead_letter.id
  }
}

output "dead_letter_subscription" {
  description = "Pull subscription holding dead letters for 7 days."
  value       = google_pubsub_subscription.dead_letter.name
}

output "function_names" {
  description = "Cloud Functions names (for gcloud functions logs read / describe)."
  value = {
    analyze     = google_cloudfunctions2_function.analyze.name
    render      = google_cloudfunctions2_function.render.name
    upload      = google_cloudfunctions2_function.upload.name
    dead_letter = google_cloudfunctions2_function.dead_letter.name
    sweep       = google_cloudfunctions2_function.sweep.name
  }
}

output "docker_repository" {
  description = "Artifact Registry repository of the functions' images (with its cleanup policy)."
  value       = google_artifact_registry_repository.functions.id
}

output "dashboard_url" {
  description = "The Cloud Monitoring dashboard (memes per minute, stage latencies, errors, backlog)."
  value       = "https://console.cloud.google.com/monitoring/dashboards/builder/${element(split("/", google_monitoring_dashboard.main.id), 3)}?project=${var.project_id}"
}

output "alert_policies" {
  description = "Alert policy names; they notify alert_email (if set)."
  value = {
    dead_letters = google_monitoring_alert_policy.dead_letters.name
    push_backlog = google_monitoring_alert_policy.push_backlog.name
    function_5xx = google_monitoring_alert_policy.function_5xx.name
    error_logs   = google_monitoring_alert_policy.error_logs.name
  }
}

output "service_accounts" {
  description = "Service account emails."
  value = {
    analyze = google_service_account.analyze.email
    render  = google_service_account.render.email
    upload  = google_service_account.upload.email
    invoker = google_service_account.invoker.email
    build   = google_service_account.build.email
  }
}
