/**
 * The Terraform in infra/ against the code it deploys. Providers cannot be downloaded here,
 * so `terraform validate` cannot run; instead every infra/*.tf is parsed with HashiCorp's
 * HCL parser (@cdktf/hcl2json, a WASM build of hcl2json) and the wiring is checked: which
 * topic triggers which function, the settings each function gets (against SETTINGS in
 * functions/cloud/config.ts), who may do what, that the inbox is never public, the
 * dead-letter and lifecycle rules, and that the resource graph has no cycle.
 * `terraform fmt -check` runs too where terraform is installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, SETTINGS } from '../functions/cloud/config';
import { META } from '../functions/cloud/jobRequest';

// Loaded with require: the package's typings pull in the DOM library, which this project's
// type-check must not see.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hcl2json = require('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
  getReferencesInExpression(filename: string, expression: string): Promise<{ value: string }[]>;
};

const ROOT = join(__dirname, '..');
const INFRA = join(ROOT, 'infra');
const TERRAFORM = '/usr/local/bin/terraform';

// HCL parsed to JSON: the tests walk arbitrary provider blocks by path, so a body is untyped.
type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Module {
  resources: Map<string, Body>; // "type.name" → body
  data: Map<string, Body>; // "data.type.name" → body
  locals: Record<string, unknown>;
  variables: Record<string, Body>;
  terraform: Body[];
  checks: Body[];
  /** Every "type.name" (or var./local./data.) a value refers to, through HCL's own parser. */
  refs(value: unknown): Promise<Set<string>>;
}

async function loadModule(): Promise<Module> {
  const resources = new Map<string, Body>();
  const data = new Map<string, Body>();
  const locals: Record<string, unknown> = {};
  const variables: Record<string, Body> = {};
  const terraform: Body[] = [];
  const checks: Body[] = [];
  for (const file of readdirSync(INFRA)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const parsed = (await hcl2json.parse(file, readFileSync(join(INFRA, file), 'utf8'))) as Body;
    for (const [type, byName] of Object.entries((parsed.resource ?? {}) as Body)) {
      for (const [name, bodies] of Object.entries(byName as Body)) {
        const key = `${type}.${name}`;
        if (resources.has(key)) throw new Error(`${key} is declared twice`);
        resources.set(key, (bodies as Body[])[0]);
      }
    }
    for (const [type, byName] of Object.entries((parsed.data ?? {}) as Body)) {
      for (const [name, bodies] of Object.entries(byName as Body))
        data.set(`data.${type}.${name}`, (bodies as Body[])[0]);
    }
    for (const block of (parsed.locals ?? []) as Body[]) Object.assign(locals, block);
    for (const [name, bodies] of Object.entries((parsed.variable ?? {}) as Body))
      variables[name] = (bodies as Body[])[0];
    terraform.push(...((parsed.terraform ?? []) as Body[]));
    for (const bodies of Object.values((parsed.check ?? {}) as Body)) checks.push(...(bodies as Body[]));
  }
  const refs = async (value: unknown): Promise<Set<string>> => {
    const found = new Set<string>();
    const walk = async (v: unknown): Promise<void> => {
      if (typeof v === 'string') {
        if (!v.includes('${')) return;
        for (const ref of await hcl2json.getReferencesInExpression('infra.tf', v)) {
          const parts = ref.value.split('.');
          if (['each', 'count', 'path', 'self', 'terraform'].includes(parts[0])) continue;
          found.add(parts.slice(0, parts[0] === 'data' ? 3 : 2).join('.'));
        }
      } else if (Array.isArray(v)) {
        for (const item of v) await walk(item);
      } else if (v && typeof v === 'object') {
        for (const item of Object.values(v)) await walk(item);
      }
    };
    await walk(value);
    return found;
  };
  return { resources, data, locals, variables, terraform, checks, refs };
}

let tf: Module;
beforeAll(async () => {
  tf = await loadModule();
});

