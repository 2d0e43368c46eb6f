// Starts a real operator on an ephemeral port with a temp data dir, and hands out participant credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixture, startOperator, type RunningOperator, type StartOperatorOptions } from '../src/index.ts';
import type { FixtureParticipant } from '../src/state/fixture.ts';

export const fixture = loadFixture();

export function participant(siteId: number): FixtureParticipant {
  const p = fixture.participants.find((x) => x.siteId === siteId);
  if (!p) throw new Error(`no fixture participant ${siteId}`);
  return p;
}

export interface TestOperator extends RunningOperator {
  /** baseUrl + apiKey + secret of a fixture participant, as the uid2 clients take them. */
  credentials(siteId: number): { baseUrl: string; apiKey: string; secret: string };
  /** Stops the operator and deletes the data dir. */
  dispose(): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'uid2-operator-test-'));
}

export async function startTestOperator(options: Partial<StartOperatorOptions> = {}): Promise<TestOperator> {
  const dataDir = options.dataDir ?? tempDataDir();
  const operator = await startOperator({ ...options, dataDir });
  return Object.assign(operator, {
    credentials: (siteId: number) => ({ baseUrl: operator.url, apiKey: participant(siteId).apiKey, secret: participant(siteId).secret }),
    dispose: async () => {
      await operator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** A JSON call to the admin API. */
export async function admin(op: RunningOperator, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${op.url}/admin${path}`, {
    method,
    headers: { Authorization: `Bearer ${op.adminKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}
