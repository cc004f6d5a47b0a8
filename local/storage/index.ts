// A filesystem-backed stand-in for Cloud Storage, so the whole pipeline runs on a laptop
// with no cloud account. It implements what @google-cloud/storage (unmodified) and the
// upload page use: the JSON API (buckets, objects, media/multipart/resumable uploads,
// downloads, listing, metadata patches, preconditions, notification configs), V4 signed
// URL PUT/GET and public GET on path-style XML URLs, CORS, and bucket notifications
// published in Cloud Storage's Pub/Sub message format.
//
// Client configuration (both verified by test/local-storage.test.ts):
//   - env: STORAGE_EMULATOR_HOST=<server.url> and GOOGLE_APPLICATION_CREDENTIALS=<keyFile>,
//     then `new Storage()` - what the production handlers do. With STORAGE_EMULATOR_HOST
//     the client sends JSON API calls to <url>/b/... (it uses the variable verbatim as its
//     base URL, without /storage/v1), uploads to <url>/upload/storage/v1/..., and signs
//     URLs for <url>/BUCKET/OBJECT; the server answers all three.
//   - options: new Storage({ apiEndpoint: server.url, projectId, keyFilename }).
// In both cases the endpoint counts as custom, so the client sends no OAuth token and
// fetches none (useAuthWithCustomEndpoint is off); signing uses the key file locally.

export type { NotificationPublisher, StorageServer, StorageServerOptions } from './types';
export { startStorageServer } from './server';
export { createLocalCredentials, type LocalCredentials } from './credentials';
