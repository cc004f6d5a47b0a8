/** The BlobStore and Publisher ports over the real Google Cloud client libraries. */
import type { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import type { FileMetadata } from '@google-cloud/storage';
import { BlobStore, ObjectInfo, PreconditionFailed, Publisher, StoredObject } from './ports';

const codeOf = (error: unknown): number | undefined => (error as { code?: number }).code;

function objectInfo(metadata: FileMetadata): ObjectInfo {
  return {
    name: String(metadata.name),
    generation: String(metadata.generation),
    contentType: metadata.contentType,
    size: Number(metadata.size ?? 0),
    metadata: Object.fromEntries(Object.entries(metadata.metadata ?? {}).map(([k, v]) => [k, String(v)])),
    createdAt: String(metadata.timeCreated),
  };
}

export function gcsBlobStore(storage: Storage): BlobStore {
  return {
    async read(bucket, name, generation): Promise<StoredObject | undefined> {
      const file = storage
        .bucket(bucket)
        .file(name, generation === undefined ? {} : { generation: Number(generation) });
      try {
        const [[metadata], [bytes]] = await Promise.all([file.getMetadata(), file.download()]);
        return {
          bytes,
          generation: String(metadata.generation),
          contentType: metadata.contentType,
          metadata: Object.fromEntries(
            Object.entries(metadata.metadata ?? {}).map(([k, v]) => [k, String(v)]),
          ),
        };
      } catch (error) {
        if (codeOf(error) === 404) return undefined;
        throw error;
      }
    },

    async describe(bucket, name) {
      try {
        const [metadata] = await storage.bucket(bucket).file(name).getMetadata();
        return objectInfo(metadata);
      } catch (error) {
        if (codeOf(error) === 404) return undefined;
        throw error;
      }
    },

    async list(bucket, prefix) {
      const [files] = await storage.bucket(bucket).getFiles({ prefix });
      return files.map((file) => objectInfo(file.metadata));
    },

    async write(bucket, name, bytes, options) {
      const file = storage.bucket(bucket).file(name);
      try {
        await file.save(bytes, {
          resumable: false,
          // Our own outputs are small and written once; the client's MD5 check is enough.
          validation: 'md5',
          metadata: {
            contentType: options.contentType,
            cacheControl: options.cacheControl,
            metadata: options.metadata,
          },
          ...(options.ifGenerationMatch !== undefined && {
            preconditionOpts: { ifGenerationMatch: Number(options.ifGenerationMatch) },
          }),
        });
      } catch (error) {
        if (codeOf(error) === 412) throw new PreconditionFailed(`gs://${bucket}/${name} changed meanwhile`);
        throw error;
      }
      return String(file.metadata.generation);
    },

    async delete(bucket, name, options = {}) {
      try {
        await storage
          .bucket(bucket)
          .file(name)
          .delete(
            options.ifGenerationMatch !== undefined
              ? { ifGenerationMatch: Number(options.ifGenerationMatch) }
              : {},
          );
        return true;
      } catch (error) {
        if (codeOf(error) === 404 || codeOf(error) === 412) return false;
        throw error;
      }
    },

    async signedUploadUrl(request) {
      const [url] = await storage.bucket(request.bucket).file(request.name).getSignedUrl({
        version: 'v4',
        action: 'write',
        expires: request.expiresAt,
        contentType: request.contentType,
        extensionHeaders: request.headers,
      });
      return url;
    },
  };
}

export function pubsubPublisher(pubsub: PubSub): Publisher {
  return {
    publishJson(topic, data, attributes = {}) {
      return pubsub.topic(topic).publishMessage({ json: data, attributes });
    },
  };
}
