// Redaction is built into the logger: whatever a log call carries, keys, tokens and DII never print.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging.ts';

describe('createLogger', () => {
  it('redacts secrets, tokens and DII at any depth it is configured for', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((out += chunk), done()) });
    const log = createLogger('info', sink as never);
    log.info(
      {
        apiKey: 'UID2-C-L-101-SECRETKEY',
        req: { headers: { authorization: 'Bearer SECRET-BEARER' } },
        body: { email: 'jane@example.com', refresh_token: 'REFRESH-TOKEN', advertising_token: 'AD-TOKEN' },
        participant: { secret: 'CLIENT-SECRET', privateKey: 'UID2-Y-L-PRIVATE' },
        rawUid: 'RAW-UID2',
        siteId: 101,
      },
      'request',
    );
    for (const secret of ['SECRETKEY', 'SECRET-BEARER', 'jane@example.com', 'REFRESH-TOKEN', 'AD-TOKEN', 'CLIENT-SECRET', 'UID2-Y-L-PRIVATE', 'RAW-UID2']) {
      expect(out).not.toContain(secret);
    }
    expect(JSON.parse(out)).toMatchObject({ siteId: 101, msg: 'request', apiKey: '[redacted]' });
  });
});
