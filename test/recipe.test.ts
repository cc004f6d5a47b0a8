/**
 * The curl recipe in docs/pipeline.md and docs/deploy.md, run as written (bash, curl, jq)
 * against the local stack: only its first line, `API=…`, says where memegen runs, and is
 * given by the test instead; everything after it is the documents' own text.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusDocument } from '../functions/cloud/contract';
import { findPubSubEmulator } from '../local/pubsub';
import { RunningStack, startStack } from './support/localStack';
import { PHOTOS } from './support/sharedData';

const DOCS = join(__dirname, '..', 'docs');

/** The shell block of a document that uploads with curl: its `API=` line and the rest. */
function recipe(doc: string): { api: string; body: string } {
  const text = readFileSync(join(DOCS, doc), 'utf8');
  const block = [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((b) => b.includes('curl') && b.includes('uploadHeaders'));
  if (!block) throw new Error(`docs/${doc} has no curl upload recipe`);
  const [api, ...rest] = block.split('\n');
  expect(api).toMatch(/^API=/);
  return { api: api!, body: rest.join('\n') };
}

describe('the curl recipe in the docs', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    for (const tool of ['bash', 'curl', 'jq'])
      if (spawnSync(tool, ['--version']).status !== 0)
        throw new Error(`the recipe test needs ${tool} on PATH (apt-get install ${tool})`);
    stack = await startStack({ pubsub: findPubSubEmulator() ? 'emulator' : 'in-process' });
  }, 120_000);
  afterAll(() => stack?.stop());

  it('is the same in pipeline.md and deploy.md after the line saying where memegen runs', () => {
    expect(recipe('deploy.md').body).toBe(recipe('pipeline.md').body);
    expect(recipe('pipeline.md').api).toBe('API=http://127.0.0.1:8080/api/uploads');
  });

  it('uploads photo.jpg with its caption and style: the job becomes a meme', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memegen-recipe-'));
    copyFileSync(join(PHOTOS, 'faceapi_sample1.jpg'), join(dir, 'photo.jpg'));
    const run = spawnSync('bash', ['-e', '-c', recipe('pipeline.md').body], {
      cwd: dir,
      env: { ...process.env, API: `${stack.pageUrl}api/uploads` },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    // The PUT answers with an empty body; the last command prints the status document.
    const queued = JSON.parse(run.stdout) as StatusDocument;
    expect(queued).toMatchObject({
      state: 'queued',
      request: { style: 'label', caption: { top: 'nobody:', bottom: 'me:' } },
    });
    let status = queued;
    for (let i = 0; i < 300 && status.state !== 'done' && status.state !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await (await fetch(queued.statusUrl)).json()) as StatusDocument;
    }
    expect(status).toMatchObject({
      state: 'done',
      caption: { source: 'user', top: 'nobody:', bottom: 'me:' },
    });
    expect((await fetch(status.resultUrl)).status).toBe(200);
  }, 120_000);
});
