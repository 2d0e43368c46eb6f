// OptOutStatusClient against the fault operator: batching, the answer map, and bad answers.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Uid2HttpError, Uid2ResponseError } from '../../src/clients/errors.ts';
import { getOptOutStatus, OptOutStatusClient } from '../../src/clients/optout-status.ts';
import { startFaultOperator, type FaultOperator } from './fault-operator.ts';

const SECRET = randomBytes(32).toString('base64');
const API_KEY = 'UID2-C-L-104-abcdef.' + 'k'.repeat(38);
const rawUid = (): string => randomBytes(32).toString('base64');

let operator: FaultOperator;
/** The operator's opt-out records: raw UID2 -> opted-out-since ms. */
let optedOut: Map<string, number>;
let body: (ids: string[]) => unknown;

beforeEach(async () => {
  optedOut = new Map();
  body = (ids) => ({
    opted_out: ids.filter((id) => optedOut.has(id)).map((id) => ({ advertising_id: id, opted_out_since: optedOut.get(id) })),
  });
  operator = await startFaultOperator(SECRET, (_path, payload) => {
    const ids = (payload as { advertising_ids: string[] }).advertising_ids;
    return { kind: 'envelope', json: { status: 'success', body: body(ids) } };
  });
});
afterEach(async () => {
  await operator.close();
});

describe('OptOutStatusClient', () => {
  it('maps every raw UID2 to its opt-out time or null, in batches the operator accepts', async () => {
    const ids = Array.from({ length: 5 }, rawUid);
    optedOut.set(ids[1]!, 1_700_000_000_000);
    optedOut.set(ids[4]!, 1_700_000_123_000);
    const client = new OptOutStatusClient({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET, batchSize: 2 });

    const status = await client.getOptOutStatus([...ids, ids[0]!]);
    expect([...status]).toEqual([
      [ids[0], null],
      [ids[1], 1_700_000_000_000],
      [ids[2], null],
      [ids[3], null],
      [ids[4], 1_700_000_123_000],
    ]);
    expect(operator.received.map((r) => r.path)).toEqual(Array(3).fill('/v2/optout/status'));
    expect(operator.received.map((r) => (r.envelope!.payload as { advertising_ids: string[] }).advertising_ids)).toEqual([
      [ids[0], ids[1]],
      [ids[2], ids[3]],
      [ids[4]],
    ]);
  });

  it('gives the opt-out times in input order, duplicates asked as given, across batches', async () => {
    const ids = Array.from({ length: 5 }, rawUid);
    optedOut.set(ids[1]!, 1_700_000_000_000);
    optedOut.set(ids[4]!, 1_700_000_123_000);
    const client = new OptOutStatusClient({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET, batchSize: 2 });
    const asked = [ids[4]!, ids[0]!, ids[1]!, ids[2]!, ids[1]!, ids[3]!];
    expect(await client.getOptOutTimes(asked)).toEqual([1_700_000_123_000, null, 1_700_000_000_000, null, 1_700_000_000_000, null]);
    expect(operator.received.map((r) => (r.envelope!.payload as { advertising_ids: string[] }).advertising_ids)).toEqual([
      [ids[4], ids[0]],
      [ids[1], ids[2]],
      [ids[1], ids[3]],
    ]);
    // Nobody opted out; an answer naming an id that was not asked changes nothing.
    body = () => ({ opted_out: [{ advertising_id: rawUid(), opted_out_since: 1 }] });
    expect(await client.getOptOutTimes([ids[0]!, ids[2]!])).toEqual([null, null]);
    expect(await client.getOptOutTimes([])).toEqual([]);
    expect(operator.received).toHaveLength(4);
  });

  it('sends nothing for an empty list', async () => {
    const status = await getOptOutStatus({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET }, []);
    expect(status.size).toBe(0);
    expect(operator.received).toHaveLength(0);
  });

  it('uses one request up to the operator default of 5000 ids', async () => {
    const ids = Array.from({ length: 5000 }, rawUid);
    await getOptOutStatus({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET }, ids);
    expect(operator.received).toHaveLength(1);
  });

  it('ignores ids it did not ask about and rejects malformed answers', async () => {
    const asked = rawUid();
    body = () => ({ opted_out: [{ advertising_id: rawUid(), opted_out_since: 1 }] });
    const client = new OptOutStatusClient({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET });
    expect([...(await client.getOptOutStatus([asked]))]).toEqual([[asked, null]]);

    body = () => ({ opted_out: [{ advertising_id: asked, opted_out_since: 'yesterday' }] });
    await expect(client.getOptOutStatus([asked])).rejects.toThrow(Uid2ResponseError);
    body = () => ({});
    await expect(client.getOptOutStatus([asked])).rejects.toThrow(/no "opted_out" array/);
  });

  it('surfaces operator errors as Uid2HttpError without the ids in the message', async () => {
    const id = rawUid();
    operator.clientErrorStatus = { status: 'client_error', message: 'Request payload is too large' };
    operator.queueFaults('client-error');
    const client = new OptOutStatusClient({ baseUrl: operator.url, apiKey: API_KEY, secret: SECRET });
    const error = await client.getOptOutStatus([id]).catch((e: unknown) => e as Uid2HttpError);
    expect(error).toBeInstanceOf(Uid2HttpError);
    expect((error as Uid2HttpError).operatorMessage).toBe('Request payload is too large');
    expect((error as Error).message).not.toContain(id);
  });
});
