// The operator's pages as a newcomer meets them, at a phone's and a laptop's width: the landing page at
// `/` with its links, and the portal's states (signed out, wrong key, signed in, a created participant's
// one-time credentials, signed out again). No page scrolls sideways or logs a console error.
import { ADMIN_KEY } from './support/operator.ts';
import { expect, test } from './support/fixtures.ts';
import { consoleErrors, expectNoHorizontalOverflow, WIDTHS } from './support/page-quality.ts';
import { screenshot } from './support/story.ts';

test('the stack terminal: every part names its addresses as the banner does, no request lines or config warning by default', async ({ stack }) => {
  const output = stack.output.join('\n');
  const operatorLines = stack.output.filter((line) => line.startsWith('[operator]'));
  const urlsOf = (part: string) => new Set(stack.output.filter((line) => line.startsWith(`[${part}]`)).flatMap((line) => line.match(/https?:\/\/[^\s"(),]+/g) ?? []).map((url) => new URL(url).origin));
  // Each part's startup lines give the very URLs the banner prints (the interface bound is a separate "listen").
  expect([...urlsOf('operator')]).toEqual([new URL(stack.urls.operator).origin]);
  expect([...urlsOf('collector')]).toEqual([new URL(stack.urls.collector).origin]);
  expect([...urlsOf('demo')].sort()).toEqual([stack.urls.shop, stack.urls.publisher, stack.urls.dsp].map((url) => new URL(url).origin).sort());
  for (const [label, url] of Object.entries(stack.urls)) expect(output).toContain(`${label.padEnd(10)} ${url}`);
  expect(output).not.toMatch(/https?:\/\/127\.0\.0\.1/);
  expect(operatorLines.filter((line) => / request \{/.test(line))).toEqual([]);
  expect(output).not.toContain('no --config given');
});

for (const width of WIDTHS) {
  test.describe(`operator pages at ${width} px`, () => {
    test.use({ viewport: { width, height: 900 } });

    test('the landing page says what the operator is and links what matters', async ({ page, stack }) => {
      const errors = consoleErrors(page);
      await page.goto(`${stack.urls.operator}/`);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Local UID2 operator');
      await expect(page.getByTestId('landing-portal-link')).toHaveAttribute('href', '/portal');
      await expect(page.getByTestId('landing-health-link')).toHaveAttribute('href', '/ops/healthcheck');
      await expect(page.getByTestId('landing-metrics-link')).toHaveAttribute('href', '/metrics');
      // pnpm start hands the operator the other sites' addresses.
      await expect(page.getByTestId('site-link-shop')).toHaveAttribute('href', stack.urls.shop);
      await expect(page.getByTestId('site-link-status')).toHaveAttribute('href', `${stack.urls.collector}/status`);
      await expectNoHorizontalOverflow(page);
      if (width === 1280) await screenshot(page, '09-operator-landing');

      await page.getByTestId('landing-docs-link').click();
      await expect(page.getByTestId('api-docs')).toContainText('/v2/token/generate');
      await expectNoHorizontalOverflow(page);
      await page.goBack();
      await page.getByTestId('landing-portal-link').click();
      await expect(page.getByTestId('sign-in-screen')).toBeVisible();
      expect(errors).toEqual([]);
    });

    test('the portal: signed out, wrong key, signed in, a new participant, signed out', async ({ page, stack, context }) => {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.urls.operator });
      const errors = consoleErrors(page);
      await page.goto(`${stack.urls.operator}/portal`);

      // Signed out: only the sign-in screen, which says where the key is.
      await expect(page.getByTestId('sign-in-screen')).toBeVisible();
      await expect(page.getByTestId('sign-in-screen')).toContainText('apps/operator/fixtures/dev.json');
      await expect(page.getByTestId('portal-app')).toBeHidden();
      await expect(page.getByTestId('sign-out')).toBeHidden();
      await expectNoHorizontalOverflow(page);
      if (width === 360) await screenshot(page, '10-portal-sign-in');

      // A wrong key, submitted with Enter.
      await page.getByTestId('admin-key').fill('not-the-admin-key');
      await page.getByTestId('admin-key').press('Enter');
      await expect(page.getByTestId('sign-in-error')).toHaveText(/^That admin key is not right\. Use adminKey from apps\/operator\/fixtures\/dev\.json/);
      await expect(page.getByTestId('portal-app')).toBeHidden();
      await expectNoHorizontalOverflow(page);

      // The right key, with Enter too.
      await page.getByTestId('admin-key').fill(ADMIN_KEY);
      await page.getByTestId('admin-key').press('Enter');
      await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
      await expect(page.getByTestId('sign-in-screen')).toBeHidden();
      await expect(page.getByTestId('signed-in-as')).toBeVisible();
      await expect(page.getByTestId('sign-out')).toBeVisible();
      await expect(page.getByTestId('sharing-sender')).not.toBeEmpty();
      await expect(page.getByTestId('optout-explain')).toContainText('optout@example.com');
      await expect(page.getByTestId('keyset-row--1')).toContainText('Master keyset');
      await expect(page.getByTestId('keyset-row--2')).toContainText('Refresh keyset');
      await expect(page.getByTestId('keys-legend')).toContainText('seals new tokens now');
      await expect(page.getByTestId('audit-row').first()).not.toContainText(/\d{13}/);
      await expectNoHorizontalOverflow(page);

      // The form refuses what cannot work, naming each problem.
      await page.getByTestId('new-participant-domains').fill('https://shop.example/');
      await page.getByTestId('new-participant-submit').click();
      await expect(page.getByTestId('new-participant-error')).toHaveText(
        'Give the participant a name. Choose at least one role. Not a host name: https://shop.example/ (like shop.example or localhost; no scheme, port or path).',
      );

      // A participant (an advertiser: no fixture participant shares by that type, so the story is untouched).
      const name = `Newcomer Shop ${width}`;
      await page.getByTestId('new-participant-name').fill(name);
      await page.getByTestId('new-participant-type').selectOption('ADVERTISER');
      await page.getByTestId('new-participant-role-GENERATOR').check();
      await page.getByTestId('new-participant-domains').fill('newcomer.example, localhost');
      await page.getByTestId('new-participant-submit').click();
      const credentials = page.getByTestId('new-participant-credentials');
      await expect(credentials).toBeVisible();
      await expect(page.getByTestId('credentials-title')).toContainText(name);
      const apiKey = (await page.getByTestId('credential-apiKey').textContent())!;
      expect(apiKey).toMatch(/^UID2-C-L-\d+-/);
      await expect(page.getByTestId('snippet-sdk')).toContainText('await publisher.generateToken(');
      await expect(page.getByTestId('snippet-pixel')).toContainText(`subscriptionId: '${await page.getByTestId('credential-subscriptionId').textContent()}'`);
      // The form is empty again, so a second click cannot add the same participant twice.
      await expect(page.getByTestId('new-participant-name')).toHaveValue('');
      await expect(page.getByTestId('new-participant-role-GENERATOR')).not.toBeChecked();
      await expect(page.getByTestId('audit-row').first()).toContainText(`Added participant`);
      await page.getByTestId('copy-apiKey').click();
      await expect(page.getByTestId('copy-apiKey')).toHaveText('Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);
      await expectNoHorizontalOverflow(page);
      await credentials.scrollIntoViewIfNeeded();
      // The throwaway stack's key and secret stay out of the committed picture all the same.
      await screenshot(page, `11-portal-new-participant-${width}`, { mask: [page.getByTestId('credential-apiKey'), page.getByTestId('credential-secret')] });

      // Signing out leaves nothing on screen, the credentials included.
      await page.getByTestId('sign-out').click();
      await expect(page.getByTestId('sign-in-screen')).toBeVisible();
      await expect(page.getByTestId('portal-app')).toBeHidden();
      await page.reload();
      await expect(page.getByTestId('sign-in-screen')).toBeVisible();
      expect(errors).toEqual([]);
    });
  });
}
