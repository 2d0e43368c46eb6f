// A progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise.
export class ProgressBar {
  private lastDraw = 0;
  private readonly tty: boolean;
  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = !!stream.isTTY;
  }

  update(done: number, total: number, note = '', force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.tty ? 100 : 2000)) return;
    this.lastDraw = now;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total} ${this.label}${note ? ` ${note}` : ''}`;
    this.stream.write(this.tty ? `\r${bar}\x1b[K` : `${bar}\n`);
  }

  finish(done: number, total: number, note = ''): void {
    this.update(done, total, note, true);
    if (this.tty) this.stream.write('\n');
  }
}
