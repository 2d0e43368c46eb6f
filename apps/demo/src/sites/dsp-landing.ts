// The DSP's landing page at `/`: what Bidwell's ad server does in the story, how it decides to bid,
// its state (keys, audience size) and links to the other parties. Rendered on the server: no script.
import type { DemoConfig } from '../config.ts';
import { storyNav } from './story-nav.ts';
import { escapeHtml } from '../html.ts';

export interface DspState {
  bidstreamKeys: boolean;
  sharingKeys: boolean;
  audience: number;
}

export function dspLandingHtml(config: DemoConfig, state: DspState): string {
  const yes = (ok: boolean, what: string) => `<li data-state="${ok ? 'ok' : 'waiting'}">${ok ? '✔' : '…'} ${what}</li>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Bidwell DSP: ad server</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/static/style.css">
</head>
<body class="dsp">
  <header class="site"><h1>Bidwell DSP</h1><span class="origin">${escapeHtml(config.urls.dsp)}</span></header>
  <main>
    <section class="card">
      <h2>The ad server of the story</h2>
      <p>Publisher pages send Bidwell an OpenRTB bid request carrying the reader's UID2 token
        (<code>POST /bid</code>, token in <code>user.ext.eids</code>). Bidwell decrypts it with its bidstream keys and bids
        for Acme Shop's retargeting campaign only when the reader is in Acme's audience. The creative's impression pixel then
        carries a fresh sharing token Bidwell makes for the measurement partner's collector, never the bid-stream token.</p>
      <p>Acme's audience: Acme's checkout page fires Bidwell's retargeting pixel (<code>/pixel/retarget</code>) with the
        shopper's token, which Acme shares with Bidwell in the portal. Bidwell keeps the audience itself, in memory:
        restarting the demo forgets it.</p>
      <ul class="checks" data-testid="dsp-state">
        ${yes(state.bidstreamKeys, 'bidstream keys loaded (to read bid requests)')}
        ${yes(state.sharingKeys, 'sharing keys loaded (to read Acme\u2019s pixel and make impression tokens)')}
        <li data-testid="audience-size">${state.audience} reader${state.audience === 1 ? '' : 's'} in Acme Shop's audience</li>
      </ul>
    </section>
    ${storyNav(config, 'dsp')}
  </main>
</body>
</html>
`;
}
