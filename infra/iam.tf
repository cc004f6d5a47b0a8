# One service account per function, each with exactly what its code does; one for Pub/Sub's
# pushes; one for building the functions. Every binding is on a single resource except the
# build account's (see below).

resource "google_service_account" "analyze" {
  account_id   = "${var.name_prefix}-analyze"
  display_name = "memegen analyze: reads and deletes inbox uploads, writes statuses, publishes render requests"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "render" {
  account_id   = "${var.name_prefix}-render"
  display_name = "memegen render: reads and deletes inbox uploads, writes memes and statuses"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "upload" {
  account_id   = "${var.name_prefix}-upload"
  display_name = "memegen upload: signs inbox upload URLs, writes queued statuses"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "invoker" {
  account_id   = "${var.name_prefix}-push-invoker"
  display_name = "memegen Pub/Sub push identity: invokes analyze and render"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "build" {
  account_id   = "${var.name_prefix}-build"
  display_name = "memegen function builds (Cloud Build)"
  depends_on   = [google_project_service.apis]
}

# Read an upload (metadata and bytes: storage.objects.get) and delete it (after the meme is
# done, or a permanent failure). No list, no create: functions never write to the inbox.
resource "google_project_iam_custom_role" "inbox_consumer" {
  role_id     = "${replace(var.name_prefix, "-", "_")}InboxConsumer"
  title       = "memegen inbox consumer"
  description = "Read and delete single objects in the memegen inbox bucket"
  permissions = ["storage.objects.get", "storage.objects.delete"]
  depends_on  = [google_project_service.apis]
}

# ---- analyze ------------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "inbox_analyze" {
  bucket = google_storage_bucket.inbox.name
  role   = google_project_iam_custom_role.inbox_consumer.name
  member = google_service_account.analyze.member
}

# Status documents are read-modify-write with generation preconditions: get, create, and
# delete (an overwrite) objects. objectUser is that (plus list) on this bucket only.
resource "google_storage_bucket_iam_member" "public_analyze" {
  bucket = google_storage_bucket.public.name
  role   = "roles/storage.objectUser"
  member = google_service_account.analyze.member
}

resource "google_pubsub_topic_iam_member" "render_analyze_publisher" {
  topic  = google_pubsub_topic.render.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.analyze.member
}

# ---- render -------------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "inbox_render" {
  bucket = google_storage_bucket.inbox.name
  role   = google_project_iam_custom_role.inbox_consumer.name
  member = google_service_account.render.member
}

resource "google_storage_bucket_iam_member" "public_render" {
  bucket = google_storage_bucket.public.name
  role   = "roles/storage.objectUser"
  member = google_service_account.render.member
}

# ---- upload -------------------------------------------------------------------------------

# A V4 signed URL carries its signer's permissions: the signer must be allowed to create
# the object the browser PUTs.
resource "google_storage_bucket_iam_member" "inbox_upload" {
  bucket = google_storage_bucket.inbox.name
  role   = "roles/storage.objectCreator"
  member = google_service_account.upload.member
}

# The "queued" status is written with a precondition (get + create).
resource "google_storage_bucket_iam_member" "public_upload" {
  bucket = google_storage_bucket.public.name
  role   = "roles/storage.objectUser"
  member = google_service_account.upload.member
}

# With metadata-server credentials there is no private key: @google-cloud/storage signs
# V4 URLs through IAM Credentials signBlob, as this account, on itself.
resource "google_service_account_iam_member" "upload_sign_blob" {
  service_account_id = google_service_account.upload.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.upload.member
}

# ---- Pub/Sub push identity ------------------------------------------------------------------

resource "google_cloud_run_service_iam_member" "analyze_invoker" {
  location = google_cloudfunctions2_function.analyze.location
  service  = google_cloudfunctions2_function.analyze.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

resource "google_cloud_run_service_iam_member" "render_invoker" {
  location = google_cloudfunctions2_function.render.location
  service  = google_cloudfunctions2_function.render.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

# The Pub/Sub service agent mints the OIDC tokens of the pushes as the invoker (needed in
# projects created before April 2021; harmless after).
resource "google_service_account_iam_member" "invoker_token_creator" {
  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# ---- upload is public -------------------------------------------------------------------------

resource "google_cloud_run_service_iam_member" "upload_public" {
  location = google_cloudfunctions2_function.upload.location
  service  = google_cloudfunctions2_function.upload.service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# ---- Builds ---------------------------------------------------------------------------------

# Cloud Build runs the buildpack as this account: the roles Google documents for a custom
# function build account (logs, the gcf-artifacts image repository, and the gcf-v2-sources
# bucket Cloud Functions copies the zip into, which it creates itself, hence project level).
# New projects' default build account often lacks them, so a dedicated one is used.
resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
    "roles/storage.objectAdmin",
  ])
  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}
