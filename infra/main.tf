# memegen on Google Cloud: see README.md in this folder for every resource and binding.

locals {
  apis = concat(
    [
      "artifactregistry.googleapis.com",
      "cloudbuild.googleapis.com",
      "cloudfunctions.googleapis.com",
      "cloudresourcemanager.googleapis.com",
      "cloudscheduler.googleapis.com",
      "iam.googleapis.com",
      "iamcredentials.googleapis.com",
      "logging.googleapis.com",
      "monitoring.googleapis.com",
      "pubsub.googleapis.com",
      "run.googleapis.com",
      "storage.googleapis.com",
    ],
    local.budget_enabled ? ["billingbudgets.googleapis.com"] : [],
  )
}

resource "google_project_service" "apis" {
  for_each           = toset(local.apis)
  service            = each.value
  disable_on_destroy = false
}

data "google_project" "this" {
  project_id = var.project_id
  depends_on = [google_project_service.apis]
}

# The Cloud Storage service agent publishes the inbox's notifications (reading it makes
# Google create the agent if it does not exist yet).
data "google_storage_project_service_account" "gcs" {
  depends_on = [google_project_service.apis]
}

# The Pub/Sub service agent signs the pushes' OIDC tokens and forwards dead letters. Google
# creates it lazily, so on a new project granting it roles can fail with "service account
# does not exist"; this makes sure it exists first.
resource "google_project_service_identity" "pubsub" {
  provider   = google-beta
  service    = "pubsub.googleapis.com"
  depends_on = [google_project_service.apis]
}

locals {
  inbox_bucket  = "${var.project_id}-${var.name_prefix}-inbox"
  public_bucket = "${var.project_id}-${var.name_prefix}-public"
  source_bucket = "${var.project_id}-${var.name_prefix}-source"

  # Every function's name: the functions and everything that watches them (alerts, log
  # metrics, the dashboard) take them from here, so the watchers do not wait for the builds.
  function_names = {
    analyze     = "${var.name_prefix}-analyze"
    render      = "${var.name_prefix}-render"
    upload      = "${var.name_prefix}-upload"
    dead_letter = "${var.name_prefix}-dead-letter"
    sweep       = "${var.name_prefix}-sweep"
  }

  pubsub_service_agent = google_project_service_identity.pubsub.member

  public_base_url = "https://storage.googleapis.com/${local.public_bucket}"

  # How the Node process itself runs (glibc's allocator): infra/process-env.json, which
  # the local function processes and the benchmark use too, says why.
  process_env = jsondecode(file("${path.module}/process-env.json")).env

  # Every function gets the same settings (functions/cloud/config.ts SETTINGS) and the
  # process environment. Bucket names come from locals, not from the bucket resources: the
  # inbox's CORS rule names the upload function's URL, so the functions must not depend on
  # the buckets.
  function_env = {
    MALLOC_ARENA_MAX       = local.process_env.MALLOC_ARENA_MAX
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

# IAM changes take a minute or two to reach every Google service. The first apply would
# otherwise fail now and then: a build refused for want of the build account's roles, a
# function refused because the deployer may not yet act as its account, the inbox
# notification refused because the Storage agent may not yet publish. So the functions and
# the notification wait for these grants to settle.
resource "time_sleep" "iam_propagation" {
  create_duration = "60s"
  depends_on = [
    google_project_iam_member.build_logs,
    google_project_iam_member.build_sources,
    google_artifact_registry_repository_iam_member.build_images,
    google_service_account_iam_member.deployer_acts_as,
    google_service_account_iam_member.invoker_token_creator,
    google_service_account_iam_member.upload_sign_blob,
    google_pubsub_topic_iam_member.uploads_storage_publisher,
  ]
}

# The push identity may invoke each function only once its Cloud Run service exists, so
# after the functions; Pub/Sub starts pushing as soon as a subscription exists, and a
# push refused with 403 uses up one of the message's delivery attempts. So the
# subscriptions wait for these grants too (again when one is replaced).
resource "time_sleep" "invoker_propagation" {
  create_duration = "60s"
  triggers = {
    analyze     = google_cloud_run_service_iam_member.analyze_invoker.id
    render      = google_cloud_run_service_iam_member.render_invoker.id
    dead_letter = google_cloud_run_service_iam_member.dead_letter_invoker.id
    sweep       = google_cloud_run_service_iam_member.sweep_invoker.id
  }
}
