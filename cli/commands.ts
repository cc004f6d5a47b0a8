/**
 * Every command's arguments and option table, in one place: the parser takes its options from
 * here (so a command accepts exactly its own) and `memegen help` prints them (so the help
 * cannot drift from what is accepted).
 */
// The vocabulary alone: `memegen help` and a mistyped command answer without loading the models.
import { LANGUAGES, MEME_STYLES } from '../functions/core/vocabulary';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** What the value is, in the help: `--style <classic|label|faces>`. */
  value?: string;
  help: string;
}

export interface CommandSpec {
  name: CommandName;
  /** The positional arguments, as the help shows them. */
  args: string;
  /** One line for `memegen help`. */
  summary: string;
  /** The rest, for `memegen help <command>`. */
  details: string;
  options: Record<string, OptionSpec>;
}

export const COMMAND_NAMES = ['make', 'analyze', 'eval', 'eval-faces', 'job-id', 'help'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

const json = (what: string): OptionSpec => ({ type: 'boolean', help: `print ${what} as JSON on stdout` });
const recursive: OptionSpec = { type: 'boolean', short: 'r', help: 'descend into subfolders of folders' };

export const COMMANDS: Record<CommandName, CommandSpec> = {
  make: {
    name: 'make',
    args: '[<photo|dir>...]',
    summary: 'make memes: faces and expressions read, a fitting caption written',
    details: `With no photo, makes memes of the bundled sample photos. Each meme goes to the
output folder under its photo's name with the format's extension; names never collide
within a run (a.jpg and a.png give a.jpg and a-1.jpg), and with --recursive the subfolders
are kept. Prints each meme's file and caption; a photo that cannot be read is reported
on stderr, the others are still made, and the exit code is 1.`,
    options: {
      out: {
        type: 'string',
        short: 'o',
        value: 'dir|file',
        help: 'output folder (default ./out), or the file for a single photo',
      },
      style: { type: 'string', value: MEME_STYLES.join('|'), help: 'meme style (default classic)' },
      top: { type: 'string', value: 'text', help: 'your own top text instead of a chosen caption' },
      bottom: { type: 'string', value: 'text', help: 'your own bottom text' },
      lang: { type: 'string', value: LANGUAGES.join('|'), help: 'caption language (default en)' },
      format: {
        type: 'string',
        value: 'jpg|webp|png',
        help: 'output format (default jpg, or the extension of -o FILE)',
      },
      recursive,
      json: json('each file’s output, size, caption and analysis'),
    },
  },
  analyze: {
    name: 'analyze',
    args: '<image|dir>...',
    summary: 'find faces and read their expressions',
    details: `Prints each picture's faces: box, detector score, expression and runner-up.
A picture that cannot be read is reported on stderr and the exit code is 1.`,
    options: { recursive, json: json('each file’s analysis') },
  },
  eval: {
    name: 'eval',
    args: '<dir of class folders>',
    summary: 'expression accuracy of every model and of the ensemble',
    details: `Accuracy, macro recall, per-class recall and confusion matrix of every
expression model and of the ensemble on labelled face crops (<dir>/<emotion>/<image>).`,
    options: {
      'exclude-duplicates-of': {
        type: 'string',
        value: 'dir',
        help: 'leave out crops whose pixels also appear under this folder (e.g. the training split)',
      },
      json: json('the report'),
    },
  },
  'eval-faces': {
    name: 'eval-faces',
    args: '<images dir> --annotations <json>',
    summary: 'detector recall and false positives against annotated boxes',
    details: `Recall at IoU 0.5 on faces >= 64 px and >= 32 px high, false positives per
image, and median detection time.`,
    options: {
      annotations: { type: 'string', value: 'json', help: 'the boxes: [{file, faces: [{x, y, w, h}]}]' },
      model: { type: 'string', value: 'id', help: 'detector model (default the shipped one)' },
      'min-score': { type: 'string', value: 'score', help: 'detection threshold, 0..1' },
      'tile-above': { type: 'string', value: 'px', help: 'tile pictures larger than this (0: never)' },
      json: json('the report'),
    },
  },
  'job-id': {
    name: 'job-id',
    args: 'gs://BUCKET/OBJECT#GENERATION...',
    summary: 'the job id and status URL of a photo copied into the inbox with gsutil',
    details: `\`gsutil ls -a gs://BUCKET/OBJECT\` prints the generation.`,
    options: {
      'public-base-url': {
        type: 'string',
        value: 'url',
        help: 'where the public bucket is served (default $PUBLIC_BASE_URL)',
      },
      json: json('the ids'),
    },
  },
  help: {
    name: 'help',
    args: '[<command>]',
    summary: 'this overview, or one command’s options',
    details: '',
    options: {},
  },
};

export function isCommandName(value: string): value is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(value);
}

/** The commands that take an option, for "--annotations belongs to eval-faces". */
export function commandsWithOption(name: string): CommandName[] {
  return COMMAND_NAMES.filter((command) =>
    Object.entries(COMMANDS[command].options).some(
      ([long, spec]) => long === name || (spec.short !== undefined && spec.short === name),
    ),
  );
}

/** `memegen help`: every command on one or two lines. */
export function overviewHelp(): string {
  const lines = ['memegen — faces, expressions and memes', '', 'Usage:'];
  for (const name of COMMAND_NAMES) {
    const spec = COMMANDS[name];
    lines.push(`  memegen ${name} ${spec.args}`, `      ${spec.summary}`);
  }
  lines.push(
    '',
    'memegen help <command> lists its options. Exit codes: 0 done, 1 failed, 2 bad command line.',
  );
  return lines.join('\n');
}

/** `memegen help <command>`: its arguments, what it does and its option table. */
export function commandHelp(name: CommandName): string {
  const spec = COMMANDS[name];
  const lines = [`memegen ${name} ${spec.args}`, '', `${capitalize(spec.summary)}.`];
  if (spec.details) lines.push(spec.details);
  const rows: string[][] = Object.entries(spec.options).map(([long, option]) => [
    `${option.short ? `-${option.short}, ` : '    '}--${long}${option.value ? ` <${option.value}>` : ''}`,
    option.help,
  ]);
  rows.push(['-h, --help', 'this help']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  lines.push('', 'Options:', ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`));
  return lines.join('\n');
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
