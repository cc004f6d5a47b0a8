/**
 * Checks Terraform files against infra/provider-schema.json the way `terraform validate`
 * would check them against the providers: every resource type and data source exists,
 * every argument and nested block is one the type has (and single blocks appear once),
 * every required argument and block is there, and every attribute a reference reads
 * (google_x.y.attr, nested blocks included) exists. Returns the problems, one line each.
 */
import type { ProviderSchema, SchemaFile, SchemaNode } from '../../infra/provider-schema';
import { providerOf } from '../../infra/provider-schema';

// Loaded with require: the package's typings pull in the DOM library (see test/infra.test.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hcl2json = require('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
  getReferencesInExpression(filename: string, expression: string): Promise<{ value: string }[]>;
};

type Body = Record<string, unknown>;

const SCRIPT = 'npm run infra:schema';
const RESOURCE_META = [
  'count',
  'for_each',
  'depends_on',
  'provider',
  'lifecycle',
  'provisioner',
  'connection',
];
const DATA_META = ['count', 'for_each', 'depends_on', 'provider', 'lifecycle'];
const LIFECYCLE = ['create_before_destroy', 'prevent_destroy', 'ignore_changes', 'replace_triggered_by'];

const isBlockList = (value: unknown): value is Body[] =>
  Array.isArray(value) &&
  value.every((item) => item !== null && typeof item === 'object' && !Array.isArray(item));

export async function checkAgainstSchema(
  files: { name: string; text: string }[],
  schema: SchemaFile,
): Promise<string[]> {
  const problems: string[] = [];
  /** "type.name" / "data.type.name" → the schema node, for references. */
  const declared = new Map<string, SchemaNode | undefined>();
  const expressions: { where: string; value: unknown }[] = [];
  const usedProviders = new Set<string>();
  const parsed: { file: string; body: Record<string, Body> }[] = [];

  for (const file of files)
    parsed.push({
      file: file.name,
      body: (await hcl2json.parse(file.name, file.text)) as Record<string, Body>,
    });

  for (const { file, body } of parsed) {
    for (const kind of ['resource', 'data'] as const) {
      for (const [type, byName] of Object.entries(body[kind] ?? {})) {
        for (const [name, bodies] of Object.entries(byName as Record<string, Body[]>)) {
          const address = kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
          const block = bodies[0];
          const provider = providerOf(type, block);
          usedProviders.add(provider);
          const known: ProviderSchema | undefined = schema.providers[provider];
          const node = known && (kind === 'resource' ? known.resources : known.data)[type];
          declared.set(address, node);
          expressions.push({ where: `${file}: ${address}`, value: block });
          if (!known) {
            problems.push(
              `${file}: ${address} uses provider "${provider}", which infra/provider-schema.json lacks: run \`${SCRIPT}\``,
            );
            continue;
          }
          if (!node) {
            problems.push(
              `${file}: ${kind === 'data' ? 'data source' : 'resource type'} ${type} is not in infra/provider-schema.json: run \`${SCRIPT}\` (it extracts every type infra/*.tf uses)`,
            );
            continue;
          }
          checkBlock(
            block,
            node,
            `${file}: ${address}`,
            kind === 'data' ? DATA_META : RESOURCE_META,
            problems,
          );
        }
      }
    }
    for (const [name, bodies] of Object.entries(body.provider ?? {})) {
      usedProviders.add(name);
      const known = schema.providers[name];
      for (const block of bodies as Body[]) {
        expressions.push({ where: `${file}: provider "${name}"`, value: block });
        if (!known)
          problems.push(
            `${file}: provider "${name}" is not in infra/provider-schema.json: run \`${SCRIPT}\``,
          );
        else checkBlock(block, known.provider, `${file}: provider "${name}"`, [], problems);
      }
    }
    for (const section of ['locals', 'output', 'check', 'variable'])
      if (body[section]) expressions.push({ where: `${file}: ${section}`, value: body[section] });
  }

  // Every provider used is pinned to the version the extract was made from.
  const settings = parsed.flatMap(({ body }) => (body.terraform as unknown as Body[] | undefined) ?? []);
  const required = Object.assign(
    {},
    ...settings.flatMap((t) => (t.required_providers as Body[] | undefined) ?? []),
  ) as Record<string, { source?: string; version?: string }>;
  for (const provider of usedProviders) {
    const pin = required[provider];
    const extract = schema.providers[provider];
    if (!pin) problems.push(`provider "${provider}" is used but not in required_providers`);
    else if (extract && (pin.source !== extract.source || pin.version !== extract.version))
      problems.push(
        `provider "${provider}" is pinned to ${pin.source} ${pin.version ?? '(no version)'}, but infra/provider-schema.json is ${extract.source} ${extract.version}: pin exactly that version, or change PROVIDERS in infra/provider-schema.ts and run \`${SCRIPT}\``,
      );
  }

  // References: resource.name[.key|index].attribute[.index.attribute…]
  for (const { where, value } of expressions)
    for (const ref of await references(value)) {
      const parts = ref.split('.');
      const isData = parts[0] === 'data';
      if (['var', 'local', 'each', 'count', 'path', 'self', 'terraform', 'module'].includes(parts[0]))
        continue;
      const address = parts.slice(0, isData ? 3 : 2).join('.');
      if (parts.length < (isData ? 3 : 2)) continue;
      if (!declared.has(address)) {
        if (/^[a-z0-9]+_[a-z0-9_]+$/.test(parts[0]) || isData)
          problems.push(`${where}: refers to ${address}, which is not declared`);
        continue;
      }
      const node = declared.get(address);
      if (node) checkPath(node, parts.slice(isData ? 3 : 2), `${where}: ${ref}`, problems);
    }
  return problems;
}

