// What a newcomer meets besides the story itself, in a real browser against the real stack, on a phone
// (360 px) and a desktop (1,280 px): the landing pages of the collector and the DSP, the shop's and the
// publisher's states (order placed, signed in, signed out, no ad for a reader who never shopped), the
// next-step links that walk the story, and the collector's status page opened after it all. Every page
// must fit its width (no sideways scrolling) and log no console error.
import { expect, freshEmail, test } from './support/fixtures.ts';
import { consoleErrors, expectNoHorizontalOverflow, WIDTHS } from './support/page-quality.ts';
import { screenshot } from './support/story.ts';

for (const width of WIDTHS) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: 900 } });

    test('the collector and the DSP greet a newcomer with what they are and where to go', async ({ page, stack }) => {
      const errors = consoleErrors(page);
      await page.goto(stack.urls.collector);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('UID2 pixel collector');
      for (const href of ['/status', '/healthz', '/readyz', '/metrics']) await expect(page.getByTestId('links').locator(`a[href="${href}"]`)).toBeVisible();
      await expectNoHorizontalOverflow(page);
      await screenshot(page, `collector-landing-${width}`, { fullPage: true });

      await page.goto(stack.urls.dsp);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Bidwell DSP');
      await expect(page.getByTestId('audience-size')).toContainText("in Acme Shop's audience");
      await expect(page.getByTestId('nav-shop')).toHaveAttribute('href', stack.urls.shop);
      await expect(page.getByTestId('nav-collector')).toHaveAttribute('href', `${stack.urls.collector}/status`);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, `dsp-landing-${width}`, { fullPage: true });
      expect(errors).toEqual([]);
    });

    test('the story, step by step: order placed, signed in with an ad, next steps, signed out', async ({ page, stack }) => {
      const errors = consoleErrors(page);
      const email = freshEmail(`walker${width}`);
      await page.goto(stack.urls.shop);
      await expectNoHorizontalOverflow(page);
      await page.getByTestId('email').fill(email);
      await page.getByTestId('place-order').click();
      await expect(page.getByTestId('conversion-status')).toHaveAttribute('data-state', 'sent');
      // One order: the button stays disabled and says so; the next step is the publisher.
      await expect(page.getByTestId('place-order')).toBeDisabled();
      await expect(page.getByTestId('place-order')).toHaveText('Order placed');
      await expect(page.getByTestId('next-step-link')).toHaveAttribute('href', stack.urls.publisher);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, `shop-order-placed-${width}`, { fullPage: true });

      await page.getByTestId('next-step-link').click();
      await expect(page).toHaveURL(new RegExp(`^${stack.urls.publisher}`));
      await page.getByTestId('email').fill(email);
      await page.getByTestId('sign-in').click();
      await expect(page.getByTestId('ad-status')).toHaveAttribute('data-state', 'rendered');
      // Signed in: who, and a way out, instead of the form.
      await expect(page.getByTestId('signin-form')).toBeHidden();
      await expect(page.getByTestId('signed-in-as')).toHaveText(email);
      await expect(page.frameLocator('[data-testid=ad-frame]').locator('img.banner')).toBeVisible();
      await expect(page.getByTestId('next-step-link')).toHaveAttribute('href', `${stack.urls.collector}/status`);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, `publisher-signed-in-${width}`, { fullPage: true });

      // A reload keeps the reader signed in, from the snippet's stored identity: no form, the ad again.
      await page.reload();
      await expect(page.getByTestId('signed-in')).toBeVisible();
      await expect(page.getByTestId('signin-form')).toBeHidden();
      await expect(page.getByTestId('signed-in-text')).toHaveText('Signed in', { useInnerText: true });
      await expect(page.getByTestId('signed-in-kept')).toBeVisible();
      await expect(page.getByTestId('ad-status')).toHaveAttribute('data-state', 'rendered');
      await expect(page.frameLocator('[data-testid=ad-frame]').locator('img.banner')).toBeVisible();
      // ...and the page never stored the email: only the snippet's token is kept.
      const kept = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
      expect(kept).toContain('advertising_token');
      expect(kept.toLowerCase()).not.toContain(email.toLowerCase());
      expect(kept).not.toContain(encodeURIComponent(email));
      await expectNoHorizontalOverflow(page);
      await screenshot(page, `publisher-signed-in-reloaded-${width}`, { fullPage: true });

      // Sign-out is the snippet's disconnect(): the identity is gone, and stays gone after a reload.
      await page.getByTestId('sign-out').click();
      await expect(page.getByTestId('signin-form')).toBeVisible();
      await expect(page.getByTestId('signed-in')).toBeHidden();
      await expect(page.getByTestId('ad-status')).toContainText('Signed out');
      // No identity is left anywhere. The snippet's stored init config (`UID2-sdk-identity_config`: base URL
      // and storage settings, as the official SDK keeps it for its self-bootstrap) may stay: it names nobody.
      await expect
        .poll(() =>
          page.evaluate(() => {
            const stored = [...Object.keys(localStorage).filter((k) => /uid2|euid/i.test(k) && !k.endsWith('_config')), ...document.cookie.split('; ').filter((c) => /^(__uid_2|__euid|UID2|EUID)[^=]*=/i.test(c) && !/^[^=]*_config=/.test(c))];
            return stored.concat(Object.values(localStorage).filter((v) => /advertising_token|refresh_token/.test(v)));
          }),
        )
        .toEqual([]);
      await page.reload();
      await expect(page.getByTestId('signin-form')).toBeVisible();
      await expect(page.getByTestId('signed-in')).toBeHidden();
      await expect(page.getByTestId('ad-status')).toHaveAttribute('data-state', 'idle');
      expect(errors).toEqual([]);
    });

    test('a reader who never shopped at Acme gets no retargeting ad, and is told where to go', async ({ page, stack }) => {
      const errors = consoleErrors(page);
      await page.goto(stack.urls.publisher);
      await page.getByTestId('email').fill(freshEmail(`stranger${width}`));
      await page.getByTestId('sign-in').click();
      await expect(page.getByTestId('ad-status')).toHaveAttribute('data-state', 'no-bid');
      await expect(page.getByTestId('ad-frame')).toHaveCount(0);
      await expect(page.getByTestId('next-step-link')).toHaveAttribute('href', stack.urls.shop);
      await expectNoHorizontalOverflow(page);
      await screenshot(page, `publisher-no-ad-${width}`, { fullPage: true });
      expect(errors).toEqual([]);
    });

    test('the status page, opened after the story, shows it since the collector started', async ({ page, stack }) => {
      const errors = consoleErrors(page);
      await page.goto(`${stack.urls.collector}/status`);
      const chart = page.getByTestId('events-chart');
      // Both segments hold the story's events (the specs above ran first in this worker's stack).
      await expect(chart).toHaveAttribute('aria-label', /acme-converters [1-9]\d*, bidwell-impressions [1-9]\d*/);
      await expect(page.locator('#events path')).toHaveCount(2);
      await expect(page.getByTestId('sender-101')).toContainText('Acme Shop (101)');
      await expect(page.getByTestId('events-legend')).toContainText('since start');
      await expectNoHorizontalOverflow(page);
      const fontSize = await page.locator('#events svg text').first().evaluate((t) => getComputedStyle(t).fontSize);
      expect(fontSize).toBe('12px');
      await screenshot(page, `collector-status-${width}`, { fullPage: true });
      expect(errors).toEqual([]);
    });

    test('an admin token given in the status URL leaves the address bar at once and still rides on every poll', async ({ page, stack }) => {
      const token = `status-token-${width}-0123456789abcdefghijklmnopqrstuv`;
      const sent: Array<string | undefined> = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/status.json')) sent.push(r.headers()['authorization']);
      });
      await page.goto(`${stack.urls.collector}/status#token=${token}`);
      await expect.poll(() => page.url()).toBe(`${stack.urls.collector}/status`);
      await expect.poll(() => sent.length).toBeGreaterThanOrEqual(2); // polls every 2 s
      expect(sent.every((h) => h === `Bearer ${token}`)).toBe(true);
      await page.reload(); // the same tab keeps it, without the fragment
      await expect.poll(() => sent.length).toBeGreaterThanOrEqual(3);
      expect(sent.at(-1)).toBe(`Bearer ${token}`);
    });
  });
}
