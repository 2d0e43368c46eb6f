#!/usr/bin/env node
// The `collector` command: runs the compiled dist/main.js (build: pnpm --filter @uid2-pixels/collector... build).
// Inside the uid2-pixels repository the `@uid2-pixels/source` condition (set by its .npmrc for every
// npm/pnpm command) maps `#main` to src/main.ts instead, which tsx compiles on load.
import { setFlagsFromString } from 'node:v8';

// Heap growth: V8 lets the old generation grow to up to 4x what survived the last full GC before it
// collects again. A collector streaming a file allocates fast and keeps little (a chunk of lines in
// flight), so that headroom, not data, was most of its peak RSS (bench/share.bench.ts: 249 MB for a
// 0.25 GB file, 182 MB with a factor of 1.5). 1.5x keeps the peak near what is live at the cost of
// more frequent (mostly concurrent) full GCs. Read by V8 at every GC, so it applies when set here;
// COLLECTOR_HEAP_GROWING_PERCENT=0 restores V8's default.
const growing = process.env.COLLECTOR_HEAP_GROWING_PERCENT ?? '50';
if (!/^\d{1,4}$/.test(growing)) {
  process.stderr.write(`collector: COLLECTOR_HEAP_GROWING_PERCENT must be a whole number of percent (0 = V8's default), not "${growing}"\n`);
  process.exit(2);
}
setFlagsFromString(`--heap-growing-percent=${Number(growing)}`);

const entry = import.meta.resolve('#main');
if (entry.endsWith('.ts')) (await import('tsx/esm/api')).register();
await import(entry);
