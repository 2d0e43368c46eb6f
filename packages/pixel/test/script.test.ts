// The <script> build itself (dist/uid2-pixel.iife.js, built by global-setup.ts): the global, the command
// queue, declarative pixels on load, and that nothing it does throws into the host page.
import { afterEach, beforeEach, describe, expect, inject, test } from 'vitest';
import * as esm from '../src/index.ts';
import { check, hitsOn, sinkUrl, start, uniquePath } from './support/page.ts';

type Api = Record<string, (...a: unknown[]) => unknown> & { push: (...c: unknown[]) => void };
const w = window as unknown as { uid2pixel?: unknown };
const global = () => w.uid2pixel as Api;
const query = (url: string) => new URL(url, 'http://x').searchParams;

const API = ['init', 'setEmail', 'setPhone', 'setEmailHash', 'setPhoneHash', 'getToken', 'hasOptedOut', 'clear', 'track', 'impression', 'fillMacro', 'scan'];

function loadSnippet(): void {
  const script = document.createElement('script');
  script.textContent = inject('snippet').code;
  document.head.append(script); // an inline classic script runs synchronously, like a loaded <script src>
}

const initCommand = () => ['init', { operatorUrl: inject('operatorUrl'), ...inject('advertiser') }];

beforeEach(() => {
  start();
  delete w.uid2pixel;
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
  expect(Object.keys(global()).sort()).toEqual([...API, 'push'].sort());
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
  expect(Object.keys(mod).sort()).toEqual([...API].sort());
  expect(w.uid2pixel).toBeUndefined();
  expect(await mod.getToken!()).toBeUndefined();
  expect(mod.fillMacro!('t=%%UID2_TOKEN%%', 'a+b')).toBe('t=a%2Bb');
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
    for (const name of API) {
      for (const [i, args] of garbage.entries()) {
        let result: unknown;
        expect(() => (result = fns[name]!(...args)), `${name}(garbage #${i})`).not.toThrow();
        if (result instanceof Promise) await expect(result).resolves.not.toThrow();
      }
    }
  });
});
