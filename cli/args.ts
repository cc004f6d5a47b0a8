/** Reads one command's arguments against its own option table (commands.ts). */
import { parseArgs } from 'node:util';
import { CommandName, COMMANDS, commandsWithOption } from './commands';
import { UsageError } from './usage';

export interface ParsedArguments {
  /** Every option of the command: a string, true for a flag given, or undefined. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** -h / --help was given: print the command's help instead of running it. */
  help: boolean;
}

export function parseCommandArguments(command: CommandName, args: string[]): ParsedArguments {
  const table = COMMANDS[command].options;
  const options = {
    ...Object.fromEntries(
      Object.entries(table).map(([long, spec]) => [
        long,
        { type: spec.type, ...(spec.short && { short: spec.short }) },
      ]),
    ),
    help: { type: 'boolean' as const, short: 'h' },
  };
  // Not strict: node's own messages are long and generic; each problem is named here instead.
  const { values, positionals, tokens } = parseArgs({
    args,
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = token.name === 'help' ? { type: 'boolean' } : table[token.name];
    if (!spec) {
      const owners = commandsWithOption(token.name);
      throw new UsageError(
        owners.length > 0
          ? `${token.rawName} is an option of ${owners.join(', ')}, not of ${command}`
          : `unknown option ${token.rawName}`,
        command,
      );
    }
    if (spec.type === 'string' && token.value === undefined)
      throw new UsageError(`${token.rawName} needs a value`, command);
    if (spec.type === 'boolean' && token.value !== undefined)
      throw new UsageError(`${token.rawName} takes no value`, command);
  }
  const { help, ...rest } = values;
  return { values: rest, positionals, help: help === true };
}

/** A string option's value (the table guarantees the type). */
export function stringOption(parsed: ParsedArguments, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(parsed: ParsedArguments, name: string): boolean {
  return parsed.values[name] === true;
}

export function numberOption(
  parsed: ParsedArguments,
  name: string,
  command: CommandName,
): number | undefined {
  const value = stringOption(parsed, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} needs a number, got "${value}"`, command);
  return n;
}
