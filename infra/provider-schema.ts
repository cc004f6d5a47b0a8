/**
 * `npm run infra:schema`: writes infra/provider-schema.json, a compact extract of the
 * Terraform providers' schemas for every resource type and data source infra/*.tf uses
 * (plus EXTRA_TYPES), at the provider versions versions.tf pins.
 *
 * `terraform validate` needs the providers, which cannot be downloaded where memegen is
 * developed, so test/infra-schema.test.ts checks infra/*.tf against this extract instead:
 * every argument, nested block and attribute reference. The schemas come from the
 * generated bindings of the CDK for Terraform provider packages (@cdktf/provider-google and
 * friends), which are generated from the providers' own schemas and name the provider
 * version they were made from. Only the few files needed are read: each package is fetched
 * with `npm pack` into a temporary folder (about 30 MB each, never installed, nothing added
 * to package.json) and the bindings of the used types are read from the tarball.
 *
 * After adding a resource type to infra/, run it again; the schema test says so when a
 * type is missing. Changing a provider version: change PROVIDERS below (package version and
 * the provider version it was generated from) and `version` in infra/versions.tf together.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Loaded with require: the package's typings pull in the DOM library (see test/infra.test.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hcl2json = require('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
};

export interface ProviderPackage {
  /** Registry source, as in required_providers. */
  source: string;
  /** The provider version the bindings were generated from; versions.tf pins exactly this. */
  version: string;
  /** The npm package and version holding the generated bindings. */
  package: string;
}

export const PROVIDERS: Record<string, ProviderPackage> = {
  google: { source: 'hashicorp/google', version: '6.50.0', package: '@cdktf/provider-google@16.12.1' },
  'google-beta': {
    source: 'hashicorp/google-beta',
    version: '6.50.0',
    package: '@cdktf/provider-google-beta@16.12.1',
  },
  time: { source: 'hashicorp/time', version: '0.13.1', package: '@cdktf/provider-time@11.0.1' },
};

/**
 * Types extracted even when infra/*.tf does not use them (yet): what a function driven by
 * Cloud Scheduler and a push consumer of the dead-letter topic need (issue 14's `sweep`
 * and `deadLetter`), and the other IAM bindings a new function may want.
 */
export const EXTRA_TYPES: { provider: string; kind: 'resource' | 'data'; type: string }[] = [
  'google_cloud_scheduler_job',
  'google_cloudfunctions2_function',
  'google_cloudfunctions2_function_iam_member',
  'google_cloud_run_service_iam_member',
  'google_cloud_run_v2_service_iam_member',
  'google_pubsub_subscription',
  'google_pubsub_subscription_iam_member',
  'google_pubsub_topic',
  'google_pubsub_topic_iam_member',
  'google_service_account',
  'google_service_account_iam_member',
  'google_storage_bucket_iam_member',
  'google_project_iam_member',
  'google_project_iam_custom_role',
  'google_project_service',
  'google_monitoring_alert_policy',
  'google_logging_metric',
].map((type) => ({ provider: 'google', kind: 'resource' as const, type }));

export const SCHEMA_FILE = join(__dirname, 'provider-schema.json');

/** One block of a schema: a resource, a data source, a provider, or a nested block. */
export interface SchemaNode {
  /** Arguments that must be set. */
  required: string[];
  /** Arguments that may be set (some are computed when left out). */
  optional: string[];
  /** Read-only attributes (references only). */
  computed: string[];
  /** Nested blocks, written `name { … }`. */
  blocks: Record<string, SchemaBlock>;
  /** Read-only nested objects (references only, e.g. `status[0].url`). */
  objects?: Record<string, SchemaNode>;
}

export interface SchemaBlock extends SchemaNode {
  /** single: at most one; list / set: any number. */
  nesting: 'single' | 'list' | 'set';
  /** The block must appear at least once. */
  min?: 1;
}

export interface ProviderSchema extends ProviderPackage {
  provider: SchemaNode;
  resources: Record<string, SchemaNode>;
  data: Record<string, SchemaNode>;
}

export interface SchemaFile {
  '//': string;
  providers: Record<string, ProviderSchema>;
}

export interface UsedType {
  provider: string;
  kind: 'resource' | 'data';
  type: string;
}

