// The DSP ad server over HTTP against the real local operator: a publisher's advertising token in a bid
// request comes back as a creative whose impression pixel carries a fresh sharing token of the DSP, which
// the collector's identity (site 104) decrypts to the same raw UID2. Bad requests get clear answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BidstreamClient, PublisherClient, SharingClient } from '@uid2-pixels/uid2';
import { startOperator, type RunningOperator } from '@uid2-pixels/operator';
import { creativeMarkup, startDemo, type RunningDemo } from '../src/index.ts';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DEV_FIXTURE_PATH } from '../src/config.ts';

const fixture = JSON.parse(readFileSync(DEV_FIXTURE_PATH, 'utf8')) as { participants: Array<{ siteId: number; apiKey: string; secret: string }> };
const credentials = (siteId: number) => {
  const p = fixture.participants.find((x) => x.siteId === siteId)!;
  return { apiKey: p.apiKey, secret: p.secret };
};

const COLLECTOR = 'http://collector.example.test:9';
let operator: RunningOperator;
let demo: RunningDemo;
let dataDir: string;
let dspUrl: string;
/** Every log line the demo wrote, and every token or raw UID2 the tests saw: none may be in a line. */
const logLines: string[] = [];
const secrets: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'demo-dsp-'));
  operator = await startOperator({ port: 0, dataDir });
  demo = await startDemo({
    shopPort: '0', publisherPort: '0', dspPort: '0',
    operatorUrl: operator.url, collectorUrl: COLLECTOR, snippet: join(dataDir, 'no-snippet.js'),
  }, logger);
  dspUrl = `http://127.0.0.1:${demo.ports.dsp}`;
}, 30_000);

afterAll(async () => {
  await demo?.close();
  await operator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function publisherToken(email: string, siteId = 103): Promise<string> {
  const publisher = new PublisherClient({ baseUrl: operator.url, ...credentials(siteId) });
  const result = await publisher.generateToken({ email });
  if (result.status !== 'success') throw new Error(`generate: ${result.status}`);
  return result.identity.advertisingToken;
}

const bidRequest = (token: string | null, domain = 'daily-planet.example') => ({
  id: 'r1',
  imp: [{ id: '1', banner: { w: 300, h: 250 } }],
  site: { domain },
  ...(token === null ? {} : { user: { ext: { eids: [{ source: 'uidapi.com', uids: [{ id: token, atype: 3 }] }] } } }),
});

const postBid = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${dspUrl}/bid`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: 'http://publisher.localhost:8102', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /bid', () => {
  /** Acme's checkout fires the DSP's retargeting pixel with the shopper's token (made by Acme, 101). */
  const retarget = async (token: string) => {
    const r = await fetch(`${dspUrl}/pixel/retarget?uid2_token=${encodeURIComponent(token)}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/gif');
  };

  it('bids only for a reader in Acme Shop\'s audience, which Acme\'s retargeting pixel fills', async () => {
    const stranger = await publisherToken('never-shopped@example.com');
    expect((await postBid(bidRequest(stranger))).status).toBe(204);
    // A token that is not Acme's (here the publisher's own) does not join the audience.
    await retarget(await publisherToken('never-shopped@example.com', 103));
    expect((await postBid(bidRequest(stranger))).status).toBe(204);
    const landing = await (await fetch(`${dspUrl}/`)).text();
    expect(landing).toContain('0 readers in Acme Shop');
    await retarget(await publisherToken('never-shopped@example.com', 101));
    expect((await postBid(bidRequest(stranger))).status).toBe(200);
    expect(await (await fetch(`${dspUrl}/`)).text()).toContain('1 reader in Acme Shop');
  });

  it('answers with a creative whose impression pixel carries a new sharing token for the same raw UID2', async () => {
    await retarget(await publisherToken('reader@example.com', 101));
    const bidToken = await publisherToken('reader@example.com');
    const response = await postBid(bidRequest(bidToken));
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://publisher.localhost:8102');
    const answer = (await response.json()) as { id: string; seatbid: Array<{ bid: Array<{ impid: string; adm: string; price: number }> }> };
    const bid = answer.seatbid[0]!.bid[0]!;
    expect(answer.id).toBe('r1');
    expect(bid.impid).toBe('1');

    const pixelSrc = /<img class="impression" src="([^"]+)"/.exec(bid.adm)![1]!.replaceAll('&amp;', '&');
    expect(pixelSrc.startsWith(`${COLLECTOR}/pixel/impression?uid2_token=`)).toBe(true);
    const pixelToken = new URL(pixelSrc).searchParams.get('uid2_token')!;
    expect(pixelToken).not.toBe(bidToken);

    // What the DSP read from the bid stream, and what the collector (site 104) reads from the pixel.
    const dsp = new BidstreamClient({ baseUrl: operator.url, ...credentials(102) });
    const collector = new SharingClient({ baseUrl: operator.url, ...credentials(104) });
    await Promise.all([dsp.refreshKeys(), collector.refreshKeys()]);
    const fromBid = dsp.decrypt(bidToken, 'daily-planet.example');
    const fromPixel = collector.decrypt(pixelToken);
    expect(fromBid.status).toBe('Success');
    expect(fromPixel.status).toBe('Success');
    expect(fromPixel.uid).toBe(fromBid.uid);
    expect(fromPixel.siteId).toBe(102);
    // The raw UID2 itself is nowhere in the markup the browser gets.
    expect(bid.adm).not.toContain(fromBid.uid!);
    expect(bid.adm).not.toContain(encodeURIComponent(fromBid.uid!));
    // A sharing token is not a bid-stream token: the DSP's bidstream client refuses the pixel's.
    expect(dsp.decrypt(pixelToken, 'daily-planet.example').status).not.toBe('Success');
    secrets.push(bidToken, pixelToken, fromBid.uid!);
  });

  it('does not bid without a UID2 token, or with one it cannot read', async () => {
    expect((await postBid(bidRequest(null))).status).toBe(204);
    expect((await postBid(bidRequest('A4AAAAnot-a-real-token-at-all'))).status).toBe(204);
  });

  it('answers malformed requests with 400 and a JSON reason, never a stack trace', async () => {
    const broken = await postBid('{"id": ');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: 'BAD_BID_REQUEST' });
    const wrong = await postBid({ id: 'r1', imp: [] });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { message: string }).message).toMatch(/imp\[0\]/);
    const huge = await postBid({ ...bidRequest(null), pad: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
  });

  it('answers the CORS preflight a publisher page sends', async () => {
    const response = await fetch(`${dspUrl}/bid`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://publisher.localhost:8102', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://publisher.localhost:8102');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
  });
});

