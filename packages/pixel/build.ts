// Builds the snippet (both formats) with Vite's API. Demo sites and the size test call buildSnippet();
// from a shell: `pnpm --filter @uid2-pixels/pixel build`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export interface SnippetBuild {
  /** Absolute paths of the two files. */
  iife: string;
  esm: string;
  /** Size of the minified IIFE, raw and gzip -9, in bytes. */
  bytes: number;
  gzipBytes: number;
  /** The lite IIFE (UID2 only, no consent checks) and its gzip -9 size. */
  lite: string;
  liteGzipBytes: number;
  /** The Google Secure Signals scripts (separate from the snippet) and their gzip -9 sizes. */
  secureSignals: { uid2: string; euid: string; uid2GzipBytes: number; euidGzipBytes: number };
}

/** Builds dist/uid2-pixel.iife.js and dist/uid2-pixel.js (or into `outDir`) and measures the IIFE. */
export async function buildSnippet(outDir = join(root, 'dist')): Promise<SnippetBuild> {
  const configFile = join(root, 'vite.config.ts');
  for (const mode of ['production', 'esm', 'lite', 'ss-uid2', 'ss-euid']) {
    await build({ root, configFile, mode, build: { outDir } });
  }
  const iife = join(outDir, 'uid2-pixel.iife.js');
  const code = await readFile(iife);
  const lite = join(outDir, 'uid2-pixel.lite.iife.js');
  const gzipBytes = async (file: string) => gzipSync(await readFile(file), { level: 9 }).length;
  const [uid2, euid] = ['uid2', 'euid'].map((p) => join(outDir, `${p}-secure-signals.iife.js`)) as [string, string];
  return {
    iife,
    esm: join(outDir, 'uid2-pixel.js'),
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    lite,
    liteGzipBytes: await gzipBytes(lite),
    secureSignals: { uid2, euid, uid2GzipBytes: await gzipBytes(uid2), euidGzipBytes: await gzipBytes(euid) },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const b = await buildSnippet(process.argv[2]);
  const ss = b.secureSignals;
  console.log(
    `${b.iife}: ${b.bytes} B minified, ${b.gzipBytes} B gzipped\n${b.lite}: ${b.liteGzipBytes} B gzipped\n${b.esm}\n` +
      `${ss.uid2}: ${ss.uid2GzipBytes} B gzipped\n${ss.euid}: ${ss.euidGzipBytes} B gzipped`,
  );
}
