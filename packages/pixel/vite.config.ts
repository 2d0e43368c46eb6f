import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { sourceConditions } from '../../scripts/source-condition.ts';

// One source, three builds (Vite cannot emit an IIFE and ESM from different entries in one pass):
//   vite build             -> dist/uid2-pixel.iife.js       (<script> tag: `__uid2`/`uid2pixel`, `__euid`)
//   vite build --mode esm  -> dist/uid2-pixel.js            (ESM, for bundlers)
//   vite build --mode lite -> dist/uid2-pixel.lite.iife.js  (<script> tag, UID2 only, no consent checks)
// build.ts runs both (`pnpm --filter @uid2-pixels/pixel build`).
const src = (f: string) => fileURLToPath(new URL(`./src/${f}`, import.meta.url));

export default defineConfig(({ mode }) => {
  const esm = mode == 'esm';
  const lite = mode == 'lite';
  return {
    ...sourceConditions,
    logLevel: 'warn',
    define: { __LITE__: JSON.stringify(lite) },
    build: {
      target: 'es2020',
      // terser squeezes ~40 B (gzipped) more than esbuild out of the IIFE. unsafe_arrows (function
      // expressions to arrows, ~15 B) is safe here: no function of ours uses this, arguments or new.
      minify: 'terser',
      terserOptions: { ecma: 2020, compress: { passes: 2, unsafe_arrows: true }, format: { comments: false } },
      emptyOutDir: false, // the other build's file lives in the same directory
      reportCompressedSize: false,
      rollupOptions: { output: { strict: false } }, // every module is strict already; saves the prologue
      lib: esm
        ? { entry: src('index.ts'), formats: ['es'], fileName: () => 'uid2-pixel.js' }
        : { entry: src('global.ts'), formats: ['iife'], name: 'uid2pixel', fileName: () => (lite ? 'uid2-pixel.lite.iife.js' : 'uid2-pixel.iife.js') },
    },
  };
});
