// A filesystem-backed stand-in for Cloud Storage, so the whole pipeline runs on a laptop
// with no cloud account. It implements what @google-cloud/storage (unmodified) and the
// upload page use: the JSON API (buckets, objects, media/multipart/resumable uploads,
// downloads, listing, metadata patches, preconditions, notification configs), V4 signed
// URL PUT/GET and public GET on path-style XML URLs, CORS, and bucket notifications
// published in Cloud Storage's Pub/Sub message format.
//
// Access follows GCS's rules for memegen's buckets (access.ts): authenticated callers may
// do everything; anonymous ones may only read objects of the public buckets by name.
//
// Client configuration (verified by test/local-storage.test.ts):
//   - localStorageClient({ url, keyFile, projectId }) (client.ts): authenticated as the
//     local service account with a self-signed JWT on every request; what the local stack
//     and the tests use.
//   - env: STORAGE_EMULATOR_HOST=<server.url> and GOOGLE_APPLICATION_CREDENTIALS=<keyFile>,
//     then `new Storage()`: the endpoint counts as custom, so the client sends no
//     credentials and is an anonymous caller (public reads only); it still signs URLs
//     with the key file, offline. With STORAGE_EMULATOR_HOST the client sends JSON API
//     calls to <url>/b/... (the variable verbatim as its base URL, without /storage/v1),
//     uploads to <url>/upload/storage/v1/..., and signs URLs for <url>/BUCKET/OBJECT; the
//     server answers all three.

export type { NotificationPublisher, StorageServer, StorageServerOptions } from './types';
export type { InterruptedUpload } from './inflight';
export { startStorageServer } from './server';
export { localStorageClient, selfSignedToken } from './client';
export { createLocalCredentials, loadOrCreateLocalCredentials, type LocalCredentials } from './credentials';
