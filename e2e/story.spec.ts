// The whole story in a real browser against the real stack (operator, collector, demo sites, started by
// scripts/stack.ts): an advertiser's conversion and a DSP's impression both reach the receiver's
// collector as the raw UID2 the operator derives for the shopper's email, while no request the browser
// makes carries the email or the raw UID2.
import { counter, segmentMembers, decrypts } from './support/collector.ts';
import { expect, freshEmail, test } from './support/fixtures.ts';
import { rawUidFor } from './support/operator.ts';
import { identifyingForms, leaks } from './support/privacy.ts';
import { checkout, openPortal, readArticle, screenshot, SEGMENTS, selectSender } from './support/story.ts';

const uids = (members: Array<{ uid: string }>) => members.map((m) => m.uid);

test.describe('the story', () => {
  test('the portal shows the grants the story rests on', async ({ page, stack }) => {
    // The advertiser (101) shares with the measurement partner's collector (104) by participant...
    await openPortal(page, stack, 101);
    await expect(page.getByTestId('site-status-104')).toHaveText('shared');
    await expect(page.getByTestId('site-status-105')).toHaveText('not shared');
    await screenshot(page, '01-portal-advertiser-grant');
    // ...the DSP (102) with every data provider by type, which covers the collector...
    await selectSender(page, 102);
    await expect(page.getByTestId('type-status-DATA_PROVIDER')).toHaveText('shared');
    await expect(page.getByTestId('site-status-104')).toHaveText('shared via type');
    await screenshot(page, '02-portal-dsp-grant');
    // ...and the publisher (103) with every DSP, so the DSP can read its bid-stream tokens.
    await selectSender(page, 103);
    await expect(page.getByTestId('type-status-DSP')).toHaveText('shared');
  });

  test('a conversion reaches the collector as the raw UID2 the operator derives for the email', async ({ page, stack, requests }) => {
    const email = freshEmail('shopper');
    const converted = page.waitForResponse((r) => r.url().startsWith(`${stack.urls.collector}/pixel/conversion?`));
    expect(await checkout(page, stack, email, { screenshotAs: '03-shop-checkout' })).toBe('sent');
    expect((await converted).status()).toBe(200);
    await screenshot(page, '04-shop-conversion-sent');

    const rawUid = await rawUidFor(stack, email);
    expect(rawUid).toMatch(/^[A-Za-z0-9+/]{43,44}={0,1}$/);
    await expect.poll(async () => uids(await segmentMembers(stack.collector, SEGMENTS.conversion))).toContain(rawUid);
    const member = (await segmentMembers(stack.collector, SEGMENTS.conversion)).find((m) => m.uid === rawUid)!;
    expect(member.senderSiteId).toBe(101);
    expect(await decrypts(stack.collector, 101, 'Success')).toBeGreaterThanOrEqual(1);

    // Only tokens crossed the browser: the pixel carried one, and nothing carried the email or raw UID2.
    const pixel = requests.find((r) => r.url.startsWith(`${stack.urls.collector}/pixel/conversion?`))!;
    expect(new URL(pixel.url).searchParams.get('uid2_token')).toMatch(/^[A-Za-z0-9_-]{100,}$/);
    expect(requests.some((r) => r.url === `${stack.urls.operator}/v2/token/client-generate`)).toBe(true);
    expect(leaks(requests, identifyingForms({ emails: [email], rawUids: [rawUid!] }))).toEqual([]);
  });

  test('an impression on the publisher page puts the same user into the impression segment', async ({ page, stack, requests }) => {
    const email = freshEmail('reader');
    // The same person buys at the shop and later reads the publisher's article.
    expect(await checkout(page, stack, email)).toBe('sent');
    const impression = page.waitForResponse((r) => r.url().startsWith(`${stack.urls.collector}/pixel/impression?`));
    const bid = page.waitForRequest((r) => r.url() === `${stack.urls.dsp}/bid`);
    expect(await readArticle(page, stack, email)).toBe('rendered');
    expect((await impression).status()).toBe(200);
    await expect(page.frameLocator('[data-testid=ad-frame]').locator('img.banner')).toBeVisible();
    await screenshot(page, '05-publisher-ad');

    const rawUid = await rawUidFor(stack, email);
    await expect.poll(async () => uids(await segmentMembers(stack.collector, SEGMENTS.impression))).toContain(rawUid);
    expect(uids(await segmentMembers(stack.collector, SEGMENTS.conversion))).toContain(rawUid);
    const member = (await segmentMembers(stack.collector, SEGMENTS.impression)).find((m) => m.uid === rawUid)!;
    expect(member.senderSiteId).toBe(102);

    // The bid request carried the publisher's token in user.ext.eids; the impression pixel carried a
    // different token (the DSP's sharing token), never the bid-stream one.
    const bidBody = JSON.parse((await bid).postData() ?? '{}') as { user: { ext: { eids: Array<{ source: string; uids: Array<{ id: string }> }> } } };
    const bidToken = bidBody.user.ext.eids.find((e) => e.source === 'uidapi.com')!.uids[0]!.id;
    const pixel = requests.find((r) => r.url.startsWith(`${stack.urls.collector}/pixel/impression?`))!;
    const pixelToken = new URL(pixel.url).searchParams.get('uid2_token');
    expect(pixelToken).toBeTruthy();
    expect(pixelToken).not.toBe(bidToken);
    expect(leaks(requests, identifyingForms({ emails: [email], rawUids: [rawUid!] }))).toEqual([]);

    // The receiver's own view: both segments hold members.
    expect(await counter(stack.collector, 'collector_events_written_total')).toBeGreaterThanOrEqual(2);
    await page.goto(`${stack.urls.collector}/status`);
    await expect(page.locator('body')).toContainText(SEGMENTS.conversion);
    await expect(page.locator('body')).toContainText(SEGMENTS.impression);
    await screenshot(page, '06-collector-status', { fullPage: true });
  });

  test('no part of the stack tried to log anything identifying', async ({ stack }) => {
    const text = stack.output.join('\n');
    expect(text).toContain('uid2-pixels stack is up');
    expect(text).toMatch(/\[collector\] .*info/);
    // The runner replaces emails, tokens, raw UID2s and credentials with these markers before printing.
    // None may appear: the services must never have logged such a value in the first place.
    expect(text).not.toMatch(/\[(email|phone|token|base64-32|uid2-credential)\]/);
    expect(text).not.toMatch(/[A-Za-z0-9._%+-]+@example\.com/);
  });
});
