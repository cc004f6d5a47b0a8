/**
 * `analyze` (Pub/Sub push from the inbox's notifications): the Storage and Pub/Sub clients
 * and the analyzer (onnxruntime, sharp, the ONNX models), and nothing of rendering.
 */
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { createAnalyzeHandler } from '../cloud/analyzeHandler';
import { gcsBlobStore, pubsubPublisher } from '../cloud/gcs';
import { defaultAnalyzer } from '../core/analysis';
import { EntryContext } from './entry';

export function create({ config, log }: EntryContext): ReturnType<typeof createAnalyzeHandler> {
  // Start loading the models now: the first event's download from the inbox overlaps it.
  void defaultAnalyzer().catch(() => undefined);
  return createAnalyzeHandler({
    config,
    blobs: gcsBlobStore(new Storage()),
    publisher: pubsubPublisher(new PubSub()),
    analyze: async (bytes) => (await defaultAnalyzer()).analyze(bytes),
    log,
  });
}