const resource = (key: string): Body => {
  const body = tf.resources.get(key);
  if (!body) throw new Error(`infra/ declares no ${key}`);
  return body;
};
const block = (body: Body, name: string): Body => {
  const blocks = body[name] as Body[] | undefined;
  if (!blocks || blocks.length !== 1) throw new Error(`expected exactly one ${name} block`);
  return blocks[0];
};
/** The value a "${local.x}" stands for. */
const local = (expression: unknown): unknown => {
  const match = typeof expression === 'string' ? /^\$\{local\.(\w+)\}$/.exec(expression) : null;
  if (!match) throw new Error(`expected a bare local reference, got ${String(expression)}`);
  return tf.locals[match[1]];
};
const only = async (value: unknown): Promise<string> => {
  const found = [...(await tf.refs(value))];
  if (found.length !== 1)
    throw new Error(`expected one reference in ${JSON.stringify(value)}, got ${found.join(', ') || 'none'}`);
  return found[0];
};

const FUNCTIONS = ['analyze', 'render', 'upload'] as const;
const fn = (name: string): Body => resource(`google_cloudfunctions2_function.${name}`);
/** The push subscription that calls a function. */
async function subscriptionCalling(name: string): Promise<[string, Body]> {
  const found: [string, Body][] = [];
  for (const [key, body] of tf.resources) {
    if (!key.startsWith('google_pubsub_subscription.') || !body.push_config) continue;
    if (
      (await tf.refs(block(body, 'push_config').push_endpoint)).has(`google_cloudfunctions2_function.${name}`)
    )
      found.push([key, body]);
  }
  expect(found).toHaveLength(1);
  return found[0];
}

