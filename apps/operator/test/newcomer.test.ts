// What a newcomer meets on the operator, over real HTTP: the landing page and its links, the API docs
// page, route names in logs and metrics, request lines at debug, refusals explained in the log, admin
// errors that name the field, repeat opt-outs, audit sentences, labelled keysets.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublisherClient, SharingClient } from '@uid2-pixels/uid2/clients';
import { createLogger } from '../src/logging.ts';
import { admin, startTestOperator, type TestOperator } from './helpers.ts';

let op: TestOperator;
let logLines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write: (chunk, _enc, done) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});

beforeAll(async () => {
  op = await startTestOperator({
    logger: createLogger('debug', sink as never),
    links: [
      { label: 'shop', url: 'http://shop.localhost:8101' },
      { label: 'status', url: 'http://localhost:8090/status' },
    ],
  });
});
afterAll(async () => op.dispose());

const get = async (path: string) => {
  const res = await fetch(`${op.url}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

describe('landing page', () => {
  it('says what the server is and links the portal, health, metrics, API docs and the given sites', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    expect(page.text).toContain('Local UID2 operator');
    for (const link of ['href="/portal"', 'href="/ops/healthcheck"', 'href="/metrics"', 'href="/docs/api"', 'href="http://shop.localhost:8101"', 'href="http://localhost:8090/status"']) {
      expect(page.text).toContain(link);
    }
    expect(page.text).toContain('the advertiser shop');
    // Every resource the page loads answers, so a browser logs no 404.
    for (const path of ['/site.css', '/favicon.svg', '/favicon.ico', '/docs/api']) expect((await get(path)).status).toBe(200);
  });

  it('serves the README’s API section as a page, escaped', async () => {
    const docs = await get('/docs/api');
    expect(docs.text).toContain('The UID2 API');
    expect(docs.text).toContain('/v2/token/generate');
    expect(docs.text).not.toContain('## Keys and rotation');
    expect(docs.text).not.toMatch(/<(?!\/?(html|head|meta|title|link|body|header|h1|a|span|main|section|p|code|pre)\b)[a-z]/);
  });
});

describe('request logs and metrics', () => {
  it('name every request by its route pattern, at debug level', async () => {
    logLines = [];
    await get('/portal');
    await get('/');
    await get('/no/such/page?email=someone@example.com');
    await admin(op, 'GET', '/participants');
    await admin(op, 'GET', '/sharing/101');
    const requests = logLines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => l.path)).toEqual(['/portal', '/', 'unmatched', '/admin/participants', '/admin/sharing/:siteId']);
    for (const line of requests) expect(line.level).toBe(20); // debug
    expect(JSON.stringify(logLines)).not.toContain('someone@example.com');
    const metrics = (await get('/metrics')).text;
    expect(metrics).toContain('uid2_operator_http_requests_total{route="/admin/sharing/:siteId",code="200"} 1');
    expect(metrics).not.toContain('route="other"');
  });

  it('explain a refused API key in the log (the wire answer stays the bare 401)', async () => {
    logLines = [];
    const publisher = op.credentials(103); // GENERATOR only
    const sharing = new SharingClient(publisher);
    await expect(sharing.start()).rejects.toMatchObject({ httpStatus: 401, operatorStatus: 'unauthorized' });
    sharing.stop();
    const res = await fetch(`${op.url}/v2/key/sharing`, { method: 'POST', headers: { Authorization: `Bearer ${publisher.apiKey}` }, body: 'x' });
    expect(await res.text()).toBe('{"status":"unauthorized"}');
    const refusal = logLines.find((l) => String(l.msg).startsWith('refused: site 103'));
    expect(refusal?.msg).toBe('refused: site 103 (Daily Planet) lacks role SHARER or ID_READER needed by /v2/key/sharing (HTTP 401)');
    expect(refusal?.level).toBe(30);

    const unknown = new PublisherClient({ ...publisher, apiKey: `${publisher.apiKey.slice(0, -4)}nope` });
    await expect(unknown.generateToken({ email: 'a@example.com' })).rejects.toMatchObject({ httpStatus: 401 });
    expect(logLines.some((l) => l.msg === 'refused: unknown or disabled API key (HTTP 401)')).toBe(true);
    expect(JSON.stringify(logLines)).not.toContain(publisher.apiKey);
  });
});

describe('admin API for the portal', () => {
  it('checks a key without failing the request, and explains a refused one', async () => {
    const check = (key: string) => fetch(`${op.url}/admin/session`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
    const good = await check(op.adminKey!);
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ valid: true });
    const bad = await check('wrong');
    expect(bad.status).toBe(200);
    expect((await bad.json()).valid).toBe(false);
    const refused = await fetch(`${op.url}/admin/participants`, { headers: { Authorization: 'Bearer wrong' } });
    expect((await refused.json()).error.message).toMatch(/^admin key missing or not accepted: .*adminKey from the fixture/);
  });

  it('names the field that is wrong in a new participant', async () => {
    const add = (body: unknown) => admin(op, 'POST', '/participants', body);
    expect((await add({ name: 'No roles', type: 'DSP' })).json.error.message).toBe('roles: choose at least one role (GENERATOR, MAPPER, ID_READER, SHARER, OPTOUT)');
    expect((await add({ name: ' ', type: 'DSP', roles: ['SHARER'] })).json.error.message).toBe('name: give the participant a name');
    const domain = await add({ name: 'Bad domain', type: 'DSP', roles: ['SHARER'], domains: ['https://dsp.example/'] });
    expect(domain.status).toBe(400);
    expect(domain.json.error.message).toBe('domains: "https://dsp.example/" is not a host name (like shop.example or localhost: no scheme, port, path or spaces)');
    expect((await admin(op, 'GET', '/participants')).json).toHaveLength(6); // nothing was added
  });

  it('serves roles with what they allow, and types, from one list', async () => {
    const meta = (await admin(op, 'GET', '/meta')).json;
    expect(meta.roles.map((r: { name: string }) => r.name)).toEqual(['GENERATOR', 'MAPPER', 'ID_READER', 'SHARER', 'OPTOUT']);
    expect(meta.roles[0].description).toContain('/v2/token/generate');
    expect(meta.types).toEqual(['DSP', 'ADVERTISER', 'DATA_PROVIDER', 'PUBLISHER']);
  });

  it('reports a repeat opt-out as such and audits it as a repeat, not a second add', async () => {
    const first = await admin(op, 'POST', '/optouts', { email: 'twice@example.com' });
    const second = await admin(op, 'POST', '/optouts', { email: 'Twice@Example.com' });
    expect([first.status, first.json.added, second.status, second.json.added]).toEqual([201, true, 200, false]);
    const audit = (await admin(op, 'GET', '/audit?limit=2')).json;
    expect(audit.map((e: { data: { action: string } }) => e.data.action)).toEqual(['repeat', 'add']);
    expect(audit.map((e: { sentence: string }) => e.sentence)).toEqual(['Submitted an email that was already opted out (no change).', 'Opted out an email.']);
    const optouts = (await admin(op, 'GET', '/optouts')).json;
    expect(optouts.testIdentities.always).toEqual(['optout@example.com', '+00000000000']);
  });

  it('writes the audit trail as sentences naming sites, and refusals as what could not be done', async () => {
    await admin(op, 'POST', '/sharing/105/grant', { sites: [104], types: ['DSP'] });
    await admin(op, 'POST', '/sharing/105/revoke', { sites: [104] });
    await admin(op, 'POST', '/participants', { name: 'Audit DSP', type: 'DSP', roles: ['ID_READER'] });
    await admin(op, 'POST', '/participants', { siteId: 101, name: 'Clash', type: 'DSP', roles: ['SHARER'] });
    const sentences = (await admin(op, 'GET', '/audit?limit=5')).json.map((e: { sentence: string }) => e.sentence);
    expect(sentences).toEqual([
      'Could not add participant “Clash” (DSP): site id 101 exists.',
      'Added participant 108 “Audit DSP” (DSP).',
      'Site 105 (Rival Retail) stopped sharing with site 104 (Lumen Measurement).',
      'Site 105 (Rival Retail) now shares with site 104 (Lumen Measurement).',
      'Site 105 (Rival Retail) now shares with every DSP (by type, future ones included).',
    ]);
  });

  it('labels the operator’s own keysets and says which key is active', async () => {
    const keysets = (await admin(op, 'GET', '/keysets')).json as Array<{ keysetId: number; kind: string; keys: Array<{ state: string }> }>;
    expect(keysets.filter((k) => k.kind !== 'site').map((k) => [k.keysetId, k.kind])).toEqual([
      [-1, 'master'],
      [-2, 'refresh'],
    ]);
    for (const ks of keysets) expect(ks.keys.filter((k) => k.state === 'active')).toHaveLength(1);
  });
});
