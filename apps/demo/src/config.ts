// Demo settings: where each site listens, the addresses a browser uses for every party, and the
// participants' credentials. Credentials default to the operator's dev fixture (the story's five
// participants); every value can be overridden by a flag or an environment variable.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DemoError } from './errors.ts';

/** What a page needs to get a token client-side: public values, safe to put in HTML. */
export interface CstgParams {
  siteId: number;
  subscriptionId: string;
  serverPublicKey: string;
}

/** What the DSP needs to sync keys: secret, server-side only. */
export interface ApiCredentials {
  siteId: number;
  apiKey: string;
  secret: string;
}

export interface DemoConfig {
  ports: { shop: number; publisher: number; dsp: number };
  /** Interface the sites listen on. */
  listenHost: string;
  /** Browser-facing origins of each party. */
  urls: { operator: string; collector: string; shop: string; publisher: string; dsp: string };
  /** Where the DSP's server reaches the operator (may differ from the browser-facing URL). */
  operatorServerUrl: string;
  shop: CstgParams;
  publisher: CstgParams;
  dsp: ApiCredentials;
  /** How often the DSP re-syncs its bidstream and sharing keys (the docs recommend hourly). */
  keyRefreshMs: number;
  /** Path of the built browser snippet the pages load. */
  snippetPath: string;
}

export const DEV_FIXTURE_PATH = fileURLToPath(new URL('../../operator/fixtures/dev.json', import.meta.url));
const SNIPPET_PATH = fileURLToPath(new URL('../../../packages/pixel/dist/uid2-pixel.iife.js', import.meta.url));

/** The story's roles in the dev fixture. */
export const STORY_SITES = { shop: 101, dsp: 102, publisher: 103, collector: 104, rival: 105 } as const;

interface FixtureParticipant {
  siteId: number;
  apiKey: string;
  secret: string;
  subscriptionId: string;
  publicKey: string;
}

function readFixture(path: string): FixtureParticipant[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new DemoError('BAD_FIXTURE', `cannot read the participants fixture ${path}`, { cause });
  }
  const participants = (json as { participants?: unknown }).participants;
  if (!Array.isArray(participants)) throw new DemoError('BAD_FIXTURE', `${path}: no "participants" array`);
  return participants as FixtureParticipant[];
}

function participant(list: FixtureParticipant[], siteId: number, path: string): FixtureParticipant {
  const found = list.find((p) => p.siteId === siteId);
  if (!found) throw new DemoError('BAD_FIXTURE', `${path}: no participant with siteId ${siteId}`);
  return found;
}

export interface ConfigInput {
  [name: string]: string | undefined;
}

function port(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new DemoError('BAD_CONFIG', `${name} must be a port number, got "${text}"`);
  return n;
}

function url(text: string | undefined, name: string, fallback: string): string {
  const value = text && text !== '' ? text : fallback;
  // `localhost:8080` parses as a URL of scheme "localhost:": say what to write instead.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && /^[\w.-]+(:\d+)?(\/\S*)?$/.test(value)) {
    throw new DemoError('BAD_CONFIG', `${name} "${value}" has no scheme: write it as http://${value.replace(/^\/+/, '')}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new DemoError('BAD_CONFIG', `${name} must be an absolute http(s) URL, got "${value}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DemoError('BAD_CONFIG', `${name} must be an http(s) URL, got "${value}"`);
  }
  return parsed.origin;
}

/**
 * Builds the config from named settings (flags already merged over environment variables by the CLI).
 * Keys: shopPort, publisherPort, dspPort, host, operatorUrl, operatorServerUrl, collectorUrl, shopUrl,
 * publisherUrl, dspUrl, fixture, shopSubscriptionId, shopServerPublicKey, publisherSubscriptionId,
 * publisherServerPublicKey, dspApiKey, dspSecret, keyRefreshMs, snippet.
 */
export function buildConfig(input: ConfigInput): DemoConfig {
  const ports = {
    shop: port(input.shopPort, 'shop port', 8101),
    publisher: port(input.publisherPort, 'publisher port', 8102),
    dsp: port(input.dspPort, 'DSP port', 8103),
  };
  const fixturePath = input.fixture || DEV_FIXTURE_PATH;
  const needsFixture = !(
    input.shopSubscriptionId && input.shopServerPublicKey &&
    input.publisherSubscriptionId && input.publisherServerPublicKey &&
    input.dspApiKey && input.dspSecret
  );
  const fixture = needsFixture ? readFixture(fixturePath) : [];
  const from = (siteId: number) => (needsFixture ? participant(fixture, siteId, fixturePath) : undefined);
  const shop = from(STORY_SITES.shop);
  const publisher = from(STORY_SITES.publisher);
  const dsp = from(STORY_SITES.dsp);

  const operator = url(input.operatorUrl, 'operator URL (--operator-url, OPERATOR_URL)', 'http://localhost:8080');
  const keyRefreshMs = input.keyRefreshMs ? Number(input.keyRefreshMs) : 3_600_000;
  if (!Number.isFinite(keyRefreshMs) || keyRefreshMs < 1000) {
    throw new DemoError('BAD_CONFIG', `key refresh interval must be at least 1000 ms, got "${input.keyRefreshMs}"`);
  }
  const dspApiKey = input.dspApiKey || dsp?.apiKey;
  const dspSecret = input.dspSecret || dsp?.secret;
  if (!dspApiKey || !dspSecret) throw new DemoError('BAD_CONFIG', 'the DSP needs an API key and secret');
  return {
    ports,
    listenHost: input.host || '127.0.0.1',
    urls: {
      operator,
      collector: url(input.collectorUrl, 'collector URL (--collector-url, COLLECTOR_URL)', 'http://localhost:8090'),
      shop: url(input.shopUrl, 'shop URL (--shop-url, SHOP_URL)', `http://localhost:${ports.shop}`),
      publisher: url(input.publisherUrl, 'publisher URL (--publisher-url, PUBLISHER_URL)', `http://localhost:${ports.publisher}`),
      dsp: url(input.dspUrl, 'DSP URL (--dsp-url, DSP_URL)', `http://localhost:${ports.dsp}`),
    },
    operatorServerUrl: url(input.operatorServerUrl, 'operator server URL (--operator-server-url, OPERATOR_SERVER_URL)', operator),
    shop: {
      siteId: STORY_SITES.shop,
      subscriptionId: input.shopSubscriptionId || shop!.subscriptionId,
      serverPublicKey: input.shopServerPublicKey || shop!.publicKey,
    },
    publisher: {
      siteId: STORY_SITES.publisher,
      subscriptionId: input.publisherSubscriptionId || publisher!.subscriptionId,
      serverPublicKey: input.publisherServerPublicKey || publisher!.publicKey,
    },
    dsp: { siteId: STORY_SITES.dsp, apiKey: dspApiKey, secret: dspSecret },
    keyRefreshMs,
    snippetPath: input.snippet || SNIPPET_PATH,
  };
}
