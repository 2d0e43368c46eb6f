// The <script> build itself (dist/uid2-pixel.iife.js, built by global-setup.ts): the global, the command
// queue, declarative pixels on load, and that nothing it does throws into the host page.
import { afterEach, beforeEach, describe, expect, inject, test } from 'vitest';
import * as esm from '../src/index.ts';
import { check, hitsOn, sinkUrl, start, uniquePath } from './support/page.ts';

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
