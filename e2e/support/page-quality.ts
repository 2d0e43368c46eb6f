// What every page of the product must hold at any width: nothing wider than the viewport, and a clean
// console (no errors, no failed loads such as a missing favicon).
import { expect, type Page } from '@playwright/test';

/** The two widths the specs check: a small phone and a laptop. */
export const WIDTHS = [360, 1280] as const;

/** Collects console errors and uncaught exceptions from now on; read the array at the end. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** The document scrolls vertically only. */
export async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `page is ${scrollWidth} px wide in a ${innerWidth} px viewport`).toBeLessThanOrEqual(innerWidth);
}
