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
# Memory and vCPUs follow from what `npm run bench:functions` measured at these
# concurrencies (README.md, "Sizes"; the rule is infra/sizing.ts and a test checks these
# defaults against it). Max instances and timeouts are choices, not measurements.

variable "analyze" {
  description = "Size of the analyze function. A few requests in flight overlap one's download and status writes with another's inference; each decodes its photo at most 640 px a side (the detector's input), so memory grows little per request."
  type = object({
    memory          = optional(string, "512Mi")
    cpu             = optional(string, "1")
    concurrency     = optional(number, 4)
    max_instances   = optional(number, 10)
    timeout_seconds = optional(number, 120)
  })
  default = {}
}

variable "render" {
  description = "Size of the render function. Drawing is CPU-bound on the JavaScript thread; a few requests in flight overlap the storage reads and writes. At 4 the measured CPU and memory sat right on the boundary of the next size up (README.md, \"Sizes\"); 3 leaves a margin on 1 vCPU."
  type = object({
    memory          = optional(string, "512Mi")
    cpu             = optional(string, "1")
    concurrency     = optional(number, 3)
    max_instances   = optional(number, 10)
    timeout_seconds = optional(number, 120)
  })
  default = {}
}

variable "upload" {
  description = "Size of the upload function (page, signed URLs): I/O-bound, ~20 ms of CPU a request, so many requests share one instance (40 fit 1 vCPU by the sizing rule; more instances start quickly). Concurrency above 1 needs a whole vCPU."
  type = object({
    memory          = optional(string, "256Mi")
    cpu             = optional(string, "1")
    concurrency     = optional(number, 40)
    max_instances   = optional(number, 10)
    timeout_seconds = optional(number, 30)
  })
  default = {}
}

# ---- Deployer, images ---------------------------------------------------------------------

variable "deployer_service_account" {
  description = "Email of the account that applies this (bootstrap.sh makes <name_prefix>-deployer; cloudbuild.yaml passes it). It may then act as the functions', the build's and the push identity's accounts, which deploying them requires. Empty when you apply as yourself with Owner."
  type        = string
  default     = ""
}

variable "images_kept" {
  description = "Newest versions of each function image (and build cache) the registry's cleanup policy always keeps."
  type        = number
  default     = 3

  validation {
    condition     = var.images_kept >= 1
    error_message = "images_kept must be at least 1: the newest image is what the live revision runs."
  }
}

variable "image_max_age_days" {
  description = "Older image versions than the kept ones are deleted after this many days."
  type        = number
  default     = 7

  validation {
    condition     = var.image_max_age_days >= 1
    error_message = "image_max_age_days must be at least 1."
  }
}

# ---- Alerts, budget -------------------------------------------------------------------------

variable "alert_email" {
  description = "Email address the alerts are sent to (a Cloud Monitoring email channel). Empty: the alert policies still exist and show in the console, but notify nobody."
  type        = string
  default     = ""

  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address, or empty."
  }
}

variable "alert_5xx_per_minute" {
  description = "A function answering more than this many 5xx a minute, averaged over 5 minutes, raises an alert (analyze and render answer 5xx when Pub/Sub should deliver again)."
  type        = number
  default     = 1
}

variable "alert_unacked_minutes" {
  description = "A message waiting longer than this on a push subscription raises an alert."
  type        = number
  default     = 5
}

variable "billing_account" {
  description = "Billing account id (XXXXXX-XXXXXX-XXXXXX) for the optional monthly budget; with monthly_budget > 0 a budget for this project is made there (the deployer then needs Billing Account Costs Manager on it)."
  type        = string
  default     = ""

  validation {
    condition     = var.billing_account == "" || can(regex("^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", var.billing_account))
    error_message = "billing_account must look like 012345-6789AB-CDEF01, or be empty."
  }
}

variable "monthly_budget" {
  description = "Monthly budget for this project in budget_currency; alerts at 50, 90 and 100 % (actual) and 100 % (forecast) go to the billing account's admins and alert_email. 0: no budget."
  type        = number
  default     = 0

  validation {
    condition     = var.monthly_budget >= 0
    error_message = "monthly_budget must be 0 (none) or more."
  }
}

variable "budget_currency" {
  description = "Currency of monthly_budget: the billing account's currency."
  type        = string
  default     = "USD"
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
