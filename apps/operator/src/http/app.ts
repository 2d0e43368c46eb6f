// The Express app: security headers, CORS on everything, a 1 MiB raw body for the UID2 routes, the
// routes, and failure answers shaped like the real operator's (reason phrase text, never a stack).
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { MAX_REQUEST_BODY_BYTES } from '../config.ts';
import type { OperatorContext } from '../context.ts';
import { adminRouter } from '../admin/admin-routes.ts';
import { landingRouter } from '../landing/landing-routes.ts';
import { portalRouter } from '../portal/portal-routes.ts';
import { identityBucketsRoute } from '../routes/identity-buckets.ts';
import { identityMapRoute } from '../routes/identity-map.ts';
import { identityMapV3Route } from '../routes/identity-map-v3.ts';
import { keyBidstreamRoute, keySharingRoute } from '../routes/key-sharing.ts';
import { optoutStatusRoute } from '../routes/optout-status.ts';
import { tokenClientGenerateRoute } from '../routes/token-client-generate.ts';
import { tokenGenerateRoute } from '../routes/token-generate.ts';
import { tokenLogoutRoute } from '../routes/token-logout.ts';
import { tokenRefreshRoute } from '../routes/token-refresh.ts';
import { tokenValidateRoute } from '../routes/token-validate.ts';
import { cors } from './cors.ts';
import { named } from './route-name.ts';
import { sendNotFound, sendReasonPhrase } from './respond.ts';

export function createApp(ctx: OperatorContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' }, strictTransportSecurity: false }));
  app.use(observe(ctx));
  app.use(cors);

  const uid2Routes: [string, express.RequestHandler][] = [
    ['/v2/token/generate', tokenGenerateRoute(ctx)],
    ['/v2/token/refresh', tokenRefreshRoute(ctx)],
    ['/v2/token/client-generate', tokenClientGenerateRoute(ctx)],
    ['/v2/token/validate', tokenValidateRoute(ctx)],
    ['/v2/token/logout', tokenLogoutRoute(ctx)],
    ['/v2/key/sharing', keySharingRoute(ctx)],
    ['/v2/key/bidstream', keyBidstreamRoute(ctx)],
    ['/v2/optout/status', optoutStatusRoute(ctx)],
    ['/v2/identity/map', identityMapRoute(ctx)],
    ['/v3/identity/map', identityMapV3Route(ctx)],
    ['/v2/identity/buckets', identityBucketsRoute(ctx)],
  ];
  const rawBody = express.raw({ type: () => true, limit: MAX_REQUEST_BODY_BYTES });
  for (const [path, handler] of uid2Routes) {
    app.post(path, named(path), rawBody, handler);
    app.all(path, named(path), (_req, res) => sendReasonPhrase(res, 405));
  }

  app.get('/ops/healthcheck', named('/ops/healthcheck'), (_req, res) => {
    res.status(200).type('text/plain').send('OK');
  });
  app.get('/metrics', named('/metrics'), async (_req, res) => {
    res.status(200).type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  // The admin router names its routes itself (`/admin/participants/:siteId`, ...); `/admin` is what is left.
  app.use('/admin', named('/admin'), adminRouter(ctx));
  app.use('/portal', portalRouter());
  app.use('/', landingRouter(ctx));

  app.use(named('unmatched'), (_req, res) => sendNotFound(res));
  app.use(failureHandler(ctx));
  return app;
}

/**
 * Request log line and metrics once the answer is sent. Paths only: no query strings, no bodies. Request
 * lines are at debug (`--log-level debug` shows them); server errors at warn.
 */
function observe(ctx: OperatorContext) {
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = typeof res.locals.route === 'string' ? res.locals.route : 'unmatched';
      ctx.metrics.httpRequests.inc({ route, code: String(res.statusCode) });
      ctx.metrics.httpDuration.observe({ route }, seconds);
      const line = { method: req.method, path: route, code: res.statusCode, ms: Math.round(seconds * 1000), site: res.locals.siteId };
      if (res.statusCode >= 500) ctx.log.warn(line, 'request');
      else ctx.log.debug(line, 'request');
    });
    next();
  };
}

/** Body-parser failures (413, aborted, bad encoding) answer with their status; anything else is a 500. */
function failureHandler(ctx: OperatorContext) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      ctx.log.warn({ path: req.path, code: status, type: (error as { type?: string }).type }, 'request rejected');
      if (req.path.startsWith('/admin')) {
        res.status(status).json({ error: { code: 'INVALID_INPUT', message: 'request body is not valid JSON or is too large' } });
      } else {
        sendReasonPhrase(res, status);
      }
      return;
    }
    ctx.log.error({ path: req.path, err: error }, 'unhandled error');
    sendReasonPhrase(res, 500);
  };
}
