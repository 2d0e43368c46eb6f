// Bundles e2e/prebid/entry.js (Prebid core + userId + uid2IdSystem from node_modules/prebid.js) into one
// IIFE with Vite's build API. esbuild is not resolvable from the repo root (it is only vite's own
// dependency), and Vite is. Unminified: the spec reads Prebid's behaviour, size does not matter here.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Writes `<outDir>/prebid.js` (global `pbjs`) and returns its path. */
export async function bundlePrebid(outDir: string): Promise<string> {
  await build({
    configFile: false,
    root: here,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: false,
      minify: false,
      target: 'es2020',
      reportCompressedSize: false,
      lib: { entry: join(here, 'entry.js'), formats: ['iife'], name: 'prebidBundle', fileName: () => 'prebid.js' },
    },
  });
  return join(outDir, 'prebid.js');
}
