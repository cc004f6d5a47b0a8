import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator, type Caller } from './auth';
import { applyCors, answerPreflight } from './cors';
import { StorageError } from './errors';
import { sendError, type ErrorStyle, type RequestContext } from './http';
import { InflightUploads } from './inflight';
import { handleJsonApi, matchJsonApi } from './jsonApi';
import { Notifier } from './notifications';
import { ResumableSessions } from './resumable';
import { SignatureVerifier } from './signing';
import { FileStore } from './store';
import type { StorageServer, StorageServerOptions } from './types';
import { handleXmlApi } from './xmlApi';

// Wires the store, the APIs and the notifier into one node:http server.

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);
const OPEN_ACCESS: Caller = { kind: 'serviceAccount', email: 'anyone (openAccess)' };

function toStorageError(error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new StorageError(404, 'notFound', 'Not found.');
  return new StorageError(
    500,
    'backendError',
    `Internal error: ${error instanceof Error ? error.message : String(error)}`,
    'InternalError',
  );
}

export async function startStorageServer(options: StorageServerOptions): Promise<StorageServer> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  let baseUrl = '';
  const notifier = new Notifier(options.notifications, () => baseUrl, log);
  const store = await FileStore.open(options.root, (event) => notifier.handle(event));
  const sessions = new ResumableSessions(store);
  const verifier = new SignatureVerifier(options.signers);
  const authenticator = new Authenticator(options.signers);
  const publicBuckets = new Set(options.publicBuckets ?? []);
  const inflight = await InflightUploads.open(store.layout);
  const refuseWrites = options.refuseWrites;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    const ctx: RequestContext = {
      req,
      res,
      rawPath,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      baseUrl,
    };
    const json = matchJsonApi(rawPath);
    const style: ErrorStyle = json ? 'json' : 'xml';
    try {
      if (answerPreflight(req, res)) return;
      applyCors(req, res);
      const caller = options.openAccess ? OPEN_ACCESS : authenticator.identify(req);
      if (json)
        await handleJsonApi(
          ctx,
          json.kind,
          json.rest,
          { store, sessions, publicBuckets, refuseWrites },
          caller,
        );
      else await handleXmlApi(ctx, { store, verifier, publicBuckets, inflight, refuseWrites }, caller);
    } catch (error) {
      const storageError = toStorageError(error);
      if (storageError.status >= 500) log(`storage: ${req.method} ${rawPath}: ${storageError.message}`);
      sendError(ctx, storageError, style);
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;
  log(`storage: serving ${options.root} at ${baseUrl}`);

  return {
    url: baseUrl,
    port,
    interruptedUploads: () => inflight.interrupted(),
    forgetInterruptedUpload: (bucket, name) => inflight.forget(bucket, name),
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of clients would otherwise hold close() open.
        server.closeIdleConnections();
      });
      await notifier.drain();
    },
  };
}
