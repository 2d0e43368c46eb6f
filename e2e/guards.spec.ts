// The negative paths of the story, in a real browser against the real stack: a receiver without
// permission, a permission revoked in the portal, an opted-out email, and tampered and expired tokens.
// In each case the browser gets the same answer as on success, and nothing reaches a segment.
import { encryptRawUid, KeyRing, SharingClient, tryCreativePixelUrl } from '@uid2-pixels/uid2';
import { counter, decrypts, segmentMembers, segmentSizes, type CollectorAccess } from './support/collector.ts';
import { expect, freshEmail, test } from './support/fixtures.ts';
import { admin, optedOutRawUids, participant, rawUidFor } from './support/operator.ts';
import { identifyingForms, leaks } from './support/privacy.ts';
import { startRivalCollector } from './support/rival.ts';
import { checkout, openPortal, readArticle, screenshot, SEGMENTS } from './support/story.ts';

const uids = async (collector: CollectorAccess, segment: string) => (await segmentMembers(collector, segment)).map((m) => m.uid);
const decryptStatus = (collector: CollectorAccess, status: string) => counter(collector, 'collector_decrypt_total', { status });

/** Resolves after the collector finished two key refreshes, so one of them started after `now`. */
async function nextKeyRefresh(collector: CollectorAccess): Promise<void> {
  const seen = await counter(collector, 'collector_key_refreshes_total', { result: 'ok' });
  await expect.poll(() => counter(collector, 'collector_key_refreshes_total', { result: 'ok' }), { timeout: 15_000 }).toBeGreaterThanOrEqual(seen + 2);
}

/** The token a pixel URL carries. */
const tokenOf = (url: string) => new URL(url).searchParams.get('uid2_token')!;

