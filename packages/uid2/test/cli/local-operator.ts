// A real local operator in a temp dir for one CLI test file: started before its tests, stopped and
// removed after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startOperator, type RunningOperator } from '../../../../apps/operator/src/index.ts';

export interface LocalOperator {
  /** The running operator (from beforeAll on). */
  readonly operator: RunningOperator;
  /** The test file's temp dir (the operator's data dir is its `operator` folder). */
  readonly dir: string;
  /** A fixture participant's credentials, as the clients take them. */
  credentials(siteId: number): { baseUrl: string; apiKey: string; secret: string };
}

export function useLocalOperator(name: string): LocalOperator {
  let operator: RunningOperator | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `uid2-cli-${name}-`));
    operator = await startOperator({ dataDir: join(dir, 'operator'), port: 0 });
  });
  afterAll(async () => {
    await operator?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get operator() {
      if (operator === undefined) throw new Error('the operator starts in beforeAll');
      return operator;
    },
    get dir() {
      if (dir === undefined) throw new Error('the temp dir is made in beforeAll');
      return dir;
    },
    credentials(siteId) {
      const p = this.operator.fixture.participants.find((x) => x.siteId === siteId)!;
      return { baseUrl: this.operator.url, apiKey: p.apiKey, secret: p.secret };
    },
  };
}
