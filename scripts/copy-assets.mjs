// Copies the files an app reads at run time (HTML, CSS, browser JS, images) from src/ to dist/, keeping
// their paths, so the compiled modules find them next to themselves as the sources do.
// Usage (from an app's directory): node ../../scripts/copy-assets.mjs src dist
import { cpSync } from 'node:fs';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  process.stderr.write('usage: node scripts/copy-assets.mjs <src-dir> <dist-dir>\n');
  process.exit(2);
}
cpSync(from, to, { recursive: true, filter: (path) => !path.endsWith('.ts') });