test.describe('what must not happen', () => {
  test('a receiver without permission decrypts nothing and writes nothing', async ({ page, stack, requests }) => {
    const rival = await startRivalCollector(stack);
    try {
      const email = freshEmail('shopper');
      expect(await checkout(page, stack, email)).toBe('sent');
      const pixel = requests.find((r) => r.url.startsWith(`${stack.urls.collector}/pixel/conversion?`))!;
      const rawUid = (await rawUidFor(stack, email))!;
      await expect.poll(() => uids(stack.collector, SEGMENTS.conversion)).toContain(rawUid);

      // The same pixel reaches Rival Retail's collector (a copied tag, or traffic it can see). It holds
      // sharing keys from the operator like any participant, but none of the advertiser's.
      const before = await decryptStatus(rival, 'NotAuthorizedForKey');
      const response = await page.goto(`${rival.url}/pixel/conversion?uid2_token=${encodeURIComponent(tokenOf(pixel.url))}`);
      expect(response?.status()).toBe(200); // the same answer as a success: the caller learns nothing
      await expect.poll(() => decryptStatus(rival, 'NotAuthorizedForKey')).toBe(before + 1);
      expect(await decryptStatus(rival, 'Success')).toBe(0);
      expect(Object.values(await segmentSizes(rival)).every((size) => size === 0)).toBe(true);
      expect(leaks(requests, identifyingForms({ emails: [email], rawUids: [rawUid] }))).toEqual([]);
    } finally {
      await rival.stop();
    }
  });

  test('a permission revoked in the portal stops writes after the next key refresh, still attributed to the sender; granting again restores them', async ({ page, stack, browser }) => {
    const portal = await browser.newPage();
    try {
      // While Acme shares, its pixel is written: the collector learns which site Acme's key belongs to.
      const sharedEmail = freshEmail('while-shared');
      expect(await checkout(page, stack, sharedEmail)).toBe('sent');
      await expect.poll(() => uids(stack.collector, SEGMENTS.conversion)).toContain(await rawUidFor(stack, sharedEmail));

      await openPortal(portal, stack, 101);
      await portal.getByTestId('revoke-site-104').click();
      await expect(portal.getByTestId('site-status-104')).toHaveText('not shared');
      await expect(portal.getByTestId('allowed-sites')).toHaveText('102'); // its DSP keeps its grant
      await screenshot(portal, '07-portal-revoked');
      await nextKeyRefresh(stack.collector);

      const revokedEmail = freshEmail('after-revoke');
      const before = await decryptStatus(stack.collector, 'NotAuthorizedForKey');
      // The shop cannot tell: it gets a token and fires its pixel as always.
      expect(await checkout(page, stack, revokedEmail)).toBe('sent');
      await expect.poll(() => decryptStatus(stack.collector, 'NotAuthorizedForKey')).toBe(before + 1);
      const revokedUid = (await rawUidFor(stack, revokedEmail))!;
      expect(await uids(stack.collector, SEGMENTS.conversion)).not.toContain(revokedUid);
      // The failure is Acme's, by name, on the status page and in the metrics: not "sender unknown".
      expect(await decrypts(stack.collector, 101, 'NotAuthorizedForKey')).toBeGreaterThanOrEqual(1);
      expect(await decrypts(stack.collector, 'unknown', 'NotAuthorizedForKey')).toBe(0);
      const status = await browser.newPage();
      await status.goto(`${stack.urls.collector}/status`);
      await expect(status.getByTestId('sender-101')).toContainText(/^Acme Shop \(101\) · localhost, shop\.uid2\.test: .*not_authorised \d+.* — key no longer shared with us \(\d+ pixels? sealed with it\)$/);
      await expect(status.getByTestId('sender-unknown')).toHaveCount(0);
      await status.getByRole('heading', { name: 'By sender' }).evaluate((h) => h.scrollIntoView());
      await screenshot(status, '07b-status-revoked-sender');
      await status.close();

      await openPortal(portal, stack, 101);
      await portal.getByTestId('grant-site-104').click();
      await expect(portal.getByTestId('site-status-104')).toHaveText('shared');
      await nextKeyRefresh(stack.collector);
      const grantedEmail = freshEmail('after-grant');
      expect(await checkout(page, stack, grantedEmail)).toBe('sent');
      await expect.poll(() => uids(stack.collector, SEGMENTS.conversion)).toContain(await rawUidFor(stack, grantedEmail));
      // The pixel that arrived while the grant was revoked stays lost: nothing is kept to replay.
      expect(await uids(stack.collector, SEGMENTS.conversion)).not.toContain(revokedUid);
    } finally {
      // Leave the story's grant in place for the other tests, whatever happened above.
      await admin(stack, 'POST', '/sharing/101/grant', { sites: [104] });
      await portal.close();
    }
  });

  test('an opted-out email gets no token, fires no pixel and no bid, and nothing is written', async ({ page, stack, browser, requests }) => {
    const email = freshEmail('opted-out');
    const optedOutBefore = new Set(await optedOutRawUids(stack));
    // The person opts out of UID2 (here through the local portal, in a separate browser context: the
    // opt-out page is the one place the email is meant to go).
    const portalContext = await browser.newContext();
    const portal = await portalContext.newPage();
    await openPortal(portal, stack, 101);
    await portal.getByTestId('optout-input').fill(email);
    await portal.getByTestId('optout-submit').click();
    await expect(portal.getByTestId('optout-result')).toHaveText('Opted out');
    await portalContext.close();
    const rawUid = (await optedOutRawUids(stack)).find((uid) => !optedOutBefore.has(uid))!;
    expect(rawUid).toBeTruthy();
    expect(await rawUidFor(stack, email)).toBeNull(); // identity map answers "optout" too

    expect(await checkout(page, stack, email)).toBe('no-token');
    await expect(page.getByTestId('conversion-status')).toContainText('opted out');
    await screenshot(page, '08-shop-opted-out');
    expect(await readArticle(page, stack, email)).toBe('no-token');

    expect(requests.filter((r) => r.url.startsWith(stack.urls.collector))).toEqual([]);
    expect(requests.filter((r) => r.url.startsWith(`${stack.urls.dsp}/bid`))).toEqual([]);
    expect(await uids(stack.collector, SEGMENTS.conversion)).not.toContain(rawUid);
    expect(await uids(stack.collector, SEGMENTS.impression)).not.toContain(rawUid);
    expect(leaks(requests, identifyingForms({ emails: [email], rawUids: [rawUid] }))).toEqual([]);
  });

  test('a tampered token writes nothing, while the untouched one does', async ({ page, stack, requests }) => {
    const email = freshEmail('tampered');
    // Hold the shop's own pixel back, so the only copies that reach the collector are the ones below.
    await page.route(`${stack.urls.collector}/pixel/**`, (route) => route.abort());
    expect(await checkout(page, stack, email)).toBe('sent');
    await page.unrouteAll();
    const original = requests.find((r) => r.url.startsWith(`${stack.urls.collector}/pixel/conversion?`))!.url;
    const token = tokenOf(original);
    const at = Math.floor(token.length / 2);
    const tampered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
    const rawUid = (await rawUidFor(stack, email))!;

    const failedBefore = await counter(stack.collector, 'collector_pixel_outcomes_total', { outcome: 'invalid' });
    const response = await page.goto(`${stack.urls.collector}/pixel/conversion?uid2_token=${encodeURIComponent(tampered)}`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => counter(stack.collector, 'collector_pixel_outcomes_total', { outcome: 'invalid' })).toBe(failedBefore + 1);
    expect(await uids(stack.collector, SEGMENTS.conversion)).not.toContain(rawUid);

    await page.goto(original);
    await expect.poll(() => uids(stack.collector, SEGMENTS.conversion)).toContain(rawUid);
  });

  test('an expired token writes nothing, while a fresh one from the same keys does', async ({ page, stack }) => {
    const rawUid = (await rawUidFor(stack, freshEmail('late-impression')))!;
    // Act as the DSP (site 102) with its own sharing keys, encrypting with a one-second token lifetime:
    // a creative pixel that fires after its token expired.
    const dspCredentials = participant(102);
    const dsp = new SharingClient({ baseUrl: stack.api.operator, apiKey: dspCredentials.apiKey, secret: dspCredentials.secret });
    const ring = await dsp.refreshKeys();
    const shortLived = new KeyRing({
      keys: ring.keys,
      callerSiteId: ring.callerSiteId,
      masterKeysetId: ring.masterKeysetId,
      defaultKeysetId: ring.defaultKeysetId,
      identityScope: ring.identityScope,
      tokenExpirySeconds: 1,
    });
    const expired = encryptRawUid(rawUid, shortLived);
    expect(expired.status).toBe('Success');
    await new Promise((done) => setTimeout(done, 2_100));

    const before = await decryptStatus(stack.collector, 'ExpiredToken');
    const template = `${stack.urls.collector}/pixel/impression?uid2_token=%%UID2_TOKEN%%`;
    const response = await page.goto(template.replace('%%UID2_TOKEN%%', encodeURIComponent(expired.token!)));
    expect(response?.status()).toBe(200);
    await expect.poll(() => decryptStatus(stack.collector, 'ExpiredToken')).toBe(before + 1);
    expect(await uids(stack.collector, SEGMENTS.impression)).not.toContain(rawUid);

    const fresh = tryCreativePixelUrl(template, rawUid, dsp);
    expect(fresh.status).toBe('Success');
    await page.goto(fresh.url!);
    await expect.poll(() => uids(stack.collector, SEGMENTS.impression)).toContain(rawUid);
  });
});
