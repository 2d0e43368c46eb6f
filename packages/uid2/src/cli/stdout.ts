// `cmd --help | head` closes the pipe early: that is the reader's choice, not an error to print a
// stack trace for. Every bin calls this once at start.
export function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
