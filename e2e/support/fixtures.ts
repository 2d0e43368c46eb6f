// Playwright fixtures of the end-to-end specs: one real stack per worker (operator, collector, demo
// sites, started by scripts/stack.ts on free ports), a browser that resolves *.localhost to it, and a
// recorder of every request the browser makes.
import { randomBytes } from 'node:crypto';
import { test as base, expect } from '@playwright/test';
import { chromiumPath } from '../../scripts/chromium.ts';
import type { CollectorAccess } from './collector.ts';
import { recordRequests, type RecordedRequest } from './privacy.ts';
import { browserArgs, startStack, type RunningStack } from './stack.ts';

/** How often the e2e collectors refresh their sharing keys. */
export const KEY_REFRESH_MS = 1000;

export interface StoryStack extends RunningStack {
  collector: CollectorAccess;
}

export const test = base.extend<{ requests: RecordedRequest[] }, { stack: StoryStack }>({
  // The project's Chromium flags plus the *.localhost mapping, for every spec that uses these fixtures.
  launchOptions: [{ executablePath: chromiumPath, args: browserArgs }, { scope: 'worker' }],
  stack: [
    async ({}, use) => {
      const adminToken = randomBytes(24).toString('hex');
      // Key refresh every second, so a permission revoked in the portal takes effect within the test.
      const stack = await startStack({
        collector: { adminToken, operator: { keyRefreshMs: KEY_REFRESH_MS, keyRefreshJitter: 0 } },
      });
      try {
        await use({ ...stack, collector: { api: stack.api.collector, adminToken } });
      } finally {
        // Ctrl-C must stop every part and exit 0: a failing exit fails the run.
        const code = await stack.stop();
        if (code !== 0) throw new Error(`the stack exited with ${code} on SIGINT:\n${stack.output.slice(-40).join('\n')}`);
        expect(stack.output.at(-1)).toContain('stopped');
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  requests: async ({ context }, use) => {
    await use(recordRequests(context));
  },
});

export { expect };

/** A fresh, distinctive email per test, so segments from other tests never satisfy an assertion. */
export function freshEmail(label: string): string {
  return `${label}.${randomBytes(4).toString('hex')}@example.com`;
}
