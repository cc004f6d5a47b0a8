import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, forbidden, StorageError } from './errors';

// Verification of GCS V4 signed URLs (GOOG4-RSA-SHA256), rebuilding the canonical
// request exactly as @google-cloud/storage's signer.js does:
//
//   METHOD \n PATH \n CANONICAL_QUERY \n CANONICAL_HEADERS \n SIGNED_HEADERS \n UNSIGNED-PAYLOAD
//
// and the string to sign "GOOG4-RSA-SHA256 \n X-Goog-Date \n SCOPE \n hex(sha256(canonical))".
// Because the canonical headers use the request's own header values, any signed header
// that is missing or different (e.g. another Content-Type) makes the signature fail.

const MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60;
/** Allowed clock difference for X-Goog-Date in the future (GCS tolerates a little skew). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** path as received, percent-encoded */
  rawPath: string;
  /** path re-encoded from the decoded bucket and object name, as signer.js encodes it */
  canonicalPath: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
}

export interface VerifiedSignature {
  clientEmail: string;
  /** lower-case names of the headers covered by the signature */
  signedHeaders: Set<string>;
}

/** encodeURIComponent plus !'()*, as util.encodeURI in the client (RFC 3986 unreserved only). */
export const strictEncode = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Object names keep their '/' in signed paths; every segment is strictly encoded. */
export const encodeObjectPath = (name: string): string => name.split('/').map(strictEncode).join('/');

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badRequest('Malformed percent-encoding in the query string.');
  }
}

export function parseRawQuery(rawQuery: string): Array<[string, string]> {
  if (!rawQuery) return [];
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    });
}

export const isSignedQuery = (rawQuery: string): boolean =>
  /(^|&)X-Goog-(Signature|Algorithm)=/i.test(rawQuery);

/** "20240102T030405Z" → Date */
function parseGoogDate(text: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m)
    throw badRequest(
      `X-Goog-Date '${text}' is not of the form YYYYMMDDTHHMMSSZ.`,
      'AuthorizationQueryParametersError',
    );
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function canonicalHeaderValue(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text.trim().replace(/\s{2,}/g, ' ');
}

export class SignatureVerifier {
  private readonly keys = new Map<string, KeyObject>();

  constructor(signers: Record<string, string>) {
    for (const [email, pem] of Object.entries(signers)) this.keys.set(email, createPublicKey(pem));
  }

  verify(request: SignedRequest, now = new Date()): VerifiedSignature {
    const params = parseRawQuery(request.rawQuery);
    const get = (name: string): string => {
      const found = params.find(([k]) => k === name);
      if (!found)
        throw badRequest(
          `Signed URL is missing the ${name} query parameter.`,
          'AuthorizationQueryParametersError',
        );
      return found[1];
    };
    const algorithm = get('X-Goog-Algorithm');
    if (algorithm !== 'GOOG4-RSA-SHA256') {
      throw badRequest(
        `Unsupported X-Goog-Algorithm '${algorithm}'; this server accepts GOOG4-RSA-SHA256.`,
        'AuthorizationQueryParametersError',
      );
    }
    const credential = get('X-Goog-Credential');
    const dateText = get('X-Goog-Date');
    const expiresText = get('X-Goog-Expires');
    const signedHeaderList = get('X-Goog-SignedHeaders');
    const signature = get('X-Goog-Signature');

    // Credential = CLIENT_EMAIL/DATE/LOCATION/storage/goog4_request
    const parts = credential.split('/');
    if (parts.length < 5 || parts[parts.length - 1] !== 'goog4_request') {
      throw badRequest(`Malformed X-Goog-Credential '${credential}'.`, 'AuthorizationQueryParametersError');
    }
    const clientEmail = parts.slice(0, -4).join('/');
    const scope = parts.slice(-4).join('/');

    const signedAt = parseGoogDate(dateText);
    if (scope.slice(0, 8) !== dateText.slice(0, 8)) {
      throw badRequest(
        'The date in X-Goog-Credential does not match X-Goog-Date.',
        'AuthorizationQueryParametersError',
      );
    }
    if (!/^\d+$/.test(expiresText) || Number(expiresText) < 1 || Number(expiresText) > MAX_EXPIRES_SECONDS) {
      throw badRequest(
        `X-Goog-Expires must be 1 to ${MAX_EXPIRES_SECONDS} seconds, got '${expiresText}'.`,
        'AuthorizationQueryParametersError',
      );
    }
    const expiresAt = new Date(signedAt.getTime() + Number(expiresText) * 1000);
    if (expiresAt.getTime() < now.getTime()) {
      throw new StorageError(
        400,
        'expired',
        `The signed URL expired at ${expiresAt.toISOString()}.`,
        'ExpiredToken',
      );
    }
    if (signedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      throw badRequest(
        `The signed URL is not valid before ${signedAt.toISOString()}.`,
        'AuthorizationQueryParametersError',
      );
    }

    const key = this.keys.get(clientEmail);
    if (!key) throw forbidden(`The signed URL was signed by unknown signer '${clientEmail}'.`);

    const signedHeaders = signedHeaderList
      .split(';')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    if (!signedHeaders.includes('host')) {
      throw badRequest('X-Goog-SignedHeaders must include host.', 'AuthorizationQueryParametersError');
    }
    const canonicalQuery = params
      .filter(([k]) => k !== 'X-Goog-Signature')
      .map(([k, v]) => [strictEncode(k), strictEncode(v)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');

    // signer.js signs the endpoint's hostname without the port, while a browser's Host
    // header carries it; either form is accepted.
    const host = canonicalHeaderValue(request.headers.host);
    const hosts = [...new Set([host, host.replace(/:\d+$/, '')])];
    const paths = [...new Set([request.canonicalPath, request.rawPath])];
    const signatureBytes = /^[0-9a-f]+$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);

    for (const path of paths) {
      for (const hostValue of hosts) {
        const canonicalHeaders = signedHeaders
          .map((h) => `${h}:${h === 'host' ? hostValue : canonicalHeaderValue(request.headers[h])}\n`)
          .join('');
        const canonicalRequest = [
          request.method,
          path,
          canonicalQuery,
          canonicalHeaders,
          signedHeaders.join(';'),
          'UNSIGNED-PAYLOAD',
        ].join('\n');
        const stringToSign = [
          'GOOG4-RSA-SHA256',
          dateText,
          scope,
          createHash('sha256').update(canonicalRequest).digest('hex'),
        ].join('\n');
        if (verify('RSA-SHA256', Buffer.from(stringToSign), key, signatureBytes)) {
          return { clientEmail, signedHeaders: new Set(signedHeaders) };
        }
      }
    }
    throw forbidden(
      `The request signature does not match: the URL must be signed for method ${request.method} and the request must ` +
        `send exactly the signed headers (${signedHeaders.join(', ')}) with the values that were signed.`,
      'SignatureDoesNotMatch',
    );
  }
}
