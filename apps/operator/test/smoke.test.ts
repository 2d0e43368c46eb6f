import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublisherClient } from '@uid2-pixels/uid2/clients';
import { startTestOperator, type TestOperator } from './helpers.ts';

let op: TestOperator;
beforeAll(async () => {
  op = await startTestOperator();
});
afterAll(async () => {
  await op.dispose();
  await op.close(); // closing twice is harmless
});

describe('smoke', () => {
  it('healthcheck and generate', async () => {
    const res = await fetch(`${op.url}/ops/healthcheck`);
    expect(await res.text()).toBe('OK');
    const client = new PublisherClient(op.credentials(101));
    const result = await client.generateToken({ email: 'someone@example.com' });
    expect(result.status).toBe('success');
    if (result.status !== 'success') return;
    expect(result.identity.refreshToken).toHaveLength(388);
    const refreshed = await client.refreshToken(result.identity);
    expect(refreshed.status).toBe('success');
  });
});
