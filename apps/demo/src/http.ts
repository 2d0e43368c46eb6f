// What every demo site shares: security headers with a Content Security Policy that names exactly the
// origins the page may talk to, a health check, the browser snippet, and HTML pages with their config.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request, type Response } from 'express';
import helmet from 'helmet';
import { listen as listenOn } from '@uid2-pixels/uid2/internal/listen';
import type { Logger } from './log.ts';

const PAGES_DIR = fileURLToPath(new URL('./pages/', import.meta.url));

export interface SitePolicy {
  /** Origins the page's scripts may fetch from (the operator for CSTG, the DSP for ads). */
  connect: string[];
  /** Origins images may load from (pixels at the collector, creatives at the DSP). */
  img: string[];
  /** Origins stylesheets may load from besides our own (the creative frame's, at the DSP). */
  style?: string[];
  /** Whether other origins may embed our resources (the DSP's creative assets): default same-origin. */
  embeddable?: boolean;
}

/** An Express app with the demo's common middleware; routes are added by the site. */
export function createSiteApp(name: string, policy: SitePolicy, log: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'", ...(policy.style ?? [])],
          'connect-src': ["'self'", ...policy.connect],
          'img-src': ["'self'", 'data:', ...policy.img],
          'frame-src': ["'self'"],
          // Plain http on purpose: the demo runs on localhost without certificates.
          'upgrade-insecure-requests': null,
        },
      },
      // The pages run over plain http locally; HSTS would pin browsers to https for localhost.
      strictTransportSecurity: false,
      // Pixels and creatives are cross-origin images by design.
      crossOriginEmbedderPolicy: false,
      crossOriginResourcePolicy: { policy: policy.embeddable ? 'cross-origin' : 'same-origin' },
    }),
  );
  // Browsers ask every site for one; an empty answer keeps the console and the logs quiet.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', site: name });
  });
  app.use((req, _res, next) => {
    // The path only: query strings on these sites never carry anything, but the log must not rely on it.
    log.debug({ method: req.method, path: req.path }, 'request');
    next();
  });
  return app;
}

/** Serves the built snippet at /uid2-pixel.js from the site's own origin, as a site hosting the tag would. */
export function serveSnippet(app: Express, snippetPath: string, log: Logger): void {
  if (!existsSync(snippetPath)) {
    log.warn({ snippetPath }, 'browser snippet not built yet: run `pnpm --filter @uid2-pixels/pixel build`');
  }
  app.get('/uid2-pixel.js', (_req, res) => {
    if (!existsSync(snippetPath)) {
      res.status(503).type('text/plain').send('The snippet is not built: run `pnpm --filter @uid2-pixels/pixel build`.');
      return;
    }
    res.type('application/javascript').set('Cache-Control', 'no-cache').sendFile(snippetPath);
  });
}

/** Serves a site's static files (scripts, styles, images) and the shared stylesheet. */
export function serveStatic(app: Express, site: string): void {
  app.use('/static', express.static(`${PAGES_DIR}common`, { index: false, fallthrough: true }));
  app.use('/static', express.static(`${PAGES_DIR}${site}`, { index: false }));
}

/**
 * Serves an HTML page with its config in a non-executing JSON script element, so the page script can
 * read it under a strict CSP (no inline scripts). `<` is escaped so the JSON cannot close the element.
 * `nav` (the links to the story's other parties) replaces `<!--STORY_NAV-->`.
 */
export function servePage(app: Express, path: string, file: string, config: unknown, nav = ''): void {
  const template = readFileSync(`${PAGES_DIR}${file}`, 'utf8');
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  const html = template
    .replace('<!--DEMO_CONFIG-->', `<script type="application/json" id="demo-config">${json}</script>`)
    .replace('<!--STORY_NAV-->', nav);
  app.get(path, (_req: Request, res: Response) => {
    res.type('html').set('Cache-Control', 'no-store').send(html);
  });
}

/** Starts listening and resolves with the bound port (useful with port 0 in tests). */
export async function listen(app: Express, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  return { server, port: await listenOn(server, port, host) };
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
