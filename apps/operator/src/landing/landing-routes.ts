// GET /: what this server is and where to go from here (portal, health, metrics, API docs, and the other
// sites of the stack when the operator was told them). GET /docs/api: the README's API section.
// Also the pages' style sheet and icon, so a browser meets no 404 here.
import { existsSync, readFileSync } from 'node:fs';
import express, { type Router } from 'express';
import type { OperatorContext, SiteLink } from '../context.ts';
import { named } from '../http/route-name.ts';

const read = (name: string): string => readFileSync(new URL(name, import.meta.url), 'utf8');

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** What each part of the demo stack is, for the links `pnpm start` hands the operator. */
const SITE_ROLES: Record<string, string> = {
  collector: 'the pixel collector (site 104): decrypts shared tokens and writes segments',
  status: 'the collector’s status page: segments and outcomes as they happen',
  shop: 'the advertiser shop (site 101): checkout sends a conversion pixel',
  publisher: 'the publisher (site 103): sign-in gets a token, the ad slot asks the DSP',
  dsp: 'the DSP ad server (site 102): decrypts bid tokens, sends impression pixels',
};

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#4b2a80"/>' +
  '<text x="16" y="21.5" font-family="system-ui,sans-serif" font-size="13" font-weight="700" fill="#fff" text-anchor="middle">ID</text></svg>';

/** The head every operator page shares. */
function pageHead(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/site.css">
</head>`;
}

function siteLinks(links: readonly SiteLink[]): string {
  if (links.length === 0) return '';
  const items = links
    .map(
      (l) =>
        `<li><a href="${escapeHtml(l.url)}" data-testid="site-link-${escapeHtml(l.label)}">${escapeHtml(l.label)}</a>` +
        `<span class="muted">${escapeHtml(SITE_ROLES[l.label] ?? l.url)}</span></li>`,
    )
    .join('\n    ');
  return `
  <section class="card" data-testid="landing-sites">
    <h2>The rest of the stack</h2>
    <ul class="links">
    ${items}
    </ul>
  </section>`;
}

function landingPage(links: readonly SiteLink[]): string {
  return `${pageHead('Local UID2 operator')}
<body class="operator">
<header class="site"><h1>Local UID2 operator</h1><span class="origin">uid2-pixels</span></header>
<main class="narrow">
  <section class="card">
    <h2>What this is</h2>
    <p>A local, wire-compatible stand-in for the UID2 operator service and for the sharing side of the UID2
    Portal. The UID2 SDKs, the browser snippet and Prebid.js’s UID2 module talk to it as they talk to
    <code>operator-integ.uidapi.com</code>: same encrypted envelope, same tokens, same answers. It holds the
    participants, their keys and sharing permissions, the opt-outs and an audit trail of every change.</p>
  </section>
  <section class="card">
    <h2>Open</h2>
    <ul class="links">
      <li><a href="/portal" data-testid="landing-portal-link">Portal</a>
        <span class="muted">participants and their credentials, sharing permissions, opt-outs, keys, audit trail.
        Sign in with the admin key (<code>adminKey</code> in <code>apps/operator/fixtures/dev.json</code>).</span></li>
      <li><a href="/docs/api" data-testid="landing-docs-link">API documentation</a>
        <span class="muted">the <code>/v2/*</code> routes, the roles they need and the envelope (the operator README’s “The UID2 API”).</span></li>
      <li><a href="/ops/healthcheck" data-testid="landing-health-link">Health check</a>
        <span class="muted"><code>GET /ops/healthcheck</code> answers <code>OK</code> while the operator serves.</span></li>
      <li><a href="/metrics" data-testid="landing-metrics-link">Metrics</a>
        <span class="muted">Prometheus text: requests by route and status, identities issued, key rotations.</span></li>
    </ul>
  </section>${siteLinks(links)}
</main>
</body>
</html>
`;
}

/** The README section a newcomer needs to call the API, served as a page (null when the README is not shipped). */
function apiDocsPage(readme: string | null): string | null {
  if (readme === null) return null;
  const start = readme.indexOf('\n## The UID2 API');
  if (start < 0) return null;
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start + 1, end < 0 ? undefined : end).trimEnd();
  return `${pageHead('UID2 API — local operator')}
<body class="operator">
<header class="site"><h1><a href="/">Local UID2 operator</a></h1><span class="origin">API documentation</span></header>
<main class="narrow">
  <section class="card">
    <p class="muted">From <code>apps/operator/README.md</code>; the wire spec it follows is the real operator’s.</p>
    <pre class="doc" data-testid="api-docs">${escapeHtml(section)}</pre>
  </section>
</main>
</body>
</html>
`;
}

export function landingRouter(ctx: OperatorContext): Router {
  const router = express.Router();
  const css = read('./site.css');
  const landing = landingPage(ctx.links);
  const readmeUrl = new URL('../../README.md', import.meta.url);
  const docs = apiDocsPage(existsSync(readmeUrl) ? readFileSync(readmeUrl, 'utf8') : null);

  router.get('/', named('/'), (_req, res) => {
    res.status(200).type('text/html').send(landing);
  });
  router.get('/docs/api', named('/docs/api'), (_req, res, next) => {
    if (docs === null) return next();
    res.status(200).type('text/html').send(docs);
  });
  router.get('/site.css', named('/site.css'), (_req, res) => {
    res.status(200).type('text/css').send(css);
  });
  // Browsers ask for /favicon.ico on their own; both names answer with the same small SVG.
  router.get(['/favicon.svg', '/favicon.ico'], named('/favicon'), (_req, res) => {
    res.status(200).type('image/svg+xml').set('Cache-Control', 'max-age=86400').send(ICON_SVG);
  });
  return router;
}
