// The <script> build itself (dist/uid2-pixel.iife.js, built by global-setup.ts): the global, the command
// queue, declarative pixels on load, and that nothing it does throws into the host page.
import { afterEach, beforeEach, describe, expect, inject, test } from 'vitest';
import * as esm from '../src/index.ts';
import type { Identity } from '../src/types.ts';
import { check, hitsOn, KEY, sinkUrl, start, uniquePath } from './support/page.ts';

type Api = Record<string, (...a: unknown[]) => unknown> & { push: (...c: unknown[]) => void };
const w = window as unknown as { uid2pixel?: unknown; __uid2?: unknown; __euid?: unknown };
const global = () => w.uid2pixel as Api;
const query = (url: string) => new URL(url, 'http://x').searchParams;

/** Every function of a client: ours and the official SDK's names. */
const API = [
  'init', 'setEmail', 'setPhone', 'setEmailHash', 'setPhoneHash', 'setIdentity', 'getToken', 'getAdvertisingToken',
  'getAdvertisingTokenAsync', 'getIdentity', 'hasOptedOut', 'isLoginRequired', 'isIdentityAvailable', 'isInitComplete',
  'disconnect', 'clear', 'track', 'impression', 'fillMacro', 'scan', 'setIdentityFromEmail', 'setIdentityFromPhone',
  'setIdentityFromEmailHash', 'setIdentityFromPhoneHash',
];
/** What the ESM build exports besides the functions: the callbacks list, the default client and the factory. */
const ESM_EXTRA = ['callbacks', 'sdk', 'createSdk'];
const OFFICIAL_ONLY = ['setIdentityFromEmail', 'setIdentityFromPhone', 'setIdentityFromEmailHash', 'setIdentityFromPhoneHash'];

function loadSnippet(): void {
  const script = document.createElement('script');
  script.textContent = inject('snippet').code;
  document.head.append(script); // an inline classic script runs synchronously, like a loaded <script src>
}

const initCommand = () => ['init', { operatorUrl: inject('operatorUrl'), ...inject('advertiser') }];

beforeEach(() => {
  start();
  // start() ran init, which stored its config; a page that loads the script starts as a first visit.
  localStorage.removeItem('UID2-sdk-identity_config');
  delete w.uid2pixel;
  delete w.__uid2;
  delete w.__euid;
});
afterEach(() => document.body.replaceChildren());

test('commands queued before the script loaded run when it loads, in order; the token reaches the pixel', async () => {
  const path = uniquePath('queued');
  const seen: unknown[] = [];
  w.uid2pixel = [
    ['init', { operatorUrl: inject('operatorUrl'), ...inject('advertiser'), wait: 10_000 }],
    ['setEmail', 'queued.buyer@example.com'],
    ['track', sinkUrl() + path, { order: 1 }],
    (api: Api) => seen.push(api),
  ];
  loadSnippet();
  expect(seen).toEqual([global()]);
  const [hit] = await hitsOn(path);
  const token = query(hit!.url).get('uid2_token');
  expect(token).toBe(await global().getToken!());
  const { sha256 } = await import('../src/hash.ts');
  expect(await check('validate', { token, field: 'email_hash', hash: await sha256('queued.buyer@example.com') })).toBe(true);
});

test('after loading, the global has the whole API and push runs commands at once', async () => {
  w.uid2pixel = [initCommand()];
  loadSnippet();
  expect(Object.keys(global()).sort()).toEqual([...API, 'push', 'callbacks'].sort());
  const path = uniquePath('pushed');
  let ran = false;
  global().push(['track', sinkUrl() + path], () => (ran = true));
  expect(ran).toBe(true);
  await hitsOn(path);
});

test('declarative pixels already in the document fire when the script loads', async () => {
  const path = uniquePath('decl');
  const img = document.createElement('img');
  img.dataset.uid2Pixel = sinkUrl() + path;
  document.body.append(img);
  w.uid2pixel = [initCommand()];
  loadSnippet();
  await hitsOn(path);
});

