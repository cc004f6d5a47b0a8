/**
 * Where the time goes, per photo: decode, detect, classify (per model, and per face),
 * combine, render, encode; analyzeImage and makeMeme whole. onnxruntime on one thread and
 * on its default thread count, interleaved run by run so machine noise hits both alike.
 */
import { Analyzer, makeMeme, renderMeme } from '../functions/core';
import { BenchPhoto } from './photos';
import { Figure, Samples } from './stats';

export const THREAD_CONFIGS = { '1 thread': { intraOpNumThreads: 1 }, 'default threads': {} } as const;
export type ThreadConfig = keyof typeof THREAD_CONFIGS;

export interface PhotoStages {
  photo: string;
  width: number;
  height: number;
  faces: number;
  /** Per thread configuration: stage name → figure (ms). */
  stages: Record<ThreadConfig, Record<string, Figure>>;
}

export async function benchStages(photos: BenchPhoto[], runs: number): Promise<PhotoStages[]> {
  const analyzers = {} as Record<ThreadConfig, Analyzer>;
  for (const [name, session] of Object.entries(THREAD_CONFIGS))
    analyzers[name as ThreadConfig] = await Analyzer.create({ session });
  const results: PhotoStages[] = [];
  for (const photo of photos) {
    const samples = Object.fromEntries(Object.keys(THREAD_CONFIGS).map((c) => [c, new Samples()])) as Record<
      ThreadConfig,
      Samples
    >;
    let faces = 0;
    let size = { width: 0, height: 0 };
    for (const analyzer of Object.values(analyzers))
      await makeMeme(photo.bytes, { analyzer, seed: photo.name }); // warm-up
    for (let run = 0; run < runs; run++) {
      for (const [config, analyzer] of Object.entries(analyzers) as [ThreadConfig, Analyzer][]) {
        const sample = samples[config];
        const { analysis, timings } = await analyzer.analyzeTimed(photo.bytes);
        faces = analysis.faces.length;
        size = { width: analysis.width, height: analysis.height };
        sample.add('decode', timings.decodeMs);
        sample.add('detect', timings.detectMs);
        let classify = 0;
        for (const [model, ms] of Object.entries(timings.classifyMs)) {
          sample.add(`classify ${model}`, ms);
          classify += ms;
        }
        if (faces > 0) {
          sample.add('classify (all models)', classify);
          sample.add('classify per face', classify / faces);
        }
        sample.add('combine', timings.combineMs);
        sample.add('analyzeImage', timings.totalMs);
        const meme = await renderMeme(photo.bytes, analysis, { seed: photo.name });
        sample.add('render decode', meme.timings.decodeMs);
        sample.add('render', meme.timings.layoutMs + meme.timings.drawMs);
        sample.add('encode', meme.timings.encodeMs);
        sample.add('render + encode', meme.timings.layoutMs + meme.timings.drawMs + meme.timings.encodeMs);
        const start = performance.now();
        await makeMeme(photo.bytes, { analyzer, seed: photo.name });
        sample.add('makeMeme', performance.now() - start);
      }
    }
    results.push({
      photo: photo.name,
      ...size,
      faces,
      stages: Object.fromEntries(
        Object.entries(samples).map(([config, sample]) => [config, sample.figures()]),
      ) as PhotoStages['stages'],
    });
  }
  return results;
}
