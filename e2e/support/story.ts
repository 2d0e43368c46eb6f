// Steps of the story that several specs share: the portal, the shop checkout, the publisher page,
// and the screenshots the walkthrough (docs/walkthrough.md) shows.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { ADMIN_KEY } from './operator.ts';
import { repoRoot, type RunningStack } from './stack.ts';

/** The collector's segments for the story's two senders (the collector's dev config defaults). */
export const SEGMENTS = { conversion: 'acme-converters', impression: 'bidwell-impressions' } as const;

// Screenshots go to test-results/ on every run, so that running the tests leaves the checkout clean;
// UPDATE_SCREENSHOTS=1 writes them into docs/screenshots, where the walkthrough shows them.
const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS === '1'
  ? join(repoRoot, 'docs/screenshots')
  : join(repoRoot, 'test-results/screenshots');

/** Saves a screenshot for the walkthrough. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean; mask?: Locator[] } = {}): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: options.fullPage ?? false, mask: options.mask ?? [], maskColor: '#d9dbe3' });
}

/** Opens the operator's portal, signs in with the admin key and shows one sender's permissions. */
export async function openPortal(page: Page, stack: RunningStack, senderSiteId: number): Promise<void> {
  await page.goto(`${stack.urls.operator}/portal`);
  // A page that signed in before keeps its session (sessionStorage) and skips the sign-in screen.
  const signIn = page.getByTestId('sign-in-screen');
  await expect(page.locator('[data-testid="sign-in-screen"]:visible, [data-testid="sign-out"]:visible').first()).toBeVisible();
  if (await signIn.isVisible()) {
    await page.getByTestId('admin-key').fill(ADMIN_KEY);
    await page.getByTestId('admin-key-save').click();
  }
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  await selectSender(page, senderSiteId);
}

export async function selectSender(page: Page, senderSiteId: number): Promise<void> {
  await page.getByTestId('participant-select').selectOption(String(senderSiteId));
  await expect(page.getByTestId('sharing-sender')).toContainText(`${senderSiteId} `);
}

/** The shopper checks out with an email; resolves once the page says what happened. */
export async function checkout(page: Page, stack: RunningStack, email: string, options: { screenshotAs?: string } = {}) {
  await page.goto(stack.urls.shop);
  await page.getByTestId('email').fill(email);
  if (options.screenshotAs) await screenshot(page, options.screenshotAs);
  await page.getByTestId('place-order').click();
  const status = page.getByTestId('conversion-status');
  await expect(status).toHaveAttribute('data-state', /^(sent|no-token|error)$/);
  return (await status.getAttribute('data-state')) as 'sent' | 'no-token' | 'error';
}

/** The reader signs in on the publisher page; resolves with the ad slot's outcome. */
export async function readArticle(page: Page, stack: RunningStack, email: string) {
  await page.goto(stack.urls.publisher);
  await page.getByTestId('email').fill(email);
  await page.getByTestId('sign-in').click();
  const status = page.getByTestId('ad-status');
  await expect(status).toHaveAttribute('data-state', /^(rendered|no-bid|no-token|error)$/);
  return (await status.getAttribute('data-state')) as 'rendered' | 'no-bid' | 'no-token' | 'error';
}
