/**
 * A progress bar for batch commands, on stderr so stdout stays clean for --json and pipes,
 * and only on a terminal: elsewhere (logs, CI, tests) each result line is the progress.
 * Lines printed while the bar is up are written above it.
 */
export class Progress {
  private finished = 0;
  private current = '';
  private readonly live: boolean;

  constructor(
    private readonly total: number,
    quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.live = Boolean(stream.isTTY) && !quiet;
  }

  start(item: string): void {
    this.current = item;
    if (this.live) this.draw();
  }

  done(): void {
    this.finished++;
    if (this.live) this.draw();
  }

  /** Writes a whole line to `to` (stdout or stderr) without tearing the bar. */
  print(line: string, to: NodeJS.WritableStream): void {
    if (this.live) this.stream.write(`\r${' '.repeat(this.width())}\r`);
    to.write(`${line}\n`);
    if (this.live) this.draw();
  }

  finish(): void {
    if (this.live) this.stream.write(`\r${' '.repeat(this.width())}\r`);
  }

  private width(): number {
    return (this.stream.columns ?? 80) - 1;
  }

  private draw(): void {
    const cells = 24;
    const filled = Math.round((this.finished / this.total) * cells);
    const bar = '█'.repeat(filled) + '░'.repeat(cells - filled);
    const line = `${bar} ${this.finished}/${this.total} ${this.current}`;
    this.stream.write(`\r${line.slice(0, this.width()).padEnd(this.width())}`);
  }
}