function checkBlock(block: Body, node: SchemaNode, where: string, meta: string[], problems: string[]): void {
  const present = new Set<string>();
  for (const [key, value] of Object.entries(block)) {
    if (meta.includes(key)) {
      if (key === 'lifecycle' && isBlockList(value)) checkLifecycle(value, `${where}.lifecycle`, problems);
      continue;
    }
    if (key === 'dynamic') {
      for (const [name, dynamics] of Object.entries(value as Record<string, Body[]>)) {
        const nested = node.blocks[name];
        if (!nested) {
          problems.push(`${where}: dynamic "${name}": ${name} is not a block of this type`);
          continue;
        }
        present.add(name);
        for (const dynamic of dynamics)
          for (const content of (dynamic.content as Body[] | undefined) ?? [])
            checkBlock(content, nested, `${where}.${name}`, [], problems);
      }
      continue;
    }
    present.add(key);
    if (node.required.includes(key) || node.optional.includes(key)) continue;
    const nested = node.blocks[key];
    if (nested) {
      if (!isBlockList(value)) {
        problems.push(`${where}: ${key} is a block (write ${key} { … }), not an argument`);
        continue;
      }
      if (nested.nesting === 'single' && value.length > 1)
        problems.push(`${where}: ${key} may appear once, appears ${value.length} times`);
      for (const item of value) checkBlock(item, nested, `${where}.${key}`, [], problems);
      continue;
    }
    if (node.computed.includes(key))
      problems.push(`${where}: ${key} is read-only (computed), it cannot be set`);
    else problems.push(`${where}: unknown argument or block "${key}"${suggestion(key, node)}`);
  }
  for (const key of node.required)
    if (!present.has(key)) problems.push(`${where}: required argument ${key} is missing`);
  for (const [key, nested] of Object.entries(node.blocks))
    if (nested.min && !present.has(key)) problems.push(`${where}: required block ${key} is missing`);
}

function checkLifecycle(blocks: Body[], where: string, problems: string[]): void {
  for (const block of blocks)
    for (const [key, value] of Object.entries(block)) {
      if (LIFECYCLE.includes(key)) continue;
      if (key === 'precondition' || key === 'postcondition') {
        for (const condition of value as Body[])
          for (const field of Object.keys(condition))
            if (!['condition', 'error_message'].includes(field))
              problems.push(`${where}.${key}: unknown argument "${field}"`);
        continue;
      }
      problems.push(`${where}: unknown lifecycle argument "${key}"`);
    }
}

/** The attribute path of a reference after the resource address (indexes and keys skipped). */
function checkPath(node: SchemaNode, path: string[], where: string, problems: string[]): void {
  let current: SchemaNode | undefined = node;
  for (const part of path) {
    if (!current) return;
    if (/^\d+$/.test(part) || /^".*"$/.test(part)) continue; // an instance key or a list index
    if (current.blocks[part]) current = current.blocks[part];
    else if (current.objects?.[part]) current = current.objects[part];
    else if ([...current.required, ...current.optional, ...current.computed].includes(part) || part === 'id')
      return;
    else {
      problems.push(`${where}: no attribute "${part}"${suggestion(part, current)}`);
      return;
    }
  }
}

/**
 * The `${…}` interpolations of a string as hcl2json gives it (escapes already decoded, so
 * the whole string may not parse again, e.g. one holding a quoted CEL expression).
 */
export function interpolations(text: string): string[] {
  const found: string[] = [];
  for (let start = text.indexOf('${'); start >= 0; start = text.indexOf('${', start + 2)) {
    let depth = 0;
    let quoted = false;
    for (let i = start + 1; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '\\') i++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        found.push(text.slice(start, i + 1));
        break;
      }
    }
  }
  return found;
}

/**
 * Every reference (as "a.b.0.c") in the strings of a value: what HCL's parser finds, plus
 * resource references it misses (inside the collection of a `for` expression), found by
 * their shape: a `type_name.name` followed by attributes and indexes.
 */
export async function references(value: unknown): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (v: unknown): Promise<void> => {
    if (typeof v === 'string') {
      for (const expression of interpolations(v)) {
        for (const ref of await hcl2json.getReferencesInExpression('infra.tf', expression))
          found.add(ref.value);
        for (const [ref] of expression.matchAll(
          /(?<![\w.])(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[a-z_][\w-]*(?:\[\d+\]|\.[a-z_][\w-]*)*/g,
        ))
          found.add(ref.replace(/\[(\d+)\]/g, '.$1'));
      }
    } else if (Array.isArray(v)) for (const item of v) await walk(item);
    else if (v && typeof v === 'object') for (const item of Object.values(v)) await walk(item);
  };
  await walk(value);
  return [...found];
}

/** " (did you mean x?)" for a near miss: same letters but one or two. */
function suggestion(key: string, node: SchemaNode): string {
  const names = [...node.required, ...node.optional, ...node.computed, ...Object.keys(node.blocks)];
  const near = names.find((name) => distance(name, key) <= 2);
  return near ? ` (did you mean ${near}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
