import type { CommandName } from './commands';

/**
 * A bad command line: printed as one line naming the problem and where the command's help
 * is, with exit code 2.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at; none for an unknown command. */
    readonly command?: CommandName,
  ) {
    super(message);
  }

  /** The line printed on stderr. */
  line(): string {
    const where = this.command ? `memegen ${this.command}` : 'memegen';
    const help = this.command ? `memegen help ${this.command}` : 'memegen help';
    return `${where}: ${this.message} (see \`${help}\`)`;
  }
}
