# One service account per function, each with exactly what its code does; one for Pub/Sub's
# pushes; one for building the functions. Every binding is on a single resource, except the
# build account's log writing and its (conditional) access to Cloud Functions' source
# bucket, which only exist at project level (see below). The deployer account that applies
# all this is made by bootstrap.sh (README.md, "Deployer").

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

# ---- Custom roles: the storage permissions the functions' code uses, and no more ----------

# Read an upload (metadata and bytes: storage.objects.get) and delete it (after the meme is
# done, or a permanent failure). No list, no create: functions never write to the inbox.
resource "google_project_iam_custom_role" "inbox_consumer" {
  role_id     = "${replace(var.name_prefix, "-", "_")}InboxConsumer"
  title       = "memegen inbox consumer"
  description = "Read and delete single objects in the memegen inbox bucket"
  permissions = ["storage.objects.get", "storage.objects.delete"]
  depends_on  = [google_project_service.apis]
}

# Status documents and memes are written with generation preconditions: read (get), write
# a new object (create), and overwrite one (GCS requires delete for that). No list: nothing
# ever lists the public bucket, and a list would reveal every job id.
resource "google_project_iam_custom_role" "status_writer" {
  role_id     = "${replace(var.name_prefix, "-", "_")}StatusWriter"
  title       = "memegen status writer"
  description = "Read, create and overwrite single objects in the memegen public bucket"
  permissions = ["storage.objects.get", "storage.objects.create", "storage.objects.delete"]
  depends_on  = [google_project_service.apis]
}

# upload only ever writes the first ("queued") status of a fresh random job id, with a
# does-not-exist precondition: read and create, never overwrite.
resource "google_project_iam_custom_role" "status_creator" {
  role_id     = "${replace(var.name_prefix, "-", "_")}StatusCreator"
  title       = "memegen status creator"
  description = "Read and create single objects in the memegen public bucket"
  permissions = ["storage.objects.get", "storage.objects.create"]
  depends_on  = [google_project_service.apis]
}

# ---- analyze ------------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "inbox_analyze" {
  bucket = google_storage_bucket.inbox.name
  role   = google_project_iam_custom_role.inbox_consumer.name
  member = google_service_account.analyze.member
}

resource "google_storage_bucket_iam_member" "public_analyze" {
  bucket = google_storage_bucket.public.name
  role   = google_project_iam_custom_role.status_writer.name
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
  role   = google_project_iam_custom_role.status_writer.name
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

resource "google_storage_bucket_iam_member" "public_upload" {
  bucket = google_storage_bucket.public.name
  role   = google_project_iam_custom_role.status_creator.name
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

# Cloud Build runs the functions' buildpack as this account. Google documents three roles
# for a custom function build account: log writing, writing images, and objects in the
# bucket Cloud Functions copies the source zip into. Only log writing stays project-wide
# (logs have no narrower place to grant it).
resource "google_project_iam_member" "build_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

# Images: on our repository only.
resource "google_artifact_registry_repository_iam_member" "build_images" {
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

# Sources: Cloud Functions makes the gcf-v2-sources-<project number>-<region> bucket itself
# (so there is no bucket to grant on before the first build); the condition limits the
# grant to that bucket and its objects, not the Terraform state or any other bucket.
resource "google_project_iam_member" "build_sources" {
  project = var.project_id
  role    = "roles/storage.objectAdmin"
  member  = google_service_account.build.member
  condition {
    title       = "gcf-v2-sources only"
    description = "Cloud Functions' own copy of the source zip; nothing else in Cloud Storage"
    expression  = "resource.name.startsWith(\"projects/_/buckets/${local.gcf_sources_bucket}\")"
  }
}

locals {
  gcf_sources_bucket = "gcf-v2-sources-${data.google_project.this.number}-${var.region}"
}

# ---- The deployer ------------------------------------------------------------------------------

# Creating a function that runs as (or builds as) an account, and a push subscription that
# signs as one, requires acting as that account. The deployer gets that on these accounts
# only, not project-wide (which would include the default accounts, often Editors).
resource "google_service_account_iam_member" "deployer_acts_as" {
  for_each = {
    for name, account in {
      analyze     = google_service_account.analyze.name
      render      = google_service_account.render.name
      upload      = google_service_account.upload.name
      dead_letter = google_service_account.dead_letter.name
      sweep       = google_service_account.sweep.name
      invoker     = google_service_account.invoker.name
      build       = google_service_account.build.name
    } : name => account if var.deployer_service_account != ""
  }
  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${var.deployer_service_account}"
}
