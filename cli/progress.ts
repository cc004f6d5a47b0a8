/**
 * Progress for batch commands, on stderr so stdout stays clean for --json and pipes:
 * a redrawn bar on a terminal, one line per file otherwise (logs, CI).
 */
export class Progress {
  private finished = 0;
  private readonly live: boolean;

  constructor(
    private readonly total: number,
    private readonly quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.live = Boolean(stream.isTTY) && !quiet;
  }

  start(item: string): void {
    if (this.live) this.draw(item);
  }

  done(item: string, result: string): void {
    this.finished++;
    if (this.quiet) return;
    if (this.live) this.draw(item);
    else this.stream.write(`[${this.finished}/${this.total}] ${item} ${result}\n`);
  }

  finish(): void {
    if (this.live) this.stream.write('\n');
  }

  private draw(item: string): void {
    const width = 24;
    const filled = Math.round((this.finished / this.total) * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const columns = this.stream.columns ?? 80;
    const line = `${bar} ${this.finished}/${this.total} ${item}`;
    this.stream.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
  }
}
