// The publisher (site 103, Daily Planet): an article page whose reader signs in with an email. The page
// gets the publisher's UID2 token client-side, then asks the DSP for an ad the way a bid request carries
// it (OpenRTB user.ext.eids, source uidapi.com) and renders the returned creative in a sandboxed frame.
import type { Express } from 'express';
import type { DemoConfig } from '../config.ts';
import { createSiteApp, servePage, serveSnippet, serveStatic } from '../http.ts';
import type { Logger } from '../log.ts';
import { storyNav } from './story-nav.ts';

export interface PublisherPageConfig {
  operatorUrl: string;
  dspUrl: string;
  /** For the next-step links: the shop (no ad yet) and the collector's status page (ad shown). */
  shopUrl: string;
  collectorUrl: string;
  subscriptionId: string;
  serverPublicKey: string;
}

export function createPublisherApp(config: DemoConfig, log: Logger): Express {
  const app = createSiteApp(
    'publisher',
    // The creative is rendered in a srcdoc frame, which inherits this policy: its banner comes from the
    // DSP and its impression pixel goes to the collector.
    { connect: [config.urls.operator, config.urls.dsp], img: [config.urls.dsp, config.urls.collector], style: [config.urls.dsp] },
    log,
  );
  serveSnippet(app, config.snippetPath, log);
  serveStatic(app, 'publisher');
  const page: PublisherPageConfig = {
    operatorUrl: config.urls.operator,
    dspUrl: config.urls.dsp,
    shopUrl: config.urls.shop,
    collectorUrl: config.urls.collector,
    subscriptionId: config.publisher.subscriptionId,
    serverPublicKey: config.publisher.serverPublicKey,
  };
  servePage(app, '/', 'publisher/index.html', page, storyNav(config, 'publisher'));
  return app;
}
