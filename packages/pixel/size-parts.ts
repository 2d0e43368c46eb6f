// What each part of the full <script> build costs, minified and gzipped (-9): the README's "Size"
// table. It builds the IIFE unminified, takes one part out at a time by editing the bundle's text (a
// call or a line that only that part uses), minifies with the build's own terser options and compares.
// A marker the bundle no longer holds prints "n/a": update the edit here when the code moves.
//   pnpm --filter @uid2-pixels/pixel exec tsx size-parts.ts
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { minify } from 'terser';
import { build } from 'vite';
import { terserOptions } from './vite.config.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Replaces every `from` (a regular expression source) in the bundle; throws when there is none. */
const cut = (code: string, ...pairs: [string, string][]): string =>
  pairs.reduce((c, [from, to]) => {
    const re = new RegExp(from, 'g');
    if (!re.test(c)) throw new Error(`marker gone: ${from}`);
    return c.replace(re, to);
  }, code);

const PARTS: Record<string, (code: string) => string> = {
  'consent: TCF v2 and GPP, with the frame locators': (c) => cut(c, ['consent\\(o\\.consent, euid\\(\\)\\)', '[""]']),
  '...of which the frame locators': (c) => cut(c, ['cmp\\((\\w+), "(__gpp|__tcfapi)"\\)', '$1.$2']),
  'pixels: track, impression, declarative pixels': (c) =>
    cut(c, ['\\.\\.\\.pixels\\(getToken, o\\)', ''], ['api\\.scan\\(\\);', ''], ['addEventListener\\("DOMContentLoaded", \\(\\) => api\\.scan\\(\\)\\);', '']),
  'CSTG: ECDH, AES-GCM, the request': (c) => cut(c, ['await generate\\([^;]*\\}\\)', '{}']),
  'the legacy init({callback}) and its status codes': (c) => cut(c, ['if \\(/\\^I/\\.test\\(event\\)\\) legacy\\(\\);', ''], ['else if \\(reason\\) legacy\\(\\);', '']),
  refresh: (c) => cut(c, ['startRefresh\\(id\\);', '']),
  'the stored init config and the self-bootstrap': (c) => cut(c, ['saveConfig\\(o, euid\\(\\)\\);', ''], ['loadConfig\\(euid\\)', '0']),
  '__uid2Helper / __euidHelper': (c) => cut(c, ['w\\[name \\+ "Helper"\\] = helper;', '']),
  'legacy cookie migration': (c) => cut(c, ['if \\(i == 1 && v\\?\\.advertising_token', 'if (0 && v?.advertising_token']),
  'keeping the identity in memory when storage refuses it': (c) => cut(c, ['memory\\[\\+euid\\] = v;\\s*log\\?\\.\\([^;]*\\);', '']),
  'hex hashes accepted as input': (c) => cut(c, ['if \\(/\\^\\[0-9a-f\\]\\{64\\}\\$/i\\.test\\(hash\\)\\)[^;]*;', '']),
  'the official names (setIdentityFrom…, clear)': (c) => cut(c, ['(clear|setIdentityFrom\\w+): \\w+\\.\\w+,', '']),
  "Prebid's stored identity, read": (c) => cut(c, ['if \\(v && "latestToken" in v\\)', 'if (0)']),
  'EUID and __euid': (c) => cut(c, ['install\\("__euid", createSdk\\(true\\), true\\);', ''], ['const euid = \\(\\) => o\\.scope', 'const euid = () => false && o.scope']),
};

const gzipped = async (code: string) => gzipSync((await minify(code, terserOptions)).code!, { level: 9 }).length;

const dir = await mkdtemp(join(tmpdir(), 'uid2-pixel-parts-'));
try {
  await build({ root, configFile: join(root, 'vite.config.ts'), mode: 'production', build: { outDir: dir, minify: false } });
  const bundle = await readFile(join(dir, 'uid2-pixel.iife.js'), 'utf8');
  const full = await gzipped(bundle);
  console.log(`full build: ${full} B`);
  for (const [part, remove] of Object.entries(PARTS)) {
    let without: string;
    try {
      without = remove(bundle);
    } catch (e) {
      console.log(`${part}: n/a (${(e as Error).message})`);
      continue;
    }
    console.log(`${part}: ${full - (await gzipped(without))} B`);
  }
  // What is left without every feature beyond the core (CSTG, refresh, storage, events, timer, guards).
  const core = ['consent: TCF v2 and GPP, with the frame locators', 'pixels: track, impression, declarative pixels', 'the legacy init({callback}) and its status codes', 'the stored init config and the self-bootstrap', '__uid2Helper / __euidHelper', 'the official names (setIdentityFrom…, clear)', "Prebid's stored identity, read", 'EUID and __euid'];
  try {
    console.log(`the core, without all of: ${core.join('; ')}: ${await gzipped(core.reduce((c, part) => PARTS[part]!(c), bundle))} B`);
  } catch (e) {
    console.log(`the core: n/a (${(e as Error).message})`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
