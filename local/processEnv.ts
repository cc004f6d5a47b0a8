/**
 * The process environment the deployed functions run with (infra/process-env.json says
 * why), for whatever starts a function's process here: the local function processes and
 * the benchmark's, so that they measure what Cloud Run runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../functions/core/projectFiles';

function processEnvFile(): string {
  return join(projectRoot(), 'infra', 'process-env.json');
}

export function deployedProcessEnv(): Record<string, string> {
  const file = processEnvFile();
  const { env } = JSON.parse(readFileSync(file, 'utf8')) as { env?: unknown };
  if (!env || typeof env !== 'object' || Object.values(env).some((v) => typeof v !== 'string'))
    throw new Error(`${file}: "env" must map variable names to strings`);
  return env as Record<string, string>;
}
