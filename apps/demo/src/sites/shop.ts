// The advertiser's shop (site 101, Acme Shop): a checkout page that turns the shopper's email into a
// UID2 token in the browser and fires a conversion pixel at the measurement partner's collector, and
// its DSP's retargeting pixel (so Bidwell may show this shopper Acme's ad on publisher pages).
// The server never sees the email: the page has no form post, only the snippet's encrypted CSTG call.
import type { Express } from 'express';
import type { DemoConfig } from '../config.ts';
import { createSiteApp, servePage, serveSnippet, serveStatic } from '../http.ts';
import type { Logger } from '../log.ts';
import { storyNav } from './story-nav.ts';

/** What the checkout page reads from its config element. */
export interface ShopPageConfig {
  operatorUrl: string;
  collectorUrl: string;
  /** The DSP's retargeting pixel goes here; the next step of the story is the publisher. */
  dspUrl: string;
  publisherUrl: string;
  subscriptionId: string;
  serverPublicKey: string;
}

export function createShopApp(config: DemoConfig, log: Logger): Express {
  const app = createSiteApp('shop', { connect: [config.urls.operator], img: [config.urls.collector, config.urls.dsp] }, log);
  serveSnippet(app, config.snippetPath, log);
  serveStatic(app, 'shop');
  const page: ShopPageConfig = {
    operatorUrl: config.urls.operator,
    collectorUrl: config.urls.collector,
    dspUrl: config.urls.dsp,
    publisherUrl: config.urls.publisher,
    subscriptionId: config.shop.subscriptionId,
    serverPublicKey: config.shop.serverPublicKey,
  };
  servePage(app, '/', 'shop/index.html', page, storyNav(config, 'shop'));
  return app;
}
