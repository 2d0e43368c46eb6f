import { describe, expect, it } from 'vitest';
import { DemoError, parseBidRequest } from '../src/index.ts';

const valid = {
  id: 'req-1',
  imp: [{ id: '1', banner: { w: 300, h: 250 } }],
  site: { domain: 'Publisher.UID2.test', page: 'http://publisher.uid2.test/' },
  user: { ext: { eids: [{ source: 'id5-sync.com', uids: [{ id: 'other', atype: 1 }] }, { source: 'uidapi.com', uids: [{ id: 'A4AAAA-token', atype: 3 }] }] } },
};

function codeOf(body: unknown): string | undefined {
  try {
    parseBidRequest(body);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DemoError);
    return (error as DemoError).code;
  }
}

describe('parseBidRequest', () => {
  it('reads the id, the impression, the lower-cased domain and the uidapi.com token', () => {
    expect(parseBidRequest(valid)).toEqual({ id: 'req-1', impId: '1', domain: 'publisher.uid2.test', uid2Token: 'A4AAAA-token' });
  });

  it('has no token when no eid comes from uidapi.com', () => {
    expect(parseBidRequest({ ...valid, user: { ext: { eids: [valid.user.ext.eids[0]] } } }).uid2Token).toBeNull();
    expect(parseBidRequest({ ...valid, user: undefined }).uid2Token).toBeNull();
  });

  it.each([
    ['not an object', 'x'],
    ['an array', []],
    ['no id', { ...valid, id: undefined }],
    ['no imp', { ...valid, imp: undefined }],
    ['an imp without id', { ...valid, imp: [{}] }],
    ['no site', { ...valid, site: undefined }],
    ['a domain with a path', { ...valid, site: { domain: 'a.test/x' } }],
    ['eids not an array', { ...valid, user: { ext: { eids: {} } } }],
    ['a token too long', { ...valid, user: { ext: { eids: [{ source: 'uidapi.com', uids: [{ id: 'x'.repeat(1025) }] }] } } }],
  ])('rejects %s with BAD_BID_REQUEST', (_name, body) => {
    expect(codeOf(body)).toBe('BAD_BID_REQUEST');
  });
});
