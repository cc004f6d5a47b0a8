# ---- Inbox: uploads land here; private, and emptied within a day --------------------------

resource "google_storage_bucket" "inbox" {
  name                        = local.inbox_bucket
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy

  # Originals are deleted by render (or after a permanent failure); whatever is left (a job
  # that exhausted its retries, an abandoned upload) goes after a day.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "Delete"
    }
  }

  # No soft delete: a deleted upload is someone's face photo, which must really be gone
  # when render deletes it, not kept (and billed) for Cloud Storage's default 7 days.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  # The page PUTs the photo with the signed URL straight from the browser.
  cors {
    origin = local.page_origins
    method = ["PUT", "OPTIONS"]
    response_header = [
      "Content-Type",
      "x-goog-content-length-range",
      "x-goog-if-generation-match",
      "x-goog-meta-memegen-style",
      "x-goog-meta-memegen-lang",
      "x-goog-meta-memegen-top",
      "x-goog-meta-memegen-bottom",
    ]
    max_age_seconds = 3600
  }

  depends_on = [google_project_service.apis]
}

# OBJECT_FINALIZE of any object in the inbox → uploads topic (→ analyze). Functions never
# write to the inbox, so nothing they do can trigger analyze again.
resource "google_storage_notification" "inbox_uploads" {
  bucket         = google_storage_bucket.inbox.name
  topic          = google_pubsub_topic.uploads.id
  payload_format = "JSON_API_V1"
  event_types    = ["OBJECT_FINALIZE"]

  # Creating it checks that the Storage agent may publish: after that grant has settled.
  depends_on = [google_pubsub_topic_iam_member.uploads_storage_publisher, time_sleep.iam_propagation]
}

# ---- Public: memes and status documents ---------------------------------------------------

resource "google_storage_bucket" "public" {
  name                        = local.public_bucket
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "inherited"
  force_destroy               = var.force_destroy

  # No soft delete: every status update overwrites the status document, and each
  # overwritten generation would otherwise be kept (and billed) for 7 days; memes deleted
  # after public_retention_days should be gone too.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  lifecycle_rule {
    condition {
      age = var.public_retention_days
    }
    action {
      type = "Delete"
    }
  }

  # The page polls memes/<id>.json and loads (or downloads) the meme from the function's origin.
  cors {
    origin          = ["*"]
    method          = ["GET", "HEAD"]
    response_header = ["Content-Type", "Content-Length", "Cache-Control"]
    max_age_seconds = 3600
  }

  depends_on = [google_project_service.apis]
}

# Anyone may read an object whose name they know (job ids are 128 random bits), and nothing
# more. Deliberately NOT roles/storage.objectViewer: that role also grants
# storage.objects.list, which would let anyone list every job id and so find everyone's
# memes and statuses. roles/storage.legacyObjectReader is storage.objects.get alone.
resource "google_storage_bucket_iam_member" "public_read" {
  bucket = google_storage_bucket.public.name
  role   = "roles/storage.legacyObjectReader"
  member = "allUsers"
}

# ---- Staging bucket for the function source zip -----------------------------------------

resource "google_storage_bucket" "source" {
  name                        = local.source_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # only the build input; nothing of value

  # No lifecycle rule: Terraform replaces the object (new md5, new name) on every new build,
  # deleting the previous one, and Cloud Functions keeps its own copy of what it deployed.
  # No soft delete either: replaced zips are of no use.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  depends_on = [google_project_service.apis]
}

# Named after its md5: a new build is a new object, which redeploys the functions.
resource "google_storage_bucket_object" "source" {
  name   = "functions-${filemd5(var.source_zip)}.zip"
  bucket = google_storage_bucket.source.name
  source = var.source_zip
}
