// The advertiser's shop (site 101, Acme Shop): a checkout page that turns the shopper's email into a
// UID2 token in the browser and fires a conversion pixel at the measurement partner's collector.
// The server never sees the email: the page has no form post, only the snippet's encrypted CSTG call.
import type { Express } from 'express';
import type { DemoConfig } from '../config.ts';
import { createSiteApp, servePage, serveSnippet, serveStatic } from '../http.ts';
import type { Logger } from '../log.ts';

/** What the checkout page reads from its config element. */
export interface ShopPageConfig {
  operatorUrl: string;
  collectorUrl: string;
  subscriptionId: string;
  serverPublicKey: string;
}

export function createShopApp(config: DemoConfig, log: Logger): Express {
  const app = createSiteApp('shop', { connect: [config.urls.operator], img: [config.urls.collector] }, log);
  serveSnippet(app, config.snippetPath, log);
  serveStatic(app, 'shop');
  const page: ShopPageConfig = {
    operatorUrl: config.urls.operator,
    collectorUrl: config.urls.collector,
    subscriptionId: config.shop.subscriptionId,
    serverPublicKey: config.shop.serverPublicKey,
  };
  servePage(app, '/', 'shop/index.html', page);
  return app;
}
