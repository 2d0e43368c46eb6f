// The Express app: everything except the pixel routes (which the raw listener in server.ts answers
// first). Health and readiness, Prometheus metrics, the status page, and the admin API.
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import { SEGMENT_NAME } from './config.ts';
import { bearerMatches } from './admin-auth.ts';
import { exportSegment, type ExportFormat } from './export.ts';
import type { KeyRefreshResult } from './key-refresh.ts';
import type { Logger } from './log.ts';
import type { OptoutGate } from './optout-gate.ts';
import type { SegmentStore } from './store/segment-store.ts';
import { statusFromMetrics } from './status/data.ts';
import { STATUS_CSS, STATUS_HTML, STATUS_JS } from './status/page.ts';

export interface AppDeps {
  store: SegmentStore;
  gate: Pick<OptoutGate, 'checkMany'>;
  log: Logger;
  /** Prometheus text of this collector (summed over workers in cluster mode). */
  metricsText: () => Promise<string>;
  metricsContentType: string;
  /** Readiness and the reasons it is not ready. */
  readiness: () => { ready: boolean; reasons: string[] };
  adminToken: string | undefined;
  statusPage: boolean;
  /** /metrics and /status.json need the admin token too. */
  protectStatus: boolean;
  /**
   * Fetches the sharing keys now (in cluster mode: in every worker, through the primary). Rejects when
   * the operator cannot be reached. Absent when there is no key sync (a decrypter given by the caller).
   */
  refreshKeys?: () => Promise<KeyRefreshResult>;
  /** The bulk API's routes (share/api.ts). */
  bulkApi?: Router;
}

export function createApp(deps: AppDeps): Express {
  const { store, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(helmet());

  // Request log: method, path (never the query string, which may hold a token), status, duration.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.on('finish', () => {
      log.debug({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const r = deps.readiness();
    res.set('Cache-Control', 'no-store').status(r.ready ? 200 : 503).json(r);
  });

  // Bearer admin token, compared in constant time; answers 401 (and says so in the log) when wrong.
  const requireAdmin = (req: Request, res: Response, next: NextFunction) => {
    if (!deps.adminToken || !bearerMatches(req.get('authorization'), deps.adminToken)) {
      log.warn({ path: req.path }, 'request with a missing or wrong admin token');
      return void res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized' });
    }
    res.set('Cache-Control', 'no-store');
    next();
  };
  const statusGuard = deps.protectStatus ? [requireAdmin] : [];

  app.get('/metrics', ...statusGuard, async (_req, res, next) => {
    try {
      res.set('Content-Type', deps.metricsContentType).send(await deps.metricsText());
    } catch (err) {
      next(err);
    }
  });

  if (deps.statusPage) {
    let members: { at: number; value: Record<string, number> } = { at: 0, value: {} };
    // Express matches /status and /status/ alike (non-strict routing).
    app.get('/status', (_req, res) => {
      res.type('html').set('Cache-Control', 'no-store').send(STATUS_HTML);
    });
    app.get('/status/app.js', (_req, res) => {
      res.type('application/javascript').send(STATUS_JS);
    });
    app.get('/favicon.ico', (_req, res) => {
      res.status(204).end(); // browsers ask for it on the status page
    });
    app.get('/status/style.css', (_req, res) => {
      res.type('text/css').send(STATUS_CSS);
    });
    app.get('/status.json', ...statusGuard, async (_req, res, next) => {
      try {
        // Segment sizes scan the store: refresh them at most every 5 s however many pages poll.
        if (Date.now() - members.at > 5000) {
          const sizes = await store.segments();
          members = { at: Date.now(), value: Object.fromEntries(sizes.map((s) => [s.segment, s.members])) };
        }
        res.set('Cache-Control', 'no-store').json(statusFromMetrics(await deps.metricsText(), members.value));
      } catch (err) {
        next(err);
      }
    });
  }

  // --- admin API (Bearer admin token) ---------------------------------------------------------------
  const admin = express.Router();
  admin.use((req, res, next) => {
    if (!deps.adminToken) return void res.status(404).json({ error: 'not_found' });
    requireAdmin(req, res, next);
  });
  admin.get('/segments', async (_req, res, next) => {
    try {
      res.json({ segments: await store.segments(), held: await store.heldCount() });
    } catch (err) {
      next(err);
    }
  });
  admin.get('/segments/:segment', async (req, res, next) => {
    try {
      const segment = String(req.params.segment);
      if (!SEGMENT_NAME.test(segment)) return void res.status(400).json({ error: 'bad_segment' });
      res.json({ segment, members: await store.size(segment) });
    } catch (err) {
      next(err);
    }
  });
  admin.get('/segments/:segment/export', async (req, res) => {
    const segment = String(req.params.segment);
    const format = (req.query.format ?? 'ndjson') as ExportFormat;
    if (!SEGMENT_NAME.test(segment)) return void res.status(400).json({ error: 'bad_segment' });
    if (format !== 'csv' && format !== 'ndjson') return void res.status(400).json({ error: 'bad_format', allowed: ['csv', 'ndjson'] });
    let started = false;
    try {
      const result = await exportSegment({
        store,
        gate: deps.gate,
        segment,
        format,
        write: (chunk) => {
          if (!started) {
            started = true;
            res.status(200).type(format === 'csv' ? 'text/csv' : 'application/x-ndjson');
            res.set('Content-Disposition', `attachment; filename="${segment}.${format === 'csv' ? 'csv' : 'ndjson'}"`);
          }
          if (res.write(chunk)) return;
          return new Promise<void>((resolve) => res.once('drain', resolve));
        },
      });
      if (!started) res.status(200).type(format === 'csv' ? 'text/csv' : 'application/x-ndjson');
      res.end();
      log.info({ segment, format, written: result.written, optedOut: result.optedOut }, 'segment exported over the admin API');
    } catch (err) {
      log.error({ segment, err: { message: (err as Error).message, code: (err as { code?: unknown }).code } }, 'segment export failed');
      // Headers may already be out: cut the stream so the client sees an incomplete transfer, not success.
      if (started) res.destroy();
      else res.status(503).json({ error: 'export_failed', message: 'opt-out status could not be checked; try again' });
    }
  });
  admin.post('/keys/refresh', async (_req, res) => {
    if (!deps.refreshKeys) return void res.status(404).json({ error: 'not_found' });
    try {
      const result = await deps.refreshKeys();
      log.info(result, 'sharing keys refreshed over the admin API');
      res.json(result);
    } catch (err) {
      // The key sync has logged the operator's error; the caller learns only that it failed.
      log.warn({ err: { code: (err as { code?: unknown }).code } }, 'sharing key refresh over the admin API failed; last good keys kept');
      res.status(502).json({ error: 'operator unavailable' });
    }
  });
  app.use('/admin', admin);
  if (deps.bulkApi) app.use(deps.bulkApi);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  // Errors: logged without request details; the caller gets a generic answer.
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    log.error({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: 'internal_error' });
  });
  return app;
}
