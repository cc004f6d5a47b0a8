/**
 * The functions' configuration, from environment variables, parsed and checked once at
 * start-up: a missing or malformed setting stops the instance with a message naming every
 * problem, instead of failing on the first upload.
 */
// The vocabulary alone, not the core index: `upload` reads its config without loading the models.
import {
  DEFAULT_LIMIT_INPUT_PIXELS,
  DEFAULT_MAX_SIDE,
  isLanguage,
  isMemeStyle,
  isOutputFormat,
  Language,
  LANGUAGES,
  MEME_STYLES,
  MemeStyle,
  OutputFormat,
  OUTPUT_FORMATS,
} from '../core/vocabulary';

export interface Config {
  /** Where uploads land; its notifications trigger `analyze`. Functions never write here. */
  inboxBucket: string;
  /** Memes and status documents, readable by anyone. */
  publicBucket: string;
  /** Topic `analyze` publishes render requests to (name or projects/P/topics/T). */
  renderTopic: string;
  /** Where objects of the public bucket are served, without a trailing slash. */
  publicBaseUrl: string;
  maxUploadBytes: number;
  uploadUrlTtlSeconds: number;
  /** The subscriptions' delivery attempts before dead-lettering; the last attempt marks the job failed. */
  maxDeliveryAttempts: number;
  /** Topic of the inbox's notifications, where the sweep redelivers stuck jobs (sweep only). */
  uploadsTopic?: string;
  /** A job analysing or rendering with no change for this long is redelivered, then failed (the sweep). */
  jobStallSeconds: number;
  memeFormat: OutputFormat;
  memeMaxSide: number;
  maxInputPixels: number;
  defaultStyle: MemeStyle;
  defaultLang: Language;
}

/** Every setting, its default (none = required) and what it means; the README and Terraform follow this list. */
export const SETTINGS = {
  INBOX_BUCKET: { required: true, description: 'bucket uploads land in (private)' },
  PUBLIC_BUCKET: { required: true, description: 'bucket for memes and status documents (public read)' },
  RENDER_TOPIC: { required: true, description: 'Pub/Sub topic for render requests' },
  PUBLIC_BASE_URL: {
    required: true,
    description: 'URL the public bucket is served at, e.g. https://storage.googleapis.com/BUCKET',
  },
  MAX_UPLOAD_BYTES: { required: false, description: 'largest upload accepted, bytes (default 15 MiB)' },
  UPLOAD_URL_TTL_SECONDS: {
    required: false,
    description: 'signed upload URL lifetime, 60..900 s (default 600)',
  },
  MAX_DELIVERY_ATTEMPTS: {
    required: false,
    description: 'Pub/Sub delivery attempts before dead-lettering (default 5)',
  },
  UPLOADS_TOPIC: {
    required: false,
    description: "the inbox notifications' topic; the sweep redelivers stuck jobs there (sweep only)",
  },
  JOB_STALL_SECONDS: {
    required: false,
    description:
      'a job with no progress for this long is redelivered once, then failed STALLED, 60..86400 s (default 1800)',
  },
  MEME_FORMAT: { required: false, description: 'jpeg, webp or png (default jpeg)' },
  MEME_MAX_SIDE: { required: false, description: 'long side of memes, px (default 1600)' },
  MAX_INPUT_PIXELS: { required: false, description: 'largest photo decoded, pixels (default 50,000,000)' },
  DEFAULT_STYLE: { required: false, description: 'classic, label or faces (default classic)' },
  DEFAULT_LANG: { required: false, description: 'en or zh (default en)' },
} as const;

export type SettingName = keyof typeof SETTINGS;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const text = (name: SettingName): string => {
    const value = env[name]?.trim() ?? '';
    if (value === '' && SETTINGS[name].required)
      problems.push(`${name} is not set (${SETTINGS[name].description})`);
    return value;
  };
  const integer = (name: SettingName, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const choice = <T extends string>(
    name: SettingName,
    fallback: T,
    valid: (value: string) => value is T,
    options: readonly string[],
  ): T => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    if (!valid(raw)) {
      problems.push(`${name} must be one of ${options.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw;
  };

  const publicBaseUrl = text('PUBLIC_BASE_URL').replace(/\/+$/, '');
  if (publicBaseUrl !== '' && !/^https?:\/\/[^\s/]+/.test(publicBaseUrl))
    problems.push(`PUBLIC_BASE_URL must be an http(s) URL, got "${publicBaseUrl}"`);
  const config: Config = {
    inboxBucket: text('INBOX_BUCKET'),
    publicBucket: text('PUBLIC_BUCKET'),
    renderTopic: text('RENDER_TOPIC'),
    publicBaseUrl,
    maxUploadBytes: integer('MAX_UPLOAD_BYTES', 15 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    uploadUrlTtlSeconds: integer('UPLOAD_URL_TTL_SECONDS', 600, 60, 900),
    maxDeliveryAttempts: integer('MAX_DELIVERY_ATTEMPTS', 5, 1, 100),
    ...(text('UPLOADS_TOPIC') !== '' && { uploadsTopic: text('UPLOADS_TOPIC') }),
    jobStallSeconds: integer('JOB_STALL_SECONDS', 1800, 60, 86400),
    memeFormat: choice('MEME_FORMAT', 'jpeg', isOutputFormat, OUTPUT_FORMATS),
    memeMaxSide: integer('MEME_MAX_SIDE', DEFAULT_MAX_SIDE, 64, 8192),
    maxInputPixels: integer('MAX_INPUT_PIXELS', DEFAULT_LIMIT_INPUT_PIXELS, 1_000_000, 268_402_689),
    defaultStyle: choice('DEFAULT_STYLE', 'classic', isMemeStyle, MEME_STYLES),
    defaultLang: choice('DEFAULT_LANG', 'en', isLanguage, LANGUAGES),
  };
  if (config.inboxBucket !== '' && config.inboxBucket === config.publicBucket) {
    problems.push(
      'INBOX_BUCKET and PUBLIC_BUCKET must differ: writing memes into the inbox would trigger analyze again',
    );
  }
  if (problems.length > 0)
    throw new ConfigError(`memegen configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  return config;
}
