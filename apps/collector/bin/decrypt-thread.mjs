// A decrypt thread of the collector (src/decrypt-threads.ts starts it; not a command). Loads the
// thread's code as bin/collector.mjs loads the collector: the compiled dist/, or inside the repository
// (the `@uid2-pixels/source` condition) src/ through tsx.
const entry = import.meta.resolve('#decrypt-thread');
if (entry.endsWith('.ts')) (await import('tsx/esm/api')).register();
await import(entry);
