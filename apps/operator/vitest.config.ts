import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../scripts/source-condition.ts';

export default defineConfig({
  ...sourceConditions,
  test: {
    name: 'operator',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
