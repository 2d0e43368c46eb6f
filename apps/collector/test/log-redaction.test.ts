import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SENSITIVE_LOG_FIELDS } from '@uid2-pixels/uid2/redaction';
import { createLogger } from '../src/log.ts';

// Every field name the project treats as sensitive is censored by the collector's logger, at the top
// level and one level down, whatever the log call carried.
function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('collector log redaction', () => {
  it('censors every sensitive field name, top level and nested', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    const marker = (f: string) => `SENSITIVE-${f}-VALUE`;
    const top = Object.fromEntries(SENSITIVE_LOG_FIELDS.map((f) => [f, marker(f)]));
    log.info(top, 'top level');
    log.info({ nested: top }, 'one level down');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      for (const f of SENSITIVE_LOG_FIELDS) expect(line).not.toContain(marker(f));
      expect(line).toContain('[redacted]');
    }
  });

  it('keeps the fields that say what happened', () => {
    const { lines, stream } = capture();
    createLogger('info', stream).info({ segment: 'acme-converters', status: 'Success' }, 'written');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ segment: 'acme-converters', status: 'Success' });
  });
});
