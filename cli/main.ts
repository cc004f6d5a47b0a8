/** The `memegen` command line. */
import { parseArgs } from 'node:util';
import { ImageError } from '../functions/core';
import { analyzeCommand } from './analyzeCommand';
import { evalCommand } from './evalCommand';
import { evalFacesCommand } from './evalFacesCommand';
import { jobIdCommand } from './jobIdCommand';
import { makeCommand } from './makeCommand';
import { USAGE, UsageError } from './usage';

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got "${value}"`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      annotations: { type: 'string' },
      model: { type: 'string' },
      'min-score': { type: 'string' },
      'tile-above': { type: 'string' },
      'exclude-duplicates-of': { type: 'string' },
      out: { type: 'string', short: 'o' },
      style: { type: 'string' },
      top: { type: 'string' },
      bottom: { type: 'string' },
      lang: { type: 'string' },
      format: { type: 'string' },
      'public-base-url': { type: 'string' },
    },
  });
  switch (command) {
    case 'make':
      return makeCommand({
        inputs: positionals,
        out: values.out,
        style: values.style,
        top: values.top,
        bottom: values.bottom,
        lang: values.lang,
        format: values.format,
        json: values.json ?? false,
      });
    case 'job-id':
      return jobIdCommand(positionals, values['public-base-url'], values.json ?? false);
    case 'analyze':
      return analyzeCommand(positionals, values.json ?? false);
    case 'eval':
      if (positionals.length !== 1) throw new UsageError('eval needs exactly one folder of class folders');
      return evalCommand(positionals[0], values.json ?? false, values['exclude-duplicates-of']);
    case 'eval-faces': {
      if (positionals.length !== 1 || !values.annotations) {
        throw new UsageError('eval-faces needs an images folder and --annotations <json>');
      }
      const options = {
        ...(values.model ? { model: values.model } : {}),
        ...(values['min-score'] !== undefined
          ? { minScore: numberOption(values['min-score'], 'min-score') }
          : {}),
        ...(values['tile-above'] !== undefined
          ? { tileAbove: numberOption(values['tile-above'], 'tile-above') }
          : {}),
      };
      return evalFacesCommand(positionals[0], values.annotations, options, values.json ?? false);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

const isUsageError = (err: unknown): boolean =>
  err instanceof UsageError ||
  (err instanceof TypeError && String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS'));

/** Runs the CLI and exits: 0 ok, 1 failed (bad input or a bug), 2 bad command line. */
export function main(argv: string[]): void {
  run(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (isUsageError(err)) {
        console.error(`memegen: ${(err as Error).message}\n\n${USAGE}`);
        process.exit(2);
      }
      // Bad input is the user's to fix: the message is enough. Anything else is a bug: show the stack.
      console.error(
        `memegen: ${err instanceof ImageError ? err.message : err instanceof Error ? err.stack : String(err)}`,
      );
      process.exit(1);
    },
  );
}

if (require.main === module) main(process.argv.slice(2));
