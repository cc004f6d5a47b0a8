# Topics: uploads (inbox notifications) → analyze; render (analyze's requests) → render;
# dead-letter (messages that failed max_delivery_attempts times).

resource "google_pubsub_topic" "uploads" {
  name       = "${var.name_prefix}-uploads"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "render" {
  name       = "${var.name_prefix}-render"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  name       = "${var.name_prefix}-dead-letter"
  depends_on = [google_project_service.apis]
}

# The Storage service agent publishes the inbox's notifications.
resource "google_pubsub_topic_iam_member" "uploads_storage_publisher" {
  topic  = google_pubsub_topic.uploads.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

# Our own push subscriptions rather than Eventarc triggers: an Eventarc-managed
# subscription cannot be given a dead-letter policy in Terraform. The functions framework
# turns a raw push on /projects/P/topics/T into the same CloudEvent an Eventarc trigger
# delivers, and this is how the local stack (local/stack.ts) delivers too.

resource "google_pubsub_subscription" "analyze" {
  name  = "${var.name_prefix}-analyze"
  topic = google_pubsub_topic.uploads.id

  ack_deadline_seconds       = var.push_ack_deadline_seconds
  message_retention_duration = "86400s" # the inbox keeps an upload for a day, no longer
  expiration_policy {
    ttl = "" # never expire, however quiet
  }

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.analyze.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.uploads.name}"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.analyze.service_config[0].uri
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  lifecycle {
    precondition {
      condition     = var.push_ack_deadline_seconds >= var.analyze.timeout_seconds
      error_message = "push_ack_deadline_seconds must be at least analyze's timeout_seconds, or Pub/Sub redelivers while analyze is still working."
    }
  }

  # Pushes start at once: only after the push identity may invoke the function everywhere.
  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    time_sleep.invoker_propagation,
  ]
}

resource "google_pubsub_subscription" "render" {
  name  = "${var.name_prefix}-render"
  topic = google_pubsub_topic.render.id

  ack_deadline_seconds       = var.push_ack_deadline_seconds
  message_retention_duration = "86400s"
  expiration_policy {
    ttl = ""
  }

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.render.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.render.name}"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.render.service_config[0].uri
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  lifecycle {
    precondition {
      condition     = var.push_ack_deadline_seconds >= var.render.timeout_seconds
      error_message = "push_ack_deadline_seconds must be at least render's timeout_seconds, or Pub/Sub redelivers while render is still working."
    }
  }

  # Pushes start at once: only after the push identity may invoke the function everywhere.
  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    time_sleep.invoker_propagation,
  ]
}

# Dead letters wait here to be inspected (an alert fires while any waits, monitoring.tf):
#   gcloud pubsub subscriptions pull memegen-dead-letter --limit 10 --auto-ack
resource "google_pubsub_subscription" "dead_letter" {
  name                       = "${var.name_prefix}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s" # 7 days
  expiration_policy {
    ttl = ""
  }
}

# The Pub/Sub service agent forwards undeliverable messages to the dead-letter topic and
# must be allowed to acknowledge them on the subscriptions they came from.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "analyze_dead_letter_subscriber" {
  subscription = google_pubsub_subscription.analyze.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "render_dead_letter_subscriber" {
  subscription = google_pubsub_subscription.render.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
