/**
 * infra/*.tf against the providers' schemas (infra/provider-schema.json, extracted by
 * `npm run infra:schema` from the providers' generated bindings at the pinned versions):
 * what `terraform validate` would catch, which cannot run here for want of the providers.
 * A misspelt argument, a block used as an argument, a missing required argument, a
 * reference to an attribute a type does not have, or a type the extract lacks fails here.
 */
import { readFileSync } from 'node:fs';
import {
  EXTRA_TYPES,
  infraFiles,
  PROVIDERS,
  requiredTypes,
  SCHEMA_FILE,
  SchemaFile,
  usedTypes,
} from '../infra/provider-schema';
import { checkAgainstSchema } from './support/schemaCheck';

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as SchemaFile;

test('the extract covers every provider, resource type and data source infra/*.tf uses, and what a scheduled function needs', async () => {
  const missing = requiredTypes(await usedTypes(infraFiles()))
    .filter(
      (t) =>
        !(
          t.kind === 'resource' ? schema.providers[t.provider]?.resources : schema.providers[t.provider]?.data
        )?.[t.type],
    )
    .map((t) => `${t.provider} ${t.kind} ${t.type}`);
  if (missing.length > 0)
    throw new Error(`infra/provider-schema.json lacks ${missing.join(', ')}: run \`npm run infra:schema\``);
  expect(EXTRA_TYPES.map((t) => t.type)).toContain('google_cloud_scheduler_job');
});

test('the extract was made from the packages and provider versions infra/provider-schema.ts names', () => {
  for (const [name, provider] of Object.entries(schema.providers)) {
    expect(PROVIDERS[name]).toBeDefined();
    expect({ name, source: provider.source, version: provider.version, package: provider.package }).toEqual({
      name,
      ...PROVIDERS[name],
    });
  }
});

test('every argument, nested block and attribute reference in infra/*.tf is in the schema; providers are pinned to it', async () => {
  expect(await checkAgainstSchema(infraFiles(), schema)).toEqual([]);
});

describe('the check itself', () => {
  const check = (text: string): Promise<string[]> => checkAgainstSchema([{ name: 'test.tf', text }], schema);
  const pinned = `terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "${schema.providers.google.version}"
    }
  }
}
`;

  test('accepts a correct resource and a correct reference', async () => {
    expect(
      await check(`${pinned}
resource "google_storage_bucket" "b" {
  name     = "b"
  location = "EU"
  soft_delete_policy {
    retention_duration_seconds = 0
  }
}
output "url" {
  value = google_storage_bucket.b.url
}
`),
    ).toEqual([]);
  });

  test('finds a misspelt argument, a misspelt nested argument, a block written as an argument and a read-only attribute set', async () => {
    const problems = await check(`${pinned}
resource "google_storage_bucket" "b" {
  name                       = "b"
  location                   = "EU"
  uniform_bucket_level_acess = true
  self_link                  = "x"
  versioning = { enabled = true }
  soft_delete_policy {
    retention_duration_second = 0
  }
}
`);
    expect(problems.sort()).toEqual(
      [
        'test.tf: google_storage_bucket.b: unknown argument or block "uniform_bucket_level_acess" (did you mean uniform_bucket_level_access?)',
        'test.tf: google_storage_bucket.b: self_link is read-only (computed), it cannot be set',
        'test.tf: google_storage_bucket.b: versioning is a block (write versioning { … }), not an argument',
        'test.tf: google_storage_bucket.b.soft_delete_policy: unknown argument or block "retention_duration_second" (did you mean retention_duration_seconds?)',
      ].sort(),
    );
  });

  test('finds a missing required argument and block, a repeated single block, a bad reference and an unknown type', async () => {
    const problems = await check(`${pinned}
resource "google_storage_bucket" "b" {
  name = "b"
  versioning {
    enabled = true
  }
  versioning {
    enabled = false
  }
}
resource "google_monitoring_alert_policy" "a" {
  display_name = "a"
  combiner     = "OR"
}
resource "google_storage_bukket" "c" {
  name = google_storage_bucket.b.self_lnk
}
`);
    expect(problems.sort()).toEqual(
      [
        'test.tf: google_storage_bucket.b: versioning may appear once, appears 2 times',
        'test.tf: google_storage_bucket.b: required argument location is missing',
        'test.tf: google_monitoring_alert_policy.a: required block conditions is missing',
        'test.tf: resource type google_storage_bukket is not in infra/provider-schema.json: run `npm run infra:schema` (it extracts every type infra/*.tf uses)',
        'test.tf: google_storage_bukket.c: google_storage_bucket.b.self_lnk: no attribute "self_lnk" (did you mean self_link?)',
      ].sort(),
    );
  });

  test('finds a provider version other than the extract’s', async () => {
    const problems = await check(`terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
}
resource "google_pubsub_topic" "t" {
  name = "t"
}
`);
    expect(problems).toEqual([
      expect.stringContaining(
        'provider "google" is pinned to hashicorp/google ~> 6.0, but infra/provider-schema.json is hashicorp/google 6.50.0',
      ),
    ]);
  });
});
