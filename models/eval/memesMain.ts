/**
 * `npm run eval:memes -- <images dir> [--annotations <json>] [--contact-sheet FILE] [--json]`
 *
 * Renders every photo (with annotations: every photo with 1–8 annotated faces ≥ 40 px high)
 * in each style with the library's caption, and reports per style the share of memes whose
 * text covers more than 15 % of a face ≥ 32 px: annotated faces, and the faces the detector
 * found. `--contact-sheet` also draws all the memes as one picture (JPEG, or PNG by its name).
 * `--annotated-as-detected` places the text around the annotated faces instead of the detected
 * ones: the layout's own share, whatever the detector misses.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMemeStyle, MemeStyle, MEME_STYLES } from '../../functions/core';
import { pct, table } from '../../cli/format';
import { ContactSheet } from './contactSheet';
import { parseAnnotations } from './detection';
import { COVER_SHARE, evaluateMemes, MemeReport, SCORED_FACE_HEIGHT, SELECTION } from './memes';

const USAGE =
  'usage: npm run eval:memes -- <images dir> [--annotations <json> [--annotated-as-detected]] [--contact-sheet FILE] [--style S[,S]] [--json]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      annotations: { type: 'string' },
      'contact-sheet': { type: 'string' },
      style: { type: 'string' },
      'annotated-as-detected': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) {
    console.error(`eval:memes needs exactly one folder of photos\n${USAGE}`);
    return 2;
  }
  const styles = (values.style?.split(',') ?? [...MEME_STYLES]).map((style): MemeStyle => {
    if (!isMemeStyle(style))
      throw new Error(`--style must be among ${MEME_STYLES.join(', ')}, got "${style}"`);
    return style;
  });
  const annotations = values.annotations
    ? parseAnnotations(JSON.parse(readFileSync(values.annotations, 'utf8')))
    : undefined;
  const sheet = values['contact-sheet'] ? new ContactSheet() : undefined;
  let done = 0;
  const report = await evaluateMemes({
    imagesDir: positionals[0]!,
    annotations,
    styles,
    annotatedAsDetected: values['annotated-as-detected'],
    onMeme: async (scored) => {
      await sheet?.add(scored);
      if (scored.style === styles[styles.length - 1] && ++done % 25 === 0)
        process.stderr.write(`eval:memes: ${done} photos\n`);
    },
  });
  if (sheet) {
    await sheet.write(values['contact-sheet']!);
    process.stderr.write(`eval:memes: contact sheet written to ${values['contact-sheet']}\n`);
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  return 0;
}

function printReport(report: MemeReport): void {
  const which = report.annotated
    ? `${report.photos} photos with ${SELECTION.minFaces}–${SELECTION.maxFaces} annotated faces ≥ ${SELECTION.minFaceHeight} px (${report.skipped} other annotated photos left out)`
    : `${report.photos} photos, no annotations: detected faces only`;
  console.log(which);
  if (report.placedAround === 'annotated')
    console.log('Text placed around the annotated faces, not the detected ones (--annotated-as-detected).');
  console.log(
    `A meme hides a face when its text covers more than ${pct(COVER_SHARE)} of a face ≥ ${SCORED_FACE_HEIGHT} px high.\n`,
  );
  const cell = (tally: { memes: number; share: number } | null): string =>
    tally ? `${tally.memes} (${pct(tally.share)})` : '–';
  console.log(
    table(
      ['style', 'memes', 'hide an annotated face', 'hide a detected face'],
      report.styles.map((style) => [
        style.style,
        String(style.memes),
        cell(style.hideAnnotated),
        cell(style.hideDetected),
      ]),
    ),
  );
  for (const { file, error } of report.unreadable) console.log(`unreadable: ${file}: ${error}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`eval:memes: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(1);
  },
);