test('the ESM build exports the same API and touches no global', async () => {
  const url = URL.createObjectURL(new Blob([inject('esmCode')], { type: 'text/javascript' }));
  const mod = (await import(/* @vite-ignore */ url)) as Api;
  URL.revokeObjectURL(url);
  expect(Object.keys(mod).sort()).toEqual([...API.filter((n) => !OFFICIAL_ONLY.includes(n)), ...ESM_EXTRA].sort());
  expect(w.uid2pixel).toBeUndefined();
  expect(w.__uid2).toBeUndefined();
  expect(await mod.getToken!()).toBeUndefined();
  expect(mod.fillMacro!('t=%%UID2_TOKEN%%', 'a+b')).toBe('t=a%2Bb');
});

describe("drop-in under the official SDK's globals", () => {
  test('`__uid2` is the same client as `uid2pixel`; `__euid` is an EUID client; handlers queued on a stub get SdkLoaded', async () => {
    const events: string[] = [];
    w.__uid2 = { callbacks: [(e: string) => events.push('uid2 ' + e)] };
    w.__euid = { callbacks: [(e: string) => events.push('euid ' + e)] };
    loadSnippet();
    expect(w.__uid2).toBe(global());
    expect(events).toEqual(['uid2 SdkLoaded', 'euid SdkLoaded']);
    const euid = w.__euid as Api & { callbacks: unknown[] };
    expect(Object.keys(euid).sort()).toEqual([...API, 'callbacks'].sort());
    expect(euid).not.toBe(global());
  });

  test('the official SDK already loaded keeps its global; ours still answers as uid2pixel', () => {
    const official = { init: () => undefined, callbacks: [] };
    w.__uid2 = official;
    loadSnippet();
    expect(w.__uid2).toBe(official);
    expect(typeof global().init).toBe('function');
  });

  test('the official flow: init from SdkLoaded, setIdentityFromEmail from InitCompleted, the token in IdentityUpdated', async () => {
    const tokens: string[] = [];
    const sdk = () => w.__uid2 as Api;
    w.__uid2 = {
      callbacks: [
        (e: string, p: { identity: { advertising_token: string } | null }) => {
          if (e === 'SdkLoaded') sdk().init!({ baseUrl: inject('operatorUrl') });
          if (e === 'InitCompleted' && sdk().isLoginRequired!()) void sdk().setIdentityFromEmail!('drop.in@example.com', inject('advertiser'));
          if (e === 'IdentityUpdated' && p.identity) tokens.push(p.identity.advertising_token);
        },
      ],
    };
    loadSnippet();
    await expect.poll(() => tokens.length).toBe(1);
    expect(sdk().getAdvertisingToken!()).toBe(tokens[0]);
    const { sha256 } = await import('../src/hash.ts');
    expect(await check('validate', { token: tokens[0], field: 'email_hash', hash: await sha256('drop.in@example.com') })).toBe(true);
  });
});

describe('the next page load: the init config an earlier page stored', () => {
  const CONFIG_KEY = 'UID2-sdk-identity_config';

  test('with nobody calling init, the client initialises itself from it (its baseUrl refreshes the stored identity)', async () => {
    const id = await check<Identity>('generate', { email: 'bootstrap@example.com' });
    localStorage.setItem(KEY, JSON.stringify({ ...id, refresh_from: Date.now() - 1 }));
    localStorage.setItem(CONFIG_KEY, JSON.stringify({ baseUrl: inject('operatorUrl'), refreshRetryPeriod: 864e5 }));
    const events: string[] = [];
    w.__uid2 = { callbacks: [(e: string) => events.push(e)] };
    loadSnippet();
    expect(events).toEqual(['SdkLoaded', 'InitCompleted']);
    expect(global().isInitComplete!()).toBe(true);
    expect(await global().getToken!()).toBe(id.advertising_token); // still valid while init's refresh runs
    // Refreshed through the stored baseUrl (the default, prod.uidapi.com, is out of reach offline).
    await expect.poll(() => global().getAdvertisingToken!()).not.toBe(id.advertising_token);
    expect(global().getAdvertisingToken!()).toMatch(/^A/);
  });

  test("a page that calls init on SdkLoaded wins: its options are used, and stored for the next page", async () => {
    localStorage.setItem(CONFIG_KEY, JSON.stringify({ baseUrl: 'http://127.0.0.1:9' })); // nothing listens there
    const sdk = () => w.__uid2 as Api;
    w.__uid2 = { callbacks: [(e: string) => e === 'SdkLoaded' && sdk().init!({ baseUrl: inject('operatorUrl'), refreshRetryPeriod: 864e5 })] };
    loadSnippet();
    expect(await sdk().setIdentityFromEmail!('bootstrap.page@example.com', inject('advertiser'))).toMatch(/^A/);
    expect(JSON.parse(localStorage.getItem(CONFIG_KEY)!).baseUrl).toBe(inject('operatorUrl'));
  });

  test('no stored config: no init', () => {
    loadSnippet();
    expect(global().isInitComplete!()).toBe(false);
  });

  test.each(['not json', '5', '[1,2]', 'null', '{"baseUrl":5,"refreshRetryPeriod":"soon","useCookie":"x"}'])(
    'a broken stored config (%s) throws nothing into the page',
    (config) => {
      localStorage.setItem(CONFIG_KEY, config);
      expect(loadSnippet).not.toThrow(); // an error in the script would also fail the run as an uncaught error
      expect(w.__euid).toBeDefined(); // the script ran past the __uid2 bootstrap
      expect(global().getAdvertisingToken!()).toBeUndefined();
    },
  );
});

