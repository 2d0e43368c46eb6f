import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.ts';

export default defineConfig({
  define: { __LITE__: 'false' }, // the tests run the full build's source (the lite build: size.test.ts)
  test: {
    name: 'pixel',
    include: ['test/**/*.test.ts'],
    // Node side: builds the snippet, starts two real operators and a pixel sink (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false, // the snippet draws nothing; a screenshot would say nothing
      provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