describe('the pages', () => {
  it('shop: embeds only public CSTG values and allows exactly the operator, the collector and its DSP', async () => {
    const response = await fetch(`http://127.0.0.1:${demo.ports.shop}/`);
    const html = await response.text();
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain(`connect-src 'self' ${operator.url}`);
    expect(csp).toContain(`img-src 'self' data: ${COLLECTOR} ${demo.config.urls.dsp}`);
    expect(csp).toContain("script-src 'self'");
    const config = JSON.parse(/<script type="application\/json" id="demo-config">(.*?)<\/script>/.exec(html)![1]!) as Record<string, string>;
    expect(Object.keys(config).sort()).toEqual(['collectorUrl', 'dspUrl', 'operatorUrl', 'publisherUrl', 'serverPublicKey', 'subscriptionId']);
    expect(config.serverPublicKey).toMatch(/^UID2-X-L-/);
    expect(html).not.toMatch(/UID2-Y-|UID2-C-/); // no private key, no API key
  });

  it('says clearly when the snippet is not built', async () => {
    const response = await fetch(`http://127.0.0.1:${demo.ports.publisher}/uid2-pixel.js`);
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/pnpm --filter @uid2-pixels\/pixel build/);
  });
});

describe('logs', () => {
  it('record bids and no-bids without a token or a raw UID2', () => {
    expect(logLines.join('')).toContain('"msg":"bid"');
    expect(secrets.length).toBe(3);
    for (const secret of secrets) expect(logLines.join('')).not.toContain(secret);
    expect(logLines.join('')).not.toContain('reader@example.com');
  });
});

describe('creativeMarkup', () => {
  it('escapes every URL it puts in an attribute', () => {
    const html = creativeMarkup(
      { bannerUrl: 'https://d/b.svg?a=1&b="x"', stylesheetUrl: 'https://d/c.css', clickUrl: 'https://shop/<script>', alt: 'A "quoted" ad' },
      'https://c/p?t=1&u=2',
    );
    expect(html).toContain('src="https://d/b.svg?a=1&amp;b=&quot;x&quot;"');
    expect(html).toContain('href="https://shop/&lt;script&gt;"');
    expect(html).toContain('src="https://c/p?t=1&amp;u=2"');
    expect(html).not.toContain('<script>');
    expect(creativeMarkup({ bannerUrl: 'b', stylesheetUrl: 's', clickUrl: 'c', alt: 'a' }, null)).not.toContain('impression');
  });
});

describe('startDemo', () => {
  it('names the flag and variable of a port that is taken', async () => {
    const port = demo.ports.publisher; // held by the demo this file started
    await expect(startDemo({ shopPort: '0', publisherPort: String(port), dspPort: '0', operatorUrl: operator.url, collectorUrl: COLLECTOR, snippet: join(dataDir, 'no-snippet.js') }, logger))
      .rejects.toThrow(`the publisher site's port ${port} on 127.0.0.1 is already in use: choose another with --publisher-port <n> or PUBLISHER_PORT`);
  });
});
