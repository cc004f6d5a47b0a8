/**
 * The `memegen` command line. Each command's module is loaded when it runs, so help and a
 * mistyped command answer at once, without loading the models.
 */
import { EvalInputError } from '../models/eval/inputError';
import { flag, numberOption, parseCommandArguments, stringOption } from './args';
import { commandHelp, isCommandName, overviewHelp } from './commands';
import { describeFileError, isFileError } from './fileErrors';
import { UsageError } from './usage';

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(overviewHelp());
    return 0;
  }
  if (!isCommandName(command)) throw new UsageError(`unknown command "${command}"`);
  const args = parseCommandArguments(command, rest);
  if (args.help) {
    console.log(commandHelp(command));
    return 0;
  }
  const json = flag(args, 'json');
  switch (command) {
    case 'make': {
      const { makeCommand } = await import('./makeCommand');
      return makeCommand({
        inputs: args.positionals,
        out: stringOption(args, 'out'),
        style: stringOption(args, 'style'),
        top: stringOption(args, 'top'),
        bottom: stringOption(args, 'bottom'),
        lang: stringOption(args, 'lang'),
        format: stringOption(args, 'format'),
        recursive: flag(args, 'recursive'),
        json,
      });
    }
    case 'analyze': {
      const { analyzeCommand } = await import('./analyzeCommand');
      return analyzeCommand(args.positionals, flag(args, 'recursive'), json);
    }
    case 'eval': {
      if (args.positionals.length !== 1)
        throw new UsageError('needs exactly one folder of class folders', 'eval');
      const { evalCommand } = await import('./evalCommand');
      return evalCommand(args.positionals[0], json, stringOption(args, 'exclude-duplicates-of'));
    }
    case 'eval-faces': {
      const annotations = stringOption(args, 'annotations');
      if (args.positionals.length !== 1 || annotations === undefined)
        throw new UsageError('needs an images folder and --annotations <json>', 'eval-faces');
      const minScore = numberOption(args, 'min-score', command);
      const tileAbove = numberOption(args, 'tile-above', command);
      const model = stringOption(args, 'model');
      const options = {
        ...(model !== undefined && { model }),
        ...(minScore !== undefined && { minScore }),
        ...(tileAbove !== undefined && { tileAbove }),
      };
      const { evalFacesCommand } = await import('./evalFacesCommand');
      return evalFacesCommand(args.positionals[0], annotations, options, json);
    }
    case 'job-id': {
      const { jobIdCommand } = await import('./jobIdCommand');
      return jobIdCommand(args.positionals, stringOption(args, 'public-base-url'), json);
    }
    case 'help': {
      const [about, ...extra] = args.positionals;
      if (extra.length > 0) throw new UsageError('takes at most one command', 'help');
      if (about === undefined) console.log(overviewHelp());
      else if (isCommandName(about)) console.log(commandHelp(about));
      else throw new UsageError(`unknown command "${about}"`);
      return 0;
    }
  }
}

/** Runs the CLI and exits: 0 ok, 1 failed (bad input or a bug), 2 bad command line. */
export function main(argv: string[]): void {
  run(argv).then(
    (code) => process.exit(code),
    async (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(err.line());
        process.exit(2);
      }
      console.error(`memegen: ${await describeFailure(err)}`);
      process.exit(1);
    },
  );
}

/** Bad input is the user's to fix: one line is enough. Anything else is a bug: the stack. */
async function describeFailure(err: unknown): Promise<string> {
  if (isFileError(err)) return describeFileError(err);
  if (err instanceof EvalInputError) return err.message;
  // Core is loaded by now if a command threw one of its errors.
  const { ImageError } = await import('../functions/core');
  if (err instanceof ImageError) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

if (require.main === module) main(process.argv.slice(2));