/** The provider local name a resource or data block uses: its `provider` argument, else its type's prefix. */
export function providerOf(type: string, body: Record<string, unknown>): string {
  const explicit = typeof body.provider === 'string' ? /^\$\{([\w-]+)(\.\w+)?\}$/.exec(body.provider) : null;
  return explicit ? explicit[1] : type.split('_')[0];
}

/** Every resource type and data source the given .tf files use, with its provider. */
export async function usedTypes(files: { name: string; text: string }[]): Promise<UsedType[]> {
  const found = new Map<string, UsedType>();
  for (const file of files) {
    const parsed = (await hcl2json.parse(file.name, file.text)) as Record<string, Record<string, unknown>>;
    for (const kind of ['resource', 'data'] as const)
      for (const [type, byName] of Object.entries(parsed[kind] ?? {}))
        for (const bodies of Object.values(byName as Record<string, Record<string, unknown>[]>))
          for (const body of bodies) {
            const provider = providerOf(type, body);
            found.set(`${provider} ${kind} ${type}`, { provider, kind, type });
          }
  }
  return [...found.values()];
}

export function infraFiles(dir: string = __dirname): { name: string; text: string }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.tf'))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

// ---------------------------------------------------------------------------------------
// Reading the generated bindings (lib/<type>/index.js and index.d.ts of a cdktf provider
// package). Their shape is regular: for the resource class and for every nested block's
// struct, a `synthesizeHclAttributes()` / `<struct>ToHclTerraform()` lists each argument
// under its Terraform name with `isBlock`; every attribute, settable or computed, has a
// getter calling `get…Attribute('<name>')` or is a field built as `new X(this, "<name>")`;
// index.d.ts marks optional properties with `?` under a doc link ending `#<name>`.

interface HclAttribute {
  name: string;
  isBlock: boolean;
  storageClassType: string;
}

