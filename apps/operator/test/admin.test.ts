// The admin API and portal page: auth, participant management, the portal's sharing rules, audit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublisherClient, postEnveloped } from '@uid2-pixels/uid2/clients';
import { admin, startTestOperator, type TestOperator } from './helpers.ts';

let op: TestOperator;
beforeAll(async () => {
  op = await startTestOperator();
});
afterAll(async () => op.dispose());

describe('admin API', () => {
  it('requires the admin key', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Authorization: `Bearer ${op.credentials(101).apiKey}` }] as Record<string, string>[]) {
      const res = await fetch(`${op.url}/admin/participants`, { headers });
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('lists participants without secrets', async () => {
    const { status, json } = await admin(op, 'GET', '/participants');
    expect(status).toBe(200);
    expect(json.map((p: { siteId: number }) => p.siteId)).toEqual([101, 102, 103, 104, 105, 107]);
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/secret|keyHash|privateKey|UID2-Y-/);
    expect(json[0]).toMatchObject({ name: 'Acme Shop', type: 'ADVERTISER', roles: ['GENERATOR', 'SHARER'], domains: ['localhost', 'shop.uid2.test'] });
  });

  it('validates input: 400 bad body, 404 unknown site, 409 duplicate', async () => {
    expect((await admin(op, 'POST', '/participants', { name: 'X', type: 'BANK' })).status).toBe(400);
    expect((await admin(op, 'POST', '/participants', { name: 'X', type: 'DSP', domains: ['not a domain'] })).status).toBe(400);
    expect((await admin(op, 'POST', '/participants', { siteId: 101, name: 'X', type: 'DSP', roles: ['SHARER'] })).status).toBe(409);
    expect((await admin(op, 'GET', '/sharing/999')).status).toBe(404);
    expect((await admin(op, 'POST', '/sharing/101/grant', { sites: [999] })).status).toBe(404);
    expect((await admin(op, 'POST', '/sharing/101/grant', { sites: [101] })).status).toBe(400);
    expect((await admin(op, 'POST', '/sharing/101/grant', {})).status).toBe(400);
    const badJson = await fetch(`${op.url}/admin/participants`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${op.adminKey}`, 'Content-Type': 'application/json' },
      body: '{"name":',
    });
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error.code).toBe('INVALID_INPUT');
  });

  it('applies the portal rules: a type shared in bulk refuses individual grants of its members and absorbs them', async () => {
    expect((await admin(op, 'POST', '/sharing/104/grant', { sites: [101, 105] })).json).toMatchObject({ sites: [101, 105], types: [] });
    const conflict = await admin(op, 'POST', '/sharing/103/grant', { sites: [102] }); // 103 shares with type DSP
    expect(conflict.status).toBe(409);
    const bulk = await admin(op, 'POST', '/sharing/104/grant', { types: ['ADVERTISER'] });
    expect(bulk.json).toMatchObject({ sites: [], types: ['ADVERTISER'], allowedSites: [101, 105] });
    const audit = (await admin(op, 'GET', '/audit?limit=5')).json;
    const refused = audit.find((e: { succeeded: boolean }) => !e.succeeded);
    expect(refused).toMatchObject({ event: 'Update Sharing Permissions', data: { siteId: 103, action: 'grant', sites: [102] } });
  });

  it('creates API keys that work and disables them', async () => {
    const created = await admin(op, 'POST', '/participants/103/api-keys');
    expect(created.status).toBe(201);
    const client = new PublisherClient({ baseUrl: op.url, apiKey: created.json.apiKey, secret: created.json.secret });
    expect((await client.generateToken({ email: 'newkey@example.com' })).status).toBe('success');
    await admin(op, 'POST', `/participants/103/api-keys/${created.json.keyId}/disable`);
    await expect(client.generateToken({ email: 'newkey@example.com' })).rejects.toMatchObject({ httpStatus: 401 });
  });

  it('changes roles and domains, auditing each as its portal event', async () => {
    expect((await admin(op, 'PATCH', '/participants/105', { domains: ['rival.uid2.test', 'Rival.Example'] })).json.domains).toEqual(['rival.example', 'rival.uid2.test']);
    await expect(postEnveloped(op.credentials(105), '/v2/key/bidstream', undefined)).rejects.toMatchObject({ httpStatus: 401 });
    await admin(op, 'PATCH', '/participants/105', { roles: ['SHARER', 'ID_READER'] });
    expect((await postEnveloped(op.credentials(105), '/v2/key/bidstream', undefined)).status).toBe('success');
    const events = (await admin(op, 'GET', '/audit?limit=2')).json.map((e: { event: string }) => e.event);
    expect(events).toEqual(['Manage Participant', 'Update Domain Names']);
  });

  it('lists keysets with key times but never secrets', async () => {
    const { json } = await admin(op, 'GET', '/keysets');
    expect(json.map((k: { keysetId: number }) => k.keysetId).slice(0, 2)).toEqual([-1, -2]);
    expect(JSON.stringify(json)).not.toMatch(/secret/);
    expect(json.every((k: { keys: { active: boolean }[] }) => k.keys.some((key) => key.active))).toBe(true);
  });

  it('adds opt-outs by email, phone or hash, once', async () => {
    expect((await admin(op, 'POST', '/optouts', { phone: '+15555550100' })).status).toBe(201);
    expect((await admin(op, 'POST', '/optouts', { phone: '+15555550100' })).status).toBe(200);
    expect((await admin(op, 'POST', '/optouts', { phone: '555' })).status).toBe(400);
    expect((await admin(op, 'POST', '/optouts', { email: 'a@b.com', phone: '+15555550100' })).status).toBe(400);
    // plus the two always-opted-out test identities (optout@example.com, +00000000000) stored at seeding
    expect((await admin(op, 'GET', '/optouts')).json.count).toBe(3);
  });
});

describe('portal page', () => {
  it('serves the page and its script with stable data-testids and a strict CSP', async () => {
    const page = await fetch(`${op.url}/portal`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    for (const id of ['admin-key', 'admin-key-save', 'participant-select', 'sharing-types', 'sharing-sites', 'allowed-sites', 'new-participant-submit', 'optout-submit', 'rotate-keys', 'audit-table', 'sign-in-form', 'sign-out', 'new-participant-credentials', 'keys-legend', 'optout-explain']) {
      expect(html).toContain(`data-testid="${id}"`);
    }
    const script = await fetch(`${op.url}/portal/portal.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const js = await script.text();
    for (const id of ['grant-${kind}-', 'revoke-${kind}-', "'type'", "'site'", 'type-status-', 'site-status-', 'new-participant-role-']) expect(js).toContain(id);
  });
});
