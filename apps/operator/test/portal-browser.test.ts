// The portal page in real Chromium: sign in, grant and revoke by type and by participant, add a
// participant, opt someone out, rotate keys, give a role, rotate salt buckets, read the audit trail. Checks the admin API agrees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright';
import { chromiumArgs, chromiumPath } from '../../../scripts/chromium.ts';
import { admin, startTestOperator, type TestOperator } from './helpers.ts';

let op: TestOperator;
let browser: Browser;
let page: Page;
const byId = (id: string) => page.locator(`[data-testid="${id}"]`);

beforeAll(async () => {
  op = await startTestOperator();
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${op.url}/portal`);
  await byId('admin-key').fill(op.adminKey!);
  await byId('admin-key-save').click();
  await page.locator('body[data-ready="true"]').waitFor();
  expect(errors).toEqual([]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await op?.dispose();
});

describe('portal page', () => {
  it('shows the selected sender’s grants', async () => {
    await byId('participant-select').selectOption('103');
    await expect.poll(() => byId('type-status-DSP').textContent()).toBe('shared');
    expect(await byId('site-status-102').textContent()).toBe('shared via type');
    expect(await byId('allowed-sites').textContent()).toBe('102');
    expect(await byId('grant-site-102').isDisabled()).toBe(true);
  });

  it('grants and revokes by type and by participant', async () => {
    await byId('participant-select').selectOption('105');
    await expect.poll(() => byId('allowed-sites').textContent()).toBe('none');
    await byId('grant-type-DATA_PROVIDER').click();
    await expect.poll(() => byId('type-status-DATA_PROVIDER').textContent()).toBe('shared');
    await byId('grant-site-101').click();
    await expect.poll(() => byId('site-status-101').textContent()).toBe('shared');
    await expect.poll(() => byId('allowed-sites').textContent()).toBe('101, 104, 107');
    expect((await admin(op, 'GET', '/sharing/105')).json).toMatchObject({ sites: [101], types: ['DATA_PROVIDER'], allowedSites: [101, 104, 107] });

    await byId('revoke-site-101').click();
    await expect.poll(() => byId('site-status-101').textContent()).toBe('not shared');
    await byId('revoke-type-DATA_PROVIDER').click();
    await expect.poll(() => byId('allowed-sites').textContent()).toBe('none');
    expect((await admin(op, 'GET', '/sharing/105')).json).toMatchObject({ sites: [], types: [], allowedSites: [] });
  });

  it('adds a participant and shows its credentials once', async () => {
    await byId('new-participant-name').fill('Portal DSP');
    await byId('new-participant-type').selectOption('DSP');
    await byId('new-participant-role-ID_READER').check();
    await byId('new-participant-domains').fill('portal-dsp.example');
    await byId('new-participant-submit').click();
    await expect.poll(() => byId('new-participant-credentials').textContent()).toContain('UID2-C-L-108-');
    await byId('participant-row-108').waitFor();
    // Daily Planet shares with type DSP, so the new DSP is covered at once
    await byId('participant-select').selectOption('103');
    await expect.poll(() => byId('allowed-sites').textContent()).toBe('102, 108');
  });

  it('opts out, rotates, and lists it all in the audit trail', async () => {
    const before = Number(await byId('optout-count').textContent());
    await byId('optout-input').fill('portal.user@example.com');
    await byId('optout-submit').click();
    await expect.poll(() => byId('optout-result').textContent()).toBe('Opted out');
    await expect.poll(async () => Number(await byId('optout-count').textContent())).toBe(before + 1);

    await byId('rotate-activate-now').check();
    await byId('rotate-keys').click();
    await expect.poll(() => byId('rotate-result').textContent()).toMatch(/^Added keys \d+/);

    // The same person again: reported, and audited as a repeat rather than a second opt-out.
    await byId('optout-input').fill('Portal.User@example.com');
    await byId('optout-submit').click();
    await expect.poll(() => byId('optout-result').textContent()).toMatch(/^Already opted out \(since .+\): nothing changed$/);
    await expect.poll(async () => Number(await byId('optout-count').textContent())).toBe(before + 1);

    await byId('audit-refresh').click();
    await expect.poll(() => byId('audit-row').count()).toBeGreaterThan(5);
    const text = await byId('audit-table').textContent();
    for (const sentence of [
      /Rotated keys: \d+ new keys \(/,
      'Opted out an email.',
      'Submitted an email that was already opted out (no change).',
      'Added participant 108 “Portal DSP” (DSP).',
      'Site 105 (Rival Retail) now shares with every data provider (by type, future ones included).',
      'Site 105 (Rival Retail) stopped sharing with site 101 (Acme Shop).',
    ]) expect(text).toMatch(sentence);
    expect(text).toContain('portal');
    expect(text).not.toContain('portal.user@example.com');
    expect(text).not.toMatch(/\d{13}/); // no epoch milliseconds
  });

  it('gives a participant MAPPER and rotates salt buckets', async () => {
    await byId('participant-select').selectOption('105');
    await byId('role-select').selectOption('MAPPER');
    await byId('role-grant').click();
    await expect.poll(() => byId('role-result').textContent()).toBe('Rival Retail has MAPPER');
    expect((await admin(op, 'GET', '/participants')).json.find((p: { siteId: number }) => p.siteId === 105).roles).toEqual(['SHARER', 'MAPPER']);
    await expect.poll(() => byId('participant-row-105').textContent()).toContain('SHARER, MAPPER'); // the table reloads after the answer

    await byId('salt-rotate-share').fill('50');
    await byId('salt-rotate').click();
    await expect.poll(() => byId('salt-rotate-result').textContent()).toBe('Rotated 512 buckets');
    await expect.poll(() => byId('salt-summary').textContent()).toBe('1024 buckets, 512 rotated in the last 90 days');
    expect((await admin(op, 'GET', '/audit?limit=5')).json.map((e: { event: string }) => e.event)).toContain('Rotate Salts');
  });

  it('signs out when the admin API stops accepting the key', async () => {
    await byId('participant-select').selectOption('103');
    await page.evaluate(() => sessionStorage.setItem('uid2-admin-key', 'wrong'));
    await byId('participant-select').selectOption('104');
    await expect.poll(() => byId('sign-in-error').textContent()).toBe('The operator no longer accepts this admin key. Sign in again.');
    expect(await byId('portal-app').isHidden()).toBe(true);
  });
});
