# Being told when things go wrong: alert policies sent to an email channel, log-based
# metrics from the functions' structured logs (functions/cloud/log.ts), an optional monthly
# budget and a small dashboard. The watchers take function and subscription names from the
# locals below, so a new function or subscription is watched once it is added there (the
# contract test checks every function and push subscription is).

locals {
  notification_channels = google_monitoring_notification_channel.email[*].id

  # Subscriptions Pub/Sub pushes to a function; a message waiting on one means the function
  # keeps failing or cannot be reached.
  push_subscriptions = [
    google_pubsub_subscription.analyze.name,
    google_pubsub_subscription.render.name,
    google_pubsub_subscription.dead_letter_handler.name,
    google_pubsub_subscription.sweep.name,
  ]
  # Subscriptions of the dead-letter topic. Whether something consumes them or not, a dead
  # letter that stays undelivered there is a job that exhausted its retries unnoticed.
  dead_letter_subscriptions = [
    google_pubsub_subscription.dead_letter.name,
    google_pubsub_subscription.dead_letter_handler.name,
  ]

  functions_filter = join(" OR ", [for name in values(local.function_names) : "\"${name}\""])
  function_logs    = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${local.functions_filter})"

  budget_enabled = var.billing_account != "" && var.monthly_budget > 0

  alert_documentation = "memegen (${var.name_prefix}): see infra/README.md, \"Alerts\", for what this alert means and what to do."
}

resource "google_monitoring_notification_channel" "email" {
  count        = var.alert_email == "" ? 0 : 1
  display_name = "memegen (${var.name_prefix}) alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
  depends_on = [google_project_service.apis]
}

# ---- Log-based metrics --------------------------------------------------------------------

# Every ERROR line of any function (a failed attempt Pub/Sub will retry, a dropped
# malformed event, an upload request that failed), by function.
resource "google_logging_metric" "errors" {
  name        = "${var.name_prefix}/errors"
  description = "memegen: ERROR log lines of the functions"
  filter      = "${local.function_logs} AND severity>=ERROR"
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "memegen errors"
    labels {
      key         = "function"
      value_type  = "STRING"
      description = "The function (Cloud Run service) that logged it"
    }
  }
  label_extractors = {
    function = "EXTRACT(resource.labels.service_name)"
  }
  depends_on = [google_project_service.apis]
}

# Memes written: render's "meme done" line.
resource "google_logging_metric" "memes" {
  name        = "${var.name_prefix}/memes"
  description = "memegen: memes written"
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.function_names.render}\" AND jsonPayload.message=\"meme done\""
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "memegen memes"
  }
  depends_on = [google_project_service.apis]
}

# Stage latencies from the structured logs: analyze's "analysed" line carries analyzeMs,
# render's "meme done" line renderMs and waitMs (analysed → render started).
resource "google_logging_metric" "stage_ms" {
  for_each = {
    analyze = { function = "analyze", field = "analyzeMs" }
    wait    = { function = "render", field = "waitMs" }
    render  = { function = "render", field = "renderMs" }
  }
  name            = "${var.name_prefix}/${each.key}_ms"
  description     = "memegen: ${each.value.field} of each job, from ${each.value.function}'s log"
  filter          = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${local.function_names[each.value.function]}\" AND jsonPayload.${each.value.field}:*"
  value_extractor = "EXTRACT(jsonPayload.${each.value.field})"
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "memegen ${each.key} ms"
  }
  bucket_options {
    # 10 ms × 1.5^k: 10 ms to about 4 minutes in 25 buckets.
    exponential_buckets {
      num_finite_buckets = 25
      growth_factor      = 1.5
      scale              = 10
    }
  }
  depends_on = [google_project_service.apis]
}

# A new log-based metric is not at once known to Cloud Monitoring: an alert policy on it
# created right away can be refused ("cannot find metric"). So that one waits.
resource "time_sleep" "log_metrics" {
  create_duration = "60s"
  triggers = {
    errors = google_logging_metric.errors.id
  }
}

