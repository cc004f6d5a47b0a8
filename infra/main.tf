# memegen on Google Cloud: see README.md in this folder for every resource and binding.

resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "eventarc.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "storage.googleapis.com",
  ])
  service            = each.value
  disable_on_destroy = false
}

data "google_project" "this" {
  project_id = var.project_id
  depends_on = [google_project_service.apis]
}

# The Cloud Storage service agent publishes the inbox's notifications.
data "google_storage_project_service_account" "gcs" {
  depends_on = [google_project_service.apis]
}

locals {
  inbox_bucket  = "${var.project_id}-${var.name_prefix}-inbox"
  public_bucket = "${var.project_id}-${var.name_prefix}-public"
  source_bucket = "${var.project_id}-${var.name_prefix}-source"

  # The Pub/Sub service agent: pushes with OIDC tokens, forwards to the dead-letter topic.
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  public_base_url = "https://storage.googleapis.com/${local.public_bucket}"

  # Every function gets the same settings (functions/cloud/config.ts SETTINGS). Bucket names
  # come from locals, not from the bucket resources: the inbox's CORS rule names the upload
  # function's URL, so the functions must not depend on the buckets.
  function_env = {
    INBOX_BUCKET           = local.inbox_bucket
    PUBLIC_BUCKET          = local.public_bucket
    RENDER_TOPIC           = google_pubsub_topic.render.id
    PUBLIC_BASE_URL        = local.public_base_url
    MAX_DELIVERY_ATTEMPTS  = var.max_delivery_attempts
    MAX_UPLOAD_BYTES       = var.max_upload_bytes
    UPLOAD_URL_TTL_SECONDS = var.upload_url_ttl_seconds
    MEME_FORMAT            = var.meme_format
    MEME_MAX_SIDE          = var.meme_max_side
    MAX_INPUT_PIXELS       = var.max_input_pixels
    DEFAULT_STYLE          = var.default_style
    DEFAULT_LANG           = var.default_lang
  }

  # Browsers PUT photos into the inbox from the upload page: its run.app URL (what the
  # upload_page_url output gives) and its cloudfunctions.net URL.
  page_origins = distinct(concat(
    [
      regex("^https://[^/]+", google_cloudfunctions2_function.upload.service_config[0].uri),
      "https://${var.region}-${var.project_id}.cloudfunctions.net",
    ],
    var.extra_page_origins,
  ))
}

# IAM changes take a minute or two to reach every Google service: wait before the functions
# are built (build service account) and before Pub/Sub starts pushing (invoker, token creator).
resource "time_sleep" "iam_propagation" {
  create_duration = "60s"
  depends_on = [
    google_project_iam_member.build,
    google_service_account_iam_member.invoker_token_creator,
    google_service_account_iam_member.upload_sign_blob,
  ]
}
