import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { sourceConditions } from '../../scripts/source-condition.ts';

// One source, three builds (Vite cannot emit an IIFE and ESM from different entries in one pass):
//   vite build             -> dist/uid2-pixel.iife.js       (<script> tag: `__uid2`/`uid2pixel`, `__euid`)
//   vite build --mode esm  -> dist/uid2-pixel.js            (ESM, for bundlers)
//   vite build --mode lite -> dist/uid2-pixel.lite.iife.js  (<script> tag, UID2 only, no consent checks)
//   vite build --mode ss-uid2 / ss-euid -> dist/uid2-secure-signals.iife.js / euid-secure-signals.iife.js
//                             (Google Secure Signals, a separate script as the official SDK's is)
// build.ts runs them all (`pnpm --filter @uid2-pixels/pixel build`).
const src = (f: string) => fileURLToPath(new URL(`./src/${f}`, import.meta.url));

// terser squeezes ~40 B (gzipped) more than esbuild out of the IIFE. unsafe_arrows (function
// expressions to arrows, ~15 B) is safe here: no function of ours uses this, arguments or new.
// size-parts.ts minifies with the same options.
export const terserOptions = { ecma: 2020, compress: { passes: 2, unsafe_arrows: true }, format: { comments: false } } as const;

export default defineConfig(({ mode }) => {
  const esm = mode == 'esm';
  const lite = mode == 'lite';
  const secureSignals = mode.startsWith('ss-') && mode.slice(3); // 'uid2' or 'euid'
  return {
    ...sourceConditions,
    logLevel: 'warn',
    define: { __LITE__: JSON.stringify(lite), __EUID__: JSON.stringify(secureSignals == 'euid') },
    build: {
      target: 'es2020',
      minify: 'terser',
      terserOptions,
      emptyOutDir: false, // the other build's file lives in the same directory
      reportCompressedSize: false,
      rollupOptions: { output: { strict: false } }, // every module is strict already; saves the prologue
      lib: esm
        ? { entry: src('index.ts'), formats: ['es'], fileName: () => 'uid2-pixel.js' }
        : secureSignals
          ? { entry: src('secure-signals.ts'), formats: ['iife'], name: 'uid2SecureSignals', fileName: () => `${secureSignals}-secure-signals.iife.js` }
          : { entry: src('global.ts'), formats: ['iife'], name: 'uid2pixel', fileName: () => (lite ? 'uid2-pixel.lite.iife.js' : 'uid2-pixel.iife.js') },
    },
  };
});
