#!/usr/bin/env node
// The `uid2-demo` command: runs the compiled dist/main.js (build: pnpm --filter @uid2-pixels/demo... build).
// Inside the uid2-pixels repository the `@uid2-pixels/source` condition (set by its .npmrc for every
// npm/pnpm command) maps `#main` to src/main.ts instead, which tsx compiles on load.
const entry = import.meta.resolve('#main');
if (entry.endsWith('.ts')) (await import('tsx/esm/api')).register();
await import(entry);
