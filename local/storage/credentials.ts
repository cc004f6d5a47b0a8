import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A locally generated service-account key: @google-cloud/storage signs V4 URLs with its
// private key entirely offline, and the storage server verifies them with the public
// key (StorageServerOptions.signers). The token_uri points at a closed local port so
// that, should anything ever try to fetch an OAuth token with this key, it fails fast
// here instead of calling Google.

export interface LocalCredentials {
  keyFile: string;
  clientEmail: string;
  publicKeyPem: string;
  projectId: string;
}

/** Generates an RSA key pair and writes a service-account key JSON usable as GOOGLE_APPLICATION_CREDENTIALS / new Storage({ keyFilename }). */
export function createLocalCredentials(dir: string, projectId = 'memegen-local'): LocalCredentials {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
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
  const keyFile = join(dir, 'local-service-account.json');
  writeFileSync(keyFile, JSON.stringify(key, null, 2), { mode: 0o600 });
  return {
    keyFile,
    clientEmail,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    projectId,
  };
}
