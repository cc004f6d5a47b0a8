/**
 * functions/entries/entry.ts: each function's module is loaded on its first call, once,
 * and a failed load does not stick (the call fails, so Pub/Sub delivers again, and the
 * next call loads again) instead of leaving an instance that fails every request.
 */
import { loadConfig } from '../functions/cloud/config';
import { jsonLogger } from '../functions/cloud/log';
import { EntryContext, EntryModule, lazyHandler } from '../functions/entries/entry';

const context: EntryContext = {
  config: loadConfig({
    INBOX_BUCKET: 'inbox',
    PUBLIC_BUCKET: 'public',
    RENDER_TOPIC: 'projects/p/topics/render',
    PUBLIC_BASE_URL: 'https://storage.googleapis.com/public',
  }),
  log: jsonLogger({}, () => undefined),
};

test('the module is loaded and its handler built once, on the first call, even for calls arriving together', async () => {
  let loads = 0;
  let builds = 0;
  const handler = lazyHandler(async (): Promise<EntryModule<(n: number) => number>> => {
    loads += 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return {
      create: (given) => {
        builds += 1;
        expect(given).toBe(context);
        return (n) => n * 2;
      },
    };
  }, context);
  expect(loads).toBe(0); // nothing happens before the first call
  expect(await Promise.all([handler(1), handler(2), handler(3)])).toEqual([2, 4, 6]);
  expect(await handler(4)).toBe(8);
  expect({ loads, builds }).toEqual({ loads: 1, builds: 1 });
});

test('a failed load fails that call and is tried again on the next', async () => {
  let attempts = 0;
  const handler = lazyHandler(async (): Promise<EntryModule<() => string>> => {
    attempts += 1;
    if (attempts === 1) throw new Error('Cannot find module (a transient read error)');
    return { create: () => () => 'served' };
  }, context);
  await expect(handler()).rejects.toThrow('Cannot find module');
  expect(await handler()).toBe('served');
  expect(attempts).toBe(2);
});

test('index.ts registers every function through its own entry module', async () => {
  const { readFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const index = readFileSync(join(__dirname, '..', 'functions', 'index.ts'), 'utf8');
  const registered = [
    ...index.matchAll(
      /functions\.(?:cloudEvent|http)\(\s*'(\w+)',\s*lazyHandler\(\(\) => import\('\.\/entries\/(\w+)'\), context\),?\s*\)/g,
    ),
  ].map((m) => [m[1], m[2]]);
  expect(registered.map(([name]) => name)).toEqual(['analyze', 'render', 'upload', 'deadLetter', 'sweep']);
  for (const [name, module] of registered) {
    expect(module).toBe(name);
    expect(existsSync(join(__dirname, '..', 'functions', 'entries', `${module}.ts`))).toBe(true);
  }
  // No other import in index.ts loads a function's dependencies.
  expect([...index.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual([
    '@google-cloud/functions-framework',
    './cloud/config',
    './cloud/log',
    './entries/entry',
  ]);
});