describe('infra/ formatting', () => {
  const required = process.env.MEMEGEN_REQUIRE_TERRAFORM === '1';
  const available = existsSync(TERRAFORM);
  if (!available)
    console.warn(
      `SKIPPED: terraform fmt -check (no ${TERRAFORM}; set MEMEGEN_REQUIRE_TERRAFORM=1 to make this a failure)`,
    );
  (available || required ? test : test.skip)('terraform fmt -check -recursive infra passes', () => {
    expect(existsSync(TERRAFORM)).toBe(true);
    const result = spawnSync(TERRAFORM, ['fmt', '-check', '-recursive', '-diff', 'infra'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(`${result.stdout}`).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('infra/ wiring', () => {
  test('the Terraform and google provider versions are pinned', () => {
    const settings = tf.terraform.find((t) => t.required_providers)!;
    expect(settings.required_version).toBe('>= 1.5');
    const providers = settings.required_providers[0] as Body;
    expect(providers.google.source).toBe('hashicorp/google');
    expect(providers.google.version).toMatch(/^~> \d+\.\d+$/);
  });

  test('the needed APIs are enabled and stay enabled on destroy', () => {
    const apis = resource('google_project_service.apis');
    expect(apis.disable_on_destroy).toBe(false);
    const list = String(apis.for_each);
    for (const api of [
      'cloudfunctions',
      'run',
      'eventarc',
      'pubsub',
      'storage',
      'cloudbuild',
      'artifactregistry',
      'iamcredentials',
      'iam',
    ]) {
      expect(list).toContain(`"${api}.googleapis.com"`);
    }
  });

  test('each function: nodejs22, its own entry point (registered in functions/index.ts) and its own service account', async () => {
    const index = readFileSync(join(ROOT, 'functions', 'index.ts'), 'utf8');
    const registered = Object.fromEntries(
      [...index.matchAll(/functions\.(cloudEvent|http)\(\s*'(\w+)'/g)].map((m) => [m[2], m[1]]),
    );
    expect(registered).toEqual({
      analyze: 'cloudEvent',
      render: 'cloudEvent',
      upload: 'http',
      deadLetter: 'cloudEvent',
      sweep: 'cloudEvent',
    });
    for (const name of FUNCTIONS) {
      const build = block(fn(name), 'build_config');
      expect(build.runtime).toBe('nodejs22');
      expect(build.entry_point).toBe(name);
      const source = block(block(build, 'source'), 'storage_source');
      expect(await only(source.bucket)).toBe('google_storage_bucket.source');
      expect(await only(source.object)).toBe('google_storage_bucket_object.source');
      const service = block(fn(name), 'service_config');
      expect(await only(service.service_account_email)).toBe(`google_service_account.${name}`);
      expect(service.min_instance_count).toBe(0);
    }
    // A new build is a new object name, which redeploys.
    expect(resource('google_storage_bucket_object.source').name).toBe(
      'functions-${filemd5(var.source_zip)}.zip',
    );
  });

  test('the inbox notification feeds the topic whose push subscription calls analyze; render is called from the render topic', async () => {
    const notification = resource('google_storage_notification.inbox_uploads');
    expect(await only(notification.bucket)).toBe('google_storage_bucket.inbox');
    expect(notification.event_types).toEqual(['OBJECT_FINALIZE']);
    expect(notification.payload_format).toBe('JSON_API_V1');
    const uploadsTopic = await only(notification.topic);

    for (const [name, topic] of [
      ['analyze', uploadsTopic],
      ['render', 'google_pubsub_topic.render'],
    ] as const) {
      const [, subscription] = await subscriptionCalling(name);
      expect(await only(subscription.topic)).toBe(topic);
      // The functions framework reads the topic from the push path and makes the CloudEvent.
      const endpoint = block(subscription, 'push_config').push_endpoint as string;
      expect(endpoint).toBe(
        `\${google_cloudfunctions2_function.${name}.service_config[0].uri}/projects/\${var.project_id}/topics/\${${topic}.name}`,
      );
      const oidc = block(block(subscription, 'push_config'), 'oidc_token');
      expect(await only(oidc.service_account_email)).toBe('google_service_account.invoker');
      expect(oidc.audience).toBe(`\${google_cloudfunctions2_function.${name}.service_config[0].uri}`);
    }
    // No other subscription reads the uploads or render topics (no second consumer).
    for (const [key, body] of tf.resources) {
      if (!key.startsWith('google_pubsub_subscription.')) continue;
      const topic = await only(body.topic);
      if (topic === uploadsTopic) expect(key).toBe('google_pubsub_subscription.analyze');
      if (topic === 'google_pubsub_topic.render') expect(key).toBe('google_pubsub_subscription.render');
    }
  });

  test("every function gets the same settings: all of SETTINGS' required keys, nothing SETTINGS does not know", () => {
    const envs = FUNCTIONS.map((name) => block(fn(name), 'service_config').environment_variables);
    expect(new Set(envs).size).toBe(1);
    const env = local(envs[0]) as Record<string, string>;
    const known = Object.keys(SETTINGS);
    const required = known.filter((key) => SETTINGS[key as keyof typeof SETTINGS].required);
    expect(Object.keys(env)).toEqual(expect.arrayContaining([...required, 'MAX_DELIVERY_ATTEMPTS']));
    for (const key of Object.keys(env)) expect(known).toContain(key);
  });

  test('the settings point at the resources: buckets, render topic, public base URL', () => {
    const env = local(block(fn('analyze'), 'service_config').environment_variables) as Record<string, string>;
    expect(env.RENDER_TOPIC).toBe('${google_pubsub_topic.render.id}');
    expect(env.INBOX_BUCKET).toBe(resource('google_storage_bucket.inbox').name);
    expect(env.PUBLIC_BUCKET).toBe(resource('google_storage_bucket.public').name);
    expect(local(env.PUBLIC_BASE_URL)).toBe(`https://storage.googleapis.com/${env.PUBLIC_BUCKET}`);
    // The two bucket names can never be equal (the code refuses that: it would loop).
    expect(local(env.INBOX_BUCKET)).not.toBe(local(env.PUBLIC_BUCKET));
  });

  test("the optional settings' variable defaults are valid and equal the code's own defaults", () => {
    const env = local(block(fn('analyze'), 'service_config').environment_variables) as Record<string, string>;
    const base = {
      INBOX_BUCKET: 'inbox',
      PUBLIC_BUCKET: 'public',
      RENDER_TOPIC: 'projects/p/topics/render',
      PUBLIC_BASE_URL: 'https://storage.googleapis.com/public',
    };
    const defaults = loadConfig(base);
    for (const [key, value] of Object.entries(env)) {
      const variable = /^\$\{var\.(\w+)\}$/.exec(value)?.[1];
      if (!variable) continue;
      const fallback = tf.variables[variable]?.default;
      expect(fallback).toBeDefined();
      expect({ key, config: loadConfig({ ...base, [key]: String(fallback) }) }).toEqual({
        key,
        config: defaults,
      });
    }
  });

  test('MAX_DELIVERY_ATTEMPTS and both dead-letter policies use the same variable; retries back off', async () => {
    const env = local(block(fn('render'), 'service_config').environment_variables) as Record<string, string>;
    expect(env.MAX_DELIVERY_ATTEMPTS).toBe('${var.max_delivery_attempts}');
    expect(tf.variables.max_delivery_attempts.default).toBe(5);
    for (const name of ['analyze', 'render']) {
      const [, subscription] = await subscriptionCalling(name);
      const policy = block(subscription, 'dead_letter_policy');
      expect(policy.max_delivery_attempts).toBe('${var.max_delivery_attempts}');
      expect(await only(policy.dead_letter_topic)).toBe('google_pubsub_topic.dead_letter');
      expect(block(subscription, 'retry_policy')).toEqual({
        minimum_backoff: '10s',
        maximum_backoff: '600s',
      });
      expect(subscription.ack_deadline_seconds).toBe('${var.push_ack_deadline_seconds}');
      expect(block(subscription, 'expiration_policy').ttl).toBe('');
      // Pub/Sub must not redeliver while the function still works on a message.
      const precondition = block(block(subscription, 'lifecycle'), 'precondition');
      expect(precondition.condition).toBe(`\${var.push_ack_deadline_seconds >= var.${name}.timeout_seconds}`);
    }
    expect(tf.variables.push_ack_deadline_seconds.default).toBe(300);
    // Dead letters can be inspected for a week.
    const deadLetters = resource('google_pubsub_subscription.dead_letter');
    expect(await only(deadLetters.topic)).toBe('google_pubsub_topic.dead_letter');
    expect(deadLetters.message_retention_duration).toBe('604800s');
  });

  test('the inbox is never public; the public bucket is readable object by object, not listable', async () => {
    const inbox = resource('google_storage_bucket.inbox');
    expect(inbox.public_access_prevention).toBe('enforced');
    expect(inbox.uniform_bucket_level_access).toBe(true);
    expect(resource('google_storage_bucket.source').public_access_prevention).toBe('enforced');
    for (const key of tf.resources.keys()) {
      expect(key).not.toMatch(/^google_storage_(bucket|default_object|object)_acl\./);
      expect(key).not.toMatch(/_iam_(binding|policy)\./); // authoritative bindings would drop others' grants
    }
    const publicGrants: string[] = [];
    for (const [key, body] of tf.resources) {
      const members = [body.member, ...((body.members as string[] | undefined) ?? [])].filter(Boolean);
      if (members.some((m) => m === 'allUsers' || m === 'allAuthenticatedUsers'))
        publicGrants.push(`${key} ${body.role} ${[...(await tf.refs(body))].join(' ')}`);
    }
    expect(publicGrants.sort()).toEqual([
      'google_cloud_run_service_iam_member.upload_public roles/run.invoker google_cloudfunctions2_function.upload',
      'google_storage_bucket_iam_member.public_read roles/storage.legacyObjectReader google_storage_bucket.public',
    ]);
  });

  test('each service account has exactly the roles its code needs, each on one resource', async () => {
    const grants: Record<string, string[]> = {};
    for (const [key, body] of tf.resources) {
      if (!/_iam_member\./.test(key)) continue;
      const member = await tf.refs(body.member);
      const account = [...member].find((ref) => ref.startsWith('google_service_account.'));
      if (!account) continue;
      const target = [...(await tf.refs({ ...body, member: undefined, role: undefined }))].filter(
        (ref) => !ref.startsWith('var.'),
      );
      const roleRefs = [...(await tf.refs(body.role))];
      const role = roleRefs.length === 1 ? roleRefs[0] : String(body.role); // a custom role, or a literal (or each.value)
      for (const where of target.length > 0 ? target : ['project'])
        (grants[account.split('.')[1]] ??= []).push(`${role} on ${where}`);
    }
    for (const list of Object.values(grants)) list.sort();
    const inboxRole = 'google_project_iam_custom_role.inbox_consumer';
    expect(grants).toEqual({
      analyze: [
        `${inboxRole} on google_storage_bucket.inbox`,
        'roles/pubsub.publisher on google_pubsub_topic.render',
        'roles/storage.objectUser on google_storage_bucket.public',
      ],
      render: [
        `${inboxRole} on google_storage_bucket.inbox`,
        'roles/storage.objectUser on google_storage_bucket.public',
      ],
      upload: [
        'roles/iam.serviceAccountTokenCreator on google_service_account.upload',
        'roles/storage.objectCreator on google_storage_bucket.inbox',
        'roles/storage.objectUser on google_storage_bucket.public',
      ],
      invoker: [
        'roles/run.invoker on google_cloudfunctions2_function.analyze',
        'roles/run.invoker on google_cloudfunctions2_function.dead_letter',
        'roles/run.invoker on google_cloudfunctions2_function.render',
        'roles/run.invoker on google_cloudfunctions2_function.sweep',
      ],
      build: ['${each.value} on project'],
      dead_letter: ['roles/storage.objectUser on google_storage_bucket.public'],
      sweep: [
        'roles/pubsub.publisher on google_pubsub_topic.uploads',
        'roles/storage.legacyObjectReader on google_storage_bucket.inbox',
        'roles/storage.objectUser on google_storage_bucket.public',
      ],
    });
    expect(resource('google_project_iam_member.build').for_each).toBe(
      '${toset([\n    "roles/logging.logWriter",\n    "roles/artifactregistry.writer",\n    "roles/storage.objectAdmin",\n  ])}',
    );
    expect(resource(inboxRole).permissions).toEqual(['storage.objects.get', 'storage.objects.delete']);
    // Run invoker bindings name the function's Cloud Run service.
    for (const key of ['analyze_invoker', 'render_invoker', 'upload_public']) {
      const name = key.split('_')[0];
      expect(resource(`google_cloud_run_service_iam_member.${key}`).service).toBe(
        `\${google_cloudfunctions2_function.${name}.service_config[0].service}`,
      );
    }
  });

  test('the Storage and Pub/Sub service agents have their roles', async () => {
    const storagePublisher = resource('google_pubsub_topic_iam_member.uploads_storage_publisher');
    expect(await only(storagePublisher.topic)).toBe('google_pubsub_topic.uploads');
    expect(storagePublisher.role).toBe('roles/pubsub.publisher');
    expect(await only(storagePublisher.member)).toBe('data.google_storage_project_service_account.gcs');
    expect(resource('google_storage_notification.inbox_uploads').depends_on).toEqual([
      '${google_pubsub_topic_iam_member.uploads_storage_publisher}',
    ]);

    expect(tf.locals.pubsub_service_agent).toBe(
      'serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com',
    );
    const agentGrants: string[] = [];
    for (const [key, body] of tf.resources) {
      if (body.member !== '${local.pubsub_service_agent}') continue;
      const target = [...(await tf.refs({ ...body, member: undefined }))];
      agentGrants.push(`${key.split('.')[0]} ${body.role} ${target.join(' ')}`);
    }
    expect(agentGrants.sort()).toEqual([
      'google_pubsub_subscription_iam_member roles/pubsub.subscriber google_pubsub_subscription.analyze',
      'google_pubsub_subscription_iam_member roles/pubsub.subscriber google_pubsub_subscription.render',
      'google_pubsub_topic_iam_member roles/pubsub.publisher google_pubsub_topic.dead_letter',
      'google_service_account_iam_member roles/iam.serviceAccountTokenCreator google_service_account.invoker',
    ]);
  });

  test('lifecycle rules: the inbox forgets after a day, the public bucket after public_retention_days (30)', () => {
    const rule = (bucket: string): Body =>
      block(resource(`google_storage_bucket.${bucket}`), 'lifecycle_rule');
    expect(block(rule('inbox'), 'action').type).toBe('Delete');
    expect(block(rule('inbox'), 'condition')).toEqual({ age: 1 });
    expect(block(rule('public'), 'action').type).toBe('Delete');
    expect(block(rule('public'), 'condition')).toEqual({ age: '${var.public_retention_days}' });
    expect(tf.variables.public_retention_days.default).toBe(30);
    for (const bucket of ['inbox', 'public'])
      expect(resource(`google_storage_bucket.${bucket}`).force_destroy).toBe('${var.force_destroy}');
  });

  test('CORS: the page may PUT into the inbox with the signed headers from its own origin; anyone may GET from the public bucket', async () => {
    const inboxCors = block(resource('google_storage_bucket.inbox'), 'cors');
    expect(inboxCors.method).toContain('PUT');
    const headers = (inboxCors.response_header as string[]).map((h) => h.toLowerCase());
    for (const header of [
      'content-type',
      'x-goog-content-length-range',
      ...Object.values(META).map((key) => `x-goog-meta-${key}`),
    ])
      expect(headers).toContain(header);
    expect(await tf.refs(local(inboxCors.origin))).toEqual(
      new Set([
        'google_cloudfunctions2_function.upload',
        'var.region',
        'var.project_id',
        'var.extra_page_origins',
      ]),
    );
    // The page's origin is the upload function's URL, which is what upload_page_url gives out.
    expect(
      tf.checks.some((check) => String(block(check, 'assert').condition).includes('local.page_origins')),
    ).toBe(true);
    const publicCors = block(resource('google_storage_bucket.public'), 'cors');
    expect(publicCors.method).toEqual(['GET', 'HEAD']);
    expect(publicCors.origin).toEqual(['*']);
  });

  test('ingress: upload is public; analyze and render take only internal traffic (Pub/Sub push counts as internal)', () => {
    expect(block(fn('upload'), 'service_config').ingress_settings).toBe('ALLOW_ALL');
    for (const name of ['analyze', 'render'])
      expect(block(fn(name), 'service_config').ingress_settings).toBe('${var.worker_ingress}');
    expect(tf.variables.worker_ingress.default).toBe('ALLOW_INTERNAL_ONLY');
  });

  test('the resource graph has no cycle (what terraform validate would catch first)', async () => {
    const nodes = new Map<string, Set<string>>();
    const add = async (key: string, body: unknown): Promise<void> => {
      nodes.set(key, new Set([...(await tf.refs(body))].filter((ref) => !ref.startsWith('var.'))));
    };
    for (const [key, body] of tf.resources) await add(key, body);
    for (const [key, body] of tf.data) await add(key, body);
    for (const [name, value] of Object.entries(tf.locals)) await add(`local.${name}`, value);
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (key: string, path: string[]): void => {
      if (state.get(key) === 'done') return;
      if (state.get(key) === 'visiting') throw new Error(`cycle: ${[...path, key].join(' → ')}`);
      state.set(key, 'visiting');
      for (const next of nodes.get(key) ?? []) {
        if (!nodes.has(next)) throw new Error(`${key} refers to ${next}, which infra/ does not declare`);
        visit(next, [...path, key]);
      }
      state.set(key, 'done');
    };
    for (const key of nodes.keys()) visit(key, []);
    // And every var.* used is declared.
    const used = new Set<string>();
    for (const body of [...tf.resources.values(), ...tf.data.values(), tf.locals, ...tf.checks])
      for (const ref of await tf.refs(body)) if (ref.startsWith('var.')) used.add(ref.slice(4));
    for (const name of used) expect(Object.keys(tf.variables)).toContain(name);
    for (const [name, variable] of Object.entries(tf.variables))
      expect({ name, description: typeof variable.description }).toEqual({ name, description: 'string' });
  });
});

describe('infra/ job lifecycle: dead letters and the sweep (lifecycle.tf)', () => {
  test('deadLetter and sweep are functions of their own, built from the same zip, with their own accounts', async () => {
    for (const [key, entry] of [
      ['dead_letter', 'deadLetter'],
      ['sweep', 'sweep'],
    ] as const) {
      const build = block(fn(key), 'build_config');
      expect(build.entry_point).toBe(entry);
      expect(build.runtime).toBe('nodejs22');
      expect(await only(block(block(build, 'source'), 'storage_source').object)).toBe(
        'google_storage_bucket_object.source',
      );
      const service = block(fn(key), 'service_config');
      expect(await only(service.service_account_email)).toBe(`google_service_account.${key}`);
      expect(service.ingress_settings).toBe('${var.worker_ingress}');
    }
    // One sweep at a time.
    const sweep = block(fn('sweep'), 'service_config');
    expect([sweep.max_instance_count, sweep.max_instance_request_concurrency]).toEqual([1, 1]);
  });

  test('the dead-letter topic pushes to deadLetter (and still keeps its pull subscription for inspection)', async () => {
    const [key, subscription] = await subscriptionCalling('dead_letter');
    expect(key).toBe('google_pubsub_subscription.dead_letter_handler');
    expect(await only(subscription.topic)).toBe('google_pubsub_topic.dead_letter');
    const push = block(subscription, 'push_config');
    expect(push.push_endpoint).toBe(
      '${google_cloudfunctions2_function.dead_letter.service_config[0].uri}/projects/${var.project_id}/topics/${google_pubsub_topic.dead_letter.name}',
    );
    expect(await only(block(push, 'oidc_token').service_account_email)).toBe(
      'google_service_account.invoker',
    );
    // A dead letter is never dead-lettered again: nothing would read it.
    expect(subscription.dead_letter_policy).toBeUndefined();
    expect(tf.resources.has('google_pubsub_subscription.dead_letter')).toBe(true);
  });

  test('Cloud Scheduler ticks the sweep every minute through its own topic and push subscription', async () => {
    const job = resource('google_cloud_scheduler_job.sweep');
    expect(job.schedule).toBe('${var.sweep_schedule}');
    expect(tf.variables.sweep_schedule.default).toBe('* * * * *');
    const target = block(job, 'pubsub_target');
    expect(await only(target.topic_name)).toBe('google_pubsub_topic.sweep');
    const [, subscription] = await subscriptionCalling('sweep');
    expect(await only(subscription.topic)).toBe('google_pubsub_topic.sweep');
    expect(subscription.ack_deadline_seconds).toBe('${var.sweep_timeout_seconds}');
    expect(block(fn('sweep'), 'service_config').timeout_seconds).toBe('${var.sweep_timeout_seconds}');
    // Scheduler publishes as its service agent; the API is enabled.
    const publisher = resource('google_pubsub_topic_iam_member.sweep_scheduler_publisher');
    expect(publisher.member).toBe('${local.scheduler_service_agent}');
    expect(String(tf.locals.scheduler_service_agent)).toMatch(
      /@gcp-sa-cloudscheduler\.iam\.gserviceaccount\.com$/,
    );
    expect(resource('google_project_service.scheduler').service).toBe('cloudscheduler.googleapis.com');
  });

  test("the sweep gets the shared settings plus UPLOADS_TOPIC (the inbox notifications' topic) and its stall deadline", async () => {
    const env = block(fn('sweep'), 'service_config').environment_variables as string;
    expect(await tf.refs(env)).toEqual(
      new Set(['local.function_env', 'google_pubsub_topic.uploads', 'var.job_stall_seconds']),
    );
    expect(env).toMatch(/UPLOADS_TOPIC\s*=\s*google_pubsub_topic\.uploads\.id/);
    expect(Object.keys(SETTINGS)).toEqual(expect.arrayContaining(['UPLOADS_TOPIC', 'JOB_STALL_SECONDS']));
    expect(block(fn('dead_letter'), 'service_config').environment_variables).toBe('${local.function_env}');
    // The variable's default is the code's default, and valid.
    const base = {
      INBOX_BUCKET: 'inbox',
      PUBLIC_BUCKET: 'public',
      RENDER_TOPIC: 'projects/p/topics/render',
      PUBLIC_BASE_URL: 'https://storage.googleapis.com/public',
    };
    expect(
      loadConfig({ ...base, JOB_STALL_SECONDS: String(tf.variables.job_stall_seconds.default) }),
    ).toEqual(loadConfig(base));
  });

  test("the stall deadline outlasts Pub/Sub's own retries, checked at plan time", () => {
    const precondition = block(block(fn('sweep'), 'lifecycle'), 'precondition');
    expect(precondition.condition).toBe('${var.job_stall_seconds > var.push_ack_deadline_seconds + 600}');
    expect(tf.variables.job_stall_seconds.default).toBeGreaterThan(
      (tf.variables.push_ack_deadline_seconds.default as number) + 600,
    );
  });

  test('create-only uploads: the inbox CORS rule lets the page send x-goog-if-generation-match', () => {
    const headers = (block(resource('google_storage_bucket.inbox'), 'cors').response_header as string[]).map(
      (h) => h.toLowerCase(),
    );
    expect(headers).toContain('x-goog-if-generation-match');
  });
});
