/**
 * The Terraform in infra/ against the code it deploys. Providers cannot be downloaded here,
 * so `terraform validate` cannot run; instead every infra/*.tf is parsed with HashiCorp's
 * HCL parser (@cdktf/hcl2json, a WASM build of hcl2json) and the wiring is checked: which
 * topic triggers which function, the settings each function gets (against SETTINGS in
 * functions/cloud/config.ts), who may do what, that the inbox is never public, the
 * dead-letter and lifecycle rules, no first-apply races, the monitoring, the sizes against
 * the benchmark, that infra/README.md names every resource, and that the resource graph
 * has no cycle. `terraform fmt -check` runs too where terraform is installed. (Arguments
 * against the providers' schemas: test/infra-schema.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { loadConfig, SETTINGS } from '../functions/cloud/config';
import { deployedProcessEnv } from '../local/processEnv';
import { META } from '../functions/cloud/jobRequest';
import { FunctionsReport, readmeSection, readReport, replaceSection, RESULTS_FILE } from '../bench/functions';
import { PROVIDERS } from '../infra/provider-schema';
import { sizeFunction } from '../infra/sizing';
import { references } from './support/schemaCheck';

// Loaded with require: the package's typings pull in the DOM library, which this project's
// type-check must not see.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hcl2json = require('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
};

const ROOT = join(__dirname, '..');
const INFRA = join(ROOT, 'infra');
/** The `terraform` the shell would run: the first executable of that name on PATH. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
const TERRAFORM = onPath('terraform');

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
        for (const ref of await references(v)) {
          const parts = ref.split('.');
          // (A bare name is a provider, e.g. `provider = google-beta`.)
          if (parts.length < 2 || ['each', 'count', 'path', 'self', 'terraform'].includes(parts[0])) continue;
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

/** Every function, by its Terraform name, and the entry point it deploys with. */
const FUNCTIONS = ['analyze', 'render', 'upload', 'dead_letter', 'sweep'] as const;
const ENTRY_POINTS: Record<(typeof FUNCTIONS)[number], string> = {
  analyze: 'analyze',
  render: 'render',
  upload: 'upload',
  dead_letter: 'deadLetter',
  sweep: 'sweep',
};
/**
 * The functions sized from measurements (infra/sizing.ts, a variable each in variables.tf);
 * deadLetter and sweep hold only the Storage and Pub/Sub clients and have fixed small
 * sizes in lifecycle.tf.
 */
