/**
 * `npm run bench:compare -- --before PATH [--runs N] [--photos a.jpg,b.jpg]`: the analysis
 * and rendering stages of another checkout's core (PATH: the commit before a change, say)
 * and this one's, loaded into one process and run in turns (ABAB…, the order flipped every
 * round), so both meet the same minutes of the machine. This machine's speed drifts by a
 * third from minute to minute; `npm run bench`'s absolute figures move with it, and two of
 * its runs cannot show a change of a few per cent. Medians per stage, and after / before.
 * The two copies share one V8 heap and compiler: a change in what a stage allocates or how
 * its code is shaped can move garbage-collection pauses from one side to the other (YuNet's
 * input loop read 20–30 % slower here, and equal in processes of its own), so confirm a
 * stage's difference with processes of each version run in turns.
 *
 * Such a checkout, sharing this one's packages:
 *   git worktree add /tmp/before COMMIT && ln -s "$PWD/node_modules" /tmp/before/
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchPhotos } from './photos';
import { figure } from './stats';

/** The part of core's API both sides are driven through (stable across the commits compared). */
interface Core {
  Analyzer: {
    create(options: { session: { intraOpNumThreads: number } }): Promise<{
      analyzeTimed(bytes: Uint8Array): Promise<{
        analysis: unknown;
        timings: {
          decodeMs: number;
          detectMs: number;
          cropMs: number;
          classifyMs: Record<string, number>;
          totalMs: number;
        };
      }>;
    }>;
  };
  renderMeme(bytes: Uint8Array, analysis: unknown, options: { seed: string }): Promise<unknown>;
}

const STAGES = ['decode', 'detect', 'classify', 'analyzeImage', 'renderMeme'] as const;
type Stage = (typeof STAGES)[number];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      before: { type: 'string' },
      runs: { type: 'string', default: '30' },
      photos: { type: 'string', default: 'faceapi_sample1.jpg,faceapi_sample4.jpg' },
    },
  });
  if (!values.before) throw new Error('give --before PATH, a checkout of the commit to compare with');
  const cores = {
    before: (await import(resolve(values.before, 'functions', 'core'))) as Core,
    after: (await import(resolve(__dirname, '..', 'functions', 'core'))) as Core,
  };
  const sides = await Promise.all(
    (['before', 'after'] as const).map(async (side) => ({
      side,
      core: cores[side],
      analyzer: await cores[side].Analyzer.create({ session: { intraOpNumThreads: 1 } }),
    })),
  );
  const wanted = new Set(values.photos.split(','));
  const photos = (await benchPhotos()).filter((photo) => wanted.has(photo.name));
  const runs = Number(values.runs);
  console.log(
    `${values.before} (before) against this checkout (after), ${runs} runs each, in turns; 1 thread; medians in ms`,
  );
  for (const photo of photos) {
    const samples = { before: {} as Record<Stage, number[]>, after: {} as Record<Stage, number[]> };
    for (let run = -2; run < runs; run++) {
      for (const { side, core, analyzer } of run % 2 ? [...sides].reverse() : sides) {
        const { analysis, timings } = await analyzer.analyzeTimed(photo.bytes);
        const renderStart = performance.now();
        await core.renderMeme(photo.bytes, analysis, { seed: photo.name });
        if (run < 0) continue; // warm-up
        const add = (stage: Stage, ms: number) => (samples[side][stage] ??= []).push(ms);
        add('decode', timings.decodeMs);
        add('detect', timings.detectMs);
        add('classify', timings.cropMs + Object.values(timings.classifyMs).reduce((a, b) => a + b, 0));
        add('analyzeImage', timings.totalMs);
        add('renderMeme', performance.now() - renderStart);
      }
    }
    console.log(
      `\n${photo.name}\n${'stage'.padEnd(14)}${'before'.padStart(9)}${'after'.padStart(9)}   after/before`,
    );
    for (const stage of STAGES) {
      const before = figure(samples.before[stage]).median;
      const after = figure(samples.after[stage]).median;
      console.log(
        `${stage.padEnd(14)}${before.toFixed(1).padStart(9)}${after.toFixed(1).padStart(9)}   ${(after / before).toFixed(2)}`,
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
