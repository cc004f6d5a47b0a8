import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A locally generated service-account key: @google-cloud/storage signs V4 URLs with its
// private key entirely offline, and the storage server verifies them with the public
// key (StorageServerOptions.signers). The same key signs the bearer tokens the local
// clients send (client.ts). The token_uri points at a closed local port so that, should
// anything ever try to fetch an OAuth token with this key, it fails fast here instead of
// calling Google.

export interface LocalCredentials {
  keyFile: string;
  clientEmail: string;
  publicKeyPem: string;
  projectId: string;
}

const KEY_FILE = 'local-service-account.json';

/** Generates an RSA key pair and writes a service-account key JSON usable as GOOGLE_APPLICATION_CREDENTIALS / new Storage({ keyFilename }). */
export function createLocalCredentials(dir: string, projectId = 'memegen-local'): LocalCredentials {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `memegen-local@${projectId}.iam.gserviceaccount.com`;
  const key = {
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: '0',
    auth_uri: 'http://127.0.0.1:1/auth',
    token_uri: 'http://127.0.0.1:1/token',
  };
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, KEY_FILE);
  writeFileSync(keyFile, JSON.stringify(key, null, 2), { mode: 0o600 });
  return readLocalCredentials(keyFile);
}

/**
 * The key already in `dir` if there is a readable one, otherwise a new one. Keeping the key
 * keeps every signed URL handed out before a restart valid (the server verifies with it).
 */
export function loadOrCreateLocalCredentials(dir: string, projectId = 'memegen-local'): LocalCredentials {
  try {
    const credentials = readLocalCredentials(join(dir, KEY_FILE));
    if (credentials.projectId === projectId) return credentials;
  } catch {
    // missing or unreadable: make a new one
  }
  return createLocalCredentials(dir, projectId);
}

function readLocalCredentials(keyFile: string): LocalCredentials {
  const key = JSON.parse(readFileSync(keyFile, 'utf8')) as Record<string, unknown>;
  if (typeof key.private_key !== 'string' || typeof key.client_email !== 'string')
    throw new Error(`${keyFile} is not a service-account key`);
  return {
    keyFile,
    clientEmail: key.client_email,
    publicKeyPem: createPublicKey(key.private_key).export({ type: 'spki', format: 'pem' }).toString(),
    projectId: String(key.project_id),
  };
}
