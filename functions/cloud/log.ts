/**
 * Structured logs in Cloud Logging's JSON format: one object per line on stdout, with
 * `severity` and `message` recognised by Cloud Logging and the job id as a label, so
 * `jsonPayload.jobId="…"` or `labels.jobId="…"` finds every line of one meme.
 */
export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';

export interface Logger {
  log(severity: Severity, message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields (e.g. the job id) to every line. */
  with(fields: Record<string, unknown>): Logger;
}

export function jsonLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
  return {
    log(severity, message, fields = {}) {
      const entry: Record<string, unknown> = {
        severity,
        message,
        time: new Date().toISOString(),
        ...base,
        ...fields,
      };
      if (typeof entry.jobId === 'string') entry['logging.googleapis.com/labels'] = { jobId: entry.jobId };
      if (entry.error instanceof Error)
        entry.error = { name: entry.error.name, message: entry.error.message, stack: entry.error.stack };
      write(JSON.stringify(entry));
    },
    with(fields) {
      return jsonLogger({ ...base, ...fields }, write);
    },
  };
}
