import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../scripts/source-condition.ts';

// Repository-level tests: what leaves the repository (packed tarballs installed with plain npm, apps
// built and started with plain node) and every command the docs show.
export default defineConfig({
  ...sourceConditions,
  test: {
    name: 'repo',
    include: ['*.test.ts'],
    environment: 'node',
    // One file at a time: they build the same dist/ directories (pack, pnpm build, documented builds).
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
