// What each part of the full <script> build costs, minified and gzipped (-9): the README's "Size"
// table. It builds the IIFE unminified, takes one part out at a time by editing the bundle's text (a
// call or a line that only that part uses), minifies with the build's own terser options and compares.
// Then it holds the README to what it measured, and exits 1 when the table went stale: a row that names
// no part here (or a part without a row), a part whose marker the bundle no longer holds (update the
// edit here when the code moves), or a figure off by more than `within` allows. The documented-commands test runs
// it (the README shows the command), so the table is checked at no extra cost to the suite.
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

// Keyed by the README row's label, as written there.
const PARTS: Record<string, (code: string) => string> = {
  'consent: TCF v2 and GPP, with the frame locators': (c) => cut(c, ['consent\\(o\\.consent, euid\\(\\)\\)', '[""]']),
  '...of which the frame locators (`__tcfapiLocator` / `__gppLocator`)': (c) => cut(c, ['cmp\\((\\w+), "(__gpp|__tcfapi)", c\\.signal\\)', '$1.$2']),
  'pixels: `track`, `impression`, declarative pixels': (c) =>
    cut(c, ['\\.\\.\\.pixels\\(getToken, o\\)', ''], ['api\\.scan\\(\\);', ''], ['addEventListener\\("DOMContentLoaded", \\(\\) => api\\.scan\\(\\)\\);', '']),
  'CSTG: ECDH, AES-GCM, the request': (c) => cut(c, ['await generate\\([^;]*\\}\\)', '{}']),
  'the legacy `init({callback})` and its status codes': (c) => cut(c, ['if \\(/\\^I/\\.test\\(event\\)\\) legacy\\(\\);', ''], ['else if \\(reason\\) legacy\\(\\);', '']),
  refresh: (c) => cut(c, ['startRefresh\\(id\\);', '']),
  'the stored init config and the self-bootstrap': (c) => cut(c, ['saveConfig\\(o, euid\\(\\)\\);', ''], ['loadConfig\\(euid\\)', '0']),
  '`__uid2Helper` / `__euidHelper`': (c) => cut(c, ['w\\[name \\+ "Helper"\\] = helper;', '']),
  'legacy cookie migration': (c) => cut(c, ['if \\(i == 1 && v\\?\\.advertising_token', 'if (0 && v?.advertising_token']),
  'keeping the identity in memory when storage refuses it': (c) => cut(c, ['memory\\[\\+euid\\] = v;\\s*log\\?\\.\\([^;]*\\);', '']),
  'hex hashes accepted as input': (c) => cut(c, ['if \\(/\\^\\[0-9a-f\\]\\{64\\}\\$/i\\.test\\(hash\\)\\)[^;]*;', '']),
  'the official names (`setIdentityFrom…`, `clear`)': (c) => cut(c, ['(clear|setIdentityFrom\\w+): \\w+\\.\\w+,', '']),
  "Prebid's stored identity, read": (c) => cut(c, ['if \\(v && "latestToken" in v\\)', 'if (0)']),
  'EUID and `__euid`': (c) => cut(c, ['install\\("__euid", createSdk\\(true\\), true\\);', ''], ['const euid = \\(\\) => o\\.scope', 'const euid = () => false && o.scope']),
};
/** The parts taken out together to find the core (CSTG, refresh, storage, events, timer, guards). */
const BEYOND_CORE = [
  'consent: TCF v2 and GPP, with the frame locators',
  'pixels: `track`, `impression`, declarative pixels',
  'the legacy `init({callback})` and its status codes',
  'the stored init config and the self-bootstrap',
  '`__uid2Helper` / `__euidHelper`',
  'the official names (`setIdentityFrom…`, `clear`)',
  "Prebid's stored identity, read",
  'EUID and `__euid`',
];
/** How far a README figure may be from the measured one: the larger of 15 bytes and 10 %. */
const within = (readme: number, measured: number): boolean => Math.abs(readme - measured) <= Math.max(15, measured / 10);

const gzipped = async (code: string) => gzipSync((await minify(code, terserOptions)).code!, { level: 9 }).length;

/** The README's part rows (label -> bytes) and the core figure ("the client still weighs N bytes"). */
async function readmeFigures(): Promise<{ rows: Map<string, number>; core?: number }> {
  const text = await readFile(join(root, 'README.md'), 'utf8');
  const table = text.slice(text.indexOf('| part | bytes |'));
  const rows = new Map<string, number>();
  for (const line of table.split('\n').slice(2)) {
    const m = /^\| (.+?) \| ([\d,]+) \|$/.exec(line);
    if (!m) break;
    rows.set(m[1]!, Number(m[2]!.replace(/,/g, '')));
  }
  const core = /still weighs ([\d,]+) bytes/.exec(text)?.[1];
  return { rows, core: core ? Number(core.replace(/,/g, '')) : undefined };
}

const problems: string[] = [];
const readme = await readmeFigures();
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
      problems.push(`${part}: its marker is gone from the bundle (update the edit in size-parts.ts)`);
      continue;
    }
    const bytes = full - (await gzipped(without));
    console.log(`${part}: ${bytes} B`);
    const shown = readme.rows.get(part);
    if (shown == null) problems.push(`${part}: no README row`);
    else if (!within(shown, bytes)) problems.push(`${part}: README says ${shown} B, measured ${bytes} B`);
  }
  for (const row of readme.rows.keys()) if (!(row in PARTS)) problems.push(`README row "${row}" names no part measured here`);
  // What is left without every feature beyond the core.
  try {
    const core = await gzipped(BEYOND_CORE.reduce((c, part) => PARTS[part]!(c), bundle));
    console.log(`the core, without all of: ${BEYOND_CORE.join('; ')}: ${core} B`);
    if (readme.core == null || !within(readme.core, core)) problems.push(`the core: README says ${readme.core} B, measured ${core} B`);
  } catch (e) {
    console.log(`the core: n/a (${(e as Error).message})`);
    problems.push('the core: a marker is gone');
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
if (problems.length) {
  console.error(`README.md "Size" is stale:\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
