variable "project_id" {
  description = "Google Cloud project to deploy into (billing enabled)."
  type        = string
}

variable "region" {
  description = "Region of the functions, buckets and Pub/Sub resources."
  type        = string
  default     = "us-central1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (service accounts, topics, functions; buckets are <project_id>-<prefix>-inbox/public/source)."
  type        = string
  default     = "memegen"

  validation {
    # Service account ids are 6-30 characters and the longest suffix is "-push-invoker".
    condition     = can(regex("^[a-z][a-z0-9-]{2,16}$", var.name_prefix))
    error_message = "name_prefix must be 3-17 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "source_zip" {
  description = "The functions' source zip written by `npm run package:functions` (relative to infra/)."
  type        = string
  default     = "build/functions-source.zip"
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the buckets even when they still hold objects (memes, statuses, uploads)."
  type        = bool
  default     = false
}

variable "public_retention_days" {
  description = "Memes and status documents are deleted from the public bucket after this many days."
  type        = number
  default     = 30

  validation {
    condition     = var.public_retention_days >= 1
    error_message = "public_retention_days must be at least 1."
  }
}

variable "extra_page_origins" {
  description = "Origins besides the upload function's own URLs allowed to PUT into the inbox from a browser (e.g. a custom domain serving the page)."
  type        = list(string)
  default     = []
}

# ---- Delivery -------------------------------------------------------------------------

variable "max_delivery_attempts" {
  description = "Deliveries of an upload or render message before it goes to the dead-letter topic; also the functions' MAX_DELIVERY_ATTEMPTS, so the last attempt marks the job failed."
  type        = number
  default     = 5

  validation {
    # Pub/Sub accepts 5..100 for a dead-letter policy.
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100 (Pub/Sub's limits)."
  }
}

variable "push_ack_deadline_seconds" {
  description = "How long Pub/Sub waits for analyze/render to answer a push before it counts the delivery failed; at least their timeouts."
  type        = number
  default     = 300

  validation {
    condition     = var.push_ack_deadline_seconds >= 10 && var.push_ack_deadline_seconds <= 600
    error_message = "push_ack_deadline_seconds must be between 10 and 600."
  }
}

variable "job_stall_seconds" {
  description = "The sweep's stall deadline (JOB_STALL_SECONDS): a job analysing or rendering with no progress for this long is delivered again once, then failed STALLED. Must exceed push_ack_deadline_seconds + 600 (Pub/Sub's own retries)."
  type        = number
  default     = 1800

  validation {
    condition     = var.job_stall_seconds >= 60 && var.job_stall_seconds <= 86400
    error_message = "job_stall_seconds must be between 60 and 86400."
  }
}

variable "sweep_schedule" {
  description = "When Cloud Scheduler runs the sweep (cron, UTC): every minute by default."
  type        = string
  default     = "* * * * *"
}

variable "sweep_timeout_seconds" {
  description = "The sweep function's timeout, and its subscription's ack deadline."
  type        = number
  default     = 120

  validation {
    condition     = var.sweep_timeout_seconds >= 10 && var.sweep_timeout_seconds <= 600
    error_message = "sweep_timeout_seconds must be between 10 and 600."
  }
}

variable "worker_ingress" {
  description = "Ingress of analyze and render. ALLOW_INTERNAL_ONLY still admits Pub/Sub push from the same project (Cloud Run counts it as internal)."
  type        = string
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_ALL"], var.worker_ingress)
    error_message = "worker_ingress must be ALLOW_INTERNAL_ONLY or ALLOW_ALL."
  }
}

# ---- Function sizes -------------------------------------------------------------------

variable "analyze" {
  description = "Size of the analyze function. Concurrency 4 on 2 vCPUs: each request alternates between sharp's decoding and onnxruntime's inference (both on native threads), so a few in flight keep both CPUs busy; more only queue and add memory (a decoded photo is up to ~200 MB at the 50 MP limit)."
  type = object({
    memory          = optional(string, "2Gi")
    cpu             = optional(string, "2")
    concurrency     = optional(number, 4)
    max_instances   = optional(number, 10)
    timeout_seconds = optional(number, 120)
  })
  default = {}
}

variable "render" {
  description = "Size of the render function. Drawing with the canvas is CPU-bound on the JavaScript thread, so 1 vCPU gains nothing from more than a few requests in flight; 4 overlaps the storage reads and writes while keeping full-size decodes within 1 GiB."
  type = object({
    memory          = optional(string, "1Gi")
    cpu             = optional(string, "1")
    concurrency     = optional(number, 4)
    max_instances   = optional(number, 10)
    timeout_seconds = optional(number, 120)
  })
  default = {}
}

variable "upload" {
  description = "Size of the upload function (page, signed URLs): I/O-bound, ~20 ms of CPU a request, ~120 MB resident after loading the shared entry module, so many requests share one instance. Concurrency above 1 needs a whole vCPU."
  type = object({
    memory          = optional(string, "256Mi")
    cpu             = optional(string, "1")
    concurrency     = optional(number, 80)
    max_instances   = optional(number, 10)
    timeout_seconds = optional(number, 30)
  })
  default = {}
}

# ---- Optional function settings (functions/cloud/config.ts SETTINGS; defaults equal the code's) ----

variable "max_upload_bytes" {
  description = "MAX_UPLOAD_BYTES: largest upload accepted, bytes."
  type        = number
  default     = 15728640
}

variable "upload_url_ttl_seconds" {
  description = "UPLOAD_URL_TTL_SECONDS: signed upload URL lifetime, 60..900 s."
  type        = number
  default     = 600
}

variable "meme_format" {
  description = "MEME_FORMAT: jpeg, webp or png."
  type        = string
  default     = "jpeg"
}

variable "meme_max_side" {
  description = "MEME_MAX_SIDE: long side of memes, px."
  type        = number
  default     = 1600
}

variable "max_input_pixels" {
  description = "MAX_INPUT_PIXELS: larger photos are refused before decoding."
  type        = number
  default     = 50000000
}

variable "default_style" {
  description = "DEFAULT_STYLE: classic, label or faces, when an upload does not say."
  type        = string
  default     = "classic"
}

variable "default_lang" {
  description = "DEFAULT_LANG: en or zh, when an upload does not say."
  type        = string
  default     = "en"
}
