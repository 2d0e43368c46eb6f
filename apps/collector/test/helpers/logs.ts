// Captures a collector's JSON log lines in memory, to assert what they never contain.
import { createLogger, type Logger } from '../../src/log.ts';

export interface CapturedLogs {
  logger: Logger;
  lines: string[];
}

export function captureLogs(level = 'debug'): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}