# ---- Alert policies -----------------------------------------------------------------------

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "memegen (${var.name_prefix}): dead letters waiting"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  conditions {
    display_name = "a dead-letter subscription has had undelivered messages for 5 minutes"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.label.subscription_id=one_of(${join(", ", [for s in local.dead_letter_subscriptions : "\"${s}\""])})"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
  documentation {
    content   = local.alert_documentation
    mime_type = "text/markdown"
  }
  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "push_backlog" {
  display_name          = "memegen (${var.name_prefix}): messages waiting on a push subscription"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels
  conditions {
    display_name = "the oldest unacknowledged message of a push subscription is older than ${var.alert_unacked_minutes} minutes"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND resource.label.subscription_id=one_of(${join(", ", [for s in local.push_subscriptions : "\"${s}\""])})"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_unacked_minutes * 60
      duration        = "0s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
  documentation {
    content   = local.alert_documentation
    mime_type = "text/markdown"
  }
  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "function_5xx" {
  display_name          = "memegen (${var.name_prefix}): functions answering 5xx"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels
  conditions {
    display_name = "a function answers more than ${var.alert_5xx_per_minute} 5xx a minute (5-minute average)"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"run.googleapis.com/request_count\" AND metric.label.response_code_class=\"5xx\" AND resource.label.service_name=one_of(${join(", ", [for name in values(local.function_names) : "\"${name}\""])})"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_5xx_per_minute / 60
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }
  documentation {
    content   = local.alert_documentation
    mime_type = "text/markdown"
  }
  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "error_logs" {
  display_name          = "memegen (${var.name_prefix}): ERROR lines in the functions' logs"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.notification_channels
  conditions {
    display_name = "a function logged an ERROR line in the last 5 minutes"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.errors.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.function"]
      }
    }
  }
  documentation {
    content   = local.alert_documentation
    mime_type = "text/markdown"
  }
  depends_on = [google_project_service.apis, time_sleep.log_metrics]
}

# ---- Budget -------------------------------------------------------------------------------

resource "google_billing_budget" "monthly" {
  count           = local.budget_enabled ? 1 : 0
  billing_account = var.billing_account
  display_name    = "memegen (${var.name_prefix}) monthly"
  budget_filter {
    projects = ["projects/${data.google_project.this.number}"]
  }
  amount {
    specified_amount {
      currency_code = var.budget_currency
      units         = tostring(var.monthly_budget)
    }
  }
  threshold_rules {
    threshold_percent = 0.5
  }
  threshold_rules {
    threshold_percent = 0.9
  }
  threshold_rules {
    threshold_percent = 1.0
  }
  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }
  all_updates_rule {
    monitoring_notification_channels = local.notification_channels
  }
  depends_on = [google_project_service.apis]
}

# ---- Dashboard ----------------------------------------------------------------------------

locals {
  # One chart: a title and the series it plots (Cloud Monitoring filter + aggregation).
  dashboard_charts = [
    {
      title = "Memes per minute"
      series = [{
        filter = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.memes.name}\" AND resource.type=\"cloud_run_revision\""
        aggregation = {
          alignmentPeriod    = "60s"
          perSeriesAligner   = "ALIGN_SUM"
          crossSeriesReducer = "REDUCE_SUM"
        }
      }]
    },
    {
      title = "Stage latency, p50 and p95 (ms)"
      series = flatten([
        for stage in ["analyze", "wait", "render"] : [
          for percentile in ["50", "95"] : {
            filter = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.stage_ms[stage].name}\" AND resource.type=\"cloud_run_revision\""
            aggregation = {
              alignmentPeriod    = "60s"
              perSeriesAligner   = "ALIGN_DELTA"
              crossSeriesReducer = "REDUCE_PERCENTILE_${percentile}"
            }
          }
        ]
      ])
    },
    {
      title = "Errors: ERROR log lines and 5xx answers per minute, by function"
      series = [
        {
          filter = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.errors.name}\" AND resource.type=\"cloud_run_revision\""
          aggregation = {
            alignmentPeriod    = "60s"
            perSeriesAligner   = "ALIGN_SUM"
            crossSeriesReducer = "REDUCE_SUM"
            groupByFields      = ["metric.label.function"]
          }
        },
        {
          filter = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND metric.label.response_code_class=\"5xx\" AND resource.label.service_name=one_of(${join(", ", [for name in values(local.function_names) : "\"${name}\""])})"
          aggregation = {
            alignmentPeriod    = "60s"
            perSeriesAligner   = "ALIGN_DELTA"
            crossSeriesReducer = "REDUCE_SUM"
            groupByFields      = ["resource.label.service_name"]
          }
        },
      ]
    },
    {
      title = "Backlog: undelivered messages by subscription"
      series = [{
        filter = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=one_of(${join(", ", [for s in concat(local.push_subscriptions, local.dead_letter_subscriptions) : "\"${s}\""])})"
        aggregation = {
          alignmentPeriod    = "60s"
          perSeriesAligner   = "ALIGN_MAX"
          crossSeriesReducer = "REDUCE_SUM"
          groupByFields      = ["resource.label.subscription_id"]
        }
      }]
    },
  ]
}

resource "google_monitoring_dashboard" "main" {
  dashboard_json = jsonencode({
    displayName = "memegen (${var.name_prefix})"
    mosaicLayout = {
      columns = 12
      tiles = [
        for i, chart in local.dashboard_charts : {
          xPos   = (i % 2) * 6
          yPos   = floor(i / 2) * 4
          width  = 6
          height = 4
          widget = {
            title = chart.title
            xyChart = {
              dataSets = [
                for series in chart.series : {
                  plotType = "LINE"
                  timeSeriesQuery = {
                    timeSeriesFilter = {
                      filter      = series.filter
                      aggregation = series.aggregation
                    }
                  }
                }
              ]
            }
          }
        }
      ]
    }
  })
  depends_on = [google_project_service.apis]
}
