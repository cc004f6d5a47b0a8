/**
 * `npm run bench [-- --runs N] [--json]`: median and p90 `analyzeImage` time per
 * bundled photo, with onnxruntime on one thread and on its default thread count,
 * measured side by side in one process (after one warm-up call per photo); then
 * `renderMeme` (classic style, JPEG) per photo, split into its stages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Analysis, Analyzer } from '../functions/core/analyze';
import { renderMeme, RenderTimings } from '../functions/core/render/renderMeme';

const PHOTOS = join(__dirname, '..', 'test', 'photos');

interface Figure {
  median: number;
  p90: number;
  runs: number;
}

function figure(times: number[]): Figure {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: Math.round(at(0.5) * 100) / 100, p90: Math.round(at(0.9) * 100) / 100, runs: times.length };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, json: { type: 'boolean', default: false } } });
  const runs = Number(values.runs);
  const photos = readdirSync(PHOTOS).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  const configs = { '1 thread': await Analyzer.create({ session: { intraOpNumThreads: 1 } }), 'default threads': await Analyzer.create() };
  const results: Record<string, Record<string, Figure & { faces: number }>> = {};
  for (const photo of photos) {
    const bytes = readFileSync(join(PHOTOS, photo));
    results[photo] = {};
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(configs).map((c) => [c, []]));
    let faces = 0;
    for (const analyzer of Object.values(configs)) faces = (await analyzer.analyze(bytes)).faces.length; // warm-up
    // Interleave the configurations so machine noise hits both alike.
    for (let r = 0; r < runs; r++) {
      for (const [name, analyzer] of Object.entries(configs)) {
        const start = performance.now();
        await analyzer.analyze(bytes);
        times[name].push(performance.now() - start);
      }
    }
    for (const name of Object.keys(configs)) results[photo][name] = { ...figure(times[name]), faces };
  }
  const rendering = await benchRender(photos, configs['1 thread'], runs);
  if (values.json) {
    console.log(JSON.stringify({ analyzeImageMs: results, renderMemeMs: rendering }, null, 2));
    return;
  }
  console.log(`analyzeImage, ms (median / p90 of ${runs} runs)`);
  console.log(['photo'.padEnd(30), 'faces', ...Object.keys(configs).map((c) => c.padStart(20))].join(' '));
  for (const [photo, r] of Object.entries(results)) {
    const cells = Object.keys(configs).map((c) => `${r[c].median.toFixed(1)} / ${r[c].p90.toFixed(1)}`.padStart(20));
    console.log([photo.padEnd(30), String(r[Object.keys(configs)[0]].faces).padStart(5), ...cells].join(' '));
  }
  console.log(`\nrenderMeme (classic, JPEG 88, ≤ 1600 px), ms (median / p90 of ${runs} runs)`);
  const stages = ['total', 'render + encode', 'layoutMs', 'decodeMs', 'drawMs', 'encodeMs'] as const;
  console.log(['photo'.padEnd(30), ...stages.map((s) => s.replace(/Ms$/, '').padStart(16))].join(' '));
  for (const [photo, r] of Object.entries(rendering)) {
    console.log([photo.padEnd(30), ...stages.map((s) => `${r[s].median.toFixed(1)} / ${r[s].p90.toFixed(1)}`.padStart(16))].join(' '));
  }
}

/** renderMeme per photo with its stage timings; "render + encode" is everything but decoding. */
async function benchRender(photos: string[], analyzer: Analyzer, runs: number): Promise<Record<string, Record<string, Figure>>> {
  const results: Record<string, Record<string, Figure>> = {};
  for (const photo of photos) {
    const bytes = readFileSync(join(PHOTOS, photo));
    const analysis: Analysis = await analyzer.analyze(bytes);
    await renderMeme(bytes, analysis, { seed: photo }); // warm-up: fonts, caches
    const samples: Record<string, number[]> = { total: [], 'render + encode': [], layoutMs: [], decodeMs: [], drawMs: [], encodeMs: [] };
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      const { timings } = await renderMeme(bytes, analysis, { seed: photo });
      samples.total!.push(performance.now() - start);
      samples['render + encode']!.push(timings.layoutMs + timings.drawMs + timings.encodeMs);
      for (const key of ['layoutMs', 'decodeMs', 'drawMs', 'encodeMs'] as (keyof RenderTimings)[]) samples[key]!.push(timings[key]);
    }
    results[photo] = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, figure(v)]));
  }
  return results;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
