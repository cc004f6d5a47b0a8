import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { StorageError } from './errors';

// Who is calling. Cloud Storage knows callers by their OAuth token; the local server knows
// them by a self-signed JWT (RS256) in `Authorization: Bearer …`, signed with the private
// key of one of the configured signers (the local service account), which is what
// localStorageClient (client.ts) sends. No header means an anonymous caller, as on GCS.

export type Caller = { kind: 'anonymous' } | { kind: 'serviceAccount'; email: string };

export const ANONYMOUS: Caller = { kind: 'anonymous' };

/** Allowed clock difference between the token's issuer and this server. */
const CLOCK_SKEW_SECONDS = 300;
/** Google's self-signed JWTs live an hour; anything longer is refused. */
const MAX_LIFETIME_SECONDS = 3600 + CLOCK_SKEW_SECONDS;

const invalid = (why: string): StorageError =>
  new StorageError(401, 'authError', `Invalid Credentials: ${why}.`, 'AuthenticationRequired');

export class Authenticator {
  private readonly keys = new Map<string, KeyObject>();

  constructor(signers: Record<string, string>) {
    for (const [email, pem] of Object.entries(signers)) this.keys.set(email, createPublicKey(pem));
  }

  /** The caller of a request; throws 401 for a token that is present but not valid. */
  identify(req: IncomingMessage, now = Date.now()): Caller {
    const header = req.headers.authorization;
    if (header === undefined || header === '') return ANONYMOUS;
    const match = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(header.trim());
    if (!match) throw invalid('the Authorization header is not a bearer token');
    const [, headerPart, payloadPart, signaturePart] = match as unknown as [string, string, string, string];
    let jwtHeader: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      jwtHeader = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      throw invalid('the token is not a JWT');
    }
    if (jwtHeader.alg !== 'RS256') throw invalid('only RS256 tokens are accepted');
    const email = payload.iss;
    const key = typeof email === 'string' ? this.keys.get(email) : undefined;
    if (!key || typeof email !== 'string') throw invalid('the token was issued by an unknown account');
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    if (!verify('RSA-SHA256', signed, key, Buffer.from(signaturePart, 'base64url')))
      throw invalid('the token signature does not match');
    const seconds = now / 1000;
    const exp = Number(payload.exp);
    const iat = Number(payload.iat);
    if (!Number.isFinite(exp) || !Number.isFinite(iat)) throw invalid('the token lacks iat or exp');
    if (exp < seconds - CLOCK_SKEW_SECONDS) throw invalid('the token expired');
    if (iat > seconds + CLOCK_SKEW_SECONDS) throw invalid('the token is not valid yet');
    if (exp - iat > MAX_LIFETIME_SECONDS) throw invalid('the token lives longer than an hour');
    return { kind: 'serviceAccount', email };
  }
}
