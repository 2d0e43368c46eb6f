// The admin API (JSON, `Authorization: Bearer <admin key>`): participants, sharing permissions,
// opt-outs, key rotation and the audit trail. Every change is written to the audit trail.
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { OperatorContext } from '../context.ts';
import type { AuditEvent } from '../audit/audit-trail.ts';
import { OperatorError } from '../errors.ts';
import { isAdmin } from '../http/auth.ts';
import { readDii } from '../identity/dii-input.ts';
import { activeKey } from '../keys/keys.ts';
import { addParticipant, describeParticipant, findParticipant, normalizeDomains } from '../participants/participants.ts';
import { makeApiKeyRecord, newApiKey, randomAlphanumeric } from '../participants/api-keys.ts';
import { generateCstgKeypair } from '../cstg/keypair.ts';
import { allowedSites } from '../sharing/acl.ts';
import { grantSites, grantTypes, revokeSites, revokeTypes } from '../sharing/grants.ts';
import { MASTER_KEYSET_ID, PARTICIPANT_TYPES, REFRESH_KEYSET_ID, ROLE_DESCRIPTIONS, ROLES, type KeyRecord, type OperatorState } from '../state/model.ts';
import { TEST_IDENTITIES } from '../identity/optout.ts';
import { PREVIOUS_SALT_MS } from '../identity/salt-buckets.ts';
import { auditSentence } from '../audit/audit-sentence.ts';
import { newParticipantSchema, optoutSchema, rotateSchema, saltRotateSchema, sharingChangeSchema, updateParticipantSchema } from './admin-schemas.ts';

/** The operator's own keysets, which are no site's: the portal labels them. */
const KEYSET_KIND: Record<number, 'master' | 'refresh'> = { [MASTER_KEYSET_ID]: 'master', [REFRESH_KEYSET_ID]: 'refresh' };

const STATUS_OF: Record<string, number> = { NOT_FOUND: 404, CONFLICT: 409, INVALID_INPUT: 400 };

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** Who the audit trail names: the X-Audit-User header (e.g. "portal"), else "admin". */
function auditUser(req: Request): string {
  const user = req.header('x-audit-user')?.trim() ?? '';
  return /^[\w .@-]{1,64}$/.test(user) ? user : 'admin';
}

function siteIdParam(req: Request): number {
  const id = Number(req.params.siteId);
  if (!Number.isSafeInteger(id)) throw new OperatorError('INVALID_INPUT', 'site id must be an integer');
  return id;
}

/** "roles: choose at least one role; name: ..." — each problem named by its field. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`).join('; ');
}

const ADMIN_KEY_HELP =
  'admin key missing or not accepted: send "Authorization: Bearer <admin key>" with adminKey from the fixture this data dir was seeded from (apps/operator/fixtures/dev.json by default)';

type Handler = (req: Request) => { status?: number; body: unknown };

/** Runs a handler and maps typed errors to 4xx JSON. */
function handle(fn: Handler) {
  return (req: Request, res: Response) => {
    // The route pattern (`/admin/sharing/:siteId/grant`), never the raw path, names the request in logs.
    if (req.route) res.locals.route = `/admin${String(req.route.path)}`;
    try {
      const out = fn(req);
      res.status(out.status ?? 200).json(out.body);
    } catch (error) {
      if (error instanceof z.ZodError) return sendError(res, 400, 'INVALID_INPUT', describeIssues(error));
      if (error instanceof OperatorError && STATUS_OF[error.code]) return sendError(res, STATUS_OF[error.code]!, error.code, error.message);
      throw error;
    }
  };
}