const SIZED = ['analyze', 'render', 'upload'] as const;
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
  if (!TERRAFORM)
    console.warn(
      'SKIPPED: terraform fmt -check (no terraform on PATH; set MEMEGEN_REQUIRE_TERRAFORM=1 to make this a failure)',
    );
  (TERRAFORM || required ? test : test.skip)('terraform fmt -check -recursive infra passes', () => {
    if (!TERRAFORM) throw new Error('terraform is not on PATH (MEMEGEN_REQUIRE_TERRAFORM=1)');
    const result = spawnSync(TERRAFORM, ['fmt', '-check', '-recursive', '-diff', 'infra'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(`${result.stdout}`).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('infra/ wiring', () => {
  test('Terraform and every provider are pinned; the state prefix is given per stack at init', () => {
    const settings = tf.terraform.find((t) => t.required_providers)!;
    expect(settings.required_version).toBe('>= 1.5');
    const providers = settings.required_providers[0] as Body;
    expect(Object.keys(providers).sort()).toEqual(Object.keys(PROVIDERS).sort());
    for (const [name, provider] of Object.entries(PROVIDERS))
      expect(providers[name]).toEqual({ source: provider.source, version: provider.version });
    // No prefix here: one fixed prefix would give every stack the same state.
    expect(tf.terraform.find((t) => t.backend)!.backend).toEqual({ gcs: [{}] });
  });

  test('the needed APIs are enabled and stay enabled on destroy; nothing unused (Eventarc)', () => {
    const apis = resource('google_project_service.apis');
    expect(apis.disable_on_destroy).toBe(false);
    expect(apis.for_each).toBe('${toset(local.apis)}');
    const list = String(tf.locals.apis);
    for (const api of [
      'cloudfunctions',
      'run',
      'pubsub',
      'storage',
      'cloudbuild',
      'artifactregistry',
      'iamcredentials',
      'iam',
      'logging',
      'monitoring',
      'cloudscheduler',
    ])
      expect(list).toContain(`"${api}.googleapis.com"`);
    expect(list).not.toContain('eventarc');
    // The budget's API only when there is a budget.
    expect(list).toContain('local.budget_enabled ? ["billingbudgets.googleapis.com"] : []');
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
      expect(build.entry_point).toBe(ENTRY_POINTS[name]);
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
    // The sweep gets the same plus two of its own (tested with the job lifecycle below).
    const envs = FUNCTIONS.filter((name) => name !== 'sweep').map(
      (name) => block(fn(name), 'service_config').environment_variables,
    );
    expect(new Set(envs).size).toBe(1);
    const env = local(envs[0]) as Record<string, string>;
    const known = [...Object.keys(SETTINGS), ...Object.keys(deployedProcessEnv())];
    const required = known.filter((key) => SETTINGS[key as keyof typeof SETTINGS]?.required);
    expect(Object.keys(env)).toEqual(expect.arrayContaining([...required, 'MAX_DELIVERY_ATTEMPTS']));
    for (const key of Object.keys(env)) expect(known).toContain(key);
  });

  test('every function runs with the process environment of infra/process-env.json, the one the local function processes and the benchmark use', () => {
    const processEnv = deployedProcessEnv();
    expect(Object.keys(processEnv).length).toBeGreaterThan(0);
    expect(tf.locals.process_env).toBe('${jsondecode(file("${path.module}/process-env.json")).env}');
    const env = local(block(fn('analyze'), 'service_config').environment_variables) as Record<string, string>;
    for (const key of Object.keys(processEnv)) expect(env[key]).toBe(`\${local.process_env.${key}}`);
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
      const target = [
        ...(await tf.refs({ ...body, member: undefined, role: undefined, condition: undefined })),
      ].filter((ref) => !ref.startsWith('var.'));
      const roleRefs = [...(await tf.refs(body.role))];
      const role = roleRefs.length === 1 ? roleRefs[0] : String(body.role); // a custom role, or a literal
      const condition = body.condition ? ' (conditional)' : '';
      for (const where of target.length > 0 ? target : ['project'])
        (grants[account.split('.')[1]] ??= []).push(`${role} on ${where}${condition}`);
    }
    for (const list of Object.values(grants)) list.sort();
    const inboxRole = 'google_project_iam_custom_role.inbox_consumer';
    const statusWriter = 'google_project_iam_custom_role.status_writer';
    expect(grants).toEqual({
      analyze: [
        `${inboxRole} on google_storage_bucket.inbox`,
        `${statusWriter} on google_storage_bucket.public`,
        'roles/pubsub.publisher on google_pubsub_topic.render',
      ],
      render: [
        `${inboxRole} on google_storage_bucket.inbox`,
        `${statusWriter} on google_storage_bucket.public`,
      ],
      upload: [
        'google_project_iam_custom_role.status_creator on google_storage_bucket.public',
        'roles/iam.serviceAccountTokenCreator on google_service_account.upload',
        'roles/storage.objectCreator on google_storage_bucket.inbox',
      ],
      invoker: [
        'roles/run.invoker on google_cloudfunctions2_function.analyze',
        'roles/run.invoker on google_cloudfunctions2_function.dead_letter',
        'roles/run.invoker on google_cloudfunctions2_function.render',
        'roles/run.invoker on google_cloudfunctions2_function.sweep',
      ],
      build: [
        'roles/artifactregistry.writer on google_artifact_registry_repository.functions',
        'roles/logging.logWriter on project',
        'roles/storage.objectAdmin on project (conditional)',
      ],
      dead_letter: ['roles/storage.objectUser on google_storage_bucket.public'],
      sweep: [
        'roles/pubsub.publisher on google_pubsub_topic.uploads',
        'roles/storage.legacyObjectReader on google_storage_bucket.inbox',
        'roles/storage.objectUser on google_storage_bucket.public',
      ],
    });
    // The custom roles hold exactly what the code does: no list anywhere.
    expect(resource(inboxRole).permissions).toEqual(['storage.objects.get', 'storage.objects.delete']);
    expect(resource(statusWriter).permissions).toEqual([
      'storage.objects.get',
      'storage.objects.create',
      'storage.objects.delete',
    ]);
    expect(resource('google_project_iam_custom_role.status_creator').permissions).toEqual([
      'storage.objects.get',
      'storage.objects.create',
    ]);
    // Run invoker bindings name the function's Cloud Run service.
    for (const key of ['analyze_invoker', 'render_invoker', 'upload_public']) {
      const name = key.split('_')[0];
      expect(resource(`google_cloud_run_service_iam_member.${key}`).service).toBe(
        `\${google_cloudfunctions2_function.${name}.service_config[0].service}`,
      );
    }
  });

  test("the build account: images in our repository only, sources only in Cloud Functions' source bucket, nothing else in Cloud Storage", async () => {
    const sources = resource('google_project_iam_member.build_sources');
    expect(sources.role).toBe('roles/storage.objectAdmin');
    const condition = block(sources, 'condition');
    expect(condition.expression).toBe(
      'resource.name.startsWith("projects/_/buckets/${local.gcf_sources_bucket}")',
    );
    expect(tf.locals.gcf_sources_bucket).toBe(
      'gcf-v2-sources-${data.google_project.this.number}-${var.region}',
    );
    // No project-level grant of the build account goes without a condition, but log writing.
    for (const [key, body] of tf.resources) {
      if (!key.startsWith('google_project_iam_member.')) continue;
      if (!(await tf.refs(body.member)).has('google_service_account.build')) continue;
      if (body.role !== 'roles/logging.logWriter')
        expect({ key, condition: !!body.condition }).toEqual({ key, condition: true });
    }
    for (const name of FUNCTIONS)
      expect(await only(block(fn(name), 'build_config').docker_repository)).toBe(
        'google_artifact_registry_repository.functions',
      );
  });

  test('the deployer may act as exactly the accounts it deploys, when it is named', async () => {
    const actsAs = resource('google_service_account_iam_member.deployer_acts_as');
    expect(actsAs.role).toBe('roles/iam.serviceAccountUser');
    expect(actsAs.member).toBe('serviceAccount:${var.deployer_service_account}');
    expect(String(actsAs.for_each)).toMatch(
      /: name => account if var\.deployer_service_account != ""\s*\}\}$/,
    );
    const accounts = [...tf.resources.keys()].filter((key) => key.startsWith('google_service_account.'));
    expect(
      [...(await tf.refs(actsAs.for_each))].filter((ref) => ref.startsWith('google_service_account.')).sort(),
    ).toEqual(accounts.sort());
    expect(tf.variables.deployer_service_account.default).toBe('');
  });

  test('the Storage and Pub/Sub service agents have their roles; the Pub/Sub agent is made to exist first', async () => {
    const storagePublisher = resource('google_pubsub_topic_iam_member.uploads_storage_publisher');
    expect(await only(storagePublisher.topic)).toBe('google_pubsub_topic.uploads');
    expect(storagePublisher.role).toBe('roles/pubsub.publisher');
    expect(await only(storagePublisher.member)).toBe('data.google_storage_project_service_account.gcs');

    const identity = resource('google_project_service_identity.pubsub');
    expect(identity.provider).toBe('${google-beta}');
    expect(identity.service).toBe('pubsub.googleapis.com');
    expect(tf.locals.pubsub_service_agent).toBe('${google_project_service_identity.pubsub.member}');
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

  test('no first-apply races: builds, functions and the notification wait for their grants; pushes wait for the invoker grants', async () => {
    const dependsOn = (body: Body): Set<string> =>
      new Set(((body.depends_on as string[] | undefined) ?? []).map((ref) => ref.replace(/^\$\{|\}$/g, '')));
    const wait = dependsOn(resource('time_sleep.iam_propagation'));
    // Every grant a build, a function deployment or the notification's creation checks.
    for (const key of [
      'google_project_iam_member.build_logs',
      'google_project_iam_member.build_sources',
      'google_artifact_registry_repository_iam_member.build_images',
      'google_service_account_iam_member.deployer_acts_as',
      'google_service_account_iam_member.upload_sign_blob',
      'google_service_account_iam_member.invoker_token_creator',
      'google_pubsub_topic_iam_member.uploads_storage_publisher',
    ])
      expect(wait).toContain(key);
    for (const name of FUNCTIONS) expect(dependsOn(fn(name))).toContain('time_sleep.iam_propagation');
    expect(dependsOn(resource('google_storage_notification.inbox_uploads'))).toContain(
      'time_sleep.iam_propagation',
    );
    // Every run.invoker grant to the push identity is waited for before any push subscription.
    const invokerGrants: string[] = [];
    for (const [key, body] of tf.resources)
      if (
        body.role === 'roles/run.invoker' &&
        (await tf.refs(body.member)).has('google_service_account.invoker')
      )
        invokerGrants.push(key);
    expect(invokerGrants.length).toBeGreaterThan(0);
    const invokerWait = resource('time_sleep.invoker_propagation');
    expect([...(await tf.refs(invokerWait.triggers))].sort()).toEqual(invokerGrants.sort());
    for (const [key, body] of tf.resources)
      if (key.startsWith('google_pubsub_subscription.') && body.push_config)
        expect({ key, waits: dependsOn(body).has('time_sleep.invoker_propagation') }).toEqual({
          key,
          waits: true,
        });
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
    expect(tf.locals.page_origins).toContain('google_cloudfunctions2_function.upload.service_config[0].uri');
    // The check that compared the page's origin with the same expression could never fail.
    expect(tf.checks).toEqual([]);
    const publicCors = block(resource('google_storage_bucket.public'), 'cors');
    expect(publicCors.method).toEqual(['GET', 'HEAD']);
    expect(publicCors.origin).toEqual(['*']);
  });

  test('soft delete is off on every bucket: deleted face photos and overwritten statuses are gone, not kept 7 days', () => {
    const buckets = [...tf.resources.keys()].filter((key) => key.startsWith('google_storage_bucket.'));
    expect(buckets.sort()).toEqual([
      'google_storage_bucket.inbox',
      'google_storage_bucket.public',
      'google_storage_bucket.source',
    ]);
    for (const key of buckets)
      expect({ key, softDelete: block(resource(key), 'soft_delete_policy') }).toEqual({
        key,
        softDelete: { retention_duration_seconds: 0 },
      });
  });

  test('the image repository keeps the newest images of every function and deletes older ones', () => {
    const repository = resource('google_artifact_registry_repository.functions');
    expect(repository.format).toBe('DOCKER');
    expect(repository.cleanup_policy_dry_run).toBe(false);
    const policies = repository.cleanup_policies as Body[];
    const keep = policies.find((p) => p.action === 'KEEP')!;
    expect(block(keep, 'most_recent_versions').keep_count).toBe('${var.images_kept}');
    const remove = policies.find((p) => p.action === 'DELETE')!;
    expect(block(remove, 'condition')).toEqual({
      tag_state: 'ANY',
      older_than: '${var.image_max_age_days * 86400}s',
    });
    expect(tf.variables.images_kept.default).toBeGreaterThanOrEqual(2); // the live image and one to roll back to
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
    expect(String(tf.locals.apis)).toContain('"cloudscheduler.googleapis.com"');
    expect(job.depends_on).toContain('${google_project_service.apis}');
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

describe('infra/ monitoring', () => {
  const policy = (name: string): Body => resource(`google_monitoring_alert_policy.${name}`);
  const threshold = (name: string): Body => block(block(policy(name), 'conditions'), 'condition_threshold');

  test('every function and every subscription is watched: the watchers take their names from locals that list them all', async () => {
    // Every function is named from local.function_names, and nothing else is in it.
    const names = tf.locals.function_names as Record<string, string>;
    const functions = [...tf.resources.keys()].filter((key) =>
      key.startsWith('google_cloudfunctions2_function.'),
    );
    expect(Object.keys(names).sort()).toEqual(functions.map((key) => key.split('.')[1]).sort());
    for (const key of functions)
      expect(resource(key).name).toBe(`\${local.function_names.${key.split('.')[1]}}`);
    expect(tf.locals.functions_filter).toBe(
      '${join(" OR ", [for name in values(local.function_names) : "\\"${name}\\""])}',
    );
    expect(tf.locals.function_logs).toContain('resource.labels.service_name=(${local.functions_filter})');
    // Every push subscription, and every subscription of the dead-letter topic.
    const pushed: string[] = [];
    const deadLetter: string[] = [];
    for (const [key, body] of tf.resources) {
      if (!key.startsWith('google_pubsub_subscription.')) continue;
      if (body.push_config) pushed.push(key);
      if ((await only(body.topic)) === 'google_pubsub_topic.dead_letter') deadLetter.push(key);
    }
    expect([...(await tf.refs(tf.locals.push_subscriptions))].sort()).toEqual(pushed.sort());
    expect([...(await tf.refs(tf.locals.dead_letter_subscriptions))].sort()).toEqual(deadLetter.sort());
  });

  test('four alerts, each sent to the email channel: dead letters waiting, old unacked pushes, 5xx, ERROR lines', () => {
    const alerts = [...tf.resources.keys()].filter((key) =>
      key.startsWith('google_monitoring_alert_policy.'),
    );
    expect(alerts.sort()).toEqual(
      ['dead_letters', 'error_logs', 'function_5xx', 'push_backlog'].map(
        (n) => `google_monitoring_alert_policy.${n}`,
      ),
    );
    for (const key of alerts)
      expect(resource(key).notification_channels).toBe('${local.notification_channels}');
    expect(tf.locals.notification_channels).toBe('${google_monitoring_notification_channel.email[*].id}');
    const channel = resource('google_monitoring_notification_channel.email');
    expect(channel.type).toBe('email');
    expect(channel.labels).toEqual({ email_address: '${var.alert_email}' });
    expect(channel.count).toBe('${var.alert_email == "" ? 0 : 1}');

    // Dead letters: undelivered on any dead-letter subscription for 5 minutes (a consumer
    // that works keeps it at 0; one that fails, or none, lets it stay).
    expect(threshold('dead_letters').filter).toContain(
      'pubsub.googleapis.com/subscription/num_undelivered_messages',
    );
    expect(threshold('dead_letters').filter).toContain('for s in local.dead_letter_subscriptions');
    expect(threshold('dead_letters')).toMatchObject({
      comparison: 'COMPARISON_GT',
      threshold_value: 0,
      duration: '300s',
    });
    // Push subscriptions: the oldest unacked message older than 5 minutes.
    expect(threshold('push_backlog').filter).toContain(
      'pubsub.googleapis.com/subscription/oldest_unacked_message_age',
    );
    expect(threshold('push_backlog').filter).toContain('for s in local.push_subscriptions');
    expect(threshold('push_backlog').threshold_value).toBe('${var.alert_unacked_minutes * 60}');
    expect(tf.variables.alert_unacked_minutes.default).toBe(5);
    // 5xx of every function, per function.
    expect(threshold('function_5xx').filter).toContain('metric.label.response_code_class="5xx"');
    expect(threshold('function_5xx').filter).toContain('for name in values(local.function_names)');
    expect(block(threshold('function_5xx'), 'aggregations')).toMatchObject({
      per_series_aligner: 'ALIGN_RATE',
      group_by_fields: ['resource.label.service_name'],
    });
    // ERROR lines, through the log-based metric, once Cloud Monitoring knows the metric.
    expect(threshold('error_logs').filter).toContain(
      'logging.googleapis.com/user/${google_logging_metric.errors.name}',
    );
    expect(policy('error_logs').depends_on).toContain('${time_sleep.log_metrics}');
  });

  test('the log-based metrics read lines the functions really log', () => {
    const errors = resource('google_logging_metric.errors');
    expect(errors.filter).toBe('${local.function_logs} AND severity>=ERROR');
    const render = readFileSync(join(ROOT, 'functions', 'cloud', 'renderHandler.ts'), 'utf8');
    const analyze = readFileSync(join(ROOT, 'functions', 'cloud', 'analyzeHandler.ts'), 'utf8');
    expect(resource('google_logging_metric.memes').filter).toContain('jsonPayload.message="meme done"');
    expect(render).toContain("'meme done'");
    const stages = resource('google_logging_metric.stage_ms');
    expect(stages.value_extractor).toBe('EXTRACT(jsonPayload.${each.value.field})');
    const stageFields = JSON.stringify(stages.for_each);
    for (const [source, field] of [
      [analyze, 'analyzeMs'],
      [render, 'waitMs'],
      [render, 'renderMs'],
    ]) {
      expect(stageFields).toContain(`"field":"${field}"`);
      expect(source).toMatch(new RegExp(`log\\.log\\('INFO',[\\s\\S]{0,200}\\b${field}\\b`));
    }
  });

  test('the budget exists only with a billing account and an amount, and notifies the channel', () => {
    const budget = resource('google_billing_budget.monthly');
    expect(budget.count).toBe('${local.budget_enabled ? 1 : 0}');
    expect(tf.locals.budget_enabled).toBe('${var.billing_account != "" && var.monthly_budget > 0}');
    expect(block(budget, 'all_updates_rule').monitoring_notification_channels).toBe(
      '${local.notification_channels}',
    );
    expect((budget.threshold_rules as Body[]).map((rule) => rule.threshold_percent)).toEqual([
      0.5, 0.9, 1, 1,
    ]);
    expect(tf.variables.monthly_budget.default).toBe(0);
  });

  test('the dashboard shows memes per minute, stage latencies, errors and backlog', () => {
    const charts = JSON.stringify(tf.locals.dashboard_charts);
    for (const title of ['Memes per minute', 'Stage latency', 'Errors', 'Backlog'])
      expect(charts).toContain(`"title":"${title}`);
    for (const metric of [
      'google_logging_metric.memes.name',
      'google_logging_metric.stage_ms[stage].name',
      'google_logging_metric.errors.name',
      'run.googleapis.com/request_count',
      'pubsub.googleapis.com/subscription/num_undelivered_messages',
    ])
      expect(charts).toContain(metric);
    expect(resource('google_monitoring_dashboard.main').dashboard_json).toContain('mosaicLayout');
  });
});

describe('infra/ sizes and README', () => {
  let report: FunctionsReport;
  beforeAll(() => {
    if (!existsSync(RESULTS_FILE))
      throw new Error(`${RESULTS_FILE} is missing: run \`npm run bench:functions -- --write\``);
    report = readReport();
  });
  const size = (name: string): Body => tf.variables[name].type;

  test("each function's memory and vCPUs are what infra/sizing.ts makes of the measurements at its concurrency", () => {
    for (const name of SIZED) {
      const load = report.loads[name];
      expect(load).toBeDefined();
      const defaults = String(size(name));
      const value = (field: string): string =>
        new RegExp(`${field}\\s*=\\s*optional\\((?:string|number),\\s*"?([\\w.]+)"?\\)`).exec(
          defaults,
        )?.[1] ?? '';
      // Measured at the deployed concurrency; sized by the rule.
      expect({ name, concurrency: Number(value('concurrency')) }).toEqual({
        name,
        concurrency: load.concurrency,
      });
      const sized = sizeFunction(load);
      expect({ name, memory: value('memory'), cpu: value('cpu') }).toEqual({
        name,
        memory: sized.memory,
        cpu: sized.cpu,
      });
      expect(report.sizes[name]).toEqual(sized);
    }
  });

  test("infra/README.md's sizes and cold starts are the benchmark's, and its table of functions is variables.tf's", () => {
    const readme = readFileSync(join(INFRA, 'README.md'), 'utf8');
    expect(replaceSection(readme, readmeSection(report))).toBe(readme);
    for (const name of SIZED) {
      const defaults = String(size(name));
      const value = (field: string): string =>
        new RegExp(`${field}\\s*=\\s*optional\\((?:string|number),\\s*"?([\\w.]+)"?\\)`).exec(
          defaults,
        )?.[1] ?? '';
      const row = new RegExp(
        `^ *\\| \`${name}\` \\| (\\S+) \\| (\\S+) \\| (\\S+) \\| (\\S+) \\| (\\S+) s \\|`,
        'm',
      ).exec(readme);
      expect(row?.slice(1)).toEqual([
        value('memory'),
        value('cpu'),
        value('concurrency'),
        value('max_instances'),
        value('timeout_seconds'),
      ]);
    }
  });

  test('infra/README.md names every resource and data source', () => {
    const readme = readFileSync(join(INFRA, 'README.md'), 'utf8');
    const missing = [...tf.resources.keys(), ...tf.data.keys()].filter((key) => {
      const [type, name] = key.startsWith('data.') ? key.split('.').slice(1) : key.split('.');
      const prefix = key.startsWith('data.') ? 'data.' : '';
      // Either the full address, or the type followed by a list of names (`type.a|b`).
      return (
        !readme.includes(`${prefix}${type}.${name}`) &&
        !new RegExp(`${prefix}${type}\\.[\\w|]*\\b${name}\\b`).test(readme)
      );
    });
    expect(missing).toEqual([]);
  });
});
