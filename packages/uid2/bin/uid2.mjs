#!/usr/bin/env node
// The `uid2` CLI: runs the compiled dist/esm/cli/main.js. Inside the uid2-pixels repository the
// `@uid2-pixels/source` condition (set by its .npmrc for every npm/pnpm command) maps `#cli` to the
// TypeScript source instead, which tsx (a development dependency there) compiles on load.
const entry = import.meta.resolve('#cli');
if (entry.endsWith('.ts')) (await import('tsx/esm/api')).register();
await import(entry);