export function adminRouter(ctx: OperatorContext): Router {
  const { store } = ctx;
  const router = express.Router();
  router.use(express.json({ limit: '64kb' }));
  // The portal's sign-in check: 200 either way, so a mistyped key is an answer, not a failed request.
  router.post('/session', (req, res) => {
    res.locals.route = '/admin/session';
    const valid = isAdmin(store.state, req);
    res.status(200).json(valid ? { valid } : { valid, message: ADMIN_KEY_HELP });
  });
  router.use((req, res, next) => (isAdmin(store.state, req) ? next() : sendError(res, 401, 'UNAUTHORIZED', ADMIN_KEY_HELP)));

  /**
   * Applies and persists a change and audits it, also when it is refused. `outcome` adds what only the
   * result knows (the new site id; that an opt-out was already there) to the audit entry.
   */
  const change = <T>(
    req: Request,
    event: AuditEvent,
    data: Record<string, unknown>,
    fn: (s: OperatorState) => T,
    outcome?: (result: T) => Record<string, unknown>,
  ): T => {
    try {
      const result = store.mutate(fn);
      store.audit.record(auditUser(req), event, { ...data, ...outcome?.(result) }, true);
      return result;
    } catch (error) {
      store.audit.record(auditUser(req), event, { ...data, error: error instanceof Error ? error.message : 'failed' }, false);
      throw error;
    }
  };

  const sharingView = (siteId: number) => {
    const p = findParticipant(store.state, siteId);
    const grant = store.state.sharing.find((g) => g.siteId === siteId);
    return {
      siteId,
      name: p.name,
      type: p.type,
      sites: grant?.sites ?? [],
      types: grant?.types ?? [],
      allowedSites: [...allowedSites(grant, store.state.participants)].sort((a, b) => a - b),
    };
  };

  // What the portal builds its forms from, so a new role or type needs no portal change.
  router.get(
    '/meta',
    handle(() => ({
      body: { roles: ROLES.map((name) => ({ name, description: ROLE_DESCRIPTIONS[name] })), types: PARTICIPANT_TYPES },
    })),
  );

  router.get('/participants', handle(() => ({ body: store.state.participants.map(describeParticipant) })));

  router.post(
    '/participants',
    handle((req) => {
      const input = newParticipantSchema.parse(req.body);
      const credentials = change(
        req,
        'Manage Participant',
        { action: 'create', siteId: input.siteId, name: input.name, type: input.type },
        (s) => addParticipant(s, input, ctx.now(), ctx.schedule, store.salts.scope),
        (created) => ({ siteId: created.siteId }),
      );
      return { status: 201, body: { participant: describeParticipant(findParticipant(store.state, credentials.siteId)), credentials } };
    }),
  );

  router.patch(
    '/participants/:siteId',
    handle((req) => {
      const siteId = siteIdParam(req);
      const input = updateParticipantSchema.parse(req.body);
      const event: AuditEvent = input.domains && !input.name && !input.roles ? 'Update Domain Names' : 'Manage Participant';
      change(req, event, { action: 'update', siteId, fields: Object.keys(input) }, (s) => {
        const p = findParticipant(s, siteId);
        if (input.name !== undefined) p.name = input.name;
        if (input.roles !== undefined) p.roles = [...new Set(input.roles)];
        if (input.domains !== undefined) p.domains = normalizeDomains(input.domains);
      });
      return { body: describeParticipant(findParticipant(store.state, siteId)) };
    }),
  );

  router.post(
    '/participants/:siteId/api-keys',
    handle((req) => {
      const siteId = siteIdParam(req);
      const apiKey = newApiKey(siteId);
      const secret = randomBytes(32).toString('base64');
      const record = makeApiKeyRecord(apiKey, secret, ctx.now());
      change(req, 'Manage API Key', { action: 'create', siteId, keyId: record.keyId }, (s) => findParticipant(s, siteId).apiKeys.push(record));
      return { status: 201, body: { keyId: record.keyId, apiKey, secret } };
    }),
  );

  router.post(
    '/participants/:siteId/api-keys/:keyId/disable',
    handle((req) => {
      const siteId = siteIdParam(req);
      change(req, 'Manage API Key', { action: 'disable', siteId, keyId: req.params.keyId }, (s) => {
        const key = findParticipant(s, siteId).apiKeys.find((k) => k.keyId === req.params.keyId);
        if (!key) throw new OperatorError('NOT_FOUND', `no API key ${req.params.keyId} for site ${siteId}`);
        key.disabled = true;
      });
      return { body: describeParticipant(findParticipant(store.state, siteId)) };
    }),
  );

  router.post(
    '/participants/:siteId/keypairs',
    handle((req) => {
      const siteId = siteIdParam(req);
      const pair = generateCstgKeypair(ctx.store.salts.scope);
      const subscriptionId = randomAlphanumeric(10);
      change(req, 'Manage Key Pair', { action: 'create', siteId, subscriptionId }, (s) =>
        findParticipant(s, siteId).keypairs.push({ subscriptionId, ...pair, created: ctx.now(), disabled: false }),
      );
      return { status: 201, body: { subscriptionId, publicKey: pair.publicKey } };
    }),
  );

  router.post(
    '/participants/:siteId/keypairs/:subscriptionId/disable',
    handle((req) => {
      const siteId = siteIdParam(req);
      const { subscriptionId } = req.params;
      change(req, 'Manage Key Pair', { action: 'disable', siteId, subscriptionId }, (s) => {
        const pair = findParticipant(s, siteId).keypairs.find((k) => k.subscriptionId === subscriptionId);
        if (!pair) throw new OperatorError('NOT_FOUND', `no key pair ${subscriptionId} for site ${siteId}`);
        pair.disabled = true;
      });
      return { body: describeParticipant(findParticipant(store.state, siteId)) };
    }),
  );

  router.get('/sharing', handle(() => ({ body: store.state.participants.map((p) => sharingView(p.siteId)) })));
  router.get('/sharing/:siteId', handle((req) => ({ body: sharingView(siteIdParam(req)) })));

  for (const action of ['grant', 'revoke'] as const) {
    router.post(
      `/sharing/:siteId/${action}`,
      handle((req) => {
        const siteId = siteIdParam(req);
        const { sites, types } = sharingChangeSchema.parse(req.body);
        if (types.length > 0) {
          change(req, 'Update Sharing Types', { siteId, action, types }, (s) => (action === 'grant' ? grantTypes : revokeTypes)(s, siteId, types));
        }
        if (sites.length > 0) {
          change(req, 'Update Sharing Permissions', { siteId, action, sites }, (s) => (action === 'grant' ? grantSites : revokeSites)(s, siteId, sites));
        }
        return { body: sharingView(siteId) };
      }),
    );
  }

  router.get(
    '/optouts',
    handle(() => ({
      body: {
        count: store.state.optouts.length,
        optouts: store.state.optouts.map((o) => ({ advertising_id: o.rawUid, opted_out_since: o.since })),
        // The documented test identities every operator treats alike; `always` ones are stored, so counted above.
        testIdentities: TEST_IDENTITIES,
      },
    })),
  );

  router.post(
    '/optouts',
    handle((req) => {
      const dii = readDii(optoutSchema.parse(req.body));
      if (!dii.ok) throw new OperatorError('INVALID_INPUT', dii.message);
      const now = ctx.now();
      // A second opt-out of the same person changes nothing, and the audit trail says so.
      const added = change(
        req,
        'Manage Opt-out',
        { action: 'add', kind: dii.identity.kind },
        () => store.addOptout(dii.identity, now),
        (isNew) => (isNew ? {} : { action: 'repeat' }),
      );
      const mapped = store.salts.map(dii.identity.hash, dii.identity.kind);
      const record = store.state.optouts.find((o) => o.firstLevelHash === mapped.firstLevelHash.toString('base64'))!;
      return { status: added ? 201 : 200, body: { added, advertising_id: record.rawUid, opted_out_since: record.since } };
    }),
  );

  router.get(
    '/keysets',
    handle(() => {
      const now = ctx.now();
      return {
        body: store.state.keysets.map((ks) => {
          const active = activeKey(store.state.keys, ks.keysetId, now);
          const stateOf = (k: KeyRecord) => (k.id === active?.id ? 'active' : k.activates > now ? 'upcoming' : 'previous');
          return {
            ...ks,
            kind: KEYSET_KIND[ks.keysetId] ?? 'site',
            keys: store.state.keys
              .filter((k) => k.keysetId === ks.keysetId)
              .map((k) => ({ id: k.id, created: k.created, activates: k.activates, expires: k.expires, active: k.id === active?.id, state: stateOf(k) })),
          };
        }),
      };
    }),
  );

  router.post(
    '/keys/rotate',
    handle((req) => {
      const input = rotateSchema.parse(req.body ?? {});
      const added = ctx.keys.rotate({ ...input, user: auditUser(req) });
      return { body: { added: added.map((k) => ({ id: k.id, keysetId: k.keysetId, activates: k.activates, expires: k.expires })) } };
    }),
  );

  router.get(
    '/salts',
    handle(() => {
      const now = ctx.now();
      const buckets = store.salts.buckets;
      return {
        body: {
          buckets: buckets.length,
          rotatedLast90Days: buckets.filter((b) => now - b.lastUpdated < PREVIOUS_SALT_MS && (b.previousSalt !== null || b.previousKey !== null)).length,
          lastScheduledRotation: store.state.lastSaltRotation ?? null,
          schedule: ctx.saltRotation.schedule,
        },
      };
    }),
  );

  // Forced salt rotation (tests, demos): rotates at once, whatever the buckets' refresh_from promised.
  router.post(
    '/salts/rotate',
    handle((req) => {
      const input = saltRotateSchema.parse(req.body ?? {});
      return { body: ctx.saltRotation.rotate({ ...input, user: auditUser(req) }) };
    }),
  );

  router.get(
    '/audit',
    handle((req) => {
      const limit = Math.min(Math.max(Number(req.query.limit) || 200, 1), 5000);
      const names = new Map(store.state.participants.map((p) => [p.siteId, p.name]));
      return { body: store.audit.read(limit).map((entry) => ({ ...entry, sentence: auditSentence(entry, (id) => names.get(id)) })) };
    }),
  );

  router.use((_req, res) => sendError(res, 404, 'NOT_FOUND', 'no such admin route'));
  return router;
}
