// The collector's landing page at `/`: what this service is and links to what a newcomer looks for.

export function landingHtml(options: { statusPage: boolean; adminApi: boolean }): string {
  const link = (href: string, title: string, what: string) => `<li><a href="${href}">${title}<span>${what}</span></a></li>`;
  const links = [
    options.statusPage ? link('/status', 'Status page', 'events per segment since start, outcomes by sender, live members') : '',
    link('/healthz', 'Health', 'answers 200 while the process runs'),
    link('/readyz', 'Readiness', '200 once sharing keys are loaded; otherwise says why not'),
    link('/metrics', 'Metrics', 'Prometheus text: requests, outcomes, decrypts, store latency'),
  ].join('');
  const admin = options.adminApi
    ? `<p>The admin API (Bearer admin token) lists segments at <code>/admin/segments</code> and exports one at <code>/admin/segments/&lt;segment&gt;/export?format=csv</code>.</p>`
    : `<p class="muted">The admin API is off: no admin token is configured.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>UID2 pixel collector</title>
<link rel="stylesheet" href="/status/style.css">
</head>
<body class="collector">
<header class="site"><h1>UID2 pixel collector</h1><span class="origin">receiver of tokenized sharing</span></header>
<main>
  <section class="card">
    <h2>What this is</h2>
    <p>This service receives tracking and creative pixels that carry UID2 tokens, never raw UID2s or emails.
      For each pixel it decrypts the token with the sharing keys its senders granted it, checks that the sender
      may write the segment, checks the user's opt-out, and only then records the raw UID2 in the segment.</p>
    <ul class="links" data-testid="links">${links}</ul>
  </section>
  <section class="card">
    <h2>Pixel routes</h2>
    <p><code>GET /pixel/conversion?uid2_token=…</code> (an advertiser's conversion) and
      <code>GET /pixel/impression?uid2_token=…</code> (a DSP's creative pixel); both also take
      <code>POST</code> from <code>sendBeacon</code>. Every pixel gets the same answer whatever became of it:
      the status page shows the outcome.</p>
    ${admin}
  </section>
</main>
</body>
</html>
`;
}
