import { defineConfig } from 'vitest/config';

// Every package and app owns its own vitest.config.ts; this file only gathers them.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'test/vitest.config.ts'],
  },
});
