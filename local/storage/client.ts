import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Storage } from '@google-cloud/storage';

// An @google-cloud/storage client for the local server that authenticates as the local
// service account, as the functions' clients authenticate on GCP.
//
// Why an interceptor: with a custom endpoint the client sends no credentials unless
// useAuthWithCustomEndpoint is set, and even then its resumable uploads go out without
// them (File#startResumableUpload_ does not pass the option on) and its token requests
// go to Google. So every request gets a self-signed JWT here, made offline from the key
// file, which the server verifies with the signer's public key (auth.ts). URL signing is
// untouched: it uses the key file as before.

export interface LocalClientOptions {
  /** The storage server's URL, http://127.0.0.1:PORT */
  url: string;
  /** The service-account key the server knows as a signer. */
  keyFile: string;
  projectId: string;
}

type RequestInterceptor = NonNullable<Storage['interceptors'][number]['request']>;

const TOKEN_LIFETIME_SECONDS = 3600;
/** A token is renewed this long before it expires. */
const RENEW_BEFORE_SECONDS = 300;

export function localStorageClient(options: LocalClientOptions): Storage {
  const storage = new Storage({
    apiEndpoint: options.url,
    keyFilename: options.keyFile,
    projectId: options.projectId,
  });
  const token = selfSignedToken(options.keyFile);
  const authorize: RequestInterceptor = (reqOpts) => {
    reqOpts.headers = { ...reqOpts.headers, Authorization: `Bearer ${token()}` };
    return reqOpts as ReturnType<RequestInterceptor>; // the same options, with the header
  };
  storage.interceptors.push({ request: authorize });
  return storage;
}

/** A function that returns a valid RS256 JWT for the key file's account, renewed as it ages. */
export function selfSignedToken(keyFile: string): () => string {
  const key = JSON.parse(readFileSync(keyFile, 'utf8')) as {
    private_key: string;
    private_key_id?: string;
    client_email: string;
  };
  let current = '';
  let expires = 0;
  return () => {
    const now = Math.floor(Date.now() / 1000);
    if (now < expires - RENEW_BEFORE_SECONDS) return current;
    const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id })}.${part({
      iss: key.client_email,
      sub: key.client_email,
      scope: 'https://www.googleapis.com/auth/devstorage.full_control',
      iat: now,
      exp: now + TOKEN_LIFETIME_SECONDS,
    })}`;
    const signature = createSign('RSA-SHA256').update(unsigned).sign(key.private_key, 'base64url');
    current = `${unsigned}.${signature}`;
    expires = now + TOKEN_LIFETIME_SECONDS;
    return current;
  };
}