interface Bindings {
  /** `<struct>` (or the resource class name) → its arguments and blocks. */
  attributes: Map<string, HclAttribute[]>;
  /** Class name → attribute name → class of the field (for blocks and nested objects). */
  fields: Map<string, Map<string, string>>;
  /** Class name → every attribute a getter reads. */
  getters: Map<string, Set<string>>;
  /** Interface name → property Terraform name → optional. */
  optional: Map<string, Map<string, boolean>>;
  /** Terraform type → the class representing it. */
  classes: Map<string, string>;
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

export function readBindings(js: string, dts: string): Bindings {
  const bindings: Bindings = {
    attributes: new Map(),
    fields: new Map(),
    getters: new Map(),
    optional: new Map(),
    classes: new Map(),
  };
  for (const chunk of js.split(/^(?=(?:function|class) )/m)) {
    const fn = /^function (\w+)ToHclTerraform\(struct\)/.exec(chunk);
    if (fn) {
      bindings.attributes.set(fn[1], hclAttributes(chunk, fn[1]));
      continue;
    }
    const cls = /^class (\w+) extends cdktf\.(\w+)/.exec(chunk);
    if (!cls) continue;
    const [, name, base] = cls;
    if (['TerraformResource', 'TerraformDataSource', 'TerraformProvider'].includes(base)) {
      const synth = chunk.indexOf('synthesizeHclAttributes()');
      if (synth < 0) throw new Error(`${name}: no synthesizeHclAttributes()`);
      bindings.attributes.set(lowerFirst(name), hclAttributes(chunk.slice(synth), name));
    }
    const getters = new Set<string>();
    for (const m of chunk.matchAll(/\.get\w*Attribute\('(\w+)'\)/g)) getters.add(m[1]);
    for (const m of chunk.matchAll(/interpolationForAttribute\('(\w+)'\)/g)) getters.add(m[1]);
    const fields = new Map<string, string>();
    for (const m of chunk.matchAll(/new (?:cdktf\.)?(\w+)\(this, ["'](\w+)["']/g)) {
      fields.set(m[2], m[1]);
      getters.add(m[2]);
    }
    bindings.getters.set(name, getters);
    bindings.fields.set(name, fields);
  }
  for (const m of js.matchAll(/^(\w+)\.tfResourceType = "([\w-]+)";$/gm)) bindings.classes.set(m[2], m[1]);

  for (const m of dts.matchAll(/^export interface (\w+)(?: extends [\w.]+)? \{\n([\s\S]*?)^\}/gm)) {
    const props = new Map<string, boolean>();
    let anchor: string | undefined;
    for (const line of m[2].split('\n')) {
      const link = /\{@link https:\/\/registry\.terraform\.io\/\S+#(\w+) /.exec(line);
      if (link) anchor = link[1];
      const prop = /^\s*readonly (\w+)(\?)?:/.exec(line);
      if (prop) {
        props.set(anchor ?? prop[1].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), prop[2] === '?');
        anchor = undefined;
      }
    }
    bindings.optional.set(m[1], props);
  }
  return bindings;
}

function hclAttributes(code: string, owner: string): HclAttribute[] {
  const start = /^( *)const attrs = \{(\};)?$/m.exec(code);
  if (!start) throw new Error(`${owner}: no attrs object in its HCL synthesis`);
  if (start[2]) return []; // a block without arguments
  const end = code.indexOf(`\n${start[1]}};`, start.index);
  const body = code.slice(start.index, end < 0 ? undefined : end);
  const found = [
    ...body.matchAll(
      /^ +(\w+): \{\n +value: .*\n +isBlock: (true|false),\n +type: "(\w+)",\n +storageClassType: "(\w+)",/gm,
    ),
  ].map((m) => ({ name: m[1], isBlock: m[2] === 'true', storageClassType: m[4] }));
  const expected = (body.match(/isBlock: /g) ?? []).length;
  if (found.length !== expected)
    throw new Error(
      `${owner}: read ${found.length} of ${expected} attributes; the generated code changed shape`,
    );
  return found;
}

/** The schema node of a class (resource, data source or provider) or of a nested struct. */
export function schemaNode(
  bindings: Bindings,
  structName: string,
  className: string,
  interfaceName: string,
  depth = 0,
): SchemaNode {
  if (depth > 12) throw new Error(`${structName}: nesting deeper than 12`);
  const attributes = bindings.attributes.get(lowerFirst(structName)) ?? [];
  const optional = bindings.optional.get(interfaceName) ?? new Map<string, boolean>();
  const fields = bindings.fields.get(className) ?? new Map<string, string>();
  const node: SchemaNode = { required: [], optional: [], computed: [], blocks: {} };
  const settable = new Set<string>();
  for (const attribute of attributes) {
    settable.add(attribute.name);
    const isOptional = optional.get(attribute.name) ?? true;
    if (!attribute.isBlock) {
      (isOptional ? node.optional : node.required).push(attribute.name);
      continue;
    }
    const struct = attribute.storageClassType.replace(/(List|Set)$/, '');
    const fieldClass = fields.get(attribute.name) ?? '';
    const nesting = fieldClass.endsWith('OutputReference')
      ? 'single'
      : /Set$/.test(attribute.storageClassType)
        ? 'set'
        : 'list';
    const nested = schemaNode(bindings, struct, `${struct}OutputReference`, struct, depth + 1);
    node.blocks[attribute.name] = { nesting, ...(isOptional ? {} : { min: 1 as const }), ...nested };
  }
  for (const name of bindings.getters.get(className) ?? []) {
    if (settable.has(name)) continue;
    node.computed.push(name);
    // A computed nested object (a list of objects, or one object): its own attributes.
    const fieldClass = fields.get(name);
    const struct = fieldClass?.replace(/(List|OutputReference|Map)$/, '');
    if (struct && fieldClass !== struct && bindings.getters.has(`${struct}OutputReference`)) {
      (node.objects ??= {})[name] = schemaNode(
        bindings,
        struct,
        `${struct}OutputReference`,
        struct,
        depth + 1,
      );
    }
  }
  node.required.sort();
  node.optional.sort();
  node.computed.sort();
  return node;
}

// ---------------------------------------------------------------------------------------

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  return result.stdout;
}

/** Fetches a package tarball with npm pack (not installed) and returns its path. */
function pack(spec: string, dir: string): string {
  const out = run('npm', ['pack', spec, '--pack-destination', dir, '--silent'], dir).trim().split('\n');
  return join(dir, out[out.length - 1]);
}

/** Possible folders of a type's bindings (the packages name them in two ways). */
function candidateDirs(kind: 'resource' | 'data', type: string): string[] {
  const full = type.replace(/_/g, '-');
  const short = full.replace(/^[a-z0-9]+-/, '');
  return kind === 'data' ? [`data-${full}`, `data-${short}`] : [short, full];
}

export async function extract(types: UsedType[], log: (line: string) => void): Promise<SchemaFile> {
  const work = mkdtempSync(join(tmpdir(), 'memegen-provider-schema-'));
  try {
    const providers: Record<string, ProviderSchema> = {};
    for (const [local, spec] of Object.entries(PROVIDERS)) {
      const wanted = types.filter((t) => t.provider === local);
      if (wanted.length === 0) continue;
      log(`${spec.package}: npm pack`);
      const tarball = pack(spec.package, work);
      const entries = new Set(run('tar', ['tzf', tarball], work).split('\n'));
      const dirs = new Map<UsedType, string>();
      for (const t of wanted) {
        const dir = candidateDirs(t.kind, t.type).find((d) => entries.has(`package/lib/${d}/index.js`));
        if (!dir) throw new Error(`${spec.package} has no bindings for ${t.kind} ${t.type}`);
        dirs.set(t, dir);
      }
      const files = ['package/package.json'];
      for (const dir of [...new Set([...dirs.values(), 'provider'])])
        files.push(`package/lib/${dir}/index.js`, `package/lib/${dir}/index.d.ts`);
      const target = join(work, local);
      run('mkdir', ['-p', target], work);
      run('tar', ['xzf', tarball, '-C', target, ...files], work);
      const manifest = JSON.parse(readFileSync(join(target, 'package', 'package.json'), 'utf8')) as {
        cdktf?: { provider?: { name?: string; version?: string } };
      };
      const made = manifest.cdktf?.provider;
      if (made?.version !== spec.version || !made.name?.endsWith(`/${spec.source}`))
        throw new Error(
          `${spec.package} was generated from ${made?.name}@${made?.version}, not ${spec.source}@${spec.version}`,
        );
      const read = (dir: string): Bindings =>
        readBindings(
          readFileSync(join(target, 'package', 'lib', dir, 'index.js'), 'utf8'),
          readFileSync(join(target, 'package', 'lib', dir, 'index.d.ts'), 'utf8'),
        );
      const nodeOf = (bindings: Bindings, tfType: string): SchemaNode => {
        const className = bindings.classes.get(tfType);
        if (!className) throw new Error(`no class for ${tfType}`);
        return schemaNode(bindings, className, className, `${className}Config`);
      };
      const schema: ProviderSchema = {
        ...spec,
        provider: nodeOf(read('provider'), local),
        resources: {},
        data: {},
      };
      for (const t of [...wanted].sort((a, b) => a.type.localeCompare(b.type))) {
        (t.kind === 'resource' ? schema.resources : schema.data)[t.type] = nodeOf(read(dirs.get(t)!), t.type);
        log(`  ${t.kind} ${t.type}`);
      }
      providers[local] = schema;
    }
    return {
      '//': 'Written by `npm run infra:schema` (infra/provider-schema.ts) from the generated bindings of the packages named below; do not edit. test/infra-schema.test.ts checks infra/*.tf against it.',
      providers,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * JSON with one key per line but every list of names on one line: the file stays short
 * to read and diffs show which argument came or went.
 */
export function formatSchema(value: unknown, indent = ''): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatSchema(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

export function requiredTypes(infra: UsedType[]): UsedType[] {
  const all = new Map<string, UsedType>();
  for (const t of [...infra, ...EXTRA_TYPES]) all.set(`${t.provider} ${t.kind} ${t.type}`, t);
  return [...all.values()];
}

if (require.main === module) {
  const out = process.argv.includes('--out')
    ? resolve(process.argv[process.argv.indexOf('--out') + 1])
    : SCHEMA_FILE;
  (async () => {
    const types = requiredTypes(await usedTypes(infraFiles()));
    for (const t of types)
      if (!PROVIDERS[t.provider])
        throw new Error(`${t.kind} ${t.type} uses provider "${t.provider}", which PROVIDERS does not list`);
    const schema = await extract(types, (line) => console.error(line));
    writeFileSync(out, `${formatSchema(schema)}\n`);
    const count = Object.values(schema.providers).reduce(
      (n, p) => n + Object.keys(p.resources).length + Object.keys(p.data).length,
      0,
    );
    console.log(`${out}: ${count} types from ${Object.keys(schema.providers).join(', ')}`);
  })().catch((error: unknown) => {
    console.error(`infra:schema: ${(error as Error).message}`);
    process.exit(1);
  });
}