test('`__uid2Helper` / `__euidHelper`: the official helpers (hex and base64 hashes) against the vectors', async () => {
  loadSnippet();
  const h = (window as unknown as Record<string, Record<string, (v: string) => unknown>>).__uid2Helper!;
  expect((window as unknown as Record<string, unknown>).__euidHelper).toBe(h);
  for (const v of inject('vectors').email.filter((v) => v.normalized)) {
    expect(h.normalizeEmail!(v.input)).toBe(v.normalized);
    const b64 = await h.hashAndEncodeIdentifier!(v.normalized!);
    expect(b64).toBe(v.normalize_and_hash);
    const hex = (await h.hashIdentifier!(v.normalized!)) as string;
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(btoa(String.fromCharCode(...hex.match(/../g)!.map((x) => parseInt(x, 16))))).toBe(b64);
  }
  expect(h.isNormalizedPhone!('+12345678901')).toBe(true);
  expect(h.isNormalizedPhone!('12345678901')).toBe(false);
});

test('the lite build: UID2 through `__uid2`, no `__euid`, and no CMP asked (a GPP opt-out is not seen)', async () => {
  (window as unknown as { __gpp?: unknown }).__gpp = () => {
    throw new Error('the lite build must not ask the CMP');
  };
  try {
    const path = uniquePath('lite');
    w.__uid2 = { callbacks: [] };
    const script = document.createElement('script');
    script.textContent = inject('liteSnippet').code;
    document.head.append(script);
    expect(w.__euid).toBeUndefined();
    const api = global();
    api.init!({ baseUrl: inject('operatorUrl'), ...inject('advertiser'), refreshRetryPeriod: 864e5 });
    const token = await api.setEmail!('lite.build@example.com');
    expect(token).toBeTruthy();
    await api.track!(sinkUrl() + path);
    expect(query((await hitsOn(path))[0]!.url).get('uid2_token')).toBe(token);
  } finally {
    delete (window as unknown as { __gpp?: unknown }).__gpp;
  }
});

describe('nothing throws into the host page', () => {
  const garbage: unknown[][] = [[], [null], [undefined], [42], [{}], [Symbol('x')], ['http://[::1'], [() => 1, 'x']];

  test('bad commands are skipped and the queue goes on', async () => {
    const path = uniquePath('after-bad');
    w.uid2pixel = [
      ['nope'],
      [],
      null,
      42,
      () => {
        throw new Error('page callback');
      },
      ['init', null],
      ['track', sinkUrl() + path],
    ];
    expect(loadSnippet).not.toThrow();
    await hitsOn(path);
    expect(() => global().push(['nope'], null, [], () => { throw new Error('x'); })).not.toThrow();
  });

  test.each([
    ['the ESM exports', () => esm as unknown as Api],
    ['the <script> global', () => (loadSnippet(), global())],
  ])('%s: every function, with garbage arguments', async (_, api) => {
    const fns = api();
    for (const name of API.filter((n) => n in fns)) {
      for (const [i, args] of garbage.entries()) {
        let result: unknown;
        expect(() => (result = fns[name]!(...args)), `${name}(garbage #${i})`).not.toThrow();
        // getAdvertisingTokenAsync rejects when there is no token: the official contract, not a throw.
        if (name === 'getAdvertisingTokenAsync') await (result as Promise<unknown>).catch(() => undefined);
        else if (result instanceof Promise) await expect(result).resolves.not.toThrow();
      }
    }
  });
});
