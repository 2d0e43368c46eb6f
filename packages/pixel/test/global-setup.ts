// Node side of the pixel tests: builds the snippet (the size test measures this very build), starts two
// real operators (default and short token lifetimes) and the pixel sink, and hands their addresses to
// the browser tests. The sink also carries two operator-side checks the browser cannot make itself.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startOperator } from '@uid2-pixels/operator';
import { postEnveloped, SharingClient } from '@uid2-pixels/uid2';
import { buildSnippet } from '../build.ts';
import { startSink } from './support/sink.ts';
import './support/provided.ts';

// Seconds, but with room: a loaded machine must not turn 'before refresh_from' into 'after'.
const SHORT = { identitySeconds: 5, refreshSeconds: 7, refreshFromSeconds: 2 };

export default async function setup(project: TestProject) {
  const temp = await mkdtemp(join(tmpdir(), 'uid2-pixel-test-'));
  const built = await buildSnippet(join(temp, 'dist'));

  const operator = await startOperator({ dataDir: join(temp, 'operator') });
  const shortOperator = await startOperator({
    dataDir: join(temp, 'operator-short'),
    lifetimes: {
      identityExpiresAfterSeconds: SHORT.identitySeconds,
      refreshExpiresAfterSeconds: SHORT.refreshSeconds,
      refreshIdentityAfterSeconds: SHORT.refreshFromSeconds,
    },
  });
  // An EUID operator: EUID-X- CSTG keys, EUID-scoped tokens and raw UID2s (apps/operator identityScope).
  const euidOperator = await startOperator({ dataDir: join(temp, 'operator-euid'), identityScope: 'EUID' });
  const participant = (siteId: number) => {
    const p = operator.fixture.participants.find((x) => x.siteId === siteId);
    if (!p) throw new Error(`dev fixture has no participant ${siteId}`);
    return p;
  };
  const advertiser = participant(101);
  const collector = participant(104); // Lumen Measurement: site 101 shares with it (the pixel receiver)
  const baseUrlOf = (short: unknown, euid?: unknown) => (euid ? euidOperator.url : short ? shortOperator.url : operator.url);

  const sink = await startSink({
    // Does this token hold the raw UID2 of this hash? (/v2/token/validate as the generating site, 101.)
    validate: async (b) => {
      const { token, field, hash, short, euid } = b as { token: string; field: string; hash: string; short?: boolean; euid?: boolean };
      const credentials = { baseUrl: baseUrlOf(short, euid), apiKey: advertiser.apiKey, secret: advertiser.secret };
      return (await postEnveloped(credentials, '/v2/token/validate', { token, [field]: hash })).body;
    },
    // A server-generated identity (/v2/token/generate as site 101), for setIdentity and init({identity}).
    generate: async (b) => {
      const { email, short } = b as { email: string; short?: boolean };
      const credentials = { baseUrl: baseUrlOf(short), apiKey: advertiser.apiKey, secret: advertiser.secret };
      return (await postEnveloped(credentials, '/v2/token/generate', { email })).body;
    },
    // The raw UID2 inside a token, as the pixel's receiver decrypts it with its sharing keys.
    rawUid: async (b) => {
      const { token, short, euid } = b as { token: string; short?: boolean; euid?: boolean };
      const client = new SharingClient({ baseUrl: baseUrlOf(short, euid), apiKey: collector.apiKey, secret: collector.secret });
      await client.refreshKeys();
      const result = client.decrypt(token);
      return { status: result.status, uid: result.uid, scope: result.identityScope };
    },
  });

  // The shared vectors live next to the repository (../shared/vectors), as the uid2 package's tests read them.
  const vectorsUrl = new URL('../../../../shared/vectors/uid2-sdk-vectors.json', import.meta.url);
  const vectors = JSON.parse(await readFile(vectorsUrl, 'utf8')).normalization;

  project.provide('esmCode', await readFile(built.esm, 'utf8'));
  const ss = built.secureSignals;
  project.provide('secureSignals', { ...ss, uid2: await readFile(ss.uid2, 'utf8'), euid: await readFile(ss.euid, 'utf8') });
  project.provide('liteSnippet', { code: await readFile(built.lite, 'utf8'), gzipBytes: built.liteGzipBytes });
  project.provide('snippet', {
    code: await readFile(built.iife, 'utf8'),
    bytes: built.bytes,
    gzipBytes: built.gzipBytes,
  });
  // URI-encoded: provided values are inlined into the test page, where the README's own </script> would end it.
  project.provide('readme', encodeURIComponent(await readFile(new URL('../README.md', import.meta.url), 'utf8')));
  project.provide('rootReadme', encodeURIComponent(await readFile(new URL('../../../README.md', import.meta.url), 'utf8')));
  project.provide('sinkUrl', sink.url);
  project.provide('operatorUrl', operator.url);
  project.provide('shortOperatorUrl', shortOperator.url);
  project.provide('shortLifetimes', SHORT);
  project.provide('euidOperatorUrl', euidOperator.url);
  const euidAdvertiser = euidOperator.fixture.participants.find((p) => p.siteId === 101)!;
  project.provide('euidAdvertiser', { subscriptionId: euidAdvertiser.subscriptionId, serverPublicKey: euidAdvertiser.publicKey });
  project.provide('advertiser', { subscriptionId: advertiser.subscriptionId, serverPublicKey: advertiser.publicKey });
  project.provide('vectors', { email: vectors.email, phone: vectors.phone });

  return async () => {
    await Promise.all([sink.close(), operator.close(), shortOperator.close(), euidOperator.close()]);
    await rm(temp, { recursive: true, force: true });
  };
}
